"""Refill planning: worked examples checked by hand (REFERENCE 3.4), calendar, iCalendar.

Every expected number below was worked out by hand from the formulas, not read back
from neuraxis: e.g. 3 mg/day / 20 mg/mL = 0.15 mL/day; (40 - 2) / 0.15 = 253.3 days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.pump import (
    catheter_volume_ml,
    concentration_change,
    convert_morphine,
    load_prescription,
    plan_prescription,
    priming_bolus,
    rate_for_percent_change,
    refill_calendar_ics,
)
from neuraxis.pump.dosing import valve_interval_min
from neuraxis.pump.plan import days_to_consume, volume_used_ml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
D0 = dt.date(2025, 3, 3)


# ----------------------------------------------------------------- the examples

def test_morphine_3_mg_at_20_mg_per_ml_in_a_40_ml_pump(pump_plan_of):
    plan = pump_plan_of(calendar={"move": "none"})  # the formulas, dates not moved
    assert plan.daily_volume_ml == pytest.approx(0.15)  # 3 / 20
    assert plan.dose_per_drug_mg_per_day == pytest.approx({"morphine": 3.0})
    # (40 - 2) / 0.15 = 253.33 days before tolerance; / 1.145 = 221.25 days at +14.5 %
    assert plan.days_to_alarm_nominal == pytest.approx(253.333, abs=1e-3)
    assert plan.days_to_alarm == pytest.approx(221.252, abs=1e-3)
    assert plan.daily_volume_worst_case_ml == pytest.approx(0.17175)
    assert plan.alarm_date_nominal == dt.date(2025, 11, 11)  # 2025-03-03 + 253 d
    assert plan.alarm_date == dt.date(2025, 10, 10)  # + 221 d
    # stability 90 d < 221 d: refill on 2025-06-01, residual 40 - 90 x 0.15 = 26.5 mL
    assert plan.stability_days == 90
    assert plan.refill_date == dt.date(2025, 6, 1)
    assert plan.refill_limited_by.startswith("stability")
    assert plan.expected_residual_at_refill_ml == pytest.approx(26.5)
    # next fill: 2 + 90 x 0.17175 = 17.46 -> 17.5 mL (rounded up to 0.1 mL)
    assert plan.refill_volume_ml == pytest.approx(17.5)
    assert plan.calendar[0].moved_from is None
    assert plan.calendar[0].date_note == ("2025-06-01 is a Sunday, not a working day; not "
                                          "moved (calendar.move: none)")


def test_default_calendar_moves_the_sunday_refill_to_friday(pump_plan_of):
    plan = pump_plan_of()
    # 2025-03-03 is a Monday; + 90 days = Sunday 2025-06-01 -> Friday 2025-05-30
    assert plan.refill_date == dt.date(2025, 5, 30)
    assert plan.calendar[0].moved_from == dt.date(2025, 6, 1)
    assert plan.calendar[0].days == 88
    assert plan.refill_limited_by == "stability, 90 days"
    # two days less: residual 40 - 88 x 0.15 = 26.8 mL; the next fill still 17.5 mL
    assert plan.expected_residual_at_refill_ml == pytest.approx(26.8)
    assert plan.refill_volume_ml == pytest.approx(17.5)
    assert plan.alarm_date == dt.date(2025, 10, 10)  # alarms do not move
    assert plan.working_calendar.move == "previous"


def test_all_boluses_example_75_days(pump_plan_of):
    # REFERENCE 3.4: 2 mg/day + 4 x 0.1 mg at 10 mg/mL -> 0.24 mL/day -> 75 d on 18 mL
    plan = pump_plan_of(pump={"model": "synchromed_ii_20ml", "fill_date": D0.isoformat()},
                        mixture=[{"drug": "morphine", "concentration_mg_per_ml": 10}],
                        basal={"dose_mg_per_day": 2.0},
                        bolus={"dose_mg": 0.1, "duration_min": 10, "lockout_min": 180,
                          "max_per_day": 4})
    assert plan.daily_volume_all_boluses_ml == pytest.approx(0.24)
    assert plan.days_to_alarm_all_boluses == pytest.approx(75.0)
    assert plan.days_to_alarm_nominal == pytest.approx(90.0)  # 18 / 0.2
    assert plan.days_to_alarm == pytest.approx(75.0 / 1.145)  # 65.5 d
    assert plan.refill_date == D0 + dt.timedelta(days=65)
    assert plan.refill_limited_by == "low-reservoir alarm (worst case)"
    assert plan.max_dose_per_drug_mg_per_day == pytest.approx({"morphine": 2.4})
    # residual at the refill: 20 - 65 x 0.2 = 7 mL; 20 - 65 x 0.24 = 4.4 mL with all boluses
    assert plan.expected_residual_at_refill_ml == pytest.approx(7.0)
    assert plan.expected_residual_at_refill_all_boluses_ml == pytest.approx(4.4)


def test_bridge_bolus_example():
    # REFERENCE 3.4: 10 -> 20 mg/mL, V_ds 0.25 mL, 3 mg/d -> 50 % dose for 1.7 d;
    # a bridge runs at D/C_old = 0.3 mL/d for 0.25 / 0.3 = 0.83 d.
    c = concentration_change(3.0, 10.0, 20.0, 0.25)
    assert c.new_rate_ml_per_day == pytest.approx(0.15)
    assert c.window_days == pytest.approx(1.667, abs=1e-3)
    assert c.window_dose_mg_per_day == pytest.approx(1.5)
    assert c.window_dose_fraction == pytest.approx(0.5) and c.direction == "under-dose"
    assert c.bridge_rate_ml_per_day == pytest.approx(0.3)
    assert c.bridge_days == pytest.approx(0.833, abs=1e-3)
    down = concentration_change(3.0, 20.0, 10.0, 0.25)  # the other way: twice the dose
    assert down.window_dose_fraction == pytest.approx(2.0) and down.direction == "over-dose"
    assert down.window_days == pytest.approx(0.833, abs=1e-3)  # 0.25 / 0.3


def test_prometra_valve_interval_example(pump_plan_of):
    # REFERENCE 3.3: 0.5 mg/d at 20 mg/mL, V_acc 0.0025 mL -> 1440 / (0.025 / 0.0025) = 144 min
    assert valve_interval_min(0.5 / 20, 0.0025) == pytest.approx(144.0)
    plan = pump_plan_of(pump={"model": "prometra_ii_20ml", "fill_date": D0.isoformat()},
                        basal={"dose_mg_per_day": 0.5})
    assert plan.valve_interval_min == pytest.approx(144.0)
    # Prometra: refill when 3.0 mL are left: (20 - 3) / 0.025 = 680 days nominal
    assert plan.days_to_alarm_nominal == pytest.approx(680.0)
    assert plan.days_to_alarm == pytest.approx(680.0 / 1.029)


# ----------------------------------------------------------------- other formulas

def test_rate_change_catheter_and_priming():
    assert rate_for_percent_change(0.15, 20) == pytest.approx(0.18)
    assert rate_for_percent_change(0.15, -50) == pytest.approx(0.075)
    assert catheter_volume_ml(0.53, 50) == pytest.approx(0.1103, abs=1e-4)
    p = priming_bolus(0.11, 0.26, {"morphine": 20.0})
    assert p.volume_ml == pytest.approx(0.37) and p.drug_mg["morphine"] == pytest.approx(7.4)
    with pytest.raises(NeuraxisInputError, match=r"'percent'. Allowed range is \(-100"):
        rate_for_percent_change(0.15, -100)
    with pytest.raises(NeuraxisInputError, match="'dead_space_ml'"):
        concentration_change(3, 10, 20, 0)


def test_piecewise_consumption():
    periods = ((D0, 0.1), (D0 + dt.timedelta(days=10), 0.2))
    # 10 days x 0.1 = 1 mL, then 0.2 mL/day: 3 mL last 10 + 2 / 0.2 = 20 days
    assert days_to_consume(3.0, periods) == pytest.approx(20.0)
    assert days_to_consume(0.5, periods) == pytest.approx(5.0)
    assert volume_used_ml(periods, D0 + dt.timedelta(days=5), D0 + dt.timedelta(days=15)) \
        == pytest.approx(1.5)  # 5 x 0.1 + 5 x 0.2


def test_titration_shortens_the_fill(pump_plan_of):
    plan = pump_plan_of(pump={"model": "synchromed_ii_20ml", "fill_date": D0.isoformat()},
                        mixture=[{"drug": "morphine", "concentration_mg_per_ml": 10}],
                        basal={"dose_mg_per_day": 1.0},
                        titration={"steps": [{"date": "2025-03-13", "dose_mg_per_day": 2.0}]})
    # 10 days at 0.1 mL = 1 mL, then 17 mL at 0.2 mL/day = 85 days: 95 days nominal
    assert plan.days_to_alarm_nominal == pytest.approx(95.0)
    assert plan.max_dose_per_drug_mg_per_day == pytest.approx({"morphine": 2.0})


def test_flex_schedule_daily_volume_and_doses():
    plan = plan_prescription(load_prescription(EXAMPLES / "pump_flex_boluses.yaml"))
    # 9 h x 0.025 + 15 h x 0.1 = 1.725 mg/day of morphine = 0.1725 mL/day at 10 mg/mL
    assert plan.daily_volume_ml == pytest.approx(0.1725)
    assert plan.dose_per_drug_mg_per_day == pytest.approx({"morphine": 1.725,
                                                           "bupivacaine": 1.29375})
    # + 4 boluses of 0.01 mL: 0.2125 mL/day; 18 / 0.2125 = 84.7 days
    assert plan.days_to_alarm_all_boluses == pytest.approx(84.706, abs=1e-3)
    assert plan.refill_date == D0 + dt.timedelta(days=60)  # clinic maximum interval


def test_ziconotide_example_first_fill_and_titration():
    plan = plan_prescription(load_prescription(EXAMPLES / "pump_ziconotide_titration.yaml"))
    assert plan.daily_volume_ml == pytest.approx(0.048)  # 1.2 ug / 25 ug/mL
    assert plan.stability_days == 14  # first fill of a new reservoir
    assert plan.refill_date == D0 + dt.timedelta(days=14)
    # priming bolus (pump implant): tubing 0.26 + catheter 45 x 0.0022 mL, from the reservoir
    assert plan.priming.volume_ml == pytest.approx(0.26 + 0.0993, abs=1e-3)
    # residual: 20 - 0.359 - (7 x 0.048 + 7 x 0.068) = 18.83 mL
    assert plan.expected_residual_at_refill_ml == pytest.approx(18.829, abs=1e-3)
    # second fill lasts 84 days (undiluted): 2 + 1.145 x (7 x 0.088 + 7 x 0.108 + 70 x 0.128)
    assert [e.days for e in plan.calendar] == [14, 84]
    assert plan.calendar[0].fill_volume_ml == pytest.approx(13.9)


def test_concentration_change_example_with_bridge():
    plan = plan_prescription(load_prescription(EXAMPLES / "pump_concentration_change.yaml"))
    ch = plan.concentration_change
    v_ds = 0.26 + 0.1103  # tubing + 50 cm at 0.0022 mL/cm
    assert ch.dead_space_ml == pytest.approx(v_ds, abs=1e-3)
    assert ch.window_days == pytest.approx(v_ds / 0.15, abs=1e-2)
    assert ch.bridge.bridge_days == pytest.approx(v_ds / 0.3, abs=1e-2)
    # the bridge uses V_ds - 0.15 x V_ds/0.3 = V_ds / 2 more from the reservoir
    assert plan.extra_volume_at_fill_ml == pytest.approx(v_ds / 2, abs=1e-3)
    assert plan.days_to_alarm_nominal == pytest.approx((38 - v_ds / 2) / 0.15, abs=1e-2)
    # JSON: the bridge is programmed; the SynchroMed tubing volume is a placeholder
    out = plan.to_dict()["concentration_change"]
    assert plan.bridge_bolus is True and out["bridge_bolus"] is True
    assert out["constant_flow"] is None and out["bridge"]["bridge_days"] == pytest.approx(
        v_ds / 0.3, abs=1e-2)
    assert (out["dead_space_verified"], out["dead_space_complete"]) == (False, True)
    assert "pump tubing 0.26 mL" in out["dead_space_source"]


def test_priming_bolus_json_keeps_the_source_of_its_volumes(pump_plan_of):
    # pump implant: SynchroMed tubing 0.26 mL (placeholder, unverified) + the catheter
    implant = pump_plan_of(procedure={"kind": "pump_implant"}).to_dict()["priming_bolus"]
    assert implant["volume_verified"] is False
    assert implant["volume_source"].startswith("pump tubing 0.26 mL")
    # catheter revision with a measured catheter volume: 20 of 50 cm x 0.11 mL = 0.044 mL
    revision = pump_plan_of(
        catheter={"model": "generic_0p53mm", "length_cm": 50, "tip_level": "T10",
                  "volume_ml": 0.11},
        procedure={"kind": "catheter_revision", "empty_catheter_length_cm": 20},
    ).to_dict()["priming_bolus"]
    assert revision["volume_ml"] == pytest.approx(0.044)
    assert revision["volume_verified"] is True
    assert revision["volume_source"] == "catheter 0.044 mL (from catheter.volume_ml, given)"


def test_stability_unknown_uses_the_alarm_and_warns(pump_plan_of):
    plan = pump_plan_of(mixture=[{"drug": "hydromorphone", "concentration_mg_per_ml": 10}],
                        basal={"dose_mg_per_day": 1.0})
    assert plan.stability_days is None
    # (40 - 2) / (0.1 x 1.145) = 331.9 days
    assert plan.refill_date == D0 + dt.timedelta(days=331)
    assert any(w.check == "stability_unknown" for w in plan.warnings)


def test_calendar_and_icalendar(pump_plan_of):
    plan = pump_plan_of(refill={"horizon_days": 365})
    # every 90 days from the day the refill is done: Sun 06-01 -> Fri 05-30, then
    # Thu 08-28, Wed 11-26, Tue 2026-02-24 (working days; the next, 05-25, is past 365 d)
    assert [e.date for e in plan.calendar] == [
        dt.date(2025, 5, 30), dt.date(2025, 8, 28), dt.date(2025, 11, 26), dt.date(2026, 2, 24)]
    assert [e.days for e in plan.calendar] == [88, 90, 90, 90]
    assert [e.moved_from for e in plan.calendar] == [dt.date(2025, 6, 1), None, None, None]
    ics = refill_calendar_ics(plan, dtstamp=dt.datetime(2025, 3, 3, 12, tzinfo=dt.UTC))
    lines = ics.split("\r\n")
    assert ics.endswith("\r\n") and lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert ics.count("BEGIN:VEVENT") == 4
    assert "DTSTART;VALUE=DATE:20250530" in lines and "DTEND;VALUE=DATE:20250531" in lines
    assert "DTSTAMP:20250303T120000Z" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = ics.replace("\r\n ", "")
    assert "prepare 17.5 mL of 20 mg/mL morphine" in unfolded
    assert ("Date: 2025-06-01 is a Sunday\\, not a working day\\; moved to the previous "
            "working day\\, 2 days earlier.") in unfolded
    assert unfolded.count("Date: ") == 1  # only the moved refill says so
    assert len({ln for ln in lines if ln.startswith("UID:")}) == 4


def test_short_horizon_still_reports_the_next_refill(pump_plan_of):
    plan = pump_plan_of(refill={"horizon_days": 30})
    assert len(plan.calendar) == 1 and plan.refill_date == dt.date(2025, 5, 30)
    assert plan.calendar[0].moved_from == dt.date(2025, 6, 1)


def test_fill_that_lasts_less_than_a_day_is_refused(pump_plan_of):
    with pytest.raises(NeuraxisInputError, match=r"lasts only 0.\d+ days in the worst case"):
        pump_plan_of(pump={"model": "synchromed_ii_20ml", "fill_date": D0.isoformat(),
                           "fill_volume_ml": 2.1},
                     mixture=[{"drug": "morphine", "concentration_mg_per_ml": 1,
                          "compounded": True}], basal={"dose_mg_per_day": 1.0})


def test_to_dict_is_json_with_unit_keys(pump_plan_of):
    import json

    d = pump_plan_of().to_dict()
    json.dumps(d)
    for key in ("daily_volume_ml", "dose_per_drug_mg_per_day", "days_to_alarm", "alarm_date",
                "refill_date", "refill_volume_ml", "warnings", "overrides"):
        assert key in d
    assert d["status"] == "ok"
    assert d["daily_volume_ml"] == 0.15 and d["refill_date"] == "2025-05-30"
    assert d["calendar"][0]["moved_from"] == "2025-06-01"
    assert d["calendar"][0]["date_note"].startswith("2025-06-01 is a Sunday")
    assert d["calendar"][1]["moved_from"] is None and d["calendar"][1]["date_note"] == ""
    assert d["working_calendar"] == {"working_days": ["mon", "tue", "wed", "thu", "fri"],
                                     "holidays": [], "move": "previous"}


# ----------------------------------------------------------------- conversions

def test_conversion_towards_intrathecal_reduces():
    c = convert_morphine(300, "oral", "intrathecal")
    assert c.direction == "toward_intrathecal" and c.ratio == 300
    assert c.equianalgesic_mg_per_day == pytest.approx(1.0)
    assert c.suggested_mg_per_day == pytest.approx(0.5)  # 50 % reduction
    assert c.range_mg_per_day == pytest.approx((0.5, 0.75))
    assert not any("PACC starting range" in w for w in c.warnings)
    big = convert_morphine(1200, "oral", "intrathecal")  # 4 mg -> 2 mg, above PACC 0.1-0.5
    assert big.suggested_mg_per_day == pytest.approx(2.0)
    assert any("above the PACC starting range 0.1-0.5 mg/day" in w for w in big.warnings)
    assert convert_morphine(10, "epidural", "intrathecal").suggested_mg_per_day == \
        pytest.approx(0.5)


def test_conversion_away_from_intrathecal_warns_against_overdose():
    c = convert_morphine(1.0, "intrathecal", "oral")
    assert c.direction == "away_from_intrathecal" and c.ratio_set == "low"
    assert c.suggested_mg_per_day == pytest.approx(10.0)  # 10:1, not 300:1
    assert any("would give 300 mg/day, 30 times more" in w and "overdoses" in w
               for w in c.warnings)
    assert convert_morphine(100, "iv", "oral").suggested_mg_per_day == pytest.approx(300)
    with pytest.raises(NeuraxisInputError, match="'to_route'.*got 'spinal'"):
        convert_morphine(1, "oral", "spinal")
    with pytest.raises(NeuraxisInputError, match="equals from_route"):
        convert_morphine(1, "oral", "oral")
    with pytest.raises(NeuraxisInputError, match="'dose_mg_per_day'"):
        convert_morphine(-1, "oral", "intrathecal")
