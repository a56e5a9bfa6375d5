"""An intrathecal prescription: pump, catheter, drug mixture, basal schedule, boluses.

The frozen dataclasses only, in internal units (drug amounts in mg, volumes in mL,
rates in mL/day, times of day in minutes). They are built and checked by
:func:`neuraxis.pump.io.load_prescription` (a YAML file) and
:func:`neuraxis.pump.io.prescription_from_dict` (a mapping), which refuse a key
without its unit, an unknown drug or pump, a negative or missing dose, a
concentration stronger than the vials it is made from, or a flex schedule that does
not cover 24 h, with a message naming the field. The format is documented in
``docs/pump.md``; examples are in ``examples/pump_*.yaml``.

:class:`WorkingCalendar` (the file's ``calendar`` section) lives here, not in
:mod:`neuraxis.pump.calendar`, because a :class:`Prescription` holds one and the
calendar module imports this one."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from neuraxis.anatomy.levels import VERTEBRAE

#: Vertebral levels a catheter tip may lie at.
VERTEBRAL_LEVELS = VERTEBRAE[:VERTEBRAE.index("S2") + 1]
PROCEDURES = ("refill", "catheter_revision", "pump_implant")
BASAL_MODES = ("simple", "flex")
SPASTICITY_ORIGINS = ("spinal", "cerebral")
MINUTES_PER_DAY = 1440
#: Shortest reason accepted for an override (characters).
MIN_OVERRIDE_REASON_CHARS = 10
#: Weekday names accepted in ``calendar.working_days`` (Monday first, as ``date.weekday()``).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                  "Sunday")
#: Where a refill planned on a non-working day goes (``calendar.move``).
MOVES = ("previous", "next", "none")


# --------------------------------------------------------------------------- dataclasses

@dataclass(frozen=True)
class Component:
    """One drug of the mixture: ``drug`` key, concentration (mg/mL), compounded or from vials."""

    drug: str
    concentration_mg_per_ml: float
    compounded: bool = False


@dataclass(frozen=True)
class Segment:
    """A basal segment: from ``start_min`` (minutes after midnight) for ``duration_min``,
    at ``rate_ml_per_day`` (the volume rate expressed per day)."""

    start_min: int
    duration_min: int
    rate_ml_per_day: float


@dataclass(frozen=True)
class Bolus:
    """Patient bolus: volume (mL) over ``duration_min``, ``lockout_min`` between starts,
    at most ``max_per_day`` in 24 h."""

    volume_ml: float
    duration_min: float
    lockout_min: float
    max_per_day: int

    @property
    def max_boluses_per_day(self) -> int:
        """Most boluses that fit in any 24 h: ``min(max_per_day, ceil(1440 / lockout))``."""
        return min(self.max_per_day, math.ceil(MINUTES_PER_DAY / self.lockout_min))


@dataclass(frozen=True)
class TitrationStep:
    """From ``date`` (00:00) on, the basal daily volume is ``daily_volume_ml`` (mL/day)."""

    date: dt.date
    daily_volume_ml: float


@dataclass(frozen=True)
class PumpFill:
    """The pump and this fill: model, date, volume (mL) and device dates."""

    model: str
    fill_date: dt.date
    fill_volume_ml: float
    first_fill: bool = False
    implant_date: dt.date | None = None
    eri_date: dt.date | None = None
    flow_rate_ml_per_day: float | None = None


@dataclass(frozen=True)
class Catheter:
    """Catheter model, implanted length (cm), tip vertebral level, internal volume (mL)."""

    model: str
    length_cm: float
    tip_level: str
    volume_ml: float
    volume_given: bool = False


@dataclass(frozen=True)
class Previous:
    """The prescription before this fill: mixture, basal daily volume (mL/day), date."""

    mixture: tuple[Component, ...]
    daily_volume_ml: float | None = None
    changed_on: dt.date | None = None


@dataclass(frozen=True)
class Procedure:
    """What is done at this visit and what was measured."""

    kind: str = "refill"
    bridge_bolus: bool | None = None
    empty_catheter_length_cm: float | None = None
    expected_residual_ml: float | None = None
    measured_residual_ml: float | None = None


@dataclass(frozen=True)
class MriPlan:
    """A planned MRI scan: date, field (T), optional spatial gradient (G/cm)."""

    date: dt.date | None
    field_t: float
    spatial_gradient_g_per_cm: float | None = None


@dataclass(frozen=True)
class Override:
    """An explicit override of a refusing check, with the reason (recorded in the plan)."""

    check: str
    reason: str
    drug: str | None = None


@dataclass(frozen=True)
class WorkingCalendar:
    """Days on which the clinic can refill a pump (the ``calendar`` section).

    Attributes
    ----------
    working_days : tuple of str
        Weekdays (see :data:`WEEKDAYS`), default Monday to Friday.
    holidays : tuple of datetime.date
        Dates on which no refill is done, sorted.
    move : str
        Where a refill planned on another day goes: ``'previous'`` (default), ``'next'``
        (only within every limit) or ``'none'`` (see :mod:`neuraxis.pump.calendar`).
    """

    working_days: tuple[str, ...] = WEEKDAYS[:5]
    holidays: tuple[dt.date, ...] = ()
    move: str = "previous"

    def not_working_because(self, day: dt.date) -> str | None:
        """Why ``day`` is not a working day, or None if it is one.

        Examples
        --------
        >>> WorkingCalendar().not_working_because(dt.date(2025, 6, 1))
        '2025-06-01 is a Sunday, not a working day'
        """
        if day in self.holidays:
            return f"{day.isoformat()} is a holiday (calendar.holidays)"
        if WEEKDAYS[day.weekday()] not in self.working_days:
            return f"{day.isoformat()} is a {_WEEKDAY_NAMES[day.weekday()]}, not a working day"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        """Whether a refill can be done on ``day``."""
        return self.not_working_because(day) is None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with ISO dates."""
        return {"working_days": list(self.working_days),
                "holidays": [d.isoformat() for d in self.holidays], "move": self.move}


