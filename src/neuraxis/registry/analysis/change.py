"""Change from baseline by visit, with t-based 95 % intervals and MCID improvement.

For each follow-up visit, the patients with both a baseline and a visit value (and, for
``population='per_protocol'``, a visit row that is ``implanted`` and ``per_protocol``)
give the individual change ``visit - baseline`` in the score's unit (negative = less
pain or disability for NRS and ODI). The mean change has a Student-t interval
(:func:`~neuraxis.registry.analysis.intervals.t_interval`).

Improvement by the minimal clinically important change (MCID), after Ostelo et al.
2008 (Spine 33:90-94, doi:10.1097/BRS.0b013e31815e3a10), the international consensus
for low back pain: 2 points on the 0-10 NRS, 10 points on the 0-100 ODI
(``mcid_rule='points'``), or a 30 % improvement from baseline for any of these
measures (``mcid_rule='percent'``). A patient improves when the change in the better
direction reaches the MCID (``>=``); under the percent rule a zero baseline cannot
improve. The proportion improved has a Wilson interval. Scores without a published
MCID (EQ-5D index, opioid dose) need ``mcid`` given, else the improvement columns are
empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neuraxis._validate import check_option, check_range
from neuraxis.registry.analysis.intervals import (
    DictRow,
    rows_frame,
    t_interval,
    wilson_interval,
)
from neuraxis.registry.analysis.tables import (
    VISIT_MONTHS,
    check_confidence,
    check_population,
    check_score,
    check_visits,
    follow_up_visits,
    per_protocol_mask,
    visits_table,
)

if TYPE_CHECKING:
    import pandas as pd

MCID_RULES = ("points", "percent")
_TOL = 1e-9


@dataclass(frozen=True)
class ChangeRow(DictRow):
    """Change from baseline at one visit (score units; ``improved_rate`` 0-1;
    ``improved`` is ``None`` when the score has no MCID)."""

    visit: str
    month: int
    n: int
    baseline_mean: float
    visit_mean: float
    change_mean: float
    change_sd: float
    ci_low: float
    ci_high: float
    improved: int | None
    improved_rate: float
    improved_ci_low: float
    improved_ci_high: float


@dataclass(frozen=True)
class ChangeResult:
    """Change from baseline of one score, one row per visit."""

    score: str
    unit: str
    population: str
    mcid_rule: str
    mcid: float | None
    mcid_source: str
    confidence: float
    rows: tuple[ChangeRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None)."""
        return {"analysis": "change_from_baseline", "score": self.score, "unit": self.unit,
                "population": self.population, "mcid_rule": self.mcid_rule,
                "mcid": self.mcid, "mcid_unit": "%" if self.mcid_rule == "percent"
                else self.unit, "mcid_source": self.mcid_source,
                "confidence": self.confidence,
                "ci_method": "Student t, n - 1 df (mean); Wilson score (improved)",
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per visit (the :class:`ChangeRow` fields), for CSV export."""
        return rows_frame(self.rows, ChangeRow)


def change_from_baseline(visits: pd.DataFrame, score: str, *,
                         population: str = "available", mcid_rule: str = "points",
                         mcid: float | None = None,
                         visits_to_report: str | tuple[str, ...] | None = None,
                         confidence: float = 0.95) -> ChangeResult:
    """Mean change from baseline by visit with t intervals, and the share improved.

    Parameters
    ----------
    visits : pandas.DataFrame
        The visits table: ``patient_id``, ``visit``, ``implanted``, ``per_protocol`` and
        the ``score`` column.
    score : str
        A score column with a baseline (e.g. ``'nrs_back'``, ``'odi_pct'``,
        ``'eq5d_index'``); PGIC and percent relief are refused.
    population : str
        ``'available'`` (every patient with both values) or ``'per_protocol'``.
    mcid_rule : str
        ``'points'`` (change in the score's unit) or ``'percent'`` (% of baseline).
    mcid : float | None
        The MCID in the rule's unit; ``None`` takes Ostelo et al. 2008 where it has one
        (NRS 2 points, ODI 10 points, 30 %).
    visits_to_report : str | tuple of str | None
        Follow-up visits; ``None`` = every follow-up visit in the table.
    confidence : float
        Confidence level.

    Returns
    -------
    ChangeResult
        One :class:`ChangeRow` per visit.
    """
    spec = check_score(score, from_baseline=True)
    population = check_population(population)
    mcid_rule = check_option("mcid_rule", mcid_rule, MCID_RULES)
    unit = "%" if mcid_rule == "percent" else spec.unit
    if mcid is None:
        mcid = spec.mcid_pct if mcid_rule == "percent" else spec.mcid_points
        source = spec.source if mcid is not None else ""
    else:
        mcid = float(check_range("mcid", mcid, 0, None, unit, low_inclusive=False))
        source = "given"
    confidence = check_confidence(confidence)
    wanted = check_visits(visits_to_report)
    v = visits_table(visits, [spec.column])
    base = v[v["visit"] == "baseline"].set_index("patient_id")[spec.column]
    sign = -1.0 if spec.better == "lower" else 1.0
    nan = float("nan")

    rows = []
    for visit in follow_up_visits(v, wanted):
        now = v[v["visit"] == visit].set_index("patient_id")
        if population == "per_protocol":
            now = now[per_protocol_mask(now)]
        pair = now[[spec.column]].join(base.rename("baseline"), how="inner").dropna()
        b, f = pair["baseline"], pair[spec.column]
        change = f - b
        mean, sd, lo, hi = t_interval(change.to_numpy(), confidence)
        n = len(pair)
        improved, rate, ilo, ihi = None, nan, nan, nan
        if mcid is not None:
            better = sign * change
            if mcid_rule == "percent":
                better = 100.0 * better / b.where(b != 0).abs()
            improved = int((better >= mcid - _TOL).sum())
            rate = improved / n if n else nan
            ilo, ihi = wilson_interval(improved, n, confidence)
        rows.append(ChangeRow(visit, VISIT_MONTHS[visit], n,
                              float(b.mean()) if n else nan, float(f.mean()) if n else nan,
                              mean, sd, lo, hi, improved, rate, ilo, ihi))
    return ChangeResult(spec.column, spec.unit, population, mcid_rule, mcid, source,
                        confidence, tuple(rows))
