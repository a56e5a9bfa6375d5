"""Collaterals of dorsal-column fibers into the dorsal horn.

A dorsal-column fiber gives off a collateral about every millimetre (``dc_collateral`` in
``fibers.yaml``, with sources). A collateral is modelled as one extra cable of its fiber,
sharing its ``afferent_id`` and weight: the parent fiber along the column up to the
branch node, then the thinner collateral running ventrally into the dorsal horn. The
unbranched parent stays a cable of its own, and the afferent's threshold is the lower
of its cables (:func:`neuraxis.perception.percept.afferents`), as for the two branches
of a dorsal-root afferent. Only the collateral nearest each cathode is simulated (the
field falls off away from it).

Struijk et al. (1992) and Lempka et al. (2015) studied how collaterals change DC
thresholds; the chain model here leaves out the parent's continuation beyond the branch
point in the collateral's cable (so the load of the third arm at the branch node is
missing): an approximation stated in ``docs/fibers.md``.
"""

from __future__ import annotations

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int
from neuraxis.fibers._table import check_spine, table_values
from neuraxis.fibers.fiberset import FiberSet
from neuraxis.fibers.paths import bezier_mm


def collateral_spec() -> dict[str, float]:
    """Spacing (mm), diameter (um), depth into the grey (mm) and rostral run (mm)."""
    t = table_values("dc_collateral")
    return {k: float(t[k]) for k in ("spacing_mm", "diameter_um", "into_grey_mm",
                                     "rostral_run_mm")}


def collateral_phase_mm(n: int, seed: int) -> np.ndarray:
    """Position of each fiber's collateral train along z, in [0, spacing) mm.

    Drawn once per fiber from ``seed`` (the same fiber keeps its collaterals whatever the
    program), so the collateral nearest a cathode lies anywhere within half a spacing.
    """
    n = check_int("n", n, 0, None)
    rng = np.random.default_rng([check_int("seed", seed, 0, None), 0xC011])
    return rng.uniform(0.0, collateral_spec()["spacing_mm"], n)


def _dorsal_horn_target(anatomy, x: float, y: float, into_mm: float) -> np.ndarray:
    """Point ``into_mm`` inside the grey matter beyond its outline point nearest (x, y)."""
    g = np.asarray(anatomy.grey_matter_outline_mm(192), dtype=float)
    k = int(np.argmin(np.hypot(g[:, 0] - x, g[:, 1] - y)))
    edge = g[k]
    d = edge - np.array([x, y])
    norm = float(np.hypot(*d))
    if norm < 1e-9:  # pragma: no cover - DC fibers lie outside the grey matter
        d, norm = np.array([0.0, -1.0]), 1.0
    return edge + into_mm * d / norm


def dc_collaterals(anatomy, fibers: FiberSet, cathode_z_mm: list[float] | np.ndarray, *,
                   seed: int = 0) -> FiberSet:
    """Collateral cables of the dorsal-column fibers of ``fibers``, one per cathode.

    Parameters
    ----------
    anatomy : SpineAnatomy
    fibers : FiberSet
        Population whose ``kind == 'dc'`` rows (without a branch) get collaterals.
    cathode_z_mm : sequence of float
        z of each cathode, mm; each fiber gets the collateral of its train nearest each
        (duplicates merged).
    seed : int
        Seed of the collateral trains' phases (:func:`collateral_phase_mm`).

    Returns
    -------
    FiberSet
        Rows ``kind`` 'dc', ``branch`` 'collateral', with the parent's diameter, side,
        position, depth, weight and ``afferent_id``; ``branch_arc_mm`` is the arc length of
        the branch node; the path runs along the parent from its first point to the branch
        node, then bends into the dorsal horn.
    """
    a = check_spine(anatomy)
    if not isinstance(fibers, FiberSet):
        raise NeuraxisInputError(
            f"Invalid value for 'fibers'. Expected a FiberSet, but got {type(fibers).__name__}")
    cz = np.unique(np.asarray(cathode_z_mm, dtype=float).reshape(-1))
    if cz.size == 0 or not np.all(np.isfinite(cz)):
        raise NeuraxisInputError(
            f"Invalid value for 'cathode_z_mm'. Expected at least one finite z in mm, but got "
            f"{cathode_z_mm!r}")
    spec = collateral_spec()
    s = spec["spacing_mm"]
    parents = np.flatnonzero((fibers.kind == "dc") & (fibers.branch == ""))
    phase = collateral_phase_mm(len(fibers), seed)
    rows, paths, arcs = [], [], []
    for i in parents:
        p = np.asarray(fibers.paths_mm[i])
        z0, z1 = float(p[0, 2]), float(p[-1, 2])
        lo, hi = min(z0, z1), max(z0, z1)
        zb = phase[i] + s * np.round((cz - phase[i]) / s)
        zb = np.unique(zb[(zb > lo + 1.0) & (zb < hi - 1.0)])
        x, y = float(p[0, 0]), float(p[0, 1])
        target = _dorsal_horn_target(a, x, y, spec["into_grey_mm"])
        for z in zb:
            up = 1.0 if z1 > z0 else -1.0
            run = up * spec["rostral_run_mm"]
            ctrl = np.array([[x, y, z], [x, y, z + 0.5 * run],
                             [target[0], target[1], z + 0.5 * run],
                             [target[0], target[1], z + run]])
            bend = bezier_mm(ctrl, 24)
            path = np.vstack([[p[0]], bend])
            rows.append(i)
            paths.append(path)
            arcs.append(abs(z - z0))
    idx = np.asarray(rows, dtype=int)
    n = idx.size
    return FiberSet(np.full(n, "dc"), fibers.diameter_um[idx], fibers.side[idx],
                    fibers.x_mm[idx], fibers.y_mm[idx], fibers.depth_mm[idx],
                    fibers.segment[idx], tuple(paths), weight_fibers=fibers.weight_fibers[idx],
                    afferent_id=fibers.afferent_id[idx], branch=np.full(n, "collateral"),
                    branch_arc_mm=np.asarray(arcs, dtype=float))


__all__ = ["collateral_phase_mm", "collateral_spec", "dc_collaterals"]
