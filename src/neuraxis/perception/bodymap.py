"""Body map of the SCS perception stage: dermatomes, pain maps and paresthesia coverage.

The drawing (a back and a front body outline, the dermatomes C2-S5 left and right, and
named body regions) lives in ``neuraxis/data/bodymap.yaml``; every entry carries its
source and a ``verified`` flag. Coordinates are in units of body height: ``y = 0`` at the
soles, ``y = 1`` at the vertex, ``x = 0`` at the midline. In the back view the patient's
left is on the viewer's left (``x < 0``); in the front view it is on the viewer's right.

Areas are counted on a fixed raster (square pixels of :data:`PIXEL_SIZE` body heights,
both views), computed once and cached; no geometry library is needed. Within a view every
body pixel belongs to exactly one dermatome (the face, in the front view, to the trigeminal
area), so "the paresthesia area" is the set of pixels whose dermatome has paresthesia.
Areas of the two views add up: they are different skin.

Example
-------
>>> from neuraxis.perception.bodymap import coverage, pain_map
>>> pain = pain_map(["low_back", "buttock_left"])
>>> result = coverage(pain, {"L1_left": 1.0, "L2_left": 0.8})
>>> 0.0 < result.pain_coverage_pct < 100.0
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.anatomy.levels import DERMATOMES as _DERMATOMES

#: Spinal dermatomes drawn on the body map, in rostro-caudal order (C1 has no dermatome).
DERMATOMES: tuple[str, ...] = _DERMATOMES
#: Sides, from the patient's point of view.
SIDES: tuple[str, ...] = ("left", "right")
#: Views of the body map.
VIEWS: tuple[str, ...] = ("back", "front")
#: Raster extent (xmin, xmax, ymin, ymax) and pixel size, in body heights.
EXTENT: tuple[float, float, float, float] = (-0.2, 0.2, -0.01, 1.01)
PIXEL_SIZE: float = 0.00125

_TABLE = "bodymap.yaml"


def dermatome_side_names() -> tuple[str, ...]:
    """Every dermatome with its side, rostro-caudal: ``('C2_left', 'C2_right', ...)``."""
    return tuple(f"{d}_{s}" for d in DERMATOMES for s in SIDES)


# ------------------------------------------------------------------------------ drawing
@dataclass(frozen=True)
class _Shape:
    """Polygons of one named area, per view (each polygon an (n, 2) array, body heights)."""

    description: str
    source: str
    verified: bool
    polygons: Mapping[str, tuple[np.ndarray, ...]]
    label_at: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Drawing:
    outlines: Mapping[str, tuple[np.ndarray, ...]]
    left_x_sign: Mapping[str, int]
    dermatomes: Mapping[str, _Shape]
    regions: Mapping[str, _Shape]
    non_dermatome: Mapping[str, _Shape]
    source: str


def _polys(by_view: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, ...]]:
    return {view: tuple(np.asarray(p, dtype=float) for p in polys)
            for view, polys in by_view.items()}


def _shape(entry: Mapping[str, Any]) -> _Shape:
    return _Shape(description=str(entry["description"]), source=str(entry["source"]),
                  verified=bool(entry["verified"]), polygons=_polys(entry["polygons"]),
                  label_at={v: (float(p[0]), float(p[1]))
                            for v, p in entry.get("label_at", {}).items()})


def _read_table() -> dict[str, Any]:
    """The YAML table, read as :func:`neuraxis.anatomy.tables.read_table` does but with
    libyaml when present: the drawing holds thousands of numbers (0.03 s instead of 0.6 s)."""
    from importlib import resources

    import yaml

    text = resources.files("neuraxis.data").joinpath(_TABLE).read_text(encoding="utf-8")
    table = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(table, dict) or "version" not in table:
        raise RuntimeError(f"data table {_TABLE!r} has no top-level 'version'")
    return table


@cache
def _drawing() -> _Drawing:
    table = _read_table()
    if table["version"] != 1:
        raise RuntimeError(f"{_TABLE}: unsupported version {table['version']!r}")
    if tuple(table["frame"]["extent"]) != EXTENT:
        raise RuntimeError(f"{_TABLE}: frame extent {table['frame']['extent']} != {EXTENT}")
    names = dermatome_side_names()
    missing = [n for n in names if n not in table["dermatomes"]]
    if missing:
        raise RuntimeError(f"{_TABLE}: dermatomes missing: {', '.join(missing)}")
    views = table["views"]
    return _Drawing(
        outlines={v: _polys({v: views[v]["outline"]["polygons"]})[v] for v in VIEWS},
        left_x_sign={v: int(views[v]["left_x_sign"]) for v in VIEWS},
        dermatomes={n: _shape(table["dermatomes"][n]) for n in names},
        regions={n: _shape(e) for n, e in table["regions"].items()},
        non_dermatome={n: _shape(e) for n, e in table.get("non_dermatome", {}).items()},
        source=str(table["dermatome_map"]["source"]),
    )


def list_regions() -> dict[str, str]:
    """Every name a pain map may use, with a short description.

    Returns
    -------
    dict
        Named body regions first (``'low_back'``, ``'buttock_left'``, ...), then every
        dermatome with its side (``'C2_left'`` ... ``'S5_right'``), rostro-caudal.
    """
    drawing = _drawing()
    out = {name: shape.description for name, shape in drawing.regions.items()}
    for name, shape in drawing.dermatomes.items():
        derm, side = name.split("_")
        out[name] = f"{derm} dermatome, {side} side: {shape.description}"
    return out


def dermatome_map_source() -> str:
    """Citation of the published dermatome maps the drawing follows (a footnote line)."""
    return _drawing().source


# ------------------------------------------------------------------------------- raster
def _fill_polygon(vertices: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the pixels whose centre lies inside a polygon (even-odd rule).

    A scan-line fill: for each pixel row the polygon's edge crossings toggle the parity
    of every pixel to their right, so the cost is (rows x edges) + pixels.
    """
    ny, nx = shape
    xmin, _, ymin, _ = EXTENT
    x0, y0 = vertices[:, 0], vertices[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    mask = np.zeros(shape, dtype=bool)
    r_lo = max(int(np.ceil((y0.min() - ymin) / PIXEL_SIZE - 0.5)), 0)
    r_hi = min(int(np.floor((y0.max() - ymin) / PIXEL_SIZE - 0.5)), ny - 1)
    if r_hi < r_lo:
        return mask
    yc = ymin + (np.arange(r_lo, r_hi + 1) + 0.5) * PIXEL_SIZE
    crosses = (y0[None, :] <= yc[:, None]) != (y1[None, :] <= yc[:, None])
    rows, edges = np.nonzero(crosses)
    xc = x0[edges] + (yc[rows] - y0[edges]) * (x1[edges] - x0[edges]) / (y1[edges] - y0[edges])
    cols = np.clip(np.floor((xc - xmin) / PIXEL_SIZE - 0.5).astype(int) + 1, 0, nx)
    n_rows = r_hi - r_lo + 1
    toggles = np.bincount(rows * (nx + 1) + cols, minlength=n_rows * (nx + 1))
    toggles = (toggles.reshape(n_rows, nx + 1)[:, :nx] & 1).astype(bool)
    mask[r_lo:r_hi + 1] = np.logical_xor.accumulate(toggles, axis=1)
    return mask


def _fill(polygons: Sequence[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for poly in polygons:
        mask |= _fill_polygon(poly, shape)
    return mask


@dataclass(frozen=True)
class _Raster:
    """Rasterised body map: per view, the body mask, the dermatome label of every pixel
    (index into :func:`dermatome_side_names`, -1 where none), how many dermatome polygons
    cover each pixel (a check of the drawing), and the flat pixel indices of each region."""

    shape: tuple[int, int]
    body: Mapping[str, np.ndarray]
    label: Mapping[str, np.ndarray]
    n_dermatomes: Mapping[str, np.ndarray]
    regions: Mapping[str, Mapping[str, np.ndarray]]


@cache
def _raster() -> _Raster:
    drawing = _drawing()
    xmin, xmax, ymin, ymax = EXTENT
    shape = (round((ymax - ymin) / PIXEL_SIZE), round((xmax - xmin) / PIXEL_SIZE))
    body, label, count, regions = {}, {}, {}, {}
    for view in VIEWS:
        body[view] = _fill(drawing.outlines[view], shape)
        lab = np.full(shape, -1, dtype=np.int16)
        cnt = np.zeros(shape, dtype=np.uint8)
        for idx, (name, derm) in enumerate(drawing.dermatomes.items()):
            mask = _fill(derm.polygons.get(view, ()), shape)
            lab[mask] = idx
            cnt += mask
        label[view], count[view] = lab, cnt
        regions[view] = {name: np.flatnonzero(_fill(reg.polygons[view], shape))
                         for name, reg in drawing.regions.items() if view in reg.polygons}
    return _Raster(shape=shape, body=body, label=label, n_dermatomes=count, regions=regions)


def _name_pixels(name: str, view: str) -> np.ndarray:
    """Flat pixel indices of a region or dermatome name in one view."""
    raster = _raster()
    if name in raster.regions[view]:
        return raster.regions[view][name]
    if name in _drawing().regions:
        return np.empty(0, dtype=np.intp)
    idx = dermatome_side_names().index(name)
    return np.flatnonzero(raster.label[view].ravel() == idx)


# ----------------------------------------------------------------------------- pain map
@dataclass(frozen=True)
class PainMap:
    """Where the patient has pain: named body regions and/or dermatomes.

    Build one with :func:`pain_map`. ``names`` are those of :func:`list_regions`,
    unique, in the order given.
    """

    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.names, tuple) or not self.names:
            raise NeuraxisInputError(
                "Invalid value for 'pain map'. Expected a non-empty tuple of region or "
                f"dermatome names (see list_regions()), but got {self.names!r}")
        allowed = tuple(list_regions())
        for name in self.names:
            check_option("pain region", name, allowed)
        if len(set(self.names)) != len(self.names):
            raise NeuraxisInputError(
                f"Invalid value for 'pain map': names repeat in {self.names!r}")


def pain_map(names: Sequence[str]) -> PainMap:
    """A validated pain map from region and dermatome names.

    Parameters
    ----------
    names : sequence of str
        Names from :func:`list_regions`, e.g. ``["low_back", "buttock_left",
        "L5_left"]``. Duplicates are collapsed (first occurrence kept); an empty list
        is refused.

    Returns
    -------
    PainMap

    Raises
    ------
    NeuraxisInputError
        For an unknown name (with a did-you-mean hint), a bare string or an empty list.
    """
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise NeuraxisInputError(
            "Invalid value for 'pain map'. Expected a list of region or dermatome names, "
            f"e.g. ['low_back'], but got {names!r}")
    if len(names) == 0:
        raise NeuraxisInputError(
            "Invalid value for 'pain map'. Expected at least one region or dermatome name "
            "(see `neuraxis scs regions`), but got an empty list")
    allowed = tuple(list_regions())
    unique: list[str] = []
    for name in names:
        check_option("pain region", name, allowed)
        if name not in unique:
            unique.append(name)
    return PainMap(names=tuple(unique))


def _as_pain_map(pain: PainMap | Sequence[str]) -> PainMap:
    return pain if isinstance(pain, PainMap) else pain_map(pain)


def _pain_masks(pain: PainMap) -> dict[str, np.ndarray]:
    """Flat boolean pain mask per view (union of the pain map's names)."""
    raster = _raster()
    out = {}
    for view in VIEWS:
        mask = np.zeros(raster.shape[0] * raster.shape[1], dtype=bool)
        for name in pain.names:
            mask[_name_pixels(name, view)] = True
        out[view] = mask
    return out


def pain_area_by_dermatome(pain: PainMap | Sequence[str]) -> dict[str, float]:
    """How the pain area splits over the dermatomes.

    Parameters
    ----------
    pain : PainMap | sequence of str
        The pain map (names are validated as by :func:`pain_map`).

    Returns
    -------
    dict
        ``{dermatome_side: fraction of the pain area in it}`` (0..1, both views counted),
        rostro-caudal, only dermatomes that hold pain. The fractions add up to 1 unless
        part of the pain lies outside the spinal dermatomes (the face).
    """
    pain = _as_pain_map(pain)
    names = dermatome_side_names()
    counts = np.zeros(len(names))
    total = 0
    for view, mask in _pain_masks(pain).items():
        labels = _raster().label[view].ravel()[mask]
        counts += np.bincount(labels[labels >= 0], minlength=len(names))
        total += labels.size  # pain pixels outside any dermatome count in the total
    return {n: float(c / total) for n, c in zip(names, counts, strict=True) if c > 0}


# ----------------------------------------------------------------------------- coverage
def _strengths(paresthesia: Mapping[str, float]) -> np.ndarray:
    """Strength per dermatome side (0 where not given), validated; one extra 0 at the end
    so that label -1 (no dermatome) indexes a zero."""
    if not isinstance(paresthesia, Mapping):
        raise NeuraxisInputError(
            "Invalid value for 'paresthesia'. Expected a mapping of dermatome_side (e.g. "
            f"'T10_left') to fraction of fibers recruited (0..1), but got {paresthesia!r}")
    names = dermatome_side_names()
    out = np.zeros(len(names) + 1)
    for key, value in paresthesia.items():
        check_option("paresthesia dermatome", key, names)
        out[names.index(key)] = check_range(
            f"paresthesia[{key!r}] (fraction of fibers recruited)", value, 0.0, 1.0)
    return out


def _check_min_strength(min_strength: float) -> float:
    return float(check_range("min_strength (fraction of fibers recruited)", min_strength,
                             0.0, 1.0, high_inclusive=False))


def _pixel_strengths(strengths: np.ndarray, view: str) -> np.ndarray:
    return strengths[_raster().label[view].ravel()]


@dataclass(frozen=True)
class CoverageResult:
    """Paresthesia against the pain map (areas counted on the raster, both views).

    Attributes
    ----------
    pain_names : tuple of str
        The pain map's names.
    min_strength : float
        A dermatome has paresthesia when its strength exceeds this (fraction of fibers).
    pain_coverage_pct : float
        Share of the pain area that has paresthesia (%).
    paresthesia_outside_pain_pct : float
        Share of the paresthesia area that lies outside the pain (%); 0 when there is no
        paresthesia.
    strength_weighted_coverage_pct : float
        Mean over the pain area of the strength where there is paresthesia (0 elsewhere),
        in % (100 = every pain pixel in a dermatome with all its fibers recruited).
    per_region : Mapping[str, float]
        Each pain-map name -> share of its area with paresthesia (%).
    covered_dermatomes : tuple of str
        Dermatome sides that hold pain and have paresthesia, rostro-caudal.
    uncovered_dermatomes : tuple of str
        Dermatome sides that hold pain and have none, rostro-caudal.
    pain_area_pct_of_body, paresthesia_area_pct_of_body : float
        Pain and paresthesia areas as % of the drawn body surface (both views).
    """

    pain_names: tuple[str, ...]
    min_strength: float
    pain_coverage_pct: float
    paresthesia_outside_pain_pct: float
    strength_weighted_coverage_pct: float
    per_region: Mapping[str, float]
    covered_dermatomes: tuple[str, ...]
    uncovered_dermatomes: tuple[str, ...]
    pain_area_pct_of_body: float
    paresthesia_area_pct_of_body: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "pain_names": list(self.pain_names), "min_strength": self.min_strength,
            "pain_coverage_pct": self.pain_coverage_pct,
            "paresthesia_outside_pain_pct": self.paresthesia_outside_pain_pct,
            "strength_weighted_coverage_pct": self.strength_weighted_coverage_pct,
            "per_region": dict(self.per_region),
            "covered_dermatomes": list(self.covered_dermatomes),
            "uncovered_dermatomes": list(self.uncovered_dermatomes),
            "pain_area_pct_of_body": self.pain_area_pct_of_body,
            "paresthesia_area_pct_of_body": self.paresthesia_area_pct_of_body,
        }


def _pct(part: float, whole: float) -> float:
    return float(100.0 * part / whole) if whole > 0 else 0.0


def coverage(pain: PainMap | Sequence[str], paresthesia: Mapping[str, float], *,
             min_strength: float = 0.0) -> CoverageResult:
    """Coverage of a pain map by paresthesia.

    Parameters
    ----------
    pain : PainMap | sequence of str
        The pain map (see :func:`pain_map`).
    paresthesia : Mapping[str, float]
        ``{dermatome_side: strength}``, strength = fraction of that dermatome's fibers
        recruited (0..1); dermatomes not listed have none. Keys as in
        :func:`dermatome_side_names`, e.g. ``'T10_left'``.
    min_strength : float
        A body pixel has paresthesia when its dermatome's strength exceeds this
        (fraction of fibers, 0 <= min_strength < 1). Default 0: any recruitment.

    Returns
    -------
    CoverageResult
    """
    pain = _as_pain_map(pain)
    strengths = _strengths(paresthesia)
    min_strength = _check_min_strength(min_strength)
    raster = _raster()
    pain_masks = _pain_masks(pain)
    n_pain = n_par = n_both = weighted = n_body = 0.0
    names = dermatome_side_names()
    in_pain = np.zeros(len(names) + 1, dtype=bool)
    per_region = dict.fromkeys(pain.names, 0.0)
    region_px = dict.fromkeys(pain.names, 0.0)
    for view in VIEWS:
        s_pix = _pixel_strengths(strengths, view)
        par = s_pix > min_strength
        painm = pain_masks[view]
        n_body += raster.body[view].sum()
        n_pain += painm.sum()
        n_par += par.sum()
        n_both += (par & painm).sum()
        weighted += s_pix[par & painm].sum()
        in_pain[raster.label[view].ravel()[painm]] = True  # label -1 -> the spare slot
        for name in pain.names:
            px = _name_pixels(name, view)
            region_px[name] += px.size
            per_region[name] += par[px].sum()
    has_par = strengths > min_strength
    derm = [n for i, n in enumerate(names) if in_pain[i]]
    return CoverageResult(
        pain_names=pain.names, min_strength=min_strength,
        pain_coverage_pct=_pct(n_both, n_pain),
        paresthesia_outside_pain_pct=_pct(n_par - n_both, n_par),
        strength_weighted_coverage_pct=_pct(weighted, n_pain),
        per_region=MappingProxyType({n: _pct(per_region[n], region_px[n]) for n in pain.names}),
        covered_dermatomes=tuple(n for n in derm if has_par[names.index(n)]),
        uncovered_dermatomes=tuple(n for n in derm if not has_par[names.index(n)]),
        pain_area_pct_of_body=_pct(n_pain, n_body),
        paresthesia_area_pct_of_body=_pct(n_par, n_body),
    )


@dataclass(frozen=True)
class RegionParesthesia:
    """Paresthesia in one named body region.

    Attributes
    ----------
    area_pct : float
        Share of the region's area with paresthesia (%).
    mean_strength : float
        Mean strength (fraction of fibers recruited) over the part with paresthesia.
    """

    area_pct: float
    mean_strength: float


def paresthesia_by_region(paresthesia: Mapping[str, float], *,
                          min_strength: float = 0.0) -> dict[str, RegionParesthesia]:
    """The paresthesia map in body-region terms.

    Parameters
    ----------
    paresthesia : Mapping[str, float]
        ``{dermatome_side: strength}`` as for :func:`coverage` (fraction of fibers, 0..1).
    min_strength : float
        Paresthesia where the dermatome's strength exceeds this (fraction of fibers).

    Returns
    -------
    dict
        ``{region name: RegionParesthesia}`` for the named regions that have any
        paresthesia, in the order of :func:`list_regions`.
    """
    strengths = _strengths(paresthesia)
    min_strength = _check_min_strength(min_strength)
    raster = _raster()
    pix = {view: _pixel_strengths(strengths, view) for view in VIEWS}
    out = {}
    for name in _drawing().regions:
        total = covered = summed = 0.0
        for view in VIEWS:
            idx = raster.regions[view].get(name)
            if idx is None:
                continue
            s = pix[view][idx]
            on = s > min_strength
            total += idx.size
            covered += on.sum()
            summed += s[on].sum()
        if covered > 0:
            out[name] = RegionParesthesia(area_pct=_pct(covered, total),
                                          mean_strength=float(summed / covered))
    return out


def plot_body_map(path: str | Path, *, paresthesia: Mapping[str, float],
                  pain: PainMap | Sequence[str] | None = None, title: str = "",
                  min_strength: float = 0.0) -> Path:
    """Back and front body map with paresthesia and pain overlaid, as a PNG.

    Paresthesia fills each dermatome with a sequential colour by strength (fraction of
    fibers recruited), the pain map is outlined and hatched in red. Needs matplotlib
    (``pip install 'neuraxis[plot]'``).

    Parameters
    ----------
    path : str | Path
        Output PNG file; its folder must exist.
    paresthesia : Mapping[str, float]
        ``{dermatome_side: strength}`` (fraction of fibers recruited, 0..1).
    pain : PainMap | sequence of str | None
        Pain map to overlay; with it the subtitle gives the coverage numbers.
    title : str
        Figure title.
    min_strength : float
        Dermatomes with strength above this are drawn (fraction of fibers).

    Returns
    -------
    Path
        The written file.
    """
    from neuraxis.perception.bodymap_plot import plot_body_map as _plot

    return _plot(path, paresthesia=paresthesia, pain=pain, title=title,
                 min_strength=min_strength)
