"""Dorsal-column collaterals: the branched MRG cable and the collateral geometry."""

from __future__ import annotations

import numpy as np
import pytest

from neuraxis import NeuraxisInputError
from neuraxis.anatomy import SpineAnatomy, spine_anatomy
from neuraxis.axons.cable import build_mrg_branch_cable, build_mrg_cable
from neuraxis.axons.models import mrg
from neuraxis.fibers import FiberSet, dc_collaterals, dorsal_column_fibers
from neuraxis.fibers.collaterals import collateral_spec
from neuraxis.fibers.paths import _inside_polygon
from neuraxis.perception.population import FiberSpec

ARRAYS = ("x_um", "c_m_nf", "g_pas_us", "g_i_us", "g_p_us", "c_my_nf", "g_my_us",
          "node_area_um2")


def test_a_branch_of_the_parents_diameter_is_the_plain_cable() -> None:
    plain = build_mrg_cable(10.0, 21)
    joined = build_mrg_branch_cable(10.0, 14, 10.0, 7)
    assert joined.n_compartments == plain.n_compartments
    np.testing.assert_array_equal(joined.node_index, plain.node_index)
    for name in ARRAYS:
        np.testing.assert_allclose(getattr(joined, name), getattr(plain, name), rtol=1e-12)


def test_the_branch_keeps_its_own_geometry_and_the_junction_is_in_series() -> None:
    cab = build_mrg_branch_cable(10.0, 14, 3.0, 7)
    parent, branch = build_mrg_cable(10.0, 21), build_mrg_cable(3.0, 21)
    assert cab.n_nodes == 21 and cab.diameter_um == 10.0
    j = cab.node_index[13]  # the branch node (last parent node)
    # spacing after the branch node is the branch's, before it the parent's
    step = np.diff(cab.x_um[cab.node_index])
    np.testing.assert_allclose(step[:13], parent.node_spacing_um)
    np.testing.assert_allclose(step[13:], branch.node_spacing_um)
    # per-compartment membrane of the branch part equals the thin cable's
    np.testing.assert_allclose(cab.c_m_nf[j + 1:], branch.c_m_nf[1:cab.n_compartments - j])
    # axial conductance across the junction: half the parent node + half the branch MYSA
    rho = mrg.RHOA_OHM_CM * 1e4
    g_p, g_b = mrg.mrg_geometry(10.0), mrg.mrg_geometry(3.0)
    r_node = rho * mrg.NODE_LENGTH_UM / (np.pi * (g_p.node_diameter_um / 2) ** 2)
    r_mysa = rho * mrg.MYSA_LENGTH_UM / (np.pi * (g_b.node_diameter_um / 2) ** 2)
    assert cab.g_i_us[j] == pytest.approx(1e6 / (0.5 * r_node + 0.5 * r_mysa), rel=1e-12)


def test_branch_cable_refuses_bad_node_counts() -> None:
    with pytest.raises(NeuraxisInputError, match="n_branch_nodes"):
        build_mrg_branch_cable(10.0, 14, 3.0, 0)
    with pytest.raises(NeuraxisInputError, match="diameter_um"):
        build_mrg_branch_cable(10.0, 14, 1.0, 3)


@pytest.fixture(scope="module")
def anatomy() -> SpineAnatomy:
    return spine_anatomy("T8")


def test_each_fibre_gets_its_collateral_nearest_each_cathode(anatomy) -> None:
    dc = dorsal_column_fibers(anatomy, 30, seed=3)
    cathodes = [0.0, 7.0]
    col = dc_collaterals(anatomy, dc, cathodes + [0.0], seed=3)  # duplicates merged
    assert len(col) == 2 * len(dc)
    assert set(col.branch) == {"collateral"} and set(col.kind) == {"dc"}
    s = collateral_spec()["spacing_mm"]
    for k in range(len(col)):
        parent = int(col.afferent_id[k])
        assert col.weight_fibers[k] == dc.weight_fibers[parent]
        assert col.diameter_um[k] == dc.diameter_um[parent]
        p = col.paths_mm[k]
        z0 = float(p[0, 2])
        zb = z0 + float(col.branch_arc_mm[k])  # the parent runs up in z
        # the branch point lies on the parent's line, within half a spacing of a cathode
        assert min(abs(zb - c) for c in cathodes) <= s / 2 + 1e-9
        assert np.allclose(p[1, :2], p[0, :2]) and p[1, 2] == pytest.approx(zb)
        # it ends inside the grey matter (the dorsal horn)
        grey = np.asarray(anatomy.grey_matter_outline_mm(192))
        assert _inside_polygon(np.array([p[-1, 0]]), np.array([p[-1, 1]]), grey)[0]


def test_collateral_rows_join_their_parents_afferents(anatomy) -> None:
    dc = dorsal_column_fibers(anatomy, 10, seed=0)
    both = dc.concat(dc_collaterals(anatomy, dc, [0.0]), same_afferents=True)
    assert np.unique(both.afferent_id).size == len(dc)
    shifted = dc.concat(dc_collaterals(anatomy, dc, [0.0]))
    assert np.unique(shifted.afferent_id).size == 2 * len(dc)


def test_branch_names_are_checked_by_kind(anatomy) -> None:
    dc = dorsal_column_fibers(anatomy, 4, seed=0)
    cols = {k: getattr(dc, k) for k in ("kind", "diameter_um", "side", "x_mm", "y_mm",
                                        "depth_mm", "segment")}
    with pytest.raises(NeuraxisInputError, match="dorsal-column fiber has branch 'ascending'"):
        FiberSet(**cols, paths_mm=dc.paths_mm, branch=np.full(4, "ascending"))
    with pytest.raises(NeuraxisInputError, match="needs a branch"):
        FiberSet(**{**cols, "kind": np.full(4, "dr")}, paths_mm=dc.paths_mm,
                 branch=np.full(4, "collateral"), entry_arc_mm=np.ones(4),
                 branch_arc_mm=np.full(4, 2.0))


def test_collaterals_refuse_bad_input(anatomy) -> None:
    dc = dorsal_column_fibers(anatomy, 4, seed=0)
    with pytest.raises(NeuraxisInputError, match="cathode_z_mm"):
        dc_collaterals(anatomy, dc, [])
    with pytest.raises(NeuraxisInputError, match="FiberSet"):
        dc_collaterals(anatomy, [1, 2], [0.0])
    with pytest.raises(NeuraxisInputError, match="dc_collaterals"):
        FiberSpec(dc_collaterals="yes")
