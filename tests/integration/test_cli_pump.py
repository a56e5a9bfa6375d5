"""``neuraxis pump plan`` on the example prescriptions, and bad input as one error line."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from neuraxis.cli import app
from neuraxis.cli.pump import _change_rows

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("pump_*.yaml"))
MORPHINE = REPO / "examples" / "pump_morphine_40ml.yaml"
CONSTANT_FLOW = REPO / "examples" / "pump_constant_flow_change.yaml"
CHANGE = REPO / "examples" / "pump_concentration_change.yaml"

runner = CliRunner()


def _input_error(args: list[str], *fragments: str, code: int = 2) -> str:
    """``neuraxis *args`` ends with exit code 2 (3: refused), exactly one 'Error: ...'
    line on stderr, no traceback; stdout empty, or with --json one object whose message
    is that line."""
    result = runner.invoke(app, args)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    if "--json" in args:
        out = json.loads(result.stdout)
        assert out["status"] == ("refused" if code == 3 else "error")
        assert out["message"] == lines[0].removeprefix("Error: ")
    else:
        assert result.stdout == ""
    return lines[0]


def test_examples_exist():
    assert {p.name for p in EXAMPLES} >= {
        "pump_morphine_40ml.yaml", "pump_ziconotide_titration.yaml",
        "pump_flex_boluses.yaml", "pump_concentration_change.yaml",
        "pump_constant_flow_change.yaml"}


def test_help_lists_the_plan_command():
    result = runner.invoke(app, ["pump", "--help"])
    assert result.exit_code == 0
    for command in ("plan", "spread", "convert", "change", "drugs"):
        assert command in result.stdout
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
    # 90-day morphine stability: Sunday 2025-06-01, done on Friday 2025-05-30
    assert out["refill_date"] == "2025-05-30"
    assert out["calendar"][0]["moved_from"] == "2025-06-01"
    assert out["refill_volume_ml"] == 17.5
    assert out["status"] == "ok"
    assert out["provenance"]["input_file"] == str(MORPHINE)
    assert out["provenance"]["input_sha256"] == hashlib.sha256(MORPHINE.read_bytes()).hexdigest()
    assert out["overrides"] == []
    assert [w["check"] for w in out["warnings"]] == ["granuloma_risk"]


def _rows(text: str) -> dict[str, str]:
    """The summary table's rows, ``{quantity: value}`` (the table is drawn 1000 wide)."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 2 and cells[0]:
            out[cells[0]] = cells[1]
    return out


def test_constant_flow_example_prints_the_window_doses_and_options():
    # Codman 3000 at 0.5 mL/day, 8 -> 10 mg/mL; dead space = the catheter alone (tubing
    # volume unknown): 50 cm x 0.002206 mL/cm = 0.110 mL -> at least 0.221 days
    result = runner.invoke(app, ["pump", "plan", str(CONSTANT_FLOW)])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert rows["concentration change"] == (
        "constant-flow pump at a fixed 0.5 mL/day: the new mixture reaches the catheter tip "
        "when the 0.11 mL dead space [unverified] has run out, at least 0.221 days after the "
        "refill; until then the previous dose continues")
    assert rows["morphine"] == "4 mg/day during the window (previous dose), then 5 mg/day"
    assert rows["bridge bolus"] == "not possible on a constant-flow pump"
    assert rows["option 1"].startswith("Accept the window: the previous dose continues")
    assert rows["option 1"].endswith("the old drug clears it in V_ds / q))")  # verified
    assert rows["option 2"].startswith("Empty the reservoir completely")
    assert rows["option 3"].startswith("Only where the pump's labelling provides an access")
    for key in ("option 2", "option 3"):
        assert rows[key].endswith("[unverified])"), rows[key]
    assert "option 4" not in rows and "without a bridge" not in result.stdout
    assert "REFILL DATE" in rows and rows["REFILL DATE"].startswith("2025-04-25")


def test_programmable_change_rows_mark_an_unverified_dead_space():
    result = runner.invoke(app, ["pump", "plan", str(CHANGE)])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    # SynchroMed tubing 0.26 mL is a placeholder: 0.26 + 0.110 = 0.37 mL
    assert rows["concentration change"].startswith(
        "old mixture in the 0.37 mL dead space [unverified] clears in 2.47 days at the new "
        "rate; without a bridge: morphine 1.5 mg/day instead of 3 mg/day")
    assert rows["bridge bolus"] == ("0.37 mL [unverified] at 0.3 mL/day for 1.23 days, then "
                                    "0.15 mL/day")


