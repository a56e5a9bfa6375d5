"""The SCS fiber population: dorsal-column fibers followed by the dorsal roots near the lead."""

from __future__ import annotations

from neuraxis.fibers.dorsal_column import dorsal_column_fibers
from neuraxis.fibers.dorsal_root import dorsal_root_fibers
from neuraxis.fibers.fiberset import FiberSet


def scs_fibers(anatomy, *, n_dc: int, n_dr_per_root: int, seed: int,
               z_center_mm: float, n_dlc: int = 0) -> FiberSet:
    """Dorsal-column fibers, then dorsal-root fibers centred on ``z_center_mm``.

    The population ``neuraxis scs run`` evaluates (same draws: both samplers use
    ``seed``), and the one ``neuraxis field export --fibers`` writes.

    Parameters
    ----------
    anatomy : SpineAnatomy
    n_dc : int
        Dorsal-column fibers (:func:`neuraxis.fibers.dorsal_column_fibers`).
    n_dr_per_root : int
        Fibers per root and side (:func:`neuraxis.fibers.dorsal_root_fibers`).
    seed : int
        Seed of both samplers (>= 0).
    z_center_mm : float
        Centre of the dorsal-root selection, mm (``scs run``: the mean cathode z).
    n_dlc : int
        Superficial dorsolateral-column fibers, appended last (0: none;
        :func:`neuraxis.fibers.dorsolateral.dorsolateral_fibers`).
    """
    out = dorsal_column_fibers(anatomy, n_dc, seed=seed).concat(
        dorsal_root_fibers(anatomy, n_per_root=n_dr_per_root, seed=seed,
                           z_center_mm=z_center_mm))
    if n_dlc:
        from neuraxis.fibers.dorsolateral import dorsolateral_fibers

        out = out.concat(dorsolateral_fibers(anatomy, n_dlc, seed=seed))
    return out
