"""Fiber trajectories as polylines: cables laid along them, the dorsal-column region
and the dorsal-root path (geometry only; the parameters come from
``neuraxis/data/fibers.yaml`` through the samplers in :mod:`neuraxis.fibers.dorsal_column`
and :mod:`neuraxis.fibers.dorsal_root`).

All coordinates are world mm (x to the patient's left, y dorsal, z rostral; see
:mod:`neuraxis.anatomy.model`); cable positions along a fiber are um, as in
:class:`neuraxis.axons.Cable`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from neuraxis._validate import (
    NeuraxisInputError,
    check_option,
    check_positive,
    check_range,
)

#: Points per mm of curved path (0.25 mm chords: sagitta < 2 um for radii >= 4 mm).
POINTS_PER_MM = 4.0
#: Polygon sizes of the grey matter that the dorsal-column test avoids: a fine outline
#: and the 24-gon meshed by the field model (``neuraxis.field.model``).
_GREY_FINE_N = 720
_GREY_MESH_N = 24


# ------------------------------------------------------------------ polylines
def _check_path(path_mm: object, name: str = "path_mm") -> np.ndarray:
    """(m, 3) finite float array with zero-length steps removed; refuses a point path."""
    p = np.asarray(path_mm, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3 or p.shape[0] < 2 or not np.all(np.isfinite(p)):
        raise NeuraxisInputError(
            f"Invalid value for {name!r}. Expected an (m, 3) array of finite x, y, z in mm "
            f"with m >= 2, but got shape {p.shape}")
    step = np.linalg.norm(np.diff(p, axis=0), axis=1)
    p = p[np.concatenate([[True], step > 0.0])]
    if p.shape[0] < 2:
        raise NeuraxisInputError(f"Invalid value for {name!r}: the path has zero length")
    return p


def arc_length_mm(path_mm: np.ndarray) -> np.ndarray:
    """Cumulative arc length at each point of a polyline, mm (first 0).

    Parameters
    ----------
    path_mm : ndarray (m, 3)
        Polyline in mm.

    Returns
    -------
    numpy.ndarray
        (m,) arc length from the first point, mm.
    """
    p = np.asarray(path_mm, dtype=float)
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])


def compartment_points_mm(path_mm: np.ndarray, x_um: np.ndarray, *,
                          center_mm: float | None = None) -> np.ndarray:
    """Positions of a cable's compartment centres laid along a polyline by arc length.

    Parameters
    ----------
    path_mm : ndarray (m, 3)
        Fiber trajectory in world mm, ordered along the fiber.
    x_um : ndarray (k,)
        Compartment centres along the fiber, um, non-decreasing (``Cable.x_um``).
    center_mm : float, optional
        Arc length (mm from the path's first point) where the cable's middle
        (halfway between its first and last compartment centres) is placed;
        default the middle of the path.

    Returns
    -------
    numpy.ndarray
        (k, 3) points in mm; the arc length between consecutive points equals the
        differences of ``x_um`` (converted to mm).

    Raises
    ------
    NeuraxisInputError
        If the cable is longer than the path, or ``center_mm`` puts part of it
        beyond an end (the message says by how many mm).
    """
    p = _check_path(path_mm)
    x = np.asarray(x_um, dtype=float)
    if x.ndim != 1 or x.size < 1 or not np.all(np.isfinite(x)) or np.any(np.diff(x) < 0):
        raise NeuraxisInputError(
            "Invalid value for 'x_um'. Expected a 1-D non-decreasing array of finite "
            f"compartment positions in um, but got shape {x.shape}")
    s = arc_length_mm(p)
    total = float(s[-1])
    span = float(x[-1] - x[0]) * 1e-3
    tol = 1e-9 * max(1.0, total)
    if span > total + tol:
        raise NeuraxisInputError(
            f"Invalid cable for this path: the cable spans {span:.3f} mm between its end "
            f"compartments but the path is {total:.3f} mm long, {span - total:.3f} mm too "
            "short; use fewer nodes or a longer path")
    c = 0.5 * total if center_mm is None else check_range("center_mm", center_mm, 0.0, total,
                                                          "mm")
    pos = c + (x - 0.5 * (x[0] + x[-1])) * 1e-3
    past = max(-float(pos[0]), float(pos[-1]) - total)
    if past > tol:
        end = "start" if -pos[0] >= pos[-1] - total else "end"
        raise NeuraxisInputError(
            f"Invalid value for 'center_mm'. The {span:.3f} mm cable centred at {c:.3f} mm runs "
            f"{past:.3f} mm past the path's {end}; allowed range is [{0.5 * span:.3f}, "
            f"{total - 0.5 * span:.3f}] mm for this {total:.3f} mm path")
    pos = np.clip(pos, 0.0, total)
    return np.column_stack([np.interp(pos, s, p[:, k]) for k in range(3)])


def max_nodes_on_path(path_mm: np.ndarray, node_spacing_um: float, *, odd: bool = False) -> int:
    """How many nodes of Ranvier fit on a path (first and last node on the path).

    Parameters
    ----------
    path_mm : ndarray (m, 3)
        Fiber trajectory in mm.
    node_spacing_um : float
        Node-to-node distance, um (``Cable.node_spacing_um``).
    odd : bool
        Round down to an odd count (a cable with a middle node).

    Returns
    -------
    int
        ``floor(length / spacing) + 1`` (minus one if ``odd`` and that is even).
    """
    spacing = check_positive("node_spacing_um", node_spacing_um, "um")
    total_um = float(arc_length_mm(_check_path(path_mm))[-1]) * 1e3
    n = math.floor(total_um / spacing * (1.0 + 1e-12)) + 1
    return n - 1 if odd and n % 2 == 0 else n


def bezier_mm(control_mm: np.ndarray, n: int) -> np.ndarray:
    """``n`` points of the Bezier curve with the given control points (k, 3), mm."""
    c = np.asarray(control_mm, dtype=float)
    k = c.shape[0] - 1
    t = np.linspace(0.0, 1.0, n)[:, None]
    out = np.zeros((n, c.shape[1]))
    for i in range(k + 1):
        out += math.comb(k, i) * t**i * (1.0 - t) ** (k - i) * c[i]
    return out


def _n_points(length_mm: float) -> int:
    return max(8, math.ceil(length_mm * POINTS_PER_MM) + 1)


# ------------------------------------------------------------ dorsal columns
def _grey_radius(anatomy, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Grey-matter outline as (sorted polar angle, normalised radius) about the cord centre."""
    c = anatomy.cord_ellipse
    g = anatomy.grey_matter_outline_mm(n)
    u = (g[:, 0] - c.center_x_mm) / c.semi_x_mm
    v = (g[:, 1] - c.center_y_mm) / c.semi_y_mm
    phi = np.arctan2(v, u)
    order = np.argsort(phi)
    return phi[order], np.hypot(u, v)[order]


def _inside_polygon(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test (vectorised over points)."""
    inside = np.zeros(px.shape, dtype=bool)
    a, b = poly, np.roll(poly, -1, axis=0)
    for (x0, y0), (x1, y1) in zip(a, b, strict=True):
        crosses = (y0 > py) != (y1 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (px < xc)
    return inside


def in_dorsal_columns(anatomy, x_mm: np.ndarray, y_mm: np.ndarray, *,
                      lateral_angle_deg: float = 38.0) -> np.ndarray:
    """Whether cross-section points lie in the dorsal columns (dorsal funiculi).

    The dorsal columns are taken as the points inside the cord ellipse, outside the
    grey matter (the smooth outline and the 24-gon that the field model meshes), whose
    polar angle from the dorsal midline in cord-normalised coordinates (the cord
    ellipse mapped to the unit circle) is at most ``lateral_angle_deg`` (the dorsal-horn
    axis of the schematic grey matter): medial to the dorsal horns and dorsal to the
    grey commissure. Schematic, like the grey matter itself.

    Parameters
    ----------
    anatomy : SpineAnatomy
    x_mm, y_mm : array-like
        Cross-section coordinates, mm (broadcast together).
    lateral_angle_deg : float
        Lateral bound, deg from the dorsal midline (10 to 80).

    Returns
    -------
    numpy.ndarray
        Boolean array of the broadcast shape.
    """
    lat = math.radians(check_range("lateral_angle_deg", lateral_angle_deg, 10.0, 80.0, "deg"))
    x, y = np.broadcast_arrays(np.asarray(x_mm, dtype=float), np.asarray(y_mm, dtype=float))
    c = anatomy.cord_ellipse
    u = (x - c.center_x_mm) / c.semi_x_mm
    v = (y - c.center_y_mm) / c.semi_y_mm
    r = np.hypot(u, v)
    ok = (r <= 1.0) & (np.arctan2(np.abs(u), v) <= lat)
    phi, rg = _grey_radius(anatomy, _GREY_FINE_N)
    ok &= r >= np.interp(np.arctan2(v, u), phi, rg, period=2.0 * np.pi)
    mesh_grey = anatomy.grey_matter_outline_mm(_GREY_MESH_N)
    ok &= ~_inside_polygon(x, y, mesh_grey)
    return ok


def dorsal_column_depth_mm(anatomy) -> float:
    """Depth of the dorsal columns on the midline (cord surface to grey commissure), mm.

    The deepest point of the region of :func:`in_dorsal_columns` (depth measured
    along y from the cord surface): the cord surface falls and the grey matter rises
    away from the midline.
    """
    c = anatomy.cord_ellipse
    phi, rg = _grey_radius(anatomy, _GREY_FINE_N)
    r_fine = float(np.interp(0.5 * np.pi, phi, rg, period=2.0 * np.pi))
    mesh = anatomy.grey_matter_outline_mm(_GREY_MESH_N)
    # top of the meshed 24-gon on the midline (crossings of x = centre)
    a, b = mesh, np.roll(mesh, -1, axis=0)
    xs = c.center_x_mm
    cross = (a[:, 0] - xs) * (b[:, 0] - xs) <= 0
    cross &= a[:, 0] != b[:, 0]
    t = (xs - a[cross, 0]) / (b[cross, 0] - a[cross, 0])
    y_mesh = float(np.max(a[cross, 1] + t * (b[cross, 1] - a[cross, 1])))
    y_top = max(c.center_y_mm + c.semi_y_mm * r_fine, y_mesh)
    return float(c.center_y_mm + c.semi_y_mm - y_top)


# ------------------------------------------------------------------ dorsal roots
class RootPath(NamedTuple):
    """One dorsal-root fiber trajectory and where its parts meet.

    ``path_mm[:dura_index + 1]`` is the root-sleeve part (outside the dural sac),
    ``path_mm[dura_index:entry_index + 1]`` the rootlet in the CSF,
    ``path_mm[entry_index:branch_index + 1]`` the entry zone: the stem to the
    bifurcation and the turn into the dorsal column, and ``path_mm[branch_index:]``
    the straight longitudinal branch.
    """

    path_mm: np.ndarray
    dura_index: int
    entry_index: int
    branch_index: int = -1


def dorsal_root_path_mm(anatomy, side: str, z_entry_mm: float, *,
                        entry_angle_deg: float, rootlet_rise_mm: float,
                        sleeve_length_mm: float, incord_turn_mm: float,
                        incord_angle_deg: float, incord_radius: float,
                        branch: str = "ascending", branch_length_mm: float = 10.0,
                        stem_fraction: float = 0.5) -> RootPath:
    """Trajectory of one dorsal-root afferent along one of its dorsal-column branches.

    Ordered along the (afferent) fiber:

    1. root sleeve: a quadratic Bezier from a point ``sleeve_length_mm`` caudal to
       the dural exit and laterally in the middle of the lateral epidural space (the
       model has no foramen) to the rootlet's start on the dural sac, tangent to the
       rootlet there; all its control points lie outside the sac, so it does too;
    2. rootlet: :meth:`SpineAnatomy.dorsal_rootlet_paths_mm` (in the CSF, rising
       ``rootlet_rise_mm`` to the entry zone at ``z_entry_mm``, ``entry_angle_deg``
       off the dorsal midline);
    3. stem: a quadratic Bezier from the entry point ``stem_fraction`` of the way
       towards the branch position (polar angle ``incord_angle_deg``, normalised
       radius ``incord_radius``), rising ``incord_turn_mm / 6`` and ending transverse:
       the bifurcation point, the same for both branches;
    4. branch turn: a cubic Bezier from the bifurcation, leaving it transversely
       (tangent-continuous with the stem), ending parallel to z at the branch position
       ``incord_turn_mm`` rostral ('ascending') or caudal ('descending');
    5. the straight branch, ``branch_length_mm`` rostrally or caudally.

    Every in-cord control point lies in the (convex) cord, so the path does too. The
    ascending and descending paths of one afferent are identical up to the bifurcation.

    Parameters
    ----------
    anatomy : SpineAnatomy
    side : {'left', 'right'}
        Patient's left (+x) or right (-x).
    z_entry_mm : float
        Entry-zone z of this fiber's rootlet, mm.
    entry_angle_deg : float
        Entry angle on the cord ellipse from the dorsal midline, deg (20 to 70).
    rootlet_rise_mm : float
        Rise in z of the rootlet from the dura to the entry zone, mm.
    sleeve_length_mm : float
        Caudal extent of the root-sleeve part, mm (> 0).
    incord_turn_mm : float
        z extent of the branch turn, mm (> 0).
    incord_angle_deg : float
        Polar angle of the branch from the dorsal midline, deg (cord-normalised
        coordinates; 5 to 60).
    incord_radius : float
        Normalised radius of the branch (0.5 to 0.98; 1 = cord surface).
    branch : {'ascending', 'descending'}
        Which branch the path follows after the bifurcation.
    branch_length_mm : float
        Length of the straight branch after the turn, mm (>= 0).
    stem_fraction : float
        Where the afferent bifurcates, as a fraction of the transverse way from the
        entry point to the branch position (0.1 to 0.9).

    Returns
    -------
    RootPath
        ``path_mm`` (m, 3) in mm and the indices where the parts meet (``branch_index``:
        the end of the turn, where the straight dorsal-column branch starts).
    """
    sgn = 1.0 if check_option("side", side, ("left", "right")) == "left" else -1.0
    up = 1.0 if check_option("branch", branch, ("ascending", "descending")) == "ascending" \
        else -1.0
    sleeve = check_positive("sleeve_length_mm", sleeve_length_mm, "mm")
    turn = check_positive("incord_turn_mm", incord_turn_mm, "mm")
    length = check_range("branch_length_mm", branch_length_mm, 0.0, None, "mm")
    theta = math.radians(check_range("incord_angle_deg", incord_angle_deg, 5.0, 60.0, "deg"))
    rad = check_range("incord_radius", incord_radius, 0.5, 0.98)
    frac = check_range("stem_fraction", stem_fraction, 0.1, 0.9)
    rise = float(rootlet_rise_mm)
    rootlet = anatomy.dorsal_rootlet_paths_mm(
        side, z_entry_mm, _n_points(rise + 8.0), rostral_rise_mm=rise,
        entry_angle_deg=entry_angle_deg)
    # 1. root sleeve, tangent to the rootlet where it leaves the dura
    p0 = rootlet[0]
    t0 = rootlet[1] - rootlet[0]
    t0 = t0 / np.linalg.norm(t0)
    canal, dura = anatomy.canal_ellipse, anatomy.dura_ellipse
    rel = (p0[1] - canal.center_y_mm) / canal.semi_y_mm
    canal_half = canal.semi_x_mm * math.sqrt(max(0.0, 1.0 - rel * rel))
    dura_half = dura.semi_x_mm * math.sqrt(max(0.0, 1.0 - ((p0[1] - dura.center_y_mm)
                                                           / dura.semi_y_mm) ** 2))
    start = np.array([sgn * 0.5 * (dura_half + canal_half), p0[1], p0[2] - sleeve])
    ctrl = p0 - t0 * (0.3 * sleeve)
    sleeve_pts = bezier_mm(np.stack([start, ctrl, p0]), _n_points(sleeve))
    # 3. stem to the bifurcation (transverse at its end)
    c = anatomy.cord_ellipse
    e = rootlet[-1]
    tgt_xy = np.array([c.center_x_mm + sgn * c.semi_x_mm * rad * math.sin(theta),
                       c.center_y_mm + c.semi_y_mm * rad * math.cos(theta)])
    b = np.array([*(e[:2] + frac * (tgt_xy - e[:2])), e[2] + turn / 6.0])
    stem_ctrl = np.array([e, [*(0.5 * (e[:2] + b[:2])), b[2]], b])
    stem = bezier_mm(stem_ctrl, _n_points(float(np.linalg.norm(b - e))))
    # 4. turn into the branch, 5. straight branch
    ctrl4 = np.array([
        b,
        [*tgt_xy, b[2]],
        [*tgt_xy, b[2] + up * turn / 3.0],
        [*tgt_xy, b[2] + up * turn],
    ])
    turn_pts = bezier_mm(ctrl4, _n_points(turn + float(np.linalg.norm(tgt_xy - b[:2]))))
    parts = [sleeve_pts, rootlet[1:], stem[1:], turn_pts[1:]]
    if length > 0:
        n_up = _n_points(length)
        z0 = b[2] + up * turn
        z_up = np.linspace(z0, z0 + up * length, n_up)[1:]
        parts.append(np.column_stack([np.full(n_up - 1, tgt_xy[0]),
                                      np.full(n_up - 1, tgt_xy[1]), z_up]))
    path = np.concatenate(parts)
    dura_index = sleeve_pts.shape[0] - 1
    entry_index = dura_index + rootlet.shape[0] - 1
    branch_index = entry_index + stem.shape[0] - 1 + turn_pts.shape[0] - 1
    return RootPath(path, dura_index, entry_index, branch_index)


__all__ = ["POINTS_PER_MM", "RootPath", "arc_length_mm", "bezier_mm", "compartment_points_mm",
           "dorsal_column_depth_mm", "dorsal_root_path_mm", "in_dorsal_columns",
           "max_nodes_on_path"]
