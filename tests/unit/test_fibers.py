"""Fiber populations: data table, DC and DR sampling laws, trajectories, cables on paths."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy.model import HomogeneousMedium, spine_anatomy
from neuraxis.anatomy.tables import LEVELS
from neuraxis.axons import build_cable
from neuraxis.fibers import (
    SEGMENT_NAMES,
    FiberSet,
    arc_length_mm,
    compartment_points_mm,
    cord_segment_at,
    cord_segments,
    dc_depth_fraction,
    dc_diameter_law,
    dorsal_column_fibers,
    dorsal_root_entries_mm,
    dorsal_root_fibers,
    dorsal_root_path_mm,
    dr_diameter_law,
    fiber_region_at_arc,
    fiber_table,
    in_dorsal_columns,
    max_nodes_on_path,
    scs_fibers,
)

EPS = 1e-9


@pytest.fixture(scope="module")
def t9():
    return spine_anatomy("T9")


@pytest.fixture(scope="module")
def dc(t9):
    return dorsal_column_fibers(t9, 4000, seed=7)


@pytest.fixture(scope="module")
def dr(t9):
    return dorsal_root_fibers(t9, n_per_root=4, seed=3)


def _root_kwargs() -> dict[str, float]:
    p = {k: v["value"] for k, v in fiber_table()["dr_path"].items()}
    return {k: float(p[k]) for k in ("entry_angle_deg", "rootlet_rise_mm", "sleeve_length_mm",
                                     "incord_turn_mm", "incord_angle_deg", "incord_radius",
                                     "stem_fraction")}


def _arc_of_points(path: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Arc length of points lying on a polyline (nearest segment, exact projection)."""
    s = arc_length_mm(path)
    a, b = path[:-1], path[1:]
    ab = b - a
    out = []
    for q in pts:
        t = np.clip(((q - a) * ab).sum(1) / (ab * ab).sum(1), 0.0, 1.0)
        d = np.linalg.norm(a + t[:, None] * ab - q, axis=1)
        k = int(np.argmin(d))
        assert d[k] < 1e-9
        out.append(s[k] + t[k] * np.linalg.norm(ab[k]))
    return np.array(out)


# ----------------------------------------------------------------- data table
def test_every_table_value_has_source_and_verified():
    table = fiber_table()
    assert table["version"] == 1
    leaves = []

    def walk(node, where):
        if isinstance(node, dict):
            if "value" in node or "segments" in node:
                leaves.append((where, node))
                return
            for k, v in node.items():
                walk(v, f"{where}.{k}")

    walk({k: v for k, v in table.items() if k != "version"}, "fibers")
    assert len(leaves) > 25
    for where, leaf in leaves:
        assert isinstance(leaf.get("source"), str) and len(leaf["source"]) > 10, where
        assert isinstance(leaf.get("verified"), bool), where


def test_vertebral_segment_table():
    table = fiber_table()["vertebral_segments"]
    last = -1
    for level in LEVELS:
        row = table[level]
        assert row["middle_segment"] in row["segments"]
        assert all(s in SEGMENT_NAMES for s in row["segments"])
        i = SEGMENT_NAMES.index(row["middle_segment"])
        assert i > last  # caudal vertebrae overlie caudal segments
        last = i
    assert table["T9"]["middle_segment"] == "T11"


def test_cord_segments_named_from_the_level(t9):
    seg = cord_segments(t9)
    assert seg[0.0] == "T11" and seg[20.0] == "T10" and seg[-20.0] == "T12"
    assert cord_segments(spine_anatomy("T11"))[0.0] == "L1"
    assert cord_segments(spine_anatomy("T12"))[-10.0] == "L5"
    assert cord_segment_at(t9, 7.0) == "T11"  # nearest entry
    for z in t9.segment_entry_z_mm():  # the anatomy's default entries are all named
        assert float(z) in seg
    with pytest.raises(NeuraxisInputError, match="z_entry_mm"):
        cord_segment_at(t9, 100.0)
    with pytest.raises(NeuraxisInputError, match="SpineAnatomy"):
        cord_segments(HomogeneousMedium((0.2, 0.2, 0.6)))


