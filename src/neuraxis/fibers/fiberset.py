"""The fiber population container: one row per fiber, read-only arrays, paths in mm."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.axons.models.mrg import INTERP_RANGE_UM as MRG_RANGE_UM
from neuraxis.fibers.paths import arc_length_mm

KINDS = ("dc", "dr")
SIDES = ("left", "right")
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

    def to_dict(self) -> dict[str, Any]:
        """The population as JSON-ready data (no paths; NaN as None), lengths in mm.

        Returns
        -------
        dict
            ``{"n_fibers": n, "n_dc": ..., "n_dr": ..., "fibers": [...]}`` with one dict
            per fiber: index, kind, diameter_um, side, x_mm, y_mm, depth_mm, segment,
            path_length_mm, entry_arc_mm.
        """
        lengths = self.path_length_mm
        def fl(v):
            return None if not math.isfinite(v) else float(v)
        rows = [{"index": i, "kind": str(self.kind[i]),
                 "diameter_um": float(self.diameter_um[i]), "side": str(self.side[i]),
                 "x_mm": float(self.x_mm[i]), "y_mm": float(self.y_mm[i]),
                 "depth_mm": float(self.depth_mm[i]), "segment": str(self.segment[i]),
                 "path_length_mm": float(lengths[i]), "entry_arc_mm": fl(self.entry_arc_mm[i])}
                for i in range(len(self))]
        n_dc = int(np.sum(self.kind == "dc"))
        return {"n_fibers": len(self), "n_dc": n_dc, "n_dr": len(self) - n_dc, "fibers": rows}
