"""Results of the spread model, and the half-width to 10 % of the peak.

:class:`SpreadProfile` holds what a run and a steady-state solve share (inputs, cells,
levels, concentrations, notes); :class:`SpreadResult` adds the time course and the
mass ledger, :class:`SteadySpread` the steady rates, :class:`ScheduleSpread` a basal
infusion with boluses next to the basal infusion alone. Each has one ``to_dict()``.
Concentrations are in ug/mL for every drug (1 ug/mL = 1 mg/L; ziconotide levels are
of order 0.01-0.1 ug/mL, morphine of order 1-100 ug/mL).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from neuraxis._validate import check_range
from neuraxis.pump.spread.dispersion import InjectionSpread
from neuraxis.pump.spread.model import SpreadParams

#: Half-widths are measured to this fraction of the peak (10 %).
FRACTION = 0.1


def spread_half_width_cm(x_mm: np.ndarray, concentration: np.ndarray, tip_mm: float, *,
                         fraction: float = FRACTION) -> tuple[float, float]:
    """Distance from the tip to where the profile falls to ``fraction`` of its peak (cm).

    Parameters
    ----------
    x_mm : numpy.ndarray
        Cell centres (mm from the foramen magnum), increasing.
    concentration : numpy.ndarray
        Profile at those cells (any unit).
    tip_mm : float
        Catheter tip (mm).
    fraction : float
        Threshold as a fraction of the peak (default 0.1).

    Returns
    -------
    (rostral_cm, caudal_cm) : tuple of float
        Log-linear interpolation between cells (exact for an exponential tail). A side
        whose profile stays above the threshold up to the canal end returns the distance
        to that end.
    """
    c = np.asarray(concentration, dtype=float)
    peak_i = int(np.argmax(c))
    peak = c[peak_i]
    if not peak > 0.0:
        return 0.0, 0.0
    thr = fraction * peak
    out = []
    for step in (-1, 1):
        j = peak_i
        while 0 <= j + step < c.size and c[j + step] >= thr:
            j += step
        if not 0 <= j + step < c.size:
            # Above the threshold to the last cell: report the distance to the canal end.
            edge = x_mm[j] + step * 0.5 * abs(x_mm[j] - x_mm[j - step])
            out.append(abs(edge - tip_mm) / 10.0)
            continue
        c_in, c_out = c[j], c[j + step]
        if c_out > 0.0:
            frac = math.log(c_in / thr) / math.log(c_in / c_out)
        else:
            frac = (c_in - thr) / (c_in - c_out)
        xc = x_mm[j] + frac * (x_mm[j + step] - x_mm[j])
        out.append(max(step * (xc - tip_mm), 0.0) / 10.0)
    return out[0], out[1]


@dataclass(frozen=True, kw_only=True)
class SpreadProfile:
    """What every spread result holds: the inputs, the cells, the levels, the profile(s).

    Attributes
    ----------
    params : SpreadParams
        Transport parameters, grid and time step used.
    drug : str or None
        Drug name from the table, if one was given.
    tip_level : str
        Vertebral level of the catheter tip.
    tip_mm : float
        Tip position, mm from the foramen magnum.
    dose_mg_per_day, flow_ml_per_day : float
        Dose rate (mg/day) and infusate flow (mL/day).
    x_mm, area_mm2, cell_volume_ml : numpy.ndarray, shape (n_x,)
        Cell centres (mm from the foramen magnum), CSF cross-section there (mm^2) and the
        CSF volume of each cell (mL).
    level_names : tuple of str
        ``'C1'`` ... ``'S2'``.
    level_boundaries_mm : numpy.ndarray, shape (n_levels + 1,)
        Level boundaries (mm).
    concentration_ug_per_ml : numpy.ndarray, shape (n_t, n_x) or (n_x,)
        Cell-mean concentration (ug/mL): one row per output time of a run, one profile
        for a steady state.
    level_concentration_ug_per_ml : numpy.ndarray, shape (n_t, n_levels) or (n_levels,)
        Volume-weighted mean concentration over each vertebral level (ug/mL).
    notes : tuple of str
        Warnings (drug reaching a canal end, steady state not reached).
    """

    params: SpreadParams
    drug: str | None
    tip_level: str
    tip_mm: float
    dose_mg_per_day: float
    flow_ml_per_day: float
    x_mm: np.ndarray
    area_mm2: np.ndarray
    cell_volume_ml: np.ndarray
    level_names: tuple[str, ...]
    level_boundaries_mm: np.ndarray
    concentration_ug_per_ml: np.ndarray
    level_concentration_ug_per_ml: np.ndarray
    notes: tuple[str, ...] = ()

    def fraction_within(self, distance_cm: float, index: int = -1) -> float:
        """Fraction of the drug in the spinal CSF lying within ``distance_cm`` of the tip.

        Parameters
        ----------
        distance_cm : float
            Distance along the canal on either side of the tip (cm).
        index : int
            Output time index of a run (default: the last); ignored for a steady state.
        """
        dist = check_range("distance_cm", distance_cm, 0.0, None, "cm")
        mass = np.atleast_2d(self.concentration_ug_per_ml)[index] * self.cell_volume_ml
        total = float(mass.sum())
        near = np.abs(self.x_mm - self.tip_mm) <= 10.0 * dist
        return float(mass[near].sum()) / total if total > 0 else 0.0

    def concentration_at_mm(self, position_mm: float) -> np.ndarray:
        """Concentration (ug/mL) at a position along the canal, linear between cells:
        one value per output time of a run, one value for a steady state."""
        pos = check_range("position_mm", position_mm, 0.0, float(self.level_boundaries_mm[-1]),
                          "mm")
        c = np.atleast_2d(self.concentration_ug_per_ml)
        out = np.array([np.interp(pos, self.x_mm, row) for row in c])
        return out if np.ndim(self.concentration_ug_per_ml) > 1 else out[0]

    def _inputs_dict(self) -> dict[str, Any]:
        return {"drug": self.drug, "tip_level": self.tip_level, "tip_mm": self.tip_mm,
                "dose_mg_per_day": self.dose_mg_per_day,
                "flow_ml_per_day": self.flow_ml_per_day, **asdict(self.params),
                "decay_length_mm": self.params.decay_length_mm}

    def _levels_dict(self) -> dict[str, Any]:
        last = np.atleast_2d(self.level_concentration_ug_per_ml)[-1]
        return {"level_concentration_ug_per_ml": {
                    name: float(v) for name, v in zip(self.level_names, last, strict=True)},
                "notes": list(self.notes)}


@dataclass(frozen=True, kw_only=True)
class SpreadResult(SpreadProfile):
    """Drug concentration in the spinal CSF over time (:func:`simulate_spread`).

    Attributes
    ----------
    (and those of :class:`SpreadProfile`)
    times_h : numpy.ndarray, shape (n_t,)
        Output times (h); the first is 0 (no drug), the last the requested duration.
    peak_ug_per_ml : numpy.ndarray, shape (n_t,)
        Highest cell concentration.
    half_width_rostral_cm, half_width_caudal_cm : numpy.ndarray, shape (n_t,)
        Distance from the tip to 10 % of the peak, toward the head and toward the sacrum.
    infused_mg, in_csf_mg, cleared_mg, outflow_mg : numpy.ndarray, shape (n_t,)
        Mass balance: drug infused so far, present in the spinal CSF, cleared from it, and
        carried out through the foramen magnum. ``infused = in_csf + cleared + outflow``.
    steady_concentration_ug_per_ml : numpy.ndarray, shape (n_x,)
        The steady state of the same problem (what the profile tends to).
    """

    times_h: np.ndarray
    peak_ug_per_ml: np.ndarray
    half_width_rostral_cm: np.ndarray
    half_width_caudal_cm: np.ndarray
    infused_mg: np.ndarray
    in_csf_mg: np.ndarray
    cleared_mg: np.ndarray
    outflow_mg: np.ndarray
    steady_concentration_ug_per_ml: np.ndarray

    @property
    def mass_balance_error(self) -> float:
        """Largest |infused - (in CSF + cleared + outflow)| / infused over the outputs."""
        resid = self.infused_mg - (self.in_csf_mg + self.cleared_mg + self.outflow_mg)
        return float(np.max(np.abs(resid[1:]) / self.infused_mg[1:])) if resid.size > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready scalars at the final time, and the per-level concentrations."""
        rostral, caudal = spread_half_width_cm(self.x_mm, self.steady_concentration_ug_per_ml,
                                               self.tip_mm)
        return {
            **self._inputs_dict(),
            "duration_h": float(self.times_h[-1]),
            "peak_ug_per_ml": float(self.peak_ug_per_ml[-1]),
            "half_width_rostral_cm": float(self.half_width_rostral_cm[-1]),
            "half_width_caudal_cm": float(self.half_width_caudal_cm[-1]),
            "steady_half_width_rostral_cm": rostral, "steady_half_width_caudal_cm": caudal,
            "infused_mg": float(self.infused_mg[-1]), "in_csf_mg": float(self.in_csf_mg[-1]),
            "cleared_mg": float(self.cleared_mg[-1]), "outflow_mg": float(self.outflow_mg[-1]),
            "mass_balance_error": self.mass_balance_error,
            **self._levels_dict(),
        }