# -------------------------------------------------------------- dorsal columns
def test_dc_reproducible_with_seed(t9, dc):
    again = dorsal_column_fibers(t9, 4000, seed=7)
    for name in ("diameter_um", "x_mm", "y_mm", "depth_mm", "side"):
        np.testing.assert_array_equal(getattr(again, name), getattr(dc, name))
    np.testing.assert_array_equal(np.stack(again.paths_mm), np.stack(dc.paths_mm))
    other = dorsal_column_fibers(t9, 4000, seed=8)
    assert not np.array_equal(other.x_mm, dc.x_mm)


def test_dc_inside_the_dorsal_columns(t9, dc):
    assert set(dc.kind) == {"dc"} and set(dc.segment) == {""}
    assert np.all(in_dorsal_columns(t9, dc.x_mm, dc.y_mm))
    np.testing.assert_allclose(dc.depth_mm, t9.cord_ellipse.top_y_mm(dc.x_mm) - dc.y_mm,
                               atol=1e-12)
    assert dc.depth_mm.min() >= 0 and dc.depth_mm.max() <= 1.5
    paths = np.stack(dc.paths_mm)  # straight along z over the length minus 5 mm margins
    np.testing.assert_array_equal(paths[:, 0, :2], paths[:, 1, :2])
    np.testing.assert_allclose(paths[:, :, 2], [[-40.0, 40.0]] * len(dc))
    np.testing.assert_allclose(paths[:, 0, :2], np.column_stack([dc.x_mm, dc.y_mm]))
    # a point in the grey matter, outside the cord, or lateral to the horns is refused
    assert not in_dorsal_columns(t9, 0.0, 0.5)
    assert not in_dorsal_columns(t9, 0.0, 3.3)
    assert not in_dorsal_columns(t9, 3.0, 1.5)


def test_dc_depth_law(dc):
    assert dc_depth_fraction(0.5, 1.5) == pytest.approx(4 / 7)
    assert dc_depth_fraction(1.0, 1.5) == pytest.approx(6 / 7)
    n_eff = len(dc) // 2  # left/right twins share their depth
    for lo, hi, p in ((0.0, 0.5, 4 / 7), (0.5, 1.0, 2 / 7), (1.0, 1.5, 1 / 7)):
        frac = np.mean((dc.depth_mm >= lo) & (dc.depth_mm < hi))
        assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / n_eff), (lo, hi, frac)
    shallow = np.mean(dc.depth_mm < 0.5)
    assert shallow / (1 - shallow) == pytest.approx(4 / 3, rel=0.1)  # the stated ratio


def test_dc_diameters_follow_the_table(dc):
    law = dc_diameter_law()
    assert (law.low_um, law.high_um) == (5.7, 16.0)
    assert dc.diameter_um.min() >= 5.7 and dc.diameter_um.max() <= 16.0
    # the whole-population law meets Feirabend's anchor: 0.5 % above 10.7 um
    from scipy.special import ndtr

    assert 1 - ndtr((math.log(10.7) - law.loc) / law.scale) == pytest.approx(0.005, rel=1e-9)
    assert math.exp(law.loc) == pytest.approx(3.0)
    # closed-form mean equals the quadrature of the survival function
    d = np.linspace(law.low_um, law.high_um, 20001)
    assert law.mean_um == pytest.approx(law.low_um + np.trapezoid(1 - law.cdf(d), d), rel=1e-6)
    assert law.fraction_above(10.7) == pytest.approx(0.0482, abs=5e-4)
    # the weights undo the sampling's bias to large fibers: weighted moments = the law's
    w = dc.weight_fibers
    assert np.sum(w * dc.diameter_um) / w.sum() == pytest.approx(law.mean_um, rel=0.01)
    assert w[dc.diameter_um > 10.7].sum() / w.sum() == pytest.approx(
        law.fraction_above(10.7), rel=0.05)
    assert np.mean(dc.diameter_um > 10.7) > 4 * law.fraction_above(10.7)  # oversampled
    wide = dc_diameter_law((2.0, 16.0))
    assert wide.fraction_above(10.7) == pytest.approx(0.0059, abs=5e-4)
    fixed = dorsal_column_fibers(spine_anatomy("T9"), 6, diameter_range_um=(12.0, 12.0))
    assert np.all(fixed.diameter_um == 12.0)


