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
    for section in ("canal", "transport"):
        yield from table[section].items()
    for drug in table["drugs"].values():
        yield from drug.items()


def test_table_is_versioned_and_every_value_has_source_and_flag():
    table = read_table("csf_transport.yaml")
    assert table["version"] == 1
    suffixes = ("_mm", "_mm2", "_ml", "_h", "_m2_per_s", "_um_per_s", "_ratio")
    n = 0
    for key, entry in _entries(table):
        n += 1
        assert key.endswith(suffixes), key
        assert set(entry) == {"value", "source", "verified"}, key
        assert isinstance(entry["value"], (int, float)), key
        assert isinstance(entry["source"], str) and len(entry["source"]) > 20, key
        assert isinstance(entry["verified"], bool), key
        if entry["source"].startswith(("Estimate", "Interpolated", "Derived", "Model default",
                                       "Chosen", "Cumulative", "Taken equal")):
            assert entry["verified"] is False, key
    assert n == 26 * 3 + 2 + 5 + 8


def test_table_levels_and_drugs():
    assert tuple(read_table("csf_transport.yaml")["levels"]) == LEVELS
    assert LEVELS[0] == "C1" and LEVELS[-1] == "S2" and len(LEVELS) == 26
    assert set(drug_names()) == {"morphine", "hydromorphone", "fentanyl", "sufentanil",
                                 "ziconotide", "bupivacaine", "clonidine", "baclofen"}


def test_verified_values_match_their_sources():
    # Typed in from the sources (not read from neuraxis): Nordberg 1984 (175 min),
    # PRIALT label Table 2 (4.6 h), Sharp 2019 (5.8x), Sass 2017 (97.3 cm3).
    assert drug_half_life_h("morphine") == pytest.approx(175 / 60, abs=0.01)
    assert drug_half_life_h("ziconotide") == 4.6
    assert drug_half_life_h("Clonidine") == pytest.approx(66 / 60, abs=0.01)
    assert transport_defaults()["shear_dispersion_ratio"] == 5.8
    assert read_table("csf_transport.yaml")["canal"]["spinal_csf_volume_ml"]["value"] == 97.3


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
    assert d["d_eff_m2_per_s"] >= shear_only  # steady streaming adds to shear dispersion
    assert d["drift_um_per_s"] == 0.0

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
    code = ("import json, sys\nfrom neuraxis.pump.spread import simulate_spread\n"
            "from neuraxis.viz.pump_spread import plot_spread\n"
            "res = simulate_spread(drug='morphine', tip_level='T10', dose_mg_per_day=1.0,\n"
            "                      flow_ml_per_day=0.1, duration_h=1.0)\n"
            f"out = plot_spread(res, {str(tmp_path / 'p.png')!r})\n"
            "print(json.dumps({'pyplot': 'matplotlib.pyplot' in sys.modules,\n"
            "                  'png': out.read_bytes()[:4] == b'\\x89PNG'}))\n")
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
