"""Thresholds of a fiber population for one program shape, and recruitment curves.

For a program *shape* (signed contact fractions, pulse width, waveform) the
extracellular potential along every fiber is ``amplitude x sum_i f_i basis_i``, so
each fiber has one threshold amplitude; recruitment at any amplitude is then a
comparison (``threshold <= amplitude``). That is what makes reprogramming cheap:
only a new shape needs new axon simulations.

Potentials come from the field basis at the compartment centres of each fiber's
MRG cable laid along its trajectory (:func:`neuraxis.fibers.compartment_points_mm`).
Fibers are grouped by node count (a short ladder of counts, so that the axon engine
batches many fibers of different diameters together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neuraxis._logging import logger
from neuraxis._validate import NeuraxisInputError
from neuraxis.perception.program import Program

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
    """

    threshold_ma: np.ndarray
    n_nodes: np.ndarray
    status: np.ndarray
    settings: dict

    def recruited(self, amplitude_ma: float) -> np.ndarray:
        """Boolean mask of the fibers firing at ``amplitude_ma``."""
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(self.threshold_ma, nan=np.inf) <= amplitude_ma


def _node_spacing_um(model: str, diameter_um: float) -> float:
    from neuraxis.axons import build_cable

    return build_cable(model, float(diameter_um), 5).node_spacing_um


def _fiber_windows(fibers, program: Program, contact_z_mm: dict) -> list[tuple[float, float]]:  # noqa: ANN001
    """Arc-length window (start, stop) in mm of each fiber that the cable should span.

    Dorsal-column fibers are straight along z: the window covers the active contacts
    plus ``DC_MARGIN_MM`` on each side (clipped to the path). Dorsal-root fibers use
    their whole path.
    """
    zs = [contact_z_mm[c] for c in program.contacts]
    z_lo, z_hi = min(zs) - DC_MARGIN_MM, max(zs) + DC_MARGIN_MM
    out = []
    for kind, path in zip(fibers.kind, fibers.paths_mm, strict=True):
        seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        if kind == "dc":
            z = path[:, 2]
            # arc length is monotonic in z along a straight DC path (either direction)
            a = np.interp(np.clip([z_lo, z_hi], z.min(), z.max()),
                          z if z[-1] > z[0] else z[::-1], arc if z[-1] > z[0] else arc[::-1])
            out.append((float(min(a)), float(max(a))))
        else:
            out.append((0.0, float(arc[-1])))
    return out


def program_thresholds(basis, fibers, program: Program, contact_z_mm: dict, *,  # noqa: ANN001
                       model: str = "mrg", rel_tol: float = 0.01,
                       max_ma: float = MAX_SEARCH_MA,
                       progress: Callable[[int, int], None] | None = None
                       ) -> ProgramThresholds:
    """Threshold (mA of total cathodic current) of every fiber for a program shape.

    Parameters
    ----------
    basis : neuraxis.field.FieldBasis
    fibers : neuraxis.fibers.FiberSet
    program : Program
        Its fractions, pulse width and waveform are used (not its amplitude).
    contact_z_mm : dict
        Contact name -> z of its centre (mm), to window the dorsal-column fibers.
    model : str
        Axon model (MRG).
    rel_tol : float
        Relative accuracy of each threshold (the search stops within it).
    max_ma : float
        Largest amplitude searched (mA).
    progress : callable, optional
        ``progress(done, total)`` as fibers finish.
    """
    from neuraxis.axons import build_cable, find_thresholds
    from neuraxis.fibers import compartment_points_mm

    n = len(fibers)
    if n == 0:
        raise NeuraxisInputError("Invalid fibers: the population is empty")
    windows = _fiber_windows(fibers, program, contact_z_mm)
    n_nodes = np.zeros(n, dtype=int)
    for i, d in enumerate(fibers.diameter_um):
        spacing_mm = _node_spacing_um(model, d) * 1e-3
        length = windows[i][1] - windows[i][0]
        fit = [k for k in NODE_LADDER if (k - 1) * spacing_mm <= length]
        if not fit:
            raise NeuraxisInputError(
                f"Invalid fibers: fiber {i} ({fibers.kind[i]}, {d:.1f} um) has a {length:.1f} mm "
                f"path, too short for {NODE_LADDER[0]} nodes ({(NODE_LADDER[0] - 1) * spacing_mm:.1f}"
                " mm)")
        n_nodes[i] = fit[-1]
    # potentials at every compartment, one probe call for the whole population
    cables = [build_cable(model, float(d), int(k)) for d, k in zip(fibers.diameter_um, n_nodes,
                                                                    strict=True)]
    points = [compartment_points_mm(path, cab.x_um, center_mm=0.5 * (w[0] + w[1]))
              for path, cab, w in zip(fibers.paths_mm, cables, windows, strict=True)]
    sizes = [p.shape[0] for p in points]
    v = basis.probe(np.concatenate(points), program=program.contacts) * 1e3  # mV per mA
    if not np.all(np.isfinite(v)):
        bad = np.flatnonzero(~np.isfinite(np.add.reduceat(v, np.cumsum([0, *sizes[:-1]]))))
        raise NeuraxisInputError(
            f"Invalid fibers: {bad.size} fiber(s) pass outside the field model or through the "
            f"lead (first: fiber {int(bad[0])}, {fibers.kind[bad[0]]})")
    ve = np.split(v, np.cumsum(sizes)[:-1])
    thr = np.full(n, np.nan)
    status = np.empty(n, dtype=object)
    done = 0
    for k in np.unique(n_nodes):
        idx = np.flatnonzero(n_nodes == k)
        base = done

        def report(d: int, total: int, base: int = base) -> None:
            if progress is not None:
                progress(base + d, n)

        # the program's signs are in the potentials: the pulse multiplies them by +amplitude
        res = find_thresholds(fibers.diameter_um[idx], pulse_width_us=program.pulse_width_us,
                              polarity="anodic", shape=program.waveform, model=model,
                              ve_mv_per_ma=[ve[i] for i in idx], n_nodes=int(k),
                              rel_tol=rel_tol, max_ma=max_ma, progress=report)
        thr[idx] = res.threshold_ma
        status[idx] = res.status
        done += idx.size
    if progress is not None:
        progress(n, n)
    logger.info("thresholds of %d fibers: %d fire below %g mA", n,
                int(np.isfinite(thr).sum()), max_ma)
    settings = {"model": model, "rel_tol": rel_tol, "max_ma": max_ma,
                "pulse_width_us": program.pulse_width_us, "waveform": program.waveform,
                "dc_margin_mm": DC_MARGIN_MM, "node_ladder": list(NODE_LADDER)}
    return ProgramThresholds(thr, n_nodes, status.astype(str), settings)


def recruitment_curve(threshold_ma: np.ndarray, amplitudes_ma: np.ndarray) -> np.ndarray:
    """Fraction of the fibers with ``threshold <= amplitude`` at each amplitude."""
    t = np.sort(np.nan_to_num(np.asarray(threshold_ma, float), nan=np.inf))
    if t.size == 0:
        return np.zeros(np.size(amplitudes_ma))
    return np.searchsorted(t, np.asarray(amplitudes_ma, float), side="right") / t.size
