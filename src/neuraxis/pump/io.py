"""The prescription entry point: read a YAML file or check a mapping, build a
:class:`~neuraxis.pump.prescription.Prescription`.

:func:`load_prescription` reads a file and :func:`prescription_from_dict` checks a
mapping (format in ``docs/pump.md``; examples in ``examples/pump_*.yaml``). This is
the one place where a raw prescription is validated: below it, every module gets
typed objects (the ``calendar`` section too: working days, holidays, where a refill
on another day moves; :class:`~neuraxis.pump.prescription.WorkingCalendar`). Each section
has its parser; every error names the field, the
allowed values or range and the unit (field readers in :mod:`neuraxis.pump._fields`,
messages through :mod:`neuraxis._validate`).

What the file cannot mean is refused here (``procedure.bridge_bolus: true`` on a
constant-flow pump, which cannot give one); what needs the tables' limits and their
sources is left to :mod:`neuraxis.pump.checks`, once (a ``previous`` dose other than a
constant-flow pump's fixed rate x the previous concentration is the
``constant_flow_previous`` refusal, with the delivered dose as its limit).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_option,
    check_positive,
    check_range,
)
from neuraxis.pump._fields import (
    as_bool,
    as_date,
    fail,
    mapping,
    required,
    unit_key,
    yaml_loader,
)
from neuraxis.pump._schedule import (
    parse_basal,
    parse_bolus,
    parse_mixture,
    parse_titration,
    volume_per_mass,
)
from neuraxis.pump.findings import CHECK_IDS, NON_OVERRIDABLE, WARN_ONLY
from neuraxis.pump.prescription import (
    MIN_OVERRIDE_REASON_CHARS,
    MOVES,
    PROCEDURES,
    SPASTICITY_ORIGINS,
    VERTEBRAL_LEVELS,
    WEEKDAYS,
    Catheter,
    Component,
    MriPlan,
    Override,
    Prescription,
    Previous,
    Procedure,
    PumpFill,
    TitrationStep,
    WorkingCalendar,
    daily_volume_ml,
)
from neuraxis.pump.tables import (
    PumpSpec,
    catheter_names,
    load_catheter,
    load_pump,
    pump_names,
)

__all__ = ["load_prescription", "prescription_from_dict"]

#: Full weekday names accepted for the short ones of ``calendar.working_days``.
_FULL_WEEKDAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
                  "friday": "fri", "saturday": "sat", "sunday": "sun"}

# --------------------------------------------------------------------------- sections

def _parse_overrides(raw: Any, drugs: tuple[str, ...]) -> tuple[Override, ...]:
    if not isinstance(raw, list):
        raise fail(f"Invalid value for 'overrides'. Expected a list of {{check, reason}}, but "
                   f"got {raw!r}")
    out = []
    for i, item in enumerate(raw):
        w = f"overrides[{i}]"
        item = mapping(w, item, ("check", "reason", "drug"))
        check = check_option(f"{w}.check", required(w, item, "check"), CHECK_IDS)
        if check in NON_OVERRIDABLE:
            raise fail(f"Invalid value for '{w}.check': {check!r} is a device limit and "
                       "cannot be overridden")
        if check in WARN_ONLY:
            raise fail(f"Invalid value for '{w}.check': {check!r} only warns; there is "
                       "nothing to override")
        reason = item.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < MIN_OVERRIDE_REASON_CHARS:
            raise fail(f"Invalid value for '{w}.reason': an override needs a written reason "
                       f"(at least {MIN_OVERRIDE_REASON_CHARS} characters), but got {reason!r}")
        drug = item.get("drug")
        if drug is not None:
            drug = check_option(f"{w}.drug", drug, drugs)
        out.append(Override(check, reason.strip(), drug))
    return tuple(out)


# --------------------------------------------------------------------------- device sections

def _parse_pump(raw: Any) -> tuple[PumpFill, PumpSpec]:
    p = mapping("pump", required("prescription", raw, "pump"),
                ("model", "fill_date", "fill_volume_ml", "first_fill", "implant_date",
                 "eri_date", "flow_rate_ml_per_day"))
    spec = load_pump(check_option("pump.model", required("pump", p, "model"), pump_names()))
    fill_date = as_date("pump.fill_date", required("pump", p, "fill_date"))
    fill_volume = float(check_range("pump.fill_volume_ml",
                                    p.get("fill_volume_ml", spec.reservoir_volume_ml),
                                    spec.low_reservoir_volume_ml, spec.reservoir_volume_ml, "mL",
                                    low_inclusive=False))
    flow_rate = None
    if spec.kind == "constant_flow":
        if p.get("flow_rate_ml_per_day") is None:
            raise fail(f"Invalid 'pump': missing 'flow_rate_ml_per_day'; the {spec.name} runs "
                       "at a fixed rate printed on its label")
        flow_rate = float(check_positive("pump.flow_rate_ml_per_day", p["flow_rate_ml_per_day"],
                                         "mL/day"))
    elif "flow_rate_ml_per_day" in p:
        raise fail("Invalid key 'flow_rate_ml_per_day' in 'pump': only a constant-flow pump "
                   "has a fixed rate; give the basal dose under 'basal'")
    implant = as_date("pump.implant_date", p["implant_date"]) if p.get("implant_date") else None
    eri = as_date("pump.eri_date", p["eri_date"]) if p.get("eri_date") else None
    if implant is not None and implant > fill_date:
        raise fail(f"Invalid value for 'pump.implant_date': the pump cannot be implanted "
                   f"({implant.isoformat()}) after it is filled (pump.fill_date "
                   f"{fill_date.isoformat()}); check both dates")
    if implant is not None and eri is not None and eri < implant:
        raise fail(f"Invalid value for 'pump.eri_date': the elective replacement indicator "
                   f"({eri.isoformat()}) cannot come before the implant (pump.implant_date "
                   f"{implant.isoformat()}); check both dates")
    pump = PumpFill(spec.key, fill_date, fill_volume,
                    as_bool("pump.first_fill", p.get("first_fill", False)), implant, eri,
                    flow_rate)
    return pump, spec


def _parse_catheter(raw: Any) -> Catheter:
    c = mapping("catheter", required("prescription", raw, "catheter"),
                ("model", "length_cm", "tip_level", "volume_ml"))
    cat = load_catheter(check_option("catheter.model", required("catheter", c, "model"),
                                     catheter_names()))
    length = float(check_range("catheter.length_cm", required("catheter", c, "length_cm"),
                               1.0, 150.0, "cm"))
    tip = check_option("catheter.tip_level", str(required("catheter", c, "tip_level")),
                       VERTEBRAL_LEVELS)
    if c.get("volume_ml") is not None:
        cat_volume, given = float(check_positive("catheter.volume_ml", c["volume_ml"], "mL")), True
    else:
        cat_volume, given = cat.volume_ml_per_cm * length, False
    return Catheter(cat.key, length, tip, cat_volume, given)


def _parse_previous(raw: Any, mixture: tuple[Component, ...], dose_drug: str,
                    fill_date: dt.date) -> Previous:
    pr = mapping("previous", raw, ("mixture", "dose_mg_per_day", "dose_ug_per_day",
                                   "changed_on"))
    prev_mix = parse_mixture("previous.mixture", pr["mixture"]) if pr.get("mixture") \
        else mixture
    prev_volume = None
    hit = unit_key("previous", pr, r"dose_(?P<mass>mg|ug)_per_day", "", required=False)
    if hit is not None:
        if dose_drug not in (m.drug for m in prev_mix):
            raise fail(f"Invalid 'previous': its dose refers to {dose_drug!r}, which is "
                       "not in previous.mixture")
        prev_volume = hit[2] * volume_per_mass(prev_mix, dose_drug, hit[1]["mass"])
    changed = as_date("previous.changed_on", pr["changed_on"]) if pr.get("changed_on") \
        else None
    if changed is not None and changed > fill_date:
        raise fail(f"Invalid value for 'previous.changed_on': {changed} is after the fill "
                   f"date {fill_date}")
    return Previous(prev_mix, prev_volume, changed)


def _parse_procedure(raw: Any, catheter_length_cm: float, spec: PumpSpec) -> Procedure:
    pc = mapping("procedure", raw or {},
                 ("kind", "bridge_bolus", "empty_catheter_length_cm", "expected_residual_ml",
                  "measured_residual_ml"))
    kind = check_option("procedure.kind", pc.get("kind", "refill"), PROCEDURES)
    bridge = as_bool("procedure.bridge_bolus", pc["bridge_bolus"]) if "bridge_bolus" in pc \
        else None
    if bridge and spec.kind == "constant_flow":
        raise fail(f"Invalid value for 'procedure.bridge_bolus': the {spec.name} runs at one "
                   "fixed rate and cannot give a bridge bolus; remove the key (the plan "
                   "reports the window of a concentration change as 'constant_flow_change', "
                   "docs/pump_constant_flow.md)")
    empty_len = None
    if pc.get("empty_catheter_length_cm") is not None:
        if kind != "catheter_revision":
            raise fail("Invalid key 'empty_catheter_length_cm' in 'procedure': only for "
                       "kind: catheter_revision")
        empty_len = float(check_range("procedure.empty_catheter_length_cm",
                                      pc["empty_catheter_length_cm"], 0.0, catheter_length_cm,
                                      "cm", low_inclusive=False))
    residuals = [pc.get(k) for k in ("expected_residual_ml", "measured_residual_ml")]
    if (residuals[0] is None) != (residuals[1] is None):
        raise fail("Invalid 'procedure': give both expected_residual_ml (programmer's "
                   "estimate) and measured_residual_ml (volume withdrawn), or neither")
    if residuals[0] is not None:
        residuals = [float(check_range(f"procedure.{k}", v, 0.0, spec.reservoir_volume_ml,
                                       "mL"))
                     for k, v in zip(("expected_residual_ml", "measured_residual_ml"),
                                     residuals, strict=True)]
    return Procedure(kind, bridge, empty_len, residuals[0], residuals[1])


def _parse_mri(raw: Any) -> MriPlan:
    m = mapping("mri", raw, ("date", "field_t", "spatial_gradient_g_per_cm"))
    grad = m.get("spatial_gradient_g_per_cm")
    return MriPlan(as_date("mri.date", m["date"]) if m.get("date") else None,
                   float(check_range("mri.field_t", required("mri", m, "field_t"), 0.0, 11.7,
                                     "T", low_inclusive=False)),
                   None if grad is None else float(check_positive(
                       "mri.spatial_gradient_g_per_cm", grad, "G/cm")))


def _parse_calendar(raw: Any) -> WorkingCalendar:
    """The ``calendar`` section: working days, holidays and where a refill moves."""
    c = mapping("calendar", raw, ("working_days", "holidays", "move"))
    days = c.get("working_days", list(WEEKDAYS[:5]))
    if not isinstance(days, list) or not days:
        raise fail("Invalid value for 'calendar.working_days'. Expected a list of at least "
                   f"one weekday ({', '.join(WEEKDAYS)}), e.g. [mon, tue, wed, thu, fri], but "
                   f"got {days!r}")
    named = set()
    for i, day in enumerate(days):
        if isinstance(day, str):
            day = _FULL_WEEKDAYS.get(day.strip().lower(), day.strip().lower())
        named.add(check_option(f"calendar.working_days[{i}]", day, WEEKDAYS))
    holidays = c.get("holidays") or []
    if not isinstance(holidays, list):
        raise fail("Invalid value for 'calendar.holidays'. Expected a list of ISO dates "
                   f"YYYY-MM-DD, e.g. [2025-12-25, 2025-12-26], but got {holidays!r}")
    dates = {as_date(f"calendar.holidays[{i}]", d) for i, d in enumerate(holidays)}
    move = check_option("calendar.move", c.get("move", "previous"), MOVES)
    return WorkingCalendar(tuple(d for d in WEEKDAYS if d in named), tuple(sorted(dates)), move)


# --------------------------------------------------------------------------- entry points

_TOP_KEYS = ("version", "description", "patient", "therapy_start", "pump", "catheter",
             "mixture", "dose_drug", "basal", "bolus", "titration", "previous", "procedure",
             "mri", "refill", "calendar", "overrides")


def prescription_from_dict(raw: Any) -> Prescription:
    """Check a prescription mapping (as read from YAML) and convert it to internal units.

    Parameters
    ----------
    raw : dict
        The prescription; see ``docs/pump.md`` for the keys and their units.

    Returns
    -------
    Prescription
        With its ``calendar`` section as ``working_calendar`` (Monday to Friday, move to
        the previous working day, when absent).

    Raises
    ------
    NeuraxisInputError
        Any invalid, missing or unit-less value, or an impossible date; the message
        names the field.
    """
    raw = mapping("prescription", raw, _TOP_KEYS)
    if raw.get("version", 1) != 1:
        raise fail(f"Invalid value for 'version'. Allowed values are 1, but got "
                   f"{raw['version']!r}")
    patient = mapping("patient", raw.get("patient") or {}, ("id", "pediatric",
                                                            "spasticity_origin"))
    origin = patient.get("spasticity_origin")
    if origin is not None:
        origin = check_option("patient.spasticity_origin", origin, SPASTICITY_ORIGINS)
    pump, spec = _parse_pump(raw)
    mixture = parse_mixture("mixture", required("prescription", raw, "mixture"))
    drugs = tuple(c.drug for c in mixture)
    dose_drug = check_option("dose_drug", raw.get("dose_drug", drugs[0]), drugs)
    catheter = _parse_catheter(raw)
    # schedule, boluses, titration
    mode, segments = parse_basal(raw.get("basal"), mixture, dose_drug, spec.kind,
                                  spec.supports_flex, pump.flow_rate_ml_per_day)
    bolus = None
    if raw.get("bolus") is not None:
        if not spec.supports_boluses:
            raise fail(f"Invalid 'bolus': the {spec.name} cannot give patient boluses")
        bolus = parse_bolus(raw["bolus"], mixture, dose_drug)
    titration: tuple[TitrationStep, ...] = ()
    if raw.get("titration") is not None:
        if spec.kind == "constant_flow":
            raise fail("Invalid 'titration': a constant-flow pump changes the dose only "
                       "through the concentration, at a refill")
        titration = parse_titration(raw["titration"], mixture, dose_drug, pump.fill_date,
                                     daily_volume_ml(segments))
    previous = None
    if raw.get("previous") is not None:
        previous = _parse_previous(raw["previous"], mixture, dose_drug, pump.fill_date)
    procedure = _parse_procedure(raw.get("procedure"), catheter.length_cm, spec)
    mri = None if raw.get("mri") is None else _parse_mri(raw["mri"])
    refill = mapping("refill", raw.get("refill") or {}, ("max_interval_days", "horizon_days"))
    max_interval = refill.get("max_interval_days")
    if max_interval is not None:
        max_interval = float(check_range("refill.max_interval_days", max_interval, 1.0, 3650.0,
                                         "days"))
    horizon = check_int("refill.horizon_days", refill.get("horizon_days", 365), 1, 3650)
    overrides = _parse_overrides(raw.get("overrides") or [], drugs)
    working = _parse_calendar(raw["calendar"]) if raw.get("calendar") is not None \
        else WorkingCalendar()
    desc = raw.get("description", "")
    pid = patient.get("id")
    return Prescription(
        pump=pump, catheter=catheter, mixture=mixture, dose_drug=dose_drug, basal_mode=mode,
        segments=segments, bolus=bolus, titration=titration, previous=previous,
        procedure=procedure, mri=mri, max_interval_days=max_interval, horizon_days=horizon,
        therapy_start=as_bool("therapy_start", raw.get("therapy_start", False)),
        patient_id=None if pid is None else str(pid),
        pediatric=as_bool("patient.pediatric", patient.get("pediatric", False)),
        spasticity_origin=origin, overrides=overrides,
        description=str(desc) if desc is not None else "", working_calendar=working)


def load_prescription(path: str | Path) -> Prescription:
    """Read and check a prescription YAML file.

    Parameters
    ----------
    path : str | Path
        YAML file (format in ``docs/pump.md``; examples in ``examples/pump_*.yaml``).

    Returns
    -------
    Prescription

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    NeuraxisInputError
        The path is a folder, the file is not UTF-8 text (e.g. an image), the YAML does
        not parse, or a value is invalid.
    """
    import yaml

    path = Path(path)
    if path.is_dir():
        raise NeuraxisInputError(f"Invalid prescription file '{path}': it is a folder; give "
                                 "the prescription's YAML file")
    if not path.exists():
        raise FileNotFoundError(f"Invalid prescription file '{path}': not found")
    try:
        text = path.read_bytes().decode("utf-8")
        if "\x00" in text:  # UTF-8 can hold NUL bytes; a YAML file never does
            raise UnicodeDecodeError("utf-8", b"", 0, 0, "NUL byte")
        raw = yaml.load(text, Loader=yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NeuraxisInputError(f"Invalid YAML in '{path}'{where}: {problem}") from None
    except UnicodeDecodeError:
        raise NeuraxisInputError(f"Invalid prescription file '{path}': not a text file "
                                 "(binary, or not UTF-8); give the prescription's YAML "
                                 "file") from None
    except OSError as exc:
        raise NeuraxisInputError(f"Invalid prescription file '{path}': cannot read it "
                                 f"({exc.strerror})") from None
    return prescription_from_dict(raw)

