"""Parsers of the drug sections of a prescription: mixture, basal schedule, boluses,
titration (private; the entry point is :mod:`neuraxis.pump.io`).

Doses may be given per mg or ug of the dose drug or per mL of mixture; each parser
converts to mL of mixture (rates in mL/day) and refuses what does not fit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from neuraxis._validate import check_int, check_option, check_positive, check_range
from neuraxis.pump._fields import (
    as_bool,
    as_date,
    fail,
    hhmm,
    mapping,
    required,
    time_of_day,
    unit_key,
)
from neuraxis.pump.prescription import (
    BASAL_MODES,
    MINUTES_PER_DAY,
    Bolus,
    Component,
    Segment,
    TitrationStep,
)
from neuraxis.pump.tables import drug_names, load_drug

_MASS_MG = {"mg": 1.0, "ug": 1e-3}
_PER_DAY = {"day": 1.0, "hour": 24.0}
#: Relative mismatch allowed between a constant-flow dose and rate x concentration.
_CONSTANT_FLOW_DOSE_RTOL = 0.005


def parse_mixture(where: str, raw: Any) -> tuple[Component, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(f"Invalid value for {where!r}. Expected a list of drugs, e.g. "
                   f"[{{drug: morphine, concentration_mg_per_ml: 20}}], but got {raw!r}")
    out: list[Component] = []
    vial_fraction = 0.0
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        item = mapping(w, item, ("drug", "concentration_mg_per_ml", "concentration_ug_per_ml",
                                 "compounded"))
        drug = check_option(f"{w}.drug", required(w, item, "drug"), drug_names())
        if drug in (c.drug for c in out):
            raise fail(f"Invalid {where!r}: {drug!r} is listed twice")
        key, groups, conc = unit_key(w, item, r"concentration_(?P<mass>mg|ug)_per_ml",
                                     "'concentration_mg_per_ml' or 'concentration_ug_per_ml'")
        conc_mg = conc * _MASS_MG[groups["mass"]]
        compounded = as_bool(f"{w}.compounded", item.get("compounded", False))
        spec = load_drug(drug)
        strengths = spec.entry("strengths_mg_per_ml")
        if strengths is not None and not compounded:
            strongest = max(float(s) for s in strengths.value)
            if conc_mg > strongest * (1 + 1e-9):
                raise fail(
                    f"Invalid value for '{w}.{key}': {spec.fmt(conc_mg, 'mL')} is stronger "
                    f"than the strongest {spec.name.lower()} vial ({spec.fmt(strongest, 'mL')}; "
                    f"{strengths.cite()}). If a pharmacy compounds it, set compounded: true")
            vial_fraction += conc_mg / strongest
        out.append(Component(drug, conc_mg, compounded))
    if vial_fraction > 1 + 1e-9:
        raise fail(f"Invalid {where!r}: the drugs cannot all be drawn from their vials "
                   f"into one mixture (vial volumes add up to {vial_fraction:.0%} of the "
                   "mixture volume); mark the compounded drugs with compounded: true")
    return tuple(out)


def volume_per_mass(mixture: tuple[Component, ...], dose_drug: str, mass: str) -> float:
    """mL of mixture per unit of ``mass`` ('mg', 'ug' of the dose drug, or 'ml')."""
    if mass == "ml":
        return 1.0
    conc = next(c.concentration_mg_per_ml for c in mixture if c.drug == dose_drug)
    return _MASS_MG[mass] / conc


def _parse_segments(where: str, raw: Any, mixture: tuple[Component, ...], dose_drug: str
                    ) -> tuple[Segment, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(f"Invalid value for '{where}.segments'. Expected a list of segments "
                   "{start: 'HH:MM', end: 'HH:MM', rate_mg_per_hour: x}, but got "
                   f"{raw!r}")
    segs: list[Segment] = []
    coverage = [0] * MINUTES_PER_DAY
    for i, item in enumerate(raw):
        w = f"{where}.segments[{i}]"
        rate_keys = tuple(f"rate_{m}_per_{p}" for m in ("mg", "ug", "ml") for p in _PER_DAY)
        item = mapping(w, item, ("start", "end", *rate_keys))
        start = time_of_day(f"{w}.start", required(w, item, "start"))
        end = time_of_day(f"{w}.end", required(w, item, "end"))
        if start == MINUTES_PER_DAY:
            raise fail(f"Invalid value for '{w}.start': use '00:00' instead of '24:00'")
        duration = (end - start) % MINUTES_PER_DAY or (MINUTES_PER_DAY if len(raw) == 1 else 0)
        if duration == 0:
            raise fail(f"Invalid {w!r}: start and end are both {hhmm(start)} (empty segment)")
        _, g, rate = unit_key(w, item, r"rate_(?P<mass>mg|ug|ml)_per_(?P<per>hour|day)",
                              "a rate: 'rate_mg_per_hour', 'rate_ug_per_hour', "
                              "'rate_ml_per_hour' (or '_per_day')", positive=False)
        rate_ml_per_day = rate * _PER_DAY[g["per"]] * volume_per_mass(mixture, dose_drug,
                                                                       g["mass"])
        for k in range(duration):
            coverage[(start + k) % MINUTES_PER_DAY] += 1
        segs.append(Segment(start, duration, rate_ml_per_day))
    problems = []
    for label, bad in (("gap", lambda c: c == 0), ("overlap", lambda c: c > 1)):
        runs = _runs([bad(c) for c in coverage])
        problems += [f"{label} {hhmm(a)}-{hhmm(b)}" for a, b in runs]
    if problems:
        covered = sum(1 for c in coverage if c) / 60
        raise fail(f"Invalid '{where}.segments': the flex schedule must cover 24 h once, "
                   f"without gaps or overlaps; it covers {covered:g} h ({'; '.join(problems)})")
    if all(s.rate_ml_per_day == 0 for s in segs):
        raise fail(f"Invalid '{where}.segments': every rate is 0")
    return tuple(sorted(segs, key=lambda s: s.start_min))


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Runs of True in a 1440-minute day as (start, end) minutes (end may be 1440)."""
    runs, start = [], None
    for m, f in enumerate([*flags, False]):
        if f and start is None:
            start = m
        elif not f and start is not None:
            runs.append((start, m))
            start = None
    return runs


