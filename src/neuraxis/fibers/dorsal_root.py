"""Dorsal-root fibers and the cord-segment names of their entry zones.

Trajectory parameters and the vertebra-to-segment table: ``dr_path`` and
``vertebral_segments`` in ``neuraxis/data/fibers.yaml``; the path itself is
:func:`neuraxis.fibers.paths.dorsal_root_path_mm`. The right root mirrors the left one
(same draws).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_range
from neuraxis.anatomy.levels import CORD_SEGMENTS
from neuraxis.fibers._table import check_spine, fiber_table, table_values
from neuraxis.fibers.diameters import dr_diameter_law
from neuraxis.fibers.fiberset import SIDES, FiberSet
from neuraxis.fibers.paths import arc_length_mm, dorsal_root_path_mm

#: Spinal cord segments, rostral to caudal.
SEGMENT_NAMES = CORD_SEGMENTS


def cord_segment_at(anatomy, z_entry_mm: float) -> str:
    """Name of the cord segment whose entry zone is nearest ``z_entry_mm``.

    Entry zones are ``anatomy.segment_length_mm`` apart with one at z = 0, which gets
    the level's ``middle_segment`` from ``fibers.yaml`` (e.g. 'T11' at the T9
    vertebra); +z is rostral (lower segment numbers).

    Parameters
    ----------
    anatomy : SpineAnatomy
    z_entry_mm : float
        Position along the cord, mm (inside the model).
    """
    a = check_spine(anatomy)
    z = check_range("z_entry_mm", z_entry_mm, -a.length_mm / 2, a.length_mm / 2, "mm")
    middle = fiber_table()["vertebral_segments"][a.level]["middle_segment"]
    i = SEGMENT_NAMES.index(middle) - round(z / a.segment_length_mm)
    if not 0 <= i < len(SEGMENT_NAMES):
        raise NeuraxisInputError(
            f"Invalid value for 'z_entry_mm'. {z:g} mm lies beyond the named cord segments "
            f"({SEGMENT_NAMES[0]}-{SEGMENT_NAMES[-1]}) at the {a.level} vertebra")
    return SEGMENT_NAMES[i]


def cord_segments(anatomy) -> dict[float, str]:
    """Segment name of every dorsal-root entry zone in the model.

    Parameters
    ----------
    anatomy : SpineAnatomy

    Returns
    -------
    dict
        ``{z_entry_mm: name}`` for every entry in
        ``anatomy.segment_entry_z_mm(margin_mm=0, rostral_rise_mm=0)`` (a superset of
        the default entries), e.g. ``{-20.0: 'T12', 0.0: 'T11', 20.0: 'T10'}`` at T9.
    """
    a = check_spine(anatomy)
    zs = a.segment_entry_z_mm(margin_mm=0.0, rostral_rise_mm=0.0)
    return {float(z): cord_segment_at(a, float(z)) for z in zs}


def _root_plan(a, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Entries whose roots fit in the model, with their sleeve lengths (mm).

    The sleeve (caudal end) is shortened, down to its table minimum, so that every
    fiber (rootlet spread included) stays ``z_margin_mm`` inside the model's caudal end;
    a root fits if its ascending branch can also run ``min_incord_ascend_mm`` straight
    before the rostral margin.
    """
    room = a.length_mm / 2 - float(p["z_margin_mm"])
    spread = 0.5 * float(p["rootlet_z_spread_mm"])
    turn = float(p["incord_turn_mm"])
    z = a.segment_entry_z_mm(margin_mm=0.0, rostral_rise_mm=0.0)
    sleeve = np.minimum(float(p["sleeve_length_mm"]),
                        z - spread - float(p["rootlet_rise_mm"]) + room)
    ascend = room - z - spread - turn / 6.0 - turn
    ok = ((sleeve >= float(p["min_sleeve_length_mm"]) - 1e-9)
          & (ascend >= float(p["min_incord_ascend_mm"]) - 1e-9))
    return z[ok], sleeve[ok]


def dr_afferents_per_root(diameter_range_um: tuple[float, float] | None = None) -> float:
    """Real large myelinated afferents in one thoracic dorsal root (one side), in range.

    ``root_myelinated_fibres x large_fraction`` of ``dr_count`` in ``fibers.yaml``
    (15,000 x 0.2 = 3,000, both **assumed**), scaled by the share of the velocity law
    inside ``diameter_range_um`` relative to its default range.
    """
    from scipy.special import ndtr

    c = table_values("dr_count")
    law, full = dr_diameter_law(diameter_range_um), dr_diameter_law()

    def mass(lw):
        return float(ndtr(lw._z(lw.high_um)) - ndtr(lw._z(lw.low_um)))
    share = 1.0 if law.low_um == law.high_um else mass(law) / mass(full)
    return float(c["root_myelinated_fibres"]) * float(c["large_fraction"]) * share