def test_change_rows_drop_the_marks_for_a_verified_complete_dead_space():
    from neuraxis.pump import load_prescription, plan_prescription

    for path, key in ((CONSTANT_FLOW, "concentration change"),
                      (CHANGE, "concentration change")):
        plan = plan_prescription(load_prescription(path))
        change = plan.concentration_change
        ds = dataclasses.replace(change.dead_space, verified=True, complete=True)
        cf = None if change.constant_flow is None else dataclasses.replace(
            change.constant_flow, dead_space=ds)
        sure = dataclasses.replace(plan, concentration_change=dataclasses.replace(
            change, dead_space=ds, constant_flow=cf))
        before, after = dict(_change_rows(plan))[key], dict(_change_rows(sure))[key]
        assert "[unverified]" in before and "[unverified]" not in after
        assert ("at least" in before) is (cf is not None) and "at least" not in after


def test_priming_row_marks_unverified_volumes(tmp_path):
    def plan_rows(change):
        result = runner.invoke(app, ["pump", "plan", str(_write(tmp_path, change))])
        assert result.exit_code == 0, result.output
        return _rows(result.stdout)

    def implant(rx):
        rx["procedure"] = {"kind": "pump_implant"}

    def revision(rx):
        rx["catheter"]["volume_ml"] = 0.11
        rx["procedure"] = {"kind": "catheter_revision", "empty_catheter_length_cm": 20}

    # pump implant: SynchroMed tubing 0.26 mL (placeholder) + 50 cm x 0.002206 = 0.37 mL
    assert plan_rows(implant)["priming bolus"] == (
        "0.37 mL [unverified] (tubing 0.26 + catheter 0.11 mL)")
    # revision with a measured catheter volume: 20 / 50 x 0.11 = 0.044 mL, given
    assert plan_rows(revision)["priming bolus"] == "0.044 mL (tubing 0 + catheter 0.044 mL)"


def test_ics_and_horizon(tmp_path):
    ics = tmp_path / "refills.ics"
    result = runner.invoke(app, ["pump", "plan", str(MORPHINE), "--ics", str(ics),
                                 "--horizon-days", "180", "--json"])
    assert result.exit_code == 0, result.stderr
    text = ics.read_bytes().decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == 2
    # 2025-03-03 + 180 d = 2025-08-30: Fri 05-30 (Sun 06-01 moved), then 05-30 + 90 = Thu 08-28
    assert "DTSTART;VALUE=DATE:20250530" in text and "DTSTART;VALUE=DATE:20250828" in text
    assert "2 refills) written to" in result.stderr
    assert len(json.loads(result.stdout)["calendar"]) == 2
    _input_error(["pump", "plan", str(MORPHINE), "--ics", str(tmp_path)],
                 "'--ics'", "is a folder")
    _input_error(["pump", "plan", str(MORPHINE), "--horizon-days", "0"],
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
    (_set("catheter.tip_level", None), ["Invalid 'catheter': missing 'tip_level'"]),
    (_set("pump.model", "synchromed"), ["'pump.model'"]),
])
def test_bad_input_is_one_error_line(tmp_path, change, fragments):
    path = _write(tmp_path, change)
    for extra in ([], ["--json"]):
        _input_error(["pump", "plan", str(path), *extra], *fragments)


def test_unreadable_files(tmp_path):
    _input_error(["pump", "plan", str(tmp_path / "nope.yaml")],
                 "not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pump: [unclosed\n")
    _input_error(["pump", "plan", str(bad)], "Invalid YAML in")


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
    assert out[0]["half_width_rostral_cm"] == pytest.approx(direct["half_width_rostral_cm"])
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
    _input_error(["pump", "spread", ex, "--hours", "0"], "--hours")
    _input_error(["pump", "spread", ex, "--out", str(tmp_path / "a.pdf")],
                 ".png")


# ----------------------------------------------------------------- defects a new user hit

def test_folder_or_binary_file_as_prescription(tmp_path):
    for command in ("plan", "spread"):
        _input_error(["pump", command, str(tmp_path)],
                     "Invalid prescription file", "is a folder")
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    _input_error(["pump", "plan", str(png)], "scan.png", "not a text file")
    _input_error(["pump", "plan", str(png), "--json"], "not a text file")


@pytest.mark.parametrize(("date", "why"), [("2025-13-45", "month must be in 1..12"),
                                           ("2025-02-30", "day is out of range for month")])
def test_impossible_date_names_the_field_and_the_format(tmp_path, date, why):
    path = tmp_path / "rx.yaml"
    path.write_text(MORPHINE.read_text().replace("fill_date: 2025-03-03", f"fill_date: {date}"))
    _input_error(["pump", "plan", str(path)],
                 "'pump.fill_date'", "YYYY-MM-DD", f"'{date}'", why)


def test_implant_after_fill_is_refused_with_both_dates(tmp_path):
    path = _write(tmp_path, _set("pump.implant_date", "2025-04-01"))
    _input_error(["pump", "plan", str(path)],
                 "'pump.implant_date'", "2025-04-01", "2025-03-03")


