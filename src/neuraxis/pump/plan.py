"""Refill planning: daily volume and doses, alarm and refill dates, refill volume.

Formulas (REFERENCE 3.4; q daily volume in mL/day):

* daily volume q = D / C for a simple schedule, the sum of rate x duration for a flex one;
  dose of each drug = q x its concentration;
* with boluses q = q_basal + n_max x V_bolus, n_max = min(max per day, ceil(1440 / lockout));
* days to the low-reservoir alarm = (V_fill - V_alarm) / q, integrated over the titration
  steps when the rate changes. Three cases: nominal (basal only), all boluses, and the
  worst case (all boluses at the fastest flow the pump's tolerance allows, q x (1 + tol));
* a priming bolus, and a bridge bolus beyond the basal rate, are taken from the
  fill's usable volume;
* refill date = fill date + floor(min(worst-case days to alarm, stability limit of the
  mixture, clinic maximum interval)), then moved onto a working day (by default the
  previous one; :mod:`neuraxis.pump.calendar`, which also holds the refill calendar
  and its iCalendar form);
* refill volume for the next fill = V_alarm + worst-case use until the refill after it
  (bounded by stability and the clinic interval), rounded up to 0.1 mL, at most the
  reservoir; the full reservoir when nothing but the volume bounds the interval.

:func:`plan_prescription` runs the checks first and refuses a prescription with an
unresolved refusal (:class:`~neuraxis.pump.findings.PrescriptionRefusedError`, whose
``to_dict()`` gives its JSON form).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from neuraxis.pump.calendar import (
    RefillEvent,
    days_to_consume,
    floor_days,
    refill_calendar,
    refill_calendar_ics,
    volume_used_ml,
)
from neuraxis.pump.changes import PrimingBolus
from neuraxis.pump.checks import review_prescription
from neuraxis.pump.dosing import (
    MixtureChange,
    daily_volume_periods,
    doses_mg_per_day,
    extra_volume_at_fill_ml,
    flow_tolerance_percent,
    max_possible_dose_mg_per_day,
    mixture_change,
    priming,
    stability,
    valve_interval_min,
)
from neuraxis.pump.findings import AppliedOverride, Finding, tidy_json
from neuraxis.pump.prescription import MINUTES_PER_DAY, Prescription, WorkingCalendar
from neuraxis.pump.tables import load_drug, load_pump

# The calendar names are re-exported: they lived here before neuraxis.pump.calendar;
# tidy_json lives in neuraxis.pump.findings (a refusal's JSON uses it too).
__all__ = ["PumpPlan", "RefillEvent", "days_to_consume", "plan_prescription",
           "refill_calendar", "refill_calendar_ics", "tidy_json", "volume_used_ml"]


@dataclass(frozen=True)
class PumpPlan:
    """The refill plan of a prescription (volumes mL, doses mg/day, times days).

    Build one with :func:`plan_prescription`; :meth:`to_dict` gives the JSON form.
    """

    prescription: Prescription
    daily_volume_ml: float
    bolus_volume_ml: float | None
    max_boluses_per_day: int
    daily_volume_all_boluses_ml: float
    daily_volume_worst_case_ml: float
    flow_tolerance_percent: float | None
    dose_per_drug_mg_per_day: dict[str, float]
    max_dose_per_drug_mg_per_day: dict[str, float]
    days_to_alarm_nominal: float
    days_to_alarm_all_boluses: float
    days_to_alarm: float
    alarm_date_nominal: dt.date
    alarm_date: dt.date
    stability_days: float | None
    stability_source: str
    refill_date: dt.date
    refill_limited_by: str
    refill_volume_ml: float
    expected_residual_at_refill_ml: float
    expected_residual_at_refill_all_boluses_ml: float
    extra_volume_at_fill_ml: float
    valve_interval_min: float | None
    concentration_change: MixtureChange | None
    priming: PrimingBolus | None
    calendar: tuple[RefillEvent, ...]
    working_calendar: WorkingCalendar
    warnings: tuple[Finding, ...]
    overrides: tuple[AppliedOverride, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with unit-suffixed keys and ISO dates (floats to 10 digits);
        ``status`` is ``'ok'`` (a refusal has no plan: see
        :meth:`~neuraxis.pump.findings.PrescriptionRefusedError.to_dict`).

        ``concentration_change`` is :meth:`~neuraxis.pump.dosing.MixtureChange.to_dict`
        (the dead space's source and ``verified``/``complete`` flags, and on a
        constant-flow pump ``constant_flow``) plus ``bridge_bolus``
        (:attr:`bridge_bolus`: false on a constant-flow pump). ``priming_bolus``
        carries ``volume_source`` and ``volume_verified``."""
        return tidy_json(self._raw_dict())

    @property
    def bridge_bolus(self) -> bool:
        """Whether a bridge bolus is programmed for the concentration change
        (``procedure.bridge_bolus: true``); never on a constant-flow pump, which cannot
        give one."""
        change = self.concentration_change
        return (change is not None and change.constant_flow is None
                and self.prescription.procedure.bridge_bolus is True)

    def _raw_dict(self) -> dict[str, Any]:
        rx = self.prescription
        pump = load_pump(rx.pump.model)
        change = self.concentration_change
        return {
            "status": "ok",
            "pump": rx.pump.model, "pump_name": pump.name, "pump_kind": pump.kind,
            "fill_date": rx.pump.fill_date.isoformat(), "fill_volume_ml": rx.pump.fill_volume_ml,
            "low_reservoir_volume_ml": pump.low_reservoir_volume_ml,
            "catheter": {"model": rx.catheter.model, "length_cm": rx.catheter.length_cm,
                         "tip_level": rx.catheter.tip_level,
                         "volume_ml": rx.catheter.volume_ml},
            "mixture_mg_per_ml": {c.drug: c.concentration_mg_per_ml for c in rx.mixture},
            "basal_mode": rx.basal_mode,
            "schedule": [_segment_dict(rx, s) for s in rx.segments],
            "daily_volume_ml": self.daily_volume_ml,
            "dose_per_drug_mg_per_day": self.dose_per_drug_mg_per_day,
            "bolus_volume_ml": self.bolus_volume_ml,
            "max_boluses_per_day": self.max_boluses_per_day,
            "max_dose_per_drug_mg_per_day": self.max_dose_per_drug_mg_per_day,
            "daily_volume_all_boluses_ml": self.daily_volume_all_boluses_ml,
            "flow_tolerance_percent": self.flow_tolerance_percent,
            "daily_volume_worst_case_ml": self.daily_volume_worst_case_ml,
            "days_to_alarm_nominal": self.days_to_alarm_nominal,
            "days_to_alarm_all_boluses": self.days_to_alarm_all_boluses,
            "days_to_alarm": self.days_to_alarm,
            "alarm_date_nominal": self.alarm_date_nominal.isoformat(),
            "alarm_date": self.alarm_date.isoformat(),
            "stability_days": self.stability_days, "stability_source": self.stability_source,
            "refill_date": self.refill_date.isoformat(),
            "refill_limited_by": self.refill_limited_by,
            "refill_volume_ml": self.refill_volume_ml,
            "expected_residual_at_refill_ml": self.expected_residual_at_refill_ml,
            "expected_residual_at_refill_all_boluses_ml":
                self.expected_residual_at_refill_all_boluses_ml,
            "extra_volume_at_fill_ml": self.extra_volume_at_fill_ml,
            "valve_interval_min": self.valve_interval_min,
            "concentration_change": None if change is None else {
                **change.to_dict(), "bridge_bolus": self.bridge_bolus},
            "priming_bolus": None if self.priming is None else self.priming.to_dict(),
            "calendar": [e.to_dict() for e in self.calendar],
            "working_calendar": self.working_calendar.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
            "overrides": [o.to_dict() for o in self.overrides],
            "notes": list(self.notes),
        }