def parse_basal(raw: Any, mixture: tuple[Component, ...], dose_drug: str, pump_kind: str,
                 supports_flex: bool, flow_rate: float | None) -> tuple[str, tuple[Segment, ...]]:
    where = "basal"
    if pump_kind == "constant_flow":
        assert flow_rate is not None
        if raw is not None:
            raw = mapping(where, raw, ("mode", "dose_mg_per_day", "dose_ug_per_day"))
            if raw.get("mode", "simple") != "simple":
                raise fail("Invalid 'basal.mode': a constant-flow pump has one fixed rate "
                           "(no flex schedule)")
            hit = unit_key(where, raw, r"dose_(?P<mass>mg|ug)_per_day", "", required=False)
            if hit is not None:
                key, g, dose = hit
                conc = next(c.concentration_mg_per_ml for c in mixture if c.drug == dose_drug)
                dose_mg = dose * _MASS_MG[g["mass"]]
                delivered = flow_rate * conc
                if abs(delivered - dose_mg) > _CONSTANT_FLOW_DOSE_RTOL * dose_mg:
                    spec = load_drug(dose_drug)
                    raise fail(
                        f"Invalid value for 'basal.{key}': a constant-flow pump changes the "
                        f"dose only through the concentration. At its fixed "
                        f"{flow_rate:g} mL/day, {spec.fmt(conc, 'mL')} delivers "
                        f"{spec.fmt(delivered, 'day')}; for {spec.fmt(dose_mg, 'day')} the "
                        f"{spec.name.lower()} concentration must be "
                        f"{spec.fmt(dose_mg / flow_rate, 'mL')}")
        return "simple", (Segment(0, MINUTES_PER_DAY, flow_rate),)
    simple_keys = ("dose_mg_per_day", "dose_ug_per_day", "rate_ml_per_day")
    raw = mapping(where, required("prescription", {"basal": raw}, "basal"),
                  ("mode", "segments", *simple_keys))
    mode = check_option("basal.mode", raw.get("mode", "simple"), BASAL_MODES)
    if mode == "flex":
        if not supports_flex:
            raise fail("Invalid 'basal.mode': this pump has no flex (time-of-day) schedule")
        extra = [k for k in simple_keys if k in raw]
        if extra:
            raise fail(f"Invalid 'basal': a flex schedule takes its rates from 'segments', "
                       f"not {extra[0]!r}")
        return mode, _parse_segments(where, raw.get("segments"), mixture, dose_drug)
    if "segments" in raw:
        raise fail("Invalid 'basal': 'segments' needs mode: flex")
    _, g, dose = unit_key(where, raw, r"(?:dose_(?P<mass>mg|ug)_per_day|rate_ml_per_day)",
                          "the basal dose: 'dose_mg_per_day', 'dose_ug_per_day' or "
                          "'rate_ml_per_day'")
    mass = g["mass"] or "ml"
    return mode, (Segment(0, MINUTES_PER_DAY,
                          dose * volume_per_mass(mixture, dose_drug, mass)),)


