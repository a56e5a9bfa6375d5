"""Compiled backend: vectorised structure-of-arrays block-Thomas kernel (numba).

Fibers are grouped in chunks of ``LANES`` and each chunk's data is one flat,
contiguous block: for compartment ``k`` the ``LANES`` fibers' values of every
quantity sit side by side. With unsigned indices and compile-time offsets, the
per-compartment loops over the fibers of a chunk compile to SIMD instructions
(AVX2/AVX-512); signed indices or many separate arrays keep LLVM from proving
the loads and stores independent and leave the code scalar (~4x slower).
Chunks run in parallel threads and each stops as soon as the answer is known for
all its fibers (early stop). Node gates advance with tabulated rates
(:func:`neuraxis.axons.channels.gate_table`; exact rates outside the table or
with ``USE_GATE_TABLES = False``). Equations: see
:mod:`neuraxis.axons.integrate`.
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit, prange

from neuraxis.axons.backends._common import (
    QUIET_ABOVE_MV,
    QUIET_BELOW_MV,
    SimulationResult,
)
from neuraxis.axons.cable import CableBatch
from neuraxis.axons.channels import (
    GATE_TABLE_STEP_MV,
    GATE_TABLE_V_MIN_MV,
    GATES,
    _vtrap_s,
    gate_table,
    make_axnode_rates,
    steady_gates,
    sweeney_rates,
)

_axnode_rates = njit(cache=True)(make_axnode_rates(njit(cache=True)(_vtrap_s)))
_sweeney_rates = njit(cache=True)(sweeney_rates)

#: Fibers per chunk: the SIMD lanes of the inner loops (threads take whole chunks).
LANES = 16
#: Tabulate the gate updates (True) or evaluate the exact rates every step (False).
USE_GATE_TABLES = True

_L = np.uint64(LANES)
# Per-compartment coefficient block (read only): offsets of each quantity:
# Cm/dt, g_pas, Cmy/dt, Cmy/dt + Gmy, and the axial conductances to k - 1.
_NQ = 6
_CM, _GPAS, _CMY, _CMG, _GLI, _GLP = (np.uint64(q * LANES) for q in range(_NQ))
_QSTRIDE = np.uint64(_NQ * LANES)
# Per-compartment work block: state, factors, node channel terms.
_NX = 9
_VM, _VP, _IA, _IB, _IC, _RI, _RP, _GN, _GEN = (np.uint64(q * LANES) for q in range(_NX))
_XSTRIDE = np.uint64(_NX * LANES)


@njit(cache=True, inline="always")
def _cnexp(x, a, b, dt):
    s = a + b
    inf = a / s
    return inf + (x - inf) * np.exp(-dt * s)


@njit(cache=True, inline="always", error_model="numpy")
def _sweep(n, coef, cb0, ve, vb0, x, sc, sc_old, e_pas):
    """One backward-Euler solve of a chunk: forward elimination, back substitution.

    Work rows are shifted by one (row 0 and row n + 1 are zero padding) and the
    coefficient block has a zero row n, so the neighbours of the first and last
    compartments need no branch.
    """
    for k in range(n):
        cb = cb0 + np.uint64(k) * _QSTRIDE
        xb = np.uint64(k + 1) * _XSTRIDE
        xp = np.uint64(k) * _XSTRIDE
        vb = vb0 + np.uint64(k) * _L
        for f in range(_L):
            cm = coef[cb + _CM + f]
            gpas = coef[cb + _GPAS + f]
            li = coef[cb + _GLI + f]
            lp = coef[cb + _GLP + f]
            a = cm + gpas + x[xb + _GN + f]
            dii = a + li + coef[cb + _QSTRIDE + _GLI + f]
            dpp = a + coef[cb + _CMG + f] + lp + coef[cb + _QSTRIDE + _GLP + f]
            ri = cm * x[xb + _VM + f] + gpas * e_pas + x[xb + _GEN + f]
            # periaxonal: (Cmy/dt + Gmy) e_new + Cmy/dt (vp - e_old), e = ve * scale
            rp = (-ri + ve[vb + f] * (coef[cb + _CMG + f] * sc[f] - coef[cb + _CMY + f] * sc_old[f])
                  + coef[cb + _CMY + f] * x[xb + _VP + f])
            dip = -a
            pa = x[xp + _IA + f]
            pb = x[xp + _IB + f]
            pc = x[xp + _IC + f]
            dii -= li * li * pa
            dip -= li * lp * pb
            dpp -= lp * lp * pc
            qi = x[xp + _RI + f]
            qp = x[xp + _RP + f]
            ri += li * (pa * qi + pb * qp)
            rp += lp * (pb * qi + pc * qp)
            inv = 1.0 / (dii * dpp - dip * dip)
            x[xb + _IA + f] = dpp * inv
            x[xb + _IB + f] = -dip * inv
            x[xb + _IC + f] = dii * inv
            x[xb + _RI + f] = ri
            x[xb + _RP + f] = rp
    # back substitution: x_k = inv(D'_k) (r'_k + M_{k+1} x_{k+1})
    for kk in range(n):
        k = n - 1 - kk
        cn = cb0 + np.uint64(k + 1) * _QSTRIDE
        xb = np.uint64(k + 1) * _XSTRIDE
        xn = np.uint64(k + 2) * _XSTRIDE
        for f in range(_L):
            ri = x[xb + _RI + f] + coef[cn + _GLI + f] * (x[xn + _VM + f] + x[xn + _VP + f])
            rp = x[xb + _RP + f] + coef[cn + _GLP + f] * x[xn + _VP + f]
            vik = x[xb + _IA + f] * ri + x[xb + _IB + f] * rp
            vpk = x[xb + _IB + f] * ri + x[xb + _IC + f] * rp
            x[xb + _VM + f] = vik - vpk
            x[xb + _VP + f] = vpk


#: Early "fired" decision (``simulate(predict_arrival=True)``): an action potential
#: that has crossed ``ARRIVAL_NODES + 1`` consecutive nodes in order, all after the
#: stimulus ended, at a steady pace, travels on to the detection node ahead of it; the
#: fiber is decided "fired" when the arrival predicted from its pace, plus
#: ``ARRIVAL_MARGIN_FRAC`` of the remaining travel time and ``ARRIVAL_MARGIN_MS``, falls
#: inside the run. Otherwise the run goes on and the detection node decides.
ARRIVAL_NODES = 3
ARRIVAL_MARGIN_FRAC = 0.25
ARRIVAL_MARGIN_MS = 0.05
ARRIVAL_STEADY = 1.1


@njit(cache=True)
def _arrives(t_cross, ff, det, k, t_stim_end_ms, t_end_ms):
    """Will the action potential of fiber ``ff`` reach a detection node before ``t_end_ms``?

    Yes when some front has crossed ``k + 1`` consecutive nodes in order, all after the
    stimulus, at a steady pace (node-to-node times within ``ARRIVAL_STEADY`` of each
    other: past the initiation zone, where the spread looks faster), and the slowest of
    those paces brings it to the detection node ahead well inside the run.
    """
    nn = t_cross.shape[0]
    for j in range(nn):
        tj = t_cross[j, ff]
        if np.isnan(tj):
            continue
        for d in (-1, 1):
            ok = True
            lo = np.inf
            hi = 0.0
            for i in range(k, 0, -1):  # the k nodes behind the front, in order
                jj = j - d * i
                if jj < 0 or jj >= nn:
                    ok = False
                    break
                a = t_cross[jj, ff]
                b = t_cross[jj + d, ff]
                if np.isnan(a) or a < t_stim_end_ms or not a < b:
                    ok = False
                    break
                lo = min(lo, b - a)
                hi = max(hi, b - a)
            if not ok or hi > lo * ARRIVAL_STEADY:
                continue
            ahead = -1
            for q in range(det.size):
                dist = (det[q] - j) * d
                if dist > 0 and (ahead < 0 or dist < ahead):
                    ahead = dist
            if ahead < 0:
                continue
            if tj + ahead * hi * (1.0 + ARRIVAL_MARGIN_FRAC) + ARRIVAL_MARGIN_MS < t_end_ms:
                return True
    return False


@njit(parallel=True, cache=True, error_model="numpy")
def _kernel(mech, n, coef, ve, node_idx, area_fac, amp, wave, dt, det, v_det, early_stop,
            params, state_v, state_g, fired_io, vmax_io, t_cross, quiet_step, step0, step1,
            e_pas, record, rec, quiet_from, quiet_lo, quiet_hi, table, tab_v0, tab_inv_h,
            arrive_k, early_io):
    """Advance every chunk from step ``step0`` to ``step1`` (or until its answers are known).

    The state travels in and out (``state_v``: vm and vp per compartment, ``state_g``:
    gates, ``fired_io``, ``vmax_io``, ``t_cross``, ``quiet_step``), so a run can be
    split into segments and the undecided fibers re-packed into fewer chunks between
    them (see :func:`simulate_numba`); the arithmetic of every step is unchanged.
    With ``arrive_k > 0``, a fiber is also decided "fired" once an action potential
    propagates freely towards a detection node and will reach it within the run
    (:func:`_arrives`; ``early_io`` marks those fibers).
    """
    nf = amp.size  # a multiple of LANES (padded)
    nn = node_idx.size
    ng = state_g.shape[1]
    n_chunks = nf // LANES
    tab_last = table.shape[0] - 1.0
    steps_run = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        f0 = c * LANES
        if early_stop:
            undecided = False
            for f in range(LANES):
                if not fired_io[f0 + f] and quiet_step[f0 + f] < 0:
                    undecided = True
            if not undecided:
                continue
        cb0 = np.uint64(c) * np.uint64(n + 1) * _QSTRIDE
        vb0 = np.uint64(c) * np.uint64(n) * _L
        x = np.zeros((n + 2) * _NX * LANES)
        for k in range(n):
            for f in range(LANES):
                x[(k + 1) * _NX * LANES + f] = state_v[c, k, 0, f]
                x[(k + 1) * _NX * LANES + LANES + f] = state_v[c, k, 1, f]
        gates = np.empty((ng, nn, LANES))
        for g in range(ng):
            gates[g, :, :] = state_g[c, g]
        vm_old_n = np.empty((nn, LANES))
        fired = np.empty(LANES, dtype=np.bool_)
        crossed = np.zeros(LANES, dtype=np.bool_)
        vmax_prev = np.empty(LANES)
        for f in range(LANES):
            fired[f] = fired_io[f0 + f]
            vmax_prev[f] = vmax_io[f0 + f]
        if record and step0 == 0:
            for j in range(nn):
                for f in range(LANES):
                    rec[0, j, f0 + f] = x[(node_idx[j] + 1) * _NX * LANES + f]
        run = step0
        sc = np.zeros(LANES)
        sc_old = np.zeros(LANES)
        if step0 > 0:
            for f in range(LANES):
                sc[f] = amp[f0 + f] * wave[step0 - 1, f0 + f]
        for step in range(step0, step1):
            for f in range(LANES):
                sc_old[f] = sc[f]
                sc[f] = amp[f0 + f] * wave[step, f0 + f]
            # node channel conductances with gates frozen over the step
            for j in range(nn):
                xb = (node_idx[j] + 1) * _NX * LANES
                for f in range(LANES):
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
                    x[xb + 7 * LANES + f] = gsum * area_fac[j, f0 + f]
                    x[xb + 8 * LANES + f] = ge * area_fac[j, f0 + f]
                    vm_old_n[j, f] = x[xb + f]
            _sweep(n, coef, cb0, ve, vb0, x, sc, sc_old, e_pas)
            # gates at the new voltage (cnexp), AP detection
            for j in range(nn):
                xb = (node_idx[j] + 1) * _NX * LANES
                for f in range(LANES):
                    v = x[xb + f]
                    u = (v - tab_v0) * tab_inv_h
                    if u >= 0.0 and u < tab_last:  # tabulated rates (see gate_table)
                        i = int(u)
                        w = u - i
                        for g in range(ng):
                            inf = table[i, 2 * g] + w * (table[i + 1, 2 * g] - table[i, 2 * g])
                            dec = table[i, 2 * g + 1] + w * (table[i + 1, 2 * g + 1]
                                                             - table[i, 2 * g + 1])
                            gates[g, j, f] = inf + (gates[g, j, f] - inf) * dec
                    elif mech == 0:
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
                        crossed[f] = True
                    if record:
                        rec[step + 1, j, f0 + f] = v
            run = step + 1
            all_done = True
            for f in range(LANES):
                ff = f0 + f
                was_crossed = crossed[f]
                crossed[f] = False
                if not fired[f]:
                    for d in range(det.size):
                        if not np.isnan(t_cross[det[d], ff]):
                            fired[f] = True
                if fired[f] or quiet_step[ff] >= 0:
                    continue
                if was_crossed and arrive_k > 0 and run > quiet_from[ff] + arrive_k:
                    if _arrives(t_cross, ff, det, arrive_k, quiet_from[ff] * dt,
                                wave.shape[0] * dt):
                        fired[f] = True
                        early_io[ff] = True
                        continue
                all_done = False
                if run >= quiet_from[ff]:
                    vmax = -np.inf
                    vmin = np.inf
                    for j in range(nn):
                        v = x[(node_idx[j] + 1) * _NX * LANES + f]
                        vmax = max(vmax, v)
                        vmin = min(vmin, v)
                    if vmin > quiet_lo and vmax < quiet_hi and vmax < vmax_prev[f]:
                        quiet_step[ff] = run
                    vmax_prev[f] = vmax
            if early_stop and all_done:
                break
        steps_run[c] = run - step0
        for k in range(n):
            for f in range(LANES):
                state_v[c, k, 0, f] = x[(k + 1) * _NX * LANES + f]
                state_v[c, k, 1, f] = x[(k + 1) * _NX * LANES + LANES + f]
        for g in range(ng):
            state_g[c, g] = gates[g]
        for f in range(LANES):
            fired_io[f0 + f] = fired[f]
            vmax_io[f0 + f] = vmax_prev[f]
    return steps_run


_TABLES: dict = {}


def _gate_table(mechanism: str, params: np.ndarray, dt: float) -> tuple[np.ndarray, float, float]:
    """Cached :func:`channels.gate_table`; an empty table selects the exact rates."""
    if not USE_GATE_TABLES:
        return np.zeros((0, 2 * len(GATES[mechanism]))), 0.0, 0.0
    key = (mechanism, params.tobytes(), dt)
    if key not in _TABLES:
        if len(_TABLES) >= 8:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = gate_table(mechanism, params, dt)
    return _TABLES[key], GATE_TABLE_V_MIN_MV, 1.0 / GATE_TABLE_STEP_MV


def _chunked(a: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """(..., n, n_fibers) -> flat blocks (chunk, n, ..., LANES), fibers padded by ``pad``."""
    a = a[..., pad]
    lead = a.shape[:-2]
    n = a.shape[-2]
    a = a.reshape(*lead, n, -1, LANES)  # (..., n, chunk, lane)
    a = np.moveaxis(a, -2, 0)  # (chunk, ..., n, lane)
    if lead:
        a = np.moveaxis(a, 1, 2)  # (chunk, n, q, lane)
    return np.ascontiguousarray(a).reshape(-1)


#: Optional re-packing (off by default): run an early-stopped simulation in segments of
#: this many ms (at least ``REPACK_MIN_STEPS`` steps) after the last stimulus sample and
#: re-pack the undecided fibers into fewer chunks between segments, so a chunk no longer
#: runs on for fibers already decided. Bit-identical answers; it cuts the work of the SCS
#: benchmark by 12-17 %, but on the 2-core machine the extra parallel launches and state
#: copies ate the gain (wall time unchanged within the noise, benchmarks/RESULTS.md), so
#: ``None`` (one launch per simulation) is the default. Worth trying with more threads.
REPACK_EVERY_MS: float | None = None
REPACK_MIN_STEPS = 50


def _to_chunks(a: np.ndarray) -> np.ndarray:
    """(n_pad, ...) per lane -> (chunk, ..., LANES), contiguous."""
    a = a.reshape(-1, LANES, *a.shape[1:])
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def _from_chunks(a: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_to_chunks`: (chunk, ..., LANES) -> (n_pad, ...)."""
    a = np.moveaxis(a, -1, 1)
    return a.reshape(-1, *a.shape[2:])


