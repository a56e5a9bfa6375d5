"""The refill calendar: when each refill falls, moved onto a working day, and its iCalendar.

Each fill lasts until the earliest of its worst-case low-reservoir alarm, the stability
limit of the mixture and the clinic's maximum interval; the refill is planned on the
last whole day before that limit (REFERENCE 3.4). A planned date on a weekend or a
holiday then moves according to the prescription's ``calendar`` section
(``rx.working_calendar``, a :class:`~neuraxis.pump.prescription.WorkingCalendar`):

* ``previous`` (default): to the previous working day. Always safe: an earlier refill
  leaves more drug in the reservoir and a fresher mixture; the next fill's interval and
  volume are computed from the day the refill really happens.
* ``next``: to the next working day, but only if that day stays within every limit
  (alarm, stability, clinic interval). The planned date is already the last day within
  them, so a later day passes one; the refill then goes to the previous working day
  instead, and the event says why.
* ``none``: the date stays; the event notes that it is not a working day.

Every event that moved keeps the planned date (``moved_from``) and the reason
(``date_note``), shown in the JSON, the table and the iCalendar DESCRIPTION.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError
from neuraxis.pump.dosing import daily_volume_periods, extra_volume_at_fill_ml, stability
from neuraxis.pump.prescription import Prescription, WorkingCalendar
from neuraxis.pump.tables import load_drug, load_pump

__all__ = ["RefillEvent", "days_to_consume", "place_refill", "refill_calendar",
           "refill_calendar_ics", "volume_used_ml"]

_REFILL_VOLUME_STEP_ML = 0.1
#: Days searched for a working day before giving up (a year of holidays, and more).
_SEARCH_DAYS = 400


def _search(day: dt.date, step: int, bound: dt.date, cal: WorkingCalendar) -> dt.date | None:
    """The first working day from ``day`` + ``step`` towards ``bound`` (included)."""
    for k in range(1, _SEARCH_DAYS + 1):
        cand = day + dt.timedelta(days=step * k)
        if (step < 0 and cand < bound) or (step > 0 and cand > bound):
            return None
        if cal.is_working_day(cand):
            return cand
    return None


def place_refill(day: dt.date, *, earliest: dt.date, latest: dt.date, cal: WorkingCalendar,
                 limited_by: str = "") -> tuple[dt.date, str]:
    """The day a refill planned on ``day`` is done, and a note when it is not ``day``.

    Parameters
    ----------
    day : datetime.date
        Planned date (the last day within the limits of the fill).
    earliest : datetime.date
        First day it may move back to (the day after the fill).
    latest : datetime.date
        Last day it may move forward to (the last day within every limit).
    cal : WorkingCalendar
    limited_by : str
        What sets ``day``, named in the note when ``next`` falls back.

    Returns
    -------
    (datetime.date, str)
        The refill day, and ``''`` for a working day or else why it moved (or did not).

    Examples
    --------
    >>> sunday = dt.date(2025, 6, 1)
    >>> day, note = place_refill(sunday, earliest=dt.date(2025, 3, 4), latest=sunday,
    ...                          cal=WorkingCalendar())
    >>> day
    datetime.date(2025, 5, 30)
    >>> note
    '2025-06-01 is a Sunday, not a working day; moved to the previous working day, 2 days earlier'
    """
    why = cal.not_working_because(day)
    if why is None:
        return day, ""
    if cal.move == "none":
        return day, f"{why}; not moved (calendar.move: none)"
    fallback = ""
    if cal.move == "next":
        later = _search(day, 1, latest, cal)
        if later is not None:
            return later, (f"{why}; moved to the next working day, "
                           f"{_days_text((later - day).days)} later")
        nxt = _search(day, 1, day + dt.timedelta(days=_SEARCH_DAYS), cal)
        limit = f" ({limited_by})" if limited_by else ""
        fallback = ("the next working day"
                    + (f", {nxt.isoformat()}," if nxt is not None else "")
                    + f" would pass the limit that sets this date{limit}, so ")
    earlier = _search(day, -1, earliest, cal)
    if earlier is None:
        return day, (f"{why}; {fallback}no working day from {earliest.isoformat()} on: "
                     "kept on this day")
    return earlier, (f"{why}; {fallback}moved to the previous working day, "
                     f"{_days_text((day - earlier).days)} earlier")


def _days_text(n: int) -> str:
    return f"{n} day" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- consumption

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


def floor_days(days: float) -> int:
    """Whole days within ``days`` (tolerant to rounding noise just below an integer)."""
    return math.floor(days + 1e-9)


def _round_up(volume_ml: float, step: float = _REFILL_VOLUME_STEP_ML) -> float:
    return round(math.ceil(volume_ml / step - 1e-9) * step, 6)


# --------------------------------------------------------------------------- calendar

@dataclass(frozen=True)
class RefillEvent:
    """One refill of the calendar.

    Attributes
    ----------
    number : int
        1 for the next refill, 2 for the one after, ...
    date : datetime.date
        Refill date (on a working day unless ``date_note`` says otherwise).
    previous_fill_date : datetime.date
        Date of the fill this refill replaces.
    days : int
        Days since that fill.
    limited_by : str
        What sets the planned date: the worst-case alarm, the stability limit, the
        clinic interval.
    fill_volume_ml : float
        Volume to prepare and inject at this refill (mL).
    moved_from : datetime.date | None
        The planned date when the refill moved off it (a weekend or holiday), else None.
    date_note : str
        Why the refill moved, or why it stays on a non-working day; ``''`` otherwise.
    """

    number: int
    date: dt.date
    previous_fill_date: dt.date
    days: int
    limited_by: str
    fill_volume_ml: float
    moved_from: dt.date | None = None
    date_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with ISO dates."""
        return {"number": self.number, "date": self.date.isoformat(),
                "previous_fill_date": self.previous_fill_date.isoformat(), "days": self.days,
                "limited_by": self.limited_by, "fill_volume_ml": self.fill_volume_ml,
                "moved_from": None if self.moved_from is None else self.moved_from.isoformat(),
                "date_note": self.date_note}