def parse_bolus(raw: Any, mixture: tuple[Component, ...], dose_drug: str) -> Bolus:
    w = "bolus"
    raw = mapping(w, raw, ("dose_mg", "dose_ug", "volume_ml", "duration_min", "lockout_min",
                           "max_per_day"))
    _, g, amount = unit_key(w, raw, r"(?:dose_(?P<mass>mg|ug)|volume_ml)",
                            "the bolus size: 'dose_mg', 'dose_ug' or 'volume_ml'")
    volume = amount * volume_per_mass(mixture, dose_drug, g["mass"] or "ml")
    duration = float(check_positive("bolus.duration_min", required(w, raw, "duration_min"),
                                    "min"))
    lockout = float(check_positive("bolus.lockout_min", required(w, raw, "lockout_min"),
                                   "min"))
    if lockout < duration:
        raise fail(f"Invalid value for 'bolus.lockout_min': the lockout ({lockout:g} min) must "
                   f"be at least the bolus duration ({duration:g} min) (REFERENCE 3.6)")
    n = check_int("bolus.max_per_day", required(w, raw, "max_per_day"), 1, 96)
    return Bolus(volume, duration, lockout, n)


def parse_titration(raw: Any, mixture: tuple[Component, ...], dose_drug: str,
                     fill_date: dt.date, base_volume: float) -> tuple[TitrationStep, ...]:
    where = "titration"
    raw = mapping(where, raw, ("steps",))
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise fail("Invalid 'titration.steps'. Expected a list of {date, dose_mg_per_day} "
                   f"(or dose_ug_per_day, change_percent), but got {steps_raw!r}")
    steps: list[TitrationStep] = []
    prev_date, prev_volume = fill_date, base_volume
    for i, item in enumerate(steps_raw):
        w = f"{where}.steps[{i}]"
        item = mapping(w, item, ("date", "dose_mg_per_day", "dose_ug_per_day",
                                 "change_percent"))
        day = as_date(f"{w}.date", required(w, item, "date"))
        if day <= prev_date:
            raise fail(f"Invalid value for '{w}.date': {day} must come after "
                       f"{prev_date} (the fill date or the previous step)")
        if "change_percent" in item:
            if any(k in item for k in ("dose_mg_per_day", "dose_ug_per_day")):
                raise fail(f"Invalid {w!r}: give either a dose or change_percent, not both")
            pct = float(check_range(f"{w}.change_percent", item["change_percent"], -100.0,
                                    None, "%", low_inclusive=False))
            volume = prev_volume * (1 + pct / 100)
        else:
            _, g, dose = unit_key(w, item, r"dose_(?P<mass>mg|ug)_per_day",
                                  "'dose_mg_per_day', 'dose_ug_per_day' or 'change_percent'")
            volume = dose * volume_per_mass(mixture, dose_drug, g["mass"])
        steps.append(TitrationStep(day, volume))
        prev_date, prev_volume = day, volume
    return tuple(steps)
