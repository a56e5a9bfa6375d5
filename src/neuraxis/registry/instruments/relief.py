"""Percent pain relief: reported (0-100 %) or from baseline and follow-up NRS.

A response is either ``{'percent': 60}`` (the patient's own percent relief, as in the
PAN registry) or ``{'baseline_nrs': 8, 'followup_nrs': 2}``, scored
``(8 - 2) / 8 x 100 = 75 %``; never both. A baseline of 0 is refused (relief from no
pain is undefined); a follow-up worse than baseline gives a negative relief and a
warning. ``items_missing`` is empty either way (the other way's items are not
missing). Data and sources: ``neuraxis/data/instruments/pain_relief.yaml``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int
from neuraxis.registry.instruments._core import (
    InstrumentSpec,
    Score,
    Scorer,
    cite,
    entry,
    id_list,
    refuse,
    scale_score,
)

NAME = "pain_relief"
VERSION = "1"
_PAIR = ("baseline_nrs", "followup_nrs")


def percent_relief(baseline_nrs: int, followup_nrs: int) -> float:
    """Percent pain relief from a baseline and a follow-up NRS rating.

    Parameters
    ----------
    baseline_nrs, followup_nrs : int
        Pain intensity (NRS 0-10 points) before and after treatment; the baseline must
        be above 0.

    Returns
    -------
    float
        ``(baseline - followup) / baseline x 100`` (%); negative when the pain is worse.

    Raises
    ------
    NeuraxisInputError
        A rating outside 0-10 or not a whole number, or a baseline of 0.

    Examples
    --------
    >>> percent_relief(8, 2)
    75.0
    >>> percent_relief(4, 5)
    -25.0
    """
    return float(_relief(check_int("baseline_nrs", baseline_nrs, 0, 10),
                         check_int("followup_nrs", followup_nrs, 0, 10), "baseline_nrs"))


def _relief(baseline: int, followup: int, field: str) -> Fraction:
    if baseline == 0:
        raise NeuraxisInputError(
            f"Invalid value for {field!r}. Percent relief needs a baseline above 0 "
            "(relief from no pain is undefined), but got 0")
    return Fraction(100 * (baseline - followup), baseline)


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    pair = [k for k in _PAIR if k in answers]
    source = cite(entry(table, "rule"))
    if "percent" in answers:
        if pair:
            raise refuse(NAME, "Give either 'percent' or 'baseline_nrs' with 'followup_nrs', "
                               f"not both, but got 'percent' and {id_list(pair)}")
        pct = answers["percent"]
        return Score(instrument=NAME, version=VERSION, total=scale_score(spec, "total", pct),
                     items_used=("percent",), items_missing=(),
                     rule="reported percent relief, as given", source=source,
                     details={"method": "reported"}, data_table=spec.data_table)
    if len(pair) < 2:
        absent = [k for k in _PAIR if k not in answers]
        raise refuse(NAME, "Give 'percent' (0-100 %) or both 'baseline_nrs' and "
                           f"'followup_nrs' (0-10), but {id_list(absent)} missing")
    base, follow = answers["baseline_nrs"], answers["followup_nrs"]
    pct = _relief(base, follow, f"{NAME}.baseline_nrs")
    warnings = ((f"pain is worse than at baseline ({follow} > {base}): relief is negative",)
                if follow > base else ())
    return Score(instrument=NAME, version=VERSION, total=scale_score(spec, "total", pct),
                 items_used=_PAIR, items_missing=(),
                 rule=f"(baseline - follow-up) / baseline x 100 = ({base} - {follow}) / {base} "
                      "x 100", source=source, warnings=warnings,
                 details={"method": "from_nrs"}, data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "pain_relief.yaml", _compute)
