"""What every integrator backend shares: its result type and the quiescence rule.

Kept apart from :mod:`neuraxis.axons.integrate` (the dispatcher) so that backends
import this module and never the dispatcher: no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