def test_dc_sides_balanced_and_mirrored(t9, dc):
    left, right = dc.side == "left", dc.side == "right"
    assert left.sum() == right.sum() == len(dc) // 2
    cx = t9.cord_ellipse.center_x_mm
    assert np.all(dc.x_mm[left] >= cx) and np.all(dc.x_mm[right] <= cx)
    np.testing.assert_allclose(np.sort(dc.x_mm[left] - cx), np.sort(cx - dc.x_mm[right]))
    np.testing.assert_allclose(np.sort(dc.depth_mm[left]), np.sort(dc.depth_mm[right]))
    odd = dorsal_column_fibers(t9, 7, seed=1)
    assert abs(int(np.sum(odd.side == "left")) - int(np.sum(odd.side == "right"))) == 1
    shifted = spine_anatomy("T9", cord_offset_x_mm=1.0)
    s = dorsal_column_fibers(shifted, 200, seed=1)
    assert np.all(in_dorsal_columns(shifted, s.x_mm, s.y_mm))
    assert np.all((s.x_mm > 1.0) == (s.side == "left"))


def test_dc_input_errors(t9):
    with pytest.raises(NeuraxisInputError, match="'max_depth_mm'. Allowed range"):
        dorsal_column_fibers(t9, 10, max_depth_mm=2.5)
    with pytest.raises(NeuraxisInputError, match="'z_range_mm'.*Allowed range"):
        dorsal_column_fibers(t9, 10, z_range_mm=(-50.0, 0.0))
    with pytest.raises(NeuraxisInputError, match="z_high - z_low >= 1 mm"):
        dorsal_column_fibers(t9, 10, z_range_mm=(3.0, 3.5))
    with pytest.raises(NeuraxisInputError, match="'high_um'. Allowed range is \\[2, 16\\] um"):
        dorsal_column_fibers(t9, 10, diameter_range_um=(5.7, 20.0))
    with pytest.raises(NeuraxisInputError, match="low <= high"):
        dorsal_column_fibers(t9, 10, diameter_range_um=(12.0, 6.0))
    with pytest.raises(NeuraxisInputError, match="'diameter_range_um'. Expected"):
        dorsal_column_fibers(t9, 10, diameter_range_um=7.0)
    with pytest.raises(NeuraxisInputError, match="'n'. Allowed values are integers"):
        dorsal_column_fibers(t9, 0)
    with pytest.raises(NeuraxisInputError, match="SpineAnatomy"):
        dorsal_column_fibers(HomogeneousMedium((0.2, 0.2, 0.6)), 10)


# ---------------------------------------------------------------- dorsal roots
def test_dr_roots_segments_and_counts(t9, dr):
    assert set(dr.kind) == {"dr"}
    assert sorted(set(dr.segment)) == ["T10", "T11", "T12"]
    for seg in ("T10", "T11", "T12"):
        for side in ("left", "right"):
            rows = (dr.segment == seg) & (dr.side == side)
            assert rows.sum() == 8  # 4 afferents x (ascending, descending)
            assert len(set(dr.afferent_id[rows])) == 4
            assert sorted(dr.branch[rows]) == ["ascending"] * 4 + ["descending"] * 4
    assert np.all(dr.depth_mm == 0)
    np.testing.assert_array_equal(dorsal_root_entries_mm(t9), [-20.0, 0.0, 20.0])
    again = dorsal_root_fibers(t9, n_per_root=4, seed=3)
    np.testing.assert_array_equal(np.concatenate(again.paths_mm), np.concatenate(dr.paths_mm))
    np.testing.assert_array_equal(again.diameter_um, dr.diameter_um)


