"""Batched implicit integration of double-cable fibers: shared definitions.

Both backends solve, every time step, the backward-Euler (BE) system of the
double cable with the node channels linearised at frozen gates (exact for
this linear-in-V form), then advance the gates with NEURON's ``cnexp`` at the
new voltage (gates staggered half a step). Per compartment k, unknowns
``vi`` (intracellular) and ``vp`` (periaxonal), ``a = Cm/dt + g``:

* intracellular: ``(a + gi_l + gi_r) vi - a vp - gi_l vi_{k-1} - gi_r vi_{k+1}
  = Cm/dt vm + sum(g E)``
* periaxonal: ``-a vi + (a + Cmy/dt + Gmy + gp_l + gp_r) vp - gp_l vp_{k-1}
  - gp_r vp_{k+1} = -(rhs_i) + (Cmy/dt + Gmy) e_new + Cmy/dt (vp - e_old)``

The system is symmetric positive definite and block tridiagonal with 2x2
blocks and diagonal off-diagonal blocks. The extracellular potential of step n
is ``ve * amplitude * waveform[n]`` (the waveform sample of that step).

Backends are registered by name in :mod:`neuraxis.axons.backends`:
``'numpy'`` (reference; banded Cholesky per fiber, slow) and ``'numba'``
(compiled structure-of-arrays block-Thomas kernel, threads over fiber chunks).
``backend='auto'`` picks numba when it is installed (and logs its choice).
"""

from __future__ import annotations

import numpy as np

from neuraxis._logging import logger
from neuraxis.axons.backends import get_backend
from neuraxis.axons.backends._common import (
    QUIET_ABOVE_MV,
    QUIET_BELOW_MV,
    SimulationResult,
)
from neuraxis.axons.cable import CableBatch

__all__ = ["QUIET_ABOVE_MV", "QUIET_BELOW_MV", "SimulationResult", "simulate"]


def simulate(
    batch: CableBatch,
    ve_mv_per_ma: np.ndarray,
    amplitude_ma: np.ndarray,
    waveform: np.ndarray,
    dt_ms: float,
    *,
    detect_nodes: np.ndarray,
    v_detect_mv: float = 0.0,
    early_stop: bool = True,
    record: bool = False,
    predict_arrival: bool = False,
    temperature_c: float | None = None,
    backend: str = "auto",
) -> SimulationResult:
    """Simulate a batch of fibers under extracellular stimulation.

    Parameters
    ----------
    batch : CableBatch
        Fibers of one structure, stacked.
    ve_mv_per_ma : ndarray, shape (n_compartments, n_fibers)
        Extracellular potential per mA of electrode current (mV/mA).
    amplitude_ma : ndarray, shape (n_fibers,)
        Stimulus amplitude per fiber (mA, positive).
    waveform : ndarray, shape (n_steps,) or (n_steps, n_fibers)
        Dimensionless waveform value of each time step, shared or per fiber
        (see :meth:`neuraxis.axons.stimulus.Waveform.samples`).
    dt_ms : float
        Time step (ms).
    detect_nodes : ndarray of int
        Node indices (into the node list) where an action potential counts.
    v_detect_mv : float
        Membrane potential that counts as an action potential (mV).
    early_stop : bool
        Stop once every fiber has fired or, after the stimulus, has become
        quiescent (see ``QUIET_BELOW_MV``): the answer is then known.
    record : bool
        Keep the node membrane potentials of every step (memory heavy).
    predict_arrival : bool
        With ``early_stop``: also decide "fired" as soon as an action potential
        propagates freely, after the stimulus, towards a detection node that it will
        reach within the run (predicted from its speed, with a margin); the answer is
        the same, the run shorter. ``t_cross_ms`` then stops short of the detection
        nodes for those fibers. A speed option: a backend may ignore it (the NumPy
        reference does).
    temperature_c : float, optional
        Override the model temperature (deg C).
    backend : str
        ``'auto'`` or a name registered in :mod:`neuraxis.axons.backends`
        (``'numba'``, ``'numpy'``).

    Returns
    -------
    SimulationResult
    """
    run = get_backend(backend)
    from neuraxis.axons.channels import mechanism_params

    params = mechanism_params(batch.mechanism, temperature_c)
    nf = batch.n_fibers
    ve = np.ascontiguousarray(np.broadcast_to(ve_mv_per_ma, (batch.n_compartments, nf)),
                              dtype=float)
    amp = np.ascontiguousarray(np.broadcast_to(amplitude_ma, (nf,)), dtype=float)
    wave = np.asarray(waveform, dtype=float)
    if wave.ndim == 1:
        wave = wave[:, None]
    wave = np.ascontiguousarray(np.broadcast_to(wave, (wave.shape[0], nf)))
    det = np.asarray(detect_nodes, dtype=np.int64) % batch.node_index.size
    nonzero = wave != 0.0
    # first step after the last non-zero waveform sample, per fiber
    quiet_from = np.where(nonzero.any(axis=0),
                          wave.shape[0] - np.argmax(nonzero[::-1], axis=0), 0).astype(np.int64)
    logger.debug("simulating %d fibers with the %r backend", nf, backend)
    extra = {"predict_arrival": True} if predict_arrival else {}
    return run(batch, ve, amp, wave, float(dt_ms), det, float(v_detect_mv), early_stop, record,
               params, quiet_from, **extra)
