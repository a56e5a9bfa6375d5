"""Axon model data (MRG, Sweeney), cable construction and node channel kinetics."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.axons import channels
from neuraxis.axons.cable import build_cable, build_mrg_cable, build_sweeney_cable
from neuraxis.axons.models import mrg, sweeney

# McIntyre, Richardson & Grill 2002 (J Neurophysiol 87:995), ModelDB 3810 MRGaxon.hoc,
# proc dependent_var: fiberD -> axonD (= paraD2), nodeD (= paraD1), deltax,
# paralength2 (FLUT), nl. Typed in from the published source, not from neuraxis.
PUBLISHED = {
    5.7: (3.4, 1.9, 500, 35, 80),
    7.3: (4.6, 2.4, 750, 38, 100),
    8.7: (5.8, 2.8, 1000, 40, 110),
    10.0: (6.9, 3.3, 1150, 46, 120),
    11.5: (8.1, 3.7, 1250, 50, 130),
    12.8: (9.2, 4.2, 1350, 54, 135),
    14.0: (10.4, 4.7, 1400, 56, 140),
    15.0: (11.5, 5.0, 1450, 58, 145),
    16.0: (12.7, 5.5, 1500, 60, 150),
}
FIELDS = ("axon_diameter_um", "node_diameter_um", "node_spacing_um", "flut_length_um",
          "n_lamellae")

# --------------------------------------------------------------------------- MRG geometry


@pytest.mark.parametrize("d", sorted(PUBLISHED))
def test_discrete_geometry_matches_published_table(d):
    g = mrg.mrg_geometry(d, "discrete")
    assert g.source == "discrete"
    assert g.fiber_diameter_um == d
    got = tuple(getattr(g, f) for f in FIELDS)
    assert got == pytest.approx(PUBLISHED[d], abs=1e-12)
    # 'auto' uses the table for a table diameter
    assert mrg.mrg_geometry(d).source == "discrete"


def test_discrete_diameters_are_exactly_the_nine_published():
    assert sorted(mrg.DISCRETE_DIAMETERS_UM) == sorted(PUBLISHED)


def test_fixed_mrg_constants_match_mrgaxon_hoc():
    # MRGaxon.hoc: nodelength 1, paralength1 3, space_p1 0.002, space_p2/space_i 0.004,
    # rhoa 0.7e6 ohm-um = 70 ohm-cm, mycm 0.1 uF/cm2, mygm 0.001 S/cm2, c 2 uF/cm2
    assert (mrg.NODE_LENGTH_UM, mrg.MYSA_LENGTH_UM) == (1.0, 3.0)
    assert (mrg.SPACE_NODE_MYSA_UM, mrg.SPACE_FLUT_STIN_UM) == (0.002, 0.004)
    assert mrg.RHOA_OHM_CM == pytest.approx(0.7e6 * 1e-4)
    assert (mrg.MYELIN_CM_UF_PER_CM2, mrg.MYELIN_G_S_PER_CM2, mrg.CM_UF_PER_CM2) == \
        (0.1, 0.001, 2.0)


@pytest.mark.parametrize("d", sorted(PUBLISHED))
def test_stin_length_formula_discrete(d):
    _axon, _node, deltax, flut, _nl = PUBLISHED[d]
    g = mrg.mrg_geometry(d, "discrete")
    # MRGaxon.hoc: interlength = (deltax - nodelength - 2 paralength1 - 2 paralength2) / 6
    assert g.stin_length_um == pytest.approx((deltax - 1 - 6 - 2 * flut) / 6, rel=1e-12)


def test_stin_length_positive_over_interpolated_range():
    for d in np.linspace(2.0, 16.0, 281):
        g = mrg.mrg_geometry(float(d), "interpolated")
        assert g.stin_length_um > 0
        assert g.node_diameter_um < g.axon_diameter_um < g.fiber_diameter_um
        assert g.n_lamellae > 0 and g.flut_length_um > 0


# Largest relative deviation of the ASCENT/PyFibers quadratic fits from the table at the
# nine diameters (measured: deltax 3.2 %, nl 3.1 %, axonD 5.1 %, nodeD 6.8 %, FLUT 12.7 %,
# the worst all at 5.7 um, the end of the fitted range). Bounds with a little headroom;
# they are per quantity because no single bound (e.g. 5 %) holds for all of them.
FIT_TOL = {"node_spacing_um": 0.035, "n_lamellae": 0.035, "axon_diameter_um": 0.055,
           "node_diameter_um": 0.07, "flut_length_um": 0.13}


@pytest.mark.parametrize("d", sorted(PUBLISHED))
def test_interpolated_close_to_discrete_at_table_diameters(d):
    gi = mrg.mrg_geometry(d, "interpolated")
    assert gi.source == "interpolated"
    for f, pub in zip(FIELDS, PUBLISHED[d], strict=True):
        assert getattr(gi, f) == pytest.approx(pub, rel=FIT_TOL[f]), f


def test_interpolated_fit_quality_on_average():
    # Away from the 5.7 um end point the fits are better: every quantity within 6.5 % for
    # D >= 7.3 um (worst: FLUT +6.2 % at 8.7 um), node spacing RMS error below 2.5 %.
    for d in sorted(PUBLISHED)[1:]:
        gi = mrg.mrg_geometry(d, "interpolated")
        for f, pub in zip(FIELDS, PUBLISHED[d], strict=True):
            assert abs(getattr(gi, f) / pub - 1) < 0.065, (d, f)
    rms = np.sqrt(np.mean([(mrg.mrg_geometry(d, "interpolated").node_spacing_um / v[2] - 1)**2
                           for d, v in PUBLISHED.items()]))
    assert rms < 0.025


def test_interpolated_deltax_is_continuous_at_the_branch():
    b = mrg.DELTAX_BRANCH_UM
    assert b == pytest.approx(5.643)
    below = mrg.mrg_geometry(b - 1e-9, "interpolated").node_spacing_um
    at = mrg.mrg_geometry(b, "interpolated").node_spacing_um
    # both branches meet near 495 um (within 0.02 um, i.e. 4e-5 relative)
    assert below == pytest.approx(495.37, abs=0.02)
    assert at == pytest.approx(495.36, abs=0.02)
    assert abs(at - below) < 0.05
    # and the spacing increases with diameter over the whole range
    dx = [mrg.mrg_geometry(float(d), "interpolated").node_spacing_um
          for d in np.linspace(2.0, 16.0, 141)]
    assert np.all(np.diff(dx) > 0)


def test_small_branch_is_linear_100_d_scale():
    # small fibers: deltax = 81.08 D + 37.84 (ASCENT); at 2 um -> 200 um, i.e. ~100 D
    g = mrg.mrg_geometry(2.0, "interpolated")
    assert g.node_spacing_um == pytest.approx(200.0, rel=1e-3)


def test_auto_uses_fits_off_table():
    g = mrg.mrg_geometry(9.0)
    assert g.source == "interpolated"
    assert mrg.mrg_geometry(9.0, "interpolated") == g


def test_discrete_off_table_lists_allowed_diameters():
    expected = ("Invalid value for 'diameter_um'. Allowed values for geometry='discrete' are "
                "5.7, 7.3, 8.7, 10, 11.5, 12.8, 14, 15, 16 um, but got 9 um - use "
                "geometry='interpolated' for other diameters")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        mrg.mrg_geometry(9.0, "discrete")


@pytest.mark.parametrize("d", [1.5, 17.0, 0.0, -3.0, np.nan])
@pytest.mark.parametrize("geometry", ["auto", "interpolated"])
def test_out_of_range_diameters_raise(d, geometry):
    with pytest.raises(NeuraxisInputError, match=re.escape(
            "Invalid value for 'diameter_um'. Allowed range is [2, 16] um, but got")):
        mrg.mrg_geometry(d, geometry)


def test_range_bounds_are_accepted():
    assert mrg.mrg_geometry(2.0).source == "interpolated"
    assert mrg.mrg_geometry(16.0).source == "discrete"
    assert mrg.mrg_geometry(16.0, "interpolated").source == "interpolated"


def test_bad_geometry_option():
    with pytest.raises(NeuraxisInputError, match=re.escape("did you mean 'discrete'")):
        mrg.mrg_geometry(10.0, "discreet")


# --------------------------------------------------------------------------- MRG sections


@pytest.mark.parametrize("n_nodes", [2, 5, 21])
def test_mrg_sections_structure(n_nodes):
    g = mrg.mrg_geometry(10.0)
    secs = mrg.mrg_sections(g, n_nodes)
    assert len(secs) == 11 * (n_nodes - 1) + 1
    kinds = [s["kind"] for s in secs]
    assert kinds[0] == kinds[-1] == "node"
    period = ["mysa", "flut"] + ["stin"] * 6 + ["flut", "mysa"]
    for k in range(n_nodes - 1):
        block = kinds[11 * k: 11 * k + 12]
        assert block == ["node"] + period + ["node"]
    assert kinds.count("node") == n_nodes
    # lengths of one internode add up to the node spacing
    internode = sum(s["length_um"] for s in secs[1:11])
    assert internode + mrg.NODE_LENGTH_UM == pytest.approx(g.node_spacing_um, rel=1e-13)
    # diameters per MRGaxon.hoc: node and MYSA nodeD, FLUT and STIN axonD
    for s in secs:
        want = g.node_diameter_um if s["kind"] in ("node", "mysa") else g.axon_diameter_um
        assert s["diameter_um"] == want
        assert s["myelin_ref_diameter_um"] == g.fiber_diameter_um
    # sections are independent dicts (mutating one must not change another)
    secs[1]["length_um"] = -1.0
    assert secs[10]["length_um"] == mrg.MYSA_LENGTH_UM


# --------------------------------------------------------------------------- MRG cable


@pytest.mark.parametrize("d", [5.7, 10.0, 16.0, 3.0, 9.0])
def test_mrg_cable_positions(d):
    n = 11
    c = build_mrg_cable(d, n_nodes=n)
    g = mrg.mrg_geometry(d)
    assert c.n_compartments == 11 * (n - 1) + 1 and c.n_nodes == n
    assert np.all(np.diff(c.x_um) > 0)
    assert c.x_um[0] == 0.0
    # node spacing equals deltax (floating-point sums: equal to ~1e-12 relative)
    np.testing.assert_allclose(np.diff(c.x_um[c.node_index]), g.node_spacing_um, rtol=1e-12)
    assert c.node_spacing_um == pytest.approx(g.node_spacing_um, rel=1e-12)
    # first and last compartments are nodes; centre-to-centre length (N-1) deltax; the
    # fiber end to end is (N-1) deltax + one node length (half a node at each end)
    assert c.node_index[0] == 0 and c.node_index[-1] == c.n_compartments - 1
    assert c.x_um[-1] == pytest.approx((n - 1) * g.node_spacing_um, rel=1e-12)
    total = c.x_um[-1] + mrg.NODE_LENGTH_UM
    assert total == pytest.approx((n - 1) * g.node_spacing_um + 1.0, rel=1e-12)
    assert c.middle_node_x_um == pytest.approx(c.x_um[-1] / 2, rel=1e-12)


@pytest.mark.parametrize("d", sorted(PUBLISHED))
def test_mrg_node_capacitance(d):
    c = build_mrg_cable(d, n_nodes=5)
    node_d = PUBLISHED[d][1]
    # 2 uF/cm2 x pi nodeD x 1 um; 1 uF/cm2 x 1 um2 = 1e-6 F / 1e8 um2 x 1 um2 = 1e-5 nF
    expected = 2.0 * math.pi * node_d * 1.0 * 1e-5
    np.testing.assert_allclose(c.c_m_nf[c.node_index], expected, rtol=1e-12)
    np.testing.assert_allclose(c.node_area_um2, math.pi * node_d * 1.0, rtol=1e-12)
    # node: no myelin capacitance, periaxon shorted to the outside
    assert np.all(c.c_my_nf[c.node_index] == 0)


@pytest.mark.parametrize("d", [5.7, 11.5, 16.0])
def test_mrg_myelin_and_passive_parameters(d):
    c = build_mrg_cable(d, n_nodes=5)
    axon_d, node_d, deltax, flut, nl = PUBLISHED[d]
    stin = (deltax - 7 - 2 * flut) / 6
    # compartments 1..10 of the first internode: MYSA FLUT 6xSTIN FLUT MYSA
    lengths = [3.0, flut] + [stin] * 6 + [flut, 3.0]
    inner_d = [node_d, axon_d] + [axon_d] * 6 + [axon_d, node_d]
    g_pas = [0.001, 0.0001] + [0.0001] * 6 + [0.0001, 0.001]  # S/cm2, MRGaxon.hoc
    for k, (L, di, gp) in enumerate(zip(lengths, inner_d, g_pas, strict=True), start=1):
        # myelin: 0.1 / (2 nl) uF/cm2 and 0.001 / (2 nl) S/cm2 on pi fiberD L
        a_my = math.pi * d * L
        assert c.c_my_nf[k] == pytest.approx(0.1 / (2 * nl) * a_my * 1e-5, rel=1e-12)
        # 1 S/cm2 x 1 um2 = 1e-8 S = 1e-2 uS
        assert c.g_my_us[k] == pytest.approx(0.001 / (2 * nl) * a_my * 1e-2, rel=1e-12)
        # axolemma: 2 uF/cm2 and g_pas on pi d L
        assert c.c_m_nf[k] == pytest.approx(2.0 * math.pi * di * L * 1e-5, rel=1e-12)
        assert c.g_pas_us[k] == pytest.approx(gp * math.pi * di * L * 1e-2, rel=1e-12)
    # axial conductance between two STINs: pi (d/2)^2 / (rho L) with rho = 0.7e6 ohm um
    g_stin = math.pi * (axon_d / 2) ** 2 / (0.7e6 * stin) * 1e6  # uS
    assert c.g_i_us[3] == pytest.approx(g_stin, rel=1e-12)
    # periaxonal: annulus of width 0.004 um around the axon
    peri = math.pi * ((axon_d / 2 + 0.004) ** 2 - (axon_d / 2) ** 2)
    assert c.g_p_us[3] == pytest.approx(peri / (0.7e6 * stin) * 1e6, rel=1e-12)
    # node periaxonal layer shorted to the outside: huge conductance
    assert np.all(c.g_my_us[c.node_index] > 1e6 * c.g_my_us[1:11].max())


def test_mrg_cable_bad_node_count():
    with pytest.raises(NeuraxisInputError, match=re.escape(
            "Invalid value for 'n_nodes'. Allowed values are integers in [5, 1001], but got 3")):
        build_mrg_cable(10.0, n_nodes=3)


# --------------------------------------------------------------------------- Sweeney


@pytest.mark.parametrize("d", [2.0, 8.0, 14.0])
def test_sweeney_cable(d):
    c = build_sweeney_cable(d, n_nodes=9)
    assert c.n_compartments == c.n_nodes == 9
    np.testing.assert_allclose(np.diff(c.x_um), 100.0 * d, rtol=1e-13)
    assert c.node_spacing_um == pytest.approx(100.0 * d)
    # node: diameter 0.6 D, length 1.5 um, 2.5 uF/cm2
    area = math.pi * 0.6 * d * 1.5
    np.testing.assert_allclose(c.node_area_um2, area, rtol=1e-13)
    np.testing.assert_allclose(c.c_m_nf, 2.5 * area * 1e-5, rtol=1e-13)
    # internode: a resistor of 54.7 ohm cm over 100 D with the node diameter
    r_ohm = 54.7e4 * 100 * d / (math.pi * (0.3 * d) ** 2)
    np.testing.assert_allclose(c.g_i_us, 1e6 / r_ohm, rtol=1e-12)
    # build_cable dispatches to the same construction
    c2 = build_cable("sweeney", d, n_nodes=9)
    np.testing.assert_array_equal(c2.x_um, c.x_um)


def test_build_cable_dispatch_and_errors():
    assert build_cable("mrg", 10.0, n_nodes=5).model == "mrg"
    with pytest.raises(NeuraxisInputError, match=re.escape("Invalid value for 'model'")):
        build_cable("hh", 10.0)
    with pytest.raises(NeuraxisInputError, match=re.escape(
            "Invalid value for 'diameter_um'. Allowed range is [1, 30] um, but got 40 um")):
        build_cable("sweeney", 40.0)


# --------------------------------------------------------------------------- channels

# Resting AXNODE gate values at -80 mV, 37 C (published MRG resting state).
AXNODE_REST = {"m": 0.0732, "h": 0.621, "p": 0.203, "s": 0.043}


def test_axnode_q10_factors():
    q = channels.axnode_q10(37.0)
    np.testing.assert_allclose(q, [2.2 ** 1.7, 2.9 ** 1.7, 2.2 ** 1.7, 3.0 ** 0.1], rtol=1e-13)


def test_axnode_steady_state_at_rest():
    p = channels.mechanism_params("axnode")
    g = channels.steady_gates("axnode", -80.0, p)
    for name, value in zip(channels.GATES["axnode"], g, strict=True):
        assert value == pytest.approx(AXNODE_REST[name], abs=1e-3), name


def test_axnode_resting_current_is_near_zero():
    p = channels.mechanism_params("axnode")
    g = channels.steady_gates("axnode", -80.0, p)
    gsum, ge = channels.conductances("axnode", -80.0, g, p)
    i_ion = gsum * -80.0 - ge  # mA/cm2
    assert abs(i_ion) < 0.005
    # and it is I = sum g (v - E) written out
    m, h, pp, s = g
    i_direct = (3.0 * m**3 * h * (-80 - 50) + 0.01 * pp**3 * (-80 - 50)
                + 0.08 * s * (-80 + 90) + 0.007 * (-80 + 90))
    assert i_ion == pytest.approx(i_direct, rel=1e-12)
    # the net current is not trivially zero: the leak alone carries +0.07 mA/cm2
    assert abs(0.007 * 10) > 10 * abs(i_ion)


def _vtrap_series(u: float, c: float) -> float:
    """u / (1 - exp(-u/c)) by its Taylor series at u = 0: c (1 + x/2 + x^2/12 - x^4/720)."""
    x = u / c
    return c * (1 + x / 2 + x * x / 12 - x**4 / 720)


# (name, index in axnode_rates output, A, B, C, sign of u = sign (V + B), q10 index)
VTRAP_RATES = [
    ("am", 0, 1.86, 21.4, 10.3, +1, 0),
    ("bm", 1, 0.086, 25.7, 9.16, -1, 0),
    ("ah", 2, 0.062, 114.0, 11.0, -1, 1),
    ("ap", 4, 0.01, 27.0, 10.2, +1, 2),
    ("bp", 5, 0.00025, 34.0, 10.0, -1, 2),
]


@pytest.mark.parametrize("name, idx, A, B, C, sign, qi", VTRAP_RATES)
def test_vtrap_rates_continuous_at_singular_point(name, idx, A, B, C, sign, qi):
    q10 = channels.axnode_q10(37.0)
    rates = channels.axnode_rates
    v0 = -B
    limit = q10[qi] * A * C
    at = rates(np.array(v0), q10)[idx]
    assert np.isfinite(at)
    assert at == pytest.approx(limit, rel=1e-9)
    for dv in (-1e-6, 1e-6, -1e-4, 1e-4, -0.01, 0.01):
        got = float(rates(np.array(v0 + dv), q10)[idx])
        u = sign * ((v0 + dv) + B)
        want = q10[qi] * A * _vtrap_series(u, C)
        assert got == pytest.approx(want, rel=1e-9), dv


def test_vtrap_continuous_across_branch_switch():
    # the small-|x| branch takes over at |u/c| = 1e-7: both sides agree with the series
    c = 10.3
    for s in (-1, 1):
        for x in (0.99e-7, 1.01e-7, 1e-9, 1e-5):
            u = s * x * c
            got = float(channels._vtrap(np.array(u), c))
            assert got == pytest.approx(_vtrap_series(u, c), rel=1e-12)
            assert channels._vtrap_s(u, c) == pytest.approx(got, rel=1e-12)


def test_vtrap_far_from_singularity():
    # against the plain formula where it has no cancellation
    for u in (-50.0, -5.0, 3.0, 40.0):
        want = u / (1 - math.exp(-u / 9.16))
        assert float(channels._vtrap(np.array(u), 9.16)) == pytest.approx(want, rel=1e-13)
    # asymptotes: ~u for u >> c, -> 0 (like |u| exp(u/c)) for u << -c
    assert float(channels._vtrap(np.array(200.0), 10.0)) == pytest.approx(200.0, rel=1e-8)
    assert float(channels._vtrap(np.array(-200.0), 10.0)) < 1e-6


def test_scalar_and_array_rates_agree():
    q10 = channels.axnode_q10(37.0)
    scalar_rates = channels.make_axnode_rates(channels._vtrap_s)
    v = np.array([-120.0, -114.0, -80.0, -34.0, -27.0, -25.7, -21.4, 0.0, 40.0])
    arr = np.array(channels.axnode_rates(v, q10))
    for k, vk in enumerate(v):
        sc = np.array(scalar_rates(float(vk), q10))
        np.testing.assert_allclose(sc, arr[:, k], rtol=1e-13)
    assert np.all(arr > 0)


def test_step_gates_relaxes_to_steady_state():
    p = channels.mechanism_params("axnode")
    inf = channels.steady_gates("axnode", -60.0, p)
    gates = channels.steady_gates("axnode", -80.0, p).copy()
    for _ in range(200):
        channels.step_gates("axnode", -60.0, gates, p, 1.0)
    np.testing.assert_allclose(gates, inf, rtol=1e-6)
    # at steady state a step leaves gates unchanged
    g2 = inf.copy()
    channels.step_gates("axnode", -60.0, g2, p, 0.05)
    np.testing.assert_allclose(g2, inf, rtol=1e-13)


def test_sweeney_resting_state():
    p = channels.mechanism_params("sweeney")
    np.testing.assert_array_equal(p, [1.445, 0.128, 35.64, -80.01])
    g = channels.steady_gates("sweeney", -80.0, p)
    assert np.all((g > 0) & (g < 1))
    gsum, ge = channels.conductances("sweeney", -80.0, g, p)
    # -80 mV is the Sweeney resting potential: net current ~0 (vs 0.128 * 10 per 10 mV)
    assert abs(gsum * -80.0 - ge) < 1e-3
    assert sweeney.NODE_SPACING_PER_D == 100.0
