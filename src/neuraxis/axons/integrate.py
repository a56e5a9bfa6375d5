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

Backends: ``'numpy'`` (reference; banded Cholesky per fiber, slow) and
``'numba'`` (compiled structure-of-arrays block-Thomas kernel, threads over
fiber chunks). ``backend='auto'`` picks numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuraxis._logging import logger
from neuraxis._validate import check_option
from neuraxis.axons.cable import CableBatch

BACKENDS = ("auto", "numba", "numpy")

#: "Answer known" early stop for fibers that will not fire: after the stimulus
#: has ended, a fiber whose every node lies within [rest - QUIET_BELOW_MV,
#: rest + QUIET_ABOVE_MV] while its most depolarised node is repolarising is
#: decided "no action potential". Checked against full-length runs in
#: tests/unit/test_integrators.py (the thresholds agree to the bisection tolerance).
QUIET_BELOW_MV = 3.0
QUIET_ABOVE_MV = 8.0


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Output of a batched simulation.

    Attributes
    ----------
    fired : ndarray of bool, shape (n_fibers,)
        Whether an action potential reached any detection node (before the
        fiber was decided quiescent, if it was).
    t_cross_ms : ndarray, shape (n_nodes, n_fibers)
        First upward crossing of the detection voltage at every node (ms,
        linearly interpolated between steps), NaN where none.
    n_steps_run : int
        Time steps actually computed (early stopping may end sooner).
    vm_nodes_mv : ndarray or None, shape (n_steps + 1, n_nodes, n_fibers)
        Membrane potential at the nodes, if recorded.
    compartment_steps : int
        Work done: compartment-steps computed, padding lanes included (benchmarks).
    """

    fired: np.ndarray
    t_cross_ms: np.ndarray
    n_steps_run: int
    vm_nodes_mv: np.ndarray | None = None
    compartment_steps: int = 0


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
    temperature_c : float, optional
        Override the model temperature (deg C).
    backend : {'auto', 'numba', 'numpy'}
        Integrator backend.

    Returns
    -------
    SimulationResult
    """
    check_option("backend", backend, BACKENDS)
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
    if backend in ("auto", "numba"):
        from neuraxis.axons import integrate_numba

        return integrate_numba.simulate_numba(batch, ve, amp, wave, float(dt_ms), det,
                                              float(v_detect_mv), early_stop, record, params,
                                              quiet_from)
    logger.debug("simulating %d fibers with the NumPy reference backend", nf)
    from neuraxis.axons import integrate_numpy

    return integrate_numpy.simulate_numpy(batch, ve, amp, wave, float(dt_ms), det,
                                          float(v_detect_mv), early_stop, record, params,
                                          quiet_from)
