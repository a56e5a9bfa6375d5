"""Standard patient-reported instruments: raw item responses scored by versioned scorers.

A response is stored as it was given, a mapping ``item id -> answer code`` (``None`` or
an absent key: not answered), and scored on demand by a scorer of a known version:

>>> s = score("odi", {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 2, "q6": 2,
...                   "q7": 2, "q8": 2, "q9": 0, "q10": 0})
>>> s.total.value, s.total.unit, s.details["band"]
(32.0, '%', 'moderate_disability')
>>> score("eq5d5l", dict(zip(DIMENSIONS, (5, 5, 5, 5, 5))), value_set="us").total.exact
'-0.573'

Instruments (``instrument_names()``): ``nrs_pain`` (back and leg NRS 0-10 with recall
window), ``pain_relief`` (reported %, or from baseline and follow-up NRS), ``pdi``,
``odi`` (v2.1a), ``eq5d5l`` (index under the England or US value set, and EQ VAS),
``pgic``, ``pcs``. :func:`catalogue` describes each one's items, ranges, rules, sources
and unverified values, for a form or a CLI. Rules, coefficients and sources live in
``neuraxis/data/instruments/*.yaml``; ``docs/instruments.md`` explains each scorer.

Importing this package is light: NumPy at most (YAML is read on first use).
"""

from __future__ import annotations

from collections.abc import Mapping

from neuraxis._validate import check_option
from neuraxis.registry.instruments import eq5d, nrs, odi, pcs, pdi, pgic, relief
from neuraxis.registry.instruments._core import (
    InstrumentSpec,
    ItemSpec,
    ScaleScore,
    ScaleSpec,
    Score,
    Scorer,
    check_answers,
    read_instrument_table,
    refuse,
)
from neuraxis.registry.instruments.eq5d import (
    DIMENSIONS,
    eq5d5l_index,
    parse_health_state,
    value_set_names,
)
from neuraxis.registry.instruments.odi import odi_percent
from neuraxis.registry.instruments.relief import percent_relief

__all__ = [
    "DIMENSIONS", "InstrumentSpec", "ItemSpec", "ScaleScore", "ScaleSpec", "Score",
    "catalogue", "describe", "eq5d5l_index", "instrument_names", "instrument_versions",
    "odi_percent", "parse_health_state", "percent_relief", "score", "value_set_names",
]

#: Every scorer, by instrument name then version (a plain dict; add a version, keep the old).
SCORERS: dict[str, dict[str, Scorer]] = {}
for _mod in (nrs, relief, pdi, odi, eq5d, pgic, pcs):
    SCORERS.setdefault(_mod.SCORER.name, {})[_mod.SCORER.version] = _mod.SCORER


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def instrument_names() -> tuple[str, ...]:
    """Names of the instruments that can be scored, in catalogue order.

    Examples
    --------
    >>> instrument_names()
    ('nrs_pain', 'pain_relief', 'pdi', 'odi', 'eq5d5l', 'pgic', 'pcs')
    """
    return tuple(SCORERS)


def instrument_versions(instrument: str) -> tuple[str, ...]:
    """Scorer versions of ``instrument``, oldest first (the last is the default)."""
    name = check_option("instrument", instrument, instrument_names())
    return tuple(sorted(SCORERS[name], key=_version_key))


def _scorer(instrument: str, version: str | None) -> Scorer:
    versions = instrument_versions(instrument)
    chosen = versions[-1] if version is None else check_option("version", version, versions)
    return SCORERS[instrument][chosen]


def describe(instrument: str, version: str | None = None) -> InstrumentSpec:
    """The catalogue entry of one scorer: items, ranges, scales, rules, sources.

    Parameters
    ----------
    instrument : str
        One of :func:`instrument_names`.
    version : str | None
        Scorer version; ``None``: the latest.

    Returns
    -------
    InstrumentSpec
        With ``unverified`` listing every value of its data table not confirmed in a source.
    """
    return _scorer(instrument, version).spec()


def catalogue() -> tuple[InstrumentSpec, ...]:
    """Every scorer (every instrument, every version), for a form or a CLI listing."""
    return tuple(describe(name, v) for name in instrument_names()
                 for v in instrument_versions(name))


def score(instrument: str, items: Mapping[str, object], *, version: str | None = None,
          value_set: str | None = None) -> Score:
    """Score one instrument response.

    Parameters
    ----------
    instrument : str
        One of :func:`instrument_names`, e.g. ``'odi'``.
    items : mapping of str to object
        Item id -> answer code as given (``None`` or absent: not answered); the ids
        are those of :func:`describe` (``'q1'``..., ``'mobility'``, ``'recall'``).
    version : str | None
        Scorer version (``None``: the latest); a stored score names the version used.
    value_set : str | None
        EQ-5D-5L only, and required there: ``'england'`` or ``'us'``.

    Returns
    -------
    Score
        Total and subscale scores on their scales (exact and as float), items used and
        missing, the rule applied with its source, and warnings (an unverified value
        used, a missing item handled).

    Raises
    ------
    NeuraxisInputError
        An unknown instrument, version, value set or item id (with "did you mean"), an
        answer out of range (``Invalid value for 'odi.q3'. Allowed values are integers in
        [0, 5], but got 7``), or too many items missing for the instrument's rule.
    """
    scorer = _scorer(instrument, version)
    spec = scorer.spec()
    if value_set is not None and not spec.value_sets:
        raise refuse("value_set", f"Instrument {instrument!r} has no value sets (only "
                                  f"'eq5d5l' has), but got {value_set!r}")
    answers, missing = check_answers(spec, items)
    return scorer.compute(answers, missing, spec, read_instrument_table(scorer.data_file),
                          value_set)
