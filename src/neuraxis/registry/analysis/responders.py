"""Responder rates by visit, with a parameterised responder definition.

A patient responds at a visit when the pain score fell by at least ``threshold_pct``
percent of baseline: ``100 * (baseline - visit) / baseline >= threshold_pct``.
30 % is a moderately important and 50 % a substantial improvement (IMMPACT, Dworkin et
al. 2008, J Pain 9:105-121; 30 % = "much improved" on the PGIC, Farrar et al. 2001,
Pain 94:149-158); >= 50 % back-pain relief is the usual SCS responder (e.g. SENZA-RCT,
Kapural et al. 2015, Anesthesiology 123:851-860).

Region (the NRS columns of :data:`~neuraxis.registry.analysis.tables.SCORES`):

* ``'back'`` / ``'leg'``: ``nrs_back`` / ``nrs_leg``;
* ``'worst'``: the smaller of the back and the leg reduction, so the patient must reach
  the threshold in both regions (both scores needed);
* ``'mean'``: the reduction of the mean of the back and leg scores (both needed);
* ``'relief'``: the patient's own ``percent_relief`` at the visit, no baseline needed
  (the PAN registry's percent relief, Deer et al. 2016, Neuromodulation 19:179).

Baseline rule: the baseline is the score at the ``'baseline'`` visit. A patient with a
missing or zero baseline cannot respond (the percent change is undefined). With
``baseline_min`` (e.g. 5 points, a usual entry criterion), patients whose baseline is
known and below it are excluded from every denominator (``n_excluded_baseline``);
for ``'worst'`` both regions must reach it.

Medication qualifier ``'no_opioid_increase'``: a responder must also not take more
opioid than at baseline (``opioid_mme_mg_per_day`` at the visit <= baseline +
``opioid_tolerance_mg_per_day``); a missing dose at either visit fails the qualifier.

Populations, both reported for every visit:

* intention-to-treat (ITT): every enrolled patient (every ``patient_id`` of the table,
  less those excluded by ``baseline_min``); a patient without an evaluable score at the
  visit (no row, missing score, zero or missing baseline) counts as a non-responder
  (non-responder imputation);
* per protocol (PP): patients whose row at the visit says ``implanted`` and
  ``per_protocol`` and whose change is evaluable.

Each rate has a Wilson score interval (:func:`~neuraxis.registry.analysis.intervals.
wilson_interval`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.registry.analysis.intervals import (
    DictRow,
    json_ready,
    rows_frame,
    wilson_interval,
)
from neuraxis.registry.analysis.tables import (
    VISIT_MONTHS,
    check_confidence,
    check_visits,
    follow_up_visits,
    pandas,
    per_protocol_mask,
    visits_table,
)

if TYPE_CHECKING:
    import pandas as pd

REGIONS = ("back", "leg", "worst", "mean", "relief")
MEDICATION_RULES = ("none", "no_opioid_increase")
_TOL = 1e-9  # 100 * 3 / 10 must count as 30 %


@dataclass(frozen=True)
class ResponderDefinition:
    """What makes a responder (see the module docstring)."""

    threshold_pct: float
    region: str
    baseline_min: float | None
    medication: str
    opioid_tolerance_mg_per_day: float

    def describe(self) -> str:
        """One sentence for a table caption."""
        region = {"back": "back pain", "leg": "leg pain",
                  "worst": "both back and leg pain", "mean": "mean back and leg pain"}
        if self.region == "relief":
            text = f">= {self.threshold_pct:g} % patient-rated pain relief"
        else:
            text = (f">= {self.threshold_pct:g} % reduction of {region[self.region]} NRS "
                    "from baseline")
        if self.baseline_min is not None:
            text += f" (baseline >= {self.baseline_min:g} points)"
        if self.medication == "no_opioid_increase":
            text += " without an opioid increase"
            if self.opioid_tolerance_mg_per_day:
                text += f" above {self.opioid_tolerance_mg_per_day:g} mg/day MME"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output, with the sentence as ``text``."""
        return {**json_ready(asdict(self)), "text": self.describe()}


@dataclass(frozen=True)
class ResponderRow(DictRow):
    """Responder counts and rates at one visit; rates are proportions (0-1)."""

    visit: str
    month: int
    n_itt: int
    responders_itt: int
    rate_itt: float
    ci_low_itt: float
    ci_high_itt: float
    missing_itt: int
    n_pp: int
    responders_pp: int
    rate_pp: float
    ci_low_pp: float
    ci_high_pp: float


@dataclass(frozen=True)
class ResponderResult:
    """Responder rates by visit: the definition, one row per visit, the exclusions."""

    definition: ResponderDefinition
    rows: tuple[ResponderRow, ...]
    n_enrolled: int
    n_excluded_baseline: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None)."""
        return {"analysis": "responder_rates", "definition": self.definition.to_dict(),
                "n_enrolled": self.n_enrolled, "n_excluded_baseline": self.n_excluded_baseline,
                "confidence": self.confidence, "ci_method": "Wilson score (Wilson 1927)",
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per visit (the :class:`ResponderRow` fields), for CSV export."""
        return rows_frame(self.rows, ResponderRow)


