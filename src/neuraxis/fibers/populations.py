"""Dorsal-column and dorsal-root fiber populations (positions, trajectories, diameters).

Laws and numbers come from ``neuraxis/data/fibers.yaml`` (a source and a ``verified``
flag per value); the geometry is in :mod:`neuraxis.fibers.paths`. Populations are
reproducible: the same anatomy, arguments and ``seed`` give the same fibers.

Left/right pairing: both samplers draw one side and mirror it, so every left fiber has
a right twin of the same diameter at the mirrored position (mirrored path for a
centred cord); left/right differences in recruitment then come from the field alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_option, check_range
from neuraxis.anatomy.levels import CORD_SEGMENTS
from neuraxis.axons.models.mrg import INTERP_RANGE_UM as MRG_RANGE_UM
from neuraxis.fibers.paths import (
    arc_length_mm,
    dorsal_column_depth_mm,
    dorsal_root_path_mm,
    in_dorsal_columns,
)

#: Spinal cord segments, rostral to caudal.
SEGMENT_NAMES = CORD_SEGMENTS
KINDS = ("dc", "dr")
SIDES = ("left", "right")


def fiber_table() -> dict[str, Any]:
    """The data table ``neuraxis/data/fibers.yaml`` (a fresh copy)."""
    from neuraxis.anatomy.tables import read_table

    return read_table("fibers.yaml")


def _values(section: str) -> dict[str, Any]:
    return {k: v["value"] for k, v in fiber_table()[section].items()}


def _check_spine(anatomy: object):
    from neuraxis.anatomy.model import SpineAnatomy

    if not isinstance(anatomy, SpineAnatomy):
        raise NeuraxisInputError(
            "Invalid value for 'anatomy'. Fiber populations need a SpineAnatomy (a cord, "
            f"dorsal columns and roots), but got {type(anatomy).__name__}")
    return anatomy


# ---------------------------------------------------------------- diameter laws
@dataclass(frozen=True)
class DiameterLaw:
    """A fiber-diameter law truncated to ``[low_um, high_um]``.

    ``kind`` 'lognormal': ln(D / 1 um) is normal with mean ``loc`` and sd ``scale``;
    'normal': D is normal with mean ``loc`` um and sd ``scale`` um. With
    ``low_um == high_um`` every fiber has that diameter.
    """

    kind: str
    loc: float
    scale: float
    low_um: float
    high_um: float

    def __post_init__(self) -> None:
        check_option("kind", self.kind, ("lognormal", "normal"))
        check_range("scale", self.scale, 0.0, None, low_inclusive=False)
        lo = check_range("low_um", self.low_um, *MRG_RANGE_UM, "um")
        hi = check_range("high_um", self.high_um, *MRG_RANGE_UM, "um")
        if hi < lo:
            raise NeuraxisInputError(
                f"Invalid value for 'diameter_range_um'. Expected (low, high) with low <= high "
                f"in [{MRG_RANGE_UM[0]:g}, {MRG_RANGE_UM[1]:g}] um, but got ({lo:g}, {hi:g})")

    def _z(self, d_um: np.ndarray | float) -> np.ndarray:
        d = np.asarray(d_um, dtype=float)
        t = np.log(d) if self.kind == "lognormal" else d
        return (t - self.loc) / self.scale

    def _mass(self) -> float:
        from scipy.special import ndtr

        return float(ndtr(self._z(self.high_um)) - ndtr(self._z(self.low_um)))

    def cdf(self, d_um: np.ndarray | float) -> np.ndarray:
        """Fraction of the (truncated) population with diameter <= ``d_um``."""
        from scipy.special import ndtr

        d = np.asarray(d_um, dtype=float)
        if self.low_um == self.high_um:
            return (d >= self.low_um).astype(float)
        dc = np.clip(d, self.low_um, self.high_um)
        return np.clip((ndtr(self._z(dc)) - ndtr(self._z(self.low_um))) / self._mass(), 0, 1)

    def fraction_above(self, d_um: float) -> float:
        """Fraction of the (truncated) population with diameter > ``d_um``."""
        return float(1.0 - self.cdf(d_um))

    @property
    def mean_um(self) -> float:
        """Mean diameter of the truncated law, um (closed form)."""
        from scipy.special import ndtr

        if self.low_um == self.high_um:
            return float(self.low_um)
        a, b, s = float(self._z(self.low_um)), float(self._z(self.high_um)), self.scale
        if self.kind == "lognormal":
            return float(math.exp(self.loc + 0.5 * s * s) * (ndtr(b - s) - ndtr(a - s))
                         / self._mass())
        pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return float(self.loc + s * (pdf(a) - pdf(b)) / self._mass())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` diameters (um) by inverse-CDF sampling with the generator ``rng``."""
        from scipy.special import ndtr, ndtri

        u = rng.random(n)
        if self.low_um == self.high_um:
            return np.full(n, float(self.low_um))
        a, b = float(self._z(self.low_um)), float(self._z(self.high_um))
        if a > 0:  # upper tail: work with the mirrored law for accuracy
            z = -ndtri(ndtr(-a) - u * (ndtr(-a) - ndtr(-b)))
        else:
            z = ndtri(ndtr(a) + u * (ndtr(b) - ndtr(a)))
        t = self.loc + self.scale * z
        d = np.exp(t) if self.kind == "lognormal" else t
        return np.clip(d, self.low_um, self.high_um)


