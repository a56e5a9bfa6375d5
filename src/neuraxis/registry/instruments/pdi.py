"""Pain Disability Index (Pollard 1984; Tait et al. 1987): 7 categories, 0-10 each.

PDI = the sum of the seven ratings (0-70 points). No published missing-item rule was
found, so a response with a category missing is refused. Data and sources:
``neuraxis/data/instruments/pdi.yaml``.
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
    refuse_any_missing,
    scale_score,
)

NAME = "pdi"
VERSION = "1"


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    refuse_any_missing(spec, missing, table)
    used = tuple(i.id for i in spec.items)
    total = Fraction(sum(answers[i] for i in used))
    return Score(instrument=NAME, version=VERSION, total=scale_score(spec, "total", total),
                 items_used=used, items_missing=(), rule=f"{spec.rule} = {total}",
                 source=cite(entry(table, "rule")), data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "pdi.yaml", _compute)
