"""Parsing of a prescription mapping into :class:`~neuraxis.pump.prescription.Prescription`.

Private: use :func:`neuraxis.pump.load_prescription` / :func:`prescription_from_dict`.
Each section has its parser; every error names the field, the allowed values or
range and the unit, through :mod:`neuraxis._validate`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_option,
    check_positive,
    check_range,
)
from neuraxis.pump.prescription import (
    BASAL_MODES,
    MIN_OVERRIDE_REASON_CHARS,
    MINUTES_PER_DAY,
    PROCEDURES,
    SPASTICITY_ORIGINS,
    VERTEBRAL_LEVELS,
    Bolus,
    Catheter,
    Component,
    MriPlan,
    Override,
    Prescription,
    Previous,
    Procedure,
    PumpFill,
    Segment,
    TitrationStep,
    daily_volume_ml,
)
from neuraxis.pump.tables import (
    catheter_names,
    drug_names,
    load_catheter,
    load_drug,
    load_pump,
    pump_names,
)

_MASS_MG = {"mg": 1.0, "ug": 1e-3}
_PER_DAY = {"day": 1.0, "hour": 24.0}
#: Relative mismatch allowed between a constant-flow dose and rate x concentration.
_CONSTANT_FLOW_DOSE_RTOL = 0.005


# --------------------------------------------------------------------------- parsing helpers

_UNITLESS_STEMS = {
    "concentration": "'concentration_mg_per_ml' or 'concentration_ug_per_ml'",
    "dose": "'dose_mg_per_day' / 'dose_ug_per_day' (basal) or 'dose_mg' / 'dose_ug' (bolus)",
    "rate": "'rate_ml_per_day', 'rate_mg_per_hour', 'rate_ug_per_hour', ...",
    "volume": "'volume_ml' / 'fill_volume_ml'", "fill_volume": "'fill_volume_ml'",
    "length": "'length_cm'", "duration": "'duration_min'", "lockout": "'lockout_min'",
    "flow_rate": "'flow_rate_ml_per_day'", "max_interval": "'max_interval_days'",
    "field": "'field_t'", "horizon": "'horizon_days'",
}


def _fail(msg: str) -> NeuraxisInputError:
    return NeuraxisInputError(msg)


def _mapping(where: str, obj: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(f"Invalid value for {where!r}. Expected a mapping with keys "
                    f"{', '.join(allowed)}, but got {obj!r}")
    for key in obj:
        if key in allowed:
            continue
        stem = str(key)
        if stem in _UNITLESS_STEMS:
            raise _fail(f"Invalid key {stem!r} in {where!r}: units missing. Put the unit in "
                        f"the key name: {_UNITLESS_STEMS[stem]}")
        try:
            check_option(f"key in {where!r}", stem, allowed)
        except NeuraxisInputError as exc:
            raise _fail(str(exc)) from None
    return obj


def _required(where: str, d: dict[str, Any], key: str) -> Any:
    if key not in d or d[key] is None:
        raise _fail(f"Invalid {where!r}: missing {key!r}")
    return d[key]


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(f"Invalid value for {field!r}. Allowed values are true, false, but got "
                    f"{value!r}")
    return value


def _date(field: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(f"Invalid value for {field!r}. Expected an ISO date YYYY-MM-DD, but got "
                f"{value!r}")


def _time_of_day(field: str, value: Any) -> int:
    """'HH:MM' -> minutes after midnight (0-1440; '24:00' allowed as an end)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip()) if isinstance(value, str) else None
    if m is None or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise _fail(f"Invalid value for {field!r}. Expected a time of day 'HH:MM' (00:00 to "
                    f"24:00, quoted), but got {value!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _unit_key(where: str, d: dict[str, Any], pattern: str, names: str, *,
              required: bool = True, positive: bool = True
              ) -> tuple[str, dict[str, str], float] | None:
    """Find the single key of ``d`` matching ``pattern`` (a regex with named unit groups).

    ``names`` lists the accepted keys for the message when none is given. Returns
    ``(key, groups, value)``, or ``None`` when absent and not required.
    """
    rx = re.compile(pattern)
    hits = [k for k in d if isinstance(k, str) and rx.fullmatch(k)]
    if len(hits) > 1:
        raise _fail(f"Invalid {where!r}: give only one of {', '.join(map(repr, hits))}")
    if not hits:
        if required:
            raise _fail(f"Invalid {where!r}: missing {names}")
        return None
    key = hits[0]
    field = f"{where}.{key}"
    value = d[key]
    if value is None:
        raise _fail(f"Invalid value for {field!r}: missing value")
    num = check_positive(field, value) if positive else check_range(field, value, 0.0)
    groups = {k: v for k, v in rx.fullmatch(key).groupdict().items()}  # type: ignore[union-attr]
    return key, groups, float(num)


