"""EQ-5D-5L: the 5-digit health state, its index value under a value set, and the EQ VAS.

A response is ``{'mobility': 2, 'self_care': 1, 'usual_activities': 1,
'pain_discomfort': 4, 'anxiety_depression': 3, 'vas': 70}`` (levels 1-5, VAS 0-100);
the health state is ``'21143'``. Index = 1 - the sum of the value set's decrements for
the levels reported (England: Devlin et al. 2018; US: Pickard et al. 2019; neither has
a constant). The value set is chosen explicitly: ``score('eq5d5l', items,
value_set='england')``. Coefficients, their sources and the published checks:
``neuraxis/data/instruments/eq5d5l.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int, check_option
from neuraxis.registry.instruments._core import (
    InstrumentSpec,
    Score,
    Scorer,
    cite,
    exact,
    id_list,
    read_instrument_table,
    refuse,
    scale_score,
)

NAME = "eq5d5l"
VERSION = "1"
_FILE = "eq5d5l.yaml"
#: The five dimensions in health-state order (MO, SC, UA, PD, AD).
DIMENSIONS = ("mobility", "self_care", "usual_activities", "pain_discomfort",
              "anxiety_depression")


def value_set_names() -> tuple[str, ...]:
    """Names of the value sets in the data table, e.g. ``('england', 'us')``."""
    return tuple(read_instrument_table(_FILE)["value_sets"])


def parse_health_state(health_state: str | int) -> dict[str, int]:
    """The levels of a 5-digit health state.

    Parameters
    ----------
    health_state : str | int
        Five digits 1-5 in the order MO SC UA PD AD, e.g. ``'21143'`` or ``21143``.

    Returns
    -------
    dict of str to int
        Dimension -> level.

    Raises
    ------
    NeuraxisInputError
        Not five digits, or a digit outside 1-5.

    Examples
    --------
    >>> parse_health_state('21143')['pain_discomfort']
    4
    """
    ok_type = isinstance(health_state, (str, int)) and not isinstance(health_state, bool)
    text = str(health_state) if ok_type else ""
    if len(text) != 5 or not set(text) <= set("12345"):
        raise NeuraxisInputError(
            "Invalid value for 'eq5d5l.health_state'. Expected 5 digits 1-5 in the order "
            f"MO SC UA PD AD (e.g. '21143'), but got {health_state!r}")
    return {dim: int(ch) for dim, ch in zip(DIMENSIONS, text, strict=True)}


def eq5d5l_index(health_state: str | int | Mapping[str, int], value_set: str) -> float:
    """Index value of an EQ-5D-5L health state under a value set.

    Parameters
    ----------
    health_state : str | int | mapping of str to int
        ``'21143'``, ``21143``, or dimension -> level (1-5).
    value_set : str
        One of :func:`value_set_names` (``'england'``, ``'us'``).

    Returns
    -------
    float
        The index (1 = full health, 0 = dead; negative: worse than dead), the float
        nearest the exact value (``score`` also gives the exact one).

    Examples
    --------
    >>> eq5d5l_index('11111', 'england')
    1.0
    >>> eq5d5l_index('55555', 'england')
    -0.285
    >>> eq5d5l_index('55555', 'us')
    -0.573
    """
    table = read_instrument_table(_FILE)
    vs = check_option("value_set", value_set, tuple(table["value_sets"]))
    if isinstance(health_state, Mapping):
        levels = {d: check_int(f"{NAME}.{d}", health_state.get(d), 1, 5) for d in DIMENSIONS}
    else:
        levels = parse_health_state(health_state)
    return float(index_exact(levels, table["value_sets"][vs]))


def index_exact(levels: Mapping[str, int], value_set_table: Mapping[str, Any]) -> Fraction:
    """Exact index: 1 - the sum of the decrements of ``levels`` (checked levels 1-5)."""
    dec = value_set_table["decrements"]
    total = Fraction(1)
    for dim in DIMENSIONS:
        level = levels[dim]
        if level > 1:
            total -= exact(dec[dim][level]["value"])
    return total


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    vs_name = check_option("value_set", value_set, tuple(table["value_sets"]))
    vs = table["value_sets"][vs_name]
    dims_missing = tuple(d for d in DIMENSIONS if d in missing)
    if len(dims_missing) == len(DIMENSIONS) and "vas" not in answers:
        raise refuse(NAME, "Nothing to score: the five dimensions and the EQ VAS are all "
                           "missing")
    subscales = {}
    if "vas" in answers:
        subscales["vas"] = scale_score(spec, "vas", Fraction(answers["vas"]))
    used = tuple(i.id for i in spec.items if i.id in answers)
    details: dict[str, Any] = {"value_set": vs_name, "value_set_title": vs["title"],
                               "health_state": None}
    warnings: tuple[str, ...] = ()
    total = None
    if dims_missing:
        warnings = (f"dimension {id_list(dims_missing)} missing: no index value "
                    "(an index needs all five dimensions)",)
        rule = f"index not computed ({id_list(dims_missing)} missing)"
    else:
        details["health_state"] = "".join(str(answers[d]) for d in DIMENSIONS)
        total = scale_score(spec, "total", index_exact(answers, vs), f"index_{vs_name}")
        terms = " + ".join(f"{dec_of(vs, d, answers[d])}" for d in DIMENSIONS
                           if answers[d] > 1) or "0"
        rule = f"index = 1 - ({terms}) [{vs['title']}, state {details['health_state']}]"
        unverified = [f"{d} level {answers[d]}" for d in DIMENSIONS if answers[d] > 1
                      and not vs["decrements"][d][answers[d]]["verified"]]
        if unverified:
            warnings = (f"decrement(s) used are unverified: {', '.join(unverified)}; "
                        "check before clinical use",)
    if "vas" in answers:
        rule += "; EQ VAS as given"
    return Score(instrument=NAME, version=VERSION, total=total, subscales=subscales,
                 items_used=used, items_missing=missing, rule=rule,
                 source=_source(vs, answers if total is not None else None),
                 warnings=warnings, details=details, data_table=spec.data_table)


def _source(vs: Mapping[str, Any], levels: Mapping[str, int] | None) -> str:
    """The value set's paper and, when an index was computed, where its decrements come from."""
    srcs = dict.fromkeys(cite(vs["decrements"][d][levels[d]]) for d in DIMENSIONS
                         if levels[d] > 1) if levels is not None else {}
    return "; ".join([str(vs["reference"]["value"]).strip(), *srcs])


def dec_of(value_set_table: Mapping[str, Any], dimension: str, level: int) -> str:
    """The decrement of ``dimension`` at ``level`` as written in the table (``'0.058'``)."""
    return repr(float(value_set_table["decrements"][dimension][level]["value"]))


SCORER = Scorer(NAME, VERSION, _FILE, _compute)
