"""Numeric rating scale of pain intensity, 0-10, back and leg, with its recall window.

A response is ``{'back': 6, 'leg': 3, 'recall': '24h'}``; each site is its own score
(``subscales['back']``, ``subscales['leg']``; there is no total), one site may be
missing, and the recall window (``'now'``, ``'24h'``, ``'7d'``) is required and kept in
``details['recall']``. Data and sources: ``neuraxis/data/instruments/nrs_pain.yaml``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from neuraxis.registry.instruments._core import (
    InstrumentSpec,
    Score,
    Scorer,
    cite,
    entry,
    refuse,
    scale_score,
)

NAME = "nrs_pain"
VERSION = "1"
#: The pain sites rated, each a subscale of the score.
SITES = ("back", "leg")


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    rated = [s for s in SITES if s in answers]
    if not rated:
        raise refuse(NAME, "At least one of 'back' and 'leg' must be rated (0-10), "
                           "but both are missing")
    subscales = {s: scale_score(spec, s, Fraction(answers[s])) for s in rated}
    used = tuple(i.id for i in spec.items if i.id in answers)
    rule = spec.rule + (f"; {missing[0]!r} not rated" if missing else "")
    return Score(instrument=NAME, version=VERSION, total=None, subscales=subscales,
                 items_used=used, items_missing=missing, rule=rule,
                 source=cite(entry(table, "rule")), details={"recall": answers["recall"]},
                 data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "nrs_pain.yaml", _compute)