def _pair(name: str, value: object, default: object, what: str) -> tuple[float, float]:
    """Two floats from ``value`` (or ``default`` if None), else a clear error."""
    try:
        lo, hi = (float(v) for v in (default if value is None else value))  # type: ignore
    except (TypeError, ValueError):
        raise NeuraxisInputError(
            f"Invalid value for {name!r}. Expected {what}, but got {value!r}") from None
    return lo, hi


_DIAM = f"(low, high) in um within [{MRG_RANGE_UM[0]:g}, {MRG_RANGE_UM[1]:g}]"


def dc_diameter_law(diameter_range_um: tuple[float, float] | None = None) -> DiameterLaw:
    """Dorsal-column diameter law: lognormal pinned to Feirabend et al. 2002.

    ln D is normal with median ``median_um`` (3.0 um, assumed) and the sd that puts
    0.5 % of the whole population above 10.7 um (Feirabend et al. 2002, Brain
    125:1137), truncated to ``diameter_range_um`` (default 5.7-16 um, the MRG discrete
    table; there about 4.8 % of the fibers exceed 10.7 um and the mean is 7.3 um).

    Parameters
    ----------
    diameter_range_um : (float, float), optional
        (low, high) in um within 2-16 um (the MRG range); low == high gives one size.
    """
    from scipy.special import ndtri

    v = _values("dc_diameter")
    lo, hi = _pair("diameter_range_um", diameter_range_um, v["default_range_um"], _DIAM)
    mu = math.log(float(v["median_um"]))
    sd = (math.log(float(v["anchor_diameter_um"])) - mu) / float(
        ndtri(1.0 - float(v["anchor_fraction_above"])))
    return DiameterLaw("lognormal", mu, sd, lo, hi)


def dr_diameter_law(diameter_range_um: tuple[float, float] | None = None) -> DiameterLaw:
    """Dorsal-root (large afferent) diameter law: normal 11.0 +- 1.5 um in 9-15 um.

    Parameters
    ----------
    diameter_range_um : (float, float), optional
        (low, high) in um within 2-16 um; default 9-15 um.
    """
    v = _values("dr_diameter")
    lo, hi = _pair("diameter_range_um", diameter_range_um, v["default_range_um"], _DIAM)
    return DiameterLaw("normal", float(v["mean_um"]), float(v["sd_um"]), lo, hi)


# ------------------------------------------------------------- cord segments
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
    a = _check_spine(anatomy)
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
    a = _check_spine(anatomy)
    zs = a.segment_entry_z_mm(margin_mm=0.0, rostral_rise_mm=0.0)
    return {float(z): cord_segment_at(a, float(z)) for z in zs}