@dataclass(frozen=True, kw_only=True)
class SteadySpread(SpreadProfile):
    """Steady-state drug concentration in the spinal CSF (:func:`steady_state_spread`).

    The mass balance is in rates: ``dose_mg_per_day = cleared_mg_per_day +
    outflow_mg_per_day``.

    Attributes
    ----------
    (and those of :class:`SpreadProfile`)
    peak_ug_per_ml : float
        Highest cell concentration.
    half_width_rostral_cm, half_width_caudal_cm : float
        Distance from the tip to 10 % of the peak, toward the head and toward the sacrum.
    in_csf_mg : float
        Drug present in the spinal CSF.
    cleared_mg_per_day, outflow_mg_per_day : float
        Drug cleared from the CSF, and carried out through the foramen magnum.
    """

    peak_ug_per_ml: float
    half_width_rostral_cm: float
    half_width_caudal_cm: float
    in_csf_mg: float
    cleared_mg_per_day: float
    outflow_mg_per_day: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready scalars and the per-level concentrations."""
        return {
            **self._inputs_dict(),
            "peak_ug_per_ml": self.peak_ug_per_ml,
            "half_width_rostral_cm": self.half_width_rostral_cm,
            "half_width_caudal_cm": self.half_width_caudal_cm,
            "in_csf_mg": self.in_csf_mg, "cleared_mg_per_day": self.cleared_mg_per_day,
            "outflow_mg_per_day": self.outflow_mg_per_day,
            **self._levels_dict(),
        }


@dataclass(frozen=True, kw_only=True)
class ScheduleSpread(SpreadProfile):
    """A basal infusion with bolus events, next to the basal infusion alone
    (:func:`~neuraxis.pump.spread.simulate_schedule`).

    ``dose_mg_per_day`` and ``flow_ml_per_day`` are the basal infusion's;
    ``concentration_ug_per_ml`` is the whole schedule's.

    Attributes
    ----------
    (and those of :class:`SpreadProfile`)
    times_h : numpy.ndarray, shape (n_t,)
        Output times (h), from 0.
    basal_concentration_ug_per_ml : numpy.ndarray, shape (n_t, n_x)
        The basal infusion alone.
    target_segments : tuple of str
        Cord segments reported.
    target_mm : numpy.ndarray, shape (n_targets,)
        Their dorsal-root entry zones along the canal (mm from the foramen magnum).
    target_concentration_ug_per_ml, basal_target_concentration_ug_per_ml : numpy.ndarray
        CSF concentration over the dorsal horn of each target segment (n_t, n_targets):
        the schedule and the basal infusion alone. The model has no cord compartment:
        this is the CSF that bathes the segment.
    bolus_times_h, bolus_doses_mg, bolus_volumes_ml, bolus_durations_min : numpy.ndarray
        The bolus events.
    bolus_spreads : tuple of InjectionSpread
        Each bolus's initial spread (volume, jet, stirring fraction).
    bolus_mixing_ratios : numpy.ndarray
        Mixing ratio of each bolus during its phase.
    bolus_phase_h : float or None
        How long after its injection a bolus keeps its mixing ratio (h); None: as long
        as its drug is in the CSF.
    infused_mg, in_csf_mg, cleared_mg, outflow_mg : numpy.ndarray, shape (n_t,)
        Mass ledger of the schedule: ``infused = in_csf + cleared + outflow``.
    """

    times_h: np.ndarray
    basal_concentration_ug_per_ml: np.ndarray
    target_segments: tuple[str, ...]
    target_mm: np.ndarray
    target_concentration_ug_per_ml: np.ndarray
    basal_target_concentration_ug_per_ml: np.ndarray
    bolus_times_h: np.ndarray
    bolus_doses_mg: np.ndarray
    bolus_volumes_ml: np.ndarray
    bolus_durations_min: np.ndarray
    bolus_spreads: tuple[InjectionSpread, ...]
    bolus_mixing_ratios: np.ndarray
    bolus_phase_h: float | None
    basal_start_h: float
    infused_mg: np.ndarray
    in_csf_mg: np.ndarray
    cleared_mg: np.ndarray
    outflow_mg: np.ndarray

    @property
    def mass_balance_error(self) -> float:
        """Largest |infused - (in CSF + cleared + outflow)| / total infused."""
        resid = self.infused_mg - (self.in_csf_mg + self.cleared_mg + self.outflow_mg)
        total = float(self.infused_mg[-1])
        return float(np.max(np.abs(resid)) / total) if total > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: inputs, boluses, and per target segment the peak and time-mean
        concentration of the schedule and of the basal infusion alone."""
        dur = float(self.times_h[-1])

        def mean(c: np.ndarray) -> float:
            return float(np.trapezoid(c, self.times_h) / dur) if dur > 0 else float(c[-1])

        targets = {}
        for j, seg in enumerate(self.target_segments):
            sched = self.target_concentration_ug_per_ml[:, j]
            basal = self.basal_target_concentration_ug_per_ml[:, j]
            targets[seg] = {
                "position_mm": float(self.target_mm[j]),
                "peak_ug_per_ml": float(sched.max()),
                "peak_time_h": float(self.times_h[int(np.argmax(sched))]),
                "mean_ug_per_ml": mean(sched),
                "basal_peak_ug_per_ml": float(basal.max()),
                "basal_mean_ug_per_ml": mean(basal),
            }
        boluses = [{"time_h": float(t), "dose_mg": float(d), "volume_ml": float(v),
                    "duration_min": float(m), "mixing_ratio": float(k), **s.to_dict()}
                   for t, d, v, m, k, s in zip(self.bolus_times_h, self.bolus_doses_mg,
                                               self.bolus_volumes_ml, self.bolus_durations_min,
                                               self.bolus_mixing_ratios, self.bolus_spreads,
                                               strict=True)]
        return {
            **self._inputs_dict(),
            "basal_dose_mg_per_day": self.dose_mg_per_day,
            "basal_flow_ml_per_day": self.flow_ml_per_day, "basal_start_h": self.basal_start_h,
            "duration_h": dur, "bolus_phase_h": self.bolus_phase_h,
            "boluses": boluses, "targets": targets,
            "infused_mg": float(self.infused_mg[-1]), "in_csf_mg": float(self.in_csf_mg[-1]),
            "cleared_mg": float(self.cleared_mg[-1]), "outflow_mg": float(self.outflow_mg[-1]),
            "mass_balance_error": self.mass_balance_error,
            **self._levels_dict(),
        }
