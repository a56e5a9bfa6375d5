"""The registry's clinical-event and export commands, end to end on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from typer.testing import CliRunner

from neuraxis.cli import app


def _run(*args: str) -> tuple[int, dict | str]:
    res = CliRunner().invoke(app, ["registry", *args])
    try:
        return res.exit_code, json.loads(res.stdout)
    except json.JSONDecodeError:
        return res.exit_code, res.output


def test_events_and_exports(registry_url: str, tmp_path: Path) -> None:
    db = ["--db", registry_url, "--user", "dr-test"]
    assert _run("init", *db[:2])[0] == 0
    who = ["--site", "S1", "--local-id", "P-7"]
    assert _run("add-patient", *who, "--birth-year", "1961", "--consent", *db)[0] == 0
    code, out = _run("add-screening", *who, "--date", "2025-01-05", "--therapy", "scs",
                     "--indication", "FBSS", "--psych", "cleared", *db, "--json")
    assert code == 0 and out["screening_id"] >= 1 and out["status"] == "eligible", out
    code, out = _run("add-trial", *who, "--therapy", "scs", "--start", "2025-02-01", "--end",
                     "2025-02-08", "--relief-pct", "62", *db, "--json")
    assert code == 0 and out["success"] is True, out
    assert _run("add-implant", *who, "--therapy", "scs", "--date", "2025-03-01", "--device",
                "IPG", *db)[0] == 0
    code, out = _run("add-complication", *who, "--onset", "2025-04-01", "--category",
                     "device_related", "--relation", "causal", *db, "--json")
    assert code == 0 and out["category"] == "device_related"
    code, out = _run("add-complication", *who, "--onset", "2025-04-01", "--category",
                     "device_relatd", "--relation", "causal", *db)
    assert code == 2 and "did you mean 'device_related'" in out
    base = ["add-revision", *who, "--therapy", "scs", "--date", "2025-06-01", "--kind",
            "explant", "--reason", "infection", *db]
    assert _run(*base)[0] == 0
    code, out = _run(*base)
    assert code == 2 and "Traceback" not in out
    code, out = _run("check", *db[:2], "--json")
    assert (out["n_screenings"], out["n_trials"], out["n_complications"],
            out["n_revisions"]) == (1, 1, 1, 1)
    code, out = _run("export", "--out", str(tmp_path / "csv"), *db[:2], "--json")
    assert code == 0 and any(f.endswith("patients.csv") for f in out["files"])
    code, out = _run("export", "--format", "fhir", "--out", str(tmp_path / "b.json"),
                     *db[:2], "--json")
    assert code == 0, out
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert bundle["resourceType"] == "Bundle"
    code, out = _run("export", "--format", "xml", "--out", str(tmp_path / "x"), *db[:2])
    assert code == 2 and "Allowed values are 'csv', 'fhir'" in out


def test_selection_criteria_lists_unverified_entries() -> None:
    code, out = _run("selection-criteria", "--therapy", "scs", "--json")
    assert code == 0 and "FBSS" in out["indications"] and out["unverified"]
    code, out = _run("selection-criteria", "--therapy", "scss")
    assert code == 2 and "did you mean 'scs'" in out


def test_backup(registry_url: str, tmp_path: Path) -> None:
    """SQLite: an online copy that is itself a registry with the same records;
    PostgreSQL: refused with the pg_dump command to run."""
    db = ["--db", registry_url]
    assert _run("init", *db)[0] == 0
    assert _run("add-patient", "--site", "S1", "--local-id", "P-1", "--birth-year", "1970",
                "--consent", *db)[0] == 0
    code, out = _run("backup", "--out", str(tmp_path / "b.sqlite"), *db, "--json")
    if registry_url.startswith("sqlite"):
        assert code == 0, out
        code, out = _run("check", "--db", f"sqlite:///{tmp_path / 'b.sqlite'}", "--json")
        assert code == 0 and out["n_patients"] == 1
        code, out = _run("backup", "--out", str(tmp_path / "b.sqlite"), *db)
        assert code == 2 and "--overwrite" in out
    else:
        assert code == 2 and "pg_dump --format=custom" in out


def test_program_history(registry_url: str) -> None:
    repo = Path(__file__).resolve().parents[2] / "examples"
    db = ["--db", registry_url]
    who = ["--site", "S1", "--local-id", "P-2"]
    assert _run("init", *db)[0] == 0
    assert _run("add-patient", *who, "--birth-year", "1958", "--consent", *db)[0] == 0
    assert _run("add-implant", *who, "--therapy", "scs", "--date", "2025-03-01", "--device",
                "IPG", "--lead", "percutaneous_1x8", *db)[0] == 0
    code, out = _run("add-program", *who, "--date", "2025-03-02", "--scenario",
                     str(repo / "scs_1x8_t8_low_back.yaml"), *db, "--json")
    assert code == 0 and out["kind"] == "scs_scenario", out
    code, out = _run("add-program", *who, "--date", "2025-03-02", "--prescription",
                     str(repo / "pump_morphine_40ml.yaml"), *db)
    assert code == 2 and "no itdd implant in place" in out
    code, out = _run("add-program", *who, "--date", "2025-02-01", "--scenario",
                     str(repo / "scs_1x8_t8_low_back.yaml"), *db)
    assert code == 2 and "before implant" in out
    code, out = _run("add-program", *who, "--date", "2025-03-02", *db)
    assert code == 2 and "one of '--scenario' or '--prescription'" in out
    import sqlalchemy as sa

    from neuraxis.registry import db as regdb
    from neuraxis.registry.models import Program

    eng = regdb.connect(registry_url)
    with sa.orm.Session(eng) as s:
        prog = s.scalars(sa.select(Program)).one()
        assert prog.settings["pulse_width_us"] == 300.0 and prog.settings["contacts"]["E4"] == -1
    eng.dispose()


def test_demo_in_one_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["registry", "demo", "--patients", "12"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "registry-demo" / "report" / "report.html").read_text()
    assert "12 of 12 patients are SYNTHETIC" in page
    res = CliRunner().invoke(app, ["registry", "demo", "--patients", "12"])
    assert res.exit_code == 2 and "--overwrite" in res.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    res = CliRunner().invoke(app, ["registry", "demo", "--out", "other", "--overwrite"])
    assert res.exit_code == 2 and (tmp_path / "other" / "keep.txt").exists()


def test_careless_inputs_give_one_line(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.sqlite'}"
    code, out = _run("check", "--db", missing)
    assert code == 2 and "registry init" in out and not (tmp_path / "none.sqlite").exists()
    db = ["--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    assert _run("init", *db)[0] == 0
    (tmp_path / "bad.yaml").write_text("a: [\n")
    code, out = _run("add-visit", "--site", "S", "--local-id", "P", "--visit", "m1", "--date",
                     "2024-01-01", "--responses", str(tmp_path / "bad.yaml"), *db)
    assert code == 2 and "not valid YAML (line 2)" in out and "Traceback" not in out
