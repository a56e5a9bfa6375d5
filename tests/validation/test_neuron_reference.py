"""The NEURON reference MRG fiber: construction, timing convention, and anchors.

Published anchors: a 10 um MRG fiber 1 mm from a point source in 0.2 S/m,
100 us cathodic monophasic pulse, dt 5 us, 21 nodes, has a threshold of about
0.122 mA in independent solvers; MRG conduction velocity at 10 um is ~55 m/s.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # NEURON simulations

pytest.importorskip("neuron")

from neuraxis.axons import cable, stimulus

DT_US = 5.0


@pytest.fixture(scope="module")
def fiber10(neuron_ref: ModuleType):
    return neuron_ref.build_mrg(10.0, 21)


def _point_source_case(diameter_um: float = 10.0, n_nodes: int = 21,
                       tstop_ms: float = 1.62) -> tuple[np.ndarray, np.ndarray]:
    cab = cable.build_mrg_cable(diameter_um, n_nodes)
    ve = stimulus.fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, 1.0, 0.0, 0.2)
    n_steps = int(round(tstop_ms / (DT_US * 1e-3)))
    return ve, stimulus.Waveform(100.0).samples(DT_US, n_steps)


@pytest.mark.parametrize(("diameter_um", "geometry"), [(10.0, "auto"), (7.5, "interpolated")])
def test_positions_match_cable(neuron_ref: ModuleType, diameter_um: float,
                               geometry: str) -> None:
    fiber = neuron_ref.build_mrg(diameter_um, 11, geometry)
    cab = cable.build_mrg_cable(diameter_um, 11, geometry)
    assert len(fiber.sections) == cab.n_compartments == 111
    np.testing.assert_allclose(fiber.x_um, cab.x_um, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fiber.node_index, cab.node_index)


def test_passive_properties_match_cable(fiber10) -> None:
    """Capacitances and conductances NEURON sees equal the neuraxis cable's."""
    cab = cable.build_mrg_cable(10.0, 21)
    segs = [sec(0.5) for sec in fiber10.sections]
    area = np.array([s.area() for s in segs])  # um2
    np.testing.assert_allclose([s.cm for s in segs] * area * 1e-5, cab.c_m_nf, rtol=1e-12)
    g_pas = np.array([s.pas.g if hasattr(s, "pas") else 0.0 for s in segs]) * area * 1e-2
    np.testing.assert_allclose(g_pas, cab.g_pas_us, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(np.array([s.xc[0] for s in segs]) * area * 1e-5,
                               cab.c_my_nf, rtol=1e-12)
    np.testing.assert_allclose(np.array([s.xg[0] for s in segs]) * area * 1e-2,
                               cab.g_my_us, rtol=1e-12)
    secs = fiber10.sections
    r_i = np.array([secs[k](0.5).ri() + secs[k - 1](1).ri() for k in range(1, len(secs))])
    np.testing.assert_allclose(1.0 / r_i, cab.g_i_us, rtol=1e-12)
    half_p = np.array([0.5 * s.xraxial[0] * sec.L * 1e-4
                       for s, sec in zip(segs, secs, strict=True)])
    np.testing.assert_allclose(1.0 / (half_p[1:] + half_p[:-1]), cab.g_p_us, rtol=1e-12)


def test_rest_is_stable(neuron_ref: ModuleType, fiber10) -> None:
    n = len(fiber10.sections)
    out = neuron_ref.simulate(fiber10, np.zeros(n), 0.0, np.zeros(400), DT_US, 2.0,
                              early_stop=False, record=True)
    assert not out["fired"]
    assert out["v_mv"].shape == (401, n)
    assert np.abs(out["v_mv"] + 80.0).max() < 0.5


def test_play_matches_python_loop(neuron_ref: ModuleType, fiber10) -> None:
    """Vector.play step function == e_extracellular set before every fadvance."""
    ve, samples = _point_source_case()
    for amp in (0.11, 0.13):  # below and above threshold
        fast = neuron_ref.simulate(fiber10, ve, amp, samples, DT_US, 1.62,
                                   early_stop=False, record=True)
        slow = neuron_ref._simulate_loop(fiber10, ve, amp, samples, DT_US, 1.62,
                                         early_stop=False, record=True)
        assert fast["fired"] == slow["fired"] == (amp > 0.12)
        np.testing.assert_allclose(fast["v_mv"], slow["v_mv"], rtol=0, atol=1e-9)


def test_early_stop_gives_same_answer(neuron_ref: ModuleType, fiber10) -> None:
    ve, samples = _point_source_case()
    full = neuron_ref.simulate(fiber10, ve, 0.13, samples, DT_US, 1.62, early_stop=False)
    early = neuron_ref.simulate(fiber10, ve, 0.13, samples, DT_US, 1.62)
    assert full["fired"] and early["fired"]
    assert early["t_fire_ms"] == pytest.approx(full["t_fire_ms"])


def test_threshold_10um_1mm_100us(neuron_ref: ModuleType) -> None:
    thr = neuron_ref.find_threshold(10.0, 1.0, 0.0, 100.0, 0.2, dt_us=DT_US, n_nodes=21)
    assert 0.10 <= thr <= 0.14


def test_conduction_velocity_10um(neuron_ref: ModuleType) -> None:
    cv = neuron_ref.conduction_velocity(10.0)
    assert 45.0 <= cv <= 65.0


def test_bad_input_lengths(neuron_ref: ModuleType, fiber10) -> None:
    n = len(fiber10.sections)
    with pytest.raises(ValueError, match="sections"):
        neuron_ref.simulate(fiber10, np.zeros(n - 1), 0.1, np.zeros(400), DT_US, 2.0)
    with pytest.raises(ValueError, match="waveform_samples"):
        neuron_ref.simulate(fiber10, np.zeros(n), 0.1, np.zeros(10), DT_US, 2.0)
