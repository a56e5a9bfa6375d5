"""Pain maps and paresthesia coverage, counted on the body-map raster.

A pain map is a set of names from :func:`neuraxis.perception.regions.list_regions`
(named body regions and dermatomes). Within a view every body pixel belongs to exactly
one dermatome, so "the paresthesia area" is the set of pixels whose dermatome has
paresthesia. Areas of the two views add up: they are different skin.

Example
-------
>>> from neuraxis.perception.painmap import coverage, pain_map
>>> pain = pain_map(["low_back", "buttock_left"])
>>> result = coverage(pain, {"L1_left": 1.0, "L2_left": 0.8})
>>> 0.0 < result.pain_coverage_pct < 100.0
True
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_range
from neuraxis.perception.regions import (
    VIEWS,
    _drawing,
    _name_pixels,
    _raster,
    dermatome_side_names,
    list_regions,
)


def _check_name(field: str, value: object, allowed: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``allowed``; else an error naming the closest few (not
    the ~100 allowed names: ``neuraxis scs regions`` lists them)."""
    if isinstance(value, str) and value in allowed:
        return value
    hint = ""
    if isinstance(value, str):
        lowered = {a.lower(): a for a in allowed}
        close = difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.6)
        if close:
            hint = f" - did you mean {' or '.join(repr(lowered[c]) for c in close)}?"
    raise NeuraxisInputError(
        f"Invalid value for {field!r}. Expected {what} (one of {len(allowed)} names; "
        f"`neuraxis scs regions` lists them), but got {value!r}{hint}")


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
            _check_name("pain region", name, allowed, "a body region or dermatome name")
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
        _check_name("pain region", name, allowed, "a body region or dermatome name")
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
        _check_name("paresthesia dermatome", key, names,
                    "a dermatome with its side, e.g. 'T10_left'")
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
