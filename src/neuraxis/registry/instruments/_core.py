"""What every instrument scorer shares: the data tables, answer checks, exact numbers.

A response is a mapping ``item id -> answer code`` (``None`` or an absent key: not
answered). Scores are computed with :class:`fractions.Fraction` from the answer codes
and the decimal coefficients of the data tables, so they are exact; each
:class:`ScaleScore` carries the exact value as text (``'320/9'``, ``'0.942'``) and the
nearest float.

The data tables live in ``neuraxis/data/instruments/*.yaml``; every number there is a
``{value, source, verified}`` entry. ``yaml`` is imported on first use only, so that
importing the instruments stays light (NumPy at most, through ``neuraxis._validate``).
The result and catalogue types are in ``_types`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int, check_keys, check_option, check_range
from neuraxis.registry.instruments._types import (
    ITEM_KINDS,
    InstrumentSpec,
    ItemSpec,
    ScaleScore,
    ScaleSpec,
    Score,
)

#: A scorer's computation: (checked answers, missing ids, spec, table, value set) -> Score.
Compute = Callable[[dict[str, Any], tuple[str, ...], InstrumentSpec, dict[str, Any],
                    str | None], Score]

__all__ = [
    "ITEM_KINDS", "InstrumentSpec", "ItemSpec", "ScaleScore", "ScaleSpec", "Score", "Scorer",
    "build_spec", "check_answers", "cite", "entry", "exact", "exact_text", "id_list",
    "read_instrument_table", "refuse", "refuse_any_missing", "scale_score",
    "sourced_entries", "summed_score", "unverified_entries", "unverified_warning",
]


@dataclass(frozen=True)
class Scorer:
    """A versioned scorer: its name, version, data table and computation."""

    name: str
    version: str
    data_file: str
    compute: Compute = field(repr=False)

    def spec(self) -> InstrumentSpec:
        """The catalogue entry, built from the data table."""
        return build_spec(self.name, self.version, self.data_file)


# ---------------------------------------------------------------- data tables


def read_instrument_table(filename: str) -> dict[str, Any]:
    """Read one instrument data table (``neuraxis/data/instruments/<filename>``).

    Parameters
    ----------
    filename : str
        E.g. ``'odi.yaml'``.

    Returns
    -------
    dict
        The parsed table (cached; do not modify it).

    Raises
    ------
    RuntimeError
        If the table lacks a top-level ``version`` or an entry lacks its source or a
        boolean ``verified`` (a bug in the data, not in the input).
    """
    return _read_cached(filename)


@cache
def _read_cached(filename: str) -> dict[str, Any]:
    import yaml

    text = (resources.files("neuraxis.data").joinpath("instruments", filename)
            .read_text(encoding="utf-8"))
    table = yaml.safe_load(text)
    if not isinstance(table, dict) or not isinstance(table.get("version"), int):
        raise RuntimeError(f"instrument table {filename!r} has no integer top-level 'version'")
    bad = [path for path, entry in sourced_entries(table)
           if set(entry) != {"value", "source", "verified"}
           or not isinstance(entry["source"], str) or not entry["source"].strip()
           or not isinstance(entry["verified"], bool)]
    if bad:
        raise RuntimeError(f"instrument table {filename!r}: entries without a source or a "
                           f"boolean 'verified': {', '.join(bad)}")
    return table


def sourced_entries(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{value, source, verified}`` entry of a table, with its dotted path.

    An entry is any mapping with a ``value`` key; its value is not searched further.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "value" in node:
            return [(path, node)]
        for key, sub in node.items():
            out += sourced_entries(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            out += sourced_entries(sub, f"{path}[{i}]")
    return out


def unverified_entries(table: dict[str, Any]) -> tuple[str, ...]:
    """``'path: source'`` of every entry of ``table`` marked ``verified: false``."""
    return tuple(f"{path}: {entry['source']}" for path, entry in sourced_entries(table)
                 if not entry["verified"])


def cite(entry: dict[str, Any]) -> str:
    """The source of an entry, with ``[unverified]`` appended when not verified."""
    return entry["source"] if entry["verified"] else f"{entry['source']} [unverified]"


def unverified_warning(what: str, entry: dict[str, Any]) -> tuple[str, ...]:
    """A one-warning tuple when ``entry`` is unverified (else empty)."""
    if entry["verified"]:
        return ()
    return (f"{what} is unverified (source: {entry['source']}); check before clinical use",)


@cache
def build_spec(name: str, version: str, filename: str) -> InstrumentSpec:
    """The :class:`InstrumentSpec` of a scorer, from its data table."""
    t = read_instrument_table(filename)
    items = tuple(_item_spec(t, raw) for raw in t["items"])
    scales = tuple(ScaleSpec(key, float(e["value"]["low"]), float(e["value"]["high"]),
                             str(e["value"]["unit"])) for key, e in t["scales"].items())
    value_sets = tuple(t.get("value_sets", {}))
    for vs in value_sets:
        rng = t["value_sets"][vs]["index_range"]["value"]
        scales += (ScaleSpec(f"index_{vs}", float(rng[0]), float(rng[1]), "index"),)
    sources = tuple(dict.fromkeys(
        cite(t[k]) for k in ("reference", "rule", "missing_rule") if k in t))
    return InstrumentSpec(
        name=name, version=version, title=str(t["title"]), items=items, scales=scales,
        value_sets=value_sets, rule=str(t["rule"]["value"]),
        missing_rule=str(t["missing_rule"]["value"]), sources=sources,
        unverified=unverified_entries(t), data_table=f"{filename} v{t['version']}")


def _item_spec(table: dict[str, Any], raw: dict[str, Any]) -> ItemSpec:
    kind = str(raw.get("kind", "integer"))
    if kind not in ITEM_KINDS:
        raise RuntimeError(f"item {raw['id']!r}: unknown kind {kind!r}")
    rng = raw.get("range", table.get("item_range"))
    low = high = None
    if kind != "option":
        low, high = (float(v) for v in rng["value"])
    options = tuple(str(o) for o in raw["options"]["value"]) if kind == "option" else ()
    anchors = raw.get("anchors", table.get("item_anchors"))
    return ItemSpec(id=str(raw["id"]), label=str(raw["label"]), kind=kind, low=low, high=high,
                    unit=str(raw.get("unit", table.get("item_unit", ""))), options=options,
                    anchors={int(k): str(v) for k, v in (anchors or {"value": {}})["value"]
                             .items()},
                    required=bool(raw.get("required", False)))


# ---------------------------------------------------------------- answers


def check_answers(spec: InstrumentSpec, items: object) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Check a response against the items of ``spec``.

    Parameters
    ----------
    spec : InstrumentSpec
        The instrument.
    items : mapping of str to object
        Item id -> answer (``None`` or absent: not answered).

    Returns
    -------
    answers : dict
        Answered items: integer codes as ``int``, numbers as exact ``Fraction``,
        options as ``str``.
    missing : tuple of str
        Ids of the items not answered, in questionnaire order.

    Raises
    ------
    NeuraxisInputError
        ``items`` not a mapping, an unknown item id (with the closest ids), an answer
        out of range or of the wrong kind (naming ``'<instrument>.<item>'``), or a
        required item not answered.
    """
    mapping = check_keys(spec.name, items, [i.id for i in spec.items])
    answers: dict[str, Any] = {}
    missing: list[str] = []
    for item in spec.items:
        raw = mapping.get(item.id)
        fld = f"{spec.name}.{item.id}"
        if raw is None:
            if item.required:
                _refuse_missing(fld, item)
            missing.append(item.id)
            continue
        if item.kind == "integer":
            answers[item.id] = check_int(fld, raw, int(item.low), int(item.high))  # type: ignore[arg-type]
        elif item.kind == "number":
            value = check_range(fld, raw, item.low, item.high, item.unit)
            answers[item.id] = Fraction(str(value)) if isinstance(raw, float) else Fraction(raw)  # type: ignore[arg-type]
        else:
            answers[item.id] = check_option(fld, raw, item.options)
    return answers, tuple(missing)