# --------------------------------------------------------------------------- sections

def _parse_mixture(where: str, raw: Any) -> tuple[Component, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(f"Invalid value for {where!r}. Expected a list of drugs, e.g. "
                    f"[{{drug: morphine, concentration_mg_per_ml: 20}}], but got {raw!r}")
    out: list[Component] = []
    vial_fraction = 0.0
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        item = _mapping(w, item, ("drug", "concentration_mg_per_ml", "concentration_ug_per_ml",
                                  "compounded"))
        drug = check_option(f"{w}.drug", _required(w, item, "drug"), drug_names())
        if drug in (c.drug for c in out):
            raise _fail(f"Invalid {where!r}: {drug!r} is listed twice")
        key, groups, conc = _unit_key(w, item, r"concentration_(?P<mass>mg|ug)_per_ml",
                                     "'concentration_mg_per_ml' or 'concentration_ug_per_ml'")
        conc_mg = conc * _MASS_MG[groups["mass"]]
        compounded = _bool(f"{w}.compounded", item.get("compounded", False))
        spec = load_drug(drug)
        strengths = spec.entry("strengths_mg_per_ml")
        if strengths is not None and not compounded:
            strongest = max(float(s) for s in strengths.value)
            if conc_mg > strongest * (1 + 1e-9):
                raise _fail(
                    f"Invalid value for '{w}.{key}': {spec.fmt(conc_mg, 'mL')} is stronger "
                    f"than the strongest {spec.name.lower()} vial ({spec.fmt(strongest, 'mL')}; "
                    f"{strengths.cite()}). If a pharmacy compounds it, set compounded: true")
            vial_fraction += conc_mg / strongest
        out.append(Component(drug, conc_mg, compounded))
    if vial_fraction > 1 + 1e-9:
        raise _fail(f"Invalid {where!r}: the drugs cannot all be drawn from their vials "
                    f"into one mixture (vial volumes add up to {vial_fraction:.0%} of the "
                    "mixture volume); mark the compounded drugs with compounded: true")
    return tuple(out)


def _volume_per_mass(mixture: tuple[Component, ...], dose_drug: str, mass: str) -> float:
    """mL of mixture per unit of ``mass`` ('mg', 'ug' of the dose drug, or 'ml')."""
    if mass == "ml":
        return 1.0
    conc = next(c.concentration_mg_per_ml for c in mixture if c.drug == dose_drug)
    return _MASS_MG[mass] / conc


def _parse_segments(where: str, raw: Any, mixture: tuple[Component, ...], dose_drug: str
                    ) -> tuple[Segment, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(f"Invalid value for '{where}.segments'. Expected a list of segments "
                    "{start: 'HH:MM', end: 'HH:MM', rate_mg_per_hour: x}, but got "
                    f"{raw!r}")
    segs: list[Segment] = []
    coverage = [0] * MINUTES_PER_DAY
    for i, item in enumerate(raw):
        w = f"{where}.segments[{i}]"
        rate_keys = tuple(f"rate_{m}_per_{p}" for m in ("mg", "ug", "ml") for p in _PER_DAY)
        item = _mapping(w, item, ("start", "end", *rate_keys))
        start = _time_of_day(f"{w}.start", _required(w, item, "start"))
        end = _time_of_day(f"{w}.end", _required(w, item, "end"))
        if start == MINUTES_PER_DAY:
            raise _fail(f"Invalid value for '{w}.start': use '00:00' instead of '24:00'")
        duration = (end - start) % MINUTES_PER_DAY or (MINUTES_PER_DAY if len(raw) == 1 else 0)
        if duration == 0:
            raise _fail(f"Invalid {w!r}: start and end are both {_hhmm(start)} (empty segment)")
        _, g, rate = _unit_key(w, item, r"rate_(?P<mass>mg|ug|ml)_per_(?P<per>hour|day)",
                               "a rate: 'rate_mg_per_hour', 'rate_ug_per_hour', "
                               "'rate_ml_per_hour' (or '_per_day')", positive=False)
        rate_ml_per_day = rate * _PER_DAY[g["per"]] * _volume_per_mass(mixture, dose_drug,
                                                                        g["mass"])
        for k in range(duration):
            coverage[(start + k) % MINUTES_PER_DAY] += 1
        segs.append(Segment(start, duration, rate_ml_per_day))
    problems = []
    for label, bad in (("gap", lambda c: c == 0), ("overlap", lambda c: c > 1)):
        runs = _runs([bad(c) for c in coverage])
        problems += [f"{label} {_hhmm(a)}-{_hhmm(b)}" for a, b in runs]
    if problems:
        covered = sum(1 for c in coverage if c) / 60
        raise _fail(f"Invalid '{where}.segments': the flex schedule must cover 24 h once, "
                    f"without gaps or overlaps; it covers {covered:g} h ({'; '.join(problems)})")
    if all(s.rate_ml_per_day == 0 for s in segs):
        raise _fail(f"Invalid '{where}.segments': every rate is 0")
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


def _parse_basal(raw: Any, mixture: tuple[Component, ...], dose_drug: str, pump_kind: str,
                 supports_flex: bool, flow_rate: float | None) -> tuple[str, tuple[Segment, ...]]:
    where = "basal"
    if pump_kind == "constant_flow":
        assert flow_rate is not None
        if raw is not None:
            raw = _mapping(where, raw, ("mode", "dose_mg_per_day", "dose_ug_per_day"))
            if raw.get("mode", "simple") != "simple":
                raise _fail("Invalid 'basal.mode': a constant-flow pump has one fixed rate "
                            "(no flex schedule)")
            hit = _unit_key(where, raw, r"dose_(?P<mass>mg|ug)_per_day", "", required=False)
            if hit is not None:
                key, g, dose = hit
                conc = next(c.concentration_mg_per_ml for c in mixture if c.drug == dose_drug)
                dose_mg = dose * _MASS_MG[g["mass"]]
                delivered = flow_rate * conc
                if abs(delivered - dose_mg) > _CONSTANT_FLOW_DOSE_RTOL * dose_mg:
                    spec = load_drug(dose_drug)
                    raise _fail(
                        f"Invalid value for 'basal.{key}': a constant-flow pump changes the "
                        f"dose only through the concentration. At its fixed "
                        f"{flow_rate:g} mL/day, {spec.fmt(conc, 'mL')} delivers "
                        f"{spec.fmt(delivered, 'day')}; for {spec.fmt(dose_mg, 'day')} the "
                        f"{spec.name.lower()} concentration must be "
                        f"{spec.fmt(dose_mg / flow_rate, 'mL')}")
        return "simple", (Segment(0, MINUTES_PER_DAY, flow_rate),)
    simple_keys = ("dose_mg_per_day", "dose_ug_per_day", "rate_ml_per_day")
    raw = _mapping(where, _required("prescription", {"basal": raw}, "basal"),
                   ("mode", "segments", *simple_keys))
    mode = check_option("basal.mode", raw.get("mode", "simple"), BASAL_MODES)
    if mode == "flex":
        if not supports_flex:
            raise _fail("Invalid 'basal.mode': this pump has no flex (time-of-day) schedule")
        extra = [k for k in simple_keys if k in raw]
        if extra:
            raise _fail(f"Invalid 'basal': a flex schedule takes its rates from 'segments', "
                        f"not {extra[0]!r}")
        return mode, _parse_segments(where, raw.get("segments"), mixture, dose_drug)
    if "segments" in raw:
        raise _fail("Invalid 'basal': 'segments' needs mode: flex")
    _, g, dose = _unit_key(where, raw, r"(?:dose_(?P<mass>mg|ug)_per_day|rate_ml_per_day)",
                           "the basal dose: 'dose_mg_per_day', 'dose_ug_per_day' or "
                           "'rate_ml_per_day'")
    mass = g["mass"] or "ml"
    return mode, (Segment(0, MINUTES_PER_DAY,
                          dose * _volume_per_mass(mixture, dose_drug, mass)),)


def _parse_bolus(raw: Any, mixture: tuple[Component, ...], dose_drug: str) -> Bolus:
    w = "bolus"
    raw = _mapping(w, raw, ("dose_mg", "dose_ug", "volume_ml", "duration_min", "lockout_min",
                            "max_per_day"))
    _, g, amount = _unit_key(w, raw, r"(?:dose_(?P<mass>mg|ug)|volume_ml)",
                             "the bolus size: 'dose_mg', 'dose_ug' or 'volume_ml'")
    volume = amount * _volume_per_mass(mixture, dose_drug, g["mass"] or "ml")
    duration = float(check_positive("bolus.duration_min", _required(w, raw, "duration_min"),
                                    "min"))
    lockout = float(check_positive("bolus.lockout_min", _required(w, raw, "lockout_min"),
                                   "min"))
    if lockout < duration:
        raise _fail(f"Invalid value for 'bolus.lockout_min': the lockout ({lockout:g} min) must "
                    f"be at least the bolus duration ({duration:g} min) (REFERENCE 3.6)")
    n = check_int("bolus.max_per_day", _required(w, raw, "max_per_day"), 1, 96)
    return Bolus(volume, duration, lockout, n)


def _parse_titration(raw: Any, mixture: tuple[Component, ...], dose_drug: str,
                     fill_date: dt.date, base_volume: float) -> tuple[TitrationStep, ...]:
    where = "titration"
    raw = _mapping(where, raw, ("steps",))
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise _fail("Invalid 'titration.steps'. Expected a list of {date, dose_mg_per_day} "
                    f"(or dose_ug_per_day, change_percent), but got {steps_raw!r}")
    steps: list[TitrationStep] = []
    prev_date, prev_volume = fill_date, base_volume
    for i, item in enumerate(steps_raw):
        w = f"{where}.steps[{i}]"
        item = _mapping(w, item, ("date", "dose_mg_per_day", "dose_ug_per_day",
                                  "change_percent"))
        day = _date(f"{w}.date", _required(w, item, "date"))
        if day <= prev_date:
            raise _fail(f"Invalid value for '{w}.date': {day} must come after "
                        f"{prev_date} (the fill date or the previous step)")
        if "change_percent" in item:
            if any(k in item for k in ("dose_mg_per_day", "dose_ug_per_day")):
                raise _fail(f"Invalid {w!r}: give either a dose or change_percent, not both")
            pct = float(check_range(f"{w}.change_percent", item["change_percent"], -100.0,
                                    None, "%", low_inclusive=False))
            volume = prev_volume * (1 + pct / 100)
        else:
            _, g, dose = _unit_key(w, item, r"dose_(?P<mass>mg|ug)_per_day",
                                   "'dose_mg_per_day', 'dose_ug_per_day' or 'change_percent'")
            volume = dose * _volume_per_mass(mixture, dose_drug, g["mass"])
        steps.append(TitrationStep(day, volume))
        prev_date, prev_volume = day, volume
    return tuple(steps)


def _parse_overrides(raw: Any, drugs: tuple[str, ...]) -> tuple[Override, ...]:
    from neuraxis.pump.checks import CHECK_IDS, NON_OVERRIDABLE, WARN_ONLY

    if not isinstance(raw, list):
        raise _fail(f"Invalid value for 'overrides'. Expected a list of {{check, reason}}, but "
                    f"got {raw!r}")
    out = []
    for i, item in enumerate(raw):
        w = f"overrides[{i}]"
        item = _mapping(w, item, ("check", "reason", "drug"))
        check = check_option(f"{w}.check", _required(w, item, "check"), CHECK_IDS)
        if check in NON_OVERRIDABLE:
            raise _fail(f"Invalid value for '{w}.check': {check!r} is a device limit and "
                        "cannot be overridden")
        if check in WARN_ONLY:
            raise _fail(f"Invalid value for '{w}.check': {check!r} only warns; there is "
                        "nothing to override")
        reason = item.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < MIN_OVERRIDE_REASON_CHARS:
            raise _fail(f"Invalid value for '{w}.reason': an override needs a written reason "
                        f"(at least {MIN_OVERRIDE_REASON_CHARS} characters), but got {reason!r}")
        drug = item.get("drug")
        if drug is not None:
            drug = check_option(f"{w}.drug", drug, drugs)
        out.append(Override(check, reason.strip(), drug))
    return tuple(out)


# --------------------------------------------------------------------------- entry points

_TOP_KEYS = ("version", "description", "patient", "therapy_start", "pump", "catheter",
             "mixture", "dose_drug", "basal", "bolus", "titration", "previous", "procedure",
             "mri", "refill", "overrides")


def parse_prescription(raw: Any) -> Prescription:
    """The work of :func:`neuraxis.pump.prescription_from_dict` (documented there)."""
    raw = _mapping("prescription", raw, _TOP_KEYS)
    if raw.get("version", 1) != 1:
        raise _fail(f"Invalid value for 'version'. Allowed values are 1, but got "
                    f"{raw['version']!r}")
    # patient
    patient = _mapping("patient", raw.get("patient") or {}, ("id", "pediatric",
                                                             "spasticity_origin"))
    origin = patient.get("spasticity_origin")
    if origin is not None:
        origin = check_option("patient.spasticity_origin", origin, SPASTICITY_ORIGINS)
    # pump
    p = _mapping("pump", _required("prescription", raw, "pump"),
                 ("model", "fill_date", "fill_volume_ml", "first_fill", "implant_date",
                  "eri_date", "flow_rate_ml_per_day"))
    spec = load_pump(check_option("pump.model", _required("pump", p, "model"), pump_names()))
    fill_date = _date("pump.fill_date", _required("pump", p, "fill_date"))
    fill_volume = float(check_range("pump.fill_volume_ml",
                                    p.get("fill_volume_ml", spec.reservoir_volume_ml),
                                    spec.low_reservoir_volume_ml, spec.reservoir_volume_ml, "mL",
                                    low_inclusive=False))
    flow_rate = None
    if spec.kind == "constant_flow":
        if p.get("flow_rate_ml_per_day") is None:
            raise _fail(f"Invalid 'pump': missing 'flow_rate_ml_per_day'; the {spec.name} runs "
                        "at a fixed rate printed on its label")
        flow_rate = float(check_positive("pump.flow_rate_ml_per_day", p["flow_rate_ml_per_day"],
                                         "mL/day"))
    elif "flow_rate_ml_per_day" in p:
        raise _fail("Invalid key 'flow_rate_ml_per_day' in 'pump': only a constant-flow pump "
                    "has a fixed rate; give the basal dose under 'basal'")
    implant = _date("pump.implant_date", p["implant_date"]) if p.get("implant_date") else None
    eri = _date("pump.eri_date", p["eri_date"]) if p.get("eri_date") else None
    pump = PumpFill(spec.key, fill_date, fill_volume,
                    _bool("pump.first_fill", p.get("first_fill", False)), implant, eri, flow_rate)
    # mixture and dose drug
    mixture = _parse_mixture("mixture", _required("prescription", raw, "mixture"))
    drugs = tuple(c.drug for c in mixture)
    dose_drug = check_option("dose_drug", raw.get("dose_drug", drugs[0]), drugs)
    # catheter
    c = _mapping("catheter", _required("prescription", raw, "catheter"),
                 ("model", "length_cm", "tip_level", "volume_ml"))
    cat = load_catheter(check_option("catheter.model", _required("catheter", c, "model"),
                                     catheter_names()))
    length = float(check_range("catheter.length_cm", _required("catheter", c, "length_cm"),
                               1.0, 150.0, "cm"))
    tip = check_option("catheter.tip_level", str(_required("catheter", c, "tip_level")),
                       VERTEBRAL_LEVELS)
    if c.get("volume_ml") is not None:
        cat_volume, given = float(check_positive("catheter.volume_ml", c["volume_ml"], "mL")), True
    else:
        cat_volume, given = cat.volume_ml_per_cm * length, False
    catheter = Catheter(cat.key, length, tip, cat_volume, given)
    # schedule, boluses, titration
    mode, segments = _parse_basal(raw.get("basal"), mixture, dose_drug, spec.kind,
                                  spec.supports_flex, flow_rate)
    bolus = None
    if raw.get("bolus") is not None:
        if not spec.supports_boluses:
            raise _fail(f"Invalid 'bolus': the {spec.name} cannot give patient boluses")
        bolus = _parse_bolus(raw["bolus"], mixture, dose_drug)
    titration: tuple[TitrationStep, ...] = ()
    if raw.get("titration") is not None:
        if spec.kind == "constant_flow":
            raise _fail("Invalid 'titration': a constant-flow pump changes the dose only "
                        "through the concentration, at a refill")
        titration = _parse_titration(raw["titration"], mixture, dose_drug, fill_date,
                                     daily_volume_ml(segments))
    # previous prescription
    previous = None
    if raw.get("previous") is not None:
        pr = _mapping("previous", raw["previous"], ("mixture", "dose_mg_per_day",
                                                    "dose_ug_per_day", "changed_on"))
        prev_mix = _parse_mixture("previous.mixture", pr["mixture"]) if pr.get("mixture") \
            else mixture
        prev_volume = None
        hit = _unit_key("previous", pr, r"dose_(?P<mass>mg|ug)_per_day", "", required=False)
        if hit is not None:
            if dose_drug not in (m.drug for m in prev_mix):
                raise _fail(f"Invalid 'previous': its dose refers to {dose_drug!r}, which is "
                            "not in previous.mixture")
            prev_volume = hit[2] * _volume_per_mass(prev_mix, dose_drug,
                                                    hit[1]["mass"])
        changed = _date("previous.changed_on", pr["changed_on"]) if pr.get("changed_on") \
            else None
        if changed is not None and changed > fill_date:
            raise _fail(f"Invalid value for 'previous.changed_on': {changed} is after the fill "
                        f"date {fill_date}")
        previous = Previous(prev_mix, prev_volume, changed)
    # procedure
    pc = _mapping("procedure", raw.get("procedure") or {},
                  ("kind", "bridge_bolus", "empty_catheter_length_cm", "expected_residual_ml",
                   "measured_residual_ml"))
    kind = check_option("procedure.kind", pc.get("kind", "refill"), PROCEDURES)
    bridge = _bool("procedure.bridge_bolus", pc["bridge_bolus"]) if "bridge_bolus" in pc \
        else None
    empty_len = None
    if pc.get("empty_catheter_length_cm") is not None:
        if kind != "catheter_revision":
            raise _fail("Invalid key 'empty_catheter_length_cm' in 'procedure': only for "
                        "kind: catheter_revision")
        empty_len = float(check_range("procedure.empty_catheter_length_cm",
                                      pc["empty_catheter_length_cm"], 0.0, length, "cm",
                                      low_inclusive=False))
    residuals = [pc.get(k) for k in ("expected_residual_ml", "measured_residual_ml")]
    if (residuals[0] is None) != (residuals[1] is None):
        raise _fail("Invalid 'procedure': give both expected_residual_ml (programmer's "
                    "estimate) and measured_residual_ml (volume withdrawn), or neither")
    if residuals[0] is not None:
        residuals = [float(check_range(f"procedure.{k}", v, 0.0, spec.reservoir_volume_ml, "mL"))
                     for k, v in zip(("expected_residual_ml", "measured_residual_ml"),
                                     residuals, strict=True)]
    procedure = Procedure(kind, bridge, empty_len, residuals[0], residuals[1])
    # MRI, refill policy, overrides
    mri = None
    if raw.get("mri") is not None:
        m = _mapping("mri", raw["mri"], ("date", "field_t", "spatial_gradient_g_per_cm"))
        grad = m.get("spatial_gradient_g_per_cm")
        mri = MriPlan(_date("mri.date", m["date"]) if m.get("date") else None,
                      float(check_range("mri.field_t", _required("mri", m, "field_t"), 0.0, 11.7,
                                        "T", low_inclusive=False)),
                      None if grad is None else float(check_positive(
                          "mri.spatial_gradient_g_per_cm", grad, "G/cm")))
    refill = _mapping("refill", raw.get("refill") or {}, ("max_interval_days", "horizon_days"))
    max_interval = refill.get("max_interval_days")
    if max_interval is not None:
        max_interval = float(check_range("refill.max_interval_days", max_interval, 1.0, 3650.0,
                                         "days"))
    horizon = check_int("refill.horizon_days", refill.get("horizon_days", 365), 1, 3650)
    overrides = _parse_overrides(raw.get("overrides") or [], drugs)
    desc = raw.get("description", "")
    pid = patient.get("id")
    return Prescription(
        pump=pump, catheter=catheter, mixture=mixture, dose_drug=dose_drug, basal_mode=mode,
        segments=segments, bolus=bolus, titration=titration, previous=previous,
        procedure=procedure, mri=mri, max_interval_days=max_interval, horizon_days=horizon,
        therapy_start=_bool("therapy_start", raw.get("therapy_start", False)),
        patient_id=None if pid is None else str(pid),
        pediatric=_bool("patient.pediatric", patient.get("pediatric", False)),
        spasticity_origin=origin, overrides=overrides,
        description=str(desc) if desc is not None else "")


def _yaml_loader() -> type:
    """SafeLoader that keeps 'HH:MM' as text (YAML 1.1 reads 22:30 as the integer 1350)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    time_rx = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
    for ch in "0123456789":
        resolvers.setdefault(ch, []).insert(0, ("tag:yaml.org,2002:str", time_rx))
    Loader.yaml_implicit_resolvers = resolvers
    return Loader


def read_prescription(path: str | Path) -> Prescription:
    """The work of :func:`neuraxis.pump.load_prescription` (documented there)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        raise FileNotFoundError(f"Invalid prescription file '{path}': {what}")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NeuraxisInputError(f"Invalid YAML in '{path}'{where}: {problem}") from None
    except UnicodeDecodeError:
        raise NeuraxisInputError(f"Invalid prescription file '{path}': not UTF-8 text") from None
    return parse_prescription(raw)
