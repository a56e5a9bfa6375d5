"""Dorsal-column fibers: straight along the cord, sampled from an anatomical density.

The dorsal columns are a density of myelinated fibres (``dc_density`` in
``neuraxis/data/fibers.yaml``: per mm^2 of cross-section, diameters by ``dc_diameter``),
inside the region :func:`neuraxis.fibers.paths.in_dorsal_columns`. Fibers are drawn by
importance sampling (more near the surface and more large ones, a scrambled Sobol'
design) and each carries ``weight_fibers``, the real fibres it stands for. One side is
drawn and mirrored, so every left fiber has a right twin of the same diameter.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_range
from neuraxis.fibers._table import check_spine, float_pair, table_values
from neuraxis.fibers.diameters import DiameterLaw, dc_diameter_law
from neuraxis.fibers.fiberset import FiberSet
from neuraxis.fibers.paths import dorsal_column_depth_mm, in_dorsal_columns


def dc_depth_fraction(depth_mm: float, max_depth_mm: float) -> float:
    """Fraction of *sampled* dorsal-column fibers shallower than ``depth_mm``.

    The sampling (proposal) law of depth, not anatomy: the count per mm of depth
    halves every ``depth_halving_mm`` (0.5 mm, from ``fibers.yaml``) and is cut at
    ``max_depth_mm``: with the default 1.5 mm, 4/7 of the sampled fibers lie in the
    superficial 0.5 mm, 2/7 at 0.5-1.0 mm and 1/7 deeper. ``weight_fibers`` undoes it.
    """
    h = float(table_values("dc_region")["depth_halving_mm"])
    d = min(max(float(depth_mm), 0.0), float(max_depth_mm))
    return (1.0 - 2.0 ** (-d / h)) / (1.0 - 2.0 ** (-float(max_depth_mm) / h))


def dc_density_per_mm2() -> float:
    """Myelinated dorsal-column fibres per mm^2 (all diameters; ``dc_density``).

    16,000 per mm^2: Feirabend et al. 2002 (2.4 fibres > 10.7 um per 0.1 mm width of
    the superficial 0.3 mm, 0.5 % of all), taken as uniform over the dorsal column.
    """
    return float(table_values("dc_density")["density_per_mm2"])


def _x_cells(anatomy, depth_mm: np.ndarray, lat: float) -> tuple[np.ndarray, float]:
    """(k, m) mask of the half-width cells inside the dorsal column at each depth, cell mm."""
    c = anatomy.cord_ellipse
    m = int(table_values("dc_density")["width_cells"])
    x_hi = c.semi_x_mm * math.sin(math.radians(lat))
    dx = x_hi / m
    xs = c.center_x_mm + (np.arange(m) + 0.5) * dx
    d = np.asarray(depth_mm, dtype=float).reshape(-1, 1)
    return in_dorsal_columns(anatomy, xs, c.top_y_mm(xs) - d, lateral_angle_deg=lat), dx


def dc_region_width_mm(anatomy, depth_mm: np.ndarray | float, *,
                       lateral_angle_deg: float | None = None) -> np.ndarray:
    """Width of one dorsal column at a depth below the dorsal surface, mm.

    The length of the x interval(s) at which ``(x, top_y(x) - depth)`` lies in
    :func:`neuraxis.fibers.paths.in_dorsal_columns` on one side of the midline
    (resolved on ``dc_density.width_cells`` cells). The area element of the
    (x, depth) coordinates is dx d(depth), so the area is the integral of the width.

    Parameters
    ----------
    anatomy : SpineAnatomy
    depth_mm : float or array-like
        Depth(s) below the dorsal surface along y, mm.
    lateral_angle_deg : float, optional
        Lateral bound of the dorsal columns, deg; default ``dc_region`` (38 deg).
    """
    a = check_spine(anatomy)
    lat = float(table_values("dc_region")["lateral_angle_deg"] if lateral_angle_deg is None
                else lateral_angle_deg)
    d = np.asarray(depth_mm, dtype=float)
    mask, dx = _x_cells(a, d.reshape(-1), lat)
    return (mask.sum(axis=1) * dx).reshape(d.shape)


def dc_region_area_mm2(anatomy, max_depth_mm: float, *, min_depth_mm: float = 0.0) -> float:
    """Cross-section area of one dorsal column between two depths, mm^2 (one side).

    Parameters
    ----------
    anatomy : SpineAnatomy
    max_depth_mm, min_depth_mm : float
        Depth band below the dorsal surface, mm.
    """
    lo, hi = float(min_depth_mm), float(max_depth_mm)
    if hi <= lo:
        return 0.0
    n = max(64, math.ceil((hi - lo) / 0.0025))
    t = lo + (np.arange(n) + 0.5) * (hi - lo) / n  # midpoint rule on 2.5 um steps
    return float(dc_region_width_mm(anatomy, t).sum() * (hi - lo) / n)


def dc_fiber_count(anatomy, *, max_depth_mm: float | None = None, min_depth_mm: float = 0.0,
                   diameter_range_um: tuple[float, float] | None = None) -> float:
    """Real myelinated fibres in both dorsal columns of the model (not sampled ones).

    ``density x area(depth band) x fraction of the anatomical diameter law in the
    range`` for each side, summed over both: what ``sum(weight_fibers)`` of
    :func:`dorsal_column_fibers` equals with the same depth cut and range.

    Parameters
    ----------
    anatomy : SpineAnatomy
    max_depth_mm : float, optional
        Deepest fibre, mm; default ``dc_region.default_max_depth_mm`` (1.5 mm).
    min_depth_mm : float
        Shallowest, mm (default 0).
    diameter_range_um : (float, float), optional
        Diameter range, um (default 5.7-16 um).
    """
    a = check_spine(anatomy)
    dmax = float(table_values("dc_region")["default_max_depth_mm"]
                 if max_depth_mm is None else max_depth_mm)
    law = dc_diameter_law(diameter_range_um)
    return 2.0 * dc_density_per_mm2() * dc_region_area_mm2(a, dmax, min_depth_mm=min_depth_mm) \
        * _range_mass(law)


def _range_mass(law: DiameterLaw) -> float:
    """Fraction of the untruncated law inside ``[low_um, high_um]`` (0 for one size)."""
    from scipy.special import ndtr

    return float(ndtr(law._z(law.high_um)) - ndtr(law._z(law.low_um)))


def _diameters(law: DiameterLaw, u: np.ndarray, mix: float) -> tuple[np.ndarray, np.ndarray]:
    """Diameters from uniforms ``u`` by the proposal ``mix x law + (1 - mix) x uniform``,
    and the ratio law pdf / proposal pdf at each (both normalised on the range)."""
    if law.low_um == law.high_um:
        return np.full(u.shape, float(law.low_um)), np.ones(u.shape)
    grid = np.linspace(law.low_um, law.high_um, 4097)
    pdf = np.exp(-0.5 * law._z(grid) ** 2) / grid  # lognormal pdf up to a constant
    pdf /= np.trapezoid(pdf, grid)
    width = law.high_um - law.low_um
    cdf_law = np.asarray(law.cdf(grid))
    q_cdf = mix * cdf_law + (1.0 - mix) * (grid - law.low_um) / width
    d = np.interp(u, q_cdf, grid)
    p = np.interp(d, grid, pdf)
    return d, p / (mix * p + (1.0 - mix) / width)


def mirrored_weights(n: int, importance: np.ndarray, per_side: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror one side's draws onto both sides and weight them.

    The first ``n // 2`` draws go to both sides; an odd ``n`` puts the last draw on a
    random side (one ``rng.random()``). Each side's weights are the draws' importance
    ratios scaled to sum to ``per_side`` real fibres.

    Returns
    -------
    sign : ndarray (n,)
        +1 on the left (x > cord centre), -1 on the right.
    take : ndarray of int (n,)
        Which draw each fiber is.
    weight : ndarray (n,)
        ``weight_fibers``.
    """
    n_pair = n // 2
    sign = np.concatenate([np.ones(n_pair), -np.ones(n_pair)])
    take = np.concatenate([np.arange(n_pair), np.arange(n_pair)]).astype(int)
    if n % 2:
        extra_left = bool(rng.random() < 0.5)
        sign = np.append(sign, 1.0 if extra_left else -1.0)
        take = np.append(take, n_pair)
    weight = np.empty(n)
    for s in (1.0, -1.0):
        rows = sign == s
        if rows.any():
            r = importance[take[rows]]
            weight[rows] = per_side * r / r.sum()
    return sign, take, weight