def dorsal_root_entries_mm(anatomy, *, z_center_mm: float = 0.0,
                           n_segments: int | None = None,
                           z_window_mm: float | None = None) -> np.ndarray:
    """Entry-zone z (mm, ascending) of the dorsal roots :func:`dorsal_root_fibers` builds.

    The candidates are the entries of ``anatomy.segment_entry_z_mm`` whose roots fit in
    the model (``dr_path`` in ``fibers.yaml``: ``z_margin_mm`` from each end once the
    sleeve or the ascending branch is shortened, not below its minimum); then those
    within ``z_window_mm / 2`` of ``z_center_mm`` (if given), then the ``n_segments``
    nearest to ``z_center_mm`` (if given). Parameters as in :func:`dorsal_root_fibers`.
    """
    a = check_spine(anatomy)
    half = a.length_mm / 2
    zc = check_range("z_center_mm", z_center_mm, -half, half, "mm")
    fit = _root_plan(a, table_values("dr_path"))[0]
    if fit.size == 0:
        raise NeuraxisInputError(
            f"Invalid anatomy for dorsal roots: no root fits in the {a.length_mm:g} mm model "
            "with its minimum sleeve and ascending branch; raise length_mm")
    sel = fit
    if z_window_mm is not None:
        w = check_range("z_window_mm", z_window_mm, 0.0, None, "mm", low_inclusive=False)
        sel = sel[np.abs(sel - zc) <= 0.5 * w + 1e-9]
        if sel.size == 0:
            raise NeuraxisInputError(
                f"Invalid value for 'z_window_mm'. No dorsal-root entry zone lies within "
                f"{0.5 * w:g} mm of z_center_mm = {zc:g} mm (entries that fit the model: "
                f"{', '.join(f'{v:g}' for v in fit)} mm)")
    if n_segments is not None:
        k = check_int("n_segments", n_segments, 1, 100)
        if k > sel.size:
            raise NeuraxisInputError(
                f"Invalid value for 'n_segments'. Only {sel.size} dorsal root(s) fit the model "
                f"and window (entries {', '.join(f'{v:g}' for v in sel)} mm), but got {k}")
        order = np.lexsort((-sel, np.abs(sel - zc)))  # nearest first, rostral on ties
        sel = np.sort(sel[order[:k]])
    return np.asarray(sel, dtype=float)


