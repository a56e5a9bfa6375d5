"""Drug and pump tables (neuraxis/data/drugs.yaml, pumps.yaml): sources, units, values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy import read_table
from neuraxis.pump import (
    catheter_names,
    drug_names,
    load_catheter,
    load_drug,
    load_pump,
    pump_names,
)

SRC = Path(__file__).resolve().parents[2] / "src"
UNIT_SUFFIXES = ("_mg", "_mg_per_ml", "_mg_per_day", "_mg_per_week", "_ml", "_ml_per_day",
                 "_percent", "_days", "_years", "_months", "_t", "_g_per_cm", "_mm",
                 "_per_week", "_per_deg_c", "_precautions")

# Typed in from REFERENCE 3.1 (PACC 2017, Deer et al. 2017), converted to mg by hand:
# (max concentration mg/mL, max daily dose mg, start range mg/day, trial bolus range mg).
PACC_MG = {
    "morphine": (20, 15, (0.1, 0.5), (0.1, 0.5)),
    "hydromorphone": (15, 10, (0.01, 0.15), (0.025, 0.1)),
    "fentanyl": (10, 1.0, (0.025, 0.075), (0.015, 0.075)),
    "sufentanil": (5, 0.5, (0.01, 0.02), (0.005, 0.02)),
    "ziconotide": (0.1, 0.0192, (0.0005, 0.0012), (0.001, 0.005)),
    "bupivacaine": (30, 20, (0.01, 4), (0.5, 2.5)),
    "clonidine": (1.0, 0.6, (0.02, 0.1), (0.005, 0.02)),
}


def _value_entries():
    drugs = read_table("drugs.yaml")
    pumps = read_table("pumps.yaml")
    attrs = {"name", "drug_class", "indication", "display_unit", "kind", "supports_boluses",
             "supports_flex"}
    for section, table in (("drugs", drugs["drugs"]), ("pumps", pumps["pumps"]),
                           ("catheters", pumps["catheters"])):
        for name, entry in table.items():
            for key, value in entry.items():
                if key not in attrs:
                    yield f"{section}.{name}.{key}", key, value
    for i, mix in enumerate(drugs["mixtures"]):
        yield f"mixtures[{i}]", "stability_days", mix["stability_days"]
    for block, routes in drugs["conversions"].items():
        if "value" in routes:
            yield f"conversions.{block}", block, routes
        else:
            for route, value in routes.items():
                yield f"conversions.{block}.{route}", block, value


def test_tables_are_versioned():
    assert read_table("drugs.yaml")["version"] == 1
    assert read_table("pumps.yaml")["version"] == 1


def test_every_value_has_a_source_and_a_verified_flag():
    n = 0
    for where, key, entry in _value_entries():
        n += 1
        assert isinstance(entry, dict) and set(entry) == {"value", "source", "verified"}, where
        assert isinstance(entry["source"], str) and len(entry["source"]) > 10, where
        assert isinstance(entry["verified"], bool), where
        if not where.startswith("conversions"):
            assert key.endswith(UNIT_SUFFIXES), f"{where}: no unit in the key name"
        text = entry["source"].lower()
        if any(w in text for w in ("placeholder", "derived", "inferred", "assigned")):
            assert entry["verified"] is False, f"{where}: a placeholder marked verified"
        if entry["value"] is None:
            assert entry["verified"] is False, where
    assert n > 100


def test_pacc_table_is_marked_unverified():
    """REFERENCE 3.1: the whole PACC 2017 table is unverified."""
    pacc = [where for where, _, e in _value_entries() if "PACC 2017" in e["source"]]
    assert len(pacc) >= 28
    for where, _, entry in _value_entries():
        if "PACC 2017" in entry["source"]:
            assert entry["verified"] is False, where


@pytest.mark.parametrize("drug", sorted(PACC_MG))
def test_pacc_values_match_the_reference(drug):
    conc, daily, start, trial = PACC_MG[drug]
    spec = load_drug(drug)
    assert spec.value("max_concentration_mg_per_ml") == pytest.approx(conc)
    assert spec.value("max_daily_dose_mg") == pytest.approx(daily)
    assert spec.value("start_dose_range_mg_per_day") == pytest.approx(list(start))
    assert spec.value("trial_bolus_range_mg") == pytest.approx(list(trial))


def test_label_and_pump_facts():
    zic = load_drug("ziconotide")
    assert zic.display_unit == "ug" and zic.fmt(0.0024, "day") == "2.4 ug/day"
    assert zic.value("strengths_mg_per_ml") == pytest.approx([0.025, 0.1])
    assert zic.value("titration_max_step_mg_per_day") == pytest.approx(0.0024)
    assert zic.value("titration_max_steps_per_week") == 3
    assert load_drug("baclofen").value("titration_max_step_percent") == 30
    assert load_drug("baclofen").value("titration_max_step_cerebral_or_child_percent") == 15
    assert load_drug("morphine").value("strengths_mg_per_ml") == [10, 25]
    for size in (20, 40):
        sm = load_pump(f"synchromed_ii_{size}ml")
        assert sm.kind == "programmable" and sm.reservoir_volume_ml == size
        assert sm.value("min_flow_ml_per_day") == pytest.approx(0.048)
        assert sm.value("refill_discrepancy_limit_ml") == size / 20  # 1 mL / 2 mL, Maino 2017
        assert load_pump(f"prometra_ii_{size}ml").kind == "valve_gated"
        assert load_pump(f"prometra_ii_{size}ml").low_reservoir_volume_ml == 3.0
    assert load_pump("codman_3000").kind == "constant_flow"
    assert not load_pump("codman_3000").supports_boluses


def test_catheter_volume_from_the_bore():
    # REFERENCE 3.4: 0.53 mm ID -> 0.0022 mL/cm; 50 cm -> 0.11 mL (hand: pi * 0.0265^2).
    cat = load_catheter("generic_0p53mm")
    assert cat.volume_ml_per_cm == pytest.approx(0.0022, abs=5e-5)
    assert 50 * cat.volume_ml_per_cm == pytest.approx(0.11, abs=0.001)


def test_names_and_unknown_names():
    assert {"morphine", "hydromorphone", "fentanyl", "sufentanil", "ziconotide", "bupivacaine",
            "clonidine", "baclofen"} <= set(drug_names())
    assert {"synchromed_ii_20ml", "synchromed_ii_40ml", "prometra_ii_20ml",
            "prometra_ii_40ml", "codman_3000"} <= set(pump_names())
    assert "medtronic_ascenda_8781" in catheter_names()
    with pytest.raises(NeuraxisInputError, match="'drug'.*got 'morfine' - did you mean "
                                                 "'morphine'"):
        load_drug("morfine")
    with pytest.raises(NeuraxisInputError, match="'pump.model'.*got 'synchromed'"):
        load_pump("synchromed")


def test_every_value_key_has_a_unit_and_a_label():
    from neuraxis.pump import tables

    for key in tables._DRUG_VALUE_KEYS + tables._PUMP_VALUE_KEYS + tables._CATHETER_VALUE_KEYS:
        label, unit = tables.value_unit(key)
        assert label and "_" not in label, key
        assert unit or key == "mri_precautions", key
    assert tables.value_unit("max_concentration_mg_per_ml") == ("max concentration", "mg/mL")
    assert tables.value_unit("max_daily_dose_mg") == ("max daily dose", "mg/day")
    assert tables.value_unit("fever_flow_increase_percent_per_deg_c")[1] == "%/degC"
    assert tables.value_unit("mri_max_field_t") == ("mri max field", "T")


def test_spec_to_dict_keeps_every_value_with_its_source():
    drug = load_drug("ziconotide").to_dict()
    assert (drug["key"], drug["display_unit"], drug["indication"]) == ("ziconotide", "ug", "pain")
    raw = read_table("drugs.yaml")["drugs"]["ziconotide"]
    assert set(drug["values"]) == set(raw) - {"name", "drug_class", "indication", "display_unit"}
    dose = drug["values"]["max_daily_dose_mg"]
    assert (dose["value"], dose["unit"]) == (0.0192, "mg/day")  # stored in mg
    assert dose["source"] == raw["max_daily_dose_mg"]["source"] and dose["verified"] is False
    pump = load_pump("synchromed_ii_40ml").to_dict()
    assert (pump["kind"], pump["supports_flex"]) == ("programmable", True)
    assert pump["values"]["min_flow_ml_per_day"]["unit"] == "mL/day"
    cat = load_catheter("generic_0p53mm").to_dict()
    assert cat["values"]["volume_ml_per_cm"]["value"] == pytest.approx(3.14159265 * 0.0265**2)
    assert cat["values"]["volume_ml_per_cm"]["unit"] == "mL/cm"
    json.dumps([drug, pump, cat])


def test_bupivacaine_strengths_commercial_and_compounded():
    bupi = load_drug("bupivacaine")
    commercial = bupi.entry("strengths_mg_per_ml")
    compounded = bupi.entry("compounded_strengths_mg_per_ml")
    assert commercial.value == [2.5, 5, 7.5] and commercial.verified  # 0.25/0.5/0.75 %
    assert "single-dose vials" in commercial.source and "70594-120" in commercial.source
    assert compounded.value == [10, 20] and compounded.verified
    assert "Hejtmanek" in compounded.source and "Goucke" in compounded.source
    assert [(s, c) for s, c, _ in bupi.strengths()] == [
        (2.5, False), (5.0, False), (7.5, False), (10.0, True), (20.0, True)]
    assert [(s, c) for s, c, _ in load_drug("morphine").strengths()] == [
        (10.0, False), (25.0, False)]  # no compounded entry: vials only
    # every compounded strength is above the strongest vial and at most the PACC maximum
    assert min(compounded.value) > max(commercial.value)
    assert max(compounded.value) <= bupi.value("max_concentration_mg_per_ml")


def test_strength_labels_say_which_are_compounded():
    from neuraxis.pump import tables

    assert tables.value_unit("strengths_mg_per_ml") == ("commercial vial strengths", "mg/mL")
    assert tables.value_unit("compounded_strengths_mg_per_ml") == (
        "compounded strengths (no vial)", "mg/mL")


def test_drug_catalogue_shows_compounded_strengths():
    from typer.testing import CliRunner

    from neuraxis.cli import app

    out = CliRunner().invoke(app, ["pump", "drugs"]).stdout
    assert "compounded strengths (no vial)" in out and "10, 20 mg/mL" in out
    assert "commercial vial strengths" in out and "2.5, 5, 7.5 mg/mL" in out
    rec = {r["key"]: r for r in json.loads(
        CliRunner().invoke(app, ["pump", "drugs", "--json"]).stdout)["drugs"]}
    entry = rec["bupivacaine"]["values"]["compounded_strengths_mg_per_ml"]
    assert entry["value"] == [10, 20] and entry["unit"] == "mg/mL" and entry["verified"]


def test_tubing_volumes_are_placeholders_marked_unverified():
    # No published SynchroMed II / Prometra tubing volume was confirmed (issue 14).
    for name in pump_names():
        entry = load_pump(name).entries["tubing_volume_ml"]
        assert entry.verified is False, name
        assert entry.source.startswith(("Placeholder", "Unknown")), name
    assert load_pump("synchromed_ii_40ml").value("tubing_volume_ml") == 0.26
    assert load_pump("prometra_ii_20ml").value("tubing_volume_ml") == 0.2
    assert load_pump("codman_3000").value("tubing_volume_ml") is None
