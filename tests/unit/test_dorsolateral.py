"""Superficial dorsolateral-column fibers: region, weights, diameters and their role."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from neuraxis import NeuraxisInputError
from neuraxis.anatomy import spine_anatomy
from neuraxis.fibers import FiberSet, scs_fibers
from neuraxis.fibers._table import table_values
from neuraxis.fibers.dorsolateral import dlc_diameter_law, dlc_fiber_count, dorsolateral_fibers
from neuraxis.fibers.paths import _inside_polygon
from neuraxis.perception.percept import (
    afferents,
    dorsolateral_threshold_ma,
    initiation_sites,
    percept_criteria,
    perception_threshold_ma,
)
from neuraxis.perception.somatotopy import fiber_dermatomes


@pytest.fixture(scope="module")
def anatomy():
    return spine_anatomy("T9")


def test_dlc_fibres_lie_in_the_superficial_dorsolateral_layer(anatomy) -> None:
    f = dorsolateral_fibers(anatomy, 61, seed=2)
    assert len(f) == 61 and set(f.kind) == {"dlc"} and set(f.branch) == {""}
    c = anatomy.cord_ellipse
    u = (f.x_mm - c.center_x_mm) / c.semi_x_mm
    v = (f.y_mm - c.center_y_mm) / c.semi_y_mm
    assert np.all(np.hypot(u, v) <= 1.0)  # inside the cord
    angle = np.degrees(np.arctan2(np.abs(u), v))
    lo, hi = table_values("dlc_region")["angle_range_deg"]
    assert np.all(angle >= lo - 2.0) and np.all(angle <= hi + 2.0)  # inward normal drift
    assert np.all((f.depth_mm >= 0) & (f.depth_mm <= 0.3))
    grey = np.asarray(anatomy.grey_matter_outline_mm(192))
    assert not _inside_polygon(f.x_mm, f.y_mm, grey).any()
    assert set(f.side) == {"left", "right"}
    np.testing.assert_allclose(f.weight_fibers.sum(), dlc_fiber_count(anatomy), rtol=1e-12)


def test_dlc_count_is_density_times_layer_area(anatomy) -> None:
    """Independent check of the count: the layer's area from a fine polygon of the cord
    outline between the two angles, times density and the diameter law's mass."""
    reg = table_values("dlc_region")
    c = anatomy.cord_ellipse
    phi = np.radians(np.linspace(*reg["angle_range_deg"], 20001))
    x, y = c.semi_x_mm * np.sin(phi), c.semi_y_mm * np.cos(phi)
    arc = float(np.sum(np.hypot(np.diff(x), np.diff(y))))
    law = dlc_diameter_law()
    mass = float(ndtr(law._z(law.high_um)) - ndtr(law._z(law.low_um)))
    expect = 2 * float(reg["density_per_mm2"]) * arc * float(reg["depth_mm"]) * mass
    assert dlc_fiber_count(anatomy) == pytest.approx(expect, rel=1e-4)


def test_dlc_diameter_law_puts_two_percent_above_10_7_um() -> None:
    law = dlc_diameter_law()
    above = 1.0 - float(ndtr((math.log(10.7) - law.loc) / law.scale))
    assert above == pytest.approx(0.02, rel=1e-9)  # Feirabend et al. 2002, DLC(0-300)


def test_dlc_fibres_are_appended_and_carry_no_dermatome(anatomy) -> None:
    base = scs_fibers(anatomy, n_dc=10, n_dr_per_root=1, seed=0, z_center_mm=0.0)
    both = scs_fibers(anatomy, n_dc=10, n_dr_per_root=1, seed=0, z_center_mm=0.0, n_dlc=8)
    assert len(both) == len(base) + 8 and list(both.kind[-8:]) == ["dlc"] * 8
    assert np.unique(both.afferent_id).size == np.unique(base.afferent_id).size + 8
    derm = fiber_dermatomes(anatomy, both, "T10")
    assert set(derm[-8:]) == {""} and "" not in set(derm[:-8])


def test_dlc_fibres_do_not_count_for_perception(anatomy) -> None:
    f = scs_fibers(anatomy, n_dc=10, n_dr_per_root=1, seed=0, z_center_mm=0.0, n_dlc=8)
    dlc = f.kind == "dlc"
    thr = np.where(dlc, 0.5, 5.0)  # DLC fibres fire first
    arc = np.where(np.isfinite(thr), 1.0, np.nan)
    site = initiation_sites(f, arc)
    assert set(site[dlc]) == {"dlc"}
    aff = afferents(f, thr, site, fiber_dermatomes(anatomy, f, "T10"))
    crit = percept_criteria()
    pt = perception_threshold_ma(aff, crit)
    assert pt is None or pt >= 5.0  # only DC-initiated fibres make the percept
    assert dorsolateral_threshold_ma(aff, crit) == pytest.approx(0.5)


def test_dlc_rows_refuse_branches_and_bad_counts(anatomy) -> None:
    f = dorsolateral_fibers(anatomy, 4)
    cols = {k: getattr(f, k) for k in ("kind", "diameter_um", "side", "x_mm", "y_mm",
                                       "depth_mm", "segment")}
    with pytest.raises(NeuraxisInputError, match="dorsolateral-column fiber has a branch"):
        FiberSet(**cols, paths_mm=f.paths_mm, branch=np.full(4, "collateral"))
    with pytest.raises(NeuraxisInputError, match="'n'"):
        dorsolateral_fibers(anatomy, 0)