def test_dr_paths_geometry(t9, dr):
    cord, sac, canal = t9.cord_ellipse, t9.sac_ellipse, t9.canal_ellipse
    spacing_12 = build_cable("mrg", 12.0, 5).node_spacing_um
    for i, path in enumerate(dr.paths_mm):
        s = arc_length_mm(path)
        step = np.diff(s)
        assert step.min() > 0 and step.max() < 0.5  # continuous, no jumps or repeats
        assert s[-1] > 25.0 and max_nodes_on_path(path, spacing_12) >= 21
        inside = s >= dr.entry_arc_mm[i] - EPS
        assert np.all(cord.level(path[inside, :2]) <= 1 + EPS)  # in-cord part in the cord
        assert np.all(cord.level(path[~inside, :2]) >= 1 - EPS)  # the rest outside it
        assert np.all(canal.level(path[:, :2]) < 1)  # never into bone
        k = int(np.argmin(np.abs(s - dr.entry_arc_mm[i])))
        np.testing.assert_allclose(path[k, :2], [dr.x_mm[i], dr.y_mm[i]])
        assert cord.level(path[k, :2]) == pytest.approx(1.0)
        assert in_dorsal_columns(t9, path[-1, 0], path[-1, 1])  # ends in the dorsal column
        if dr.branch[i] == "ascending":  # to 2 mm inside the model's rostral end
            assert path[-1, 2] == pytest.approx(t9.length_mm / 2 - 2.0)
        else:  # bifurcation 4/6 mm above the entry, 4 mm turn, 10 mm caudally
            assert path[-1, 2] - path[k, 2] == pytest.approx(4.0 / 6.0 - 14.0)
        assert sac.level(path[0, :2]) > 1  # starts outside the dural sac
        b = int(np.argmin(np.abs(s - dr.branch_arc_mm[i])))
        assert np.all(np.abs(np.diff(path[b:, :2], axis=0)) < 1e-12)  # straight along z
        assert np.all(in_dorsal_columns(t9, path[b:, 0], path[b:, 1]))


@pytest.mark.parametrize("level", LEVELS)
def test_dr_roots_fit_the_model_at_every_level(level):
    a = spine_anatomy(level)
    fib = dorsal_root_fibers(a, n_per_root=2, seed=5)
    z = np.concatenate([p[:, 2] for p in fib.paths_mm])
    assert z.min() >= -a.length_mm / 2 + 2 - EPS and z.max() <= a.length_mm / 2 - 2 + EPS
    spacing_15 = build_cable("mrg", 15.0, 5).node_spacing_um
    assert min(max_nodes_on_path(p, spacing_15) for p in fib.paths_mm) >= 21
    entries = dorsal_root_entries_mm(a)
    assert entries.size >= 3 and np.all(np.isin(entries, a.segment_entry_z_mm(0.0, 0.0)))
    names = cord_segments(a)
    assert sorted(set(fib.segment)) == sorted(names[float(e)] for e in entries)
    if level == "T11":  # the caudal root keeps a shortened sleeve instead of being dropped
        np.testing.assert_array_equal(entries, [-24.0, -12.0, 0.0, 12.0, 24.0])
        assert "L3" in set(fib.segment)


@pytest.mark.parametrize("level", ["T9", "T12"])
def test_dr_path_parts_in_their_tissue(level):
    a = spine_anatomy(level)
    kw = _root_kwargs()
    for angle in (42.0, 45.0, 48.0):
        for side in ("left", "right"):
            rp = dorsal_root_path_mm(a, side, 0.0, **{**kw, "entry_angle_deg": angle})
            down = dorsal_root_path_mm(a, side, 0.0, **{**kw, "entry_angle_deg": angle},
                                       branch="descending")
            p, i, j = rp.path_mm, rp.dura_index, rp.entry_index
            # the branches share the path up to the bifurcation, then go opposite ways
            fork = int(np.argmax(np.any(p[:len(down.path_mm)] != down.path_mm[:len(p)],
                                        axis=1)))
            assert j < fork < rp.branch_index
            assert p[-1, 2] > p[fork, 2] > down.path_mm[-1, 2]
            for q, k in ((p, rp.branch_index), (down.path_mm, down.branch_index)):
                # no kink at the fork: its chord-to-chord angle follows the turn's own
                # decaying ones (tangent continuity; the turn is sharpest at the fork)
                t = np.diff(q[j:k + 1], axis=0)
                t /= np.linalg.norm(t, axis=1)[:, None]
                ang = np.degrees(np.arccos(np.clip((t[1:] * t[:-1]).sum(1), -1, 1)))
                at_fork = ang[fork - j - 1]
                assert at_fork < 1.5 * ang[fork - j] and at_fork < 25.0
                assert ang[fork - j] > ang[fork - j + 1] > ang[fork - j + 2]
            assert np.all(a.cord_ellipse.level(down.path_mm[j:, :2]) <= 1 + EPS)
            sleeve, rootlet, incord = p[: i + 1], p[i: j + 1], p[j:]
            assert np.all(a.sac_ellipse.level(sleeve[:, :2]) >= 1 - EPS)  # outside the sac
            assert np.all(a.canal_ellipse.level(sleeve[:, :2]) < 1)
            assert np.all(a.cord_ellipse.level(rootlet[:, :2]) >= 1 - EPS)  # in the CSF
            assert np.all(a.sac_ellipse.level(rootlet[:, :2]) <= 1 + EPS)
            assert np.all(a.cord_ellipse.level(incord[:, :2]) <= 1 + EPS)  # in the cord
            assert sleeve[-1, 2] - sleeve[0, 2] == pytest.approx(10.0)
            # smooth where the sleeve meets the rootlet (tangent continuity)
            d0, d1 = p[i] - p[i - 1], p[i + 1] - p[i]
            cos = d0 @ d1 / np.linalg.norm(d0) / np.linalg.norm(d1)
            assert cos > math.cos(math.radians(3.0))


