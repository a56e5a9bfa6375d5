"""Safety checks: every refusal path, overrides recorded with their reason, warnings."""

from __future__ import annotations

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.pump import (
    PrescriptionRefusedError,
    check_prescription,
    prescription_from_dict,
)

REASON = "Palliative care, documented tolerance; approved by the pain team 2025-03-01"
D0 = "2025-03-03"


@pytest.fixture
def checks_of(pump_rx_dict):
    """``checks_of(**sections)``: the findings of the reference prescription, by check id."""
    return lambda **top: {f.check: f for f in check_prescription(
        prescription_from_dict(pump_rx_dict(**top)))}


ZICONOTIDE = {"pump": {"model": "synchromed_ii_20ml", "fill_date": D0},
              "mixture": [{"drug": "ziconotide", "concentration_ug_per_ml": 25}],
              "basal": {"dose_ug_per_day": 2.4}}
BACLOFEN = {"pump": {"model": "synchromed_ii_20ml", "fill_date": D0},
            "mixture": [{"drug": "baclofen", "concentration_ug_per_ml": 500}],
            "basal": {"dose_ug_per_day": 300}}


def _step(date, **dose):
    return {"date": date, **dose}


# Each case: prescription changes, check id, pattern of the one-line refusal.
REFUSALS = {
    "max_concentration": (
        {"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 25}]},
        (r"\[max_concentration\] Morphine 25 mg/mL is above the consensus maximum concentration "
         r"20 mg/mL \(PACC 2017.*\[unverified\]\)")),
    "max_daily_dose": (
        {"basal": {"dose_mg_per_day": 16}},
        (r"\[max_daily_dose\] Morphine: the largest possible daily dose, 16 mg/day \(basal\), is "
         r"above the consensus maximum 15 mg/day \(PACC 2017")),
    "max_daily_dose_with_boluses": (
        {"basal": {"dose_mg_per_day": 14},
         "bolus": {"dose_mg": 0.5, "duration_min": 10, "lockout_min": 120, "max_per_day": 4}},
        (r"largest possible daily dose, 16 mg/day \(basal \+ 4 boluses\), is above the consensus "
         r"maximum 15 mg/day")),
    "max_daily_dose_ziconotide": (
        {**ZICONOTIDE, "mixture": [{"drug": "ziconotide", "concentration_ug_per_ml": 100}],
         "basal": {"dose_ug_per_day": 20}},
        (r"Ziconotide: the largest possible daily dose, 20 ug/day \(basal\), is above the "
         r"consensus maximum 19.2 ug/day")),
    "min_flow": (
        {**ZICONOTIDE, "basal": {"dose_ug_per_day": 1.0}},
        (r"\[min_flow\] Basal rate 0.04 mL/day is below the Medtronic SynchroMed II 8637-20 "
         r"minimum flow 0.048 mL/day \(SynchroMed II minimum flow.*At 25 ug/mL of ziconotide the "
         r"lowest continuous dose is 1.2 ug/day: dilute the mixture or raise the dose")),
    "min_flow_flex_segment": (
        {"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 10}],
         "basal": {"mode": "flex", "segments": [
             {"start": "07:00", "end": "22:00", "rate_mg_per_hour": 0.1},
             {"start": "22:00", "end": "07:00", "rate_mg_per_hour": 0.0125}]}},
        r"Basal rate 0.03 mL/day in the segment from 22:00 is below the .* minimum flow"),
    "titration_step_ziconotide": (
        {**ZICONOTIDE, "titration": {"steps": [_step("2025-03-10", dose_ug_per_day=5.4)]}},
        (r"\[titration_step\] Ziconotide: the step on 2025-03-10 from 2.4 ug to 5.4 ug/day "
         r"\(\+3 ug/day\) is above the limit \+2.4 ug/day per step \(Prialt label")),
    "titration_step_baclofen": (
        {**BACLOFEN, "titration": {"steps": [_step("2025-03-04", dose_ug_per_day=420)]}},
        (r"Baclofen: the step on 2025-03-04 raises the dose by 40 % .*above the limit \+30 % per "
         r"step \(Baclofen label")),
    "titration_step_baclofen_cerebral": (
        {**BACLOFEN, "patient": {"spasticity_origin": "cerebral"},
         "titration": {"steps": [_step("2025-03-04", dose_ug_per_day=360)]}},
        r"raises the dose by 20 % .*above the limit \+15 % per step \(cerebral origin or child\)"),
    "titration_step_previous_dose": (
        {**BACLOFEN, "previous": {"dose_ug_per_day": 200, "changed_on": "2025-02-01"}},
        r"Baclofen: the step on 2025-03-03 raises the dose by 50 %"),
    "titration_frequency_per_week": (
        {**ZICONOTIDE, "basal": {"dose_ug_per_day": 1.2},
         "titration": {"steps": [_step(f"2025-03-0{d}", dose_ug_per_day=1.2 + 0.5 * i)
                                 for i, d in enumerate((4, 5, 6, 7), start=1)]}},
        (r"\[titration_frequency\] Ziconotide: 4 dose increases within 7 days \(2025-03-04, "
         r"2025-03-05, 2025-03-06, 2025-03-07\), more than 3 a week \(Prialt label")),
    "titration_frequency_interval": (
        {**BACLOFEN, "previous": {"dose_ug_per_day": 280, "changed_on": D0}},
        r"Baclofen: dose changes on 2025-03-03 and 2025-03-03 are less than 1 day\(s\) apart"),
    "bridge_bolus": (
        {"previous": {"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 10}]}},
        (r"\[bridge_bolus\] Concentration change without a bridge bolus: the old mixture in the "
         r"0.37 mL dead space \(pump tubing 0.26 mL .* runs at the new rate 0.15 mL/day for 2.47 "
         r"days, delivering morphine 1.5 mg/day instead of 3 mg/day \(50 %\), under-dose. Program "
         r"a bridge bolus of 0.37 mL at 0.3 mL/day for 1.23 days")),
    "bridge_bolus_down": (
        {"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 10}],
         "previous": {"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20}]}},
        r"delivering morphine 6 mg/day instead of 3 mg/day \(200 %\), over-dose"),
    "bridge_bolus_baclofen": (
        {**BACLOFEN, "previous": {"mixture": [{"drug": "baclofen",
                                               "concentration_ug_per_ml": 50}]}},
        (r"baclofen 30 ug/day instead of 300 ug/day \(10 %\), under-dose - baclofen withdrawal "
         r"can be fatal")),
    "refill_discrepancy_20ml": (
        {"pump": {"model": "synchromed_ii_20ml", "fill_date": D0},
         "procedure": {"expected_residual_ml": 10.0, "measured_residual_ml": 8.5}},
        (r"\[refill_discrepancy\] Measured residual 8.5 mL differs from the expected 10 mL by "
         r"1.5 mL, more than 1 mL for the 20 mL .*\(Maino 2017.*less drug came back.*pocket fill")),
    "refill_discrepancy_40ml": (
        {"procedure": {"expected_residual_ml": 10.0, "measured_residual_ml": 12.5}},
        r"by 2.5 mL, more than 2 mL for the 40 mL .*more drug came back.*withdrawal"),
    "pump_drug_concentration": (
        {"pump": {"model": "codman_3000", "fill_date": D0, "flow_rate_ml_per_day": 0.5},
         "basal": None, "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 12}]},
        (r"\[pump_drug_concentration\] Morphine 12 mg/mL is above 10 mg/mL, the limit for this "
         r"drug in the Codman 3000 constant-flow pump \(Codman")),
    "mri_field": (
        {"pump": {"model": "prometra_ii_20ml", "fill_date": D0},
         "mri": {"date": "2025-04-01", "field_t": 3.0}},
        (r"\[mri_field\] The MRI on 2025-04-01 at field 3 T exceeds the Flowonix Prometra II 20 mL "
         r"\(REF 13827\) limit 1.5 T \(Prometra: MRI at 1.5 T only")),
    "mri_gradient": (
        {"pump": {"model": "prometra_ii_40ml", "fill_date": D0},
         "mri": {"field_t": 1.5, "spatial_gradient_g_per_cm": 2500}},
        r"at spatial gradient 2500 G/cm exceeds .* limit 2000 G/cm"),
    "constant_flow_previous": (  # issue 14: 0.5 mL/day x 8 mg/mL = 4 mg/day, not 5
        {"pump": {"model": "codman_3000", "fill_date": D0, "flow_rate_ml_per_day": 0.5},
         "basal": None, "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 8}],
         "previous": {"dose_mg_per_day": 5}},
        (r"\[constant_flow_previous\] previous: the Codman 3000 constant-flow pump runs at its "
         r"fixed 0.5 mL/day, so morphine at 8 mg/mL delivered 4 mg/day, not the recorded 5 "
         r"mg/day \(that would take 0.625 mL/day\)")),
}
OVERRIDABLE = {k for k in REFUSALS
               if not k.startswith(("min_flow", "mri_", "constant_flow_previous"))}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_every_refusal(case, pump_plan_of):
    changes, pattern = REFUSALS[case]
    with pytest.raises(PrescriptionRefusedError, match=pattern) as info:
        pump_plan_of(**changes)
    assert isinstance(info.value, NeuraxisInputError)
    assert str(info.value).startswith("Prescription refused (1 problem): [")
    assert "\n" not in str(info.value)
    (finding,) = info.value.findings
    assert finding.severity == "refuse" and finding.source and finding.message in str(info.value)
    assert finding.overridable == (case in OVERRIDABLE)


@pytest.mark.parametrize("case", sorted(OVERRIDABLE))
def test_override_with_a_reason_lifts_the_refusal_and_is_recorded(case, pump_rx_dict, pump_plan_of):
    changes, _ = REFUSALS[case]
    rx = prescription_from_dict(pump_rx_dict(**changes))
    (finding,) = [f for f in check_prescription(rx) if f.severity == "refuse"]
    check = finding.check
    plan = pump_plan_of(**changes, overrides=[{"check": check, "reason": REASON}])
    (applied,) = plan.overrides
    assert applied.finding.check == check and applied.reason == REASON
    record = plan.to_dict()["overrides"][0]
    assert record["severity"] == "overridden" and record["reason"] == REASON
    assert record["message"] == finding.message and record["source"] == finding.source


def test_override_for_another_drug_does_not_apply(pump_plan_of):
    mix = [{"drug": "morphine", "concentration_mg_per_ml": 25, "compounded": True},
           {"drug": "clonidine", "concentration_ug_per_ml": 100}]
    with pytest.raises(PrescriptionRefusedError, match=r"\[max_concentration\] Morphine 25"):
        pump_plan_of(mixture=mix, overrides=[{"check": "max_concentration", "drug": "clonidine",
                                              "reason": REASON}])
    plan = pump_plan_of(mixture=mix, overrides=[{"check": "max_concentration", "drug": "morphine",
                                                 "reason": REASON}])
    assert [o.finding.drug for o in plan.overrides] == ["morphine"]
    assert plan.dose_per_drug_mg_per_day["clonidine"] == pytest.approx(0.012)  # 0.12 mL x 0.1


def test_several_refusals_in_one_line(pump_plan_of):
    with pytest.raises(PrescriptionRefusedError, match=r"refused \(2 problems\): "
                       r"\[max_concentration\].*; \[max_daily_dose\]") as info:
        pump_plan_of(mixture=[{"drug": "morphine", "concentration_mg_per_ml": 25}],
                     basal={"dose_mg_per_day": 16})
    assert len(info.value.findings) == 2


def test_unused_override_warns(pump_plan_of):
    plan = pump_plan_of(overrides=[{"check": "titration_step", "reason": REASON}])
    (w,) = [w for w in plan.warnings if w.check == "override_unused"]
    assert "lifts nothing" in w.message


def test_bridge_bolus_programmed_passes(pump_plan_of):
    plan = pump_plan_of(previous={"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 10}]},
                        procedure={"bridge_bolus": True})
    assert plan.concentration_change.bridge.bridge_rate_ml_per_day == pytest.approx(0.3)
    assert not plan.overrides


def test_within_limits_passes(pump_plan_of):
    # exactly at the limits: 20 mg/mL, 15 mg/day, 0.048 mL/day, +2.4 ug, 3 steps a week,
    # +30 % a day, 1 mL discrepancy in a 20 mL pump
    pump_plan_of(basal={"dose_mg_per_day": 15})
    pump_plan_of(**{**ZICONOTIDE, "basal": {"dose_ug_per_day": 1.2}})
    pump_plan_of(**{**ZICONOTIDE, "titration": {"steps": [
        _step("2025-03-04", dose_ug_per_day=4.8), _step("2025-03-06", dose_ug_per_day=7.2),
        _step("2025-03-08", dose_ug_per_day=9.6), _step("2025-03-11", dose_ug_per_day=12.0)]}})
    pump_plan_of(**{**BACLOFEN, "titration": {"steps": [_step("2025-03-04", dose_ug_per_day=390)]}})
    pump_plan_of(pump={"model": "synchromed_ii_20ml", "fill_date": D0},
                 procedure={"expected_residual_ml": 10.0, "measured_residual_ml": 9.0})


# ----------------------------------------------------------------- warnings

def test_warnings_name_their_limit_and_source(checks_of):
    found = checks_of(mixture=[{"drug": "morphine", "concentration_mg_per_ml": 20}])
    assert found["granuloma_risk"].severity == "warn"
    assert "rises at 20 mg/mL and above" in found["granuloma_risk"].message
    found = checks_of(mixture=[{"drug": "bupivacaine", "concentration_mg_per_ml": 20,
                                "compounded": True}], basal={"dose_mg_per_day": 16})
    assert "above 15 mg/day" in found["caution_daily_dose"].message
    assert found["stability_unknown"].severity == "warn"
    found = checks_of(**ZICONOTIDE, therapy_start=True)
    assert "above the starting dose range (up to 1.2 ug/day" in found["start_dose"].message
    found = checks_of(**{**ZICONOTIDE, "basal": {"dose_ug_per_day": 1.2}, "titration": {
        "steps": [_step("2025-03-10", dose_ug_per_day=2.2)]}})
    assert "+1 ug/day within the 7 days from 2025-03-10" in \
        found["titration_consensus"].message
    found = checks_of(**{**BACLOFEN, "basal": {"dose_ug_per_day": 1000}})
    assert "above the usual maintenance range for spasticity of spinal origin " \
           "(300-800 ug/day" in found["maintenance_range"].message
    found = checks_of(**{**BACLOFEN, "titration": {"steps": [
        _step("2025-03-04", dose_ug_per_day=150)]}})
    assert "lowers the dose by 50 %" in found["withdrawal_risk"].message
    assert "can be fatal" in found["withdrawal_risk"].message


def test_device_warnings(checks_of):
    found = checks_of(pump={"model": "synchromed_ii_40ml", "fill_date": D0,
                            "eri_date": "2025-02-20"}, mri={"field_t": 3})
    assert "the pump stops by 2025-05-21" in found["battery"].message  # ERI + 90 d
    assert "stalls the pump rotor" in found["mri_precautions"].message
    found = checks_of(pump={"model": "synchromed_ii_40ml", "fill_date": D0,
                            "implant_date": "2020-06-01"})
    assert "earliest end is 2025-06-01, plan the replacement from 2024-12-01" in \
        found["battery"].message
    found = checks_of(pump={"model": "prometra_ii_20ml", "fill_date": D0},
                      mri={"field_t": 1.5})
    assert "empty the pump before the scan" in found["mri_precautions"].message
    assert "mri_field" not in found
    found = checks_of(pump={"model": "codman_3000", "fill_date": D0,
                            "flow_rate_ml_per_day": 0.3}, basal=None)
    assert "about 10 %/degC" in found["flow_tolerance"].message
    found = checks_of(procedure={"kind": "catheter_revision", "empty_catheter_length_cm": 20})
    assert "Priming bolus 0.0441 mL (tubing 0 + catheter 0.0441 mL)" in \
        found["priming"].message  # 20 cm x 0.0022 mL/cm
    assert found["priming"].source == "REFERENCE 3.4 (priming)"  # catheter table verified


def test_unverified_tubing_volumes_are_said_so(checks_of):
    # Pump implant: SynchroMed II tubing 0.26 mL (a placeholder) + 50 cm x 0.002206 mL/cm.
    found = checks_of(procedure={"kind": "pump_implant"})
    prime = found["priming"]
    assert prime.value == pytest.approx(0.26 + 0.110309, abs=1e-6)
    assert "Priming bolus 0.37 mL (tubing 0.26 + catheter 0.11 mL; the volume is not " \
           "verified: pump tubing 0.26 mL (Placeholder" in prime.message
    assert "[unverified]" in prime.message and "volumes [unverified]" in prime.source
    # Concentration change on the same pump: the bridge refusal's source says it too.
    found = checks_of(previous={"mixture": [{"drug": "morphine", "concentration_mg_per_ml": 10}]})
    bridge = found["bridge_bolus"]
    assert bridge.source.startswith("REFERENCE 3.4 (bridge bolus")
    assert "; dead space [unverified]: pump tubing 0.26 mL (Placeholder" in bridge.source
    # Prometra: its 0.2 mL placeholder, flagged the same way.
    found = checks_of(pump={"model": "prometra_ii_20ml", "fill_date": D0},
                      procedure={"kind": "pump_implant"})
    assert "tubing 0.2 + catheter 0.11 mL; the volume is not verified: pump tubing 0.2 mL " \
           "(Placeholder" in found["priming"].message
    # Codman: tubing unknown, the priming says it is not included.
    found = checks_of(pump={"model": "codman_3000", "fill_date": D0,
                            "flow_rate_ml_per_day": 0.3}, basal=None,
                      procedure={"kind": "pump_implant"})
    assert "tubing 0 + catheter 0.11 mL; the volume is not verified: pump tubing not " \
           "included, volume unknown" in found["priming"].message