def _segment_dict(rx: Prescription, seg: Any) -> dict[str, Any]:
    end = (seg.start_min + seg.duration_min) % MINUTES_PER_DAY
    out = {"start": f"{seg.start_min // 60:02d}:{seg.start_min % 60:02d}",
           "end": f"{end // 60:02d}:{end % 60:02d}" if end else "24:00",
           "rate_ml_per_day": seg.rate_ml_per_day,
           "rate_mg_per_hour": {c.drug: seg.rate_ml_per_day * c.concentration_mg_per_ml / 24.0
                                for c in rx.mixture}}
    acc = load_pump(rx.pump.model).value("accumulator_volume_ml")
    if acc is not None and seg.rate_ml_per_day > 0:
        out["valve_interval_min"] = valve_interval_min(seg.rate_ml_per_day, float(acc))
    return out


def plan_prescription(rx: Prescription) -> PumpPlan:
    """Check a prescription and plan its refills.

    Parameters
    ----------
    rx : Prescription
        From :func:`~neuraxis.pump.io.load_prescription`.

    Returns
    -------
    PumpPlan

    Raises
    ------
    PrescriptionRefusedError
        A check refused the prescription and no override lifts it (a
        :class:`~neuraxis.NeuraxisInputError`; the message lists every refusal).
    """
    review = review_prescription(rx)
    review.raise_if_refused()
    pump = load_pump(rx.pump.model)
    extra = extra_volume_at_fill_ml(rx)
    usable = rx.pump.fill_volume_ml - pump.low_reservoir_volume_ml - extra
    nominal = daily_volume_periods(rx, boluses=False, tolerance=False)
    all_bolus = daily_volume_periods(rx, boluses=True, tolerance=False)
    worst = daily_volume_periods(rx, boluses=True, tolerance=True)
    d_nom = days_to_consume(usable, nominal)
    d_bol = days_to_consume(usable, all_bolus)
    d_worst = days_to_consume(usable, worst)
    fill = rx.pump.fill_date
    calendar = refill_calendar(rx)
    nxt = calendar[0]
    tol = flow_tolerance_percent(rx)
    stab = stability(rx, first_fill=rx.pump.first_fill)
    valve = None
    acc = pump.value("accumulator_volume_ml")
    if acc is not None and rx.basal_mode == "simple":
        valve = valve_interval_min(rx.basal_daily_volume_ml, float(acc))
    max_dose = max_possible_dose_mg_per_day(rx)
    return PumpPlan(
        prescription=rx,
        daily_volume_ml=rx.basal_daily_volume_ml,
        bolus_volume_ml=None if rx.bolus is None else rx.bolus.volume_ml,
        max_boluses_per_day=0 if rx.bolus is None else rx.bolus.max_boluses_per_day,
        daily_volume_all_boluses_ml=all_bolus[0][1],
        daily_volume_worst_case_ml=worst[0][1],
        flow_tolerance_percent=None if tol is None else float(tol.value),
        dose_per_drug_mg_per_day=doses_mg_per_day(rx.mixture, rx.basal_daily_volume_ml),
        max_dose_per_drug_mg_per_day={d: v for d, (v, _) in max_dose.items()},
        days_to_alarm_nominal=d_nom, days_to_alarm_all_boluses=d_bol, days_to_alarm=d_worst,
        alarm_date_nominal=_date_after(fill, d_nom), alarm_date=_date_after(fill, d_worst),
        stability_days=stab.days, stability_source=stab.source,
        refill_date=nxt.date, refill_limited_by=nxt.limited_by,
        refill_volume_ml=nxt.fill_volume_ml,
        expected_residual_at_refill_ml=rx.pump.fill_volume_ml - extra - volume_used_ml(
            nominal, fill, nxt.date),
        expected_residual_at_refill_all_boluses_ml=rx.pump.fill_volume_ml - extra
        - volume_used_ml(all_bolus, fill, nxt.date),
        extra_volume_at_fill_ml=extra,
        valve_interval_min=valve,
        concentration_change=mixture_change(rx),
        priming=priming(rx),
        calendar=calendar,
        working_calendar=rx.working_calendar,
        warnings=review.warnings,
        overrides=review.overrides,
        notes=_notes(rx, tol is not None, calendar))