def test_dr_left_right_mirror_symmetry(dr):
    left = np.flatnonzero(dr.side == "left")
    right = np.flatnonzero(dr.side == "right")
    assert left.size == right.size
    for i, k in zip(left, right, strict=True):
        assert dr.segment[i] == dr.segment[k] and dr.diameter_um[i] == dr.diameter_um[k]
        np.testing.assert_allclose(dr.paths_mm[k], dr.paths_mm[i] * [-1, 1, 1], atol=1e-12)
        assert dr.x_mm[i] > 0 > dr.x_mm[k]


def test_dr_diameters_follow_the_table(dr, t9):
    law = dr_diameter_law()
    # MRG diameters of 28-55 m/s (Schalow's touch afferents 31-49 m/s, REFERENCE 1.9)
    assert (law.low_um, law.high_um) == pytest.approx((6.0, 10.0), abs=0.02)
    assert dr.diameter_um.min() >= law.low_um and dr.diameter_um.max() <= law.high_um
    d = law.sample(np.random.default_rng(0), 20000)
    assert abs(d.mean() - law.mean_um) < 4 * d.std() / math.sqrt(d.size)
    assert law.mean_um == pytest.approx(7.99, abs=0.01)
    for i in range(0, len(dr), 2):  # both rows of an afferent share diameter and weight
        assert dr.afferent_id[i] == dr.afferent_id[i + 1]
        assert dr.diameter_um[i] == dr.diameter_um[i + 1]
    p = law.fraction_above(9.0)
    assert abs(np.mean(d > 9.0) - p) < 4 * math.sqrt(p * (1 - p) / d.size)
    # the roots' afferents lean to the largest fibres; their weights undo it: per root and
    # side they sum to the real count, and the weighted share above 9 um is the law's
    roots = {(s, g): (dr.segment == g) & (dr.side == s) & (dr.branch == "ascending")
             for s, g in set(zip(dr.side, dr.segment, strict=True))}
    for sel in roots.values():
        assert dr.weight_fibers[sel].sum() == pytest.approx(3000.0)
    assert np.mean(dr.diameter_um > 9.0) > 2 * p  # more large ones sampled than occur
    big = dorsal_root_fibers(t9, n_per_root=512, n_segments=1)
    asc = big.branch == "ascending"
    w = big.weight_fibers[asc]
    assert np.sum(w[big.diameter_um[asc] > 9.0]) / w.sum() == pytest.approx(p, rel=0.05)


