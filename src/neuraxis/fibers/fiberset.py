"""The fiber population container: one row per fiber, read-only arrays, paths in mm."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.axons.models.mrg import INTERP_RANGE_UM as MRG_RANGE_UM
from neuraxis.fibers.paths import arc_length_mm

KINDS = ("dc", "dr", "dlc")
SIDES = ("left", "right")
#: Values of ``FiberSet.branch``: '' (dorsal-column fiber), 'collateral' (a dorsal-column
#: fiber's collateral cable, :mod:`neuraxis.fibers.collaterals`), or the DR afferent's branch.
BRANCHES = ("", "ascending", "descending", "collateral")
#: Values of :func:`fiber_region_at_arc`.
REGIONS = ("root", "drez", "dc", "dlc")
_COLUMNS = ("kind", "diameter_um", "side", "x_mm", "y_mm", "depth_mm", "segment",
            "entry_arc_mm", "weight_fibers", "afferent_id", "branch", "dura_arc_mm",
            "branch_arc_mm")
_STR = ("kind", "side", "segment", "branch")
_ARCS = ("dura_arc_mm", "entry_arc_mm", "branch_arc_mm")


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
        'dc' (dorsal column), 'dr' (dorsal root) or 'dlc' (superficial dorsolateral
        column, :mod:`neuraxis.fibers.dorsolateral`).
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
    weight_fibers : ndarray (n,), optional
        How many real fibers of the modelled anatomy this row stands for (>= 0); a
        weighted count ``sum(weight_fibers[recruited])`` estimates real fibers. Default 1.
        The two rows of one DR afferent carry the same weight (count an afferent once,
        e.g. by ``afferent_id``).
    afferent_id : ndarray of int (n,), optional
        Which afferent a row belongs to: the ascending and descending rows of one DR
        afferent share it; every DC fiber has its own. Default ``0..n-1``.
    branch : ndarray of str (n,), optional
        DR: 'ascending' or 'descending' (the afferent's branch in the dorsal column that
        this row follows); DC: ''. Default '' for DC rows, 'ascending' for DR rows.
    dura_arc_mm : ndarray (n,), optional
        DR: arc length where the path enters the dural sac (end of the root sleeve);
        DC: NaN.
    branch_arc_mm : ndarray (n,), optional
        DR: arc length where the path leaves the entry zone and its turn and becomes a
        longitudinal dorsal-column branch; DC: NaN. ``dura <= entry <= branch``.
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
    weight_fibers: np.ndarray | None = field(default=None)
    afferent_id: np.ndarray | None = field(default=None)
    branch: np.ndarray | None = field(default=None)
    dura_arc_mm: np.ndarray | None = field(default=None)
    branch_arc_mm: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.paths_mm)
        defaults = {"weight_fibers": lambda: np.ones(n), "afferent_id": lambda: np.arange(n),
                    "branch": lambda: np.where(np.asarray(self.kind) == "dr", "ascending", "")}
        for name in _COLUMNS:
            if getattr(self, name) is None:
                make = defaults.get(name, lambda: np.full(n, np.nan))
                object.__setattr__(self, name, make())
        for name in _COLUMNS:
            dtype = str if name in _STR else int if name == "afferent_id" else float
            raw = np.asarray(getattr(self, name))
            if name == "afferent_id" and raw.size and not (
                    raw.dtype.kind in "iu" or np.all(np.asarray(raw, float) % 1 == 0)):
                raise NeuraxisInputError(
                    f"Invalid value for 'afferent_id'. Expected integers, but got {raw!r}")
            a = np.asarray(raw, dtype=dtype).reshape(-1)
            object.__setattr__(self, name, _frozen(a))
        if any(len(getattr(self, k)) != n for k in _COLUMNS):
            desc = ", ".join(f"{k}={len(getattr(self, k))}" for k in _COLUMNS)
            raise NeuraxisInputError(
                f"Invalid FiberSet: every field needs one entry per path ({n} paths), got {desc}")
        for name, allowed in (("kind", KINDS), ("side", SIDES), ("branch", BRANCHES)):
            bad = ~np.isin(getattr(self, name), allowed)
            if bad.any():
                check_option(name, str(getattr(self, name)[bad][0]), allowed)
        if n:
            check_range("diameter_um", self.diameter_um, *MRG_RANGE_UM, "um")
            check_range("weight_fibers", self.weight_fibers, 0.0, None)
        self._check_branches_and_arcs()
        paths = []
        for i, p in enumerate(self.paths_mm):
            q = np.asarray(p, dtype=float)
            if q.ndim != 2 or q.shape[1] != 3 or q.shape[0] < 2 or not np.all(np.isfinite(q)):
                raise NeuraxisInputError(
                    f"Invalid FiberSet: path {i} must be an (m, 3) array of finite mm with "
                    f"m >= 2, but got shape {q.shape}")
            paths.append(q if q is p and not q.flags.writeable else _frozen(q))
        object.__setattr__(self, "paths_mm", tuple(paths))

    def _check_branches_and_arcs(self) -> None:
        dc, dr = self.kind == "dc", self.kind == "dr"
        if np.any((self.kind == "dlc") & (self.branch != "")):
            raise NeuraxisInputError("Invalid FiberSet: a dorsolateral-column fiber has a "
                                     "branch; allowed is ''")
        bad = dc & ~np.isin(self.branch, ("", "collateral"))
        if np.any(bad):
            raise NeuraxisInputError("Invalid FiberSet: a dorsal-column fiber has branch "
                                     f"{str(self.branch[bad][0])!r}; allowed are '' and "
                                     "'collateral' ('ascending', 'descending' are for 'dr' rows)")
        bad = dr & ~np.isin(self.branch, ("ascending", "descending"))
        if np.any(bad):
            raise NeuraxisInputError("Invalid FiberSet: every dorsal-root row needs a branch, "
                                     "'ascending' or 'descending', but got "
                                     f"{str(self.branch[bad][0])!r}")
        arcs = np.column_stack([getattr(self, k) for k in _ARCS]) if len(self) else None
        if arcs is None or not dr.any():
            return
        a = arcs[dr]
        known = np.isfinite(a)
        if np.any(a[known] < 0):
            raise NeuraxisInputError("Invalid FiberSet: arc lengths (dura_arc_mm, "
                                     "entry_arc_mm, branch_arc_mm) must be >= 0 mm")
        for j in range(2):
            both = known[:, j] & known[:, j + 1]
            if np.any(a[both, j] > a[both, j + 1] + 1e-9):
                raise NeuraxisInputError(
                    f"Invalid FiberSet: a dorsal-root row has {_ARCS[j]} > {_ARCS[j + 1]}; "
                    "expected dura <= entry <= branch along the path")

    def __len__(self) -> int:
        return len(self.paths_mm)

    def __repr__(self) -> str:
        n = {k: int(np.sum(self.kind == k)) for k in KINDS}
        extra = f", dlc={n['dlc']}" if n["dlc"] else ""
        return f"FiberSet(n={len(self)}, dc={n['dc']}, dr={n['dr']}{extra})"

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

    def concat(self, other: FiberSet, *, same_afferents: bool = False) -> FiberSet:
        """This set followed by ``other``.

        ``other``'s ``afferent_id`` values are shifted past this set's largest, so that
        afferents of the two sets stay distinct (rows that shared an id still do), unless
        ``same_afferents`` (``other`` holds more cables of this set's afferents, e.g. the
        collaterals of :func:`neuraxis.fibers.dc_collaterals`).
        """
        if not isinstance(other, FiberSet):
            raise NeuraxisInputError(
                f"Invalid value for 'other'. Expected a FiberSet, but got {type(other).__name__}")
        cols = {k: np.concatenate([getattr(self, k), getattr(other, k)]) for k in _COLUMNS}
        if len(self) and len(other) and not same_afferents:
            shift = int(self.afferent_id.max()) + 1 - int(other.afferent_id.min())
            cols["afferent_id"] = np.concatenate([self.afferent_id,
                                                  other.afferent_id + max(shift, 0)])
        return FiberSet(**cols, paths_mm=self.paths_mm + other.paths_mm)

    def to_dict(self) -> dict[str, Any]:
        """The population as JSON-ready data (no paths; NaN as None), lengths in mm.

        Returns
        -------
        dict
            ``{"n_fibers": n, "n_dc": ..., "n_dr": ..., "fibers": [...]}`` with one dict
            per fiber: index, kind, diameter_um, side, x_mm, y_mm, depth_mm, segment,
            path_length_mm, weight_fibers, afferent_id, branch, dura_arc_mm,
            entry_arc_mm, branch_arc_mm (arcs None for DC).
        """
        lengths = self.path_length_mm
        def fl(v):
            return None if not math.isfinite(v) else float(v)
        rows = [{"index": i, "kind": str(self.kind[i]),
                 "diameter_um": float(self.diameter_um[i]), "side": str(self.side[i]),
                 "x_mm": float(self.x_mm[i]), "y_mm": float(self.y_mm[i]),
                 "depth_mm": float(self.depth_mm[i]), "segment": str(self.segment[i]),
                 "path_length_mm": float(lengths[i]),
                 "weight_fibers": float(self.weight_fibers[i]),
                 "afferent_id": int(self.afferent_id[i]), "branch": str(self.branch[i]),
                 **{k: fl(getattr(self, k)[i]) for k in _ARCS}}
                for i in range(len(self))]
        n = {k: int(np.sum(self.kind == k)) for k in KINDS}
        return {"n_fibers": len(self), "n_dc": n["dc"], "n_dr": n["dr"], "n_dlc": n["dlc"],
                "fibers": rows}


def fiber_region_at_arc(fibers: FiberSet, i: int, arc_mm: np.ndarray | float) -> np.ndarray:
    """Where along fiber ``i`` each arc length lies: 'root', 'drez' or 'dc'.

    Dorsal-root rows: 'root' before the cord entry (``entry_arc_mm``: root sleeve and
    rootlet), 'drez' from the entry to ``branch_arc_mm`` (entry zone and the turn into
    the dorsal column), 'dc' from there on (the longitudinal ascending or descending
    branch). Dorsal-column fibers: 'dc' everywhere; dorsolateral ones 'dlc'.

    Parameters
    ----------
    fibers : FiberSet
    i : int
        Row index.
    arc_mm : float or array-like
        Arc length(s) from the path's first point, mm.

    Returns
    -------
    numpy.ndarray of str
        Same shape as ``arc_mm`` (0-d for a scalar; ``str(out)`` gives the name).
    """
    if not isinstance(fibers, FiberSet):
        raise NeuraxisInputError(
            f"Invalid value for 'fibers'. Expected a FiberSet, but got {type(fibers).__name__}")
    n = len(fibers)
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
        raise NeuraxisInputError(
            f"Invalid value for 'i'. Allowed are integers in [0, {n - 1}], but got {i!r}")
    s = np.asarray(arc_mm, dtype=float)
    if fibers.kind[i] in ("dc", "dlc"):
        return np.full(s.shape, str(fibers.kind[i]))
    entry, branch = float(fibers.entry_arc_mm[i]), float(fibers.branch_arc_mm[i])
    if not (math.isfinite(entry) and math.isfinite(branch)):
        raise NeuraxisInputError(
            f"Invalid FiberSet: dorsal-root row {i} has no entry_arc_mm / branch_arc_mm")
    return np.where(s < entry, "root", np.where(s < branch, "drez", "dc"))