def _date_after(start: dt.date, days: float) -> dt.date:
    """Calendar date on which ``days`` after ``start`` falls (far future capped)."""
    if not math.isfinite(days) or days > 3650 * 10:
        return dt.date.max
    return start + dt.timedelta(days=floor_days(days))


def _notes(rx: Prescription, tolerance_known: bool, calendar: tuple[RefillEvent, ...]
           ) -> tuple[str, ...]:
    pump = load_pump(rx.pump.model)
    notes = ["Days to alarm: (fill volume - low-reservoir volume) / daily volume. The refill "
             "date uses the worst case: every allowed bolus each day"
             + (" at the fastest flow within the pump's tolerance" if tolerance_known else "")
             + "."]
    moved = sum(e.moved_from is not None for e in calendar)
    if moved:
        notes.append(f"{moved} of {len(calendar)} refill dates fell on a weekend or holiday "
                     "and moved (see the calendar); a refill never moves past the worst-case "
                     "alarm, the stability limit or the clinic interval.")
    if rx.bolus is not None and rx.bolus.max_boluses_per_day < rx.bolus.max_per_day:
        notes.append(f"The lockout of {rx.bolus.lockout_min:g} min allows only "
                     f"{rx.bolus.max_boluses_per_day} boluses in 24 h (max_per_day is "
                     f"{rx.bolus.max_per_day}).")
    if pump.kind == "constant_flow":
        notes.append("Constant-flow pump: the dose changes only through the concentration, "
                     "at a refill.")
    if rx.basal_mode == "flex" and mixture_change(rx) is not None:
        notes.append("The concentration-change window uses the flex schedule's mean daily rate.")
    if any(load_drug(c.drug).indication == "spasticity" for c in rx.mixture):
        notes.append("Baclofen: never let the pump run dry; abrupt withdrawal can be fatal "
                     "(label; REFERENCE 3.2).")
    return tuple(notes)