def test_dr_selection_and_errors(t9):
    one = dorsal_root_fibers(t9, n_per_root=1, z_center_mm=4.0, n_segments=1)
    assert set(one.segment) == {"T11"} and len(one) == 4
    two = dorsal_root_entries_mm(t9, z_center_mm=12.0, n_segments=2)
    np.testing.assert_array_equal(two, [0.0, 20.0])
    np.testing.assert_array_equal(dorsal_root_entries_mm(t9, z_center_mm=-20.0,
                                                         z_window_mm=10.0), [-20.0])
    with pytest.raises(NeuraxisInputError, match="Only 3 dorsal root"):
        dorsal_root_fibers(t9, n_per_root=1, n_segments=4)
    with pytest.raises(NeuraxisInputError, match="'z_window_mm'. No dorsal-root entry"):
        dorsal_root_fibers(t9, n_per_root=1, z_center_mm=10.0, z_window_mm=4.0)
    with pytest.raises(NeuraxisInputError, match="'n_per_root'. Allowed values are integers"):
        dorsal_root_fibers(t9, n_per_root=0)
    with pytest.raises(NeuraxisInputError, match="'z_center_mm'. Allowed range"):
        dorsal_root_fibers(t9, n_per_root=1, z_center_mm=99.0)
    with pytest.raises(NeuraxisInputError, match="'side'. Allowed values"):
        dorsal_root_path_mm(t9, "up", 0.0, **_root_kwargs())


# --------------------------------------------------------------- cables on paths
def test_compartment_points_straight_path_exact():
    cab = build_cable("mrg", 12.0, 21)
    path = np.array([[1.0, 2.0, -20.0], [1.0, 2.0, 20.0]])
    pts = compartment_points_mm(path, cab.x_um)
    assert pts.shape == (cab.n_compartments, 3)
    np.testing.assert_allclose(np.diff(pts[:, 2]), np.diff(cab.x_um) * 1e-3, atol=1e-12)
    np.testing.assert_allclose(pts[:, :2], np.tile([1.0, 2.0], (len(pts), 1)))
    mid = 0.5 * (pts[0, 2] + pts[-1, 2])
    assert mid == pytest.approx(0.0, abs=1e-12)  # cable middle at the path middle
    moved = compartment_points_mm(path, cab.x_um, center_mm=25.0)
    assert 0.5 * (moved[0, 2] + moved[-1, 2]) == pytest.approx(5.0)


def test_compartment_points_bent_path_arc_length_exact(dr):
    cab = build_cable("mrg", 10.0, 21)
    bent = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 12.0], [3.0, 4.0, 12.0], [3.0, 4.0, 30.0]])
    for path in (bent, dr.paths_mm[0]):
        pts = compartment_points_mm(path, cab.x_um)
        s = _arc_of_points(path, pts)
        np.testing.assert_allclose(np.diff(s), np.diff(cab.x_um) * 1e-3, atol=1e-9)
        assert 0.5 * (s[0] + s[-1]) == pytest.approx(0.5 * arc_length_mm(path)[-1])


def test_compartment_points_errors():
    cab = build_cable("mrg", 12.0, 21)  # 26.1 mm between end nodes
    short = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 20.0]])
    with pytest.raises(NeuraxisInputError, match=r"path is 20\.000 mm long, 6\.1\d\d mm too short"):
        compartment_points_mm(short, cab.x_um)
    path = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 30.0]])
    with pytest.raises(NeuraxisInputError, match=r"runs 8\.\d+ mm past the path's end"):
        compartment_points_mm(path, cab.x_um, center_mm=25.0)
    with pytest.raises(NeuraxisInputError, match="'center_mm'. Allowed range"):
        compartment_points_mm(path, cab.x_um, center_mm=31.0)
    with pytest.raises(NeuraxisInputError, match="'path_mm'. Expected an \\(m, 3\\) array"):
        compartment_points_mm(np.zeros((5, 2)), cab.x_um)
    with pytest.raises(NeuraxisInputError, match="'x_um'. Expected a 1-D non-decreasing"):
        compartment_points_mm(path, cab.x_um[::-1])


def test_max_nodes_on_path():
    path = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 4.0, 6.0]])  # 10 mm, bent
    assert max_nodes_on_path(path, 1000.0) == 11
    assert max_nodes_on_path(path, 500.0) == 21
    assert max_nodes_on_path(path, 1100.0) == 10
    assert max_nodes_on_path(path, 1100.0, odd=True) == 9
    cab = build_cable("mrg", 12.0, max_nodes_on_path(path, build_cable("mrg", 12.0, 5)
                                                     .node_spacing_um))
    compartment_points_mm(path, cab.x_um)  # the reported count fits
    with pytest.raises(NeuraxisInputError, match="'node_spacing_um'. Allowed range"):
        max_nodes_on_path(path, 0.0)


