"""Refill planning: daily volume and doses, alarm and refill dates, refill volume, calendar.

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
  mixture, clinic maximum interval));
* refill volume for the next fill = V_alarm + worst-case use until the refill after it
  (bounded by stability and the clinic interval), rounded up to 0.1 mL, at most the
  reservoir; the full reservoir when nothing but the volume bounds the interval.

:func:`plan_prescription` runs the checks first and refuses a prescription with an
unresolved refusal (:class:`~neuraxis.pump.findings.PrescriptionRefusedError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError
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
from neuraxis.pump.findings import AppliedOverride, Finding
from neuraxis.pump.prescription import MINUTES_PER_DAY, Prescription
from neuraxis.pump.tables import load_drug, load_pump

_REFILL_VOLUME_STEP_ML = 0.1


def days_to_consume(volume_ml: float, periods: tuple[tuple[dt.date, float], ...]) -> float:
    """Days until ``volume_ml`` is used at a piecewise-constant daily volume.

    Parameters
    ----------
    volume_ml : float
        Volume to use (mL), >= 0.
    periods : sequence of (date, mL/day)
        Daily volume from each date on; the first date is the start.

    Returns
    -------
    float
        Days from the first date (``inf`` if the rate is 0 at the end).

    Examples
    --------
    >>> d0 = dt.date(2025, 1, 1)
    >>> round(days_to_consume(38.0, ((d0, 0.15),)), 1)
    253.3
    """
    start = periods[0][0]
    left = volume_ml
    for (day, rate), nxt in zip(periods, (*periods[1:], None), strict=True):
        offset = (day - start).days
        if nxt is None:
            return math.inf if rate <= 0 else offset + left / rate
        span = (nxt[0] - day).days
        if rate * span >= left:
            return offset + left / rate
        left -= rate * span
    raise AssertionError("unreachable")


def volume_used_ml(periods: tuple[tuple[dt.date, float], ...], start: dt.date,
                   end: dt.date) -> float:
    """Volume used from ``start`` to ``end`` at a piecewise-constant daily volume (mL).

    The first rate also applies before the first date, the last one after the last.
    """
    total = 0.0
    last = len(periods) - 1
    for i, (day, rate) in enumerate(periods):
        lo = start if i == 0 else max(day, start)
        hi = end if i == last else min(periods[i + 1][0], end)
        if hi > lo:
            total += rate * (hi - lo).days
    return total


def _shift(periods: tuple[tuple[dt.date, float], ...], start: dt.date
           ) -> tuple[tuple[dt.date, float], ...]:
    """The same rates seen from ``start`` (the rate in force then, then later changes)."""
    current = periods[0][1]
    later = []
    for day, rate in periods:
        if day <= start:
            current = rate
        else:
            later.append((day, rate))
    return ((start, current), *later)


@dataclass(frozen=True)
class RefillEvent:
    """One refill of the calendar.

    Attributes
    ----------
    number : int
        1 for the next refill, 2 for the one after, ...
    date : datetime.date
        Refill date.
    previous_fill_date : datetime.date
        Date of the fill this refill replaces.
    days : int
        Days since that fill.
    limited_by : str
        What sets the date: the worst-case alarm, the stability limit, the clinic interval.
    fill_volume_ml : float
        Volume to prepare and inject at this refill (mL).
    """

    number: int
    date: dt.date
    previous_fill_date: dt.date
    days: int
    limited_by: str
    fill_volume_ml: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with ISO dates."""
        return {"number": self.number, "date": self.date.isoformat(),
                "previous_fill_date": self.previous_fill_date.isoformat(), "days": self.days,
                "limited_by": self.limited_by, "fill_volume_ml": self.fill_volume_ml}


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
    warnings: tuple[Finding, ...]
    overrides: tuple[AppliedOverride, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with unit-suffixed keys and ISO dates (floats to 10 digits)."""
        return _tidy(self._raw_dict())

    def _raw_dict(self) -> dict[str, Any]:
        rx = self.prescription
        pump = load_pump(rx.pump.model)
        change = self.concentration_change
        return {
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
                **change.to_dict(), "bridge_bolus": rx.procedure.bridge_bolus is True},
            "priming_bolus": None if self.priming is None else self.priming.to_dict(),
            "calendar": [e.to_dict() for e in self.calendar],
            "warnings": [w.to_dict() for w in self.warnings],
            "overrides": [o.to_dict() for o in self.overrides],
            "notes": list(self.notes),
        }


def _tidy(obj: Any) -> Any:
    """Round floats to 10 significant digits (drops 0.15000000000000002 noise)."""
    if isinstance(obj, float):
        return float(f"{obj:.10g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _tidy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_tidy(v) for v in obj]
    return obj


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


def _floor_days(days: float) -> int:
    """Whole days within ``days`` (tolerant to rounding noise just below an integer)."""
    return math.floor(days + 1e-9)


def _round_up(volume_ml: float, step: float = _REFILL_VOLUME_STEP_ML) -> float:
    return round(math.ceil(volume_ml / step - 1e-9) * step, 6)


def _cycle(rx: Prescription, start: dt.date, fill_ml: float, first_fill: bool,
           worst: tuple[tuple[dt.date, float], ...], extra_ml: float = 0.0
           ) -> tuple[float, str, float | None]:
    """Days until the refill of a fill at ``start`` and what limits them."""
    pump = load_pump(rx.pump.model)
    usable = fill_ml - pump.low_reservoir_volume_ml - extra_ml
    days_alarm = days_to_consume(usable, _shift(worst, start))
    stab = stability(rx, first_fill=first_fill)
    limits = [(days_alarm, "low-reservoir alarm (worst case)")]
    if stab.days is not None:
        limits.append((stab.days, f"stability, {stab.days:g} days"))
    if rx.max_interval_days is not None:
        limits.append((rx.max_interval_days,
                       f"clinic maximum interval, {rx.max_interval_days:g} days"))
    days, why = min(limits, key=lambda x: x[0])
    return days, why, stab.days


def _next_fill_volume(rx: Prescription, start: dt.date,
                      worst: tuple[tuple[dt.date, float], ...]) -> float:
    """Volume for a (non-first) fill at ``start``: enough for its interval, worst case."""
    pump = load_pump(rx.pump.model)
    stab = stability(rx, first_fill=False)
    bounds = [b for b in (stab.days, rx.max_interval_days) if b is not None]
    if not bounds:
        return pump.reservoir_volume_ml
    end = start + dt.timedelta(days=_floor_days(min(bounds)))
    need = pump.low_reservoir_volume_ml + volume_used_ml(_shift(worst, start), start, end)
    return min(pump.reservoir_volume_ml, _round_up(need))


def refill_calendar(rx: Prescription) -> tuple[RefillEvent, ...]:
    """Refill dates and volumes from the fill date over ``rx.horizon_days``.

    Each fill lasts until the earliest of its worst-case alarm, its stability limit
    and the clinic interval; each later fill gets the volume of
    :func:`_next_fill_volume` (the first one keeps the prescribed fill volume).
    """
    worst = daily_volume_periods(rx, boluses=True, tolerance=True)
    end = rx.pump.fill_date + dt.timedelta(days=rx.horizon_days)
    start, fill_ml, first = rx.pump.fill_date, rx.pump.fill_volume_ml, rx.pump.first_fill
    extra = extra_volume_at_fill_ml(rx)
    events: list[RefillEvent] = []
    while True:
        days, why, _ = _cycle(rx, start, fill_ml, first, worst, extra)
        whole = _floor_days(days)
        if whole < 1:
            raise NeuraxisInputError(
                f"Invalid prescription: a fill of {fill_ml:g} mL on {start.isoformat()} lasts "
                f"only {days:.2g} days in the worst case ({why}); lower the rate or fill more")
        date = start + dt.timedelta(days=whole)
        if date > end:
            break
        volume = _next_fill_volume(rx, date, worst)
        events.append(RefillEvent(len(events) + 1, date, start, whole, why, volume))
        start, fill_ml, first, extra = date, volume, False, 0.0
    if not events:  # the horizon ends before the next refill: report that one anyway
        days, why, _ = _cycle(rx, start, fill_ml, first, worst, extra)
        date = start + dt.timedelta(days=_floor_days(days))
        events.append(RefillEvent(1, date, start, _floor_days(days), why,
                                  _next_fill_volume(rx, date, worst)))
    return tuple(events)


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
        warnings=review.warnings,
        overrides=review.overrides,
        notes=_notes(rx, tol is not None))


def _date_after(start: dt.date, days: float) -> dt.date:
    """Calendar date on which ``days`` after ``start`` falls (far future capped)."""
    if not math.isfinite(days) or days > 3650 * 10:
        return dt.date.max
    return start + dt.timedelta(days=_floor_days(days))


def _notes(rx: Prescription, tolerance_known: bool) -> tuple[str, ...]:
    pump = load_pump(rx.pump.model)
    notes = ["Days to alarm: (fill volume - low-reservoir volume) / daily volume. The refill "
             "date uses the worst case: every allowed bolus each day"
             + (" at the fastest flow within the pump's tolerance" if tolerance_known else "")
             + "."]
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


# --------------------------------------------------------------------------- iCalendar

def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _ics_fold(line: str) -> list[str]:
    """Fold a content line at 75 octets (RFC 5545 3.1)."""
    out, cur = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((cur + ch).encode("utf-8")) > limit:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    out.append(cur)
    return [out[0], *(" " + s for s in out[1:])]


def refill_calendar_ics(plan: PumpPlan, *, dtstamp: dt.datetime | None = None) -> str:
    """The refill calendar as iCalendar text (RFC 5545), one all-day event per refill.

    Parameters
    ----------
    plan : PumpPlan
    dtstamp : datetime | None
        Creation time stamped on the events (UTC); default now.

    Returns
    -------
    str
        ``BEGIN:VCALENDAR ... END:VCALENDAR`` with CRLF line ends.
    """
    rx = plan.prescription
    stamp = (dtstamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    mix = ", ".join(load_drug(c.drug).fmt(c.concentration_mg_per_ml, "mL") + " "
                    + load_drug(c.drug).name.lower() for c in rx.mixture)
    who = f" ({rx.patient_id})" if rx.patient_id else ""
    pump = load_pump(rx.pump.model)
    key = hashlib.sha256(f"{rx.patient_id}|{rx.pump.model}|{rx.pump.fill_date}".encode()
                         ).hexdigest()[:16]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//neuraxis//pump refill calendar//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for ev in plan.calendar:
        desc = (f"Refill {ev.number} of the {pump.name}: prepare {ev.fill_volume_ml:g} mL of "
                f"{mix}. {ev.days} days after the fill of {ev.previous_fill_date.isoformat()}; "
                f"date set by: {ev.limited_by}.")
        lines += ["BEGIN:VEVENT", f"UID:{key}-refill-{ev.number}@neuraxis",
                  f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{ev.date.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(ev.date + dt.timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{_ics_escape(f'Intrathecal pump refill {ev.number}{who}')}",
                  f"DESCRIPTION:{_ics_escape(desc)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in _ics_fold(line))
