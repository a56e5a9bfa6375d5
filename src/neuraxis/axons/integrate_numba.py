"""Compiled backend: structure-of-arrays block-Thomas kernel (numba).

Fibers are the innermost (contiguous) axis so the compartment loops vectorise;
fiber chunks run in parallel threads. Each chunk stops as soon as all of its
fibers have fired (early stop). Equations: see :mod:`neuraxis.axons.integrate`;
the rate functions are the very source of :mod:`neuraxis.axons.channels`,
compiled for scalars.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from neuraxis.axons.cable import CableBatch
from neuraxis.axons.channels import _vtrap_s, make_axnode_rates, steady_gates, sweeney_rates
from neuraxis.axons.integrate import QUIET_ABOVE_MV, QUIET_BELOW_MV, SimulationResult

_axnode_rates = njit(cache=True)(make_axnode_rates(njit(cache=True)(_vtrap_s)))
_sweeney_rates = njit(cache=True)(sweeney_rates)

#: Fibers per chunk (threads take whole chunks); tuned on a 2-core x86 machine.
CHUNK = 16


@njit(cache=True, inline="always")
def _cnexp(x, a, b, dt):  # noqa: ANN001, ANN202
    s = a + b
    inf = a / s
    return inf + (x - inf) * np.exp(-dt * s)


@njit(parallel=True, cache=True, fastmath=False)
def _kernel(mech, dii0, dpp0, a0, cm_dt, cmy_dt, gmy, gpe, g_i, g_p, node_idx, area_fac,
            ve, amp, wave, dt, det, v_det, early_stop, params, gates0, v_rest, chunk,
            record, rec, quiet_from, quiet_lo, quiet_hi):  # noqa: ANN001, ANN202
    n, nf = dii0.shape
    nn = node_idx.size
    ng = gates0.size
    n_steps = wave.shape[0]
    n_chunks = (nf + chunk - 1) // chunk
    t_cross = np.full((nn, nf), np.nan)
    steps_run = np.zeros(n_chunks, dtype=np.int64)
    quiet_step = np.full(nf, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    for j in range(nn):
        slot[node_idx[j]] = j
    for c in prange(n_chunks):
        f0 = c * chunk
        f1 = min(nf, f0 + chunk)
        m = f1 - f0
        vm = np.full((n, m), v_rest)
        vp = np.zeros((n, m))
        e_old = np.zeros((n, m))
        ia = np.empty((n, m))
        ib = np.empty((n, m))
        ic = np.empty((n, m))
        rr_i = np.empty((n, m))
        rr_p = np.empty((n, m))
        gates = np.empty((ng, nn, m))
        for g in range(ng):
            gates[g, :, :] = gates0[g]
        gn = np.empty((nn, m))  # node conductance (uS)
        gen = np.empty((nn, m))  # node sum g*E (nA)
        vm_old_n = np.empty((nn, m))
        fired = np.zeros(m, dtype=np.bool_)
        vmax_prev = np.full(m, np.inf)
        if record:
            for j in range(nn):
                for f in range(m):
                    rec[0, j, f0 + f] = v_rest
        run = 0
        sc = np.empty(m)
        for step in range(n_steps):
            for f in range(m):
                sc[f] = amp[f0 + f] * wave[step, f0 + f]
            # node channel conductances with gates frozen over the step
            for j in range(nn):
                k = node_idx[j]
                for f in range(m):
                    if mech == 0:
                        mm, hh, pp, ss = gates[0, j, f], gates[1, j, f], gates[2, j, f], \
                            gates[3, j, f]
                        gna = params[0] * mm * mm * mm * hh
                        gnap = params[1] * pp * pp * pp
                        gk = params[2] * ss
                        gsum = gna + gnap + gk + params[3]
                        ge = (gna + gnap) * params[4] + gk * params[5] + params[3] * params[6]
                    else:
                        mm, hh = gates[0, j, f], gates[1, j, f]
                        gna = params[0] * mm * mm * hh
                        gsum = gna + params[1]
                        ge = gna * params[2] + params[1] * params[3]
                    gn[j, f] = gsum * area_fac[j, f0 + f]
                    gen[j, f] = ge * area_fac[j, f0 + f]
                    vm_old_n[j, f] = vm[k, f]
            # forward elimination
            for k in range(n):
                s = slot[k]
                for f in range(m):
                    ff = f0 + f
                    en = ve[k, ff] * sc[f]
                    if s >= 0:
                        a = a0[k, ff] + gn[s, f]
                        ri = cm_dt[k, ff] * vm[k, f] + gen[s, f]
                        dii = dii0[k, ff] + gn[s, f]
                        dpp = dpp0[k, ff] + gn[s, f]
                    else:
                        a = a0[k, ff]
                        ri = cm_dt[k, ff] * vm[k, f] + gpe[k, ff]
                        dii = dii0[k, ff]
                        dpp = dpp0[k, ff]
                    rp = -ri + (cmy_dt[k, ff] + gmy[k, ff]) * en \
                        + cmy_dt[k, ff] * (vp[k, f] - e_old[k, f])
                    e_old[k, f] = en
                    dip = -a
                    if k > 0:
                        li = g_i[k - 1, ff]
                        lp = g_p[k - 1, ff]
                        pa = ia[k - 1, f]
                        pb = ib[k - 1, f]
                        pc = ic[k - 1, f]
                        dii -= li * li * pa
                        dip -= li * lp * pb
                        dpp -= lp * lp * pc
                        qi = rr_i[k - 1, f]
                        qp = rr_p[k - 1, f]
                        ri += li * (pa * qi + pb * qp)
                        rp += lp * (pb * qi + pc * qp)
                    det_ = dii * dpp - dip * dip
                    ia[k, f] = dpp / det_
                    ib[k, f] = -dip / det_
                    ic[k, f] = dii / det_
                    rr_i[k, f] = ri
                    rr_p[k, f] = rp
            # back substitution: x_k = inv(D'_k) (r'_k + M_{k+1} x_{k+1})
            for k in range(n - 1, -1, -1):
                for f in range(m):
                    ff = f0 + f
                    ri = rr_i[k, f]
                    rp = rr_p[k, f]
                    if k < n - 1:
                        ri += g_i[k, ff] * (vm[k + 1, f] + vp[k + 1, f])
                        rp += g_p[k, ff] * vp[k + 1, f]
                    vik = ia[k, f] * ri + ib[k, f] * rp
                    vpk = ib[k, f] * ri + ic[k, f] * rp
                    vm[k, f] = vik - vpk
                    vp[k, f] = vpk
            # gates at the new voltage (cnexp), AP detection
            for j in range(nn):
                k = node_idx[j]
                for f in range(m):
                    v = vm[k, f]
                    if mech == 0:
                        am, bm, ah, bh, ap, bp, as_, bs = _axnode_rates(v, params[7:11])
                        gates[0, j, f] = _cnexp(gates[0, j, f], am, bm, dt)
                        gates[1, j, f] = _cnexp(gates[1, j, f], ah, bh, dt)
                        gates[2, j, f] = _cnexp(gates[2, j, f], ap, bp, dt)
                        gates[3, j, f] = _cnexp(gates[3, j, f], as_, bs, dt)
                    else:
                        am, bm, ah, bh = _sweeney_rates(v)
                        gates[0, j, f] = _cnexp(gates[0, j, f], am, bm, dt)
                        gates[1, j, f] = _cnexp(gates[1, j, f], ah, bh, dt)
                    vo = vm_old_n[j, f]
                    if vo < v_det and v >= v_det and np.isnan(t_cross[j, f0 + f]):
                        t_cross[j, f0 + f] = (step + (v_det - vo) / (v - vo)) * dt
                    if record:
                        rec[step + 1, j, f0 + f] = v
            run = step + 1
            all_done = True
            for f in range(m):
                ff = f0 + f
                if not fired[f]:
                    for d in range(det.size):
                        if not np.isnan(t_cross[det[d], ff]):
                            fired[f] = True
                if fired[f] or quiet_step[ff] >= 0:
                    continue
                all_done = False
                if run >= quiet_from[ff]:
                    vmax = -np.inf
                    vmin = np.inf
                    for j in range(nn):
                        v = vm[node_idx[j], f]
                        vmax = max(vmax, v)
                        vmin = min(vmin, v)
                    if vmin > quiet_lo and vmax < quiet_hi and vmax < vmax_prev[f]:
                        quiet_step[ff] = run
                    vmax_prev[f] = vmax
            if early_stop and all_done:
                break
        steps_run[c] = run
    return t_cross, steps_run, quiet_step


def simulate_numba(batch: CableBatch, ve: np.ndarray, amp: np.ndarray, wave: np.ndarray,
                   dt: float, det: np.ndarray, v_det: float, early_stop: bool, record: bool,
                   params: np.ndarray, quiet_from: np.ndarray) -> SimulationResult:
    """Run the compiled integrator (arguments as :func:`integrate.simulate`)."""
    n, nf = batch.c_m_nf.shape
    cm_dt = batch.c_m_nf / dt
    cmy_dt = batch.c_my_nf / dt
    gi_sum = np.zeros((n, nf))
    gi_sum[:-1] += batch.g_i_us
    gi_sum[1:] += batch.g_i_us
    gp_sum = np.zeros((n, nf))
    gp_sum[:-1] += batch.g_p_us
    gp_sum[1:] += batch.g_p_us
    a0 = cm_dt + batch.g_pas_us
    dii0 = np.ascontiguousarray(a0 + gi_sum)
    dpp0 = np.ascontiguousarray(a0 + cmy_dt + batch.g_my_us + gp_sum)
    gpe = np.ascontiguousarray(batch.g_pas_us * batch.e_pas_mv)
    gates0 = steady_gates(batch.mechanism, batch.v_rest_mv, params).astype(float)
    nn = batch.node_index.size
    rec = np.empty((wave.shape[0] + 1, nn, nf) if record else (1, 1, 1))
    mech = 0 if batch.mechanism == "axnode" else 1
    t_cross, steps_run, quiet_step = _kernel(
        mech, dii0, dpp0, np.ascontiguousarray(a0), np.ascontiguousarray(cm_dt),
        np.ascontiguousarray(cmy_dt), np.ascontiguousarray(batch.g_my_us), gpe,
        batch.g_i_us, batch.g_p_us, batch.node_index.astype(np.int64),
        np.ascontiguousarray(batch.node_area_um2 * 1e-2), ve, amp, wave, dt, det, v_det,
        early_stop, params, gates0, batch.v_rest_mv, CHUNK, record, rec, quiet_from,
        batch.v_rest_mv - QUIET_BELOW_MV, batch.v_rest_mv + QUIET_ABOVE_MV)
    t_quiet = np.where(quiet_step >= 0, quiet_step * dt, np.inf)
    fired = np.any(t_cross[det] < t_quiet, axis=0)
    n_run = int(steps_run.max()) if steps_run.size else 0
    vm_rec = rec[: n_run + 1] if record else None
    return SimulationResult(fired, t_cross, n_run, vm_rec)