# ------------------------------------------------------------------ FiberSet
def test_fiberset_take_concat_records(dc, dr):
    both = dc.take(np.arange(10)).concat(dr)
    assert len(both) == 10 + len(dr)
    assert list(both.kind[:10]) == ["dc"] * 10 and set(both.kind[10:]) == {"dr"}
    sub = both.take(both.kind == "dr")
    np.testing.assert_array_equal(sub.diameter_um, dr.diameter_um)
    assert both.take([12, 3]).x_mm[1] == dc.x_mm[3]
    d = both.to_dict()
    assert (d["n_fibers"], d["n_dc"], d["n_dr"]) == (len(both), 10, len(dr))
    rec = d["fibers"]
    assert len(rec) == len(both)
    text = json.dumps(d, allow_nan=False)
    assert "paths" not in text
    assert rec[0]["entry_arc_mm"] is None and rec[10]["entry_arc_mm"] > 20
    assert rec[10]["segment"] == dr.segment[0] and rec[0]["kind"] == "dc"
    assert set(rec[0]) >= {"kind", "diameter_um", "side", "x_mm", "y_mm", "depth_mm",
                           "segment", "path_length_mm"}
    with pytest.raises(ValueError):
        both.diameter_um[0] = 1.0  # read-only
    assert "FiberSet(n=" in repr(both)


def test_fiberset_errors(dc):
    with pytest.raises(NeuraxisInputError, match="'indices'. Allowed are integers"):
        dc.take([len(dc)])
    with pytest.raises(NeuraxisInputError, match="boolean mask needs"):
        dc.take(np.ones(3, dtype=bool))
    with pytest.raises(NeuraxisInputError, match="one entry per path"):
        FiberSet(["dc"], [8.0, 9.0], ["left"], [0.0], [0.0], [0.0], [""],
                 (np.zeros((2, 3)),))
    with pytest.raises(NeuraxisInputError, match="'kind'. Allowed values are 'dc', 'dr'"):
        FiberSet(["dx"], [8.0], ["left"], [0.0], [0.0], [0.0], [""], (np.zeros((2, 3)),))
    with pytest.raises(NeuraxisInputError, match="'other'. Expected a FiberSet"):
        dc.concat([1, 2])


def test_fiberset_new_columns_travel_with_take_concat_and_to_dict(dc, dr):
    both = dc.take(np.arange(4)).concat(dr)
    for name in ("weight_fibers", "afferent_id", "branch", "dura_arc_mm", "entry_arc_mm",
                 "branch_arc_mm"):
        col = getattr(both, name)
        assert len(col) == len(both) and not col.flags.writeable, name
    assert both.afferent_id.dtype.kind == "i"
    assert len(set(both.afferent_id)) == len(set(dc.afferent_id[:4])) + len(set(dr.afferent_id))
    assert set(both.branch[:4]) == {""} and set(both.branch[4:]) <= {"ascending", "descending"}
    assert np.all(np.isnan(both.dura_arc_mm[:4])) and np.all(np.isnan(both.branch_arc_mm[:4]))
    k = 4 + 1
    assert 0 < both.dura_arc_mm[k] < both.entry_arc_mm[k] < both.branch_arc_mm[k]
    assert both.branch_arc_mm[k] < both.path_length_mm[k]
    sub = both.take([k, 0])
    assert sub.afferent_id[0] == both.afferent_id[k] and sub.branch[0] == both.branch[k]
    rec = both.to_dict()["fibers"]
    assert rec[0]["branch"] == "" and rec[0]["dura_arc_mm"] is None
    assert rec[k]["branch_arc_mm"] == pytest.approx(both.branch_arc_mm[k])
    assert rec[k]["afferent_id"] == int(both.afferent_id[k])
    assert rec[k]["weight_fibers"] == pytest.approx(both.weight_fibers[k])
    json.dumps(both.to_dict(), allow_nan=False)
    # concat keeps a shared id shared and moves the other set's ids past this one's
    twice = dr.concat(dr)
    n = len(dr)
    assert np.all(twice.afferent_id[n:] > dr.afferent_id.max())
    np.testing.assert_array_equal(np.diff(twice.afferent_id[n:]), np.diff(dr.afferent_id))


