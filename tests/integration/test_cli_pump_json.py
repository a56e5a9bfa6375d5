"""``--json`` refusals and errors, exit codes, working-day refill dates on the command line,
and the dose calculators ``pump convert`` and ``pump change``.

Expected numbers are worked by hand: 300 mg/day oral / 300 = 1 mg/day intrathecal, 50 %
less = 0.5; 0.15 mL/day x 1.2 = 0.18; 10 -> 20 mg/mL at 3 mg/day with 0.25 mL dead space:
0.25 / 0.15 = 1.667 days at 1.5 mg/day, bridge 0.25 / 0.3 = 0.833 days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import neuraxis
from neuraxis.cli import app
from neuraxis.cli.pump import EXIT_REFUSED

REPO = Path(__file__).resolve().parents[2]
MORPHINE = REPO / "examples" / "pump_morphine_40ml.yaml"
runner = CliRunner()


def _rx(tmp_path: Path, **top) -> Path:
    rx = yaml.safe_load(MORPHINE.read_text())
    for key, value in top.items():
        section, _, field = key.partition("__")
        if field:
            rx[section][field] = value
        else:
            rx[section] = value
    path = tmp_path / "rx.yaml"
    path.write_text(yaml.safe_dump(rx))
    return path


def _one_error_line(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0].removeprefix("Error: ")


def _check_provenance(prov: dict, path: Path | None) -> None:
    assert prov["neuraxis_version"] == neuraxis.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["created_utc"])
    assert abs(dt.datetime.strptime(prov["created_utc"], "%Y-%m-%dT%H:%M:%SZ")
               - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    assert prov["input_file"] == (None if path is None else str(path))
    assert prov["input_sha256"] == (hashlib.sha256(path.read_bytes()).hexdigest()
                                    if path is not None and path.exists() else None)


# ----------------------------------------------------------------- refusals and errors

def test_refusal_with_json_lists_every_problem(tmp_path):
    path = _rx(tmp_path, mixture=[{"drug": "morphine", "concentration_mg_per_ml": 25}],
               basal={"mode": "simple", "dose_mg_per_day": 16})
    result = runner.invoke(app, ["pump", "plan", str(path), "--json"])
    assert result.exit_code == EXIT_REFUSED == 3
    out = json.loads(result.stdout)
    assert set(out) == {"status", "message", "refusals", "warnings", "overrides", "provenance"}
    assert out["status"] == "refused"
    assert out["message"] == _one_error_line(result)
    assert out["message"].startswith("Prescription refused (2 problems): [max_concentration]")
    conc, dose = out["refusals"]
    assert {k: conc[k] for k in ("check", "severity", "drug", "limit", "value", "unit")} == {
        "check": "max_concentration", "severity": "refuse", "drug": "morphine", "limit": 20.0,
        "value": 25.0, "unit": "mg/mL"}
    assert {k: dose[k] for k in ("check", "limit", "value", "unit")} == {
        "check": "max_daily_dose", "limit": 15.0, "value": 16.0, "unit": "mg/day"}
    for f in (conc, dose):
        assert f["source"].startswith("PACC 2017") and f["source"].endswith("[unverified]")
        assert f["message"] in out["message"]
    _check_provenance(out["provenance"], path)


def test_refusal_json_also_lists_the_warnings_and_the_overrides_applied(tmp_path):
    # 25 mg/mL at 16 mg/day: the dose refusal is overridden, the concentration one is not;
    # 25 mg/mL is also above the 20 mg/mL granuloma threshold (a warning)
    reason = "Tolerant patient, approved by the pain team"
    path = _rx(tmp_path, mixture=[{"drug": "morphine", "concentration_mg_per_ml": 25}],
               basal={"mode": "simple", "dose_mg_per_day": 16},
               overrides=[{"check": "max_daily_dose", "reason": reason}])
    result = runner.invoke(app, ["pump", "plan", str(path), "--json"])
    assert result.exit_code == EXIT_REFUSED
    out = json.loads(result.stdout)
    assert [f["check"] for f in out["refusals"]] == ["max_concentration"]
    assert "granuloma_risk" in [f["check"] for f in out["warnings"]]
    (lifted,) = out["overrides"]
    assert (lifted["check"], lifted["severity"], lifted["reason"]) == (
        "max_daily_dose", "overridden", reason)
    assert out["message"] == _one_error_line(result)


CODMAN = {"model": "codman_3000", "fill_date": "2025-03-03", "flow_rate_ml_per_day": 0.5}


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_a_device_refusal_exits_with_3_with_and_without_json(tmp_path, as_json):
    # Codman at 0.5 mL/day with 8 mg/mL delivered 4 mg/day, not the recorded 5:
    # constant_flow_previous, which no override lifts.
    path = _rx(tmp_path, pump=CODMAN, mixture=[{"drug": "morphine",
                                                "concentration_mg_per_ml": 8}],
               basal={"dose_mg_per_day": 4}, previous={"dose_mg_per_day": 5})
    result = runner.invoke(app, ["pump", "plan", str(path), *(["--json"] if as_json else [])])
    assert result.exit_code == EXIT_REFUSED == 3
    line = _one_error_line(result)
    assert line.startswith("Prescription refused (1 problem): [constant_flow_previous]")
    if as_json:
        out = json.loads(result.stdout)
        assert out["status"] == "refused" and out["message"] == line
        assert [(f["check"], f["limit"], f["value"]) for f in out["refusals"]] == [
            ("constant_flow_previous", 4.0, 5.0)]
    else:
        assert result.stdout == ""


def test_a_bridge_bolus_on_a_constant_flow_pump_is_an_input_error(tmp_path):
    path = _rx(tmp_path, pump=CODMAN, mixture=[{"drug": "morphine",
                                                "concentration_mg_per_ml": 10}],
               basal={"dose_mg_per_day": 5},
               previous={"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 8}]},
               procedure={"kind": "refill", "bridge_bolus": True})
    result = runner.invoke(app, ["pump", "plan", str(path), "--json"])
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["status"] == "error" and out["message"] == _one_error_line(result)
    assert out["message"].startswith("Invalid value for 'procedure.bridge_bolus': the Codman "
                                     "3000 constant-flow pump runs at one fixed rate and "
                                     "cannot give a bridge bolus")


def test_refusal_without_json_is_the_one_line_with_its_exit_code(tmp_path):
    path = _rx(tmp_path, mixture=[{"drug": "morphine", "concentration_mg_per_ml": 25}])
    result = runner.invoke(app, ["pump", "plan", str(path)])
    assert result.exit_code == EXIT_REFUSED and result.stdout == ""
    assert _one_error_line(result).startswith("Prescription refused (1 problem): "
                                              "[max_concentration] Morphine 25 mg/mL")


@pytest.mark.parametrize(("args", "fragment"), [
    (["plan", "{rx}", "--json"], "'mixture[0].drug'"),
    (["plan", "{missing}", "--json"], "not found"),
    (["plan", "{rx}", "--json", "--horizon-days", "0"], "'--horizon-days'"),
    (["spread", "{rx}", "--json", "--hours", "0"], "'--hours'"),
])
def test_other_errors_with_json_are_an_error_object(tmp_path, args, fragment):
    path = _rx(tmp_path, mixture=[{"drug": "morfine", "concentration_mg_per_ml": 20}])
    missing = tmp_path / "missing.yaml"
    args = [a.format(rx=path, missing=missing) for a in args]
    result = runner.invoke(app, ["pump", *args])
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["status"] == "error" and fragment in out["message"]
    assert out["message"] == _one_error_line(result)
    _check_provenance(out["provenance"], missing if "missing" in args[1] else path)


def test_accepted_plan_json_has_status_ok_and_provenance():
    result = runner.invoke(app, ["pump", "plan", str(MORPHINE), "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    out = json.loads(result.stdout)
    assert out["status"] == "ok" and out["refill_date"] == "2025-05-30"
    _check_provenance(out["provenance"], MORPHINE)


# ----------------------------------------------------------------- working days

def test_moved_refill_shows_in_the_table_and_the_ics(tmp_path):
    path = _rx(tmp_path, calendar={"holidays": ["2025-05-30"]})
    ics = tmp_path / "r.ics"
    table = runner.invoke(app, ["pump", "plan", str(path), "--ics", str(ics)])
    assert table.exit_code == 0, table.output
    # Sun 06-01 -> Sat, Fri (holiday) -> Thursday 2025-05-29
    assert ("2025-05-29 (stability, 90 days); 2025-06-01 is a Sunday, not a working day; "
            "moved to the previous working day, 3 days earlier") in table.stdout
    assert "Refill calendar (working days mon, tue, wed, thu, fri; 1 holidays; move: " \
           "previous)" in table.stdout
    text = ics.read_bytes().decode().replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20250529" in text
    assert "Date: 2025-06-01 is a Sunday\\, not a working day\\; moved" in text
    out = json.loads(runner.invoke(app, ["pump", "plan", str(path), "--json"]).stdout)
    assert out["working_calendar"]["holidays"] == ["2025-05-30"]
    assert out["calendar"][0]["moved_from"] == "2025-06-01"


def test_impossible_holiday_is_one_error_line(tmp_path):
    path = tmp_path / "rx.yaml"
    path.write_text(MORPHINE.read_text() + "calendar:\n  holidays: [2025-12-25, 2025-13-45]\n")
    result = runner.invoke(app, ["pump", "plan", str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_error_line(result) == (
        "Invalid value for 'calendar.holidays[1]'. Expected an ISO date YYYY-MM-DD, but got "
        "'2025-13-45' (month must be in 1..12: no such date)")


# ----------------------------------------------------------------- pump convert

def _json(args: list[str]) -> dict:
    result = runner.invoke(app, ["pump", *args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out.pop("status") == "ok"
    _check_provenance(out.pop("provenance"), None)
    return out


def test_convert_towards_intrathecal():
    out = _json(["convert", "--dose-mg-per-day", "300", "--from-route", "oral",
                 "--to-route", "intrathecal"])
    assert {k: out[k] for k in ("direction", "ratio", "ratio_set", "equianalgesic_mg_per_day",
                                "suggested_mg_per_day", "range_mg_per_day")} == {
        "direction": "toward_intrathecal", "ratio": 300.0, "ratio_set": "high",
        "equianalgesic_mg_per_day": 1.0, "suggested_mg_per_day": 0.5,
        "range_mg_per_day": [0.5, 0.75]}
    assert out["sources"][0].startswith("Krames")
    table = runner.invoke(app, ["pump", "convert", "--dose-mg-per-day", "300",
                                "--from-route", "oral", "--to-route", "intrathecal"])
    assert table.exit_code == 0
    for text in ("towards intrathecal: high ratio (Krames) 300:1, then 25-50 % less",
                 "0.5 mg/day intrathecal", "0.5-0.75 mg/day", "Source: Krames"):
        assert text in table.stdout, text


def test_convert_away_from_intrathecal_uses_the_low_ratio():
    out = _json(["convert", "--dose-mg-per-day", "1", "--from-route", "Intrathecal",
                 "--to-route", "ORAL"])
    assert out["direction"] == "away_from_intrathecal" and out["suggested_mg_per_day"] == 10.0
    assert "would give 300 mg/day, 30 times more" in out["warnings"][0]
    table = runner.invoke(app, ["pump", "convert", "--dose-mg-per-day", "1",
                                "--from-route", "intrathecal", "--to-route", "oral"]).stdout
    assert "away from intrathecal: low ratio 10:1" in table and "WARNING Converting back" in table


def test_convert_help_names_each_rule_and_its_source():
    text = " ".join(runner.invoke(app, ["pump", "convert", "--help"]).stdout.split())
    for fragment in ("Towards intrathecal", "300 : 100 : 10 : 1", "25-50 %", "PACC 2017",
                     "Away from intrathecal", "oral 10:1, JJSPC 2023", "REFERENCE 3.5",
                     "--dose-mg-per-day", "--from-route", "--to-route", "--json"):
        assert fragment in text, fragment


@pytest.mark.parametrize(("args", "message"), [
    (["-5", "oral", "intrathecal"], "Invalid value for '--dose-mg-per-day'. Allowed range is "
                                    "(0, inf] mg/day, but got -5 mg/day"),
    (["0", "oral", "intrathecal"], "Invalid value for '--dose-mg-per-day'. Allowed range is "
                                   "(0, inf] mg/day, but got 0 mg/day"),
    (["30", "oarl", "intrathecal"], "Invalid value for '--from-route'. Allowed values are "
                                    "'oral', 'iv', 'epidural', 'intrathecal', but got 'oarl' - "
                                    "did you mean 'oral'?"),
    (["30", "oral", "intratecal"], "Invalid value for '--to-route'. Allowed values are 'oral', "
                                   "'iv', 'epidural', 'intrathecal', but got 'intratecal' - "
                                   "did you mean 'intrathecal'?"),
    (["30", "oral", "oral"], "Invalid value for '--to-route': it equals --from-route ('oral'); "
                             "nothing to convert"),
])
def test_convert_refuses_bad_input(args, message):
    dose, src, dst = args
    base = ["pump", "convert", "--dose-mg-per-day", dose, "--from-route", src, "--to-route", dst]
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_error_line(result) == message
    as_json = runner.invoke(app, [*base, "--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["message"] == message


# ----------------------------------------------------------------- pump change

def test_change_rate_both_ways():
    assert _json(["change", "rate", "--rate-ml-per-day", "0.15", "--change-percent", "20"]) == {
        "rate_ml_per_day": 0.15, "new_rate_ml_per_day": 0.18, "change_percent": 20.0}
    assert _json(["change", "rate", "--rate-ml-per-day", "0.2", "--new-rate-ml-per-day",
                  "0.15"]) == {"rate_ml_per_day": 0.2, "new_rate_ml_per_day": 0.15,
                               "change_percent": -25.0}
    table = runner.invoke(app, ["pump", "change", "rate", "--rate-ml-per-day", "0.15",
                                "--change-percent", "-50"]).stdout
    assert "0.075 mL/day" in table and "-50 %" in table


def test_change_concentration_gives_the_window_and_the_bridge():
    out = _json(["change", "concentration", "--dose-mg-per-day", "3",
                 "--old-concentration-mg-per-ml", "10", "--new-concentration-mg-per-ml", "20",
                 "--dead-space-ml", "0.25"])
    assert out["new_rate_ml_per_day"] == 0.15
    assert out["window_days"] == pytest.approx(0.25 / 0.15)
    assert out["window_dose_mg_per_day"] == 1.5 and out["window_dose_percent"] == 50.0
    assert out["direction"] == "under-dose"
    assert out["bridge_rate_ml_per_day"] == 0.3 and out["bridge_volume_ml"] == 0.25
    assert out["bridge_days"] == pytest.approx(0.25 / 0.3)
    table = runner.invoke(app, ["pump", "change", "concentration", "--dose-mg-per-day", "3",
                                "--old-concentration-mg-per-ml", "20",
                                "--new-concentration-mg-per-ml", "10", "--dead-space-ml",
                                "0.25"]).stdout
    # falling concentration: twice the dose for 0.25 / 0.3 days; bridge 0.25 / 0.15 days
    assert "6 mg/day (200 % of the dose: over-dose) for 0.833 days" in table
    assert "0.25 mL at 0.15 mL/day for 1.67 days, then 0.3 mL/day" in table


def test_change_help_names_the_rules():
    rate = " ".join(runner.invoke(app, ["pump", "change", "rate", "--help"]).stdout.split())
    assert "rate x (1 + percent / 100)" in rate and "REFERENCE 3.4" in rate
    conc = " ".join(runner.invoke(app, ["pump", "change", "concentration", "--help"]
                                  ).stdout.split())
    for fragment in ("D x C_old/C_new", "bridge bolus", "V_ds/(D/C_old)", "REFERENCE 3.4",
                     "--dead-space-ml"):
        assert fragment in conc, fragment
    assert "concentration" in runner.invoke(app, ["pump", "change", "--help"]).stdout


@pytest.mark.parametrize(("args", "message"), [
    (["rate", "--rate-ml-per-day", "0.15"], "Invalid options: give exactly one of "
     "'--change-percent' (the dose change) or '--new-rate-ml-per-day' (the new rate), but "
     "got neither"),
    (["rate", "--rate-ml-per-day", "0.15", "--change-percent", "5", "--new-rate-ml-per-day",
      "0.2"], "Invalid options: give exactly one of '--change-percent' (the dose change) or "
     "'--new-rate-ml-per-day' (the new rate), but got both"),
    (["rate", "--rate-ml-per-day", "0", "--change-percent", "5"],
     "Invalid value for '--rate-ml-per-day'. Allowed range is (0, inf] mL/day, but got 0 "
     "mL/day"),
    (["rate", "--rate-ml-per-day", "0.15", "--change-percent", "-100"],
     "Invalid value for '--change-percent'. Allowed range is (-100, inf] %, but got -100 %"),
    (["rate", "--rate-ml-per-day", "0.15", "--new-rate-ml-per-day", "-0.1"],
     "Invalid value for '--new-rate-ml-per-day'. Allowed range is (0, inf] mL/day, but got "
     "-0.1 mL/day"),
    (["concentration", "--dose-mg-per-day", "3", "--old-concentration-mg-per-ml", "10",
      "--new-concentration-mg-per-ml", "20", "--dead-space-ml", "0"],
     "Invalid value for '--dead-space-ml'. Allowed range is (0, inf] mL, but got 0 mL"),
    (["concentration", "--dose-mg-per-day", "-3", "--old-concentration-mg-per-ml", "10",
      "--new-concentration-mg-per-ml", "20", "--dead-space-ml", "0.25"],
     "Invalid value for '--dose-mg-per-day'. Allowed range is (0, inf] mg/day, but got -3 "
     "mg/day"),
    (["concentration", "--dose-mg-per-day", "3", "--old-concentration-mg-per-ml", "10",
      "--new-concentration-mg-per-ml", "10", "--dead-space-ml", "0.25"],
     "Invalid value for '--new-concentration-mg-per-ml': it equals "
     "--old-concentration-mg-per-ml (10 mg/mL); nothing changes"),
])
def test_change_refuses_bad_input(args, message):
    result = runner.invoke(app, ["pump", "change", *args])
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_error_line(result) == message
    as_json = runner.invoke(app, ["pump", "change", *args, "--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) | {"provenance": None} == {
        "status": "error", "message": message, "provenance": None}


# ----------------------------------------------------------------- constant-flow change

CF = ["change", "constant-flow", "--flow-rate-ml-per-day", "0.5", "--drug", "morphine",
      "--dead-space-ml", "0.3"]


def test_change_constant_flow_keeps_the_old_dose_for_the_window():
    # 0.3 / 0.5 = 0.6 days at 0.5 x 8 = 4 mg/day (0.3 x 8 = 2.4 mg), then 0.5 x 10 = 5
    out = _json([*CF, "--old-concentration-mg-per-ml", "8", "--new-concentration-mg-per-ml",
                 "10"])
    assert out["window_days"] == 0.6 and out["window_drug_mg"] == {"morphine": 2.4}
    assert out["window_dose_mg_per_day"] == {"morphine": 4.0}
    assert out["new_dose_mg_per_day"] == {"morphine": 5.0}
    assert [o["action"] for o in out["options"]] == ["accept_window", "empty_reservoir",
                                                     "aspirate_catheter"]
    table = runner.invoke(app, ["pump", *CF, "--old-concentration-mg-per-ml", "8",
                                "--new-concentration-mg-per-ml", "10"]).stdout
    for text in ("4 mg/day (the previous dose) for 0.6 days", "not possible on a "
                 "constant-flow pump", "Option: Accept the window", "[unverified]"):
        assert text in table, text
    help_ = " ".join(runner.invoke(app, ["pump", "change", "constant-flow", "--help"]
                                   ).stdout.split())
    assert "q x C_old continues for V_ds/q days" in help_ and "REFERENCE 3.3" in help_


@pytest.mark.parametrize(("args", "message"), [
    (["--drug", "morfine"], "Invalid value for '--drug'. Allowed values are 'morphine', "
     "'hydromorphone', 'fentanyl', 'sufentanil', 'ziconotide', 'bupivacaine', 'clonidine', "
     "'baclofen', but got 'morfine' - did you mean 'morphine'?"),
    (["--old-concentration-mg-per-ml", "-1"], "Invalid value for "
     "'--old-concentration-mg-per-ml'. Allowed range is [0, inf] mg/mL, but got -1 mg/mL"),
    (["--new-concentration-mg-per-ml", "8"], "Invalid value for "
     "'--new-concentration-mg-per-ml': it equals --old-concentration-mg-per-ml (8 mg/mL); "
     "nothing changes"),
    (["--flow-rate-ml-per-day", "0"], "Invalid value for '--flow-rate-ml-per-day'. Allowed "
     "range is (0, inf] mL/day, but got 0 mL/day"),
])
def test_change_constant_flow_refuses_bad_input(args, message):
    given = dict(zip(args[::2], args[1::2], strict=True))
    options = {"--flow-rate-ml-per-day": "0.5", "--drug": "morphine", "--dead-space-ml": "0.3",
               "--old-concentration-mg-per-ml": "8", "--new-concentration-mg-per-ml": "10",
               **given}
    result = runner.invoke(app, ["pump", "change", "constant-flow",
                                 *(x for kv in options.items() for x in kv)])
    assert result.exit_code == 2 and result.stdout == ""
    assert _one_error_line(result) == message