@dataclass(frozen=True)
class Prescription:
    """A validated prescription in internal units (mg, mL, mL/day, minutes).

    Build one with :func:`load_prescription` or :func:`prescription_from_dict`.
    ``segments`` is the basal schedule at the fill (one segment for a simple
    schedule); ``titration`` changes its daily volume from given dates, keeping the
    shape of a flex schedule. Doses in the file refer to ``dose_drug``.
    ``working_calendar`` is the file's ``calendar`` section (Monday to Friday, move to
    the previous working day, when absent).
    """

    pump: PumpFill
    catheter: Catheter
    mixture: tuple[Component, ...]
    dose_drug: str
    basal_mode: str
    segments: tuple[Segment, ...]
    bolus: Bolus | None = None
    titration: tuple[TitrationStep, ...] = ()
    previous: Previous | None = None
    procedure: Procedure = Procedure()
    mri: MriPlan | None = None
    max_interval_days: float | None = None
    horizon_days: int = 365
    therapy_start: bool = False
    patient_id: str | None = None
    pediatric: bool = False
    spasticity_origin: str | None = None
    overrides: tuple[Override, ...] = ()
    description: str = ""
    working_calendar: WorkingCalendar = WorkingCalendar()

    @property
    def drugs(self) -> tuple[str, ...]:
        """Drug keys in the mixture, in order."""
        return tuple(c.drug for c in self.mixture)

    def concentration_mg_per_ml(self, drug: str) -> float:
        """Concentration of ``drug`` in the mixture (mg/mL; 0 if absent)."""
        return next((c.concentration_mg_per_ml for c in self.mixture if c.drug == drug), 0.0)

    @property
    def basal_daily_volume_ml(self) -> float:
        """Basal volume per day at the fill, sum of rate x duration (mL/day)."""
        return daily_volume_ml(self.segments)

    def volume_timeline(self) -> tuple[tuple[dt.date, float], ...]:
        """Basal daily volume (mL/day) from each date on: the fill, then each titration step."""
        return ((self.pump.fill_date, self.basal_daily_volume_ml),
                *((s.date, s.daily_volume_ml) for s in self.titration))


def daily_volume_ml(segments: tuple[Segment, ...] | list[Segment]) -> float:
    """Volume delivered in 24 h by a basal schedule (mL/day).

    Parameters
    ----------
    segments : sequence of Segment
        Segments covering 24 h; rates in mL/day, durations in minutes.
    """
    return sum(s.rate_ml_per_day * s.duration_min / MINUTES_PER_DAY for s in segments)
