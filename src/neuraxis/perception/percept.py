"""The percept model: what the recruited fibers are felt as, defined on populations.

Every fiber's response is classified by *where* its action potential starts
(:func:`initiation_sites`): in the dorsal column (``'dc'``: dorsal-column fibers, and the
ascending or descending branch of a dorsal-root afferent once it runs in the column),
in the dorsal-root entry zone (``'drez'``: from the cord surface to the start of the
branch) or in the root (``'root'``: sleeve and rootlet, outside the cord). A dorsal-root
afferent is simulated as two cables (root + ascending branch, root + descending branch,
same ``afferent_id``); its threshold is the lower of the two and its site that cable's.

Counts are of *real* fibers: each sampled fiber stands for ``weight_fibers`` fibers of
the anatomy (:mod:`neuraxis.fibers`), so a count does not depend on how many fibers were
sampled. The criteria (``neuraxis/data/percept.yaml``, each with its source):

* perception threshold (PT): the lowest amplitude at which the real fibers firing from a
  dorsal-column site reach ``perception_fibers``;
* at or above PT a dermatome is *felt* (shares in the paresthesia) when at least
  ``felt_fibers`` of the real fibers carrying it fire (any site); below PT nothing is;
* discomfort threshold (DT): the lowest amplitude at which the fibers of one dorsal root
  firing from a root or entry-zone site reach ``discomfort_fibers`` (segmental
  paresthesia / radicular discomfort; Holsheimer's usable range is the ratio of the two);
* side effect of a root: the same criterion, root by root;
* usable range: DT / PT.

Every function here is pure (arrays in, numbers out); :class:`~neuraxis.perception.result.ScsResult`
calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

#: Initiation sites, and the empty site of a fiber that never fired.
SITES = ("dc", "drez", "root", "dlc")
NO_SITE = ""


@dataclass(frozen=True)
class PerceptCriteria:
    """Population criteria of the percept model (real fibers), with their sources.

    Attributes
    ----------
    perception_fibers : float
        Real fibers that must fire from a dorsal-column site for the stimulation to be
        perceived (the perception threshold).
    felt_fibers : float
        Real fibers of one dermatome that must fire (at or above the perception
        threshold) for that dermatome to share in the paresthesia.
    discomfort_fibers : float
        Real fibers of one dorsal root that must fire from a root or entry-zone site
        for segmental discomfort.
    sources : dict
        ``{field: {"source": ..., "verified": bool}}`` from the data file.
    """

    perception_fibers: float
    felt_fibers: float
    discomfort_fibers: float
    sources: dict

    def to_dict(self) -> dict[str, Any]:
        return {"perception_fibers": self.perception_fibers, "felt_fibers": self.felt_fibers,
                "discomfort_fibers": self.discomfort_fibers, "sources": self.sources}


@cache
def _criteria() -> PerceptCriteria:
    from neuraxis.anatomy.tables import read_table

    t = read_table("percept.yaml")["criteria"]
    return PerceptCriteria(float(t["perception_fibers"]["value"]),
                           float(t["felt_fibers"]["value"]),
                           float(t["discomfort_fibers"]["value"]),
                           {k: {"source": v["source"], "verified": bool(v["verified"])}
                            for k, v in t.items()})


def percept_criteria() -> PerceptCriteria:
    """The criteria of ``neuraxis/data/percept.yaml``."""
    return _criteria()


# ------------------------------------------------------------------------- sites
def initiation_sites(fibers: Any, arc_mm: np.ndarray) -> np.ndarray:
    """Site (``'dc'``, ``'drez'``, ``'root'``) where each fiber's action potential starts.

    Parameters
    ----------
    fibers : FiberSet
    arc_mm : ndarray (n,)
        Arc length along each fiber's path (mm from its first point) of the initiation
        node; NaN where the fiber never fired (site ``''``).

    Returns
    -------
    ndarray of str (n,)
        Dorsal-column fibers: ``'dc'``; dorsal-root fibers: ``'root'`` before the cord
        entry (``entry_arc_mm``), ``'drez'`` from the entry to ``branch_arc_mm`` (where
        the fiber runs in the column), ``'dc'`` beyond; dorsolateral-column fibers: ``'dlc'``.
    """
    arc = np.asarray(arc_mm, dtype=float)
    kind = np.asarray(fibers.kind)
    out = np.where(np.isfinite(arc), "dc", NO_SITE).astype(object)
    out[(kind == "dlc") & np.isfinite(arc)] = "dlc"
    dr = (kind == "dr") & np.isfinite(arc)
    if np.any(dr):
        entry = np.asarray(fibers.entry_arc_mm, dtype=float)
        branch = branch_arc_mm(fibers)
        out[dr & (arc < entry)] = "root"
        out[dr & (arc >= entry) & (arc < branch)] = "drez"
    return out.astype(str)


def branch_arc_mm(fibers: Any) -> np.ndarray:
    """Arc length (mm) where each dorsal-root fiber becomes a dorsal-column branch.

    The fiber set's ``branch_arc_mm`` column; for a set without one, the cord entry plus
    the in-cord turn of ``fibers.yaml`` (``dr_path.incord_turn_mm``, measured along the
    path as its z rise: a lower bound of the turn's arc length).
    """
    col = getattr(fibers, "branch_arc_mm", None)
    if col is not None:
        return np.asarray(col, dtype=float)
    from neuraxis.fibers._table import table_values

    return np.asarray(fibers.entry_arc_mm, dtype=float) + float(
        table_values("dr_path")["incord_turn_mm"])


def fiber_weights(fibers: Any) -> np.ndarray:
    """Real fibers each sampled fiber stands for (``weight_fibers``; 1 if the set has none)."""
    w = getattr(fibers, "weight_fibers", None)
    return np.ones(len(fibers)) if w is None else np.asarray(w, dtype=float)


def afferent_ids(fibers: Any) -> np.ndarray:
    """Afferent of each row (branches of one dorsal-root afferent share it)."""
    a = getattr(fibers, "afferent_id", None)
    return np.arange(len(fibers)) if a is None else np.asarray(a, dtype=int)


@dataclass(frozen=True)
class Afferents:
    """One entry per afferent: its lowest threshold over its cables and that cable's site.

    Attributes
    ----------
    row : ndarray of int
        Row of the fiber set that sets the afferent's threshold (its first row if none fires).
    threshold_ma, site, weight_fibers, kind, dermatome, root : ndarray
        ``root`` is ``'<segment>_<side>'`` for dorsal-root afferents, ``''`` otherwise.
    root_threshold_ma : ndarray
        Dorsal-root afferents: the lowest threshold among its cables whose action potential
        starts in the root or the entry zone (NaN if each cable first fires in the column:
        its entry-zone threshold then lies above its branch threshold and is not computed).
    """

    row: np.ndarray
    threshold_ma: np.ndarray
    site: np.ndarray
    weight_fibers: np.ndarray
    kind: np.ndarray
    dermatome: np.ndarray
    root: np.ndarray
    root_threshold_ma: np.ndarray

    def __len__(self) -> int:
        return int(self.row.size)


def afferents(fibers: Any, threshold_ma: np.ndarray, site: np.ndarray,
              dermatome: np.ndarray) -> Afferents:
    """Collapse the rows of a fiber set to afferents (lowest threshold wins)."""
    thr = np.nan_to_num(np.asarray(threshold_ma, dtype=float), nan=np.inf)
    site = np.asarray(site)
    ids = afferent_ids(fibers)
    order = np.lexsort((thr, ids))  # by afferent, lowest threshold first
    first = np.ones(order.size, dtype=bool)
    first[1:] = ids[order][1:] != ids[order][:-1]
    rows = order[first]
    # lowest root / entry-zone threshold per afferent
    at_root = np.where(np.isin(site, ("root", "drez")), thr, np.inf)
    uniq, inv = np.unique(ids, return_inverse=True)
    root_thr = np.full(uniq.size, np.inf)
    np.minimum.at(root_thr, inv, at_root)
    root_thr = root_thr[np.searchsorted(uniq, ids[rows])]
    kind = np.asarray(fibers.kind)[rows]
    side = np.asarray(fibers.side)[rows]
    seg = np.asarray(fibers.segment)[rows]
    root = np.where(kind == "dr", np.char.add(np.char.add(seg.astype(str), "_"),
                                              side.astype(str)), "")
    t = thr[rows]
    return Afferents(rows, np.where(np.isfinite(t), t, np.nan), site[rows],
                     fiber_weights(fibers)[rows], kind, np.asarray(dermatome)[rows], root,
                     np.where(np.isfinite(root_thr), root_thr, np.nan))


# ---------------------------------------------------------------------- counts
def count_threshold_ma(threshold_ma: np.ndarray, weight_fibers: np.ndarray,
                       n_fibers: float) -> float | None:
    """Lowest amplitude (mA) at which the firing fibers' real count reaches ``n_fibers``.

    The weighted count is a step function of the amplitude; it is read at the middle of
    each step and interpolated linearly in log amplitude between the sampled thresholds
    (a sampled fiber stands for fibers whose thresholds lie around its own), so that the
    answer moves smoothly when the sampling changes. None if the count never gets there.
    """
    t = np.asarray(threshold_ma, dtype=float)
    w = np.asarray(weight_fibers, dtype=float)
    ok = np.isfinite(t) & (w > 0)
    if not np.any(ok):
        return None
    order = np.argsort(t[ok])
    ts, ws = t[ok][order], w[ok][order]
    cum = np.cumsum(ws)
    if cum[-1] < n_fibers:
        return None
    mid = cum - 0.5 * ws
    if n_fibers <= mid[0]:
        return float(ts[0])
    k = int(np.searchsorted(mid, n_fibers))
    if k >= ts.size:
        return float(ts[-1])
    f = (n_fibers - mid[k - 1]) / (mid[k] - mid[k - 1])
    return float(np.exp(np.log(ts[k - 1]) + f * (np.log(ts[k]) - np.log(ts[k - 1]))))


def perception_threshold_ma(aff: Afferents, criteria: PerceptCriteria) -> float | None:
    """Amplitude (mA) at which the real fibers whose action potential starts in the dorsal
    column reach the perception count; None if not below the search limit."""
    sel = aff.site == "dc"
    return count_threshold_ma(aff.threshold_ma[sel], aff.weight_fibers[sel],
                              criteria.perception_fibers)


def dorsolateral_threshold_ma(aff: Afferents, criteria: PerceptCriteria) -> float | None:
    """Amplitude (mA) at which the real dorsolateral-column fibers firing reach the
    perception count (the same count, a modelling choice); None without DLC fibers or if
    not reached below the search limit. Not perceived: reported, not used for PT/DT."""
    sel = aff.kind == "dlc"
    if not np.any(sel):
        return None
    return count_threshold_ma(aff.threshold_ma[sel], aff.weight_fibers[sel],
                              criteria.perception_fibers)


def discomfort_thresholds_ma(aff: Afferents, criteria: PerceptCriteria) -> dict[str, float]:
    """Per dorsal root: amplitude (mA) at which its afferents excited in the root or the
    entry zone reach the discomfort count (the root's side-effect threshold); roots that
    do not reach it below the search limit are absent."""
    out = {}
    for r in sorted(set(aff.root[aff.kind == "dr"].tolist())):
        sel = aff.root == r
        v = count_threshold_ma(aff.root_threshold_ma[sel], aff.weight_fibers[sel],
                               criteria.discomfort_fibers)
        if v is not None:
            out[str(r)] = v
    return out


def felt_counts(aff: Afferents, amplitude_ma: float) -> dict[str, tuple[float, float]]:
    """Per dermatome: (real fibers firing at ``amplitude_ma``, real fibers sampled)."""
    fire = np.nan_to_num(aff.threshold_ma, nan=np.inf) <= amplitude_ma
    out = {}
    for d in sorted(set(aff.dermatome.tolist()) - {""}):  # '': no dermatome (DLC)
        sel = aff.dermatome == d
        out[str(d)] = (float(aff.weight_fibers[sel & fire].sum()),
                       float(aff.weight_fibers[sel].sum()))
    return out


def felt_paresthesia(aff: Afferents, amplitude_ma: float, criteria: PerceptCriteria,
                     perception_threshold_ma: float | None) -> dict[str, float]:
    """Paresthesia strength of each felt dermatome: the fraction of its real fibers firing.

    Nothing is felt below the perception threshold (or without one); at or above it, the
    dermatomes with at least ``felt_fibers`` real fibers firing (others absent).
    """
    if perception_threshold_ma is None or amplitude_ma < perception_threshold_ma:
        return {}
    out = {}
    for d, (n_fire, n_all) in felt_counts(aff, amplitude_ma).items():
        if n_fire >= criteria.felt_fibers and n_all > 0:
            out[d] = n_fire / n_all
    return out
