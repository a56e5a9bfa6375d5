"""Patient Global Impression of Change: one item, 1 (very much improved) to 7 (very much worse).

The score is the code answered; ``details['category']`` names it. Only the labels of
codes 1, 4 and 7 were confirmed in a source (``pgic.yaml``); a middle code's label comes
with a warning.
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
    scale_score,
    unverified_warning,
)

NAME = "pgic"
VERSION = "1"


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    code = answers["change"]  # required: checked with the answers
    confirmed = spec.item("change").anchors
    categories = entry(table, "parameters", "categories")
    warnings = () if code in confirmed else unverified_warning(
        f"the label of PGIC code {code} ({categories['value'][code]!r})", categories)
    return Score(instrument=NAME, version=VERSION,
                 total=scale_score(spec, "total", Fraction(code)), items_used=("change",),
                 items_missing=(), rule=spec.rule, source=cite(entry(table, "rule")),
                 warnings=warnings, details={"category": categories["value"][code]},
                 data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "pgic.yaml", _compute)
