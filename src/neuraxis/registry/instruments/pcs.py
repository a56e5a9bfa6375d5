"""Pain Catastrophizing Scale (Sullivan et al. 1995): 13 items, 0-4 each.

Total 0-52 and three subscales, each a sum of its items: rumination (items 8-11,
0-16), magnification (6, 7, 13; 0-12), helplessness (1-5, 12; 0-24). No missing-item
rule was found in the sources read, so a response with an item missing is refused.
The clinical cut-off (30) is not applied: its sources disagree at 30 (``pcs.yaml``).
"""

from __future__ import annotations

from typing import Any

from neuraxis.registry.instruments._core import InstrumentSpec, Score, Scorer, summed_score

NAME = "pcs"
VERSION = "1"


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    return summed_score(NAME, VERSION, spec, answers, missing, table, subscales="subscales")


SCORER = Scorer(NAME, VERSION, "pcs.yaml", _compute)