def _refuse_missing(fld: str, item: ItemSpec) -> None:
    if item.kind == "option":
        check_option(fld, None, item.options)  # raises: "... but got None"
    raise NeuraxisInputError(
        f"Invalid value for {fld!r}. An answer is required ({item.kind} "
        f"{item.low:g}-{item.high:g}), but got None")


def refuse(instrument: str, message: str) -> NeuraxisInputError:
    """An input error about a whole response: ``Invalid value for '<instrument>'. ...``."""
    return NeuraxisInputError(f"Invalid value for {instrument!r}. {message}")


def id_list(ids: tuple[str, ...] | list[str]) -> str:
    """``'q3', 'q8'`` (quoted, comma-separated) for messages."""
    return ", ".join(repr(i) for i in ids)


# ---------------------------------------------------------------- exact numbers


def exact(value: object) -> Fraction:
    """A table number as an exact fraction (``0.058`` -> 29/500, not the binary float)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)  # type: ignore[arg-type]


def exact_text(x: Fraction) -> str:
    """The exact value as a terminating decimal when there is one, else ``'p/q'``."""
    den = x.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return f"{x.numerator}/{x.denominator}"
    with localcontext() as ctx:
        ctx.prec = 60
        text = format((Decimal(x.numerator) / Decimal(x.denominator)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def scale_score(spec: InstrumentSpec, name: str, value: Fraction,
                scale_name: str | None = None) -> ScaleScore:
    """``value`` on the scale ``scale_name`` (default ``name``) of ``spec``."""
    sc = spec.scale(scale_name or name)
    return ScaleScore(name=name, value=float(value), exact=exact_text(value), low=sc.low,
                      high=sc.high, unit=sc.unit)


def entry(table: Mapping[str, Any], *path: str) -> dict[str, Any]:
    """The ``{value, source, verified}`` entry at ``path`` of a table."""
    node: Any = table
    for key in path:
        node = node[key]
    return node


def refuse_any_missing(spec: InstrumentSpec, missing: tuple[str, ...],
                       table: Mapping[str, Any]) -> None:
    """Refuse a response with an item missing, citing the table's missing-item rule."""
    if missing:
        rule = table["missing_rule"]
        raise refuse(spec.name, (
            f"All {len(spec.items)} items are required ({rule['value']}; {cite(rule)}), "
            f"but {len(missing)} missing: {id_list(missing)}"))


