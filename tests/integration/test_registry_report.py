"""The registry's analysis tables and report, on SQLite and PostgreSQL: the numbers equal
an independent computation from the imported CSV, and the report writes what it says."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("pandas")

from neuraxis import NeuraxisInputError
from neuraxis.registry import db, importing
from neuraxis.registry.frames import registry_tables
from neuraxis.registry.report import registry_report, write_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "registry"
RECORDS = EXAMPLES / "synthetic_records.csv"
DICTIONARY = EXAMPLES / "synthetic_dictionary.csv"


@pytest.fixture
def engine(registry_url: str):
    eng = db.connect(registry_url)
    db.upgrade(eng)
    importing.import_records(eng, RECORDS, DICTIONARY, user="t")
    yield eng
    eng.dispose()


def _csv_rows() -> list[dict]:
    with RECORDS.open() as f:
        return list(csv.DictReader(f))


def test_tables_hold_what_the_csv_holds(engine) -> None:
    t = registry_tables(engine)
    rows = _csv_rows()
    visits = [r for r in rows if not r["redcap_repeat_instrument"]]
    assert len(t.visits) == len(visits)
    # back pain NRS at m3, straight from the file
    m3 = sorted(int(r["nrs_pain_back"]) for r in visits
                if r["redcap_event_name"] == "month_3_arm_1")
    assert sorted(t.visits.loc[t.visits.visit == "m3", "nrs_back"].astype(int)) == m3
    explants = [r for r in rows if r["redcap_repeat_instrument"] == "revision"]
    assert (t.implants.event != "none").sum() == len(explants)
    assert set(t.implants.loc[t.implants.event != "none", "cause"]) == \
        {r["revision_reason"] for r in explants}
    assert len(t.complications) == sum(r["redcap_repeat_instrument"] == "complication"
                                       for r in rows)


def test_responders_equal_a_hand_count(engine) -> None:
    """ITT responders at m6 (>= 50 % back-pain reduction) counted from the CSV alone."""
    rows = [r for r in _csv_rows() if not r["redcap_repeat_instrument"]]
    base = {r["record_id"]: int(r["nrs_pain_back"]) for r in rows
            if r["redcap_event_name"] == "baseline_arm_1"}
    m6 = {r["record_id"]: int(r["nrs_pain_back"]) for r in rows
          if r["redcap_event_name"] == "month_6_arm_1"}
    hand = sum(1 for k, b in base.items() if k in m6 and b > 0 and (b - m6[k]) / b >= 0.5)
    rep = registry_report(engine)
    row = rep.responders.to_frame().set_index("visit").loc["m6"]
    assert int(row["responders_itt"]) == hand
    assert int(row["n_itt"]) == len(base)


def test_report_files_and_synthetic_notice(engine, tmp_path: Path) -> None:
    rep = registry_report(engine, threshold_pct=30.0, region="back")
    assert rep.provenance["n_synthetic_patients"] == rep.provenance["n_patients"] == 60
    files = write_report(rep, tmp_path)
    page = html.unescape(files["report"].read_text())
    assert "SYNTHETIC" in page and "not a medical device" in page
    assert ">= 30 % reduction of back pain" in page
    assert {p.name for p in tmp_path.glob("*.csv")} >= {
        "responders.csv", "survival.csv", "complications.csv", "change_odi_pct.csv"}
    json.dumps(rep.to_dict())  # JSON-ready


def test_empty_registry_and_bad_options_are_refused(registry_url: str) -> None:
    eng = db.connect(registry_url)
    db.upgrade(eng)
    with pytest.raises(NeuraxisInputError, match="no visits recorded"):
        registry_report(eng)
    with pytest.raises(NeuraxisInputError, match="did you mean 'england'"):
        registry_tables(eng, value_set="englnd")
    eng.dispose()


def test_cli_report(engine, registry_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from neuraxis.cli import app

    out = tmp_path / "rep"
    args = ["registry", "report", "--db", registry_url, "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert {"report.html", "responders.png", "survival.png", "change.png", "incidence.png",
            "incidence_by_cause.csv"} <= \
        {p.name for p in out.iterdir()}
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert CliRunner().invoke(app, [*args, "--overwrite"]).exit_code == 0