def _cycle(rx: Prescription, start: dt.date, fill_ml: float, first_fill: bool,
           worst: tuple[tuple[dt.date, float], ...], extra_ml: float = 0.0
           ) -> tuple[float, str]:
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
    return min(limits, key=lambda x: x[0])


def _next_fill_volume(rx: Prescription, start: dt.date,
                      worst: tuple[tuple[dt.date, float], ...]) -> float:
    """Volume for a (non-first) fill at ``start``: enough for its interval, worst case."""
    pump = load_pump(rx.pump.model)
    stab = stability(rx, first_fill=False)
    bounds = [b for b in (stab.days, rx.max_interval_days) if b is not None]
    if not bounds:
        return pump.reservoir_volume_ml
    end = start + dt.timedelta(days=floor_days(min(bounds)))
    need = pump.low_reservoir_volume_ml + volume_used_ml(_shift(worst, start), start, end)
    return min(pump.reservoir_volume_ml, _round_up(need))


def _event(rx: Prescription, number: int, start: dt.date, days: float, why: str,
           worst: tuple[tuple[dt.date, float], ...]) -> RefillEvent:
    """The refill ending the fill of ``start``, placed on a working day."""
    planned = start + dt.timedelta(days=floor_days(days))
    date, note = place_refill(planned, earliest=start + dt.timedelta(days=1), latest=planned,
                              cal=rx.working_calendar, limited_by=why)
    return RefillEvent(number, date, start, (date - start).days, why,
                       _next_fill_volume(rx, date, worst),
                       None if date == planned else planned, note)


def refill_calendar(rx: Prescription) -> tuple[RefillEvent, ...]:
    """Refill dates and volumes from the fill date over ``rx.horizon_days``.

    Each fill lasts until the earliest of its worst-case alarm, its stability limit
    and the clinic interval; the refill is planned on the last whole day before it and
    moved onto a working day by ``rx.working_calendar``; the next
    fill starts on the day the refill is done. Each later fill gets the volume of
    :func:`_next_fill_volume` (the first one keeps the prescribed fill volume).

    Raises
    ------
    NeuraxisInputError
        A fill lasts less than one day in the worst case.
    """
    worst = daily_volume_periods(rx, boluses=True, tolerance=True)
    end = rx.pump.fill_date + dt.timedelta(days=rx.horizon_days)
    start, fill_ml, first = rx.pump.fill_date, rx.pump.fill_volume_ml, rx.pump.first_fill
    extra = extra_volume_at_fill_ml(rx)
    events: list[RefillEvent] = []
    while True:
        days, why = _cycle(rx, start, fill_ml, first, worst, extra)
        if floor_days(days) < 1:
            raise NeuraxisInputError(
                f"Invalid prescription: a fill of {fill_ml:g} mL on {start.isoformat()} lasts "
                f"only {days:.2g} days in the worst case ({why}); lower the rate or fill more")
        event = _event(rx, len(events) + 1, start, days, why, worst)
        if event.date > end:
            break
        events.append(event)
        start, fill_ml, first, extra = event.date, event.fill_volume_ml, False, 0.0
    if not events:  # the horizon ends before the next refill: report that one anyway
        days, why = _cycle(rx, start, fill_ml, first, worst, extra)
        events.append(_event(rx, 1, start, days, why, worst))
    return tuple(events)


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


def refill_calendar_ics(plan: Any, *, dtstamp: dt.datetime | None = None) -> str:
    """The refill calendar as iCalendar text (RFC 5545), one all-day event per refill.

    Parameters
    ----------
    plan : PumpPlan
        From :func:`~neuraxis.pump.plan.plan_prescription`.
    dtstamp : datetime | None
        Creation time stamped on the events (UTC); default now.

    Returns
    -------
    str
        ``BEGIN:VCALENDAR ... END:VCALENDAR`` with CRLF line ends. The DESCRIPTION of a
        refill moved off a weekend or holiday gives the planned date and why.
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
        if ev.date_note:
            desc += f" Date: {ev.date_note}."
        lines += ["BEGIN:VEVENT", f"UID:{key}-refill-{ev.number}@neuraxis",
                  f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{ev.date.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(ev.date + dt.timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{_ics_escape(f'Intrathecal pump refill {ev.number}{who}')}",
                  f"DESCRIPTION:{_ics_escape(desc)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in _ics_fold(line))
