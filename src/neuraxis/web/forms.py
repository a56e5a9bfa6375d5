"""HTML forms -> the plain mappings the library validates (parsing only, no checks).

A form field left empty is left out, so the library's own defaults and messages apply;
numbers are passed as numbers when they parse and as text otherwise (the library then
names the field, its range and its unit). Nothing here decides what is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Drug rows of the prescription form.
MIXTURE_ROWS = 3


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if value is None or not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _number(form: Mapping[str, Any], name: str) -> Any:
    """A float when the text parses, the text itself otherwise (the library refuses it
    with a message naming the field); None when empty."""
    text = _text(form, name)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _unit(form: Mapping[str, Any], name: str) -> str:
    """The mass unit chosen for a field: 'mg' (default) or 'ug' (other text passes through
    to the key, which the library then refuses by name)."""
    return _text(form, name) or "mg"


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def parse_segments(text: str | None, unit: str = "mg") -> list[dict[str, Any]] | None:
    """Flex segments, one a line: ``22:00-07:00 0.025`` (start-end, rate in mg/h, or
    ug/h with ``unit='ug'``)."""
    if text is None:
        return None
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        span, _, rate = line.partition(" ")
        start, _, end = span.partition("-")
        try:
            value: Any = float(rate.strip())
        except ValueError:
            value = rate.strip()
        out.append({"start": start.strip(), "end": end.strip(), f"rate_{unit}_per_hour": value})
    return out


def prescription_mapping(form: Mapping[str, Any]) -> dict[str, Any]:
    """The prescription form as the mapping of ``docs/pump.md`` (for
    :func:`neuraxis.pump.prescription_from_dict`)."""
    rx: dict[str, Any] = {"version": 1}
    _put(rx, "description", _text(form, "description"))
    patient = _text(form, "patient_id")
    if patient:
        rx["patient"] = {"id": patient}
    pump: dict[str, Any] = {}
    _put(pump, "model", _text(form, "pump_model"))
    _put(pump, "fill_date", _text(form, "fill_date"))
    _put(pump, "fill_volume_ml", _number(form, "fill_volume_ml"))
    _put(pump, "implant_date", _text(form, "implant_date"))
    _put(pump, "flow_rate_ml_per_day", _number(form, "flow_rate_ml_per_day"))
    rx["pump"] = pump
    catheter: dict[str, Any] = {}
    _put(catheter, "model", _text(form, "catheter_model"))
    _put(catheter, "length_cm", _number(form, "catheter_length_cm"))
    _put(catheter, "tip_level", _text(form, "tip_level"))
    rx["catheter"] = catheter
    mixture = []
    for i in range(1, MIXTURE_ROWS + 1):
        drug = _text(form, f"drug_{i}")
        if drug is None:
            continue
        row: dict[str, Any] = {"drug": drug}
        _put(row, f"concentration_{_unit(form, f'conc_unit_{i}')}_per_ml",
             _number(form, f"concentration_{i}"))
        if form.get(f"compounded_{i}"):
            row["compounded"] = True
        mixture.append(row)
    rx["mixture"] = mixture
    _put(rx, "dose_drug", _text(form, "dose_drug"))
    mode = _text(form, "basal_mode") or "simple"
    basal: dict[str, Any] = {"mode": mode}
    if mode == "flex":
        _put(basal, "segments", parse_segments(_text(form, "flex_segments"),
                                               _unit(form, "dose_unit")))
    else:
        _put(basal, f"dose_{_unit(form, 'dose_unit')}_per_day", _number(form, "basal_dose"))
    rx["basal"] = basal
    bolus: dict[str, Any] = {}
    _put(bolus, f"dose_{_unit(form, 'bolus_unit')}", _number(form, "bolus_dose"))
    for key in ("duration_min", "lockout_min", "max_per_day"):
        _put(bolus, key, _number(form, f"bolus_{key}"))
    if bolus:
        if isinstance(bolus.get("max_per_day"), float) and bolus["max_per_day"].is_integer():
            bolus["max_per_day"] = int(bolus["max_per_day"])
        rx["bolus"] = bolus
    refill: dict[str, Any] = {}
    _put(refill, "max_interval_days", _number(form, "max_interval_days"))
    _put(refill, "horizon_days", _number(form, "horizon_days"))
    for key in ("max_interval_days", "horizon_days"):
        if isinstance(refill.get(key), float) and refill[key].is_integer():
            refill[key] = int(refill[key])
    if refill:
        rx["refill"] = refill
    overrides = []
    checks = form.getlist("override_check") if hasattr(form, "getlist") else []
    for check in checks:
        reason = _text(form, f"override_reason_{check}")
        if reason:  # an unticked override or one without a reason is not sent
            overrides.append({"check": check, "reason": reason})
    if overrides:
        rx["overrides"] = overrides
    return rx


def item_answer(kind: str, text: str) -> Any:
    """One questionnaire answer as its kind says: a whole number, a number, or the option
    text (text that does not parse is passed on, for the scorer to refuse by name)."""
    if kind == "option":
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if kind == "integer" and value.is_integer() else value


def responses_mapping(form: Mapping[str, Any], specs: dict[str, Any]) -> dict[str, dict]:
    """Questionnaire fields ``item:INSTRUMENT:ITEM`` -> ``{instrument: {item: answer}}``.

    An instrument with no answered item is left out (not asked at this visit); ``specs``
    maps instrument names to their :class:`~neuraxis.registry.instruments.InstrumentSpec`
    (for each item's kind).
    """
    out: dict[str, dict] = {}
    for key in form.keys():
        if not key.startswith("item:"):
            continue
        _, name, item = (key.split(":", 2) + ["", ""])[:3]
        text = _text(form, key)
        if text is None:
            continue
        spec = specs.get(name)
        kind = "integer"
        if spec is not None:
            kind = next((it.kind for it in spec.items if it.id == item), "integer")
        out.setdefault(name, {})[item] = item_answer(kind, text)
    return out
