"""Safety checks of a prescription: each finding refuses or warns, names its limit and source.

Refusals (``severity='refuse'``) stop the plan unless the prescription carries an
override for that check with a written reason; the override is recorded in the
plan's output. Device limits (:data:`~neuraxis.pump.findings.NON_OVERRIDABLE`: flow
below the pump's minimum, an MRI the pump does not allow) cannot be overridden.
Warnings never stop the plan. Every limit comes from ``drugs.yaml`` / ``pumps.yaml``
with its source; unverified ones say so.

Refusing checks (overridable with a reason):

* ``max_concentration``: PACC 2017 maximum concentration;
* ``max_daily_dose``: PACC 2017 maximum dose, basal at its highest step + all boluses;
* ``pump_drug_concentration``: a pump's own limit (Codman: morphine <= 10 mg/mL);
* ``titration_step``: ziconotide +2.4 ug/day per step; baclofen +30 % (+15 %);
* ``titration_frequency``: ziconotide <= 3 increases a week; baclofen 1 per 24 h;
* ``bridge_bolus``: a concentration change without a bridge bolus (a pump that can
  give one);
* ``refill_discrepancy``: measured vs expected residual > 1 mL (20 mL) / 2 mL (40 mL).

Device limits (refuse, not overridable): ``min_flow`` (SynchroMed II >= 0.048
mL/day), ``mri_field`` (Prometra: 1.5 T, <= 2,000 G/cm), ``constant_flow_previous``
(a constant-flow pump delivered its fixed rate x the previous concentration, not
another recorded dose).

The checks of what changes at this visit (bridge bolus, the constant-flow window
``constant_flow_change``, the previous dose on a constant-flow pump, priming) are in
:mod:`neuraxis.pump._change_checks`.

Warnings: :data:`~neuraxis.pump.findings.WARN_ONLY`. Findings, check ids and
overrides: :mod:`neuraxis.pump.findings`. The table with sources is in ``docs/pump.md``.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import TYPE_CHECKING

from neuraxis.pump._change_checks import (
    bridge_findings,
    constant_flow_findings,
    priming_findings,
)
from neuraxis.pump.changes import percent_change, refill_discrepancy_ml
from neuraxis.pump.dosing import (
    doses_mg_per_day,
    max_possible_dose_mg_per_day,
    previous_doses_mg_per_day,
    stability,
)
from neuraxis.pump.findings import Finding, Review, apply_overrides
from neuraxis.pump.tables import DrugSpec, load_drug, load_pump

if TYPE_CHECKING:
    from neuraxis.pump.prescription import Prescription

_DAYS_PER_WEEK = 7


# --------------------------------------------------------------------------- helpers

def _limit_text(spec: DrugSpec, key: str) -> tuple[float, str] | None:
    entry = spec.entry(key)
    return None if entry is None else (float(entry.value), entry.cite())


def _override_hint(check: str) -> str:
    return (f"Lower it, or add an override for '{check}' with a reason "
            "(overrides: [{check: " + check + ", reason: ...}])")


def _day(d: dt.date | None) -> str:
    return "an earlier date" if d is None else d.isoformat()


# --------------------------------------------------------------------------- drug limits

def _drug_limits(rx: Prescription) -> list[Finding]:
    out: list[Finding] = []
    max_dose = max_possible_dose_mg_per_day(rx)
    n_bolus = 0 if rx.bolus is None else rx.bolus.max_boluses_per_day
    pump = load_pump(rx.pump.model)
    pump_conc = pump.entry("drug_max_concentration_mg_per_ml")
    for comp in rx.mixture:
        spec = load_drug(comp.drug)
        name, conc = spec.name, comp.concentration_mg_per_ml
        lim = _limit_text(spec, "max_concentration_mg_per_ml")
        if lim is not None and conc > lim[0] * (1 + 1e-9):
            out.append(Finding(
                "max_concentration", "refuse",
                f"{name} {spec.fmt(conc, 'mL')} is above the consensus maximum concentration "
                f"{spec.fmt(lim[0], 'mL')} ({lim[1]}). {_override_hint('max_concentration')}",
                lim[1], lim[0], conc, "mg/mL", comp.drug))
        if pump_conc is not None and comp.drug in pump_conc.value and \
                conc > float(pump_conc.value[comp.drug]) * (1 + 1e-9):
            plim = float(pump_conc.value[comp.drug])
            out.append(Finding(
                "pump_drug_concentration", "refuse",
                f"{name} {spec.fmt(conc, 'mL')} is above {spec.fmt(plim, 'mL')}, the limit for "
                f"this drug in the {pump.name} ({pump_conc.cite()}). "
                f"{_override_hint('pump_drug_concentration')}",
                pump_conc.cite(), plim, conc, "mg/mL", comp.drug))
        gran = _limit_text(spec, "granuloma_concentration_mg_per_ml")
        if gran is not None and conc >= gran[0] * (1 - 1e-9):
            out.append(Finding(
                "granuloma_risk", "warn",
                f"{name} at {spec.fmt(conc, 'mL')}: catheter-tip granuloma risk rises at "
                f"{spec.fmt(gran[0], 'mL')} and above ({gran[1]}); watch for dose escalation "
                "without benefit and new neurological signs", gran[1], gran[0], conc, "mg/mL",
                comp.drug))
        dose, since = max_dose[comp.drug]
        what = f"basal + {n_bolus} bolus{'es' if n_bolus != 1 else ''}" if n_bolus else "basal"
        when = "" if since == rx.pump.fill_date else f" from {since.isoformat()}"
        lim = _limit_text(spec, "max_daily_dose_mg")
        if lim is not None and dose > lim[0] * (1 + 1e-9):
            out.append(Finding(
                "max_daily_dose", "refuse",
                f"{name}: the largest possible daily dose{when}, {spec.fmt(dose, 'day')} "
                f"({what}), is above the consensus maximum {spec.fmt(lim[0], 'day')} "
                f"({lim[1]}). {_override_hint('max_daily_dose')}",
                lim[1], lim[0], dose, "mg/day", comp.drug))
        else:
            caution = _limit_text(spec, "caution_daily_dose_mg")
            if caution is not None and dose > caution[0] * (1 + 1e-9):
                out.append(Finding(
                    "caution_daily_dose", "warn",
                    f"{name}: the largest possible daily dose{when}, {spec.fmt(dose, 'day')} "
                    f"({what}), is in the upper part of the consensus range, above "
                    f"{spec.fmt(caution[0], 'day')} ({caution[1]})",
                    caution[1], caution[0], dose, "mg/day", comp.drug))
        out += _start_and_maintenance(rx, spec, comp.drug)
    return out


def _start_and_maintenance(rx: Prescription, spec: DrugSpec, drug: str) -> list[Finding]:
    out: list[Finding] = []
    basal = doses_mg_per_day(rx.mixture, rx.basal_daily_volume_ml)[drug]
    if rx.therapy_start:
        for key, label in (("start_dose_range_mg_per_day", "starting dose range"),
                           ("label_start_max_mg_per_day", "labelled maximum starting dose")):
            entry = spec.entry(key)
            if entry is None:
                continue
            top = float(entry.value[1] if isinstance(entry.value, list) else entry.value)
            if basal > top * (1 + 1e-9):
                out.append(Finding(
                    "start_dose", "warn",
                    f"{spec.name}: starting basal dose {spec.fmt(basal, 'day')} is above the "
                    f"{label} (up to {spec.fmt(top, 'day')}; {entry.cite()})",
                    entry.cite(), top, basal, "mg/day", drug))
    origin = rx.spasticity_origin or "spinal"
    entry = spec.entry(f"maintenance_range_{origin}_mg_per_day")
    if entry is not None:
        top_basal = max(v for _, v in rx.volume_timeline()) * rx.concentration_mg_per_ml(drug)
        if top_basal > float(entry.value[1]) * (1 + 1e-9):
            note = "" if rx.spasticity_origin else " (patient.spasticity_origin not given: " \
                                                   "spinal range used)"
            out.append(Finding(
                "maintenance_range", "warn",
                f"{spec.name}: basal dose {spec.fmt(top_basal, 'day')} is above the usual "
                f"maintenance range for spasticity of {origin} origin "
                f"({spec.fmt_range(entry.value[0], entry.value[1], 'day')}; "
                f"{entry.cite()}){note}", entry.cite(), float(entry.value[1]), top_basal,
                "mg/day", drug))
    return out


# --------------------------------------------------------------------------- pump limits

def _min_flow(rx: Prescription) -> list[Finding]:
    pump = load_pump(rx.pump.model)
    entry = pump.entry("min_flow_ml_per_day")
    if entry is None:
        return []
    lim = float(entry.value)
    base = rx.basal_daily_volume_ml
    worst = None
    for day, vol in rx.volume_timeline():
        for seg in rx.segments:
            rate = seg.rate_ml_per_day * vol / base
            if rate < lim * (1 - 1e-9) and (worst is None or rate < worst[0]):
                worst = (rate, seg, day)
    if worst is None:
        return []
    rate, seg, day = worst
    spec = load_drug(rx.dose_drug)
    conc = rx.concentration_mg_per_ml(rx.dose_drug)
    where = "" if rx.basal_mode == "simple" else \
        f" in the segment from {seg.start_min // 60:02d}:{seg.start_min % 60:02d}"
    when = "" if day == rx.pump.fill_date else f" from {day.isoformat()}"
    return [Finding(
        "min_flow", "refuse",
        f"Basal rate {rate:.4g} mL/day{where}{when} is below the {pump.name} minimum flow "
        f"{lim:g} mL/day ({entry.cite()}). At {spec.fmt(conc, 'mL')} of {spec.name.lower()} "
        f"the lowest continuous dose is {spec.fmt(lim * conc, 'day')}: dilute the mixture or "
        "raise the dose. A device limit: cannot be overridden",
        entry.cite(), lim, rate, "mL/day", None)]


def _flow_tolerance(rx: Prescription) -> list[Finding]:
    pump = load_pump(rx.pump.model)
    if pump.entry("flow_accuracy_tolerance_percent") is not None:
        return []
    tol = pump.entries["flow_accuracy_tolerance_percent"]
    fever = pump.entry("fever_flow_increase_percent_per_deg_c")
    extra = "" if fever is None else \
        f"; flow rises with fever and altitude, about {fever.value:g} %/degC ({fever.cite()})"
    return [Finding(
        "flow_tolerance", "warn",
        f"The {pump.name} has no flow tolerance in the table ({tol.cite()}): the worst-case "
        f"refill date uses the nominal flow{extra}", tol.cite())]


def _refill_discrepancy(rx: Prescription) -> list[Finding]:
    p = rx.procedure
    if p.expected_residual_ml is None or p.measured_residual_ml is None:
        return []
    pump = load_pump(rx.pump.model)
    entry = pump.entry("refill_discrepancy_limit_ml")
    if entry is None:
        return []
    diff = refill_discrepancy_ml(p.expected_residual_ml, p.measured_residual_ml)
    lim = float(entry.value)
    if abs(diff) <= lim * (1 + 1e-9):
        return []
    why = ("less drug came back than expected: over-delivery, a leak, or drug injected "
           "outside the reservoir (pocket fill; side-port mis-injection) - watch for overdose"
           if diff < 0 else
           "more drug came back than expected: under-delivery (stalled pump, occluded "
           "catheter) - watch for withdrawal")
    return [Finding(
        "refill_discrepancy", "refuse",
        f"Measured residual {p.measured_residual_ml:g} mL differs from the expected "
        f"{p.expected_residual_ml:g} mL by {abs(diff):.3g} mL, more than {lim:g} mL for the "
        f"{pump.reservoir_volume_ml:g} mL {pump.name} ({entry.cite()}): {why}. Investigate "
        "before refilling; record the finding in an override for 'refill_discrepancy'",
        entry.cite(), lim, abs(diff), "mL")]


def _mri(rx: Prescription) -> list[Finding]:
    if rx.mri is None:
        return []
    pump = load_pump(rx.pump.model)
    out: list[Finding] = []
    when = f" on {rx.mri.date.isoformat()}" if rx.mri.date else ""
    for key, value, unit, label in (
            ("mri_max_field_t", rx.mri.field_t, "T", "field"),
            ("mri_max_spatial_gradient_g_per_cm", rx.mri.spatial_gradient_g_per_cm, "G/cm",
             "spatial gradient")):
        entry = pump.entry(key)
        if entry is not None and value is not None and value > float(entry.value):
            out.append(Finding(
                "mri_field", "refuse",
                f"The MRI{when} at {label} {value:g} {unit} exceeds the {pump.name} limit "
                f"{float(entry.value):g} {unit} ({entry.cite()}). A device limit: cannot be "
                "overridden; choose another scanner or protocol", entry.cite(),
                float(entry.value), value, unit))
    text = pump.entry("mri_precautions")
    msg = f"MRI{when}: {text.value}" if text is not None else \
        f"MRI{when}: no MRI information for the {pump.name} in the table; check its labelling"
    out.append(Finding("mri_precautions", "warn", msg, text.cite() if text else ""))
    return out


def _battery(rx: Prescription) -> list[Finding]:
    pump = load_pump(rx.pump.model)
    out: list[Finding] = []
    end = rx.pump.fill_date + dt.timedelta(days=rx.horizon_days)
    stops = pump.entry("stops_after_eri_days")
    if rx.pump.eri_date is not None and stops is not None:
        stop = rx.pump.eri_date + dt.timedelta(days=float(stops.value))
        out.append(Finding(
            "battery", "warn",
            f"Elective replacement indicator since {rx.pump.eri_date.isoformat()}: the pump "
            f"stops by {stop.isoformat()} ({stops.cite()}); replace it before then",
            stops.cite(), float(stops.value), None, "days"))
    life = pump.entry("battery_life_years")
    plan = pump.entry("replacement_planning_months")
    if rx.pump.eri_date is None and rx.pump.implant_date is not None and life is not None:
        low_years = float(life.value[0])
        expected = _add_months(rx.pump.implant_date, round(12 * low_years))
        months = float(plan.value) if plan is not None else 0.0
        plan_from = _add_months(expected, -round(months))
        if plan_from <= end:
            out.append(Finding(
                "battery", "warn",
                f"Battery: implanted {rx.pump.implant_date.isoformat()}, life "
                f"{life.value[0]:g}-{life.value[1]:g} years ({life.cite()}); the earliest end "
                f"is {expected.isoformat()}, plan the replacement from {plan_from.isoformat()}"
                + (f" ({plan.cite()})" if plan is not None else ""), life.cite(), low_years,
                None, "years"))
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- titration

def _dose_events(rx: Prescription, drug: str) -> list[tuple[dt.date | None, float]]:
    """(date, basal dose mg/day) of ``drug``: previous prescription, fill, titration steps.

    On a constant-flow pump the previous dose is its fixed rate x the previous
    concentration (a record that differs is refused by ``constant_flow_previous``).
    """
    events: list[tuple[dt.date | None, float]] = []
    prev = previous_doses_mg_per_day(rx)
    if prev is not None:
        events.append((rx.previous.changed_on, prev.get(drug, 0.0)))
    conc = rx.concentration_mg_per_ml(drug)
    events += [(day, vol * conc) for day, vol in rx.volume_timeline()]
    return events


def _titration(rx: Prescription) -> list[Finding]:
    out: list[Finding] = []
    cerebral_or_child = rx.pediatric or rx.spasticity_origin == "cerebral"
    for comp in rx.mixture:
        spec = load_drug(comp.drug)
        events = _dose_events(rx, comp.drug)
        pairs = [(a, b) for a, b in pairwise(events) if b[1] != a[1]]  # changes only
        step = spec.entry("titration_max_step_mg_per_day")
        pct_key = "titration_max_step_cerebral_or_child_percent" if cerebral_or_child and \
            spec.entry("titration_max_step_cerebral_or_child_percent") else \
            "titration_max_step_percent"
        pct = spec.entry(pct_key)
        for (_, d0), (day, d1) in pairs:
            inc = d1 - d0
            if step is not None and inc > float(step.value) * (1 + 1e-9):
                out.append(Finding(
                    "titration_step", "refuse",
                    f"{spec.name}: the step on {day.isoformat()} from {spec.fmt(d0)} to "
                    f"{spec.fmt(d1, 'day')} (+{spec.fmt(inc, 'day')}) is above the limit "
                    f"+{spec.fmt(float(step.value), 'day')} per step ({step.cite()}). "
                    f"{_override_hint('titration_step')}", step.cite(), float(step.value), inc,
                    "mg/day", comp.drug))
            if pct is not None and d0 > 0:
                change = percent_change(d0, d1)
                who = " (cerebral origin or child)" if "cerebral" in pct_key else ""
                if change > float(pct.value) * (1 + 1e-9):
                    out.append(Finding(
                        "titration_step", "refuse",
                        f"{spec.name}: the step on {day.isoformat()} raises the dose by "
                        f"{change:.3g} % ({spec.fmt(d0)} -> {spec.fmt(d1, 'day')}), above the "
                        f"limit +{float(pct.value):g} % per step{who} ({pct.cite()}). "
                        f"{_override_hint('titration_step')}", pct.cite(), float(pct.value),
                        change, "%", comp.drug))
                elif -change > float(pct.value) * (1 + 1e-9):
                    out.append(Finding(
                        "withdrawal_risk", "warn",
                        f"{spec.name}: the change on {day.isoformat()} lowers the dose by "
                        f"{-change:.3g} %, more than the {float(pct.value):g} % step used for "
                        f"increases ({pct.cite()}); abrupt baclofen withdrawal can be fatal "
                        "(label; REFERENCE 3.2): reduce in steps and watch the patient",
                        pct.cite(), float(pct.value), -change, "%", comp.drug))
        out += _titration_frequency(spec, comp.drug, pairs)
    return out


def _titration_frequency(spec: DrugSpec, drug: str,
                         pairs: list[tuple[tuple[dt.date | None, float],
                                           tuple[dt.date, float]]]) -> list[Finding]:
    out: list[Finding] = []
    interval = spec.entry("titration_min_interval_days")
    if interval is not None:
        for (d0, _), (d1, _) in pairs:
            if d0 is not None and (d1 - d0).days < float(interval.value):
                out.append(Finding(
                    "titration_frequency", "refuse",
                    f"{spec.name}: dose changes on {d0.isoformat()} and {d1.isoformat()} are "
                    f"less than {float(interval.value):g} day(s) apart ({interval.cite()}). "
                    f"{_override_hint('titration_frequency')}", interval.cite(),
                    float(interval.value), float((d1 - d0).days), "days", drug))
    increases = [(b[0], b[1] - a[1]) for a, b in pairs if b[1] > a[1]]
    per_week = spec.entry("titration_max_steps_per_week")
    if per_week is not None:
        for i, (start, _) in enumerate(increases):
            inside = [d for d, _ in increases[i:] if (d - start).days < _DAYS_PER_WEEK]
            if len(inside) > float(per_week.value):
                out.append(Finding(
                    "titration_frequency", "refuse",
                    f"{spec.name}: {len(inside)} dose increases within 7 days "
                    f"({', '.join(d.isoformat() for d in inside)}), more than "
                    f"{float(per_week.value):g} a week ({per_week.cite()}). "
                    f"{_override_hint('titration_frequency')}", per_week.cite(),
                    float(per_week.value), float(len(inside)), "per week", drug))
                break
    consensus = spec.entry("titration_consensus_step_mg_per_week")
    if consensus is not None:
        for i, (start, _) in enumerate(increases):
            total = sum(inc for d, inc in increases[i:] if (d - start).days < _DAYS_PER_WEEK)
            if total > float(consensus.value) * (1 + 1e-9):
                out.append(Finding(
                    "titration_consensus", "warn",
                    f"{spec.name}: +{spec.fmt(total, 'day')} within the 7 days from "
                    f"{start.isoformat()}; slower titration, at most "
                    f"+{spec.fmt(float(consensus.value), 'day')} a week, is recommended "
                    f"({consensus.cite()})", consensus.cite(), float(consensus.value), total,
                    "mg/day per week", drug))
                break
    return out


# --------------------------------------------------------------------------- changes

def _stability(rx: Prescription) -> list[Finding]:
    stab = stability(rx, first_fill=rx.pump.first_fill)
    if not stab.unknown:
        return []
    names = ", ".join(load_drug(d).name.lower() for d in stab.unknown)
    return [Finding(
        "stability_unknown", "warn",
        f"No stability figure in the table for {names}"
        + (" in this mixture" if len(rx.mixture) > 1 else "")
        + ": the refill date does not account for it; set refill.max_interval_days to the "
        "pharmacy's beyond-use date", "drugs.yaml")]


# --------------------------------------------------------------------------- entry points

def check_prescription(rx: Prescription) -> tuple[Finding, ...]:
    """Run every check on a prescription; refusals and warnings, before overrides.

    Parameters
    ----------
    rx : Prescription

    Returns
    -------
    tuple of Finding
        Refusals first, then warnings, each in the order of the checks.
    """
    found = [*_drug_limits(rx), *_min_flow(rx), *_titration(rx), *bridge_findings(rx),
             *constant_flow_findings(rx), *_refill_discrepancy(rx), *_mri(rx),
             *_flow_tolerance(rx), *_stability(rx), *_battery(rx), *priming_findings(rx)]
    return tuple(f for f in found if f.severity == "refuse") + \
        tuple(f for f in found if f.severity != "refuse")


def review_prescription(rx: Prescription) -> Review:
    """All checks of ``rx`` with its overrides applied (does not raise)."""
    return apply_overrides(check_prescription(rx), rx.overrides)
