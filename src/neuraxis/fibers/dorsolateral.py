"""Fibers of the superficial dorsolateral column (``kind`` 'dlc').

Feirabend et al. (2002) measured the superficial 300 um of the dorsolateral column
(DLC(0-300), the dorsal part of the lateral funiculus, where the dorsal spinocerebellar
tract runs) because its large fibres could be excited by SCS: 2 % of its fibres exceed
10.7 um, four times the dorsal columns' share. A lateral lead lies closest to them.
They carry no paresthesia (the tract projects to the cerebellum), so the percept model
reports their own threshold and does not count them for PT, DT or coverage
(``dlc_region`` in ``fibers.yaml``, with sources).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from neuraxis._validate import check_int
from neuraxis.fibers._table import check_spine, table_values
from neuraxis.fibers.diameters import DiameterLaw, dc_diameter_law
from neuraxis.fibers.dorsal_column import _diameters, _range_mass, mirrored_weights
from neuraxis.fibers.fiberset import FiberSet


def dlc_diameter_law() -> DiameterLaw:
    """DLC diameter law: the DC's lognormal (median 3.0 um, assumed) with the sd that puts
    2 % above 10.7 um (Feirabend et al. 2002), cut to the DC's default 5.7-16 um."""
    from scipy.special import ndtri

    dc = dc_diameter_law()
    v = table_values("dc_diameter")
    frac = float(table_values("dlc_region")["anchor_fraction_above"])
    sd = (math.log(float(v["anchor_diameter_um"])) - dc.loc) / float(ndtri(1.0 - frac))
    return DiameterLaw("lognormal", dc.loc, sd, dc.low_um, dc.high_um)


def _surface(anatomy, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left-side cord surface point, unit outward normal and arc length per radian."""
    c = anatomy.cord_ellipse
    a, b = c.semi_x_mm, c.semi_y_mm
    s, co = np.sin(phi), np.cos(phi)
    point = np.column_stack([c.center_x_mm + a * s, c.center_y_mm + b * co])
    normal = np.column_stack([s / a, co / b])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return point, normal, np.hypot(a * co, b * s)


def dlc_fiber_count(anatomy) -> float:
    """Real fibres (5.7-16 um) in both superficial dorsolateral columns of the model.

    ``density x area x fraction of the diameter law in the range``; the area of each
    side is the surface arc between the two angles of ``dlc_region.angle_range_deg``
    times the layer depth (a thin layer: curvature neglected).
    """
    a = check_spine(anatomy)
    reg = table_values("dlc_region")
    lo, hi = (math.radians(float(x)) for x in reg["angle_range_deg"])
    phi = np.linspace(lo, hi, 513)
    arc = float(np.trapezoid(_surface(a, phi)[2], phi))
    return 2.0 * float(reg["density_per_mm2"]) * arc * float(reg["depth_mm"]) \
        * _range_mass(dlc_diameter_law())


def dorsolateral_fibers(anatomy, n: int, *, seed: int = 0,
                        z_range_mm: tuple[float, float] | None = None) -> FiberSet:
    """Straight fibers of the superficial dorsolateral columns, with their weights.

    Angle (uniform between the two angles of ``dlc_region``), depth below the surface
    along its normal (uniform over the layer) and diameter (``0.5 x law + 0.5 x
    uniform``, as for the dorsal columns) come from one scrambled Sobol' sequence; the
    weights undo the sampling so that ``sum(weight_fibers)`` equals
    :func:`dlc_fiber_count`. One side is drawn and mirrored (an odd ``n`` adds a fiber on
    a random side).

    Parameters
    ----------
    anatomy : SpineAnatomy
    n : int
        Number of fibers (1 to 100,000).
    seed : int
        Seed (>= 0).
    z_range_mm : (float, float), optional
        z extent of every fiber, mm; default the dorsal columns' (model length minus
        ``dc_region.z_margin_mm`` at each end).

    Returns
    -------
    FiberSet
        ``kind`` 'dlc', ``segment`` '', ``depth_mm`` below the surface along its normal.
    """
    from scipy.stats import qmc

    a = check_spine(anatomy)
    n = check_int("n", n, 1, 100_000)
    seed = check_int("seed", seed, 0, None)
    reg = table_values("dlc_region")
    half = a.length_mm / 2
    margin = float(table_values("dc_region")["z_margin_mm"])
    z_lo, z_hi = (margin - half, half - margin) if z_range_mm is None else map(float,
                                                                                z_range_mm)
    lo, hi = (math.radians(float(x)) for x in reg["angle_range_deg"])
    layer = float(reg["depth_mm"])
    law = dlc_diameter_law()
    mix = float(table_values("dc_density")["diameter_mix_uniform"])
    rng = np.random.default_rng([seed, 0xD1C])
    n_pair = n // 2
    n_one = n_pair + n % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        u = qmc.Sobol(d=3, scramble=True, seed=rng).random(n_one)
    phi = lo + u[:, 0] * (hi - lo)
    depth = u[:, 1] * layer
    point, normal, ds = _surface(a, phi)
    xy = point - depth[:, None] * normal
    diam, ratio = _diameters(law, u[:, 2], mix)
    sign, take, weight = mirrored_weights(n, ds * ratio, 0.5 * dlc_fiber_count(a), rng)
    cx = a.cord_ellipse.center_x_mm
    x = cx + sign * (xy[take, 0] - cx)
    y = xy[take, 1]
    paths = tuple(np.array([[xi, yi, z_lo], [xi, yi, z_hi]]) for xi, yi in zip(x, y,
                                                                             strict=True))
    return FiberSet(np.full(n, "dlc"), diam[take], np.where(sign > 0, "left", "right"), x, y,
                    depth[take], np.full(n, ""), paths, weight_fibers=weight,
                    afferent_id=np.arange(n))


__all__ = ["dlc_diameter_law", "dlc_fiber_count", "dorsolateral_fibers"]
