"""Solvers of the spread model: the time course of an infusion and the steady state.

Crank-Nicolson in time after four backward-Euler half steps (Rannacher start-up), one
sparse LU factorisation per run; the mass ledger is integrated with the same rule, so
that ``infused = in CSF + cleared + outflow`` holds to round-off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from neuraxis._logging import logger, use_log_level
from neuraxis._validate import check_range
from neuraxis.pump.spread.geometry import LEVELS, MM3_PER_ML, S_PER_DAY, UG_PER_ML_PER_MG_PER_MM3
from neuraxis.pump.spread.model import SpreadProblem, assemble
from neuraxis.pump.spread.results import (
    FRACTION,
    SpreadResult,
    SteadySpread,
    spread_half_width_cm,
)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=float)
    a.setflags(write=False)
    return a


def _level_means(prob: SpreadProblem, c: np.ndarray) -> np.ndarray:
    """Volume-weighted mean of profile(s) ``c`` (..., n_x) over each vertebral level."""
    idx = prob.geometry.level_index(prob.x_mm)
    n_lv = len(LEVELS)
    w = np.bincount(idx, weights=prob.volume_mm3, minlength=n_lv)
    c2 = np.atleast_2d(c)
    sums = np.stack([np.bincount(idx, weights=row * prob.volume_mm3, minlength=n_lv)
                     for row in c2])
    means = sums / np.where(w > 0, w, np.nan)
    return means if np.ndim(c) > 1 else means[0]


def _edge_notes(prob: SpreadProblem, c: np.ndarray) -> list[str]:
    notes = []
    peak = float(np.max(c))
    if peak > 0 and c[0] >= FRACTION * peak:
        notes.append("The drug reaches the foramen magnum at >= 10 % of its peak: the rostral "
                     "half-width is clipped there, and the open boundary is only a crude model "
                     "of the cranial CSF.")
    if peak > 0 and c[-1] >= FRACTION * peak:
        notes.append("The drug reaches the end of the dural sac (S2) at >= 10 % of its peak: "
                     "the caudal half-width is clipped there.")
    return notes


def steady_state_spread(*, tip_level: str, dose_mg_per_day: float, flow_ml_per_day: float,
                        drug: str | None = None, half_life_h: float | None = None,
                        d_eff_m2_per_s: float | None = None,
                        drift_um_per_s: float | None = None, grid_mm: float = 1.0,
                        tip_offset_mm: float = 0.0, area_mm2: float | None = None,
                        mixing_ratio: float | None = None) -> SteadySpread:
    """Solve the steady state of the spread model directly (one sparse solve).

    Parameters are those of :func:`simulate_spread` (no duration or time step).

    Returns
    -------
    SteadySpread
    """
    from scipy.sparse.linalg import spsolve

    prob = assemble(tip_level=tip_level, tip_offset_mm=tip_offset_mm,
                    dose_mg_per_day=dose_mg_per_day, flow_ml_per_day=flow_ml_per_day,
                    drug=drug, half_life_h=half_life_h, d_eff_m2_per_s=d_eff_m2_per_s,
                    drift_um_per_s=drift_um_per_s, grid_mm=grid_mm, area_mm2=area_mm2,
                    dt_s=None, mixing_ratio=mixing_ratio)
    c = spsolve(prob.K.tocsc(), prob.source_mg_per_s)
    mass = float(prob.volume_mm3 @ c)
    conc = c * UG_PER_ML_PER_MG_PER_MM3
    rostral, caudal = spread_half_width_cm(prob.x_mm, conc, prob.tip_mm)
    return SteadySpread(
        params=prob.params, drug=prob.drug, tip_level=prob.tip_level, tip_mm=prob.tip_mm,
        dose_mg_per_day=prob.dose_mg_per_day, flow_ml_per_day=prob.flow_ml_per_day,
        x_mm=_ro(prob.x_mm), area_mm2=_ro(prob.area_mm2),
        cell_volume_ml=_ro(prob.volume_mm3 / MM3_PER_ML), concentration_ug_per_ml=_ro(conc),
        level_names=LEVELS, level_boundaries_mm=_ro(prob.geometry.boundaries_mm),
        level_concentration_ug_per_ml=_ro(_level_means(prob, conc)),
        peak_ug_per_ml=float(conc.max()), half_width_rostral_cm=rostral,
        half_width_caudal_cm=caudal, in_csf_mg=mass,
        cleared_mg_per_day=prob.params.clearance_per_s * mass * S_PER_DAY,
        outflow_mg_per_day=prob.outflow_mm3_per_s * float(c[0]) * S_PER_DAY,
        notes=tuple(_edge_notes(prob, conc)))


def simulate_spread(*, tip_level: str, dose_mg_per_day: float, flow_ml_per_day: float,
                    drug: str | None = None, half_life_h: float | None = None,
                    duration_h: float = 24.0, d_eff_m2_per_s: float | None = None,
                    drift_um_per_s: float | None = None, grid_mm: float = 1.0,
                    dt_s: float = 60.0, output_interval_h: float | None = None,
                    tip_offset_mm: float = 0.0, area_mm2: float | None = None,
                    mixing_ratio: float | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    verbose: bool | str | int | None = None) -> SpreadResult:
    """Drug concentration along the spinal canal during a constant intrathecal infusion.

    Starts from drug-free CSF at t = 0 and infuses at a constant rate from the catheter
    tip. Model and numerics: module docstring and ``docs/pump_spread.md``.

    Parameters
    ----------
    tip_level : str
        Vertebral level of the catheter tip, ``'C1'`` ... ``'S2'`` (case-insensitive;
        ``'Th10'`` is read as ``'T10'``). The tip sits at the level's centre, moved by
        ``tip_offset_mm``.
    dose_mg_per_day : float
        Daily dose (mg/day; 2.4 ug/day of ziconotide is 0.0024), > 0.
    flow_ml_per_day : float
        Pump flow (mL/day), >= 0. The infusate volume leaves rostrally (the caudal sac is
        closed), adding a small bulk flow; 0 treats the infusion as a pure mass source.
    drug : str, optional
        Drug whose CSF half-life is taken from the table (:func:`drug_names`).
    half_life_h : float, optional
        CSF clearance half-life (h); overrides the drug's. One of ``drug`` or
        ``half_life_h`` is required.
    duration_h : float
        Simulated time (h), default 24.
    d_eff_m2_per_s : float, optional
        Uniform effective dispersion (m^2/s). Default: the oscillatory law
        ``D(x) = D_shear + kappa f (SV(x)/A(x))^2`` with the table's infusion mixing
        ratio, fitted to human tracer data (``docs/pump_spread.md``).
    drift_um_per_s : float, optional
        Net drift at the tip level (um/s), positive rostral; default from the table (0).
    grid_mm : float
        Cell size (mm), default 1; at most sqrt(D_eff/k) / 1.5 (the decay length).
    dt_s : float
        Time step (s), default 60 (shortened so that whole steps fill the duration).
    output_interval_h : float, optional
        Spacing of the stored profiles (h); default ``duration_h / 96``.
    tip_offset_mm : float
        Tip position relative to the centre of ``tip_level`` (mm, positive caudal).
    area_mm2 : float, optional
        Uniform CSF cross-section (mm^2) instead of the per-level table (for validation).
    mixing_ratio : float, optional
        kappa of the oscillatory law instead of the table's (ignored with
        ``d_eff_m2_per_s``).
    progress : callable, optional
        Called as ``progress(steps_done, steps_total)`` about 100 times during the run.
    verbose : bool | str | int | None
        Log level for this call (``True`` = INFO).

    Returns
    -------
    SpreadResult

    Raises
    ------
    NeuraxisInputError
        Unknown level or drug (with a did-you-mean), a non-positive dose, a tip outside
        the canal, a grid too coarse for the spread, or any value out of range.
    """
    from scipy.sparse import diags
    from scipy.sparse.linalg import splu, spsolve

    with use_log_level(verbose):
        dur = check_range("duration_h", duration_h, 0.0, 24.0 * 365, "h", low_inclusive=False)
        dt_req = check_range("dt_s", dt_s, 0.01, 3600.0, "s")
        n_steps = max(1, math.ceil(dur * 3600.0 / dt_req - 1e-9))
        dt = dur * 3600.0 / n_steps
        interval = dur / 96 if output_interval_h is None else check_range(
            "output_interval_h", output_interval_h, 0.0, dur, "h", low_inclusive=False)
        every = max(1, round(interval * 3600.0 / dt))
        prob = assemble(tip_level=tip_level, tip_offset_mm=tip_offset_mm,
                        dose_mg_per_day=dose_mg_per_day, flow_ml_per_day=flow_ml_per_day,
                        drug=drug, half_life_h=half_life_h, d_eff_m2_per_s=d_eff_m2_per_s,
                        drift_um_per_s=drift_um_per_s, grid_mm=grid_mm, area_mm2=area_mm2,
                        dt_s=dt, mixing_ratio=mixing_ratio)
        K, vol, src = prob.K, prob.volume_mm3, prob.source_mg_per_s
        k, q_out = prob.params.clearance_per_s, prob.outflow_mm3_per_s
        mdot = float(src.sum())
        half = 0.5 * dt
        lu_be = splu((diags(vol / half) + K).tocsc())        # backward Euler, dt/2
        lu_cn = splu((diags(vol / dt) + 0.5 * K).tocsc())    # Crank-Nicolson, dt
        vol_dt, vol_half = vol / dt, vol / half

        c = np.zeros_like(vol)
        snaps, times = [c.copy()], [0.0]
        infused, cleared, outflow = 0.0, 0.0, 0.0
        ledger = [(0.0, 0.0, 0.0, 0.0)]
        mass = 0.0
        report = max(1, n_steps // 100)
        for step in range(1, n_steps + 1):
            if step <= 2:  # Rannacher start-up: two backward-Euler half steps
                for _ in range(2):
                    c = lu_be.solve(vol_half * c + src)
                    mass = float(vol @ c)
                    cleared += half * k * mass
                    outflow += half * q_out * c[0]
            else:
                c_new = lu_cn.solve(vol_dt * c - 0.5 * (K @ c) + src)
                mass_new = float(vol @ c_new)
                cleared += half * k * (mass + mass_new)
                outflow += half * q_out * (c[0] + c_new[0])
                c, mass = c_new, mass_new
            infused += mdot * dt
            if step % every == 0 or step == n_steps:
                snaps.append(c.copy())
                times.append(step * dt / 3600.0)
                ledger.append((infused, mass, cleared, outflow))
            if progress is not None and (step % report == 0 or step == n_steps):
                progress(step, n_steps)

        conc = np.array(snaps) * UG_PER_ML_PER_MG_PER_MM3
        widths = np.array([spread_half_width_cm(prob.x_mm, row, prob.tip_mm) for row in conc])
        steady = spsolve(K.tocsc(), src) * UG_PER_ML_PER_MG_PER_MM3
        led = np.array(ledger)
        notes = _edge_notes(prob, conc[-1])
        if dur < 3.0 * prob.params.half_life_h:
            notes.append(f"The run ({dur:g} h) is shorter than 3 CSF half-lives "
                         f"({3 * prob.params.half_life_h:g} h): not yet at steady state.")
        res = SpreadResult(
            params=prob.params, drug=prob.drug, tip_level=prob.tip_level, tip_mm=prob.tip_mm,
            dose_mg_per_day=prob.dose_mg_per_day, flow_ml_per_day=prob.flow_ml_per_day,
            x_mm=_ro(prob.x_mm), area_mm2=_ro(prob.area_mm2),
            cell_volume_ml=_ro(prob.volume_mm3 / MM3_PER_ML), times_h=_ro(times),
            concentration_ug_per_ml=_ro(conc), level_names=LEVELS,
            level_boundaries_mm=_ro(prob.geometry.boundaries_mm),
            level_concentration_ug_per_ml=_ro(_level_means(prob, conc)),
            peak_ug_per_ml=_ro(conc.max(axis=1)),
            half_width_rostral_cm=_ro(widths[:, 0]), half_width_caudal_cm=_ro(widths[:, 1]),
            infused_mg=_ro(led[:, 0]), in_csf_mg=_ro(led[:, 1]), cleared_mg=_ro(led[:, 2]),
            outflow_mg=_ro(led[:, 3]), steady_concentration_ug_per_ml=_ro(steady),
            notes=tuple(notes))
        logger.info("spread: %s at %s, %d cells of %.3g mm, %d steps of %.3g s; peak %.3g ug/mL, "
                    "half-width %.2f cm rostral / %.2f cm caudal after %g h",
                    prob.drug or f"t1/2 {prob.params.half_life_h:g} h", prob.tip_level,
                    prob.x_mm.size, prob.params.grid_mm, n_steps, dt, res.peak_ug_per_ml[-1],
                    res.half_width_rostral_cm[-1], res.half_width_caudal_cm[-1], dur)
        return res
