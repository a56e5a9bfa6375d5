"""Versioned data tables of the volume conductor: conductivities and per-level anatomy.

The tables live in ``neuraxis/data/conductivities.yaml`` and
``neuraxis/data/anatomy_levels.yaml``; every value carries its source and a
``verified`` flag. This module reads them (``importlib.resources``) and turns
them into plain values; the geometry is in :mod:`neuraxis.anatomy.model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from importlib import resources
from typing import Any

from neuraxis._validate import (
    NeuraxisInputError,
    check_keys,
    check_option,
    check_positive,
)
from neuraxis.anatomy.levels import MODELLED_LEVELS

LEVELS = MODELLED_LEVELS

#: Short override key -> (table tissue, table value key).
_CONDUCTIVITY_KEYS = {
    "white_matter_longitudinal": ("white_matter", "longitudinal_s_per_m"),
    "white_matter_transverse": ("white_matter", "transverse_s_per_m"),
    "grey_matter": ("grey_matter", "value_s_per_m"),
    "csf": ("csf", "value_s_per_m"),
    "dura": ("dura", "value_s_per_m"),
    "epidural_fat": ("epidural_fat", "value_s_per_m"),
    "bone": ("bone", "value_s_per_m"),
    "surrounding": ("surrounding", "value_s_per_m"),
    "encapsulation": ("encapsulation", "value_s_per_m"),
}


def read_table(filename: str) -> dict[str, Any]:
    """Read one YAML data table shipped in ``neuraxis.data`` (a fresh copy).

    Parameters
    ----------
    filename : str
        File name inside the ``neuraxis.data`` package, e.g. ``'leads.yaml'``.

    Returns
    -------
    dict
        The parsed table; it always has a top-level ``version``.
    """
    import copy

    return copy.deepcopy(_read_cached(filename))


@cache
def _read_cached(filename: str) -> dict[str, Any]:
    import yaml

    text = resources.files("neuraxis.data").joinpath(filename).read_text(encoding="utf-8")
    table = yaml.safe_load(text)
    if not isinstance(table, dict) or "version" not in table:
        raise RuntimeError(f"data table {filename!r} has no top-level 'version'")
    return table


@dataclass(frozen=True)
class Conductivities:
    """Tissue conductivities of the spine model (S/m).

    White matter is anisotropic: ``longitudinal`` along the cord (z),
    ``transverse`` across it (x, y). Defaults and sources are in
    ``neuraxis/data/conductivities.yaml``; build one with
    :func:`load_conductivities`.
    """

    white_matter_longitudinal_s_per_m: float
    white_matter_transverse_s_per_m: float
    grey_matter_s_per_m: float
    csf_s_per_m: float
    dura_s_per_m: float
    epidural_fat_s_per_m: float
    bone_s_per_m: float
    surrounding_s_per_m: float
    encapsulation_s_per_m: float

    def to_dict(self) -> dict[str, float]:
        """Plain ``{field: value}`` dict in field order (S/m)."""
        return {k: float(v) for k, v in asdict(self).items()}


def conductivity_keys() -> tuple[str, ...]:
    """Short keys accepted as overrides, e.g. ``'csf'``, ``'white_matter_longitudinal'``."""
    return tuple(_CONDUCTIVITY_KEYS)


def load_conductivities(overrides: dict[str, float] | None = None) -> Conductivities:
    """Default conductivities from the data table, with optional overrides.

    Parameters
    ----------
    overrides : dict | None
        ``{short_key: value_s_per_m}``, e.g. ``{"csf": 1.8}``; keys are those of
        :func:`conductivity_keys`; values in S/m, strictly positive.

    Returns
    -------
    Conductivities
    """
    tissues = read_table("conductivities.yaml")["tissues"]
    values = {f"{key}_s_per_m": float(tissues[t][k]) for key, (t, k) in _CONDUCTIVITY_KEYS.items()}
    cond = Conductivities(**values)
    if overrides is None:
        return cond
    changes = {}
    for key, value in check_keys("conductivities", overrides, tuple(_CONDUCTIVITY_KEYS)).items():
        changes[f"{key}_s_per_m"] = check_positive(f"{key}_s_per_m", value, "S/m")
    return replace(cond, **changes)


def conductivities_from_dict(values: dict[str, float]) -> Conductivities:
    """Inverse of :meth:`Conductivities.to_dict` (every field required, S/m)."""
    names = [f.name for f in fields(Conductivities)]
    check_keys("conductivities", values, names)
    missing = [n for n in names if n not in values]
    if missing:
        raise NeuraxisInputError(f"Invalid conductivities: missing {', '.join(missing)}")
    return Conductivities(**{n: check_positive(n, values[n], "S/m") for n in names})


def level_defaults(level: str) -> dict[str, float]:
    """Default anatomy values (mm) for one vertebral level, including the global ones.

    Parameters
    ----------
    level : str
        One of ``'T8'`` ... ``'T12'``.

    Returns
    -------
    dict
        ``{field_mm: value}``: the per-level entries (cord, dCSF, dural sac depth,
        canal, segment length) and the global defaults (dura, lateral CSF, ventral
        epidural space, bone, domain, length, encapsulation sheath).
    """
    check_option("level", level, LEVELS)
    table = read_table("anatomy_levels.yaml")
    out = {k: float(v["value"]) for k, v in table["defaults"].items()}
    out.update({k: float(v["value"]) for k, v in table["levels"][level].items()})
    return out


@dataclass(frozen=True)
class PublishedRange:
    """A published range of one anatomy value (mm) with its source.

    ``verified`` is False where the range is not a measurement at that level
    (e.g. interpolated between measured levels).
    """

    low_mm: float
    high_mm: float
    source: str
    verified: bool


def _published_range(entry: dict[str, Any]) -> PublishedRange:
    return PublishedRange(float(entry["low"]), float(entry["high"]), str(entry["source"]),
                          bool(entry["verified"]))


def dcsf_range(level: str) -> PublishedRange:
    """Published dorsal CSF thickness (dCSF) range at a vertebral level (mm).

    Holsheimer et al. 1994 (AJNR 15:951) measured T11 and T12 (supine); T8-T10
    are interpolated between their T5-T6 and T11 ranges (``verified`` False).

    Parameters
    ----------
    level : str
        One of ``'T8'`` ... ``'T12'``.

    Returns
    -------
    PublishedRange
        From ``dcsf_ranges_mm`` in ``neuraxis/data/anatomy_levels.yaml``.
    """
    check_option("level", level, LEVELS)
    return _published_range(read_table("anatomy_levels.yaml")["dcsf_ranges_mm"][level])


def cord_offset_range() -> PublishedRange:
    """Published lateral displacement of the cord from the canal midline (mm, every level).

    Returns
    -------
    PublishedRange
        ``cord_offset_x_range_mm`` in ``neuraxis/data/anatomy_levels.yaml``
        (Holsheimer et al. 1994: up to 1.5-2.0 mm in about 40 % of images).
    """
    return _published_range(read_table("anatomy_levels.yaml")["cord_offset_x_range_mm"])