def dorsal_column_fibers(anatomy, n: int, *, seed: int = 0,
                         z_range_mm: tuple[float, float] | None = None,
                         max_depth_mm: float | None = None,
                         diameter_range_um: tuple[float, float] | None = None) -> FiberSet:
    """Dorsal-column fibers drawn from the anatomical density, with their weights.

    Anatomy (``dc_density``, ``dc_diameter`` in ``fibers.yaml``): 16,000 myelinated
    fibres per mm^2 (:func:`dc_density_per_mm2`), uniform over the dorsal columns
    (:func:`neuraxis.fibers.paths.in_dorsal_columns`) down to ``max_depth_mm``, with
    the lognormal diameter law of :func:`dc_diameter_law` cut to ``diameter_range_um``.

    Sampling (importance sampling, undone by the weights): depth from the halving law
    of :func:`dc_depth_fraction` (more fibers near the surface), x uniform across the
    column at that depth, diameter from ``0.5 x law + 0.5 x uniform`` over the range
    (more large fibers), all from one scrambled Sobol' sequence seeded by ``seed``
    (``scipy.stats.qmc``; the first k points are the same for every ``n >= 2k``, so
    doubling ``n`` keeps the fibers already drawn). Each fiber's ``weight_fibers`` is
    the real fibres it stands for: the importance ratio, normalised on each side so
    that ``sum(weight_fibers)`` equals :func:`dc_fiber_count` exactly (both columns,
    that depth cut and range). One side is drawn and mirrored about the cord's midline
    (an odd ``n`` adds the next point of the sequence on a random side).

    Parameters
    ----------
    anatomy : SpineAnatomy
    n : int
        Number of fibers (1 to 1,000,000).
    seed : int
        Seed (>= 0) of the Sobol' scrambling and the odd fiber's side; same inputs and
        seed, same fibers.
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
        ``kind`` 'dc', ``segment`` '', ``branch`` '', each its own ``afferent_id``
        (0..n-1), each path two points (x, y, z_lo) -> (x, y, z_hi).
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
    mix = float(table_values("dc_density")["diameter_mix_uniform"])
    rng = np.random.default_rng(seed)

    n_pair = n // 2
    n_one = n_pair + n % 2  # one side is drawn; the extra (odd n) fiber goes on a random side
    from scipy.stats import qmc  # ~1 s to import the first time in a process

    sobol = qmc.Sobol(d=3, scramble=True, seed=rng)
    with warnings.catch_warnings():  # balance needs n = 2^k; nesting does not
        warnings.simplefilter("ignore", UserWarning)
        u = sobol.random(n_one)
    tail = 1.0 - 2.0 ** (-dmax / h)
    depth = -h / math.log(2.0) * np.log1p(-u[:, 0] * tail)
    q_depth = math.log(2.0) / h * 2.0 ** (-depth / h) / tail
    mask, dx_cell = _x_cells(a, depth, lat)
    cum = np.cumsum(mask, axis=1)
    n_in = cum[:, -1]
    if np.any(n_in == 0):  # pragma: no cover - the depth cap keeps every width > 0
        raise RuntimeError("dorsal_column_fibers: a depth with no dorsal column")
    rank = np.minimum(np.floor(u[:, 1] * n_in), n_in - 1)  # which inside cell (0-based)
    cell = np.argmax(cum > rank[:, None], axis=1)
    frac = u[:, 1] * n_in - rank
    c = a.cord_ellipse
    dx = (cell + frac) * dx_cell  # distance from the cord's midline, >= 0
    xs = c.center_x_mm + dx
    out = ~in_dorsal_columns(a, xs, c.top_y_mm(xs) - depth, lateral_angle_deg=lat)
    dx[out] = (cell[out] + 0.5) * dx_cell  # a cell's edge: its (inside) centre
    diam, ratio = _diameters(law, u[:, 2], mix)
    importance = n_in * dx_cell / q_depth * ratio  # width / q(depth) x p(D) / q(D)

    per_side = 0.5 * dc_fiber_count(a, max_depth_mm=dmax, diameter_range_um=(law.low_um,
                                                                           law.high_um))
    sign, take, weight = mirrored_weights(n, importance, per_side, rng)
    x = c.center_x_mm + sign * dx[take]
    d = depth[take]
    y = c.top_y_mm(x) - d
    paths = tuple(np.array([[xi, yi, z_lo], [xi, yi, z_hi]]) for xi, yi in zip(x, y,
                                                                             strict=True))
    return FiberSet(np.full(n, "dc"), diam[take], np.where(sign > 0, "left", "right"), x, y, d,
                    np.full(n, ""), paths, weight_fibers=weight, afferent_id=np.arange(n))