# ------------------------------------------------------------------ fiber set
_COLUMNS = ("kind", "diameter_um", "side", "x_mm", "y_mm", "depth_mm", "segment",
            "entry_arc_mm")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # copy
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False, repr=False)
class FiberSet:
    """A population of fibers (one row per fiber; arrays are read-only).

    Attributes
    ----------
    kind : ndarray of str (n,)
        'dc' (dorsal column) or 'dr' (dorsal root).
    diameter_um : ndarray (n,)
        Fiber diameter, um.
    side : ndarray of str (n,)
        'left' (x > cord centre, the patient's left) or 'right'.
    x_mm, y_mm : ndarray (n,)
        DC: position in the cross-section; DR: the cord-entry point, mm.
    depth_mm : ndarray (n,)
        DC: depth below the dorsal cord surface along y, mm; DR: 0.
    segment : ndarray of str (n,)
        DR: cord segment of the fiber's root (e.g. 'T11'); DC: ''.
    paths_mm : tuple of ndarray (m_i, 3)
        Each fiber's trajectory in world mm, ordered along the fiber (DC: caudal to
        rostral; DR: from the root sleeve to the ascending branch).
    entry_arc_mm : ndarray (n,), optional
        DR: arc length (mm from the path start) of the cord entry; DC: NaN.
    """

    kind: np.ndarray
    diameter_um: np.ndarray
    side: np.ndarray
    x_mm: np.ndarray
    y_mm: np.ndarray
    depth_mm: np.ndarray
    segment: np.ndarray
    paths_mm: tuple[np.ndarray, ...]
    entry_arc_mm: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.paths_mm)
        if self.entry_arc_mm is None:
            object.__setattr__(self, "entry_arc_mm", np.full(n, np.nan))
        for name in _COLUMNS:
            dtype = str if name in ("kind", "side", "segment") else float
            a = np.asarray(getattr(self, name), dtype=dtype).reshape(-1)
            object.__setattr__(self, name, _frozen(a))
        if any(len(getattr(self, k)) != n for k in _COLUMNS):
            desc = ", ".join(f"{k}={len(getattr(self, k))}" for k in _COLUMNS)
            raise NeuraxisInputError(
                f"Invalid FiberSet: every field needs one entry per path ({n} paths), got {desc}")
        for name, allowed in (("kind", KINDS), ("side", SIDES)):
            bad = ~np.isin(getattr(self, name), allowed)
            if bad.any():
                check_option(name, str(getattr(self, name)[bad][0]), allowed)
        if n:
            check_range("diameter_um", self.diameter_um, *MRG_RANGE_UM, "um")
        paths = []
        for i, p in enumerate(self.paths_mm):
            q = np.asarray(p, dtype=float)
            if q.ndim != 2 or q.shape[1] != 3 or q.shape[0] < 2 or not np.all(np.isfinite(q)):
                raise NeuraxisInputError(
                    f"Invalid FiberSet: path {i} must be an (m, 3) array of finite mm with "
                    f"m >= 2, but got shape {q.shape}")
            paths.append(q if q is p and not q.flags.writeable else _frozen(q))
        object.__setattr__(self, "paths_mm", tuple(paths))

    def __len__(self) -> int:
        return len(self.paths_mm)

    def __repr__(self) -> str:
        n_dc = int(np.sum(self.kind == "dc"))
        return f"FiberSet(n={len(self)}, dc={n_dc}, dr={len(self) - n_dc})"

    @property
    def path_length_mm(self) -> np.ndarray:
        """Arc length of every path, mm (n,)."""
        return np.array([arc_length_mm(p)[-1] for p in self.paths_mm])

    def take(self, indices: np.ndarray | list[int]) -> FiberSet:
        """The fibers at ``indices`` (integer indices or a boolean mask), in that order."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise NeuraxisInputError(
                    f"Invalid value for 'indices'. A boolean mask needs {len(self)} entries, "
                    f"but got shape {idx.shape}")
            idx = np.flatnonzero(idx)
        if idx.size and (idx.dtype.kind not in "iu" or idx.min() < -len(self)
                         or idx.max() >= len(self)):
            raise NeuraxisInputError(
                f"Invalid value for 'indices'. Allowed are integers in [0, {len(self) - 1}] or "
                f"a boolean mask, but got {indices!r}")
        idx = idx.astype(int).reshape(-1)
        return FiberSet(**{k: getattr(self, k)[idx] for k in _COLUMNS},
                        paths_mm=tuple(self.paths_mm[i] for i in idx))

    def concat(self, other: FiberSet) -> FiberSet:
        """This set followed by ``other``."""
        if not isinstance(other, FiberSet):
            raise NeuraxisInputError(
                f"Invalid value for 'other'. Expected a FiberSet, but got {type(other).__name__}")
        return FiberSet(**{k: np.concatenate([getattr(self, k), getattr(other, k)])
                           for k in _COLUMNS}, paths_mm=self.paths_mm + other.paths_mm)

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per fiber (no paths; NaN as None), lengths in mm."""
        lengths = self.path_length_mm
        fl = lambda v: None if not math.isfinite(v) else float(v)
        return [{"index": i, "kind": str(self.kind[i]),
                 "diameter_um": float(self.diameter_um[i]), "side": str(self.side[i]),
                 "x_mm": float(self.x_mm[i]), "y_mm": float(self.y_mm[i]),
                 "depth_mm": float(self.depth_mm[i]), "segment": str(self.segment[i]),
                 "path_length_mm": float(lengths[i]), "entry_arc_mm": fl(self.entry_arc_mm[i])}
                for i in range(len(self))]


