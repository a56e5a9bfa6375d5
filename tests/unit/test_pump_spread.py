"""Intrathecal drug-spread model (neuraxis.pump.spread): data table, inputs, numerics."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuraxis._soft_import import MissingDependencyError
from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy.tables import read_table
from neuraxis.pump.spread import (
    LEVELS,
    analytic_steady_state,
    drug_half_life_h,
    drug_names,
    load_canal_geometry,
    oscillation_defaults,
    simulate_spread,
    spread_half_width_cm,
    steady_state_spread,
    transport_defaults,
)

SRC = Path(__file__).resolve().parents[2] / "src"

# A uniform-section, drift-free, volume-free case: the analytic model of REFERENCE 3.7.
UNIFORM = {"tip_level": "T7", "dose_mg_per_day": 1.0, "flow_ml_per_day": 0.0,
           "half_life_h": 1.5, "d_eff_m2_per_s": 1e-8, "area_mm2": 100.0}

# ------------------------------------------------------------------------- data table


def _entries(table):
    for level in table["levels"].values():
        yield from level.items()
    for section in ("canal", "transport", "oscillation", "injection"):
        yield from table[section].items()
    for nested in ("tracers", "human_data", "drugs"):
        for item in table[nested].values():
            yield from item.items()


#: Entries whose value is a reading of a source in words (a level, an interspace).
TEXT_VALUES = {"tip_level", "injection_interspace"}


def test_table_is_versioned_and_every_value_has_source_and_flag():
    table = read_table("csf_transport.yaml")
    assert table["version"] == 2
    suffixes = ("_mm", "_mm2", "_ml", "_h", "_m2_per_s", "_um_per_s", "_ratio", "_hz", "_min",
                "_s", "_ml_per_day", "_interspaces")
    n = 0
    for key, entry in _entries(table):
        n += 1
        assert key.endswith(suffixes) or key in TEXT_VALUES, key
        assert set(entry) == {"value", "source", "verified"}, key
        kind = str if key in TEXT_VALUES else (int, float)
        assert isinstance(entry["value"], kind), key
        assert isinstance(entry["source"], str) and len(entry["source"]) > 20, key
        assert isinstance(entry["verified"], bool), key
        if entry["source"].startswith(("Estimate", "Interpolated", "Derived", "Model default",
                                       "Chosen", "Cumulative", "Taken equal", "Fitted",
                                       "Reading", "Assumed", "Model choice")):
            assert entry["verified"] is False, key
    # levels, canal, transport, oscillation, injection, tracers, human data, drugs
    assert n == 26 * 3 + 2 + 4 + 5 + 3 + 1 + (4 + 6 + 8 + 6) + 8


def test_table_levels_and_drugs():
    assert tuple(read_table("csf_transport.yaml")["levels"]) == LEVELS
    assert LEVELS[0] == "C1" and LEVELS[-1] == "S2" and len(LEVELS) == 26
    assert set(drug_names()) == {"morphine", "hydromorphone", "fentanyl", "sufentanil",
                                 "ziconotide", "bupivacaine", "clonidine", "baclofen"}


def test_verified_values_match_their_sources():
    # Typed in from the sources (not read from neuraxis): Nordberg 1984 (175 min),
    # PRIALT label Table 2 (4.6 h), Sharp 2019 (5.8x), Sass 2017 (97.3 cm3), Enzmann &
    # Pelc 1993 (0.65 mL per cycle), J Neurol Sci 1993 (median 31.7 h), and the human
    # data of the abstracts: Kroin 1993 (43 %, 72 h), Eisenach 2003 (57 +/- 12 min),
    # Chamberlain 1998 (22.5, 32.5, 37.5 min), Dyke 2020 (1-3 h).
    from neuraxis.pump.spread.geometry import human_data, tracer_half_life_h

    assert drug_half_life_h("morphine") == pytest.approx(175 / 60, abs=0.01)
    assert drug_half_life_h("ziconotide") == 4.6
    assert drug_half_life_h("Clonidine") == pytest.approx(66 / 60, abs=0.01)
    assert transport_defaults()["shear_dispersion_ratio"] == 5.8
    assert read_table("csf_transport.yaml")["canal"]["spinal_csf_volume_ml"]["value"] == 97.3
    assert oscillation_defaults()["cervical_stroke_volume_ml"] == 0.65
    assert tracer_half_life_h("indium_dtpa") == 31.7
    assert {k: human_data("kroin_1993")[k] for k in ("t2_to_t12_ratio", "infusion_h")} == \
        {"t2_to_t12_ratio": 0.43, "infusion_h": 72}
    eis = human_data("eisenach_2003")
    assert (eis["morphine_peak_min"], eis["morphine_peak_sd_min"]) == (57, 12)
    cham = human_data("chamberlain_1998")
    assert [cham[f"{r}_appearance_min"] for r in ("thoracic", "cervical", "cisterna")] == \
        [22.5, 32.5, 37.5]
    dyke = human_data("dyke_2020")
    assert (dyke["intracranial_peak_earliest_h"], dyke["intracranial_peak_latest_h"]) == \
        (1.0, 3.0)


def test_canal_geometry_is_plausible():
    geo = load_canal_geometry()
    # Spinal subarachnoid space 60-70 cm (REFERENCE 3.7); about 60 cm (Sincomb 2022).
    assert 600 <= geo.end_mm <= 700
    assert np.all(np.diff(geo.top_mm) > 0)
    # Spinal CSF about 75 mL (half of 150 mL) to 97.3 mL (Sass 2017, one subject).
    assert 50 <= geo.volume_ml <= 110
    # Thoracic section narrower than the lumbar cistern (cord vs cauda equina).
    assert geo.area_mm2[LEVELS.index("T9")] < geo.area_mm2[LEVELS.index("L3")]
    assert geo.area_at([geo.center_mm[3]])[0] == geo.area_mm2[3]


def test_transport_defaults_are_consistent():
    d = transport_defaults()
    shear_only = d["molecular_diffusivity_m2_per_s"] * d["shear_dispersion_ratio"]
    assert shear_only == pytest.approx(2.9e-9)
    assert d["drift_um_per_s"] == 0.0
    osc = oscillation_defaults()
    # a bolus mixes faster than a slow infusion; the oscillation fades to the sac's end
    assert 0.0 < osc["infusion_mixing_ratio"] < osc["bolus_mixing_ratio"]
    assert osc["sac_end_stroke_volume_ml"] < osc["cervical_stroke_volume_ml"]
    # Enzmann & Pelc 1993: 39.0 mL/min at 0.65 mL per cycle -> 60 cycles/min
    assert osc["cardiac_frequency_hz"] == pytest.approx(39.0 / 0.65 / 60.0)

# ----------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(("change", "match"), [
    ({"tip_level": "T1O"}, r"Invalid value for 'tip_level'.*'S2', but got 'T1O' - did you mean"),
    ({"tip_level": "T13"}, r"Invalid value for 'tip_level'"),
    ({"tip_level": 10}, r"Invalid value for 'tip_level'"),
    ({"drug": "morfine"}, r"Invalid value for 'drug'.*did you mean 'morphine'"),
    ({"dose_mg_per_day": -1.0}, r"'dose_mg_per_day'.*\(0, inf\] mg/day, but got -1"),
    ({"dose_mg_per_day": 0.0}, r"'dose_mg_per_day'"),
    ({"flow_ml_per_day": -0.1}, r"'flow_ml_per_day'.*mL/day"),
    ({"tip_offset_mm": 500.0}, r"'tip_offset_mm'.*outside the spinal canal.*630 mm"),
    ({"tip_level": "C1", "tip_offset_mm": -20.0}, r"outside the spinal canal"),
    ({"d_eff_m2_per_s": 5e-10, "grid_mm": 2.0, "half_life_h": 1.5},
     r"'grid_mm'.*too coarse.*decay length sqrt\(D_eff/k\) = 1.97 mm"),
    ({"grid_mm": 50.0}, r"'grid_mm'.*\[0.05, 10\] mm"),
    ({"half_life_h": 0.0}, r"'half_life_h'"),
    ({"d_eff_m2_per_s": -1e-8}, r"'d_eff_m2_per_s'.*m2/s"),
    ({"drift_um_per_s": float("nan")}, r"'drift_um_per_s'"),
    ({"area_mm2": 0.0}, r"'area_mm2'"),
    ({"duration_h": 0.0}, r"'duration_h'.*\(0, 8760\] h"),
    ({"dt_s": 0.0}, r"'dt_s'"),
    ({"output_interval_h": 48.0}, r"'output_interval_h'"),
])
def test_bad_input_is_refused_with_a_clear_message(change, match):
    kwargs = {"tip_level": "T10", "dose_mg_per_day": 1.0, "flow_ml_per_day": 0.5,
              "drug": "morphine", "duration_h": 2.0, **change}
    with pytest.raises(NeuraxisInputError, match=match):
        simulate_spread(**kwargs)


def test_drug_or_half_life_is_required():
    with pytest.raises(NeuraxisInputError, match=r"give 'drug' .*'morphine'.* or 'half_life_h'"):
        steady_state_spread(tip_level="T10", dose_mg_per_day=1.0, flow_ml_per_day=0.1)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        simulate_spread("T10", 1.0, 0.1)  # type: ignore[misc]


def test_level_and_drug_names_are_case_insensitive():
    a = steady_state_spread(tip_level="Th10", dose_mg_per_day=1.0, flow_ml_per_day=0.1,
                            drug="Morphine")
    assert a.tip_level == "T10" and a.drug == "morphine"
    assert a.params.half_life_h == drug_half_life_h("morphine")


def test_half_life_overrides_the_drug():
    res = steady_state_spread(tip_level="T10", dose_mg_per_day=1.0, flow_ml_per_day=0.1,
                              drug="morphine", half_life_h=1.0)
    assert res.params.half_life_h == 1.0 and res.drug == "morphine"

# ---------------------------------------------------------------------------- numerics


def _max_rel_error(grid_mm: float) -> float:
    s = steady_state_spread(**UNIFORM, grid_mm=grid_mm)
    a = analytic_steady_state(s.x_mm, tip_mm=s.tip_mm, dose_mg_per_day=1.0, area_mm2=100.0,
                              d_eff_m2_per_s=1e-8, half_life_h=1.5)
    near = np.abs(s.x_mm - s.tip_mm) <= 5 * s.params.decay_length_mm
    return float(np.max(np.abs(s.concentration_ug_per_ml[near] / a[near] - 1)))


def test_grid_convergence_is_second_order():
    errors = [_max_rel_error(h) for h in (2.0, 1.0, 0.5)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(1.8 < p < 2.2 for p in orders), (errors, orders)


def test_time_step_convergence_is_second_order():
    def final(dt_s):
        r = simulate_spread(**UNIFORM, duration_h=1.0, dt_s=dt_s, output_interval_h=1.0)
        return r.concentration_ug_per_ml[-1]

    ref = final(3.75)
    errors = [np.max(np.abs(final(dt) - ref)) / ref.max() for dt in (240.0, 120.0, 60.0)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(1.8 < p < 2.2 for p in orders), (errors, orders)


@pytest.mark.parametrize("case", [
    {"drug": "morphine", "tip_level": "T10", "flow_ml_per_day": 0.5},
    {"drug": "baclofen", "tip_level": "L2", "flow_ml_per_day": 24.0, "drift_um_per_s": 3.0},
    {"drug": "ziconotide", "tip_level": "C2", "flow_ml_per_day": 2.0, "drift_um_per_s": 5.0,
     "d_eff_m2_per_s": 5e-8},
    {"half_life_h": 1.5, "tip_level": "S1", "flow_ml_per_day": 1.0, "drift_um_per_s": -4.0},
])
def test_mass_is_conserved(case):
    """infused = in CSF + cleared + out through the foramen magnum, within 1e-6."""
    res = simulate_spread(dose_mg_per_day=0.7, duration_h=12.0, **case)
    assert res.mass_balance_error < 1e-6
    assert res.infused_mg[-1] == pytest.approx(0.7 * 12 / 24, rel=1e-12)
    # The level means are volume-weighted: with the levels' cell volumes they carry the
    # same mass as the cells (ug/mL x mL = ug).
    idx = np.searchsorted(res.level_boundaries_mm, res.x_mm, side="right") - 1
    level_volume_ml = np.bincount(idx, weights=res.cell_volume_ml, minlength=len(LEVELS))
    level_mass_mg = np.sum(res.level_concentration_ug_per_ml[-1] * level_volume_ml) * 1e-3
    assert level_mass_mg == pytest.approx(res.in_csf_mg[-1], rel=1e-9)


def test_outflow_through_the_foramen_magnum_is_accounted():
    res = simulate_spread(drug="ziconotide", tip_level="C2", dose_mg_per_day=0.01,
                          flow_ml_per_day=2.0, drift_um_per_s=5.0, d_eff_m2_per_s=5e-8)
    assert res.outflow_mg[-1] > 0.05 * res.infused_mg[-1]
    assert res.mass_balance_error < 1e-6
    assert any("foramen magnum" in n for n in res.notes)


def test_profile_is_symmetric_without_drift():
    res = simulate_spread(**UNIFORM, duration_h=6.0)
    c = res.concentration_ug_per_ml[-1]
    i = int(np.argmin(np.abs(res.x_mm - res.tip_mm)))
    m = 150  # cells each side, far from both canal ends
    assert np.allclose(c[i - m:i][::-1], c[i + 1:i + 1 + m], rtol=1e-9, atol=0)
    assert res.half_width_rostral_cm[-1] == pytest.approx(res.half_width_caudal_cm[-1],
                                                          rel=1e-9)


@pytest.mark.parametrize("drift", [3.0, 10.0])
def test_drift_shifts_the_profile_rostrally(drift):
    base = simulate_spread(**UNIFORM, duration_h=8.0)
    moved = simulate_spread(**UNIFORM, duration_h=8.0, drift_um_per_s=drift)

    def centroid(r):
        w = r.concentration_ug_per_ml[-1] * r.cell_volume_ml
        return float(np.sum(w * r.x_mm) / np.sum(w))

    assert centroid(moved) < centroid(base) - 1.0  # mm, toward the head
    assert moved.half_width_rostral_cm[-1] > base.half_width_rostral_cm[-1]
    assert moved.half_width_caudal_cm[-1] < base.half_width_caudal_cm[-1]
    back = simulate_spread(**UNIFORM, duration_h=8.0, drift_um_per_s=-drift)
    assert centroid(back) > centroid(base) + 1.0


def test_infusate_flow_spreads_drug_rostrally_only():
    slow = steady_state_spread(**{**UNIFORM, "flow_ml_per_day": 0.48})
    fast = steady_state_spread(**{**UNIFORM, "flow_ml_per_day": 24.0})
    assert fast.half_width_rostral_cm > slow.half_width_rostral_cm + 0.3
    assert fast.half_width_caudal_cm <= slow.half_width_caudal_cm + 1e-9


def test_long_run_reaches_the_direct_steady_state():
    res = simulate_spread(drug="baclofen", tip_level="L1", dose_mg_per_day=0.5,
                          flow_ml_per_day=0.5, duration_h=36.0)
    steady = steady_state_spread(drug="baclofen", tip_level="L1", dose_mg_per_day=0.5,
                                 flow_ml_per_day=0.5)
    c = res.concentration_ug_per_ml[-1]
    assert np.max(np.abs(c - steady.concentration_ug_per_ml)) < 1e-5 * c.max()
    assert np.allclose(res.steady_concentration_ug_per_ml, steady.concentration_ug_per_ml)
    # Steady mass balance in rates: infusion = clearance + outflow.
    assert steady.cleared_mg_per_day + steady.outflow_mg_per_day == pytest.approx(0.5,
                                                                                 rel=1e-9)
    assert res.notes == ()


def test_result_layout_and_level_means():
    res = simulate_spread(drug="morphine", tip_level="T10", dose_mg_per_day=1.0,
                          flow_ml_per_day=0.1, duration_h=2.0, dt_s=75.0)
    n_t, n_x = res.concentration_ug_per_ml.shape
    assert n_t == res.times_h.size == 97 and res.times_h[0] == 0 and res.times_h[-1] == 2.0
    assert n_x == res.x_mm.size == res.area_mm2.size == res.cell_volume_ml.size
    assert res.level_concentration_ug_per_ml.shape == (n_t, 26)
    assert res.level_names[int(np.argmax(res.level_concentration_ug_per_ml[-1]))] == "T10"
    assert not res.concentration_ug_per_ml.any(axis=1)[0]  # drug-free at t = 0
    with pytest.raises(ValueError):
        res.concentration_ug_per_ml[1, 0] = 1.0  # results are read-only
    assert any("3 CSF half-lives" in n for n in res.notes)
    summary = json.loads(json.dumps(res.to_dict()))
    assert summary["tip_level"] == "T10" and set(summary["level_concentration_ug_per_ml"]) \
        == set(LEVELS)
    assert 0.5 < res.fraction_within(3.0) < 1.0 and res.fraction_within(100.0) == 1.0


def test_half_width_of_an_exponential_is_exact():
    x = np.arange(0.5, 400.0, 1.0)
    lam = 7.3
    c = np.exp(-np.abs(x - 200.5) / lam)
    rostral, caudal = spread_half_width_cm(x, c, 200.5)
    assert rostral == pytest.approx(lam * math.log(10) / 10, rel=1e-12)
    assert caudal == pytest.approx(rostral, rel=1e-12)
    assert spread_half_width_cm(x, np.ones_like(x), 200.5) == (pytest.approx(20.05),
                                                               pytest.approx(19.95))


def test_progress_callback_and_speed():
    calls = []
    simulate_spread(drug="morphine", tip_level="T10", dose_mg_per_day=1.0,
                    flow_ml_per_day=0.1, duration_h=1.0)  # warm-up (imports)
    t0 = time.perf_counter()
    simulate_spread(drug="morphine", tip_level="T10", dose_mg_per_day=1.0,
                    flow_ml_per_day=0.1, duration_h=24.0, grid_mm=1.0,
                    progress=lambda done, total: calls.append((done, total)))
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0  # 24 h at 1 mm: 630 cells x 1440 steps
    assert calls[-1] == (1440, 1440) and 50 <= len(calls) <= 110
    assert all(a[0] < b[0] for a, b in itertools.pairwise(calls))

# ------------------------------------------------------------------------- plot, imports


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from neuraxis.viz.pump_spread import plot_spread

    res = simulate_spread(drug="morphine", tip_level="T10", dose_mg_per_day=1.0,
                          flow_ml_per_day=0.1, duration_h=6.0)
    out = plot_spread(res, tmp_path / "sub" / "spread.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    from neuraxis.viz.pump_spread import plot_spread

    res = simulate_spread(drug="morphine", tip_level="T10", dose_mg_per_day=1.0,
                          flow_ml_per_day=0.1, duration_h=1.0)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"neuraxis\[plot\]"):
        plot_spread(res, tmp_path / "x.png")


def test_plot_uses_the_object_api_without_pyplot(tmp_path):
    """The figure is drawn on a matplotlib Figure; pyplot (global state) is never loaded."""
    pytest.importorskip("matplotlib")
    code = ("import json, sys\n"
            "from neuraxis.pump.spread import simulate_schedule, simulate_spread\n"
            "from neuraxis.viz.pump_spread import plot_schedule, plot_spread\n"
            "res = simulate_spread(drug='morphine', tip_level='T10', dose_mg_per_day=1.0,\n"
            "                      flow_ml_per_day=0.1, duration_h=1.0)\n"
            f"out = plot_spread(res, {str(tmp_path / 'p.png')!r})\n"
            "sch = simulate_schedule(drug='morphine', tip_level='T10', duration_h=1.0,\n"
            "    target_segments=('T12',), basal_dose_mg_per_day=1.0,\n"
            "    basal_flow_ml_per_day=0.1, bolus_times_h=[0.2], bolus_doses_mg=[0.05],\n"
            "    bolus_volumes_ml=[0.005], bolus_durations_min=[5.0])\n"
            f"out2 = plot_schedule(sch, {str(tmp_path / 's.png')!r})\n"
            "print(json.dumps({'pyplot': 'matplotlib.pyplot' in sys.modules,\n"
            "                  'png': out.read_bytes()[:4] == b'\\x89PNG'\n"
            "                         and out2.read_bytes()[:4] == b'\\x89PNG'}))\n")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"pyplot": False, "png": True}


def test_run_and_steady_state_share_one_base_and_serialise_alike():
    from neuraxis.pump.spread import SpreadProfile, SpreadResult, SteadySpread

    assert issubclass(SpreadResult, SpreadProfile) and issubclass(SteadySpread, SpreadProfile)
    run = simulate_spread(**UNIFORM, duration_h=2.0)
    steady = steady_state_spread(**UNIFORM)
    d_run = json.loads(json.dumps(run.to_dict()))
    d_steady = json.loads(json.dumps(steady.to_dict()))
    shared = ("drug", "tip_level", "tip_mm", "dose_mg_per_day", "flow_ml_per_day",
              "d_eff_m2_per_s", "half_life_h", "grid_mm", "decay_length_mm")
    assert {k: d_run[k] for k in shared} == {k: d_steady[k] for k in shared}
    assert set(d_steady["level_concentration_ug_per_ml"]) == set(LEVELS)
    # steady mass balance in rates: dose = cleared + outflow (no outflow without flow)
    assert d_steady["cleared_mg_per_day"] + d_steady["outflow_mg_per_day"] == \
        pytest.approx(UNIFORM["dose_mg_per_day"], rel=1e-9)
    assert steady.fraction_within(50.0) == pytest.approx(1.0)
    assert 0.0 < steady.fraction_within(1.0) < run.fraction_within(50.0)


# ------------------------------------------------ oscillatory dispersion and injections


def test_stroke_volume_fades_linearly_to_the_end_of_the_sac():
    from neuraxis.pump.spread import stroke_volume_ml

    sv = stroke_volume_ml([0.0, 315.0, 630.0, 700.0], end_mm=630.0, cervical_ml=0.65,
                          sac_end_ml=0.0)
    assert sv == pytest.approx([0.65, 0.325, 0.0, 0.0])


def test_oscillatory_dispersion_grows_rostrally_from_shear_dispersion():
    from neuraxis.pump.spread import oscillatory_dispersion_m2_per_s

    geo = load_canal_geometry()
    x = np.array([150.0, 300.0, 500.0, geo.end_mm])  # T1, T8, L3, end of the sac
    kw = {"end_mm": geo.end_mm, "cervical_ml": 0.65, "sac_end_ml": 0.0, "frequency_hz": 1.0,
          "base_m2_per_s": 2.9e-9}
    d = oscillatory_dispersion_m2_per_s(x, geo.area_at(x), mixing_ratio=0.05, **kw)
    assert np.all(np.diff(d) < 0) and d[-1] == pytest.approx(2.9e-9)
    # kappa f (SV/A)^2 by hand at x = 300 mm: SV = 0.65 (1 - 300/630) mL over A(300)
    delta_m = 0.65e-6 * (1 - 300 / geo.end_mm) / (geo.area_at([300.0])[0] * 1e-6)
    assert d[1] == pytest.approx(2.9e-9 + 0.05 * delta_m ** 2)
    # ... and proportional to the mixing ratio
    d2 = oscillatory_dispersion_m2_per_s(x, geo.area_at(x), mixing_ratio=0.1, **kw)
    assert d2 - 2.9e-9 == pytest.approx(2 * (d - 2.9e-9))
    none = oscillatory_dispersion_m2_per_s(x, geo.area_at(x), mixing_ratio=0.0, **kw)
    assert np.allclose(none, 2.9e-9)


def test_default_dispersion_is_the_oscillatory_law_and_d_eff_makes_it_uniform():
    kw = {"tip_level": "T10", "drug": "morphine", "dose_mg_per_day": 1.0,
          "flow_ml_per_day": 0.1}
    osc = steady_state_spread(**kw)
    assert osc.params.dispersion == "oscillatory"
    assert osc.params.mixing_ratio == oscillation_defaults()["infusion_mixing_ratio"]
    uni = steady_state_spread(**kw, d_eff_m2_per_s=1e-8)
    assert (uni.params.dispersion, uni.params.mixing_ratio) == ("uniform", 0.0)
    # human tracer data: wider than the pig-derived 1e-8; a lumbar tip (small
    # oscillation) spreads less than a thoracic one
    assert osc.half_width_rostral_cm > uni.half_width_rostral_cm
    lumbar = steady_state_spread(**{**kw, "tip_level": "L3"})
    assert lumbar.half_width_rostral_cm < osc.half_width_rostral_cm


def _spread(**kw):
    from neuraxis.pump.spread import injection_spread

    base = {"volume_ml": 1.0, "duration_s": 600.0, "area_mm2": 150.0, "stroke_volume_ml": 0.15,
            "inner_diameter_mm": 0.53, "frequency_hz": 1.0,
            "kinematic_viscosity_m2_per_s": 7e-7, "jet_spreading_ratio": 0.1}
    return injection_spread(**{**base, **kw})


def test_injection_spread_volume_and_laminar_jet():
    s = _spread()
    assert s.volume_length_mm == pytest.approx(1000.0 / 150.0)
    # laminar round jet by hand: u_j = Q/a, K = u_j^2 a, u_c = 3K/(8 pi nu s) = pi f delta
    a = math.pi * 0.53e-3 ** 2 / 4
    u_j = 1e-6 / 600 / a
    u_amb = math.pi * 1.0 * (0.15e-6 / 150e-6)
    assert s.jet_length_mm == pytest.approx(3 * u_j ** 2 * a / (8 * math.pi * 7e-7 * u_amb) * 1e3)
    assert s.jet_cap_mm == pytest.approx(math.sqrt(150 / math.pi) / 0.1)
    assert s.initial_length_mm == pytest.approx(s.volume_length_mm + s.jet_length_mm)
    assert 0.0 < s.stirring_fraction < 1.0
    zero = _spread(volume_ml=0.0)
    assert (zero.initial_length_mm, zero.stirring_fraction) == (0.0, 0.0)
    assert json.loads(json.dumps(s.to_dict()))["jet_cap_mm"] == pytest.approx(s.jet_cap_mm)


def test_more_injection_momentum_carries_the_drug_further():
    lengths = [_spread(duration_s=d).jet_length_mm for d in (3600.0, 600.0, 60.0, 5.0)]
    assert all(a < b for a, b in itertools.pairwise(lengths[:3]))
    assert lengths[-1] == pytest.approx(_spread().jet_cap_mm)  # a syringe fills the canal
    assert _spread(duration_s=5.0).stirring_fraction == 1.0

# ------------------------------------------------------------------ dosing schedules


SCHEDULE = {"tip_level": "T10", "drug": "morphine", "target_segments": ("T10", "T12", "L2"),
            "basal_dose_mg_per_day": 3.0, "basal_flow_ml_per_day": 0.15, "duration_h": 6.0,
            "dt_s": 120.0}


def _schedule(**kw):
    from neuraxis.pump.spread import simulate_schedule

    return simulate_schedule(**{**SCHEDULE, **kw})


def test_schedule_conserves_mass_with_boluses_and_a_bridge():
    """Patient boluses at odd times (one overlapping the next), a syringe bolus and a
    bridge running for hours: infused = in CSF + cleared + outflow, to round-off."""
    times, doses = [0.33, 1.01, 1.05, 2.5], [0.1, 0.05, 0.2, 0.075]
    volumes, minutes = [0.01, 0.005, 1.0, 0.25], [10.0, 7.0, 0.2, 180.0]
    res = _schedule(bolus_times_h=times, bolus_doses_mg=doses, bolus_volumes_ml=volumes,
                    bolus_durations_min=minutes)
    assert res.mass_balance_error < 1e-9
    assert res.infused_mg[-1] == pytest.approx(3.0 * 6 / 24 + sum(doses), rel=1e-12)
    assert res.bolus_mixing_ratios[2] > res.bolus_mixing_ratios[0]  # the syringe stirs
    assert res.bolus_spreads[2].stirring_fraction == 1.0
    summary = json.loads(json.dumps(res.to_dict()))
    assert set(summary["targets"]) == {"T10", "T12", "L2"}
    assert len(summary["boluses"]) == 4 and summary["bolus_phase_h"] is None


def test_a_bolus_of_zero_volume_equals_the_basal_infusion():
    res = _schedule(bolus_times_h=[1.0], bolus_doses_mg=[0.0], bolus_volumes_ml=[0.0],
                    bolus_durations_min=[10.0])
    assert np.array_equal(res.concentration_ug_per_ml, res.basal_concentration_ug_per_ml)
    assert np.array_equal(res.target_concentration_ug_per_ml,
                          res.basal_target_concentration_ug_per_ml)


def test_the_basal_part_is_the_constant_infusion_run():
    res = _schedule(bolus_times_h=[1.0], bolus_doses_mg=[0.2], bolus_volumes_ml=[0.02],
                    bolus_durations_min=[10.0], output_interval_h=0.5)
    run = simulate_spread(tip_level="T10", drug="morphine", dose_mg_per_day=3.0,
                          flow_ml_per_day=0.15, duration_h=6.0, dt_s=120.0,
                          output_interval_h=0.5)
    assert np.allclose(res.basal_concentration_ug_per_ml, run.concentration_ug_per_ml,
                       rtol=1e-12, atol=0.0)
    # before the bolus the two curves coincide; after it the schedule is higher
    t = res.times_h
    assert np.array_equal(res.target_concentration_ug_per_ml[t <= 1.0],
                          res.basal_target_concentration_ug_per_ml[t <= 1.0])
    after = t > 1.2
    assert np.all(res.target_concentration_ug_per_ml[after]
                  > res.basal_target_concentration_ug_per_ml[after])


def test_a_faster_injection_spreads_the_same_bolus_further():
    kw = {"basal_dose_mg_per_day": 0.0, "basal_flow_ml_per_day": 0.0, "tip_level": "L3",
          "duration_h": 1.0, "dt_s": 30.0, "bolus_times_h": [0.0], "bolus_doses_mg": [1.0],
          "bolus_volumes_ml": [1.0]}
    slow = _schedule(**kw, bolus_durations_min=[30.0])
    fast = _schedule(**kw, bolus_durations_min=[0.2])
    assert fast.bolus_spreads[0].initial_length_mm > 5 * slow.bolus_spreads[0].initial_length_mm
    assert fast.fraction_within(2.0) < slow.fraction_within(2.0)
    above_mm = fast.tip_mm - 60.0
    assert fast.concentration_at_mm(above_mm)[-1] > 10 * slow.concentration_at_mm(above_mm)[-1]
    assert fast.mass_balance_error < 1e-9 and slow.mass_balance_error < 1e-9


def test_a_bridge_bolus_keeps_the_dose_while_the_dead_space_clears():
    """A bridge delivers the dead space's old mixture at the old rate (REFERENCE 3.4:
    10 -> 20 mg/mL, 3 mg/day, 0.25 mL dead space: 0.3 mL/day for 0.83 days); the new
    basal starts when it ends. Without a bridge the old mixture runs at the new rate
    (0.15 mL/day for 1.67 days, half the dose)."""
    common = {"tip_level": "T10", "drug": "morphine", "target_segments": ("T12",),
              "basal_dose_mg_per_day": 3.0, "basal_flow_ml_per_day": 0.15,
              "duration_h": 48.0, "dt_s": 300.0, "bolus_times_h": [0.0],
              "bolus_volumes_ml": [0.25], "bolus_doses_mg": [0.25 * 10.0]}
    bridge = _schedule(**common, bolus_durations_min=[0.25 / 0.3 * 1440],
                       basal_start_h=0.25 / 0.3 * 24)
    plain = _schedule(**common, bolus_durations_min=[0.25 / 0.15 * 1440],
                      basal_start_h=0.25 / 0.15 * 24)
    for res in (bridge, plain):
        assert res.mass_balance_error < 1e-9
        assert res.infused_mg[-1] == pytest.approx(2.5 + 3.0 * (48 - res.basal_start_h) / 24)
    t = bridge.times_h
    mid = (t > 6) & (t < 20)  # both windows running: the bridge gives twice the dose
    ratio = (bridge.target_concentration_ug_per_ml[mid, 0]
             / plain.target_concentration_ug_per_ml[mid, 0])
    assert np.all(ratio > 1.8)
    steady = bridge.basal_target_concentration_ug_per_ml[-1, 0]
    assert bridge.target_concentration_ug_per_ml[mid, 0].max() < 1.1 * steady
    assert bridge.to_dict()["basal_start_h"] == pytest.approx(20.0)


def test_a_bolus_phase_can_end():
    kw = {"basal_dose_mg_per_day": 0.0, "basal_flow_ml_per_day": 0.0, "tip_level": "L3",
          "duration_h": 2.0, "dt_s": 60.0, "bolus_times_h": [0.0], "bolus_doses_mg": [1.0],
          "bolus_volumes_ml": [1.0], "bolus_durations_min": [0.2]}
    whole = _schedule(**kw)
    ended = _schedule(**kw, bolus_phase_h=0.25)
    assert ended.fraction_within(5.0) > whole.fraction_within(5.0)  # slower mixing after
    assert ended.mass_balance_error < 1e-9 and ended.bolus_phase_h == 0.25


def test_cord_segments_lie_where_the_sourced_rules_put_them():
    from neuraxis.pump.spread import SEGMENTS, segment_position_mm

    geo = load_canal_geometry()
    t8 = LEVELS.index("T8")
    assert segment_position_mm("t10") == pytest.approx(geo.center_mm[t8])  # T(n-2) body
    pos = [segment_position_mm(s) for s in SEGMENTS]
    assert all(a < b for a, b in itertools.pairwise(pos))
    t11, l1 = LEVELS.index("T11"), LEVELS.index("L1")
    lumbar = pos[SEGMENTS.index("L1"):SEGMENTS.index("L5") + 1]
    assert geo.top_mm[t11] + geo.length_mm[t11] / 3 < min(lumbar)
    assert max(lumbar) < geo.top_mm[l1] + geo.length_mm[l1] / 3 < pos[SEGMENTS.index("S1")]
    assert pos[-1] < geo.top_mm[LEVELS.index("L2")]


@pytest.mark.parametrize(("change", "match"), [
    ({"bolus_doses_mg": [0.1], "bolus_volumes_ml": [0.0]},
     r"'bolus_volumes_ml' \(element 0\).*0 mL cannot deliver 0.1 mg"),
    ({"bolus_doses_mg": [0.1, 0.2], "bolus_volumes_ml": [0.01, 0.02, 0.03]},
     r"arrays must have one length"),
    ({"bolus_times_h": [6.0]}, r"'bolus_times_h'.*\[0, 6\) h"),
    ({"bolus_durations_min": [0.0]}, r"'bolus_durations_min'"),
    ({"bolus_doses_mg": [-0.1]}, r"'bolus_doses_mg'"),
    ({"target_segments": ("T2",)}, r"Invalid value for 'target_segments'.*did you mean"),
    ({"basal_dose_mg_per_day": -1.0}, r"'basal_dose_mg_per_day'"),
    ({"injector_inner_diameter_mm": 0.0}, r"'injector_inner_diameter_mm'"),
])
def test_bad_schedules_are_refused_with_a_clear_message(change, match):
    kw = {"bolus_times_h": [1.0], "bolus_doses_mg": [0.1], "bolus_volumes_ml": [0.01],
          "bolus_durations_min": [10.0], "duration_h": 6.0, **change}
    with pytest.raises(NeuraxisInputError, match=match):
        _schedule(**kw)


def test_plot_schedule_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from neuraxis.viz.pump_spread import plot_schedule

    res = _schedule(bolus_times_h=[1.0, 4.0], bolus_doses_mg=[0.2, 0.1],
                    bolus_volumes_ml=[0.02, 0.01], bolus_durations_min=[10.0, 10.0])
    out = plot_schedule(res, tmp_path / "sub" / "schedule.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