def _segments(n_steps: int, quiet_from: np.ndarray, dt: float, repack: bool) -> list[int]:
    """Step boundaries of the segments: the stimulus, then every REPACK_EVERY_MS."""
    if not repack or REPACK_EVERY_MS is None:
        return [0, n_steps]
    every = max(REPACK_MIN_STEPS, round(REPACK_EVERY_MS / dt))
    first = int(min(max(int(quiet_from.max()), 1), n_steps))
    return [0, *range(first, n_steps, every), n_steps]


def simulate_numba(batch: CableBatch, ve: np.ndarray, amp: np.ndarray, wave: np.ndarray,
                   dt: float, det: np.ndarray, v_det: float, early_stop: bool, record: bool,
                   params: np.ndarray, quiet_from: np.ndarray,
                   predict_arrival: bool = False) -> SimulationResult:
    """Run the compiled integrator (arguments as :func:`neuraxis.axons.integrate.simulate`).

    With ``early_stop`` and :data:`REPACK_EVERY_MS` set, the run is split into
    segments; between segments the fibers whose answer is known leave and the rest
    are re-packed into chunks of ``LANES`` (crossings after a fiber's answer is known
    are then not recorded; they do not change the answer).
    """
    n, nf = batch.c_m_nf.shape
    cm_dt = batch.c_m_nf / dt
    cmy_dt = batch.c_my_nf / dt
    # rows 0..n-1: compartments; row n: zeros (no neighbour after the last one)
    coef = np.zeros((_NQ, n + 1, nf))
    coef[0, :n] = cm_dt
    coef[1, :n] = batch.g_pas_us
    coef[2, :n] = cmy_dt
    coef[3, :n] = cmy_dt + batch.g_my_us
    coef[4, 1:n] = batch.g_i_us  # coupling of compartment k to k - 1 (0 for the first)
    coef[5, 1:n] = batch.g_p_us
    gates0 = steady_gates(batch.mechanism, batch.v_rest_mv, params).astype(float)
    nn = batch.node_index.size
    n_steps = wave.shape[0]
    mech = 0 if batch.mechanism == "axnode" else 1
    node_idx = batch.node_index.astype(np.int64)
    table = _gate_table(batch.mechanism, params, dt)
    # per-fiber state between segments
    sv = np.zeros((nf, n, 2))
    sv[:, :, 0] = batch.v_rest_mv
    sg = np.repeat(gates0[None, :, None], nf, axis=0).repeat(nn, axis=2)
    fired = np.zeros(nf, dtype=np.bool_)
    vmax = np.full(nf, np.inf)
    t_cross = np.full((nn, nf), np.nan)
    quiet = np.full(nf, -1, dtype=np.int64)
    early = np.zeros(nf, dtype=np.bool_)
    arrive_k = ARRIVAL_NODES if (predict_arrival and early_stop and not record) else 0
    rec = np.empty((n_steps + 1, nn, -(-nf // LANES) * LANES) if record else (1, 1, 1))
    bounds = _segments(n_steps, quiet_from, dt, early_stop and not record and nf > LANES)
    active = np.arange(nf)
    work = 0
    n_run = 0
    lanes, m, st = None, 0, {}
    for s0, s1 in itertools.pairwise(bounds):
        if early_stop:
            active = active[~(fired[active] | (quiet[active] >= 0))]
        if active.size == 0:
            break
        n_pad = -(-active.size // LANES) * LANES
        if lanes is None or n_pad < lanes.size:  # (re)pack: fewer chunks than before
            if lanes is not None:
                _store(lanes, m, st, sv, sg, vmax, t_cross)
            m = active.size
            lanes = active[np.minimum(np.arange(n_pad), m - 1)]  # extra lanes repeat the last
            st = {"v": _to_chunks(sv[lanes]), "g": _to_chunks(sg[lanes]),
                  "fired": fired[lanes], "vmax": vmax[lanes],
                  "t_cross": np.ascontiguousarray(t_cross[:, lanes]), "quiet": quiet[lanes],
                  "early": early[lanes]}
            fixed = (_chunked(coef, lanes), _chunked(ve, lanes), node_idx,
                     np.ascontiguousarray(batch.node_area_um2[:, lanes] * 1e-2),
                     np.ascontiguousarray(amp[lanes]), np.ascontiguousarray(wave[:, lanes]))
            qf = np.ascontiguousarray(quiet_from[lanes])
        steps_run = _kernel(
            mech, n, *fixed, dt, det, v_det, early_stop, params, st["v"], st["g"],
            st["fired"], st["vmax"], st["t_cross"], st["quiet"], s0, s1, batch.e_pas_mv,
            record, rec, qf, batch.v_rest_mv - QUIET_BELOW_MV, batch.v_rest_mv + QUIET_ABOVE_MV,
            *table, arrive_k, st["early"])
        work += int(steps_run.sum()) * LANES * n
        if steps_run.size:
            n_run = max(n_run, s0 + int(steps_run.max()))
        fired[lanes[:m]] = st["fired"][:m]  # the answers so far (the rest waits for a repack)
        quiet[lanes[:m]] = st["quiet"][:m]
        early[lanes[:m]] = st["early"][:m]
    if lanes is not None:
        _store(lanes, m, st, sv, sg, vmax, t_cross)
    t_quiet = np.where(quiet >= 0, quiet * dt, np.inf)
    fired_out = np.any(t_cross[det] < t_quiet, axis=0) | early
    vm_rec = rec[: n_run + 1, :, :nf] if record else None
    return SimulationResult(fired_out, t_cross, n_run, vm_rec, work)


def _store(lanes: np.ndarray, m: int, st: dict, sv: np.ndarray, sg: np.ndarray,
           vmax: np.ndarray, t_cross: np.ndarray) -> None:
    """Copy the state of the first ``m`` lanes (the real fibers) back per fiber."""
    idx = lanes[:m]
    sv[idx] = _from_chunks(st["v"])[:m]
    sg[idx] = _from_chunks(st["g"])[:m]
    vmax[idx] = st["vmax"][:m]
    t_cross[:, idx] = st["t_cross"][:, :m]