def _no_computing(monkeypatch):
    """Make reading, planning and simulating fail loudly: a refusal must come first."""
    import neuraxis.pump
    import neuraxis.pump.spread

    def boom(*args, **kwargs):
        raise AssertionError("computed before the output path was checked")

    for name in ("load_prescription", "plan_prescription"):
        monkeypatch.setattr(neuraxis.pump, name, boom)
    monkeypatch.setattr(neuraxis.pump.spread, "simulate_spread", boom)


def test_output_paths_are_refused_before_computing(tmp_path, monkeypatch):
    _no_computing(monkeypatch)
    missing = tmp_path / "no_such_folder"
    for args, fragments in [
        (["plan", str(MORPHINE), "--ics", str(tmp_path)], ["'--ics'", "is a folder"]),
        (["plan", str(MORPHINE), "--ics", str(missing / "r.ics")],
         ["'--ics'", "no_such_folder", "does not exist"]),
        (["spread", str(MORPHINE), "--out", str(missing / "s.png")],
         ["'--out'", "no_such_folder", "does not exist"]),
        (["spread", str(MORPHINE), "--out", str(tmp_path / "s.pdf")], ["'--out'", ".png"]),
    ]:
        for extra in ([], ["--json"]):
            _input_error(["pump", *args, *extra], *fragments)
    folder_png = tmp_path / "figure.png"
    folder_png.mkdir()
    _input_error(["pump", "spread", str(MORPHINE), "--out", str(folder_png)],
                 "'--out'", "is a folder")
    assert not missing.exists()


def test_spread_progress_on_a_terminal_only_without_json(tmp_path, monkeypatch):
    """The spread shows a progress bar (rich, stderr, terminal only) fed by the solver;
    --json asks for none."""
    pytest.importorskip("matplotlib")
    import contextlib

    import neuraxis.cli.pump as cli_pump

    seen = []

    @contextlib.contextmanager
    def recorder(enabled, total, label="thresholds"):
        calls = []
        seen.append((enabled, label, calls))
        yield lambda done, n: calls.append((done, n))

    monkeypatch.setattr(cli_pump, "_progress_bar", recorder)
    for extra in ([], ["--json"]):
        res = runner.invoke(app, ["pump", "spread", str(MORPHINE), "--hours", "1",
                                  "--out", str(tmp_path / "p.png"), *extra])
        assert res.exit_code == 0, res.output
    assert [(enabled, label) for enabled, label, _ in seen] == [
        (True, "morphine: 1 h of spread, figure"), (False, "morphine: 1 h of spread, figure")]
    for _, _, calls in seen:
        assert calls[-2] == (60, 61)  # 1 h at 60 s steps, then the figure
        assert calls[-1] == (61, 61)


def test_progress_bar_stays_off_the_output_when_not_a_terminal(tmp_path):
    pytest.importorskip("matplotlib")
    res = runner.invoke(app, ["pump", "spread", str(MORPHINE), "--hours", "1",
                              "--out", str(tmp_path / "p.png"), "--json"])
    assert res.exit_code == 0 and res.stderr == ""
    json.loads(res.stdout)


# ----------------------------------------------------------------- catalogues

@pytest.mark.parametrize(("command", "names"), [("drugs", "drug_names"), ("pumps", "pump_names"),
                                                ("catheters", "catheter_names")])
def test_catalogue_commands_list_every_entry_with_units_and_sources(command, names):
    from neuraxis.pump import tables

    keys = getattr(tables, names)()
    out = json.loads(runner.invoke(app, ["pump", command, "--json"]).stdout)[command]
    assert [r["key"] for r in out] == list(keys)
    for rec in out:
        assert rec["name"] and rec["values"]
        for key, entry in rec["values"].items():
            assert set(entry) == {"value", "unit", "source", "verified"}, key
            assert entry["source"], key
    table = runner.invoke(app, ["pump", command])
    assert table.exit_code == 0 and table.stderr == ""
    for rec in out:
        assert rec["name"] in table.stdout and rec["key"] in table.stdout
    help_ = runner.invoke(app, ["pump", "--help"]).stdout
    assert command in help_


def test_catalogue_tables_show_values_in_display_units_with_sources():
    drugs = runner.invoke(app, ["pump", "drugs"]).stdout
    assert "19.2 ug/day" in drugs  # ziconotide PACC maximum, stored as 0.0192 mg
    assert "10, 25 mg/mL" in drugs  # morphine vial strengths (a list, not a range)
    assert "0.1-0.5 mg/day" in drugs  # morphine starting dose range
    assert "PACC 2017" in drugs and "[unverified]" in drugs
    pumps = runner.invoke(app, ["pump", "pumps"]).stdout
    assert "0.048 mL/day" in pumps and "Medtronic SynchroMed II 8637-40" in pumps
    cats = runner.invoke(app, ["pump", "catheters"]).stdout
    assert "0.53 mm" in cats and "0.002206 mL/cm" in cats
