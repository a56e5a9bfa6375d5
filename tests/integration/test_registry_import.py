"""Importing a REDCap-style export: every value checked first (row and column), all or
nothing (a writer killed with SIGKILL mid-import leaves no patient; a re-run completes
it), a completed file not imported twice; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from neuraxis import NeuraxisInputError
from neuraxis.registry import db, importing, records
from neuraxis.registry.synthetic import synthetic_export

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "registry"


@pytest.fixture
def engine(registry_engine):
    return registry_engine


def _files(tmp_path: Path, n: int = 8, edit=None) -> tuple[Path, Path]:
    rec, dic = synthetic_export(n)
    if edit is not None:
        rec = edit(rec)
    (tmp_path / "r.csv").write_text(rec)
    (tmp_path / "d.csv").write_text(dic)
    return tmp_path / "r.csv", tmp_path / "d.csv"


def test_bundled_example_is_the_generator_output() -> None:
    rec, dic = synthetic_export()
    assert (EXAMPLES / "synthetic_records.csv").read_text() == rec
    assert (EXAMPLES / "synthetic_dictionary.csv").read_text() == dic
    assert all(line.split(",")[1] == "SYN" for line in rec.splitlines()[1:])


def test_import_then_rerun_is_a_no_op(engine, tmp_path: Path) -> None:
    r, d = _files(tmp_path)
    res = importing.import_records(engine, r, d, user="t")
    lines = r.read_text().splitlines()[1:]
    n_rows = len(lines)
    n_visit_rows = sum(",complication," not in x and ",revision," not in x for x in lines)
    assert (res.n_patients, res.n_visits, res.n_rows) == (8, n_visit_rows, n_rows)
    assert res.n_responses == 4 * n_visit_rows - 8  # four instruments, no PGIC at baseline
    again = importing.import_records(engine, r, d, user="t")
    assert again.already_imported and again.n_patients == 0
    summary = records.summary(engine)
    assert summary["n_patients"] == 8 and summary["n_visits"] == n_visit_rows
    assert summary["n_complications"] == sum(",complication," in x for x in lines)
    assert summary["n_revisions"] == sum(",revision," in x for x in lines)
    assert summary["n_audit_log"] == 1  # one entry for the whole import


def test_an_unknown_event_names_row_and_column(engine, tmp_path: Path) -> None:
    r, d = _files(tmp_path, edit=lambda t: t.replace("SYN00002,SYN,month_1_arm_1",
                                                     "SYN00002,SYN,month_2_arm_1", 1))
    with pytest.raises(NeuraxisInputError,
                       match=r"row \d+, column 'redcap_event_name': 'month_2_arm_1' is not"):
        importing.import_records(engine, r, d, user="t")
    assert records.summary(engine)["n_patients"] == 0


def test_every_problem_is_reported_and_nothing_written(engine, tmp_path: Path) -> None:
    def edit(text: str) -> str:
        lines = text.splitlines()
        head = lines[0].split(",")
        odi3, consent = head.index("odi_q3"), head.index("consent")
        row = lines[1].split(",")
        row[odi3] = "7"  # ODI sections are 0-5
        lines[1] = ",".join(row)
        row = lines[lines.index(next(x for x in lines if x.startswith("SYN00003,SYN,base")))]
        cells = row.split(",")
        cells[consent] = "0"
        lines[[i for i, x in enumerate(lines) if x.startswith("SYN00003,SYN,base")][0]] = \
            ",".join(cells)
        return "\n".join(lines).replace("odi_q10", "odi_q11", 1) + "\n"

    r, d = _files(tmp_path, edit=edit)
    with pytest.raises(NeuraxisInputError) as err:
        importing.import_records(engine, r, d, user="t")
    text = str(err.value)
    assert "column 'odi_q11': not in the data dictionary" in text
    assert "nothing written" in text
    r, d = _files(tmp_path, edit=lambda t: edit(t).replace("odi_q11", "odi_q10", 1))
    with pytest.raises(NeuraxisInputError) as err:
        importing.import_records(engine, r, d, user="t")
    text = str(err.value)
    assert "row 2, column 'odi_q3': 7 is above the maximum 5" in text
    assert "(record 'SYN00003'): no recorded consent" in text
    assert records.summary(engine)["n_patients"] == 0


def test_a_killed_import_leaves_nothing_and_a_rerun_completes_it(registry_url: str,
                                                                  tmp_path: Path) -> None:
    """155 patients, over 1,000 visits; the writer SIGKILLs itself once its first 50
    patients are written, inside the transaction: no patient is visible; the re-run
    imports all of them."""
    rec, dic = synthetic_export(155, seed=11)
    (tmp_path / "r.csv").write_text(rec)
    (tmp_path / "d.csv").write_text(dic)
    n_visits = sum(",complication," not in x and ",revision," not in x
                   for x in rec.splitlines()[1:])
    assert n_visits >= 1000
    eng = db.connect(registry_url)
    db.upgrade(eng)
    script = textwrap.dedent(f"""
        import os, signal
        from neuraxis.registry import db, importing
        def progress(done, total):
            if done >= 50:
                os.kill(os.getpid(), signal.SIGKILL)
        importing.import_records(db.connect({registry_url!r}), {str(tmp_path / 'r.csv')!r},
                                 {str(tmp_path / 'd.csv')!r}, user="t", progress=progress)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ}, timeout=300)
    assert proc.returncode == -9, proc.stderr
    assert records.summary(eng)["n_patients"] == 0
    assert records.summary(eng)["n_visits"] == 0
    res = importing.import_records(eng, tmp_path / "r.csv", tmp_path / "d.csv", user="t")
    assert res.n_visits == n_visits and res.n_patients == 155
    assert records.summary(eng)["n_visits"] == n_visits
    eng.dispose()


def test_cli_import(registry_url: str) -> None:
    from typer.testing import CliRunner

    from neuraxis.cli import app

    run = CliRunner()
    assert run.invoke(app, ["registry", "init", "--db", registry_url]).exit_code == 0
    args = ["registry", "import", str(EXAMPLES / "synthetic_records.csv"), "--dictionary",
            str(EXAMPLES / "synthetic_dictionary.csv"), "--db", registry_url, "--json"]
    res = run.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n_patients"] == 60
    res = run.invoke(app, args)
    assert json.loads(res.stdout)["already_imported"] is True
    res = run.invoke(app, ["registry", "import", str(EXAMPLES / "README.md"), "--dictionary",
                           str(EXAMPLES / "synthetic_dictionary.csv"), "--db", registry_url])
    assert res.exit_code == 2 and "Traceback" not in res.output
