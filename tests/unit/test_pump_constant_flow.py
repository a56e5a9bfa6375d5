"""Constant-flow pumps: the dose follows the concentration (issue 14).

Hand-worked numbers (q the fixed rate, C the concentration, V_ds the dead space):

* previous 5 mg/day at 8 mg/mL on a 0.5 mL/day pump: the pump delivers 0.5 x 8 =
  4 mg/day; 5 mg/day would need 5 / 8 = 0.625 mL/day -> refused;
* 8 -> 10 mg/mL at 0.5 mL/day with V_ds = 0.3 mL: window 0.3 / 0.5 = 0.6 days at
  0.5 x 8 = 4 mg/day (0.3 x 8 = 2.4 mg of old drug), then 0.5 x 10 = 5 mg/day;
* a 50 cm catheter of 0.53 mm bore: pi x 0.0265^2 x 50 = 0.110309 mL -> 0.220618 days.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

import neuraxis.pump.checks
from neuraxis._validate import NeuraxisInputError
from neuraxis.pump import (
    PrescriptionRefusedError,
    check_prescription,
    plan_prescription,
    prescription_from_dict,
)
from neuraxis.pump.changes import (
    CONSTANT_FLOW_OPTIONS,
    DeadSpace,
    constant_flow_change,
    constant_flow_dose_mg_per_day,
)
from neuraxis.pump.dosing import dead_space, mixture_change, previous_doses_mg_per_day
from neuraxis.pump.findings import CHECK_IDS, NON_OVERRIDABLE, WARN_ONLY

D0 = "2025-03-03"
REASON = "Record checked against the pump label by the pain team"
CATHETER_50CM_ML = math.pi * 0.0265**2 * 50  # 0.110309 mL


def codman(*, rate=0.5, catheter_ml=None, **top):
    """Morphine 8 mg/mL in a Codman 3000 at ``rate`` mL/day (4 mg/day at 0.5 mL/day)."""
    cat = {"model": "generic_0p53mm", "length_cm": 50, "tip_level": "T10"}
    if catheter_ml is not None:
        cat["volume_ml"] = catheter_ml
    rx = {"pump": {"model": "codman_3000", "fill_date": D0, "flow_rate_ml_per_day": rate},
          "catheter": cat, "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 8}]}
    rx.update(top)
    return rx


def findings(raw):
    return {f.check: f for f in check_prescription(prescription_from_dict(raw))}


def morphine(c):
    return [{"drug": "morphine", "concentration_mg_per_ml": c}]


# ----------------------------------------------------------------- the pure numbers

def test_dose_is_rate_times_concentration():
    assert constant_flow_dose_mg_per_day(0.5, 8.0) == 4.0
    assert constant_flow_dose_mg_per_day(0.5, 0.0) == 0.0
    with pytest.raises(NeuraxisInputError, match=r"'flow_rate_ml_per_day'.*got 0"):
        constant_flow_dose_mg_per_day(0.0, 8.0)
    with pytest.raises(NeuraxisInputError, match=r"'concentration_mg_per_ml'.*got -1"):
        constant_flow_dose_mg_per_day(0.5, -1.0)


def test_concentration_change_window_8_to_10_mg_per_ml():
    c = constant_flow_change(0.5, {"morphine": 8.0}, {"morphine": 10.0}, 0.3)
    assert c.window_days == pytest.approx(0.6)  # 0.3 mL / 0.5 mL/day
    assert c.window_dose_mg_per_day == {"morphine": pytest.approx(4.0)}  # 8 x 0.5
    assert c.new_dose_mg_per_day == {"morphine": pytest.approx(5.0)}  # 10 x 0.5
    assert c.window_drug_mg == {"morphine": pytest.approx(2.4)}  # 0.3 x 8
    assert c.changed_drugs() == ("morphine",)
    assert c.dead_space.source == "given" and c.dead_space.verified and c.dead_space.complete
    d = c.to_dict()
    assert d["window_days"] == pytest.approx(0.6) and d["window_is_lower_bound"] is False
    assert d["dead_space_ml"] == 0.3 and d["flow_rate_ml_per_day"] == 0.5
    assert [o["action"] for o in d["options"]] == ["accept_window", "empty_reservoir",
                                                   "aspirate_catheter"]
    assert all(o["source"] for o in d["options"])
    json.dumps(d)


def test_down_change_and_a_drug_added_to_the_mixture():
    # 10 -> 8 mg/mL: 5 mg/day for the window, then 4; clonidine added at 100 ug/mL:
    # 0 during the window, then 0.5 x 0.1 = 0.05 mg/day (50 ug/day).
    c = constant_flow_change(0.5, {"morphine": 10.0},
                             {"morphine": 8.0, "clonidine": 0.1}, 0.25)
    assert c.window_days == pytest.approx(0.5)
    assert c.window_dose_mg_per_day == {"morphine": pytest.approx(5.0), "clonidine": 0.0}
    assert c.new_dose_mg_per_day == {"morphine": pytest.approx(4.0),
                                     "clonidine": pytest.approx(0.05)}
    assert c.changed_drugs() == ("morphine", "clonidine")
    same = constant_flow_change(0.5, {"morphine": 8.0}, {"morphine": 8.0, "clonidine": 0.1},
                                0.25)
    assert same.changed_drugs() == ("clonidine",)


def test_an_incomplete_dead_space_makes_the_window_a_lower_bound():
    ds = DeadSpace(0.3, "catheter only", verified=False, complete=False, catheter_ml=0.3)
    c = constant_flow_change(0.5, {"morphine": 8.0}, {"morphine": 10.0}, ds)
    assert c.window_days == pytest.approx(0.6) and c.dead_space is ds
    d = c.to_dict()
    assert d["window_is_lower_bound"] is True and d["dead_space_verified"] is False
    assert d["dead_space_source"] == "catheter only"


@pytest.mark.parametrize(("args", "pattern"), [
    ((0.0, {"morphine": 8}, {"morphine": 10}, 0.3), r"'flow_rate_ml_per_day'.*got 0"),
    ((0.5, {}, {"morphine": 10}, 0.3),
     r"'old_concentrations_mg_per_ml': expected a mapping \{drug: mg/mL\}"),
    ((0.5, {"morphine": 8}, [10], 0.3), r"'new_concentrations_mg_per_ml': expected a mapping"),
    ((0.5, {"morphine": -8}, {"morphine": 10}, 0.3),
     r"'old_concentrations_mg_per_ml.morphine'.*\[0, inf\] mg/mL, but got -8 mg/mL"),
    ((0.5, {"morphine": 8}, {"morphine": 10}, 0.0), r"'dead_space_ml'.*got 0"),
    ((0.5, {"morphine": 8}, {"morphine": 10}, DeadSpace(0.0)), r"'dead_space.volume_ml'"),
])
def test_bad_arguments(args, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        constant_flow_change(*args)


def test_exported_from_the_package():
    import neuraxis.pump as pump

    assert pump.constant_flow_change is constant_flow_change and pump.DeadSpace is DeadSpace
    assert pump.ConstantFlowChange is type(constant_flow_change(0.5, {"m": 1.0}, {"m": 2.0}, 0.1))
    assert {"constant_flow_change", "ConstantFlowChange", "DeadSpace"} <= set(pump.__all__)


def test_options_name_their_sources():
    by_action = {o.action: o for o in CONSTANT_FLOW_OPTIONS}
    assert by_action["accept_window"].verified
    assert "REFERENCE 3.4" in by_action["accept_window"].source
    assert not by_action["aspirate_catheter"].verified
    assert "REF 60-2914" in by_action["aspirate_catheter"].source
    assert by_action["aspirate_catheter"].cite().endswith("[unverified]")
    assert "Never inject" in by_action["aspirate_catheter"].text


# ----------------------------------------------------------------- the previous section

def test_check_ids_are_registered():
    assert "constant_flow_previous" in NON_OVERRIDABLE and "constant_flow_change" in WARN_ONLY
    assert {"constant_flow_previous", "constant_flow_change"} <= set(CHECK_IDS)
    assert len(CHECK_IDS) == len(set(CHECK_IDS))
    # every id a check emits (Finding("<id>", ...)) is registered
    src = Path(neuraxis.pump.checks.__file__).parent
    emitted = {m for f in ("checks.py", "_change_checks.py", "findings.py")
               for m in re.findall(r'Finding\(\s*"(\w+)"', (src / f).read_text("utf-8"))}
    assert {"bridge_bolus", "priming", "constant_flow_change"} <= emitted
    assert emitted <= set(CHECK_IDS), emitted - set(CHECK_IDS)


def test_previous_dose_inconsistent_with_the_fixed_rate_is_refused():
    # The example: previous 5 mg/day, now 4 mg/day at 8 mg/mL on 0.5 mL/day.
    raw = codman(basal={"dose_mg_per_day": 4}, previous={"dose_mg_per_day": 5})
    f = findings(raw)["constant_flow_previous"]
    assert f.severity == "refuse" and not f.overridable
    assert (f.limit, f.value, f.unit, f.drug) == (pytest.approx(4.0), pytest.approx(5.0),
                                                  "mg/day", "morphine")
    assert "runs at its fixed 0.5 mL/day, so morphine at 8 mg/mL delivered 4 mg/day, not " \
           "the recorded 5 mg/day (that would take 0.625 mL/day)" in f.message
    assert "REFERENCE 3.3" in f.source
    with pytest.raises(PrescriptionRefusedError,
                       match=r"\[constant_flow_previous\] previous: the Codman 3000 "
                             r"constant-flow pump runs at its fixed 0.5 mL/day.*cannot be "
                             r"overridden"):
        plan_prescription(prescription_from_dict(raw))
    with pytest.raises(NeuraxisInputError, match=r"'constant_flow_previous' is a device limit "
                                                 r"and cannot be overridden"):
        prescription_from_dict({**raw, "overrides": [{"check": "constant_flow_previous",
                                                      "reason": REASON}]})


def test_previous_dose_in_micrograms_and_with_a_concentration_change():
    # Baclofen 500 ug/mL at 0.5 mL/day delivers 250 ug/day, not the recorded 300.
    bac = [{"drug": "baclofen", "concentration_ug_per_ml": 500}]
    f = findings(codman(mixture=bac, previous={"dose_ug_per_day": 300}))
    assert "baclofen at 500 ug/mL delivered 250 ug/day, not the recorded 300 ug/day (that " \
           "would take 0.6 mL/day)" in f["constant_flow_previous"].message
    # Previous 10 mg/mL recorded as 6 mg/day: the pump gave 0.5 x 10 = 5 mg/day.
    f = findings(codman(previous={"mixture": morphine(10), "dose_mg_per_day": 6}))
    assert "morphine at 10 mg/mL delivered 5 mg/day, not the recorded 6 mg/day" in \
        f["constant_flow_previous"].message
    assert "constant_flow_change" in f  # and the change itself is reported


def test_consistent_or_tolerated_previous_passes():
    assert "constant_flow_previous" not in findings(codman(previous={"dose_mg_per_day": 4}))
    # within 0.5 %: 4.019 mg/day is 0.475 % above 4
    assert "constant_flow_previous" not in findings(codman(previous={"dose_mg_per_day": 4.019}))
    # 4.03 mg/day is 0.75 % above 4: refused
    assert "constant_flow_previous" in findings(codman(previous={"dose_mg_per_day": 4.03}))
    # a new pump: the previous one may have run at another rate
    implant = codman(previous={"dose_mg_per_day": 5}, procedure={"kind": "pump_implant"})
    assert "constant_flow_previous" not in findings(implant)
    # not a constant-flow pump: a recorded dose is a dose
    sm = {"pump": {"model": "synchromed_ii_40ml", "fill_date": D0},
          "catheter": {"model": "generic_0p53mm", "length_cm": 50, "tip_level": "T10"},
          "mixture": morphine(8), "basal": {"dose_mg_per_day": 4},
          "previous": {"dose_mg_per_day": 5}}
    assert "constant_flow_previous" not in findings(sm)


def test_titration_checks_use_the_dose_the_pump_delivered():
    # Baclofen 500 -> 1000 ug/mL on 0.5 mL/day: 250 -> 500 ug/day, +100 %, above the
    # labelled +30 % per step, although no previous dose was recorded.
    bac = codman(mixture=[{"drug": "baclofen", "concentration_ug_per_ml": 1000}],
                 previous={"mixture": [{"drug": "baclofen", "concentration_ug_per_ml": 500}]})
    rx = prescription_from_dict(bac)
    assert previous_doses_mg_per_day(rx) == {"baclofen": pytest.approx(0.25)}
    f = findings(bac)["titration_step"]
    assert "raises the dose by 100 % (250 ug -> 500 ug/day)" in f.message
    # A wrong record does not also create a phantom titration step: 300 -> 250 ug/day.
    same = codman(mixture=[{"drug": "baclofen", "concentration_ug_per_ml": 500}],
                  previous={"dose_ug_per_day": 300, "changed_on": "2025-03-01"})
    found = findings(same)
    assert "constant_flow_previous" in found
    assert "titration_step" not in found and "withdrawal_risk" not in found


# ----------------------------------------------------------------- concentration change

def test_concentration_change_is_a_warning_with_the_window_not_a_bridge_refusal():
    raw = codman(catheter_ml=0.3, mixture=morphine(10),
                 previous={"mixture": morphine(8), "dose_mg_per_day": 4})
    found = findings(raw)
    assert "bridge_bolus" not in found
    f = found["constant_flow_change"]
    assert f.severity == "warn" and f.limit is None and f.unit == "days" and f.drug == "morphine"
    assert f.value == pytest.approx(0.6)  # catheter 0.3 mL / 0.5 mL/day; tubing unknown
    assert "(fixed 0.5 mL/day): the new mixture reaches the catheter tip only when the 0.3 mL " \
           "dead space" in f.message
    assert "has run out, at least 0.6 days after the refill" in f.message  # lower bound
    assert "morphine 4 mg/day (8 mg/mL x 0.5 mL/day), then 5 mg/day" in f.message
    assert "cannot give a bridge bolus. What can be done: (1) Accept the window" in f.message
    assert "(3) Only where the pump's labelling" in f.message
    assert "REFERENCE 3.4" in f.source and "dead space [unverified]" in f.source
    assert "pump tubing not included, volume unknown" in f.source
    plan = plan_prescription(prescription_from_dict(raw))  # a warning: the plan goes on
    ch = plan.concentration_change
    assert ch.bridge is None and ch.constant_flow.window_days == pytest.approx(0.6)
    assert ch.constant_flow.window_drug_mg == {"morphine": pytest.approx(2.4)}
    assert [w.check for w in plan.warnings].count("constant_flow_change") == 1
    out = ch.to_dict()
    assert out["constant_flow"]["window_is_lower_bound"] is True
    assert out["dead_space_complete"] is False and out["bridge"] is None
    json.dumps(out)


def test_concentration_change_with_the_catheter_table_volume():
    rx = prescription_from_dict(codman(mixture=morphine(10), previous={"mixture": morphine(8)}))
    ds = dead_space(rx)
    assert ds.volume_ml == pytest.approx(CATHETER_50CM_ML) and ds.tubing_ml is None
    assert not ds.complete and not ds.verified
    cf = mixture_change(rx).constant_flow
    assert cf.window_days == pytest.approx(0.220618, abs=1e-6)  # 0.110309 / 0.5
    assert cf.window_dose_mg_per_day == {"morphine": pytest.approx(4.0)}
    assert cf.new_dose_mg_per_day == {"morphine": pytest.approx(5.0)}


def test_a_bridge_bolus_on_a_constant_flow_pump_is_refused_when_read():
    raw = codman(catheter_ml=0.3, mixture=morphine(10), previous={"mixture": morphine(8)},
                 procedure={"bridge_bolus": True})
    with pytest.raises(NeuraxisInputError, match=(
            r"^Invalid value for 'procedure.bridge_bolus': the Codman 3000 constant-flow pump "
            r"runs at one fixed rate and cannot give a bridge bolus; remove the key")):
        prescription_from_dict(raw)
    # false (or absent) says the same as the pump: accepted
    ok = prescription_from_dict({**raw, "procedure": {"bridge_bolus": False}})
    assert ok.procedure.bridge_bolus is False
    with pytest.raises(NeuraxisInputError, match="'constant_flow_change' only warns"):
        prescription_from_dict({**raw, "procedure": {}, "overrides": [
            {"check": "constant_flow_change", "reason": REASON}]})


def test_a_bridge_bolus_set_in_code_is_ignored_and_said_so():
    # A Prescription built in code skips the reader: the check and the plan still ignore it.
    raw = codman(catheter_ml=0.3, mixture=morphine(10), previous={"mixture": morphine(8)})
    rx = prescription_from_dict(raw)
    rx = dataclasses.replace(rx, procedure=dataclasses.replace(rx.procedure,
                                                               bridge_bolus=True))
    f = {x.check: x for x in check_prescription(rx)}["constant_flow_change"]
    assert "cannot give a bridge bolus (procedure.bridge_bolus is ignored)" in f.message
    plan = plan_prescription(rx)
    assert plan.extra_volume_at_fill_ml == 0.0  # no bridge volume taken from the fill
    assert plan.bridge_bolus is False
    change = plan.to_dict()["concentration_change"]
    assert change["bridge_bolus"] is False and change["bridge"] is None
    assert change["constant_flow"]["window_days"] == pytest.approx(0.6)


def test_plan_json_of_a_constant_flow_change_has_the_window_and_no_bridge():
    out = plan_prescription(prescription_from_dict(
        codman(mixture=morphine(10), previous={"mixture": morphine(8)}))).to_dict()
    change = out["concentration_change"]
    assert change["bridge_bolus"] is False
    assert (change["dead_space_verified"], change["dead_space_complete"]) == (False, False)
    assert "pump tubing not included, volume unknown" in change["dead_space_source"]
    cf = change["constant_flow"]
    assert cf["window_days"] == pytest.approx(0.220618, abs=1e-6)  # 0.110309 / 0.5
    assert cf["window_is_lower_bound"] is True
    assert (cf["window_dose_mg_per_day"], cf["new_dose_mg_per_day"]) == (
        {"morphine": 4.0}, {"morphine": 5.0})
    json.dumps(out)


def test_unchanged_concentration_gives_no_window():
    assert "constant_flow_change" not in findings(codman(previous={"mixture": morphine(8)}))
