"""Threshold results of a fiber population for one program shape, and recruitment curves.

For a program *shape* (signed contact fractions, pulse width, waveform) the
extracellular potential along every fiber is ``amplitude x sum_i f_i basis_i``, so
each fiber has one threshold amplitude; recruitment at any amplitude is then a
comparison (``threshold <= amplitude``). That is what makes reprogramming cheap:
only a new shape needs new axon simulations.

The thresholds are computed by :meth:`neuraxis.perception.session.ScsSession.program_thresholds`:
potentials from the field basis at the compartment centres of each fiber's MRG cable
laid along its trajectory (:func:`neuraxis.fibers.compartment_points_mm`); fibers
grouped by node count (a short ladder of counts, so that the axon engine batches many
fibers of different diameters together).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Node counts a fiber may get (the largest that fits its window is used).
NODE_LADDER = (21, 31, 41, 61, 81, 101)
#: Extent of a dorsal-column fiber beyond the outermost active contacts (mm, each side).
DC_MARGIN_MM = 20.0
#: Largest amplitude searched (mA); fibers that do not fire below it are 'not recruited'.
MAX_SEARCH_MA = 30.0


@dataclass(frozen=True)
class ProgramThresholds:
    """Threshold of every fiber for one program shape.

    Attributes
    ----------
    threshold_ma : ndarray (n,)
        Total cathodic current (mA) at which the fiber fires; NaN if not below
        ``max_ma``.
    n_nodes : ndarray of int (n,)
    status : ndarray of str (n,)
    settings : dict
    initiation_arc_mm : ndarray (n,)
        Arc length along the fiber's path (mm from its first point) of the node where
        its action potential starts at threshold; NaN where it never fires.
    site : ndarray of str (n,)
        Where that is: 'dc', 'drez' or 'root'
        (:func:`neuraxis.perception.percept.initiation_sites`); '' where it never fires.
    """

    threshold_ma: np.ndarray
    n_nodes: np.ndarray
    status: np.ndarray
    settings: dict
    initiation_arc_mm: np.ndarray | None = None
    site: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.threshold_ma).size
        if self.initiation_arc_mm is None:
            object.__setattr__(self, "initiation_arc_mm", np.full(n, np.nan))
        if self.site is None:
            fired = np.isfinite(np.asarray(self.threshold_ma, dtype=float))
            object.__setattr__(self, "site", np.where(fired, "dc", ""))

    def recruited(self, amplitude_ma: float) -> np.ndarray:
        """Boolean mask of the fibers firing at ``amplitude_ma``."""
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(self.threshold_ma, nan=np.inf) <= amplitude_ma


def recruitment_curve(threshold_ma: np.ndarray, amplitudes_ma: np.ndarray,
                      weight_fibers: np.ndarray | None = None) -> np.ndarray:
    """Fraction of the fibers (weighted by ``weight_fibers``, real fibers per sampled
    fiber, if given) with ``threshold <= amplitude`` at each amplitude."""
    t = np.nan_to_num(np.asarray(threshold_ma, float), nan=np.inf)
    if t.size == 0:
        return np.zeros(np.size(amplitudes_ma))
    w = np.ones(t.size) if weight_fibers is None else np.asarray(weight_fibers, float)
    order = np.argsort(t)
    cum = np.concatenate([[0.0], np.cumsum(w[order])])
    k = np.searchsorted(t[order], np.asarray(amplitudes_ma, float), side="right")
    return cum[k] / cum[-1] if cum[-1] > 0 else np.zeros(k.size)
