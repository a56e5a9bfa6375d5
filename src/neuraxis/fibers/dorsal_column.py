"""Dorsal-column fibers: straight along the cord, dense near the dorsal surface.

Sampling law and numbers: ``dc_region`` and ``dc_diameter`` in ``neuraxis/data/fibers.yaml``;
the region test is :func:`neuraxis.fibers.paths.in_dorsal_columns`. One side is drawn and
mirrored, so every left fiber has a right twin of the same diameter.
"""

from __future__ import annotations

import math

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_range
from neuraxis.fibers._table import check_spine, float_pair, table_values
from neuraxis.fibers.diameters import dc_diameter_law
from neuraxis.fibers.fiberset import FiberSet
from neuraxis.fibers.paths import dorsal_column_depth_mm, in_dorsal_columns


def dc_depth_fraction(depth_mm: float, max_depth_mm: float) -> float:
    """Fraction of dorsal-column fibers shallower than ``depth_mm`` (the depth law).

    The count per mm of depth halves every ``depth_halving_mm`` (0.5 mm, from
    ``fibers.yaml``) and is cut at ``max_depth_mm``: with the default 1.5 mm, 4/7 of
    the fibers lie in the superficial 0.5 mm, 2/7 at 0.5-1.0 mm and 1/7 deeper.
    """
    h = float(table_values("dc_region")["depth_halving_mm"])
    d = min(max(float(depth_mm), 0.0), float(max_depth_mm))
    return (1.0 - 2.0 ** (-d / h)) / (1.0 - 2.0 ** (-float(max_depth_mm) / h))


def dorsal_column_fibers(anatomy, n: int, *, seed: int = 0,
                         z_range_mm: tuple[float, float] | None = None,
                         max_depth_mm: float | None = None,
                         diameter_range_um: tuple[float, float] | None = None) -> FiberSet:
    """Dorsal-column fibers: straight along z, dense near the dorsal surface.

    Depth below the dorsal surface (along y): the count per mm of depth halves every
    0.5 mm, cut at ``max_depth_mm`` (:func:`dc_depth_fraction`; 4/7 of the fibers in the
    superficial 0.5 mm by default), a sampling law that puts the fibers where SCS acts,
    not an anatomical density. At a given depth the mediolateral position is uniform
    across the dorsal columns (:func:`neuraxis.fibers.paths.in_dorsal_columns`). One side
    is drawn and mirrored about the cord's midline (an odd ``n`` adds one fiber on a
    random side). Diameters: :func:`dc_diameter_law`, by default 5.7-16 um (the MRG
    discrete table, the range most published SCS models use: smaller fibers are not
    recruited at clinical amplitudes); ``diameter_range_um=(2, 16)`` for all of MRG.

    Parameters
    ----------
    anatomy : SpineAnatomy
    n : int
        Number of fibers (1 to 1,000,000).
    seed : int
        Seed of the numpy Generator (>= 0); same inputs and seed, same fibers.
    z_range_mm : (float, float), optional
        z extent of every fiber, mm; default the model length minus 5 mm at each end.
    max_depth_mm : float, optional
        Deepest fiber below the dorsal surface, mm; default 1.5 mm, at most 90 % of the
        dorsal columns' midline depth (:func:`neuraxis.fibers.paths.dorsal_column_depth_mm`).
    diameter_range_um : (float, float), optional
        Diameter range, um, within 2-16 um; default 5.7-16 um.

    Returns
    -------
    FiberSet
        ``kind`` 'dc', ``segment`` '', each path two points (x, y, z_lo) -> (x, y, z_hi).
    """
    a = check_spine(anatomy)
    n = check_int("n", n, 1, 1_000_000)
    seed = check_int("seed", seed, 0, None)
    reg = table_values("dc_region")
    half = a.length_mm / 2
    margin = float(reg["z_margin_mm"])
    z_lo, z_hi = float_pair("z_range_mm", z_range_mm, (margin - half, half - margin),
                       "(z_low, z_high) in mm")
    check_range("z_range_mm", [z_lo, z_hi], -half, half, "mm")
    if z_hi - z_lo < 1.0:
        raise NeuraxisInputError(f"Invalid value for 'z_range_mm'. Expected z_high - z_low >= "
                                 f"1 mm, but got ({z_lo:g}, {z_hi:g})")
    depth_cap = 0.9 * dorsal_column_depth_mm(a)
    dmax = float(reg["default_max_depth_mm"]) if max_depth_mm is None else max_depth_mm
    dmax = check_range("max_depth_mm", dmax, 0.0, round(depth_cap, 3), "mm",
                       low_inclusive=False)
    law = dc_diameter_law(diameter_range_um)
    lat = float(reg["lateral_angle_deg"])
    h = float(reg["depth_halving_mm"])
    rng = np.random.default_rng(seed)

    n_pair = n // 2
    n_one = n_pair + n % 2  # one side is drawn; the extra (odd n) fiber goes on a random side
    depth = -h / math.log(2.0) * np.log1p(-rng.random(n_one) * (1.0 - 2.0 ** (-dmax / h)))
    c = a.cord_ellipse
    x_hi = c.semi_x_mm * math.sin(math.radians(lat))
    dx = np.empty(n_one)  # distance from the cord's midline, >= 0
    todo = np.arange(n_one)
    for _ in range(1000):  # rejection: redraw x at the fixed depth until inside
        trial = rng.uniform(0.0, x_hi, todo.size)
        xs = c.center_x_mm + trial
        ok = in_dorsal_columns(a, xs, c.top_y_mm(xs) - depth[todo], lateral_angle_deg=lat)
        dx[todo[ok]] = trial[ok]
        todo = todo[~ok]
        if todo.size == 0:
            break
    else:  # pragma: no cover - the depth cap keeps every depth's width > 0
        raise RuntimeError("dorsal_column_fibers: rejection sampling did not converge")
    diam = law.sample(rng, n_one)
    extra_left = bool(rng.random() < 0.5)
    sign = np.concatenate([np.ones(n_pair), -np.ones(n_pair),
                           [1.0 if extra_left else -1.0] * (n % 2)])
    take = np.concatenate([np.arange(n_pair), np.arange(n_pair), [n_one - 1] * (n % 2)])
    take = take.astype(int)
    x = c.center_x_mm + sign * dx[take]
    d = depth[take]
    y = c.top_y_mm(x) - d
    paths = tuple(np.array([[xi, yi, z_lo], [xi, yi, z_hi]]) for xi, yi in zip(x, y,
                                                                             strict=True))
    return FiberSet(np.full(n, "dc"), diam[take], np.where(sign > 0, "left", "right"), x, y, d,
                    np.full(n, ""), paths)