def dorsal_root_fibers(anatomy, *, n_per_root: int, seed: int = 0,
                       z_center_mm: float = 0.0, n_segments: int | None = None,
                       z_window_mm: float | None = None,
                       diameter_range_um: tuple[float, float] | None = None) -> FiberSet:
    """Dorsal-root afferents of the segments under and near the lead, both sides, each as
    two rows: its ascending and its descending branch.

    Each root (one segment, one side) gets ``n_per_root`` afferents. An afferent's
    rootlet enters the cord ``U(-2, 2)`` mm from the root's entry z at ``45 + U(-3, 3)``
    deg off the dorsal midline; its branches lie at ``30 + U(-3, 3)`` deg and normalised
    radius ``0.9 + U(-0.03, 0.03)`` (``dr_path`` in ``fibers.yaml``). Its trajectory
    (:func:`neuraxis.fibers.paths.dorsal_root_path_mm`): 10 mm of root sleeve outside
    the dura, the rootlet through the CSF, the stem into the dorsal column, the
    bifurcation, then either the ascending branch, which runs to ``z_margin_mm`` (2 mm)
    inside the model's rostral end (the long ascending branches reach the medulla), or
    the descending branch: a 4 mm turn and 10 mm caudally (cut 2 mm inside the model's
    caudal end). The cable engine simulates unbranched cables, so the two branches are
    two rows sharing ``afferent_id`` and identical up to the bifurcation. Near the
    model's caudal end the sleeve is shortened (down to 4 mm); a root whose ascending
    branch cannot run 6 mm straight is left out. The right root mirrors the left one.

    Diameters: :func:`dr_diameter_law`, MRG diameters of the measured velocities of
    human dorsal-root touch afferents (~8.0 +- 1.07 um in ~6.0-10.0 um); both rows of
    an afferent share it. ``weight_fibers`` of each row: the root's real large
    afferents (:func:`dr_afferents_per_root`, 3,000, assumed) / ``n_per_root``, so a
    weighted count of *afferents* (each ``afferent_id`` once) estimates real fibres.

    Parameters
    ----------
    anatomy : SpineAnatomy
    n_per_root : int
        Afferents per root and side (1 to 10,000); rows are twice that.
    seed : int
        Seed of the numpy Generator (>= 0).
    z_center_mm : float
        Centre of the selection (e.g. the lead's cathode z), mm.
    n_segments : int, optional
        Keep the ``n_segments`` roots whose entries are nearest ``z_center_mm``.
    z_window_mm : float, optional
        Keep the roots whose entries lie within ``z_window_mm / 2`` of ``z_center_mm``.
        With neither, every root that fits in the model.
    diameter_range_um : (float, float), optional
        Diameter range, um, within 2-16 um; default the velocity law's (~6.0-10.0 um).

    Returns
    -------
    FiberSet
        ``kind`` 'dr'; per root, side and afferent the 'ascending' then the
        'descending' row; ``segment`` the root's cord segment (:func:`cord_segment_at`);
        ``x_mm``, ``y_mm`` the cord entry point; ``dura_arc_mm``, ``entry_arc_mm``,
        ``branch_arc_mm`` where the path enters the sac, the cord and its straight branch.
    """
    a = check_spine(anatomy)
    n_per = check_int("n_per_root", n_per_root, 1, 10_000)
    seed = check_int("seed", seed, 0, None)
    entries = dorsal_root_entries_mm(a, z_center_mm=z_center_mm, n_segments=n_segments,
                                     z_window_mm=z_window_mm)
    p = table_values("dr_path")
    law = dr_diameter_law(diameter_range_um)
    design, weight = _root_design(n_per, seed, dr_afferents_per_root(diameter_range_um))
    diam_q = design[:, 4]
    def u(spread, k):
        return (design[:, k] - 0.5) * float(spread)
    turn = float(p["incord_turn_mm"])
    geo = {"rootlet_rise_mm": float(p["rootlet_rise_mm"]), "incord_turn_mm": turn,
           "stem_fraction": float(p["stem_fraction"])}
    z_top = a.length_mm / 2 - float(p["z_margin_mm"])
    plan = dict(zip(*(map(float, v) for v in _root_plan(a, p)), strict=True))
    rows = []
    for z_root in entries:
        name = cord_segment_at(a, float(z_root))
        dz, dang = u(p["rootlet_z_spread_mm"], 0), u(p["entry_angle_spread_deg"], 1)
        dth, drad = u(p["incord_angle_spread_deg"], 2), u(p["incord_radius_spread"], 3)
        diam = law.ppf(diam_q)
        for side in SIDES:
            for i in range(n_per):
                z_e = float(z_root + dz[i])
                b_z = z_e + turn / 6.0  # the bifurcation's z
                lengths = {"ascending": z_top - b_z - turn,
                           "descending": max(0.0, min(float(p["descending_length_mm"]),
                                                      b_z - turn + z_top))}
                afferent = len(rows) // 2
                for branch, length in lengths.items():
                    rp = dorsal_root_path_mm(
                        a, side, z_e, entry_angle_deg=float(p["entry_angle_deg"]) + dang[i],
                        incord_angle_deg=float(p["incord_angle_deg"]) + dth[i],
                        incord_radius=float(p["incord_radius"]) + drad[i],
                        sleeve_length_mm=plan[float(z_root)], branch=branch,
                        branch_length_mm=length, **geo)
                    e = rp.path_mm[rp.entry_index]
                    s = arc_length_mm(rp.path_mm)
                    rows.append((side, diam[i], e[0], e[1], name, rp.path_mm,
                                 s[rp.entry_index], s[rp.dura_index], s[rp.branch_index],
                                 afferent, branch, weight[i]))
    side, diam, x, y, seg, paths, arc, dura, barc, aff, branch, w = zip(*rows, strict=True)
    m = len(rows)
    return FiberSet(np.full(m, "dr"), diam, side, x, y, np.zeros(m), seg, paths, arc,
                    weight_fibers=w, afferent_id=aff, branch=branch,
                    dura_arc_mm=dura, branch_arc_mm=barc)


#: Importance exponent of the diameter quantile: ``q = 1 - (1 - v)^k`` puts the sampled
#: afferents of a root towards its largest (lowest-threshold) fibres, where the percept's
#: counts are read; the weights ``k (1 - v)^(k - 1)`` undo it.
DIAMETER_IMPORTANCE = 3.0


def _root_design(n: int, seed: int, real_per_root: float) -> tuple[np.ndarray, np.ndarray]:
    """The afferents of one root: (n, 5) points in [0, 1) and their weights (real fibres).

    Columns: rootlet z, entry angle, branch angle, branch radius (uniform jitters), and
    the diameter quantile. One scrambled Sobol' sequence seeded by ``seed`` (nested: the
    first k points are the same for every n >= k), the same for every root; the diameter
    quantile is importance-sampled towards the largest fibres (:data:`DIAMETER_IMPORTANCE`)
    and the weights, normalised to sum to ``real_per_root``, undo it.
    """
    import warnings

    from scipy.stats import qmc

    sobol = qmc.Sobol(d=5, scramble=True, seed=np.random.default_rng(seed))
    with warnings.catch_warnings():  # balance needs n = 2^k; nesting does not
        warnings.simplefilter("ignore", UserWarning)
        pts = sobol.random(n)
    k = DIAMETER_IMPORTANCE
    v = pts[:, 4].copy()
    pts[:, 4] = 1.0 - (1.0 - v) ** k
    dens = k * (1.0 - v) ** (k - 1.0)  # dq/dv: the real share each point stands for
    return pts, real_per_root * dens / dens.sum()
