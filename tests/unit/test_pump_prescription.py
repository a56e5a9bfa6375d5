"""Reading and validating a pump prescription: every bad input gets a clear message."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.pump import load_prescription, prescription_from_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def base(**changes):
    """Morphine 3 mg/day at 20 mg/mL in a SynchroMed II 40 mL pump (a valid prescription)."""
    rx = {"version": 1,
          "pump": {"model": "synchromed_ii_40ml", "fill_date": "2025-03-03",
                   "fill_volume_ml": 40},
          "catheter": {"model": "generic_0p53mm", "length_cm": 50, "tip_level": "T10"},
          "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20}],
          "basal": {"dose_mg_per_day": 3.0}}
    rx = copy.deepcopy(rx)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = rx
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return rx


_DELETE = object()


def test_valid_prescription_in_internal_units():
    rx = prescription_from_dict(base(catheter__tip_level="L1"))
    assert rx.dose_drug == "morphine" and rx.drugs == ("morphine",)
    assert rx.concentration_mg_per_ml("morphine") == 20
    assert rx.basal_daily_volume_ml == pytest.approx(0.15)  # 3 / 20
    assert rx.pump.fill_date == dt.date(2025, 3, 3)
    assert rx.catheter.tip_level == "L1"
    assert rx.catheter.volume_ml == pytest.approx(0.110, abs=0.001)  # pi (0.0265 cm)^2 50 cm
    assert rx.horizon_days == 365 and rx.procedure.kind == "refill"


def test_ug_keys_are_converted_to_mg():
    rx = prescription_from_dict(base(
        mixture=[{"drug": "ziconotide", "concentration_ug_per_ml": 25}],
        basal={"dose_ug_per_day": 2.4}))
    assert rx.concentration_mg_per_ml("ziconotide") == pytest.approx(0.025)
    assert rx.basal_daily_volume_ml == pytest.approx(0.096)  # 2.4 / 25


def test_rate_and_flex_schedule():
    rx = prescription_from_dict(base(basal={"mode": "flex", "segments": [
        {"start": "08:00", "end": "20:00", "rate_mg_per_hour": 0.2},
        {"start": "20:00", "end": "08:00", "rate_ml_per_day": 0.12}]}))
    # 12 h x 0.2 mg/h = 2.4 mg = 0.12 mL; 12 h at 0.12 mL/day = 0.06 mL
    assert rx.basal_daily_volume_ml == pytest.approx(0.18)
    assert [s.start_min for s in rx.segments] == [480, 1200]
    assert prescription_from_dict(base(basal={"rate_ml_per_day": 0.2})).basal_daily_volume_ml \
        == pytest.approx(0.2)


@pytest.mark.parametrize(("changes", "pattern"), [
    ({"mixture__0__drug": "morfine"}, (r"'mixture\[0\].drug'.*got 'morfine' - did you mean "
                                       r"'morphine'")),
    ({"pump__model": "synchromed_3"}, r"'pump.model'.*got 'synchromed_3'"),
    ({"catheter__model": "ascenda"}, r"'catheter.model'.*got 'ascenda'"),
    ({"catheter__tip_level": "T13"}, r"'catheter.tip_level'.*got 'T13'"),
    ({"basal": {"dose_mg_per_day": -3}}, (r"'basal.dose_mg_per_day'. Allowed range is \(0, inf\]"
                                         r", but got -3")),
    ({"basal": {"dose_mg_per_day": 0}}, r"'basal.dose_mg_per_day'. Allowed range is \(0, inf\]"),
    ({"basal": {"dose_mg_per_day": "3 mg"}}, r"'basal.dose_mg_per_day'.*not a number"),
    ({"basal": {}}, r"Invalid 'basal': missing the basal dose: 'dose_mg_per_day'"),
    ({"basal": _DELETE}, r"Invalid 'prescription': missing 'basal'"),
    ({"basal": {"dose": 3}}, r"Invalid key 'dose' in 'basal': units missing.*dose_mg_per_day"),
    ({"mixture": [{"drug": "morphine", "concentration": 20}]},
     r"Invalid key 'concentration' in 'mixture\[0\]': units missing.*concentration_mg_per_ml"),
    ({"mixture": [{"drug": "morphine"}]}, r"'mixture\[0\]': missing 'concentration_mg_per_ml'"),
    ({"basal": {"dose_mg_per_day": 3, "rate_ml_per_day": 0.15}}, "give only one of"),
    ({"basal": {"dose_mgs_per_day": 3}}, (r"'dose_mgs_per_day' in 'basal'.*did you "
                                         r"mean 'dose_mg_per_day'")),
    ({"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 30}]},
     (r"30 mg/mL is stronger than the strongest morphine vial \(25 mg/mL; Infumorph.*"
     r"compounded: true")),
    ({"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20},
                  {"drug": "clonidine", "concentration_ug_per_ml": 400}]},
     r"cannot all be drawn from their vials.*160%"),
    ({"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20},
                  {"drug": "morphine", "concentration_mg_per_ml": 10}]}, "listed twice"),
    ({"mixture": []}, r"'mixture'. Expected a list of drugs"),
    ({"dose_drug": "clonidine"}, r"'dose_drug'.*Allowed values are 'morphine'"),
    ({"pump__fill_volume_ml": 45}, r"'pump.fill_volume_ml'. Allowed range is \(2, 40\] mL"),
    ({"pump__fill_volume_ml": 2}, r"'pump.fill_volume_ml'. Allowed range is \(2, 40\] mL"),
    ({"pump__fill_date": "03/03/2025"}, r"'pump.fill_date'. Expected an ISO date"),
    ({"pump__fill_date": "2025-02-30"}, (r"'pump.fill_date'. Expected an ISO date YYYY-MM-DD, "
                                        r"but got '2025-02-30' \(day is out of range")),
    ({"pump__fill_date": "2025-13-45"}, (r"'pump.fill_date'. Expected an ISO date YYYY-MM-DD, "
                                        r"but got '2025-13-45' \(month must be in 1..12")),
    ({"pump__implant_date": "2025-06-01"}, (r"'pump.implant_date'.*\(2025-06-01\) after it is "
                                           r"filled \(pump.fill_date 2025-03-03\)")),
    ({"pump__implant_date": "2024-01-10", "pump__eri_date": "2023-12-01"},
     r"'pump.eri_date'.*\(2023-12-01\) cannot come before the implant.*2024-01-10"),
    ({"pump__fill_date": _DELETE}, r"Invalid 'pump': missing 'fill_date'"),
    ({"pump__flow_rate_ml_per_day": 0.5}, "only a constant-flow pump has a fixed rate"),
    ({"catheter__length_cm": 0}, r"'catheter.length_cm'. Allowed range is \[1, 150\] cm"),
    ({"version": 2}, r"'version'. Allowed values are 1"),
    ({"therapy_start": "yes"}, r"'therapy_start'. Allowed values are true, false"),
    ({"mri": {"field_t": 3}, "refil": {}}, (r"'refil' in 'prescription'.*did you mean "
                                           r"'refill'")),
])
def test_bad_input_is_refused_with_a_clear_message(changes, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        prescription_from_dict(base(**changes))


def test_compounded_concentration_passes_the_vial_check():
    rx = prescription_from_dict(base(mixture=[{"drug": "morphine", "concentration_mg_per_ml": 30,
                                               "compounded": True}]))
    assert rx.mixture[0].compounded


@pytest.mark.parametrize(("segments", "pattern"), [
    ([{"start": "00:00", "end": "20:00", "rate_mg_per_hour": 0.1}],
     r"must cover 24 h once.*covers 20 h \(gap 20:00-24:00\)"),
    ([{"start": "06:00", "end": "20:00", "rate_mg_per_hour": 0.1},
      {"start": "19:00", "end": "06:00", "rate_mg_per_hour": 0.05}],
     r"covers 24 h \(overlap 19:00-20:00\)"),
    ([{"start": "06:00", "end": "18:00", "rate_mg_per_hour": 0.1},
      {"start": "19:00", "end": "05:00", "rate_mg_per_hour": 0.05}],
     r"covers 22 h \(gap 05:00-06:00; gap 18:00-19:00\)"),
    ([{"start": "7am", "end": "20:00", "rate_mg_per_hour": 0.1}],
     r"'basal.segments\[0\].start'. Expected a time of day 'HH:MM'"),
    ([{"start": "06:00", "end": "06:00", "rate_mg_per_hour": 0.1},
      {"start": "06:00", "end": "07:00", "rate_mg_per_hour": 0.1}], "empty segment"),
    ([{"start": "00:00", "end": "24:00", "rate": 0.1}], r"units missing.*rate_ml_per_day"),
    ([{"start": "00:00", "end": "24:00"}], r"missing a rate: 'rate_mg_per_hour'"),
    ([{"start": "00:00", "end": "24:00", "rate_mg_per_hour": 0}], "every rate is 0"),
    ("day", r"'basal.segments'. Expected a list of segments"),
])
def test_flex_schedule_must_cover_24_hours(segments, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        prescription_from_dict(base(basal={"mode": "flex", "segments": segments}))


@pytest.mark.parametrize(("bolus", "pattern"), [
    ({"dose_mg": 0.1, "duration_min": 30, "lockout_min": 20, "max_per_day": 4},
     r"lockout \(20 min\) must be at least the bolus duration \(30 min\)"),
    ({"dose_mg": 0.1, "duration_min": 10, "lockout_min": 60, "max_per_day": 2.5},
     r"'bolus.max_per_day'. Allowed values are integers in \[1, 96\]"),
    ({"duration_min": 10, "lockout_min": 60, "max_per_day": 2},
     r"missing the bolus size: 'dose_mg'"),
    ({"dose_mg": -0.1, "duration_min": 10, "lockout_min": 60, "max_per_day": 2},
     r"'bolus.dose_mg'. Allowed range is \(0, inf\]"),
    ({"dose_mg": 0.1, "duration": 10, "lockout_min": 60, "max_per_day": 2},
     r"Invalid key 'duration' in 'bolus': units missing.*duration_min"),
])
def test_bad_bolus(bolus, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        prescription_from_dict(base(bolus=bolus))


def test_bolus_lockout_bounds_the_boluses_per_day():
    rx = prescription_from_dict(base(bolus={"dose_mg": 0.2, "duration_min": 10,
                                            "lockout_min": 480, "max_per_day": 6}))
    assert rx.bolus.volume_ml == pytest.approx(0.01)  # 0.2 mg / 20 mg/mL
    assert rx.bolus.max_boluses_per_day == 3  # 24 h / 8 h


@pytest.mark.parametrize(("section", "pattern"), [
    ({"titration": {"steps": [{"date": "2025-03-01", "dose_mg_per_day": 3.5}]}},
     r"'titration.steps\[0\].date': 2025-03-01 must come after 2025-03-03"),
    ({"titration": {"steps": [{"date": "2025-03-10", "dose_mg_per_day": 3.5},
                              {"date": "2025-03-10", "dose_mg_per_day": 4}]}},
     r"'titration.steps\[1\].date'.*must come after 2025-03-10"),
    ({"titration": {"steps": []}}, r"'titration.steps'. Expected a list"),
    ({"titration": {"steps": [{"date": "2025-03-10", "change_percent": -100}]}},
     r"'titration.steps\[0\].change_percent'. Allowed range is \(-100, inf\] %"),
    ({"previous": {"dose_mg_per_day": 2, "changed_on": "2025-04-01"}},
     r"'previous.changed_on': 2025-04-01 is after the fill date"),
    ({"previous": {"mixture": [{"drug": "hydromorphone", "concentration_mg_per_ml": 5}],
                   "dose_mg_per_day": 1}}, r"its dose refers to 'morphine'"),
    ({"procedure": {"expected_residual_ml": 10}}, "give both expected_residual_ml"),
    ({"procedure": {"kind": "refil"}}, r"'procedure.kind'.*did you mean 'refill'"),
    ({"procedure": {"empty_catheter_length_cm": 10}}, "only for kind: catheter_revision"),
    ({"procedure": {"kind": "catheter_revision", "empty_catheter_length_cm": 60}},
     r"'procedure.empty_catheter_length_cm'. Allowed range is \(0, 50\] cm"),
    ({"mri": {"date": "2025-04-01"}}, r"Invalid 'mri': missing 'field_t'"),
    ({"refill": {"max_interval_days": 0}}, r"'refill.max_interval_days'. Allowed range is \[1"),
    ({"overrides": [{"check": "max_concentration", "reason": "ok"}]},
     r"'overrides\[0\].reason': an override needs a written reason"),
    ({"overrides": [{"check": "max_conc", "reason": "a long enough reason"}]},
     r"'overrides\[0\].check'.*did you mean 'max_concentration'"),
    ({"overrides": [{"check": "min_flow", "reason": "a long enough reason"}]},
     "'min_flow' is a device limit and cannot be overridden"),
    ({"overrides": [{"check": "granuloma_risk", "reason": "a long enough reason"}]},
     "'granuloma_risk' only warns"),
])
def test_bad_sections(section, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        prescription_from_dict(base(**section))


def test_titration_steps_by_dose_or_percent():
    rx = prescription_from_dict(base(titration={"steps": [
        {"date": "2025-03-10", "change_percent": 20},
        {"date": "2025-03-17", "dose_mg_per_day": 4.0}]}))
    assert [v for _, v in rx.volume_timeline()] == pytest.approx([0.15, 0.18, 0.2])


def test_compounded_strengths_still_need_compounded_true():
    # Bupivacaine 10 mg/mL is a usual compounded strength, above the 7.5 mg/mL vial.
    bupi = [{"drug": "bupivacaine", "concentration_mg_per_ml": 10}]
    with pytest.raises(NeuraxisInputError, match=r"'mixture\[0\].concentration_mg_per_ml': 10 "
                                                 r"mg/mL is stronger than the strongest "
                                                 r"bupivacaine vial \(7.5 mg/mL; Commercial"):
        prescription_from_dict(base(mixture=bupi, basal={"dose_mg_per_day": 2}))
    rx = prescription_from_dict(base(mixture=[{**bupi[0], "compounded": True}],
                                     basal={"dose_mg_per_day": 2}))
    assert rx.mixture[0].compounded and rx.basal_daily_volume_ml == pytest.approx(0.2)


def test_constant_flow_pump():
    codman = {"pump": {"model": "codman_3000", "fill_date": "2025-03-03",
                       "flow_rate_ml_per_day": 0.5}}
    rx = prescription_from_dict({**base(), **codman, "basal": None,
                                 "mixture": [{"drug": "morphine",
                                              "concentration_mg_per_ml": 10}]})
    assert rx.basal_daily_volume_ml == 0.5 and rx.pump.fill_volume_ml == 30
    with pytest.raises(NeuraxisInputError, match=r"changes the dose only through the "
                       r"concentration. At its fixed 0.5 mL/day, 10 mg/mL delivers 5 mg/day; "
                       r"for 3 mg/day the morphine concentration must be 6 mg/mL"):
        prescription_from_dict({**base(), **codman, "mixture": [
            {"drug": "morphine", "concentration_mg_per_ml": 10}]})
    bad = [({"pump": {"model": "codman_3000", "fill_date": "2025-03-03"}},
            "missing 'flow_rate_ml_per_day'; the Codman 3000 constant-flow pump runs at a fixed"),
           ({**codman, "basal": {"mode": "flex"}}, "constant-flow pump has one fixed rate"),
           ({**codman, "basal": None, "bolus": {"dose_mg": 0.1, "duration_min": 5,
                                                 "lockout_min": 60, "max_per_day": 2}},
            "cannot give patient boluses"),
           ({**codman, "basal": None, "titration": {"steps": []}},
            "changes the dose only through the concentration, at a refill")]
    for changes, pattern in bad:
        with pytest.raises(NeuraxisInputError, match=pattern):
            prescription_from_dict({**base(), **changes})


def test_yaml_file_times_stay_text_and_errors_name_the_line(tmp_path):
    # Unquoted 22:30 is the integer 1350 in YAML 1.1; the loader keeps it a time.
    path = tmp_path / "rx.yaml"
    path.write_text(
        "pump: {model: synchromed_ii_20ml, fill_date: 2025-03-03}\n"
        "catheter: {model: generic_0p53mm, length_cm: 40, tip_level: T10}\n"
        "mixture: [{drug: morphine, concentration_mg_per_ml: 10}]\n"
        "basal:\n  mode: flex\n  segments:\n"
        "    - {start: 07:00, end: 22:30, rate_mg_per_hour: 0.1}\n"
        "    - {start: 22:30, end: 07:00, rate_mg_per_hour: 0.05}\n")
    rx = load_prescription(path)
    assert [(s.start_min, s.duration_min) for s in rx.segments] == [(420, 930), (1350, 510)]
    path.write_text("pump: {model: synchromed_ii_20ml\nbasal: 3\n")
    with pytest.raises(NeuraxisInputError, match=r"Invalid YAML in '.*rx.yaml' \(line 2"):
        load_prescription(path)
    path.write_text("- just a list\n")
    with pytest.raises(NeuraxisInputError, match="'prescription'. Expected a mapping"):
        load_prescription(path)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_prescription(tmp_path / "missing.yaml")


def test_implant_on_the_fill_date_is_accepted():
    rx = prescription_from_dict(base(pump__implant_date="2025-03-03"))
    assert rx.pump.implant_date == rx.pump.fill_date == dt.date(2025, 3, 3)


@pytest.mark.parametrize(("text", "pattern"), [
    ("2025-02-30", r"'pump.fill_date'.*YYYY-MM-DD.*'2025-02-30' \(day is out of range"),
    ("2025-13-45", r"'pump.fill_date'.*YYYY-MM-DD.*'2025-13-45' \(month must be in 1..12"),
])
def test_impossible_unquoted_yaml_date_names_the_field(tmp_path, text, pattern):
    """PyYAML itself fails on an impossible date without naming the field; the loader keeps
    it as text so that the field check reports it."""
    source = (EXAMPLES / "pump_morphine_40ml.yaml").read_text(encoding="utf-8")
    assert "fill_date: 2025-03-03\n" in source
    path = tmp_path / "rx.yaml"
    path.write_text(source.replace("fill_date: 2025-03-03\n", f"fill_date: {text}\n"))
    with pytest.raises(NeuraxisInputError, match=pattern):
        load_prescription(path)


def test_folder_and_binary_files_are_refused(tmp_path):
    with pytest.raises(NeuraxisInputError, match="is a folder"):
        load_prescription(tmp_path)
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(NeuraxisInputError, match=r"'.*scan.png': not a text file"):
        load_prescription(png)
    nul = tmp_path / "data.bin"
    nul.write_bytes(b"PNG\x00\x01\x02")  # valid UTF-8, yet binary
    with pytest.raises(NeuraxisInputError, match=r"'.*data.bin': not a text file"):
        load_prescription(nul)


@pytest.mark.parametrize("name", ["pump_morphine_40ml", "pump_ziconotide_titration",
                                  "pump_flex_boluses", "pump_concentration_change"])
def test_examples_load(name):
    rx = load_prescription(EXAMPLES / f"{name}.yaml")
    assert rx.catheter.tip_level in ("T9", "T10", "T11")


def test_the_documented_format_parses():
    """The YAML block of docs/pump.md is a valid prescription (the docs cannot rot)."""
    import re

    import yaml

    from neuraxis.pump._fields import yaml_loader

    text = (EXAMPLES.parent / "docs" / "pump.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    rx = prescription_from_dict(yaml.load(block, Loader=yaml_loader()))
    assert rx.catheter.tip_level == "T10" and len(rx.titration) == 2
    assert rx.previous.mixture[0].concentration_mg_per_ml == 10
    assert rx.overrides[0].check == "max_concentration"
