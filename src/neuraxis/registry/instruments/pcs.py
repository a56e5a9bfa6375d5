"""Pain Catastrophizing Scale (Sullivan et al. 1995): 13 items, 0-4 each.

Total 0-52 and three subscales, each a sum of its items: rumination (items 8-11,
0-16), magnification (6, 7, 13; 0-12), helplessness (1-5, 12; 0-24). No missing-item
rule was found in the sources read, so a response with an item missing is refused.
The clinical cut-off (30) is not applied: its sources disagree at 30 (``pcs.yaml``).
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
    unverified_warning,
)

NAME = "pcs"
VERSION = "1"


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    refuse_any_missing(spec, missing, table)
    groups = entry(table, "subscales")
    used = tuple(i.id for i in spec.items)
    total = Fraction(sum(answers[i] for i in used))
    subscales = {name: scale_score(spec, name, Fraction(sum(answers[i] for i in ids)))
                 for name, ids in groups["value"].items()}
    return Score(instrument=NAME, version=VERSION, total=scale_score(spec, "total", total),
                 subscales=subscales, items_used=used, items_missing=(), rule=spec.rule,
                 source=cite(entry(table, "rule")),
                 warnings=unverified_warning("the subscale item assignment", groups),
                 data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "pcs.yaml", _compute)
