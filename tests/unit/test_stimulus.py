"""Extracellular point-source potentials and stimulus waveforms."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.axons.stimulus import (
    Waveform,
    fiber_point_source_mv_per_ma,
    point_source_mv_per_ma,
)

# --------------------------------------------------------------------------- point source


def _iso_mv_per_ma(r_m: np.ndarray, sigma: float) -> np.ndarray:
    """V = I / (4 pi sigma r) with I = 1 mA = 1e-3 A, returned in mV (x 1e3)."""
    i_a = 1e-3
    return i_a / (4.0 * np.pi * sigma * r_m) * 1e3


def test_isotropic_point_source_textbook_value():
    # 1 mA in 0.2 S/m at 1 mm: 1e-3 / (4 pi 0.2 1e-3) V = 0.3979 V = 397.9 mV.
    v = point_source_mv_per_ma(np.array([1000.0, 0.0, 0.0]), np.zeros(3), 0.2)
    assert v == pytest.approx(397.88735772973837, rel=1e-12)


def test_isotropic_point_source_matches_closed_form_for_random_points():
    rng = np.random.default_rng(1)
    src = np.array([120.0, -40.0, 3000.0])
    pts = src + rng.normal(scale=2000.0, size=(50, 3))
    r_m = np.linalg.norm(pts - src, axis=-1) * 1e-6
    for sigma in (0.02, 0.2, 1.7):
        np.testing.assert_allclose(point_source_mv_per_ma(pts, src, sigma),
                                   _iso_mv_per_ma(r_m, sigma), rtol=1e-12)


def test_point_source_shape_and_inverse_distance_scaling():
    pts = np.zeros((4, 5, 3))
    pts[..., 1] = np.arange(1, 6) * 100.0  # 100 .. 500 um along y
    v = point_source_mv_per_ma(pts, np.zeros(3), 0.3)
    assert v.shape == (4, 5)
    # V r is constant (1/r law): doubling the distance halves the potential
    np.testing.assert_allclose(v[0] * np.arange(1, 6), v[0, 0], rtol=1e-12)
    # V is inversely proportional to sigma
    np.testing.assert_allclose(point_source_mv_per_ma(pts, np.zeros(3), 0.6), v / 2, rtol=1e-12)


def test_point_source_only_depends_on_relative_position():
    rng = np.random.default_rng(2)
    pts = rng.uniform(-5000, 5000, size=(20, 3))
    src = np.array([10.0, 20.0, 30.0])
    shift = np.array([1234.0, -987.0, 55.0])
    sig = (0.08, 0.1, 0.6)
    np.testing.assert_allclose(point_source_mv_per_ma(pts + shift, src + shift, sig),
                               point_source_mv_per_ma(pts, src, sig), rtol=1e-10)


def test_anisotropic_reduces_to_isotropic():
    rng = np.random.default_rng(3)
    pts = rng.uniform(-3000, 3000, size=(30, 3))
    src = np.array([0.0, 500.0, 0.0])
    np.testing.assert_allclose(point_source_mv_per_ma(pts, src, (0.25, 0.25, 0.25)),
                               point_source_mv_per_ma(pts, src, 0.25), rtol=1e-13)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_anisotropic_along_each_axis(axis):
    # On axis k, V = I / (4 pi sqrt(s_i s_j) |d|) with i, j the two other axes.
    sig = np.array([0.083, 0.12, 0.6])
    d_um = np.array([-3000.0, -250.0, 40.0, 700.0, 5000.0])
    pts = np.zeros((d_um.size, 3))
    pts[:, axis] = d_um
    others = np.prod(np.delete(sig, axis))
    expected = 1e-3 / (4 * np.pi * np.sqrt(others) * np.abs(d_um) * 1e-6) * 1e3
    np.testing.assert_allclose(point_source_mv_per_ma(pts, np.zeros(3), tuple(sig)),
                               expected, rtol=1e-12)


def test_anisotropic_general_formula():
    rng = np.random.default_rng(4)
    sx, sy, sz = 0.083, 0.2, 0.6
    pts = rng.uniform(-4000, 4000, size=(40, 3))
    x, y, z = (pts * 1e-6).T
    expected = 1.0 / (4 * np.pi * np.sqrt(sx * sy * sz)
                      * np.sqrt(x**2 / sx + y**2 / sy + z**2 / sz))
    np.testing.assert_allclose(point_source_mv_per_ma(pts, np.zeros(3), (sx, sy, sz)),
                               expected, rtol=1e-12)


def test_anisotropic_potential_solves_the_conduction_equation():
    # Away from the source, div(sigma grad V) = sum_k s_k d2V/dx_k2 = 0.
    sig = np.array([0.083, 0.2, 0.6])
    p0 = np.array([700.0, -400.0, 900.0])
    h = 5.0
    terms = []
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        v = point_source_mv_per_ma(np.stack([p0 - e, p0, p0 + e]), np.zeros(3), tuple(sig))
        terms.append(sig[k] * (v[0] - 2 * v[1] + v[2]) / h**2)
    terms = np.array(terms)
    assert abs(terms.sum()) < 1e-4 * np.abs(terms).max()
    # the plain Laplacian (unweighted) is clearly not zero: the check discriminates
    lap = terms / sig
    assert abs(lap.sum()) > 1e-2 * np.abs(lap).max()


def test_superposition_of_two_sources():
    # Linearity: the field of two sources is the sum; equal sources symmetric.
    pts = np.array([[0.0, 0.0, z] for z in np.linspace(-2000, 2000, 41)])
    a = np.array([500.0, 0.0, -600.0])
    b = np.array([500.0, 0.0, 600.0])
    va = point_source_mv_per_ma(pts, a, 0.2)
    vb = point_source_mv_per_ma(pts, b, 0.2)
    total = va + vb
    np.testing.assert_allclose(total, total[::-1], rtol=1e-12)
    np.testing.assert_allclose(va, vb[::-1], rtol=1e-12)


@pytest.mark.parametrize("sigma", [0.0, -0.2, (0.1, 0.0, 0.1), np.nan])
def test_point_source_refuses_bad_conductivity(sigma):
    with pytest.raises(NeuraxisInputError,
                       match=re.escape("Invalid value for 'sigma_s_per_m'") + r".*S/m"):
        point_source_mv_per_ma(np.ones(3), np.zeros(3), sigma)


def test_fiber_point_source_symmetric_about_middle_node():
    x = np.arange(21) * 1150.0
    mid = x[10]
    ve = fiber_point_source_mv_per_ma(x, mid, distance_mm=2.0, offset_mm=0.0,
                                      sigma_s_per_m=0.2)
    np.testing.assert_allclose(ve, ve[::-1], rtol=1e-13)
    assert np.argmax(ve) == 10
    # peak value: distance 2 mm
    assert ve[10] == pytest.approx(_iso_mv_per_ma(2e-3, 0.2), rel=1e-12)
    # strictly decreasing away from the middle
    assert np.all(np.diff(ve[10:]) < 0)


def test_fiber_point_source_peaks_at_the_offset():
    x = np.arange(21) * 1000.0
    ve = fiber_point_source_mv_per_ma(x, x[10], distance_mm=1.5, offset_mm=3.0,
                                      sigma_s_per_m=0.2)
    assert np.argmax(ve) == 13
    # symmetric about the offset position
    np.testing.assert_allclose(ve[13 - 5:13], ve[13 + 5:13:-1], rtol=1e-13)
    # at node 10 the source is 3 mm along and 1.5 mm across
    assert ve[10] == pytest.approx(_iso_mv_per_ma(np.hypot(1.5e-3, 3e-3), 0.2), rel=1e-12)


def test_fiber_point_source_orientation_fiber_along_z_source_along_x():
    # The fiber runs along z, the source sits along x: with (sx, sy, sz) the
    # potential at the closest point is I / (4 pi sqrt(sy sz) d).
    sig = (0.083, 0.1, 0.6)
    x = np.arange(11) * 1000.0
    ve = fiber_point_source_mv_per_ma(x, x[5], distance_mm=1.0, offset_mm=0.0,
                                      sigma_s_per_m=sig)
    assert ve[5] == pytest.approx(1.0 / (4 * np.pi * np.sqrt(0.1 * 0.6) * 1e-3), rel=1e-12)
    # far along the fiber (|z| >> d): ~ I / (4 pi sqrt(sx sy) |z|)
    x_far = np.array([0.0, 1e6])
    ve_far = fiber_point_source_mv_per_ma(x_far, 0.0, distance_mm=1e-3, offset_mm=0.0,
                                          sigma_s_per_m=sig)
    assert ve_far[1] == pytest.approx(1.0 / (4 * np.pi * np.sqrt(0.083 * 0.1) * 1.0), rel=1e-6)


# --------------------------------------------------------------------------- waveform


def test_monophasic_cathodic_shape():
    w = Waveform(pulse_width_us=100.0, delay_us=20.0)
    t = np.array([0.0, 19.999, 20.0, 50.0, 119.999, 120.0, 500.0])
    np.testing.assert_array_equal(w.value_at(t), [0, 0, -1, -1, -1, 0, 0])
    assert w.pulse_duration_us == 100.0
    assert w.end_us == 120.0


def test_monophasic_anodic_is_the_mirror():
    kw = {"pulse_width_us": 60.0, "delay_us": 10.0}
    t = np.linspace(0, 200, 2001)
    np.testing.assert_array_equal(Waveform(polarity="anodic", **kw).value_at(t),
                                  -Waveform(polarity="cathodic", **kw).value_at(t))


@pytest.mark.parametrize("ratio, gap", [(1.0, 0.0), (2.0, 0.0), (1.0, 50.0), (2.0, 30.0),
                                        (4.0, 10.0)])
def test_biphasic_is_charge_balanced(ratio, gap):
    dt = 5.0
    w = Waveform(pulse_width_us=100.0, shape="biphasic", recovery_ratio=ratio,
                 interphase_gap_us=gap, delay_us=20.0)
    s = w.samples(dt, 400)
    assert abs(s.sum() * dt) < 1e-12
    # leading phase carries the full pulse charge (-1 x 100 us)
    assert s[s < 0].sum() * dt == pytest.approx(-100.0, rel=1e-12)
    # recovery amplitude is 1 / ratio and lasts ratio x pw
    assert np.allclose(s[s > 0], 1.0 / ratio)
    assert np.count_nonzero(s > 0) * dt == pytest.approx(100.0 * ratio)
    assert w.pulse_duration_us == pytest.approx(100.0 * (1 + ratio) + gap)


def test_biphasic_phase_timing_with_gap():
    w = Waveform(pulse_width_us=100.0, shape="biphasic", interphase_gap_us=50.0,
                 recovery_ratio=2.0, delay_us=20.0)
    t = np.array([19.9, 20.0, 119.9, 120.0, 169.9, 170.0, 369.9, 370.0])
    np.testing.assert_allclose(w.value_at(t), [0, -1, -1, 0, 0, 0.5, 0.5, 0])
    assert w.end_us == pytest.approx(370.0)


def test_biphasic_anodic_is_the_mirror():
    kw = {"pulse_width_us": 80.0, "shape": "biphasic", "interphase_gap_us": 20.0,
              "recovery_ratio": 3.0, "delay_us": 0.0}
    t = np.linspace(0, 500, 5001)
    a = Waveform(polarity="anodic", **kw).value_at(t)
    c = Waveform(polarity="cathodic", **kw).value_at(t)
    np.testing.assert_array_equal(a, -c)
    assert a.max() == 1.0 and a.min() == pytest.approx(-1.0 / 3.0)


def test_pulse_train_count_and_period():
    rate = 1000.0  # 1 ms period
    n = 5
    dt = 5.0
    w = Waveform(pulse_width_us=100.0, shape="biphasic", delay_us=20.0, rate_hz=rate,
                 n_pulses=n)
    s = w.samples(dt, 2000)
    lead = (s < 0).astype(int)
    onsets = np.flatnonzero(np.diff(np.concatenate([[0], lead])) == 1)
    assert onsets.size == n
    np.testing.assert_allclose(onsets * dt, 20.0 + np.arange(n) * 1e6 / rate)
    assert abs(s.sum() * dt) < 1e-12  # every pulse balanced
    assert np.count_nonzero(s) == n * 40
    assert w.end_us == pytest.approx(20.0 + (n - 1) * 1000.0 + 200.0)
    # nothing after the last pulse
    assert not np.any(s[int(w.end_us / dt):])


def test_rate_is_ignored_for_a_single_pulse():
    a = Waveform(pulse_width_us=100.0, rate_hz=50.0)
    b = Waveform(pulse_width_us=100.0, rate_hz=1e5)  # would be too fast for a train
    t = np.linspace(0, 1000, 1001)
    np.testing.assert_array_equal(a.value_at(t), b.value_at(t))
    assert a.end_us == b.end_us == 120.0


@pytest.mark.parametrize("dt", [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 25.0])
def test_samples_midpoint_convention(dt):
    # A 100 us pulse sampled at step midpoints gives exactly 100 / dt samples.
    w = Waveform(pulse_width_us=100.0, delay_us=20.0)
    s = w.samples(dt, round(400 / dt))
    nz = np.flatnonzero(s)
    assert nz.size == round(100 / dt)
    assert nz[0] == round(20 / dt)
    assert np.all(np.diff(nz) == 1)
    assert np.all(s[nz] == -1.0)


def test_samples_dt5_gives_20_samples():
    s = Waveform(pulse_width_us=100.0, delay_us=0.0).samples(5.0, 100)
    assert np.count_nonzero(s) == 20
    np.testing.assert_array_equal(np.flatnonzero(s), np.arange(20))


def test_invalid_pulse_width():
    expected = ("Invalid value for 'pulse_width_us'. Allowed range is [1, 100000] us, "
                "but got -5 us")
    with pytest.raises(ValueError, match="^" + re.escape(expected) + "$"):
        Waveform(pulse_width_us=-5.0)


def test_invalid_polarity_hints():
    with pytest.raises(NeuraxisInputError, match=re.escape("did you mean 'cathodic'?")):
        Waveform(pulse_width_us=100.0, polarity="cathodal")


def test_invalid_shape():
    with pytest.raises(NeuraxisInputError, match=re.escape("Invalid value for 'shape'")):
        Waveform(pulse_width_us=100.0, shape="triphasic")


@pytest.mark.parametrize("field, value", [("recovery_ratio", 0.0), ("interphase_gap_us", -1.0),
                                          ("delay_us", -1.0), ("n_pulses", 0)])
def test_invalid_other_fields(field, value):
    with pytest.raises(NeuraxisInputError, match=re.escape(f"Invalid value for {field!r}")):
        Waveform(pulse_width_us=100.0, **{field: value})


def test_rate_too_high_for_the_pulse():
    # biphasic 100 + 100 us = 200 us per pulse -> at most 5000 Hz
    with pytest.raises(ValueError, match=re.escape(
            "Invalid value for 'rate_hz'. Allowed range is (0, 5000] Hz for this pulse "
            "(200 us long), but got 10000 Hz")):
        Waveform(pulse_width_us=100.0, shape="biphasic", rate_hz=10000.0, n_pulses=3)
    # back-to-back pulses are allowed
    Waveform(pulse_width_us=100.0, shape="biphasic", rate_hz=5000.0, n_pulses=3)


def test_rate_must_be_positive_for_trains():
    with pytest.raises(NeuraxisInputError, match=re.escape("Invalid value for 'rate_hz'")):
        Waveform(pulse_width_us=100.0, rate_hz=0.0, n_pulses=2)


def test_fractional_n_pulses_is_refused():
    with pytest.raises(NeuraxisInputError, match=re.escape("Invalid value for 'n_pulses'")):
        Waveform(pulse_width_us=100.0, n_pulses=2.5)
