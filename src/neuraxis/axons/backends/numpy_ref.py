"""NumPy reference backend: banded Cholesky solve per fiber, vectorised channels.

Deliberately plain and independent of the compiled kernel's block-Thomas
elimination: the two are tested against each other (agreement within 0.1 %).
Equations: see :mod:`neuraxis.axons.integrate`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solveh_banded

from neuraxis.axons.backends._common import (
    QUIET_ABOVE_MV,
    QUIET_BELOW_MV,
    SimulationResult,
)
from neuraxis.axons.cable import CableBatch
from neuraxis.axons.channels import conductances, steady_gates, step_gates


def simulate_numpy(batch: CableBatch, ve: np.ndarray, amp: np.ndarray, wave: np.ndarray,
                   dt: float, det: np.ndarray, v_det: float, early_stop: bool, record: bool,
                   params: np.ndarray, quiet_from: np.ndarray,
                   predict_arrival: bool = False) -> SimulationResult:
    """Run the reference integrator (arguments as :func:`integrate.simulate`)."""
    n, nf = batch.c_m_nf.shape
    nodes = batch.node_index
    nn = nodes.size
    vm = np.full((n, nf), batch.v_rest_mv)
    vp = np.zeros((n, nf))
    gates = np.repeat(steady_gates(batch.mechanism, batch.v_rest_mv, params)[:, None, None],
                      nn, axis=1).repeat(nf, axis=2)
    cm_dt = batch.c_m_nf / dt
    cmy_dt = batch.c_my_nf / dt
    gi, gp = batch.g_i_us, batch.g_p_us
    gi_sum = np.zeros((n, nf))
    gi_sum[:-1] += gi
    gi_sum[1:] += gi
    gp_sum = np.zeros((n, nf))
    gp_sum[:-1] += gp
    gp_sum[1:] += gp
    area_fac = batch.node_area_um2 * 1e-2  # S/cm2 -> uS
    t_cross = np.full((nn, nf), np.nan)
    rec = [vm[nodes].copy()] if record else None
    e_old = np.zeros((n, nf))
    n_run = 0
    quiet_step = np.full(nf, -1)
    vmax_prev = np.full(nf, np.inf)
    # upper banded storage for interleaved unknowns (vi0, vp0, vi1, vp1, ...), bandwidth 2
    ab = np.zeros((3, 2 * n))
    for step in range(wave.shape[0]):
        e_new = ve * (amp * wave[step])
        a = cm_dt + batch.g_pas_us
        r_i = cm_dt * vm + batch.g_pas_us * batch.e_pas_mv
        gsum, ge = conductances(batch.mechanism, vm[nodes], gates, params)
        a[nodes] = cm_dt[nodes] + gsum * area_fac
        r_i[nodes] = cm_dt[nodes] * vm[nodes] + ge * area_fac
        r_p = -r_i + (cmy_dt + batch.g_my_us) * e_new + cmy_dt * (vp - e_old)
        d_i = a + gi_sum
        d_p = a + cmy_dt + batch.g_my_us + gp_sum
        vm_new = np.empty_like(vm)
        vp_new = np.empty_like(vp)
        for f in range(nf):
            ab[2, 0::2] = d_i[:, f]
            ab[2, 1::2] = d_p[:, f]
            ab[1, 1::2] = -a[:, f]  # (vi_k, vp_k) coupling, one above the diagonal
            ab[1, 2::2] = 0.0
            ab[0, 2::2] = -gi[:, f]  # vi_k - vi_{k+1}: two above the diagonal
            ab[0, 3::2] = -gp[:, f]  # vp_k - vp_{k+1}
            rhs = np.empty(2 * n)
            rhs[0::2] = r_i[:, f]
            rhs[1::2] = r_p[:, f]
            x = solveh_banded(ab, rhs, check_finite=False)
            vp_new[:, f] = x[1::2]
            vm_new[:, f] = x[0::2] - x[1::2]
        gates = step_gates(batch.mechanism, vm_new[nodes], gates, params, dt)
        up = (vm[nodes] < v_det) & (vm_new[nodes] >= v_det) & np.isnan(t_cross)
        if up.any():
            frac = (v_det - vm[nodes]) / (vm_new[nodes] - vm[nodes])
            t_cross = np.where(up, (step + frac) * dt, t_cross)
        vm, vp, e_old = vm_new, vp_new, e_new
        n_run = step + 1
        if record:
            rec.append(vm[nodes].copy())
        fired_now = np.any(np.isfinite(t_cross[det]), axis=0)
        vmax = vm[nodes].max(axis=0)
        quiet = ((n_run >= quiet_from) & (quiet_step < 0) & ~fired_now
                 & (vm[nodes].min(axis=0) > batch.v_rest_mv - QUIET_BELOW_MV)
                 & (vmax < batch.v_rest_mv + QUIET_ABOVE_MV) & (vmax < vmax_prev))
        quiet_step[quiet] = n_run
        vmax_prev = vmax
        if early_stop and np.all(fired_now | (quiet_step >= 0)):
            break
    t_quiet = np.where(quiet_step >= 0, quiet_step * dt, np.inf)
    fired = np.any(t_cross[det] < t_quiet, axis=0)
    return SimulationResult(fired, t_cross, n_run, np.array(rec) if record else None,
                            n_run * n * nf)
