"""The selection checklist (a decision aid) and the trial success rules, worked by hand
from the criteria in neuraxis/data/nacc_criteria.yaml; the complication taxonomy table."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("yaml")

from neuraxis import NeuraxisInputError
from neuraxis.registry import nacc
from neuraxis.registry.nacc import evaluate_screening, trial_success


def _scs(indications=("FBSS",), contraindications=(), psych="cleared"):
    return evaluate_screening("scs", indications=list(indications),
                              contraindications=list(contraindications), psych_outcome=psych)


def _effects(result) -> dict[str, str]:
    return {f.code: f.effect for f in result.findings}


# ---------------------------------------------------------------- data tables


@pytest.mark.parametrize("filename", ["nacc_criteria.yaml", "complication_taxonomy.yaml"])
def test_every_entry_has_a_source_and_a_verified_flag(filename: str) -> None:
    table = nacc.read_table(filename)
    entries = nacc._entries(table)
    assert len(entries) > 20
    assert all(set(e) == {"value", "source", "verified"} for _, e in entries)
    unverified = nacc.unverified_entries(filename)
    assert len(unverified) == sum(not e["verified"] for _, e in entries)


def test_unverified_criteria_are_listed() -> None:
    listed = "\n".join(nacc.unverified_entries("nacc_criteria.yaml"))
    for path in ("trial_success.rules.relief>=50%+overlap>=80%",
                 "trial_success.satisfaction_scale", "therapies.scs.indications.CRPS2",
                 "therapies.scs.contraindications.absolute.active_psychosis",
                 "therapies.itdd.psych_outcomes.cleared", "trial_success.itdd"):
        assert path in listed
    assert "trial_success.rules.relief>=50%:" not in listed  # the 50 % rule was read


def test_checklist_codes() -> None:
    scs = nacc.criteria("scs")
    assert {"FBSS", "CRPS1", "CRPS2", "PDN", "refractory_angina"} <= set(scs["indications"])
    assert "inability_to_control_device" in scs["absolute_contraindications"]
    assert "demand_pacemaker" in scs["relative_contraindications"]
    assert scs["psych_outcomes"] == ("cleared", "cleared_with_conditions", "not_cleared",
                                     "not_done")
    assert set(scs["contraindications"]) == (set(scs["absolute_contraindications"])
                                             | set(scs["relative_contraindications"]))
    assert "cancer_pain" in nacc.criteria("itdd")["indications"]
    assert nacc.success_rules()[0] == nacc.DEFAULT_RULE == "relief>=50%"
    assert nacc.analgesic_changes() == ("stopped", "decreased", "unchanged", "increased")


def test_the_taxonomy_has_the_2019_rapm_categories() -> None:
    cats = nacc.read_table("complication_taxonomy.yaml")["categories"]
    assert {k: len(v["subtypes"]) for k, v in cats.items()} == {
        "device_related": 8, "procedural": 4, "patient_complaint": 2,
        "surgically_managed": 2, "serious": 10, "other": 0}
    assert all(v["label"]["verified"] for v in cats.values())
    assert "lead_migration" in cats["device_related"]["subtypes"]


# ---------------------------------------------------------------- selection, by hand


def test_fbss_cleared_without_contraindication_is_eligible() -> None:
    r = _scs()
    assert r.status == "eligible"
    assert _effects(r) == {"FBSS": "supports", "cleared": "supports"}
    assert r.unverified == ()
    assert "does not select patients" in r.decision_aid
    assert r.criteria_table == "nacc_criteria.yaml v1"


def test_an_absolute_contraindication_excludes() -> None:
    r = _scs(contraindications=["gross_instability", "pregnancy"])
    assert r.status == "not_eligible"
    assert _effects(r)["gross_instability"] == "excludes"
    assert _effects(r)["pregnancy"] == "review"
    kinds = {f.code: f.kind for f in r.findings}
    assert kinds["gross_instability"] == "absolute_contraindication"
    assert kinds["pregnancy"] == "relative_contraindication"


@pytest.mark.parametrize("contra", ["pregnancy", "demand_pacemaker", "mri_foreseeable",
                                    "anticoagulant_or_antiplatelet"])
def test_a_relative_contraindication_needs_review(contra: str) -> None:
    assert _scs(contraindications=[contra]).status == "needs_review"


@pytest.mark.parametrize(("psych", "status"), [
    ("cleared", "eligible"), ("cleared_with_conditions", "needs_review"),
    ("not_done", "needs_review"), ("not_cleared", "not_eligible")])
def test_the_psychological_evaluation(psych: str, status: str) -> None:
    assert _scs(psych=psych).status == status


def test_indications_without_read_support_need_review() -> None:
    r = _scs(indications=["PDN"])
    assert r.status == "needs_review"
    assert _effects(r) == {"PDN": "note", "no_supported_indication": "review",
                           "cleared": "supports"}
    # CRPS type II: supported in the source's words, but the type was not read
    r = _scs(indications=["CRPS2"])
    assert r.status == "needs_review" and r.unverified == ("CRPS2",)
    assert _scs(indications=[]).status == "needs_review"


def test_a_supported_indication_is_not_held_back_by_another() -> None:
    r = _scs(indications=["FBSS", "PDN"])
    assert r.status == "eligible"
    assert _effects(r)["PDN"] == "note"


def test_intrathecal_screenings() -> None:
    r = evaluate_screening("itdd", indications=["cancer_pain"], contraindications=[],
                           psych_outcome="cleared")
    assert r.status == "eligible"
    assert r.unverified == ("cleared",)  # the PACC psychology text was not read
    r = evaluate_screening("itdd", indications=["spasticity"], contraindications=[],
                           psych_outcome="cleared")
    assert r.status == "needs_review"
    r = evaluate_screening("itdd", indications=["FBSS"],
                           contraindications=["unacceptable_surgical_risk"],
                           psych_outcome="cleared")
    assert r.status == "not_eligible" and "unacceptable_surgical_risk" in r.unverified


def test_the_result_is_plain_data() -> None:
    d = _scs(contraindications=["pregnancy"]).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["status"] == "needs_review"
    assert d["findings"][1] == {
        "code": "pregnancy", "kind": "relative_contraindication", "effect": "review",
        "text": "pregnancy", "source": "Practice Parameters 2006, 'Contraindications': relative",
        "verified": True}


def test_screening_refusals() -> None:
    with pytest.raises(NeuraxisInputError, match="but got 'sc' - did you mean 'scs'"):
        evaluate_screening("sc", indications=["FBSS"], contraindications=[],
                           psych_outcome="cleared")
    with pytest.raises(NeuraxisInputError, match="'indications'.*got 'FBS' - did you mean 'FBSS'"):
        _scs(indications=["FBS"])
    with pytest.raises(NeuraxisInputError, match="Expected a list of codes, got 'FBSS'"):
        evaluate_screening("scs", indications="FBSS", contraindications=[],
                           psych_outcome="cleared")
    with pytest.raises(NeuraxisInputError, match="'contraindications'.*but got 'demand_pacemaker'"):
        evaluate_screening("itdd", indications=["FBSS"], contraindications=["demand_pacemaker"],
                           psych_outcome="cleared")
    with pytest.raises(NeuraxisInputError, match="did you mean 'cleared'"):
        _scs(psych="clear")


# ---------------------------------------------------------------- trial success, by hand


@pytest.mark.parametrize(("relief", "success"), [
    (50, True), (50.0, True), (49.9, False), (100, True), (0, False), (-20, False),
    (None, None)])
def test_the_50_percent_rule(relief, success) -> None:
    t = trial_success(relief)
    assert t.rule == "relief>=50%" and t.success is success and t.verified
    assert t.criteria[0].required == ">= 50 %"


def test_the_30_percent_alternative() -> None:
    assert trial_success(30, rule="relief>=30%").success is True
    assert trial_success(29.5, rule="relief>=30%").success is False
    assert "IMMPACT" in trial_success(30, rule="relief>=30%").source


@pytest.mark.parametrize(("relief", "change", "satisfaction", "success"), [
    (60, "decreased", 4, True), (60, "stopped", 5, True), (50, "unchanged", 4, True),
    (60, "increased", 5, False), (60, "unchanged", 3, False), (40, "decreased", 5, False),
    (60, "decreased", None, None), (40, None, None, False)])
def test_relief_with_stable_analgesics_and_satisfaction(relief, change, satisfaction,
                                                        success) -> None:
    t = trial_success(relief, rule="relief>=50%+analgesics+satisfied",
                      analgesic_change=change, satisfaction=satisfaction)
    assert t.success is success
    assert [c.name for c in t.criteria] == ["percent_relief", "analgesic_change",
                                            "satisfaction"]
    assert any("satisfaction threshold is unverified" in w for w in t.warnings)


def test_the_overlap_rule_is_unverified() -> None:
    t = trial_success(55, rule="relief>=50%+overlap>=80%", paresthesia_overlap_pct=80)
    assert t.success is True and not t.verified
    assert any("is unverified" in w for w in t.warnings)
    assert trial_success(55, rule="relief>=50%+overlap>=80%",
                         paresthesia_overlap_pct=79.9).success is False
    t = trial_success(55, rule="relief>=50%+overlap>=80%")
    assert t.success is None
    assert "success unknown: paresthesia_overlap_pct not recorded" in t.warnings


def test_intrathecal_trials_carry_a_warning() -> None:
    t = trial_success(70, therapy="itdd")
    assert t.success is True
    assert any(w.startswith("intrathecal trial:") for w in t.warnings)
    assert trial_success(70).warnings == ()
    d = t.to_dict()
    assert json.loads(json.dumps(d)) == d and d["criteria"][0]["met"] is True


def test_trial_refusals() -> None:
    with pytest.raises(NeuraxisInputError, match="'success_rule'.*but got 'relief>=40%'"):
        trial_success(60, rule="relief>=40%")
    with pytest.raises(NeuraxisInputError, match=r"'percent_relief'.*\[-100, 100\] %"):
        trial_success(150)
    with pytest.raises(NeuraxisInputError, match="'percent_relief'.*not a number"):
        trial_success("60")
    with pytest.raises(NeuraxisInputError, match=r"'paresthesia_overlap_pct'.*\[0, 100\] %"):
        trial_success(60, paresthesia_overlap_pct=-1)
    with pytest.raises(NeuraxisInputError, match="did you mean 'decreased'"):
        trial_success(60, analgesic_change="decrease")
    with pytest.raises(NeuraxisInputError, match=r"'satisfaction'.*integers in \[1, 5\]"):
        trial_success(60, satisfaction=6)
    with pytest.raises(NeuraxisInputError, match="'satisfaction'"):
        trial_success(60, satisfaction=4.5)
    with pytest.raises(NeuraxisInputError, match="did you mean 'itdd'"):
        trial_success(60, therapy="itd")


def test_the_docs_list_every_unverified_criterion() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "registry_selection.md").read_text(
        encoding="utf-8")
    for filename in ("nacc_criteria.yaml", "complication_taxonomy.yaml"):
        for entry in nacc.unverified_entries(filename):
            assert f"`{entry.split(': ', 1)[0]}`" in doc, entry