def summed_score(name: str, version: str, spec: InstrumentSpec, answers: dict[str, Any],
                 missing: tuple[str, ...], table: Mapping[str, Any], *,
                 subscales: str | None = None, rule_with_total: bool = False) -> Score:
    """Score an instrument whose total is the sum of all its items (every item required).

    Parameters
    ----------
    name, version : str
        The scorer's instrument name and version.
    spec : InstrumentSpec
        The instrument.
    answers : dict
        Checked answers (:func:`check_answers`), item id -> integer code.
    missing : tuple of str
        Ids of the items not answered; any one refuses the response.
    table : mapping
        The instrument's data table.
    subscales : str | None
        Key of the table entry mapping each subscale to its item ids; each subscale is
        the sum of its items, on its own scale, with a warning when the entry is
        unverified. ``None``: no subscales.
    rule_with_total : bool
        Append ``' = <total>'`` to the rule text.

    Returns
    -------
    Score
        The exact total (scale ``'total'``), the subscales, every item used, none missing.

    Raises
    ------
    NeuraxisInputError
        An item missing (:func:`refuse_any_missing`).
    """
    refuse_any_missing(spec, missing, table)
    scores: dict[str, ScaleScore] = {}
    warnings: tuple[str, ...] = ()
    if subscales is not None:
        groups = entry(table, subscales)
        scores = {key: scale_score(spec, key, Fraction(sum(answers[i] for i in ids)))
                  for key, ids in groups["value"].items()}
        warnings = unverified_warning("the subscale item assignment", groups)
    used = tuple(i.id for i in spec.items)
    total = Fraction(sum(answers[i] for i in used))
    return Score(instrument=name, version=version, total=scale_score(spec, "total", total),
                 subscales=scores, items_used=used, items_missing=(),
                 rule=f"{spec.rule} = {total}" if rule_with_total else spec.rule,
                 source=cite(entry(table, "rule")), warnings=warnings,
                 data_table=spec.data_table)
