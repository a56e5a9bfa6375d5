"""Refill dates on working days (``neuraxis.pump.calendar``) and the ``calendar`` section.

Weekdays worked out by hand from 2025-03-03, a Monday: + 90 days = 12 weeks + 6 days,
so 2025-06-01 is a Sunday and 2025-05-30 a Friday.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.pump import (
    Finding,
    PrescriptionRefusedError,
    WorkingCalendar,
    prescription_from_dict,
)
from neuraxis.pump import calendar as cal_mod
from neuraxis.pump import plan as plan_mod
from neuraxis.pump.calendar import place_refill, refill_calendar
from neuraxis.pump.findings import AppliedOverride, Review

SUNDAY = dt.date(2025, 6, 1)
SATURDAY = dt.date(2025, 5, 31)
FRIDAY = dt.date(2025, 5, 30)
FILL = dt.date(2025, 3, 3)
DEFAULT = WorkingCalendar()


# ----------------------------------------------------------------- placing one date

def test_a_working_day_stays():
    assert DEFAULT.is_working_day(FRIDAY) and not DEFAULT.is_working_day(SUNDAY)
    assert place_refill(FRIDAY, earliest=FILL, latest=FRIDAY, cal=DEFAULT) == (FRIDAY, "")


@pytest.mark.parametrize(("day", "expected", "note"), [
    (SUNDAY, FRIDAY, "2025-06-01 is a Sunday, not a working day; moved to the previous "
                     "working day, 2 days earlier"),
    (SATURDAY, FRIDAY, "2025-05-31 is a Saturday, not a working day; moved to the previous "
                       "working day, 1 day earlier"),
])
def test_weekend_moves_to_the_previous_working_day(day, expected, note):
    assert place_refill(day, earliest=FILL, latest=day, cal=DEFAULT) == (expected, note)


def test_holiday_moves_and_says_it_is_a_holiday():
    cal = WorkingCalendar(holidays=(FRIDAY, dt.date(2025, 5, 29)))
    # Sunday -> Saturday, Friday and Thursday are off -> Wednesday 05-28
    assert place_refill(SUNDAY, earliest=FILL, latest=SUNDAY, cal=cal) == (
        dt.date(2025, 5, 28), "2025-06-01 is a Sunday, not a working day; moved to the "
                              "previous working day, 4 days earlier")
    assert cal.not_working_because(FRIDAY) == "2025-05-30 is a holiday (calendar.holidays)"


def test_move_none_keeps_the_date_and_says_so():
    cal = WorkingCalendar(move="none")
    assert place_refill(SUNDAY, earliest=FILL, latest=SUNDAY, cal=cal) == (
        SUNDAY, "2025-06-01 is a Sunday, not a working day; not moved (calendar.move: none)")


def test_move_next_within_the_limit():
    cal = WorkingCalendar(move="next")
    assert place_refill(SUNDAY, earliest=FILL, latest=SUNDAY + dt.timedelta(days=3),
                        cal=cal) == (dt.date(2025, 6, 2), "2025-06-01 is a Sunday, not a "
                                     "working day; moved to the next working day, 1 day later")


def test_move_next_past_the_limit_falls_back_to_the_previous_working_day():
    cal = WorkingCalendar(move="next")
    day, note = place_refill(SUNDAY, earliest=FILL, latest=SUNDAY, cal=cal,
                             limited_by="stability, 90 days")
    assert day == FRIDAY
    assert note == ("2025-06-01 is a Sunday, not a working day; the next working day, "
                    "2025-06-02, would pass the limit that sets this date (stability, 90 "
                    "days), so moved to the previous working day, 2 days earlier")


def test_no_working_day_after_the_fill_keeps_the_date():
    assert place_refill(SUNDAY, earliest=SATURDAY, latest=SUNDAY, cal=DEFAULT) == (
        SUNDAY, "2025-06-01 is a Sunday, not a working day; no working day from 2025-05-31 "
                "on: kept on this day")


def test_working_calendar_to_dict():
    cal = WorkingCalendar(("mon", "wed"), (dt.date(2025, 12, 25),), "next")
    assert cal.to_dict() == {"working_days": ["mon", "wed"], "holidays": ["2025-12-25"],
                             "move": "next"}


# ----------------------------------------------------------------- the calendar of a plan

def test_holiday_in_the_prescription_moves_the_refill(pump_plan_of):
    plan = pump_plan_of(calendar={"holidays": ["2025-05-30"]})
    first, second = plan.calendar[:2]
    # Sun 06-01 -> Sat, Fri (holiday) -> Thursday 05-29, 87 days; then + 90 = Wed 08-27
    assert (first.date, first.days, first.moved_from) == (dt.date(2025, 5, 29), 87, SUNDAY)
    assert (second.date, second.days, second.moved_from) == (dt.date(2025, 8, 27), 90, None)
    assert plan.refill_date == dt.date(2025, 5, 29)
    assert plan.expected_residual_at_refill_ml == pytest.approx(40 - 87 * 0.15)


def test_working_days_of_the_prescription(pump_plan_of):
    plan = pump_plan_of(calendar={"working_days": ["Monday", "wed"]})
    assert plan.working_calendar == WorkingCalendar(("mon", "wed"), (), "previous")
    # Sunday 06-01: Sat, Fri, Thu are off -> Wednesday 05-28
    assert plan.refill_date == dt.date(2025, 5, 28)
    assert all(e.date.weekday() in (0, 2) for e in plan.calendar)


def test_move_next_never_passes_the_worst_case_alarm(pump_plan_of):
    # 2 mg/day + 4 x 0.1 mg at 10 mg/mL in a 20 mL pump: 18 / (0.24 x 1.145) = 65.5 days,
    # refill on day 65. Filled Thursday 2025-03-06: day 65 is Saturday 2025-05-10.
    plan = pump_plan_of(
        pump={"model": "synchromed_ii_20ml", "fill_date": "2025-03-06"},
        mixture=[{"drug": "morphine", "concentration_mg_per_ml": 10}],
        basal={"dose_mg_per_day": 2.0},
        bolus={"dose_mg": 0.1, "duration_min": 10, "lockout_min": 180, "max_per_day": 4},
        calendar={"move": "next"}, refill={"horizon_days": 200})
    first = plan.calendar[0]
    assert plan.alarm_date == dt.date(2025, 5, 10)
    assert first.moved_from == dt.date(2025, 5, 10) and first.date == dt.date(2025, 5, 9)
    assert "would pass the limit that sets this date (low-reservoir alarm (worst case))" in \
        first.date_note
    for ev in plan.calendar:  # every refill on a working day, none later than planned
        assert ev.date.weekday() < 5
        assert ev.moved_from is None or ev.date < ev.moved_from


def test_replace_keeps_the_calendar(pump_rx_dict):
    rx = prescription_from_dict(pump_rx_dict(calendar={"move": "none"}))
    longer = dataclasses.replace(rx, horizon_days=30)  # as `pump plan --horizon-days`
    assert longer.working_calendar.move == "none"
    assert refill_calendar(longer)[0].date == SUNDAY


def test_names_still_importable_from_plan():
    for name in ("RefillEvent", "days_to_consume", "refill_calendar", "refill_calendar_ics",
                 "volume_used_ml"):
        assert getattr(plan_mod, name) is getattr(cal_mod, name)


def test_refusal_json_lists_every_finding():
    err = PrescriptionRefusedError((
        Finding("max_concentration", "refuse", "too strong", "PACC 2017 [unverified]", 20.0,
                25.0, "mg/mL", "morphine"),
        Finding("min_flow", "refuse", "too slow", "SynchroMed II label", 0.048, 0.03,
                "mL/day")))
    assert err.to_dict() == {
        "status": "refused", "message": str(err),
        "refusals": [
            {"check": "max_concentration", "severity": "refuse", "drug": "morphine",
             "message": "too strong", "limit": 20.0, "value": 25.0, "unit": "mg/mL",
             "source": "PACC 2017 [unverified]"},
            {"check": "min_flow", "severity": "refuse", "drug": None, "message": "too slow",
             "limit": 0.048, "value": 0.03, "unit": "mL/day", "source": "SynchroMed II label"}],
        "warnings": [], "overrides": []}


def test_refusal_json_carries_the_review():
    refusal = Finding("min_flow", "refuse", "too slow", "label", 0.048, 0.1 * 0.3, "mL/day")
    warning = Finding("granuloma_risk", "warn", "strong", "PACC", 20.0, 20.0, "mg/mL",
                      "morphine")
    lifted = AppliedOverride(Finding("max_daily_dose", "refuse", "high", "PACC", 15.0, 16.0,
                                     "mg/day", "morphine"), "approved by the pain team")
    review = Review((refusal,), (warning,), (lifted,))
    with pytest.raises(PrescriptionRefusedError) as info:
        review.raise_if_refused()
    d = info.value.to_dict()
    assert info.value.review is review and info.value.findings == (refusal,)
    assert d["refusals"][0]["value"] == 0.03  # tidied: 0.1 x 0.3 = 0.030000000000000002
    assert d["warnings"] == [warning.to_dict()]
    assert d["overrides"] == [{**lifted.finding.to_dict(), "severity": "overridden",
                               "reason": "approved by the pain team"}]


# ----------------------------------------------------------------- the calendar section

@pytest.mark.parametrize(("section", "match"), [
    ({"holidays": ["2025-12-25", "2025-13-45"]},
     r"'calendar.holidays\[1\]'. Expected an ISO date YYYY-MM-DD, but got '2025-13-45' "
     r"\(month must be in 1..12: no such date\)"),
    ({"holidays": ["2025-02-30"]}, r"'calendar.holidays\[0\]'.*day is out of range for month"),
    ({"holidays": "2025-12-25"}, r"'calendar.holidays'. Expected a list of ISO dates"),
    ({"working_days": ["mon", "Thurs"]},
     r"'calendar.working_days\[1\]'. Allowed values are 'mon', .*'sun', but got 'thurs' - "
     r"did you mean 'thu'\?"),
    ({"working_days": []}, r"'calendar.working_days'. Expected a list of at least one weekday"),
    ({"working_days": "mon-fri"}, r"'calendar.working_days'.*but got 'mon-fri'"),
    ({"working_days": [1, 2]}, r"'calendar.working_days\[0\]'.*but got 1$"),
    ({"move": "previos"}, r"'calendar.move'. Allowed values are 'previous', 'next', 'none', "
                          r"but got 'previos' - did you mean 'previous'\?"),
    ({"move": None}, r"'calendar.move'.*but got None"),
    ({"holiday": ["2025-12-25"]}, r"Invalid key 'holiday' in 'calendar'.*did you mean "
                                  r"'holidays' or 'working_days'\?"),
])
def test_bad_calendar_section(pump_rx_dict, section, match):
    with pytest.raises(NeuraxisInputError, match=match):
        prescription_from_dict(pump_rx_dict(calendar=section))


def test_calendar_section_must_be_a_mapping(pump_rx_dict):
    with pytest.raises(NeuraxisInputError, match=r"Invalid value for 'calendar'. Expected a "
                                                 r"mapping with keys working_days, holidays"):
        prescription_from_dict(pump_rx_dict(calendar=["2025-12-25"]))


def test_calendar_section_is_read(pump_rx_dict):
    rx = prescription_from_dict(pump_rx_dict(calendar={
        "working_days": ["FRI", "monday", "mon"], "move": "next",
        "holidays": [dt.date(2025, 12, 26), "2025-12-25", "2025-12-25"]}))
    assert rx.working_calendar == WorkingCalendar(
        ("mon", "fri"), (dt.date(2025, 12, 25), dt.date(2025, 12, 26)), "next")
    assert prescription_from_dict(pump_rx_dict()).working_calendar == DEFAULT
