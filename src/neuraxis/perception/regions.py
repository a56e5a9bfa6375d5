"""Body-map drawing and raster: dermatomes, named body regions, their pixels.

The drawing (a back and a front body outline, the dermatomes C2-S5 left and right, and
named body regions) lives in ``neuraxis/data/bodymap.yaml``; every entry carries its
source and a ``verified`` flag. Coordinates are in units of body height: ``y = 0`` at the
soles, ``y = 1`` at the vertex, ``x = 0`` at the midline. In the back view the patient's
left is on the viewer's left (``x < 0``); in the front view it is on the viewer's right.

Areas are counted on a fixed raster (square pixels of :data:`PIXEL_SIZE` body heights,
both views), computed once and cached; no geometry library is needed. Within a view every
body pixel belongs to exactly one dermatome (the face, in the front view, to the trigeminal
area). Pain maps and coverage on this raster: :mod:`neuraxis.perception.painmap`; the
figure: :func:`neuraxis.viz.bodymap.plot_body_map`.

Example
-------
>>> from neuraxis.perception.regions import dermatome_side_names, list_regions
>>> "low_back" in list_regions() and dermatome_side_names()[:2] == ("C2_left", "C2_right")
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

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
        for idx, (_name, derm) in enumerate(drawing.dermatomes.items()):
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
