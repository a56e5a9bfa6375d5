"""The spinal canal of the spread model: CSF cross-section by vertebral level, cord
segment positions, and the transport, oscillation and injection values, CSF half-lives
and human data of ``neuraxis/data/csf_transport.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from neuraxis._validate import check_option
from neuraxis.anatomy.levels import VERTEBRAE

#: Vertebral levels of the table, rostral to caudal (C1 ... S2, the dural sac).
LEVELS = VERTEBRAE[:VERTEBRAE.index("S2") + 1]

MM3_PER_ML = 1000.0
S_PER_DAY = 86400.0
UG_PER_ML_PER_MG_PER_MM3 = 1e6  # 1 mg/mm^3 = 1e3 mg/mL = 1e6 ug/mL
_TABLE = "csf_transport.yaml"


@dataclass(frozen=True)
class CanalGeometry:
    """The spinal subarachnoid space by vertebral level (from the data table).

    Attributes
    ----------
    levels : tuple of str
        ``'C1'`` ... ``'S2'``, rostral to caudal.
    top_mm, length_mm : numpy.ndarray
        Rostral boundary of each level (mm from the foramen magnum) and its length (mm).
    area_mm2 : numpy.ndarray
        CSF cross-section of each level (mm^2), taken at the level's centre.
    """

    levels: tuple[str, ...]
    top_mm: np.ndarray
    length_mm: np.ndarray
    area_mm2: np.ndarray

    @property
    def end_mm(self) -> float:
        """Caudal end of the dural sac (lower border of S2), mm from the foramen magnum."""
        return float(self.top_mm[-1] + self.length_mm[-1])

    @property
    def center_mm(self) -> np.ndarray:
        """Centre of each level (mm)."""
        return self.top_mm + 0.5 * self.length_mm

    @property
    def boundaries_mm(self) -> np.ndarray:
        """Level boundaries (mm), ``len(levels) + 1`` values from 0 to :attr:`end_mm`."""
        return np.append(self.top_mm, self.end_mm)

    @property
    def volume_ml(self) -> float:
        """Spinal CSF volume of the table, sum of area x length (mL)."""
        return float(np.sum(self.area_mm2 * self.length_mm) / MM3_PER_ML)

    def area_at(self, x_mm: np.ndarray) -> np.ndarray:
        """CSF cross-section (mm^2): linear between level centres, constant beyond the ends."""
        return np.interp(np.asarray(x_mm, dtype=float), self.center_mm, self.area_mm2)

    def level_index(self, x_mm: np.ndarray) -> np.ndarray:
        """Index into :attr:`levels` of the level containing each position."""
        idx = np.searchsorted(self.top_mm, np.asarray(x_mm, dtype=float), side="right") - 1
        return np.clip(idx, 0, len(self.levels) - 1)


def _table() -> dict:
    from neuraxis.anatomy.tables import read_table

    return read_table(_TABLE)


@cache
def load_canal_geometry() -> CanalGeometry:
    """The canal geometry of ``neuraxis/data/csf_transport.yaml`` (checked for contiguity)."""
    levels = _table()["levels"]
    if tuple(levels) != LEVELS:
        raise RuntimeError(f"{_TABLE}: levels must be {LEVELS}, got {tuple(levels)}")
    top = np.array([levels[n]["top_mm"]["value"] for n in LEVELS], dtype=float)
    length = np.array([levels[n]["length_mm"]["value"] for n in LEVELS], dtype=float)
    area = np.array([levels[n]["area_mm2"]["value"] for n in LEVELS], dtype=float)
    if abs(top[0]) > 1e-9 or np.any(np.abs(top[1:] - (top[:-1] + length[:-1])) > 0.01):
        raise RuntimeError(f"{_TABLE}: levels are not contiguous from the foramen magnum")
    for arr in (top, length, area):
        arr.setflags(write=False)
    return CanalGeometry(LEVELS, top, length, area)


def _section(name: str) -> dict[str, float]:
    return {k: float(v["value"]) for k, v in _table()[name].items()}


def transport_defaults() -> dict[str, float]:
    """Transport values of the data table, ``{key_with_unit: value}``.

    Keys: ``molecular_diffusivity_m2_per_s``, ``shear_dispersion_ratio``,
    ``steady_streaming_velocity_um_per_s``, ``drift_um_per_s`` (default net drift,
    positive rostral).
    """
    return _section("transport")


def oscillation_defaults() -> dict[str, float]:
    """The oscillatory-dispersion values: stroke volumes (mL), cardiac frequency (Hz),
    the infusion and bolus mixing ratios and the bolus phase (h)."""
    return _section("oscillation")


def injection_defaults() -> dict[str, float]:
    """The injection values: catheter inner diameter (mm), CSF kinematic viscosity
    (m^2/s), jet spreading ratio."""
    return _section("injection")


def shear_dispersion_m2_per_s() -> float:
    """Dispersion without the oscillation's mixing: D_m x shear ratio (m^2/s)."""
    d = transport_defaults()
    return d["molecular_diffusivity_m2_per_s"] * d["shear_dispersion_ratio"]


