"""Spread of a dosing schedule: a basal infusion plus bolus events (patient boluses, a
bridge bolus, a lumbar-puncture injection), compared with the basal infusion alone.

The problem is linear, so the concentration is a sum of parts solved on the same cells:
the basal infusion, and one part per bolus in its *bolus phase*. A bolus's drug starts
spread over its initial length (injected volume and jet,
:func:`~neuraxis.pump.spread.dispersion.injection_spread`) and mixes with the bolus
mixing ratio, weighted by how much the injection stirs the CSF. The bolus phase lasts
as long as the drug is in the CSF unless ``bolus_phase_h`` ends it (then the bolus's
drug joins the slow part, which mixes like the infusion): no data fix its length. The
basal-only comparison is the basal part itself (the same run, no second solve).

Numerics as :func:`~neuraxis.pump.spread.simulate_spread`: Crank-Nicolson, each part
started with four backward-Euler half steps (Rannacher); each event's dose enters as the
exact integral of its rate over each step, so the mass ledger closes to round-off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from neuraxis._logging import logger, use_log_level
from neuraxis._validate import (
    NeuraxisInputError,
    check_positive,
    check_range,
    check_same_length,
)
from neuraxis.pump.spread.dispersion import injection_spread, stroke_volume_ml
from neuraxis.pump.spread.geometry import (
    LEVELS,
    MM3_PER_ML,
    UG_PER_ML_PER_MG_PER_MM3,
    injection_defaults,
    oscillation_defaults,
    segment_position_mm,
)
from neuraxis.pump.spread.model import SpreadProblem, assemble, operator
from neuraxis.pump.spread.results import ScheduleSpread
from neuraxis.pump.spread.solver import _level_means, _ro


class _Stepper:
    """LU factors of one operator for a time step: backward-Euler half step and CN."""

    def __init__(self, K, vol: np.ndarray, dt: float) -> None:
        from scipy.sparse import diags
        from scipy.sparse.linalg import splu

        self.K, self.dt = K, dt
        self.vol_dt, self.vol_half = vol / dt, 2.0 * vol / dt
        self.be = splu((diags(self.vol_half) + K).tocsc())
        self.cn = splu((diags(self.vol_dt) + 0.5 * K).tocsc())

    def step(self, c: np.ndarray, src: np.ndarray, start: bool) -> tuple[np.ndarray, list]:
        """Advance ``c`` (cells, or cells x parts) by dt with source rate ``src``.

        Returns the new state and the (weight, state) pairs of the ledger's quadrature:
        the clearance and outflow over the step are sum(weight * rate(state)).
        """
        if start:  # two backward-Euler half steps (Rannacher start-up)
            mid = self.be.solve(self.vol_half[:, None] * c + src)
            new = self.be.solve(self.vol_half[:, None] * mid + src)
            half = 0.5 * self.dt
            return new, [(half, mid), (half, new)]
        new = self.cn.solve(self.vol_dt[:, None] * c - 0.5 * (self.K @ c) + src)
        return new, [(0.5 * self.dt, c), (0.5 * self.dt, new)]


def _events(times_h, doses_mg, volumes_ml, durations_min, duration_h):
    n = check_same_length({"bolus_times_h": times_h, "bolus_doses_mg": doses_mg,
                           "bolus_volumes_ml": volumes_ml,
                           "bolus_durations_min": durations_min})
    if np.size(times_h) == 0:
        if max(np.size(doses_mg), np.size(volumes_ml), np.size(durations_min)) > 0:
            raise NeuraxisInputError("Invalid input: bolus doses, volumes or durations given "
                                     "without 'bolus_times_h'")
        return np.zeros((4, 0))
    t = np.broadcast_to(check_range("bolus_times_h", np.atleast_1d(times_h), 0.0, duration_h,
                                    "h", high_inclusive=False), (n,))
    d = np.broadcast_to(check_range("bolus_doses_mg", np.atleast_1d(doses_mg), 0.0, None,
                                    "mg"), (n,))
    v = np.broadcast_to(check_range("bolus_volumes_ml", np.atleast_1d(volumes_ml), 0.0, 40.0,
                                    "mL"), (n,))
    m = np.broadcast_to(check_positive("bolus_durations_min",
                                       np.atleast_1d(durations_min), "min"), (n,))
    bad = np.flatnonzero((v == 0.0) & (d > 0.0))
    if bad.size:
        i = int(bad[0])
        raise NeuraxisInputError(
            f"Invalid value for 'bolus_volumes_ml' (element {i}). A bolus of 0 mL cannot "
            f"deliver {d[i]:g} mg: give the volume that carries the dose (dose / "
            "concentration), or a dose of 0")
    return np.array([t, d, v, m], dtype=float)


def _initial_profile(prob: SpreadProblem, length_mm: float) -> np.ndarray:
    """Mass fractions per cell of a uniform concentration over ``length_mm`` at the tip."""
    inside = np.abs(prob.x_mm - prob.tip_mm) <= 0.5 * length_mm
    inside[prob.tip_cell] = True
    w = np.where(inside, prob.volume_mm3, 0.0)
    return w / w.sum()


def _overlap_s(t0: float, t1: float, start: float, end: float) -> float:
    return max(0.0, min(t1, end) - max(t0, start))


def simulate_schedule(*, tip_level: str, target_segments: Sequence[str],
                      basal_dose_mg_per_day: float, basal_flow_ml_per_day: float,
                      bolus_times_h: Sequence[float] = (),
                      bolus_doses_mg: Sequence[float] = (),
                      bolus_volumes_ml: Sequence[float] = (),
                      bolus_durations_min: Sequence[float] = (),
                      basal_start_h: float = 0.0,
                      drug: str | None = None, half_life_h: float | None = None,
                      duration_h: float = 24.0,
                      injector_inner_diameter_mm: float | None = None,
                      mixing_ratio: float | None = None,
                      bolus_mixing_ratio: float | None = None,
                      bolus_phase_h: float | None = None,
                      d_eff_m2_per_s: float | None = None,
                      drift_um_per_s: float | None = None, grid_mm: float = 1.0,
                      dt_s: float = 60.0, output_interval_h: float | None = None,
                      tip_offset_mm: float = 0.0,
                      progress: Callable[[int, int], None] | None = None,
                      verbose: bool | str | int | None = None) -> ScheduleSpread:
    """Drug in the spinal CSF for a basal infusion plus bolus events, and basal alone.

    Parameters
    ----------
    tip_level : str
        Vertebral level of the catheter tip (``'C1'`` ... ``'S2'``).
    target_segments : sequence of str
        Cord segments (``'T3'`` ... ``'S5'``) whose dorsal-horn CSF concentration is
        reported (:func:`~neuraxis.pump.spread.segment_position_mm`); may be empty
        (``result.concentration_at_mm`` reads any position).
    basal_dose_mg_per_day, basal_flow_ml_per_day : float
        Basal infusion: dose rate (mg/day) and volume rate (mL/day), both >= 0.
    bolus_times_h, bolus_doses_mg, bolus_volumes_ml, bolus_durations_min : sequence of float
        One entry per bolus (length-1 entries broadcast): start (h after the run
        starts, < ``duration_h``), dose (mg), injected volume (mL; the dose's volume of
        the pump's solution; 0 mL only with 0 mg) and injection time (min, > 0). A
        bridge bolus is one event: volume = dead space, dose = dead space x old
        concentration, duration = bridge days x 1440, with ``basal_start_h`` at its end
        (the bridge replaces the basal while it runs).
    basal_start_h : float
        Time the basal infusion starts (h, default 0); the basal-only comparison starts
        then too.
    drug, half_life_h : str, float
        The drug (its CSF half-life from the table) or a half-life (h).
    duration_h : float
        Simulated time (h), default 24.
    injector_inner_diameter_mm : float, optional
        Lumen the bolus leaves through (mm); default the catheter's (0.53 mm).
    mixing_ratio, bolus_mixing_ratio : float, optional
        Overrides of the table's infusion and bolus mixing ratios.
    bolus_phase_h : float, optional
        End each bolus phase this long after its injection ends (h); default: no end.
    d_eff_m2_per_s : float, optional
        Uniform dispersion (m^2/s) for everything instead of the oscillatory law.
    drift_um_per_s, grid_mm, dt_s, tip_offset_mm : float
        As :func:`~neuraxis.pump.spread.simulate_spread`.
    output_interval_h : float, optional
        Spacing of the stored outputs (h); default ``duration_h / 288`` (5 min per day).
    progress : callable, optional
        ``progress(steps_done, steps_total)`` about 100 times.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    ScheduleSpread

    Raises
    ------
    NeuraxisInputError
        Unknown level, segment or drug (did-you-mean), negative doses or volumes, a
        bolus outside the run, a dose without volume, arrays of different lengths.
    """
    with use_log_level(verbose):
        dur = check_range("duration_h", duration_h, 0.0, 24.0 * 365, "h", low_inclusive=False)
        dt_req = check_range("dt_s", dt_s, 0.01, 3600.0, "s")
        n_steps = max(1, math.ceil(dur * 3600.0 / dt_req - 1e-9))
        dt = dur * 3600.0 / n_steps
        interval = dur / 288 if output_interval_h is None else check_range(
            "output_interval_h", output_interval_h, 0.0, dur, "h", low_inclusive=False)
        every = max(1, round(interval * 3600.0 / dt))
        if isinstance(target_segments, str):
            target_segments = (target_segments,)
        targets_mm = np.array([segment_position_mm(s) for s in target_segments], dtype=float)
        segments = tuple(str(s).strip().upper() for s in target_segments)
        ev = _events(bolus_times_h, bolus_doses_mg, bolus_volumes_ml, bolus_durations_min, dur)
        basal = check_range("basal_dose_mg_per_day", basal_dose_mg_per_day, 0.0, None,
                            "mg/day")
        basal_start_s = 3600.0 * check_range("basal_start_h", basal_start_h, 0.0, dur, "h")
        osc, inj = oscillation_defaults(), injection_defaults()
        prob = assemble(tip_level=tip_level, tip_offset_mm=tip_offset_mm,
                        dose_mg_per_day=basal, flow_ml_per_day=basal_flow_ml_per_day,
                        drug=drug, half_life_h=half_life_h, d_eff_m2_per_s=d_eff_m2_per_s,
                        drift_um_per_s=drift_um_per_s, grid_mm=grid_mm, area_mm2=None,
                        dt_s=dt, mixing_ratio=mixing_ratio, allow_zero_dose=True)
        kappa_inf = prob.params.mixing_ratio
        kappa_bol = check_range("bolus_mixing_ratio", osc["bolus_mixing_ratio"]
                                if bolus_mixing_ratio is None else bolus_mixing_ratio,
                                0.0, 100.0, "")
        phase_s = math.inf if bolus_phase_h is None else 3600.0 * check_range(
            "bolus_phase_h", bolus_phase_h, 0.0, 24.0 * 365, "h")
        diameter = check_range("injector_inner_diameter_mm", inj["catheter_inner_diameter_mm"]
                               if injector_inner_diameter_mm is None
                               else injector_inner_diameter_mm, 0.05, 5.0, "mm")
        area_tip = float(prob.area_mm2[prob.tip_cell])
        sv_tip = float(stroke_volume_ml(prob.tip_mm, end_mm=prob.geometry.end_mm,
                                        cervical_ml=osc["cervical_stroke_volume_ml"],
                                        sac_end_ml=osc["sac_end_stroke_volume_ml"]))
        spreads, kappas, profiles = [], [], []
        for _, _, vol_ml, minutes in ev.T:
            s = injection_spread(volume_ml=vol_ml, duration_s=60.0 * minutes,
                                 area_mm2=area_tip, stroke_volume_ml=sv_tip,
                                 inner_diameter_mm=diameter,
                                 frequency_hz=osc["cardiac_frequency_hz"],
                                 kinematic_viscosity_m2_per_s=inj[
                                     "csf_kinematic_viscosity_m2_per_s"],
                                 jet_spreading_ratio=inj["jet_spreading_ratio"])
            spreads.append(s)
            kappas.append(kappa_inf if prob.params.dispersion == "uniform"
                          else kappa_inf + s.stirring_fraction * (kappa_bol - kappa_inf))
            profiles.append(_initial_profile(prob, s.initial_length_mm))

        vol, k_clear, q_out = prob.volume_mm3, prob.params.clearance_per_s, prob.outflow_mm3_per_s
        slow = _Stepper(prob.K, vol, dt)
        steppers: dict[float, _Stepper] = {}

        def stepper_for(kappa: float) -> _Stepper:
            if prob.params.dispersion == "uniform" or kappa == kappa_inf:
                return slow
            if kappa not in steppers:
                steppers[kappa] = _Stepper(operator(prob, kappa), vol, dt)
            return steppers[kappa]

        n = vol.size
        parts = np.zeros((n, 2))            # columns: basal alone, boluses past their phase
        active: dict[int, np.ndarray] = {}  # bolus index -> its part during its phase
        steps_done: dict[int, int] = {}    # bolus index -> steps since its part started
        basal_src = prob.source_mg_per_s
        first_basal_step = math.floor(basal_start_s / dt + 1e-9) + 1
        ends = ev[0] * 3600.0 + ev[3] * 60.0 + phase_s if ev.size else np.zeros(0)
        infused = cleared = outflow = 0.0
        snaps_total, snaps_basal, times, ledger = [], [], [], []

        def record(t_h: float) -> None:
            total = parts.sum(axis=1) + sum(active.values(), np.zeros(n))
            snaps_total.append(total * UG_PER_ML_PER_MG_PER_MM3)
            snaps_basal.append(parts[:, 0] * UG_PER_ML_PER_MG_PER_MM3)
            times.append(t_h)
            ledger.append((infused, float(vol @ total), cleared, outflow))

        def account(pairs: list) -> None:
            nonlocal cleared, outflow
            for w, state in pairs:
                s = state.sum(axis=1) if state.ndim > 1 else state
                cleared += w * k_clear * float(vol @ s)
                outflow += w * q_out * float(s[0])

        record(0.0)
        report = max(1, n_steps // 100)
        for step in range(1, n_steps + 1):
            t0, t1 = (step - 1) * dt, step * dt
            src = np.zeros((n, 2))
            on = _overlap_s(t0, t1, basal_start_s, math.inf) / dt
            src[:, 0] = on * basal_src
            infused += float(basal_src.sum()) * dt * on
            parts, pairs = slow.step(parts, src, start=step - first_basal_step < 2)
            account(pairs)
            for i in range(ev.shape[1]):
                start_s, inj_s = ev[0, i] * 3600.0, ev[3, i] * 60.0
                mass = ev[1, i] * _overlap_s(t0, t1, start_s, start_s + inj_s) / inj_s
                if i not in active and (mass <= 0.0 or i in steps_done):
                    continue
                c = active.get(i, np.zeros(n))
                rate = (mass / dt) * profiles[i]
                infused += mass
                steps_done[i] = steps_done.get(i, 0) + 1
                new, pairs = stepper_for(kappas[i]).step(c[:, None], rate[:, None],
                                                         start=steps_done[i] <= 2)
                account(pairs)
                active[i] = new[:, 0]
            for i in [i for i in active if t1 >= ends[i] - 1e-9]:
                parts[:, 1] += active.pop(i)
            if step % every == 0 or step == n_steps:
                record(t1 / 3600.0)
            if progress is not None and (step % report == 0 or step == n_steps):
                progress(step, n_steps)

        conc = np.array(snaps_total)
        conc_basal = np.array(snaps_basal)
        led = np.array(ledger)

        def at_targets(c: np.ndarray) -> np.ndarray:
            return np.stack([np.interp(targets_mm, prob.x_mm, row) for row in c]).reshape(
                c.shape[0], targets_mm.size)

        notes = []
        if basal == 0.0:
            notes.append("No basal infusion: the basal-only curves are zero.")
        far = [s for s, x in zip(segments, targets_mm, strict=True)
               if abs(x - prob.tip_mm) > 150.0]
        if far:
            notes.append(f"Segments more than 15 cm from the tip ({', '.join(far)}): the "
                         "model's spread there rests on the human tracer data only.")
        res = ScheduleSpread(
            params=prob.params, drug=prob.drug, tip_level=prob.tip_level, tip_mm=prob.tip_mm,
            dose_mg_per_day=prob.dose_mg_per_day, flow_ml_per_day=prob.flow_ml_per_day,
            x_mm=_ro(prob.x_mm), area_mm2=_ro(prob.area_mm2),
            cell_volume_ml=_ro(vol / MM3_PER_ML), level_names=LEVELS,
            level_boundaries_mm=_ro(prob.geometry.boundaries_mm),
            concentration_ug_per_ml=_ro(conc),
            level_concentration_ug_per_ml=_ro(_level_means(prob, conc)),
            notes=tuple(notes), times_h=_ro(times),
            basal_concentration_ug_per_ml=_ro(conc_basal), target_segments=segments,
            target_mm=_ro(targets_mm), target_concentration_ug_per_ml=_ro(at_targets(conc)),
            basal_target_concentration_ug_per_ml=_ro(at_targets(conc_basal)),
            bolus_times_h=_ro(ev[0]), bolus_doses_mg=_ro(ev[1]),
            bolus_volumes_ml=_ro(ev[2]), bolus_durations_min=_ro(ev[3]),
            bolus_spreads=tuple(spreads), bolus_mixing_ratios=_ro(kappas),
            bolus_phase_h=None if bolus_phase_h is None else phase_s / 3600.0,
            basal_start_h=basal_start_s / 3600.0,
            infused_mg=_ro(led[:, 0]), in_csf_mg=_ro(led[:, 1]), cleared_mg=_ro(led[:, 2]),
            outflow_mg=_ro(led[:, 3]))
        logger.info("schedule: %s at %s, %d bolus(es) over %g h; mass balance %.1e",
                    prob.drug or f"t1/2 {prob.params.half_life_h:g} h", prob.tip_level,
                    ev.shape[1], dur, res.mass_balance_error)
        return res
