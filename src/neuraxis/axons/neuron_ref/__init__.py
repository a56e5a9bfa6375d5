"""NEURON reference implementation of the MRG myelinated axon model.

An independent check of the neuraxis integrators: the same fiber (geometry and
passive constants from :mod:`neuraxis.axons.models.mrg`) is built in NEURON the
way ``MRGaxon.hoc`` (ModelDB 3810) builds it, with the node membrane from our
own ``AXNODE.mod`` (suffix ``nxaxnode``, written from McIntyre, Richardson &
Grill 2002, J Neurophysiol 87:995, doi:10.1152/jn.00353.2001).

Conventions
-----------
* One section per compartment (nseg = 1), node first, chained ``child(0)`` to
  ``parent(1)``. The fiber runs along z; section centres along the fiber are
  the path distances from the first node centre (``MRGFiber.x_um``), equal to
  :func:`neuraxis.axons.cable.build_mrg_cable` ``.x_um``. No 3-D points are
  set (NEURON stores them in single precision, which would perturb ``L``).
* Fixed step backward Euler (``secondorder = 0``), no CVODE, 37 degC.
* Extracellular potential of section k during time step n (from ``n dt`` to
  ``(n + 1) dt``) is ``amplitude_ma * ve_mv_per_ma[k] * waveform_samples[n]``.
  NEURON's fixed step evaluates continuous ``Vector.play`` at ``t + dt/2`` for
  the matrix set-up, so a step function with breakpoints on the step grid
  gives step n exactly ``waveform_samples[n]``; :func:`_simulate_loop` sets
  ``e_extracellular`` by hand before every ``fadvance`` and is the check.

NEURON is optional: it is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neuraxis.axons import cable as _cable
from neuraxis.axons import stimulus, threshold
from neuraxis.axons.backends._common import QUIET_ABOVE_MV, QUIET_BELOW_MV
from neuraxis.axons.models import mrg
from neuraxis.axons.neuron_ref._build import TEMPERATURE_C, MRGFiber, build_mrg
from neuraxis.axons.neuron_ref._compile import MOD_FILE, SUFFIX, _h, compile_mechanisms

__all__ = ["MOD_FILE", "SUFFIX", "MRGFiber", "build_mrg", "compile_mechanisms",
           "conduction_velocity", "find_threshold", "find_thresholds", "simulate"]

_CHUNK_MS = 0.05  # early-stop check interval


def _setup_run(fiber: MRGFiber, dt_us: float, detect_nodes: Sequence[int],
               v_detect_mv: float, record: bool) -> tuple[list[Any], list[Any]]:
    h = _h()
    h.CVode().active(0)
    h.secondorder = 0
    h.celsius = TEMPERATURE_C
    h.dt = dt_us * 1e-3
    nodes = fiber.nodes
    apcs = []
    for i in detect_nodes:
        apc = h.APCount(nodes[i](0.5))
        apc.thresh = v_detect_mv
        apcs.append(apc)
    recs = []
    if record:
        recs = [h.Vector().record(sec(0.5)._ref_v) for sec in fiber.sections]
    return apcs, recs


def _result(apcs: list[Any], recs: list[Any]) -> dict[str, Any]:
    times = [apc.time for apc in apcs if apc.n > 0]
    out: dict[str, Any] = {"fired": bool(times),
                           "t_fire_ms": float(min(times)) if times else float("nan")}
    if recs:
        out["v_mv"] = np.array([r.as_numpy() for r in recs]).T.copy()
    return out


def _check_inputs(fiber: MRGFiber, ve_mv_per_ma: np.ndarray, waveform_samples: np.ndarray,
                  dt_us: float, tstop_ms: float) -> tuple[np.ndarray, np.ndarray, int]:
    ve = np.asarray(ve_mv_per_ma, dtype=float).reshape(-1)
    w = np.asarray(waveform_samples, dtype=float).reshape(-1)
    if ve.size != len(fiber.sections):
        raise ValueError(f"ve_mv_per_ma has {ve.size} values but the fiber has "
                         f"{len(fiber.sections)} sections")
    n_steps = round(tstop_ms / (dt_us * 1e-3))
    if w.size < n_steps:
        raise ValueError(f"waveform_samples has {w.size} values but tstop_ms / dt needs "
                         f"{n_steps}")
    return ve, w[:n_steps], n_steps


def simulate(fiber: MRGFiber, ve_mv_per_ma: np.ndarray, amplitude_ma: float,
             waveform_samples: np.ndarray, dt_us: float, tstop_ms: float,
             detect_nodes: Sequence[int] = (3, -4), v_detect_mv: float = 0.0,
             early_stop: bool = True, *, record: bool = False) -> dict[str, Any]:
    """Run one extracellular stimulation of ``fiber`` in NEURON.

    Parameters
    ----------
    fiber : MRGFiber
        Fiber from :func:`build_mrg`.
    ve_mv_per_ma : array, shape (n_sections,)
        Extracellular potential per mA of stimulus at each section (mV/mA).
    amplitude_ma : float
        Stimulus amplitude (mA).
    waveform_samples : array, shape (>= n_steps,)
        Dimensionless waveform value applying during step n (``n dt`` to
        ``(n + 1) dt``).
    dt_us : float
        Time step (us).
    tstop_ms : float
        Simulated time (ms); ``round(tstop_ms / dt)`` steps.
    detect_nodes : sequence of int
        Indices into the node list (negative from the end) watched for an AP.
    v_detect_mv : float
        Membrane potential (mV) whose upward crossing counts as an AP.
    early_stop : bool
        Stop (checking every 0.05 ms) as soon as an AP is detected, or once
        the fiber is quiescent after the stimulus (the criterion of
        :data:`neuraxis.axons.integrate.QUIET_BELOW_MV`, so that both engines
        stop on the same evidence).
    record : bool
        Also return ``v_mv``, the membrane potential of every section at
        every step, shape (n_steps_run + 1, n_sections).

    Returns
    -------
    dict
        ``fired`` (bool), ``t_fire_ms`` (first detection, NaN if none; the
        end of the step in which ``v_detect_mv`` was reached) and, with
        ``record``, ``v_mv``.

    Notes
    -----
    NEURON integrates every section that exists in the process, so other
    fibers kept alive are simulated too (at rest, unstimulated): that costs
    time but does not change this fiber's result.
    """
    h = _h()
    ve, w, n_steps = _check_inputs(fiber, ve_mv_per_ma, waveform_samples, dt_us, tstop_ms)
    apcs, recs = _setup_run(fiber, dt_us, detect_nodes, v_detect_mv, record)
    dt_ms = dt_us * 1e-3
    grid = np.arange(n_steps + 1) * dt_ms
    tvec = h.Vector(np.repeat(grid, 2)[1:-1])  # 0, dt, dt, 2dt, 2dt, ..., n dt
    wrep = np.repeat(w, 2)  # s0, s0, s1, s1, ...
    plays = []
    for sec, v in zip(fiber.sections, ve, strict=True):
        vec = h.Vector(wrep * (amplitude_ma * v))
        vec.play(sec(0.5)._ref_e_extracellular, tvec, 1)
        plays.append(vec)
    nz = np.flatnonzero(w != 0.0)
    quiet_from = int(nz[-1]) + 1 if nz.size else 0
    node_segs = [sec(0.5) for sec in fiber.nodes]
    lo = mrg.V_REST_MV - QUIET_BELOW_MV
    hi = mrg.V_REST_MV + QUIET_ABOVE_MV
    try:
        h.finitialize(mrg.V_REST_MV)
        chunk = max(1, round(_CHUNK_MS / dt_ms))
        done = 0
        vmax_prev = np.inf
        while done < n_steps:
            k = min(chunk, n_steps - done) if early_stop else n_steps - done
            for _ in range(k):
                h.fadvance()
            done += k
            if early_stop and any(apc.n > 0 for apc in apcs):
                break
            if early_stop and done >= quiet_from:
                v = np.array([seg.v for seg in node_segs])
                vmax = float(v.max())
                if v.min() > lo and vmax < hi and vmax < vmax_prev:
                    break
                vmax_prev = vmax
        return _result(apcs, recs)
    finally:
        for vec in plays:
            vec.play_remove()
        for sec in fiber.sections:
            sec(0.5).e_extracellular = 0.0


def _simulate_loop(fiber: MRGFiber, ve_mv_per_ma: np.ndarray, amplitude_ma: float,
                   waveform_samples: np.ndarray, dt_us: float, tstop_ms: float,
                   detect_nodes: Sequence[int] = (3, -4), v_detect_mv: float = 0.0,
                   early_stop: bool = True, *, record: bool = False) -> dict[str, Any]:
    """:func:`simulate` with ``e_extracellular`` set in Python before each step.

    Slow but unambiguous (the PyFibers pattern); used to verify the timing of
    the ``Vector.play`` fast path. Same parameters and result.
    """
    h = _h()
    ve, w, n_steps = _check_inputs(fiber, ve_mv_per_ma, waveform_samples, dt_us, tstop_ms)
    apcs, recs = _setup_run(fiber, dt_us, detect_nodes, v_detect_mv, record)
    segs = [sec(0.5) for sec in fiber.sections]
    ve_amp = ve * amplitude_ma

    def set_e(s: float) -> None:
        for seg, v in zip(segs, ve_amp, strict=True):
            seg.e_extracellular = v * s

    try:
        set_e(w[0] if n_steps else 0.0)
        h.finitialize(mrg.V_REST_MV)
        chunk = max(1, round(_CHUNK_MS / (dt_us * 1e-3)))
        for n in range(n_steps):
            set_e(w[n])
            h.fadvance()
            if early_stop and (n + 1) % chunk == 0 and any(apc.n > 0 for apc in apcs):
                break
        return _result(apcs, recs)
    finally:
        set_e(0.0)


def find_threshold(diameter_um: float, distance_mm: float, offset_mm: float,
                   pulse_width_us: float, sigma_s_per_m: float, polarity: str = "cathodic",
                   shape: str = "mono", *, n_nodes: int = 21, dt_us: float = 5.0,
                   tstop_ms: float | None = None, rel_tol: float = 0.005,
                   initial_ma: float | None = None, geometry: str = "auto") -> float:
    """Activation threshold (mA) of an MRG fiber for a point source, in NEURON.

    Parameters
    ----------
    diameter_um : float
        Fiber diameter (um).
    distance_mm : float
        Electrode distance from the fiber axis (mm).
    offset_mm : float
        Electrode offset along the fiber from the middle node (mm).
    pulse_width_us : float
        Width of the leading phase (us).
    sigma_s_per_m : float
        Conductivity of the homogeneous medium (S/m).
    polarity : {'cathodic', 'anodic'}
        Sign of the leading phase.
    shape : {'mono', 'biphasic'}
        Pulse shape (see :class:`neuraxis.axons.stimulus.Waveform`).
    n_nodes : int
        Number of nodes.
    dt_us : float
        Time step (us).
    tstop_ms : float, optional
        Simulated time (ms); default end of the pulse + 1.5 ms.
    rel_tol : float
        Relative width of the final bracket.
    initial_ma : float, optional
        First trial amplitude (mA); default 0.1 mA.
    geometry : {'auto', 'discrete', 'interpolated'}
        MRG geometry variant.

    Returns
    -------
    float
        Threshold in mA (lowest amplitude seen to fire), NaN if none in range.
    """
    wave = stimulus.Waveform(pulse_width_us, shape, polarity)
    if tstop_ms is None:
        tstop_ms = wave.end_us / 1000.0 + 1.5
    fiber = build_mrg(diameter_um, n_nodes, geometry)
    cab = _cable.build_mrg_cable(diameter_um, n_nodes, geometry)
    ve = stimulus.fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, distance_mm,
                                               offset_mm, sigma_s_per_m)
    n_steps = round(tstop_ms / (dt_us * 1e-3))
    samples = wave.samples(dt_us, n_steps)

    def fires(amps_ma: np.ndarray, which: np.ndarray) -> np.ndarray:
        return np.array([simulate(fiber, ve, float(a), samples, dt_us, tstop_ms)["fired"]
                         for a in amps_ma])

    init = 0.1 if initial_ma is None else float(initial_ma)
    res = threshold.search_thresholds(fires, np.array([init]), rel_tol=rel_tol)
    return float(res.threshold_ma[0])


def find_thresholds(diameter_um: np.ndarray, distance_mm: np.ndarray, offset_mm: np.ndarray,
                    pulse_width_us: np.ndarray, sigma_s_per_m: np.ndarray,
                    polarity: np.ndarray, shape: np.ndarray, *, dt_us: float = 1.0,
                    rel_tol: float = 0.005, geometry: str = "auto") -> np.ndarray:
    """Thresholds (mA) of many fibers in NEURON with neuraxis's exact search.

    Mirrors :func:`neuraxis.axons.find_thresholds`: same fiber length rule,
    same hint, same two-stage search (:func:`neuraxis.axons.threshold.staged_search`),
    same tstop and early stops, so that timings compare the engines and not
    the search. Fibers run one at a time (each built, searched, deleted: NEURON
    integrates every live section). Arguments are arrays, one entry per fiber.
    """
    from neuraxis.axons.api import (
        DEFAULT_POST_STIM_MS,
        _initial_guess_ma,
        point_source_fiber,
    )

    n = np.size(diameter_um)
    b = [np.broadcast_to(np.asarray(a), (n,)) for a in
         (diameter_um, distance_mm, offset_mm, pulse_width_us, sigma_s_per_m, polarity, shape)]
    out = np.full(n, np.nan)
    for i in range(n):
        d, r, off, pw, sig, pol, shp = (x[i] for x in b)
        cab, ve = point_source_fiber("mrg", float(d), float(r), float(off), float(sig),
                                     geometry=geometry)
        nn = cab.n_nodes
        wave = stimulus.Waveform(float(pw), str(shp), str(pol))
        tstop_ms = wave.end_us / 1000.0 + DEFAULT_POST_STIM_MS
        fiber = build_mrg(float(d), nn, geometry)

        def make_fires(s_dt_us: float, fiber=fiber, ve=ve, wave=wave, tstop_ms=tstop_ms):
            steps = int(np.ceil(tstop_ms / (s_dt_us * 1e-3) - 1e-9))
            samples = wave.samples(s_dt_us, steps)
            t_ms = steps * s_dt_us * 1e-3

            def fires(amps_ma: np.ndarray, which: np.ndarray) -> np.ndarray:
                return np.array([simulate(fiber, ve, float(a), samples, s_dt_us, t_ms)["fired"]
                                 for a in amps_ma])

            return fires

        hint = _initial_guess_ma(ve, cab, float(pw), str(pol))
        res = threshold.staged_search(make_fires, np.array([hint]), np.array([float(pw)]),
                                      dt_us, rel_tol=rel_tol, max_ma=100.0)
        out[i] = res.threshold_ma[0]
        del fiber
    return out


def _crossing_ms(t_ms: np.ndarray, v_mv: np.ndarray, level_mv: float) -> float:
    """First upward crossing of ``level_mv``, linearly interpolated (ms)."""
    above = v_mv >= level_mv
    idx = np.flatnonzero(~above[:-1] & above[1:])
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    frac = (level_mv - v_mv[i]) / (v_mv[i + 1] - v_mv[i])
    return float(t_ms[i] + frac * (t_ms[i + 1] - t_ms[i]))


def conduction_velocity(diameter_um: float, n_nodes: int = 41, dt_us: float = 5.0,
                        geometry: str = "auto") -> float:
    """Conduction velocity (m/s) of an MRG fiber in NEURON.

    Node 1 is driven by an intracellular current clamp (2 nA per um of
    node diameter, 0.1 ms); the AP's 0 mV crossing times (interpolated
    between steps) at nodes ``n_nodes // 4`` and ``3 n_nodes // 4`` give
    ``cv = distance / time``.

    Parameters
    ----------
    diameter_um : float
        Fiber diameter (um).
    n_nodes : int
        Number of nodes (>= 8).
    dt_us : float
        Time step (us).
    geometry : {'auto', 'discrete', 'interpolated'}
        MRG geometry variant.

    Returns
    -------
    float
        Conduction velocity in m/s.
    """
    if n_nodes < 8:
        raise ValueError(f"n_nodes must be >= 8 for a velocity measurement, got {n_nodes}")
    h = _h()
    fiber = build_mrg(diameter_um, n_nodes, geometry)
    _setup_run(fiber, dt_us, (), 0.0, False)
    a, b = n_nodes // 4, (3 * n_nodes) // 4
    sec_a, sec_b = fiber.nodes[a], fiber.nodes[b]
    clamp = h.IClamp(fiber.nodes[1](0.5))
    clamp.delay, clamp.dur = 0.05, 0.1
    clamp.amp = 2.0 * fiber.geometry.node_diameter_um
    t_rec = h.Vector().record(h._ref_t)
    va, vb = h.Vector().record(sec_a(0.5)._ref_v), h.Vector().record(sec_b(0.5)._ref_v)
    length_mm = float(fiber.x_um[-1]) * 1e-3
    t_max_ms = 2.0 + length_mm / 1.0  # slower than 1 m/s is not a propagating AP
    h.finitialize(mrg.V_REST_MV)
    while h.t < t_max_ms:
        for _ in range(20):
            h.fadvance()
        if vb.size() and vb.as_numpy().max() >= 0.0:
            break
    t, v_a, v_b = t_rec.as_numpy(), va.as_numpy(), vb.as_numpy()
    ta, tb = _crossing_ms(t, v_a, 0.0), _crossing_ms(t, v_b, 0.0)
    if not (np.isfinite(ta) and np.isfinite(tb)) or tb <= ta:
        raise RuntimeError(f"no propagating AP between nodes {a} and {b} "
                           f"(crossings {ta} ms, {tb} ms)")
    dist_um = float(fiber.x_um[fiber.node_index[b]] - fiber.x_um[fiber.node_index[a]])
    return dist_um * 1e-3 / (tb - ta)  # mm/ms = m/s
