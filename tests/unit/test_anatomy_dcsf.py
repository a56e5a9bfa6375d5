"""Clinical anatomy ranges: dCSF moves the cord in a fixed dural sac, lateral cord position,
the chronic-lead sheath (neuraxis.anatomy)."""

from __future__ import annotations

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy import LEVELS, level_defaults, load_conductivities, read_table, spine_anatomy
from neuraxis.anatomy.model import (
    LEAD_CLEARANCE_MM,
    MIN_VENTRAL_CSF_MM,
    THINNEST_LEAD_MM,
    default_encapsulation_thickness_mm,
)
from neuraxis.anatomy.tables import cord_offset_range, dcsf_range

# Typed in from the abstract of Holsheimer et al. 1994 (AJNR 15:951), supine, not read
# from neuraxis: the measured modelled levels.
HOLSHEIMER_1994_DCSF_MM = {"T11": (2.0, 6.0), "T12": (1.5, 4.5)}
HOLSHEIMER_1994_CORD_OFFSET_MM = 2.0  # spinal vs vertebral midline, "up to 1.5 to 2.0 mm"
# The geometry before the sac rule (fixed ventral CSF 1.5 mm): defaults must not move.
OLD_VENTRAL_CSF_MM = 1.5


def _grid(lo: float, hi: float) -> np.ndarray:
    return np.round(np.arange(lo, hi + 1e-9, 0.1), 2)


def test_published_ranges_have_sources():
    table = read_table("anatomy_levels.yaml")
    assert set(table["dcsf_ranges_mm"]) == set(LEVELS)
    for level in LEVELS:
        r = dcsf_range(level)
        assert 0 < r.low_mm < r.high_mm and "Holsheimer" in r.source
        assert r.verified is (level in HOLSHEIMER_1994_DCSF_MM)
        if not r.verified:
            assert "nterpolated" in r.source
    for level, (lo, hi) in HOLSHEIMER_1994_DCSF_MM.items():
        assert (dcsf_range(level).low_mm, dcsf_range(level).high_mm) == (lo, hi)
    off = cord_offset_range()
    assert (off.low_mm, off.high_mm) == (-HOLSHEIMER_1994_CORD_OFFSET_MM,
                                         HOLSHEIMER_1994_CORD_OFFSET_MM) and off.verified
    with pytest.raises(NeuraxisInputError, match="got 'T7'"):
        dcsf_range("T7")


@pytest.mark.parametrize("level", LEVELS)
def test_default_geometry_is_unchanged(level):
    a = spine_anatomy(level)
    d = level_defaults(level)
    assert a.ventral_csf_mm == pytest.approx(OLD_VENTRAL_CSF_MM) and a.sac_growth_mm == 0
    top = d["cord_depth_mm"] / 2 + d["dcsf_mm"]
    bottom = -(d["cord_depth_mm"] / 2 + OLD_VENTRAL_CSF_MM)
    assert a.sac_ellipse.center_y_mm == pytest.approx((top + bottom) / 2)
    assert a.sac_ellipse.semi_y_mm == pytest.approx((top - bottom) / 2)
    assert a.dorsal_epidural_mm == pytest.approx(
        d["canal_depth_mm"] - d["ventral_epidural_mm"] - 2 * d["dura_thickness_mm"]
        - (top - bottom))


@pytest.mark.parametrize("level", LEVELS)
def test_larger_dcsf_moves_the_cord_ventrally_in_a_fixed_sac(level):
    a = spine_anatomy(level)
    d = a.dcsf_mm + 0.5
    b = spine_anatomy(level, dcsf_mm=d)

    def bottom(e):
        return e.center_y_mm - e.semi_y_mm

    # sac: same size, same place in the canal; the cord moved 0.5 mm ventrally within it
    assert b.sac_ellipse.semi_y_mm == pytest.approx(a.sac_ellipse.semi_y_mm)
    assert bottom(b.sac_ellipse) - bottom(b.canal_ellipse) == pytest.approx(
        bottom(a.sac_ellipse) - bottom(a.canal_ellipse))
    assert b.ventral_csf_mm == pytest.approx(a.ventral_csf_mm - 0.5)
    assert b.dorsal_epidural_mm == pytest.approx(a.dorsal_epidural_mm)
    assert b.sac_ellipse.top_y_mm(0.0) - b.cord_ellipse.top_y_mm(0.0) == pytest.approx(d)


