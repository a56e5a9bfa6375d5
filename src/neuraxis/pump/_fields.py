"""Field readers for the prescription parser (:mod:`neuraxis.pump.io`).

Private. Each reader checks one value and raises :class:`~neuraxis.NeuraxisInputError`
with the field's dotted name, what is allowed and what was given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from neuraxis._validate import (
    NeuraxisInputError,
    check_keys,
    check_positive,
    check_range,
)

#: A key stem given without its unit -> the keys that carry one.
UNITLESS_STEMS = {
    "concentration": "'concentration_mg_per_ml' or 'concentration_ug_per_ml'",
    "dose": "'dose_mg_per_day' / 'dose_ug_per_day' (basal) or 'dose_mg' / 'dose_ug' (bolus)",
    "rate": "'rate_ml_per_day', 'rate_mg_per_hour', 'rate_ug_per_hour', ...",
    "volume": "'volume_ml' / 'fill_volume_ml'", "fill_volume": "'fill_volume_ml'",
    "length": "'length_cm'", "duration": "'duration_min'", "lockout": "'lockout_min'",
    "flow_rate": "'flow_rate_ml_per_day'", "max_interval": "'max_interval_days'",
    "field": "'field_t'", "horizon": "'horizon_days'",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fail(msg: str) -> NeuraxisInputError:
    """The error to raise for an invalid prescription value."""
    return NeuraxisInputError(msg)


def mapping(where: str, obj: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``obj`` as a mapping whose keys are all in ``allowed`` (unit-less keys named)."""
    if not isinstance(obj, dict):
        raise fail(f"Invalid value for {where!r}. Expected a mapping with keys "
                   f"{', '.join(allowed)}, but got {obj!r}")
    for key in obj:
        if key in allowed:
            continue
        stem = str(key)
        if stem in UNITLESS_STEMS:
            raise fail(f"Invalid key {stem!r} in {where!r}: units missing. Put the unit in "
                       f"the key name: {UNITLESS_STEMS[stem]}")
        try:
            check_keys(where, {stem: None}, allowed)
        except NeuraxisInputError as exc:
            raise fail(str(exc)) from None
    return obj


def required(where: str, d: dict[str, Any], key: str) -> Any:
    """``d[key]``, refused when absent or null."""
    if key not in d or d[key] is None:
        raise fail(f"Invalid {where!r}: missing {key!r}")
    return d[key]


def as_bool(field: str, value: Any) -> bool:
    """A YAML boolean (true/false), nothing else."""
    if not isinstance(value, bool):
        raise fail(f"Invalid value for {field!r}. Allowed values are true, false, but got "
                   f"{value!r}")
    return value


def as_date(field: str, value: Any) -> dt.date:
    """A calendar date: a YAML date or ISO text ``YYYY-MM-DD`` that exists.

    An impossible date (``2025-02-30``, ``2025-13-45``) is refused with the reason.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    why = ""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            if _ISO_DATE.fullmatch(value.strip()):
                why = f" ({exc}: no such date)"
    raise fail(f"Invalid value for {field!r}. Expected an ISO date YYYY-MM-DD, but got "
               f"{value!r}{why}")


def time_of_day(field: str, value: Any) -> int:
    """'HH:MM' -> minutes after midnight (0-1440; '24:00' allowed as an end)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip()) if isinstance(value, str) else None
    if m is None or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise fail(f"Invalid value for {field!r}. Expected a time of day 'HH:MM' (00:00 to "
                   f"24:00, quoted), but got {value!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def hhmm(minutes: int) -> str:
    """Minutes after midnight as 'HH:MM'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def unit_key(where: str, d: dict[str, Any], pattern: str, names: str, *,
             required: bool = True, positive: bool = True
             ) -> tuple[str, dict[str, str], float] | None:
    """Find the single key of ``d`` matching ``pattern`` (a regex with named unit groups).

    ``names`` lists the accepted keys for the message when none is given. Returns
    ``(key, groups, value)``, or ``None`` when absent and not required.
    """
    rx = re.compile(pattern)
    hits = [k for k in d if isinstance(k, str) and rx.fullmatch(k)]
    if len(hits) > 1:
        raise fail(f"Invalid {where!r}: give only one of {', '.join(map(repr, hits))}")
    if not hits:
        if required:
            raise fail(f"Invalid {where!r}: missing {names}")
        return None
    key = hits[0]
    field = f"{where}.{key}"
    value = d[key]
    if value is None:
        raise fail(f"Invalid value for {field!r}: missing value")
    num = check_positive(field, value) if positive else check_range(field, value, 0.0)
    groups = {k: v for k, v in rx.fullmatch(key).groupdict().items()}  # type: ignore[union-attr]
    return key, groups, float(num)


def yaml_loader() -> type:
    """SafeLoader for prescriptions.

    Keeps 'HH:MM' as text (YAML 1.1 reads 22:30 as the integer 1350), and keeps an
    impossible date such as 2025-02-30 as text, so that :func:`as_date` refuses it
    with the field's name instead of PyYAML failing without one.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    time_rx = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
    for ch in "0123456789":
        resolvers.setdefault(ch, []).insert(0, ("tag:yaml.org,2002:str", time_rx))
    Loader.yaml_implicit_resolvers = resolvers

    def timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_or_text)
    return Loader
