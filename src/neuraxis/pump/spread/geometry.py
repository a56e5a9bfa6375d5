"""The spinal canal of the spread model: CSF cross-section by vertebral level, and the
transport values and CSF half-lives of ``neuraxis/data/csf_transport.yaml``."""

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


def transport_defaults() -> dict[str, float]:
    """Transport values of the data table, ``{key_with_unit: value}``.

    Keys: ``molecular_diffusivity_m2_per_s``, ``shear_dispersion_ratio``,
    ``d_eff_m2_per_s`` (default effective dispersion), ``steady_streaming_velocity_um_per_s``,
    ``drift_um_per_s`` (default net drift, positive rostral).
    """
    return {k: float(v["value"]) for k, v in _table()["transport"].items()}


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