@pytest.mark.parametrize("level", LEVELS)
def test_beyond_the_minimum_ventral_csf_the_sac_grows_dorsally(level):
    a = spine_anatomy(level)
    stop = a.sac_depth_mm - a.cord_depth_mm - MIN_VENTRAL_CSF_MM  # cord on the floor
    b, c = spine_anatomy(level, dcsf_mm=stop), spine_anatomy(level, dcsf_mm=stop + 0.2)
    assert b.ventral_csf_mm == pytest.approx(MIN_VENTRAL_CSF_MM) and b.sac_growth_mm == 0
    assert c.ventral_csf_mm == pytest.approx(MIN_VENTRAL_CSF_MM)
    assert c.sac_growth_mm == pytest.approx(0.2)
    assert c.dorsal_epidural_mm == pytest.approx(b.dorsal_epidural_mm - 0.2)


@pytest.mark.parametrize("level", LEVELS)
def test_largest_dcsf_is_accepted_and_named_when_refused(level):
    a = spine_anatomy(level)
    m = a.max_dcsf_mm
    top = spine_anatomy(level, dcsf_mm=m)
    assert top.dorsal_epidural_mm >= top.min_dorsal_epidural_mm - 1e-9
    assert top.dorsal_epidural_mm < top.min_dorsal_epidural_mm + 0.011
    with pytest.raises(NeuraxisInputError, match=rf"'dcsf_mm'. The largest allowed at {level} is "
                       rf"{m:g} mm \(cord_offset_x_mm = 0\), but got {m + 0.01:g} mm"):
        spine_anatomy(level, dcsf_mm=m + 0.01)


def test_the_limit_holds_the_thinnest_lead_in_its_sheath():
    from neuraxis.leads import Placement, load_lead, place_lead
    from neuraxis.leads.catalogue import list_leads

    leads = read_table("leads.yaml")["leads"]
    thinnest = min(v["diameter_mm"] for v in leads.values() if v.get("kind") == "percutaneous")
    assert THINNEST_LEAD_MM == thinnest and LEAD_CLEARANCE_MM == Placement("T9").clearance_mm
    for level in LEVELS:
        for t in (0.0, 0.3):
            a = spine_anatomy(level, encapsulation_thickness_mm=t)
            top = spine_anatomy(level, encapsulation_thickness_mm=t, dcsf_mm=a.max_dcsf_mm)
            for name in list_leads():
                if leads[name]["kind"] == "percutaneous":
                    place_lead(load_lead(name), Placement(level), top)


@pytest.mark.parametrize("level", sorted(HOLSHEIMER_1994_DCSF_MM))
def test_every_measured_dcsf_is_accepted_with_a_lead(level):
    from neuraxis.leads import Placement, load_lead, place_lead

    lo, hi = HOLSHEIMER_1994_DCSF_MM[level]
    for d in _grid(lo, hi):
        a = spine_anatomy(level, dcsf_mm=float(d))
        assert a.dcsf_mm == d
        place_lead(load_lead("percutaneous_1x8"), Placement(level), a)


@pytest.mark.parametrize("level", ["T8", "T9", "T10"])
def test_interpolated_dcsf_is_accepted_up_to_the_level_limit(level):
    r = dcsf_range(level)
    m = spine_anatomy(level).max_dcsf_mm
    for d in _grid(r.low_mm, min(r.high_mm, m)):
        spine_anatomy(level, dcsf_mm=float(d))


@pytest.mark.xfail(strict=True, raises=NeuraxisInputError, reason=(
    "T8-T10 ranges are interpolated between T5-T6 (up to 8.5 mm) and T11 (up to 6.0 mm); with "
    "the cited mean canal depth (T8 14.6 mm, Korean J Spine 2012), cord depth 6.3 mm, 0.5 mm "
    "of CSF under the cord and room for a 1.3 mm lead in a 0.3 mm sheath, the largest dCSF "
    "is 4.7 (T8), 5.2 (T9), 5.8 mm (T10); a person with more has a deeper canal"))
