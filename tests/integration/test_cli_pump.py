"""``neuraxis pump plan`` on the example prescriptions, and bad input as one error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from neuraxis.cli import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("pump_*.yaml"))
MORPHINE = REPO / "examples" / "pump_morphine_40ml.yaml"

runner = CliRunner()


def _input_error(result, *fragments: str) -> str:
    """Exit code 2, exactly one 'Error: ...' line on stderr, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output and result.stdout == ""
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


def test_examples_exist():
    assert {p.name for p in EXAMPLES} >= {
        "pump_morphine_40ml.yaml", "pump_ziconotide_titration.yaml",
        "pump_flex_boluses.yaml", "pump_concentration_change.yaml"}


def test_help_lists_the_plan_command():
    result = runner.invoke(app, ["pump", "--help"])
    assert result.exit_code == 0 and "plan" in result.stdout
    result = runner.invoke(app, ["pump", "plan", "--help"])
    assert result.exit_code == 0
    for opt in ("--json", "--ics", "--horizon-days"):
        assert opt in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_plans(path):
    result = runner.invoke(app, ["pump", "plan", str(path), "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    out = json.loads(result.stdout)
    for key in ("daily_volume_ml", "dose_per_drug_mg_per_day", "days_to_alarm", "alarm_date",
                "refill_date", "refill_volume_ml", "warnings", "overrides", "calendar"):
        assert key in out, key
    raw = yaml.safe_load(path.read_text())
    assert set(out["dose_per_drug_mg_per_day"]) == {m["drug"] for m in raw["mixture"]}
    assert out["catheter"]["tip_level"] == raw["catheter"]["tip_level"]
    assert out["refill_date"] > str(raw["pump"]["fill_date"])
    table = runner.invoke(app, ["pump", "plan", str(path)])
    assert table.exit_code == 0 and "REFILL DATE" in table.stdout
    assert out["refill_date"] in table.stdout


def test_morphine_example_numbers():
    out = json.loads(runner.invoke(app, ["pump", "plan", str(MORPHINE), "--json"]).stdout)
    assert out["daily_volume_ml"] == 0.15  # 3 / 20
    assert out["dose_per_drug_mg_per_day"] == {"morphine": 3.0}
    assert out["days_to_alarm_nominal"] == pytest.approx(253.33, abs=0.01)  # 38 / 0.15
    assert out["days_to_alarm"] == pytest.approx(221.25, abs=0.01)  # at +14.5 %
    assert out["alarm_date"] == "2025-10-10"
    assert out["refill_date"] == "2025-06-01"  # 90-day morphine stability
    assert out["refill_volume_ml"] == 17.5
    assert out["overrides"] == []
    assert [w["check"] for w in out["warnings"]] == ["granuloma_risk"]


def test_ics_and_horizon(tmp_path):
    ics = tmp_path / "refills.ics"
    result = runner.invoke(app, ["pump", "plan", str(MORPHINE), "--ics", str(ics),
                                 "--horizon-days", "180", "--json"])
    assert result.exit_code == 0, result.stderr
    text = ics.read_bytes().decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == 2
    assert "DTSTART;VALUE=DATE:20250601" in text and "DTSTART;VALUE=DATE:20250830" in text
    assert "2 refills) written to" in result.stderr
    assert len(json.loads(result.stdout)["calendar"]) == 2
    _input_error(runner.invoke(app, ["pump", "plan", str(MORPHINE), "--ics", str(tmp_path)]),
                 "'--ics'", "is a folder")
    _input_error(runner.invoke(app, ["pump", "plan", str(MORPHINE), "--horizon-days", "0"]),
                 "'--horizon-days'")


def _write(tmp_path: Path, change) -> Path:
    rx = yaml.safe_load(MORPHINE.read_text())
    change(rx)
    path = tmp_path / "rx.yaml"
    path.write_text(yaml.safe_dump(rx))
    return path


def _set(path: str, value):
    def change(rx):
        *parents, last = path.split(".")
        node = rx
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        key = int(last) if isinstance(node, list) else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    return change


@pytest.mark.parametrize(("change", "fragments"), [
    (_set("mixture.0.drug", "morfine"), ["'mixture[0].drug'", "did you mean 'morphine'"]),
    (_set("basal.dose_mg_per_day", -3), ["'basal.dose_mg_per_day'", "but got -3"]),
    (_set("basal.dose_mg_per_day", None), ["missing the basal dose"]),
    (_set("basal", {"mode": "simple", "dose": 3}), [("Invalid key 'dose' in 'basal': units "
                                                     "missing")]),
    (_set("mixture.0", {"drug": "morphine", "concentration": 20}), ["units missing"]),
    (_set("mixture.0.concentration_mg_per_ml", 50), [("stronger than the strongest morphine "
                                                      "vial (25 mg/mL")]),
    (_set("basal", {"mode": "flex", "segments": [
        {"start": "00:00", "end": "12:00", "rate_mg_per_hour": 0.1}]}),
     ["must cover 24 h", "gap 12:00-24:00"]),
    (_set("mixture.0.concentration_mg_per_ml", 25), ["Prescription refused (1 problem)",
                                                      "[max_concentration]", "20 mg/mL",
                                                      "PACC 2017"]),
    (_set("catheter.tip_level", None), ["Invalid 'catheter': missing 'tip_level'"]),
    (_set("pump.model", "synchromed"), ["'pump.model'"]),
])
def test_bad_input_is_one_error_line(tmp_path, change, fragments):
    path = _write(tmp_path, change)
    for extra in ([], ["--json"]):
        _input_error(runner.invoke(app, ["pump", "plan", str(path), *extra]), *fragments)


def test_unreadable_files(tmp_path):
    _input_error(runner.invoke(app, ["pump", "plan", str(tmp_path / "nope.yaml")]),
                 "not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pump: [unclosed\n")
    _input_error(runner.invoke(app, ["pump", "plan", str(bad)]), "Invalid YAML in")


def test_override_is_printed_and_recorded(tmp_path):
    def change(rx):
        rx["mixture"][0]["concentration_mg_per_ml"] = 25
        rx["overrides"] = [{"check": "max_concentration",
                            "reason": "Tolerant patient, approved by the pain team"}]
    path = _write(tmp_path, change)
    out = json.loads(runner.invoke(app, ["pump", "plan", str(path), "--json"]).stdout)
    assert out["overrides"][0]["check"] == "max_concentration"
    assert out["overrides"][0]["reason"].startswith("Tolerant patient")
    table = runner.invoke(app, ["pump", "plan", str(path)]).stdout
    assert "OVERRIDDEN [max_concentration]" in table and "Tolerant patient" in table


def test_spread_writes_a_figure_and_summary(tmp_path):
    """`pump spread`: one figure per drug, and numbers that come from the spread model
    run with the prescription's dose, daily volume and tip level."""
    pytest.importorskip("matplotlib")
    from neuraxis.pump import load_prescription, plan_prescription, simulate_spread

    ex = REPO / "examples" / "pump_morphine_40ml.yaml"
    res = runner.invoke(app, ["pump", "spread", str(ex), "--out", str(tmp_path / "s.png"),
                              "--hours", "12", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["drugs"]
    assert [d["drug"] for d in out] == ["morphine"]
    assert (tmp_path / "s.png").stat().st_size > 10_000
    rx = load_prescription(ex)
    plan = plan_prescription(rx)
    direct = simulate_spread(tip_level=rx.catheter.tip_level, drug="morphine", duration_h=12,
                             dose_mg_per_day=plan.dose_per_drug_mg_per_day["morphine"],
                             flow_ml_per_day=plan.daily_volume_ml).to_dict()
    assert out[0]["tip_level"] == "T10"
    assert out[0]["peak_ug_per_ml"] == pytest.approx(direct["peak_ug_per_ml"])
    assert 0.5 < out[0]["half_width_rostral_cm"] < 10
    table = runner.invoke(app, ["pump", "spread", str(ex), "--out", str(tmp_path / "t.png")])
    assert table.exit_code == 0 and "morphine" in table.stdout


def test_spread_mixture_gets_one_figure_per_drug_and_bad_options(tmp_path):
    pytest.importorskip("matplotlib")
    def two_drugs(rx):
        rx["mixture"].append({"drug": "clonidine", "concentration_mg_per_ml": 0.5,
                              "compounded": True})
    path = _write(tmp_path, two_drugs)
    res = runner.invoke(app, ["pump", "spread", str(path), "--out", str(tmp_path / "m.png"),
                              "--json"])
    assert res.exit_code == 0, res.output
    drugs = json.loads(res.stdout)["drugs"]
    assert [d["drug"] for d in drugs] == ["morphine", "clonidine"]
    assert [Path(d["figure"]).name for d in drugs] == ["m_morphine.png", "m_clonidine.png"]
    assert all(Path(d["figure"]).exists() for d in drugs)
    # clonidine clears faster from the CSF (shorter half-life): a narrower spread
    assert drugs[1]["half_width_rostral_cm"] < drugs[0]["half_width_rostral_cm"]
    ex = str(REPO / "examples" / "pump_morphine_40ml.yaml")
    _input_error(runner.invoke(app, ["pump", "spread", ex, "--hours", "0"]), "--hours")
    _input_error(runner.invoke(app, ["pump", "spread", ex, "--out", str(tmp_path / "a.pdf")]),
                 ".png")