# ---------------------------------------------------------- dorsal columns
def dc_depth_fraction(depth_mm: float, max_depth_mm: float) -> float:
    """Fraction of dorsal-column fibers shallower than ``depth_mm`` (the depth law).

    The count per mm of depth halves every ``depth_halving_mm`` (0.5 mm, from
    ``fibers.yaml``) and is cut at ``max_depth_mm``: with the default 1.5 mm, 4/7 of
    the fibers lie in the superficial 0.5 mm, 2/7 at 0.5-1.0 mm and 1/7 deeper.
    """
    h = float(_values("dc_region")["depth_halving_mm"])
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
    a = _check_spine(anatomy)
    n = check_int("n", n, 1, 1_000_000)
    seed = check_int("seed", seed, 0, None)
    reg = _values("dc_region")
    half = a.length_mm / 2
    margin = float(reg["z_margin_mm"])
    z_lo, z_hi = _pair("z_range_mm", z_range_mm, (margin - half, half - margin),
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


# ------------------------------------------------------------- dorsal roots
def _root_plan(a, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries whose roots fit in the model, with their sleeve and ascending lengths (mm).

    The sleeve (caudal end) and the ascending branch (rostral end) are shortened, down to
    their table minima, so that every fiber (rootlet spread included) stays
    ``z_margin_mm`` inside the model's ends.
    """
    room = a.length_mm / 2 - float(p["z_margin_mm"])
    spread = 0.5 * float(p["rootlet_z_spread_mm"])
    z = a.segment_entry_z_mm(margin_mm=0.0, rostral_rise_mm=0.0)
    sleeve = np.minimum(float(p["sleeve_length_mm"]),
                        z - spread - float(p["rootlet_rise_mm"]) + room)
    ascend = np.minimum(float(p["incord_ascend_mm"]),
                        room - z - spread - float(p["incord_turn_mm"]))
    ok = ((sleeve >= float(p["min_sleeve_length_mm"]) - 1e-9)
          & (ascend >= float(p["min_incord_ascend_mm"]) - 1e-9))
    return z[ok], sleeve[ok], ascend[ok]


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
    a = _check_spine(anatomy)
    half = a.length_mm / 2
    zc = check_range("z_center_mm", z_center_mm, -half, half, "mm")
    fit = _root_plan(a, _values("dr_path"))[0]
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
    """Dorsal-root fibers of the segments under and near the lead, both sides.

    Each root (one segment, one side) gets ``n_per_root`` fibers. A fiber's rootlet
    enters the cord ``U(-2, 2)`` mm from the root's entry z at ``45 + U(-3, 3)`` deg
    off the dorsal midline, and its ascending branch lies at ``30 + U(-3, 3)`` deg and
    normalised radius ``0.9 + U(-0.03, 0.03)`` (``dr_path`` in ``fibers.yaml``); the
    trajectory is :func:`neuraxis.fibers.paths.dorsal_root_path_mm`: 10 mm of root
    sleeve outside the dura, the rootlet through the CSF, then into the dorsal column
    near the dorsal horn and 14 mm rostrally, about 36 mm in all. Near the model's ends
    the sleeve (down to 4 mm) or the ascending branch (down to 6 mm) is shortened to
    fit, keeping >= 29 mm (21 nodes of a 15 um MRG fiber). The right root mirrors the
    left one (same draws).

    Diameters: :func:`dr_diameter_law`, normal 11.0 +- 1.5 um cut to 9-15 um (large
    root afferents; group peaks of human dorsal-root afferents 9-13 um, Schalow).

    Parameters
    ----------
    anatomy : SpineAnatomy
    n_per_root : int
        Fibers per root and side (1 to 10,000).
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
        Diameter range, um, within 2-16 um; default 9-15 um.

    Returns
    -------
    FiberSet
        ``kind`` 'dr'; ``segment`` the root's cord segment (:func:`cord_segment_at`);
        ``x_mm``, ``y_mm`` the cord entry point; ``entry_arc_mm`` its arc length.
    """
    a = _check_spine(anatomy)
    n_per = check_int("n_per_root", n_per_root, 1, 10_000)
    seed = check_int("seed", seed, 0, None)
    entries = dorsal_root_entries_mm(a, z_center_mm=z_center_mm, n_segments=n_segments,
                                     z_window_mm=z_window_mm)
    p = _values("dr_path")
    law = dr_diameter_law(diameter_range_um)
    rng = np.random.default_rng(seed)
    u = lambda spread: rng.uniform(-0.5, 0.5, n_per) * float(spread)
    geo = {k: float(p[k]) for k in ("rootlet_rise_mm", "incord_turn_mm")}
    plan = {float(z): (s, up) for z, s, up in zip(*_root_plan(a, p), strict=True)}
    rows = []
    for z_root in entries:
        name = cord_segment_at(a, float(z_root))
        dz, dang = u(p["rootlet_z_spread_mm"]), u(p["entry_angle_spread_deg"])
        dth, drad = u(p["incord_angle_spread_deg"]), u(p["incord_radius_spread"])
        diam = law.sample(rng, n_per)
        for side in SIDES:
            for i in range(n_per):
                rp = dorsal_root_path_mm(
                    a, side, float(z_root + dz[i]),
                    entry_angle_deg=float(p["entry_angle_deg"]) + dang[i],
                    incord_angle_deg=float(p["incord_angle_deg"]) + dth[i],
                    incord_radius=float(p["incord_radius"]) + drad[i],
                    sleeve_length_mm=plan[float(z_root)][0],
                    incord_ascend_mm=plan[float(z_root)][1], **geo)
                e = rp.path_mm[rp.entry_index]
                rows.append((side, diam[i], e[0], e[1], name, rp.path_mm,
                             arc_length_mm(rp.path_mm)[rp.entry_index]))
    side, diam, x, y, seg, paths, arc = zip(*rows, strict=True)
    m = len(rows)
    return FiberSet(np.full(m, "dr"), diam, side, x, y, np.zeros(m), seg, paths, arc)

__all__ = ["MRG_RANGE_UM", "SEGMENT_NAMES", "DiameterLaw", "FiberSet", "cord_segment_at",
           "cord_segments", "dc_depth_fraction", "dc_diameter_law", "dorsal_column_fibers",
           "dorsal_root_entries_mm", "dorsal_root_fibers", "dr_diameter_law", "fiber_table"]
