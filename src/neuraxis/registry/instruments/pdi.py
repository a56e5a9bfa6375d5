"""Pain Disability Index (Pollard 1984; Tait et al. 1987): 7 categories, 0-10 each.

PDI = the sum of the seven ratings (0-70 points). No published missing-item rule was
found, so a response with a category missing is refused. Data and sources:
``neuraxis/data/instruments/pdi.yaml``.
"""

from __future__ import annotations

from typing import Any

from neuraxis.registry.instruments._core import InstrumentSpec, Score, Scorer, summed_score

NAME = "pdi"
VERSION = "1"


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    return summed_score(NAME, VERSION, spec, answers, missing, table, rule_with_total=True)


SCORER = Scorer(NAME, VERSION, "pdi.yaml", _compute)
