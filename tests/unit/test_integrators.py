"""The compiled (numba) and reference (NumPy) integrators agree, and early
stopping never changes an answer."""

from __future__ import annotations

import numpy as np
import pytest

from neuraxis import NeuraxisInputError
from neuraxis.axons import (
    Waveform,
    build_cable,
    fiber_point_source_mv_per_ma,
    find_thresholds,
    simulate,
    stack_cables,
)


def _case(model: str, diameter_um: float, n_nodes: int, distance_mm: float,
          polarity: str = "cathodic", shape: str = "mono", dt_us: float = 5.0):
    cab = build_cable(model, diameter_um, n_nodes)
    ve = fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, distance_mm, 0.1, 0.2)
    wf = Waveform(100.0, shape, polarity)
    steps = round((wf.end_us / 1000 + 1.0) / (dt_us * 1e-3))
    return cab, ve, wf.samples(dt_us, steps)


@pytest.mark.parametrize("tables", [False, True])
@pytest.mark.parametrize(("model", "diameter_um", "polarity", "shape"), [
    ("mrg", 10.0, "cathodic", "mono"), ("mrg", 5.7, "anodic", "biphasic"),
    ("sweeney", 10.0, "cathodic", "biphasic")])
def test_traces_agree(model: str, diameter_um: float, polarity: str, shape: str, tables: bool,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Node membrane potentials of both backends agree at every step, for sub- and
    suprathreshold amplitudes of one batch: to 1e-6 mV with the exact rates, and to
    5e-4 mV with the tabulated gate updates the compiled backend uses by default
    (the table's interpolation error, ~1e-4 mV at most, is what is left)."""
    from neuraxis.axons.backends import numba_cpu as integrate_numba

    monkeypatch.setattr(integrate_numba, "USE_GATE_TABLES", tables)
    cab, ve, wave = _case(model, diameter_um, 21, 1.0, polarity, shape)
    batch = stack_cables([cab, cab])
    amps = np.array([0.05, 2.0])
    out = [simulate(batch, np.stack([ve, ve], -1), amps, wave, 0.005,
                    detect_nodes=np.array([3, -4]), early_stop=False, record=True,
                    backend=b) for b in ("numpy", "numba")]
    assert out[1].fired.tolist() == [False, True]
    atol_mv, atol_ms = (5e-4, 1e-6) if tables else (1e-6, 1e-9)
    np.testing.assert_allclose(out[0].vm_nodes_mv, out[1].vm_nodes_mv, atol=atol_mv, rtol=0)
    np.testing.assert_allclose(out[0].t_cross_ms, out[1].t_cross_ms, atol=atol_ms)


def test_gate_table_matches_exact_update() -> None:
    """The tabulated cnexp update equals the exact one within 1e-5 (gate values)
    over the whole table range, for every gate of both mechanisms."""
    from neuraxis.axons.channels import (
        GATE_TABLE_STEP_MV,
        GATE_TABLE_V_MAX_MV,
        GATE_TABLE_V_MIN_MV,
        gate_table,
        mechanism_params,
        step_gates,
    )

    v = np.random.default_rng(3).uniform(GATE_TABLE_V_MIN_MV, GATE_TABLE_V_MAX_MV - 1e-6, 20000)
    for mech, ng in (("axnode", 4), ("sweeney", 2)):
        params = mechanism_params(mech)
        for dt_ms in (0.001, 0.005):
            tab = gate_table(mech, params, dt_ms)
            u = (v - GATE_TABLE_V_MIN_MV) / GATE_TABLE_STEP_MV
            i = u.astype(int)
            w = (u - i)[:, None]
            t = tab[i] + w * (tab[i + 1] - tab[i])
            g0 = np.random.default_rng(4).uniform(0, 1, (ng, v.size))
            exact = step_gates(mech, v, g0.copy(), params, dt_ms)
            approx = t[:, 0::2].T + (g0 - t[:, 0::2].T) * t[:, 1::2].T
            np.testing.assert_allclose(approx, exact, atol=1e-5, rtol=0)


def test_thresholds_agree_within_0p1_percent() -> None:
    """Thresholds of both backends agree within 0.1 % (the issue's tolerance)."""
    kw = {"distance_mm": np.array([0.7, 2.0, 1.2]), "offset_mm": 0.2, "pulse_width_us": 100.0,
              "polarity": np.array(["cathodic", "anodic", "cathodic"]), "dt_us": 5.0,
              "rel_tol": 2e-4, "n_nodes": 21}
    ref = find_thresholds(np.array([7.3, 12.8, 9.0]), backend="numpy", **kw)
    fast = find_thresholds(np.array([7.3, 12.8, 9.0]), backend="numba", **kw)
    np.testing.assert_allclose(fast.threshold_ma, ref.threshold_ma, rtol=1e-3)


def test_early_stop_never_changes_the_answer() -> None:
    """Firing and quiescence stops give the same fired flags as full-length runs,
    across amplitudes from far below to above threshold."""
    cab, ve, wave = _case("mrg", 10.0, 21, 1.0, "anodic", "mono")
    amps = np.geomspace(0.05, 3.0, 24)
    batch = stack_cables([cab] * amps.size)
    ve_b = np.repeat(ve[:, None], amps.size, 1)
    full = simulate(batch, ve_b, amps, wave, 0.005, detect_nodes=np.array([3, -4]),
                    early_stop=False)
    early = simulate(batch, ve_b, amps, wave, 0.005, detect_nodes=np.array([3, -4]),
                     early_stop=True)
    assert early.fired.tolist() == full.fired.tolist()
    assert full.fired.any() and not full.fired.all()
    assert early.n_steps_run < full.n_steps_run


def test_repacking_between_segments_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """With re-packing on, the compiled backend's early stop re-packs undecided fibers
    into fewer chunks between segments; every step's arithmetic is unchanged, so the
    answers and the first detection-node crossings equal those of one full-length run bit
    for bit (60 fibers, 4 chunks, deciding at different times), and less work is done."""
    from neuraxis.axons.backends import numba_cpu

    monkeypatch.setattr(numba_cpu, "REPACK_EVERY_MS", 0.1)
    cab, ve, wave = _case("mrg", 8.7, 21, 1.0, "cathodic", "biphasic", dt_us=2.0)
    amps = np.random.default_rng(7).permutation(np.geomspace(0.14, 0.18, 60))
    batch = stack_cables([cab] * amps.size)
    ve_b = np.repeat(ve[:, None], amps.size, 1)
    det = np.array([3, -4])
    full = simulate(batch, ve_b, amps, wave, 0.002, detect_nodes=det, early_stop=False,
                    backend="numba")
    early = simulate(batch, ve_b, amps, wave, 0.002, detect_nodes=det, early_stop=True,
                     backend="numba")
    assert early.fired.tolist() == full.fired.tolist()
    assert 10 < full.fired.sum() < 50
    def first(r):
        return np.nanmin(np.where(np.isnan(r.t_cross_ms[det]), np.inf,
                                             r.t_cross_ms[det]), axis=0)
    np.testing.assert_array_equal(first(early)[early.fired], first(full)[full.fired])
    assert early.compartment_steps < 0.8 * full.compartment_steps


def test_predicted_arrival_never_changes_the_answer() -> None:
    """Deciding "fired" once an action potential propagates freely towards a detection
    node (``predict_arrival``) gives the fired flags of full-length runs, for 41-node
    fibers near threshold (late initiation), mono- and biphasic, and stops sooner."""
    for shape, polarity in (("mono", "cathodic"), ("biphasic", "anodic")):
        cab, ve, wave = _case("mrg", 11.5, 41, 1.5, polarity, shape, dt_us=2.0)
        thr = find_thresholds(11.5, ve_mv_per_ma=[ve], n_nodes=41, pulse_width_us=100.0,
                              polarity=polarity, shape=shape, dt_us=2.0, rel_tol=0.01,
                              tstop_ms=wave.size * 0.002).threshold_ma[0]
        amps = thr * np.geomspace(0.9, 1.5, 48)
        batch = stack_cables([cab] * amps.size)
        ve_b = np.repeat(ve[:, None], amps.size, 1)
        det = np.array([3, -4])
        full = simulate(batch, ve_b, amps, wave, 0.002, detect_nodes=det, early_stop=False,
                        backend="numba")
        fast = simulate(batch, ve_b, amps, wave, 0.002, detect_nodes=det,
                        predict_arrival=True, backend="numba")
        assert fast.fired.tolist() == full.fired.tolist()
        assert 5 < full.fired.sum() < amps.size - 5
        plain = simulate(batch, ve_b, amps, wave, 0.002, detect_nodes=det, backend="numba")
        assert fast.compartment_steps < 0.85 * plain.compartment_steps


def test_predicted_arrival_waits_for_a_late_action_potential() -> None:
    """A run that ends before the action potential reaches the detection node says
    "not fired" with or without ``predict_arrival``; one that ends after says "fired"."""
    cab, ve, wave = _case("mrg", 11.5, 41, 1.5, "cathodic", "mono", dt_us=2.0)
    det = np.array([3, -4])
    ref = simulate(stack_cables([cab]), ve[:, None], np.array([3.0]), wave, 0.002,
                   detect_nodes=det, early_stop=False, backend="numba")
    t_det_ms = float(np.nanmin(ref.t_cross_ms[det, 0]))
    for end_ms, expect in ((t_det_ms - 0.004, False), (t_det_ms + 0.3, True)):
        steps = int(end_ms / 0.002)
        w = np.zeros(steps)
        w[: min(steps, wave.size)] = wave[:steps]
        for predict in (False, True):
            r = simulate(stack_cables([cab]), ve[:, None], np.array([3.0]), w, 0.002,
                         detect_nodes=det, predict_arrival=predict, backend="numba")
            assert bool(r.fired[0]) is expect, (end_ms, predict)


def test_rest_is_stable() -> None:
    """Without stimulus the MRG fiber stays at -80 mV (within 0.5 mV over 2 ms)."""
    cab, ve, _ = _case("mrg", 10.0, 21, 1.0)
    res = simulate(stack_cables([cab]), ve[:, None], np.array([0.0]), np.zeros(400), 0.005,
                   detect_nodes=np.array([3]), early_stop=False, record=True)
    assert np.max(np.abs(res.vm_nodes_mv + 80.0)) < 0.5
    assert not res.fired[0]


def test_dt_convergence_is_first_order() -> None:
    """Backward Euler: threshold error halves with dt (bias ~0.36 %/us, docs/numerics.md)."""
    thr = [find_thresholds(10.0, 1.0, 0.0, 100.0, 0.2, n_nodes=21, dt_us=dt,
                           rel_tol=2e-5).threshold_ma[0] for dt in (4.0, 2.0, 1.0)]
    e1, e2 = thr[0] - thr[1], thr[1] - thr[2]
    assert e1 > 0 and e2 > 0
    assert 1.6 < e1 / e2 < 2.4  # first order: ratio 2
    limit = thr[2] - e2  # Richardson extrapolation to dt -> 0
    assert 0.0 < thr[2] / limit - 1 < 0.005  # default dt 1 us within 0.5 %


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(NeuraxisInputError, match="'backend'.*'numba'"):
        find_thresholds(10.0, 1.0, backend="gpu")
    with pytest.raises(NeuraxisInputError, match="'diameter_um'.*um"):
        find_thresholds(40.0, 1.0)
    with pytest.raises(NeuraxisInputError, match="'dt_us'"):
        find_thresholds(10.0, 1.0, dt_us=100.0)
    with pytest.raises(NeuraxisInputError, match="distance_mm"):
        find_thresholds(10.0)
    with pytest.raises(NeuraxisInputError, match="one length"):
        find_thresholds([10.0, 12.0], [1.0, 2.0, 3.0])