def tracer_half_life_h(tracer: str) -> float:
    """CSF half-life of a tracer of the table's ``tracers`` section (h)."""
    tracers = _table()["tracers"]
    check_option("tracer", tracer, tuple(tracers))
    return float(tracers[tracer]["half_life_h"]["value"])


def human_data(study: str) -> dict[str, float | str]:
    """Values of one human study of the table's ``human_data`` section, ``{key: value}``."""
    studies = _table()["human_data"]
    check_option("study", study, tuple(studies))
    return {k: v["value"] for k, v in studies[study].items()}


def interspace_mm(interspace: str) -> float:
    """Position of an interspace such as ``'L3-L4'``: the boundary between the two
    levels (mm from the foramen magnum)."""
    geo = load_canal_geometry()
    upper, _, lower = str(interspace).partition("-")
    check_option("interspace", upper, LEVELS[:-1])
    i = LEVELS.index(upper)
    if lower != LEVELS[i + 1]:
        raise RuntimeError(f"{_TABLE}: {interspace!r} is not two adjacent levels")
    return float(geo.top_mm[i + 1])


#: Cord segments with a sourced position (``fibers.yaml`` vertebral_segments rules).
SEGMENTS = tuple(f"T{i}" for i in range(3, 13)) + tuple(f"L{i}" for i in range(1, 6)) \
    + tuple(f"S{i}" for i in range(1, 6))


def segment_position_mm(segment: str) -> float:
    """Position of a cord segment's dorsal-root entry zone along the canal (mm).

    Thoracic Tn (n = 3-12) lies at the middle of the vertebral body T(n-2) (J Korean
    Neurosurg Soc 2012;52:384); the five lumbar segments share the length from the upper
    third of T11 to the upper third of L1, and the five sacral segments the length from
    there to the L1/L2 boundary (Canbay et al. 2014, Clin Anat 27:227; the conus ends
    between the L1 and L2 root axillae) - the rules of ``data/fibers.yaml``
    (``vertebral_segments``), applied to this canal's level lengths.

    Parameters
    ----------
    segment : str
        One of :data:`SEGMENTS` (``'T3'`` ... ``'S5'``).
    """
    seg = segment.strip().upper() if isinstance(segment, str) else segment
    seg = check_option("target_segments", seg, SEGMENTS)
    geo = load_canal_geometry()
    top = dict(zip(LEVELS, geo.top_mm, strict=True))
    length = dict(zip(LEVELS, geo.length_mm, strict=True))
    n = int(seg[1:])
    if seg[0] == "T":
        vert = f"T{n - 2}"
        return float(top[vert] + 0.5 * length[vert])
    lumbar_start = top["T11"] + length["T11"] / 3.0
    sacral_start = top["L1"] + length["L1"] / 3.0
    if seg[0] == "L":
        return float(lumbar_start + (n - 0.5) * (sacral_start - lumbar_start) / 5.0)
    return float(sacral_start + (n - 0.5) * (top["L2"] - sacral_start) / 5.0)


def drug_names() -> tuple[str, ...]:
    """Drugs with a CSF half-life in the data table."""
    return tuple(_table()["drugs"])


def drug_half_life_h(drug: str) -> float:
    """CSF clearance half-life of a drug (h), from the data table.

    Parameters
    ----------
    drug : str
        One of :func:`drug_names` (case-insensitive), e.g. ``'morphine'``.
    """
    names = drug_names()
    key = drug.lower() if isinstance(drug, str) else drug
    check_option("drug", key, names)
    return float(_table()["drugs"][key]["half_life_h"]["value"])