def test_fiber_region_at_arc(dc, dr):
    i = 0
    e, b = float(dr.entry_arc_mm[i]), float(dr.branch_arc_mm[i])
    s = np.array([0.0, float(dr.dura_arc_mm[i]), e - 1e-6, e, 0.5 * (e + b), b,
                  float(dr.path_length_mm[i])])
    assert list(fiber_region_at_arc(dr, i, s)) == ["root", "root", "root", "drez", "drez",
                                                   "dc", "dc"]
    assert str(fiber_region_at_arc(dr, i, 0.0)) == "root"
    assert set(fiber_region_at_arc(dc, 3, np.linspace(0, 80, 5))) == {"dc"}
    with pytest.raises(NeuraxisInputError, match="'i'. Allowed are integers"):
        fiber_region_at_arc(dr, len(dr), 1.0)
    with pytest.raises(NeuraxisInputError, match="'fibers'. Expected a FiberSet"):
        fiber_region_at_arc([1], 0, 1.0)


def test_fiberset_new_column_errors():
    one = (np.zeros((2, 3)),)
    base = (["dr"], [10.0], ["left"], [0.0], [0.0], [0.0], ["T11"], one)
    with pytest.raises(NeuraxisInputError, match="'weight_fibers' .element 0.. Allowed range"):
        FiberSet(*base, weight_fibers=[-1.0])
    with pytest.raises(NeuraxisInputError, match="'branch'. Allowed values"):
        FiberSet(*base, branch=["up"])
    with pytest.raises(NeuraxisInputError, match="needs a branch"):
        FiberSet(*base, branch=[""])
    with pytest.raises(NeuraxisInputError, match="dorsal-column fiber has branch"):
        FiberSet(["dc"], [10.0], ["left"], [0.0], [0.0], [0.0], [""], one,
                 branch=["ascending"])
    with pytest.raises(NeuraxisInputError, match="dura <= entry <= branch"):
        FiberSet(*base, entry_arc_mm=[5.0], branch_arc_mm=[4.0])
    with pytest.raises(NeuraxisInputError, match="'afferent_id'. Expected integers"):
        FiberSet(*base, afferent_id=[0.5])
    plain = FiberSet(*base)  # defaults: weight 1, own id, DR rows ascending
    assert (plain.weight_fibers[0], plain.afferent_id[0], plain.branch[0]) == (1.0, 0,
                                                                             "ascending")


def test_fibers_modules_import_one_way():
    """paths <- _table <- diameters <- fiberset <- samplers <- population; none imports the
    package."""
    import ast
    from pathlib import Path

    import neuraxis.fibers as pkg

    folder = Path(pkg.__file__).parent
    order = ("paths", "_table", "diameters", "fiberset", "dorsal_column", "dorsal_root",
             "population")
    for i, name in enumerate(order):
        mods = {n.module for n in ast.walk(ast.parse((folder / f"{name}.py").read_text()))
                if isinstance(n, ast.ImportFrom) and n.module}
        assert "neuraxis.fibers" not in mods, name
        later = {f"neuraxis.fibers.{m}" for m in order[i + 1:]}
        assert not mods & later, f"{name} imports {mods & later}"


def test_scs_fibers_is_dc_then_dr_near_the_centre(t9):
    fib = scs_fibers(t9, n_dc=30, n_dr_per_root=2, seed=4, z_center_mm=20.0)
    dc = dorsal_column_fibers(t9, 30, seed=4)
    dr = dorsal_root_fibers(t9, n_per_root=2, seed=4, z_center_mm=20.0)
    assert len(fib) == 30 + len(dr) and list(fib.kind[:30]) == ["dc"] * 30
    np.testing.assert_array_equal(fib.diameter_um, np.concatenate([dc.diameter_um,
                                                                   dr.diameter_um]))
    np.testing.assert_array_equal(fib.paths_mm[-1], dr.paths_mm[-1])