@pytest.mark.parametrize("level", ["T8", "T9", "T10"])
def test_interpolated_upper_dcsf_does_not_fit_the_mean_canal(level):
    spine_anatomy(level, dcsf_mm=dcsf_range(level).high_mm)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_published_cord_offset_is_accepted(level, sign):
    off = sign * HOLSHEIMER_1994_CORD_OFFSET_MM
    a = spine_anatomy(level, cord_offset_x_mm=off)
    assert a.cord_ellipse.center_x_mm == off and a.sac_ellipse == spine_anatomy(level).sac_ellipse
    assert a.max_cord_offset_mm >= HOLSHEIMER_1994_CORD_OFFSET_MM
    low = dcsf_range(level).low_mm
    spine_anatomy(level, cord_offset_x_mm=off, dcsf_mm=low)


def test_a_cord_lying_deeper_in_the_sac_allows_less_lateral_offset():
    offsets = [spine_anatomy("T11", dcsf_mm=d).max_cord_offset_mm for d in (2.0, 4.0, 6.0)]
    assert offsets[0] >= offsets[1] > offsets[2] > 1.0
    with pytest.raises(NeuraxisInputError, match=rf"'cord_offset_x_mm'. The largest allowed at "
                       rf"T11 is \+-{offsets[2]:g} mm, but got 2 mm"):
        spine_anatomy("T11", dcsf_mm=6.0, cord_offset_x_mm=2.0)


@pytest.mark.xfail(strict=True, raises=NeuraxisInputError, reason=(
    "both published extremes together (T11 dCSF 6.0 mm and the cord 2 mm off the midline): "
    "with 0.5 mm of ventral CSF on the midline the displaced cord comes within 0.2 mm of the "
    "curved floor of the sac (largest offset about 1.3 mm there)"))
def test_largest_measured_dcsf_with_the_cord_displaced_2_mm():
    spine_anatomy("T11", dcsf_mm=6.0, cord_offset_x_mm=2.0)


def test_cord_offset_refusal_names_the_limit():
    a = spine_anatomy("T9", lateral_csf_mm=3.0)
    lim = a.max_cord_offset_mm
    assert 2.0 < lim < 3.0
    spine_anatomy("T9", lateral_csf_mm=3.0, cord_offset_x_mm=-lim)
    with pytest.raises(NeuraxisInputError, match=rf"'cord_offset_x_mm'. The largest allowed at T9 "
                       rf"is \+-{lim:g} mm, but got -{lim + 0.05:g} mm"):
        spine_anatomy("T9", lateral_csf_mm=3.0, cord_offset_x_mm=-(lim + 0.05))
    with pytest.raises(NeuraxisInputError, match=r"'cord_offset_x_mm'. Allowed range is \[-5, 5\]"):
        spine_anatomy("T9", cord_offset_x_mm=5.5)


def test_ventral_csf_is_derived_not_an_input():
    with pytest.raises(NeuraxisInputError, match=r"'ventral_csf_mm' in 'anatomy': the ventral CSF "
                       r"is derived.*give sac_depth_mm \(default 11.6 mm at T9\)"):
        spine_anatomy("T9", ventral_csf_mm=1.0)
    a = spine_anatomy("T9", sac_depth_mm=6.3 + 3.8 + 1.0)
    assert a.ventral_csf_mm == pytest.approx(1.0)


def test_sheath_default_is_the_table_value():
    entry = read_table("anatomy_levels.yaml")["defaults"]["encapsulation_thickness_mm"]
    assert default_encapsulation_thickness_mm() == entry["value"] == 0.3
    assert entry["verified"] is False  # thickness recalled, not confirmed in a source text
    for level in LEVELS:
        assert spine_anatomy(level).encapsulation_thickness_mm == 0.3
    # Grill & Mortimer 1994: 627 +- 108 Ohm cm around silicone rubber -> 0.16 S/m (2 digits)
    assert load_conductivities().encapsulation_s_per_m == pytest.approx(1 / 6.27, abs=0.005)
    thin = spine_anatomy("T8")
    assert thin.min_dorsal_epidural_mm == pytest.approx(1.3 + 0.1 + 0.6)
    with pytest.raises(NeuraxisInputError, match=r"largest sac_depth_mm allowed is 10\.90.*lower "
                       r"sac_depth_mm or encapsulation_thickness_mm"):
        spine_anatomy("T8", encapsulation_thickness_mm=0.6)
