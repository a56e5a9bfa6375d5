"""Fiber thresholds and conduction velocity: the public entry points.

:func:`find_thresholds` takes arrays of fibers (one row each), builds their
cables, groups rows that share a cable structure (model, node count), and runs
the pure threshold search (:mod:`neuraxis.axons.threshold`) with one batched
simulation per round per group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from neuraxis._logging import logger, use_log_level
from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_option,
    check_positive,
    check_range,
    check_same_length,
)
from neuraxis.axons.backends import resolve_backend
from neuraxis.axons.cable import Cable, build_cable, stack_cables
from neuraxis.axons.integrate import simulate
from neuraxis.axons.stimulus import Waveform, fiber_point_source_mv_per_ma
from neuraxis.axons.threshold import staged_search

MODELS = ("mrg", "sweeney")

#: Default time step (us) and why: see docs/numerics.md (backward Euler bias).
DEFAULT_DT_US = 1.0
#: Simulated time after the end of the stimulus, for the AP to reach a detection node (ms).
DEFAULT_POST_STIM_MS = 1.5
#: Detection nodes: 4th node from each end, far from a stimulus near the middle.
DEFAULT_DETECT_NODES = (3, -4)
#: Threshold searches stop a firing run once the action potential's arrival at a
#: detection node is certain (``simulate(predict_arrival=True)``); same answers.
PREDICT_ARRIVAL = True
#: Node-count buckets for automatic fiber length (fewer distinct structures batch better).
_NODE_BUCKETS = (21, 31, 41, 51, 61, 81, 101, 151, 201, 301)
#: Ends of the fiber at least this many electrode distances from the middle node.
_LENGTH_PER_DISTANCE = 5.0


@dataclass(frozen=True, eq=False)
class ThresholdResult:
    """Thresholds of a batch of fibers.

    Attributes
    ----------
    threshold_ma : ndarray
        Threshold magnitude per fiber (mA): the lowest amplitude seen to fire,
        within ``rel_tol`` above the true threshold. NaN if the fiber did not
        fire up to ``max_ma``.
    status : ndarray of str
        'ok', 'no_fire_in_range' (never fired up to max_ma) or
        'below_min' (fired at the smallest amplitude tried).
    n_simulations : ndarray of int
        Simulations per fiber.
    n_nodes : ndarray of int
        Nodes of Ranvier simulated per fiber.
    initiation_node : ndarray of int
        Node (0-based, along the cable) where the action potential started in the
        lowest-amplitude firing run of the final search stage (the run that sets the
        threshold): the node whose membrane crossed the detection voltage first; -1
        where the fiber never fired.
    settings : dict
        dt_us, rel_tol, tstop_ms, model, backend and the other settings used.
    """

    threshold_ma: np.ndarray
    status: np.ndarray
    n_simulations: np.ndarray
    n_nodes: np.ndarray
    settings: dict = field(default_factory=dict)
    initiation_node: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.initiation_node is None:
            object.__setattr__(self, "initiation_node",
                               np.full(self.threshold_ma.size, -1, dtype=int))

    def to_dict(self) -> dict:
        """JSON-ready: ``{"fibers": [one dict per fiber], "settings": {...}}`` (NaN -> None)."""
        return {"fibers": self._records(), "settings": dict(self.settings)}

    def _records(self) -> list[dict]:
        out = []
        for i in range(self.threshold_ma.size):
            t = float(self.threshold_ma[i])
            out.append({
                "threshold_ma": None if not np.isfinite(t) else t,
                "status": str(self.status[i]),
                "n_simulations": int(self.n_simulations[i]),
                "n_nodes": int(self.n_nodes[i]),
                "initiation_node": int(self.initiation_node[i]),
            })
        return out


def auto_n_nodes(node_spacing_um: float, distance_mm: float, offset_mm: float = 0.0) -> int:
    """Node count so that each fiber end lies >= 5 electrode distances away.

    Returns the smallest bucket in 21, 31, 41, 51, 61, 81, 101, 151, 201, 301.
    """
    half_um = (_LENGTH_PER_DISTANCE * distance_mm + abs(offset_mm)) * 1e3
    need = 2 * int(np.ceil(half_um / node_spacing_um)) + 1
    for b in _NODE_BUCKETS:
        if b >= need:
            return b
    return _NODE_BUCKETS[-1]


def point_source_fiber(
    model: str, diameter_um: float, distance_mm: float, offset_mm: float,
    sigma_s_per_m: float, n_nodes: int | None = None, geometry: str = "auto",
) -> tuple[Cable, np.ndarray]:
    """Cable of one fiber and its point-source potentials (mV per mA).

    ``n_nodes=None`` applies the fiber length rule of :func:`auto_n_nodes`.
    The one place that sets up a point-source fiber, for neuraxis and for the
    NEURON reference alike.
    """
    geom = _geom(model, geometry)
    if n_nodes is None:
        spacing = build_cable(model, diameter_um, 5, **geom).node_spacing_um
        n_nodes = auto_n_nodes(spacing, distance_mm, offset_mm)
    cab = build_cable(model, diameter_um, n_nodes, **geom)
    ve = fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, distance_mm, offset_mm,
                                      sigma_s_per_m)
    return cab, ve


#: Search hint only (affects speed, never results): log threshold regressed on
#: log diameter, log pulse width and log of an activating-function estimate,
#: fitted to 120 MRG point-source thresholds (0.3-3 mm, 50-500 us, 5.7-16 um);
#: residuals within x0.6-x1.4. Coefficients per polarity of the leading phase.
_HINT_COEF = {"cathodic": (-0.678, 0.271, -0.329, 0.604),
              "anodic": (2.24, 0.097, -0.411, 0.607)}


def _initial_guess_ma(ve: np.ndarray, cable: Cable, pulse_width_us: float,
                      polarity: str) -> float:
    """Starting amplitude for the search from the activating function (a hint).

    The AF at the nodes (second difference of ``ve``) gives a depolarising
    drive per mA; the regression ``_HINT_COEF`` turns it into an amplitude.
    A poor hint costs extra bracketing rounds, never accuracy.
    """
    vn = ve[cable.node_index]
    af = np.zeros_like(vn)
    af[1:-1] = vn[:-2] - 2 * vn[1:-1] + vn[2:]
    sign = -1.0 if polarity == "cathodic" else 1.0  # electrode current sign of the lead phase
    drive = max(float(np.max(sign * af)), 1e-9)  # depolarising AF per mA (mV/mA)
    af_guess = 14.0 * (1.0 + 120.0 / pulse_width_us) / drive
    c0, c1, c2, c3 = _HINT_COEF[polarity]
    log_thr = c0 + c1 * np.log(cable.diameter_um) + c2 * np.log(pulse_width_us) \
        + c3 * np.log(af_guess)
    return float(np.clip(np.exp(log_thr), 1e-3, 100.0))


def find_thresholds(
    diameter_um: np.ndarray | float,
    distance_mm: np.ndarray | float | None = None,
    offset_mm: np.ndarray | float = 0.0,
    pulse_width_us: np.ndarray | float = 100.0,
    sigma_s_per_m: np.ndarray | float = 0.2,
    polarity: np.ndarray | str = "cathodic",
    shape: np.ndarray | str = "mono",
    *,
    model: str = "mrg",
    ve_mv_per_ma: list[np.ndarray] | None = None,
    n_nodes: int | None = None,
    dt_us: float = DEFAULT_DT_US,
    tstop_ms: float | None = None,
    rel_tol: float = 0.005,
    interphase_gap_us: float = 0.0,
    geometry: str = "auto",
    max_ma: float = 100.0,
    backend: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    initial_ma: np.ndarray | float | None = None,
    cables: list[Cable] | None = None,
    verbose: bool | str | None = None,
) -> ThresholdResult:
    """Thresholds of many fibers, found together in batched simulations.

    Every argument that describes a fiber may be a scalar or an array with one
    entry per fiber (scalars broadcast).

    Parameters
    ----------
    diameter_um : float or array
        Fiber diameter (um): MRG 2-16 um (the nine published diameters
        5.7-16 um use the discrete geometry), Sweeney 1-30 um.
    distance_mm : float or array, optional
        Distance (mm) from a point source to the fiber axis; required unless
        ``ve_mv_per_ma`` is given.
    offset_mm : float or array
        Axial offset (mm) of the point source from the middle node.
    pulse_width_us : float or array
        Duration of the (leading) phase (us).
    sigma_s_per_m : float or array
        Conductivity of the homogeneous isotropic medium (S/m).
    polarity : {'cathodic', 'anodic'} or array
        Sign of the (leading) phase of the electrode current.
    shape : {'mono', 'biphasic'} or array
        Monophasic pulse or symmetric charge-balanced biphasic pulse.
    model : {'mrg', 'sweeney'}
        Axon model.
    ve_mv_per_ma : list of arrays, optional
        Instead of a point source: extracellular potential per mA at each
        compartment of each fiber (mV/mA), e.g. probed from a field basis.
        Requires ``n_nodes``.
    n_nodes : int, optional
        Nodes per fiber; default: long enough that the ends are >= 5
        electrode distances from the middle node (at least 21).
    dt_us : float
        Time step (us). Backward Euler overestimates thresholds by ~0.4 % per
        us of step (see docs/numerics.md); the default 1 us keeps the bias
        within 0.5 %.
    tstop_ms : float, optional
        Simulated time; default: end of the pulse + 1.5 ms.
    rel_tol : float
        Relative bracket width at which the search stops (default 0.5 %).
    interphase_gap_us : float
        Gap between the phases of biphasic pulses (us).
    geometry : {'auto', 'discrete', 'interpolated'}
        MRG geometry table (see :func:`neuraxis.axons.models.mrg.mrg_geometry`).
    max_ma : float
        Largest amplitude tried (mA); fibers that never fire get NaN.
    backend : str
        ``'auto'`` (numba when installed) or a backend registered in
        :mod:`neuraxis.axons.backends` ('numba'; 'numpy' is the slow reference).
    progress : callable, optional
        ``progress(n_done, n_total)`` after each round.
    cables : list of Cable, optional
        With ``ve_mv_per_ma``: the fibers' cables, already built (e.g. kept by an SCS
        session), instead of building them here; each must have ``n_nodes`` nodes and
        one potential per compartment.
    initial_ma : float or array, optional
        Starting amplitude of the search per fiber (mA, > 0), e.g. a threshold known
        for a similar program; default: an activating-function estimate. A hint
        changes how many simulations are needed, never the bound the result satisfies.
    verbose : bool | str | None
        Log level for this call.

    Returns
    -------
    ThresholdResult
    """
    with use_log_level(verbose):
        return _find_thresholds(
            diameter_um, distance_mm, offset_mm, pulse_width_us, sigma_s_per_m, polarity,
            shape, model, ve_mv_per_ma, n_nodes, dt_us, tstop_ms, rel_tol, interphase_gap_us,
            geometry, max_ma, backend, progress, initial_ma, cables)


def _find_thresholds(diameter_um, distance_mm, offset_mm, pulse_width_us, sigma_s_per_m,
                     polarity, shape, model, ve_list, n_nodes, dt_us, tstop_ms, rel_tol,
                     gap_us, geometry, max_ma, backend, progress, initial_ma=None,
                     given_cables=None):
    check_option("model", model, MODELS)
    backend = resolve_backend(backend)  # once per call: 'auto' logs its choice here
    check_range("dt_us", dt_us, 0.1, 50.0, "us")
    check_range("rel_tol", rel_tol, 1e-5, 0.2, "")
    check_positive("max_ma", max_ma, "mA")
    if ve_list is None and distance_mm is None:
        raise NeuraxisInputError(
            "Invalid input: give 'distance_mm' (point source) or 've_mv_per_ma' (potentials)")
    cols = {"diameter_um": diameter_um, "offset_mm": offset_mm,
            "pulse_width_us": pulse_width_us, "sigma_s_per_m": sigma_s_per_m,
            "polarity": polarity, "shape": shape}
    if ve_list is None:
        cols["distance_mm"] = distance_mm
    # one entry per fiber (a list of equal-length arrays must not count as 2-D data)
    n = check_same_length(cols if ve_list is None
                          else {**cols, "ve_mv_per_ma": np.zeros(len(ve_list))})
    if ve_list is not None:
        n = len(ve_list)
    b = {k: np.broadcast_to(np.asarray(v), (n,)) for k, v in cols.items()}
    diam = np.asarray(check_range("diameter_um", b["diameter_um"].astype(float),
                                  *((2.0, 16.0) if model == "mrg" else (1.0, 30.0)), "um"))
    pw = np.asarray(check_range("pulse_width_us", b["pulse_width_us"].astype(float),
                                5.0, 10000.0, "us"))
    for p in b["polarity"]:
        check_option("polarity", str(p), ("cathodic", "anodic"))
    for s in b["shape"]:
        check_option("shape", str(s), ("mono", "biphasic"))
    if ve_list is None:
        dist = np.asarray(check_range("distance_mm", b["distance_mm"].astype(float), 0.01,
                                      100.0, "mm"))
        offs = np.asarray(check_range("offset_mm", b["offset_mm"].astype(float), -100.0, 100.0,
                                      "mm"))
        sig = np.asarray(check_positive("sigma_s_per_m", b["sigma_s_per_m"].astype(float),
                                        "S/m"))
    elif n_nodes is None:
        raise NeuraxisInputError("Invalid input: 've_mv_per_ma' needs 'n_nodes'")
    if n_nodes is not None:
        n_nodes = check_int("n_nodes", n_nodes, 9, 1001)
    if given_cables is not None and (ve_list is None or len(given_cables) != n or any(
            c.n_nodes != n_nodes or c.diameter_um != diam[i]
            for i, c in enumerate(given_cables))):
        raise NeuraxisInputError(
            "Invalid value for 'cables': give one cable per potential array, each with "
            "'n_nodes' nodes and the fiber's diameter")
    # build cables and potentials, one per fiber
    cables: list[Cable] = []
    ves: list[np.ndarray] = []
    waves: list[Waveform] = []
    for i in range(n):
        wf = Waveform(float(pw[i]), str(b["shape"][i]), str(b["polarity"][i]),
                      interphase_gap_us=gap_us)
        waves.append(wf)
        if ve_list is None:
            cab, ve = point_source_fiber(model, float(diam[i]), float(dist[i]),
                                         float(offs[i]), float(sig[i]), n_nodes, geometry)
        else:
            cab = (given_cables[i] if given_cables is not None
                   else build_cable(model, float(diam[i]), n_nodes, **_geom(model, geometry)))
            ve = np.asarray(ve_list[i], dtype=float)
            if ve.shape != (cab.n_compartments,):
                raise NeuraxisInputError(
                    f"Invalid value for 've_mv_per_ma' (fiber {i}). Expected "
                    f"{cab.n_compartments} values (one per compartment), got {ve.shape}")
        cables.append(cab)
        ves.append(ve)
    t_end_ms = np.array([w.end_us * 1e-3 for w in waves])
    tstop = t_end_ms + DEFAULT_POST_STIM_MS if tstop_ms is None else np.full(n, tstop_ms)
    if initial_ma is None:
        initial = np.array([
            _initial_guess_ma(ves[i], cables[i], float(pw[i]), waves[i].polarity)
            for i in range(n)])
    else:
        hint = np.asarray(initial_ma, dtype=float)
        if hint.ndim > 1 or hint.size not in (1, n):
            raise NeuraxisInputError(
                f"Invalid value for 'initial_ma'. Expected one value or {n} (one per fiber), "
                f"got {hint.size}")
        initial = np.asarray(check_range("initial_ma", np.broadcast_to(hint, (n,)).copy(),
                                         0.0, None, "mA", low_inclusive=False))
    # group fibers by cable structure
    keys = [(c.mechanism, c.n_compartments) for c in cables]
    groups: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    thr = np.full(n, np.nan)
    status = np.empty(n, dtype=object)
    n_sim = np.zeros(n, dtype=int)
    init_node = np.full(n, -1, dtype=int)
    done_before = 0
    logger.info("finding thresholds of %d fibers in %d group(s), dt %.3g us", n, len(groups),
                dt_us)
    for idx_list in groups.values():
        idx = np.array(idx_list)
        batch = stack_cables([cables[i] for i in idx])
        ve_b = np.stack([ves[i] for i in idx], axis=-1)
        # fibers whose own tstop is shorter than the group's just run longer: harmless

        lowest_fired = np.full(idx.size, np.inf)  # final stage: lowest amplitude that fired

        def make_fires(s_dt_us: float, batch=batch, ve_b=ve_b, idx=idx,
                       lowest_fired=lowest_fired):
            steps = int(np.ceil(tstop[idx].max() / (s_dt_us * 1e-3) - 1e-9))
            s_wave = np.stack([waves[i].samples(s_dt_us, steps) for i in idx], axis=-1)
            final = s_dt_us == dt_us

            def fires(amps: np.ndarray, which: np.ndarray) -> np.ndarray:
                res = simulate(batch.take(which), ve_b[:, which], amps, s_wave[:, which],
                               s_dt_us * 1e-3, detect_nodes=np.array(DEFAULT_DETECT_NODES),
                               predict_arrival=PREDICT_ARRIVAL, backend=backend)
                if final:
                    _note_initiation(res, amps, which, lowest_fired, init_node, idx)
                return res.fired

            return fires

        base = done_before

        def on_round(k: int, total: int, base=base) -> None:
            if progress is not None:
                progress(base + k, n)

        res = staged_search(make_fires, initial[idx], pw[idx], dt_us, rel_tol=rel_tol,
                            max_ma=max_ma, on_round=on_round)
        thr[idx] = res.threshold_ma
        status[idx] = np.array(["ok", "no_fire_in_range", "below_min"])[res.status]
        n_sim[idx] = res.n_evaluations
        done_before += idx.size
    settings = {"model": model, "dt_us": dt_us, "rel_tol": rel_tol, "backend": backend,
                "post_stimulus_ms": DEFAULT_POST_STIM_MS if tstop_ms is None else None,
                "tstop_ms": tstop_ms, "geometry": geometry, "max_ma": max_ma,
                "interphase_gap_us": gap_us, "detect_nodes": list(DEFAULT_DETECT_NODES),
                "integrator": "backward Euler, gates cnexp (NEURON-equivalent)"}
    n_nodes_arr = np.array([c.n_nodes for c in cables])
    init_node[~np.isfinite(thr)] = -1
    return ThresholdResult(thr, status.astype(str), n_sim, n_nodes_arr, settings, init_node)


def _note_initiation(res, amps: np.ndarray, which: np.ndarray, lowest_fired: np.ndarray,
                     init_node: np.ndarray, idx: np.ndarray) -> None:
    """Keep, per fiber, the initiation node of its lowest-amplitude firing run so far.

    The initiation node is the node whose membrane crossed the detection voltage first
    (``res.t_cross_ms``); ``lowest_fired`` and ``init_node`` are updated in place
    (``lowest_fired`` indexed like ``which``'s group, ``init_node`` over all fibers).
    """
    better = np.asarray(res.fired, dtype=bool) & (amps < lowest_fired[which])
    if not better.any():
        return
    t = res.t_cross_ms[:, better]
    first = np.argmin(np.where(np.isnan(t), np.inf, t), axis=0)
    rows = which[better]
    lowest_fired[rows] = amps[better]
    init_node[idx[rows]] = first


def _geom(model: str, geometry: str) -> dict:
    return {"geometry": geometry} if model == "mrg" else {}


def conduction_velocity(
    diameter_um: float,
    *,
    model: str = "mrg",
    n_nodes: int = 41,
    dt_us: float = DEFAULT_DT_US,
    geometry: str = "auto",
    backend: str = "auto",
) -> float:
    """Conduction velocity (m/s) of a fiber.

    An AP is started by a cathodic point source 1 mm over node 2 (at twice
    its threshold); the velocity is the distance between nodes n/4 and 3n/4
    over the difference of their 0 mV upward-crossing times.

    Parameters
    ----------
    diameter_um : float
        Fiber diameter (um).
    model : {'mrg', 'sweeney'}
        Axon model.
    n_nodes : int
        Nodes in the simulated fiber (>= 21).
    dt_us : float
        Time step (us).
    """
    check_option("model", model, MODELS)
    n_nodes = check_int("n_nodes", n_nodes, 21, 1001)
    cab = build_cable(model, diameter_um, n_nodes, **_geom(model, geometry))
    x_src = cab.x_um[cab.node_index[2]] - cab.middle_node_x_um
    ve = fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, 1.0, x_src * 1e-3, 1.0)
    res = find_thresholds(diameter_um, ve_mv_per_ma=[ve], n_nodes=n_nodes, model=model,
                          pulse_width_us=100.0, dt_us=dt_us, geometry=geometry,
                          backend=backend, rel_tol=0.05)
    amp = 2.0 * float(res.threshold_ma[0])
    wf = Waveform(100.0)
    dt_ms = dt_us * 1e-3
    steps = int(np.ceil((wf.end_us * 1e-3 + 3.0) / dt_ms))
    i1, i2 = n_nodes // 4, (3 * n_nodes) // 4
    sim = simulate(stack_cables([cab]), ve[:, None], np.array([amp]), wf.samples(dt_us, steps),
                   dt_ms, detect_nodes=np.array([i2]), backend=backend)
    t1, t2 = sim.t_cross_ms[i1, 0], sim.t_cross_ms[i2, 0]
    if not (np.isfinite(t1) and np.isfinite(t2)) or t2 <= t1:
        raise RuntimeError("conduction velocity: the action potential did not propagate")
    dx_um = cab.x_um[cab.node_index[i2]] - cab.x_um[cab.node_index[i1]]
    return float(dx_um / (t2 - t1) * 1e-3)  # um/ms -> m/s