def _reduction_pct(base: pd.Series, now: pd.Series) -> pd.Series:
    """100 * (base - now) / base; NaN where base is missing or zero."""
    b = base.where(base > 0)
    return 100.0 * (b - now) / b


def responder_rates(visits: pd.DataFrame, *, threshold_pct: float = 50.0,
                    region: str = "back", baseline_min: float | None = None,
                    medication: str = "none", opioid_tolerance_mg_per_day: float = 0.0,
                    visits_to_report: str | tuple[str, ...] | None = None,
                    confidence: float = 0.95) -> ResponderResult:
    """Responder rates (ITT and per protocol) by visit with Wilson confidence intervals.

    Parameters
    ----------
    visits : pandas.DataFrame
        The visits table (:mod:`~neuraxis.registry.analysis.tables`): ``patient_id``,
        ``visit``, ``implanted``, ``per_protocol``, ``nrs_back`` and/or ``nrs_leg`` (0-10
        points) or ``percent_relief`` (%), and ``opioid_mme_mg_per_day`` (mg/day) for the
        medication qualifier.
    threshold_pct : float
        Minimum reduction from baseline, % (0-100]; usually 30 or 50.
    region : str
        ``'back'``, ``'leg'``, ``'worst'``, ``'mean'`` or ``'relief'`` (module docstring).
    baseline_min : float | None
        Minimum baseline NRS, points, to be included; ``None`` includes everyone.
    medication : str
        ``'none'`` or ``'no_opioid_increase'``.
    opioid_tolerance_mg_per_day : float
        Allowed opioid increase for ``'no_opioid_increase'``, mg/day MME.
    visits_to_report : str | tuple of str | None
        Follow-up visits to report; ``None`` = every follow-up visit in the table.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    ResponderResult
        One :class:`ResponderRow` per visit.
    """
    threshold = float(check_range("threshold_pct", threshold_pct, 0, 100, "%",
                                  low_inclusive=False))
    region = check_option("region", region, REGIONS)
    medication = check_option("medication", medication, MEDICATION_RULES)
    bmin = None if baseline_min is None else float(
        check_range("baseline_min", baseline_min, 0, 10, "points"))
    tol = float(check_range("opioid_tolerance_mg_per_day", opioid_tolerance_mg_per_day, 0,
                            None, "mg/day"))
    confidence = check_confidence(confidence)
    wanted = check_visits(visits_to_report)
    if region == "relief" and bmin is not None:
        raise NeuraxisInputError(
            "Invalid value for 'baseline_min': it applies to the NRS regions ('back', 'leg', "
            "'worst', 'mean'), but region is 'relief' (rated without a baseline score)")
    regions = {"back": ["nrs_back"], "leg": ["nrs_leg"], "relief": ["percent_relief"]}.get(
        region, ["nrs_back", "nrs_leg"])
    opioid = ["opioid_mme_mg_per_day"] if medication == "no_opioid_increase" else []
    v = visits_table(visits, [*regions, *opioid])
    pd = pandas()

    patients = pd.Index(sorted(v["patient_id"].unique()), name="patient_id")
    base = v[v["visit"] == "baseline"].set_index("patient_id").reindex(patients)
    if bmin is not None:
        low = np.zeros(len(patients), dtype=bool)
        for col in regions:
            low |= (base[col] < bmin - _TOL).to_numpy()
        patients = patients[~low]
        base = base.loc[patients]
    n_excluded = int(v["patient_id"].nunique() - len(patients))

    rows = []
    for visit in follow_up_visits(v, wanted):
        now = v[v["visit"] == visit].set_index("patient_id").reindex(patients)
        if region == "relief":
            red = now["percent_relief"]
        elif region == "mean":
            red = _reduction_pct(base[regions].mean(axis=1, skipna=False),
                                 now[regions].mean(axis=1, skipna=False))
        else:
            red = pd.concat([_reduction_pct(base[c], now[c]) for c in regions], axis=1)
            red = red.min(axis=1, skipna=False)
        responder = red >= threshold - _TOL  # NaN compares False: a non-responder
        if medication == "no_opioid_increase":
            responder &= (now["opioid_mme_mg_per_day"]
                          <= base["opioid_mme_mg_per_day"] + tol + _TOL)
        evaluable = red.notna()
        pp = per_protocol_mask(now) & evaluable
        n, x = len(patients), int(responder.sum())
        n_pp, x_pp = int(pp.sum()), int((responder & pp).sum())
        lo, hi = wilson_interval(x, n, confidence)
        lo_pp, hi_pp = wilson_interval(x_pp, n_pp, confidence)
        rows.append(ResponderRow(
            visit, VISIT_MONTHS[visit], n, x, x / n if n else float("nan"), lo, hi,
            int((~evaluable).sum()), n_pp, x_pp, x_pp / n_pp if n_pp else float("nan"),
            lo_pp, hi_pp))
    definition = ResponderDefinition(threshold, region, bmin, medication, tol)
    return ResponderResult(definition, tuple(rows), int(v["patient_id"].nunique()),
                           n_excluded, confidence)
