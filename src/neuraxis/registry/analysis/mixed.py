"""Repeated measures: a linear mixed model of a score over the visits.

Model: ``score_ij = b0 + b_visit(j) + u_i + e_ij`` with a fixed effect per follow-up
visit (baseline is the reference), a random intercept ``u_i ~ N(0, s_u^2)`` per patient
and residual ``e_ij ~ N(0, s_e^2)`` (Laird & Ware 1982, Biometrics 38:963-974), fitted
by restricted maximum likelihood with statsmodels ``MixedLM``. Every available
observation is used, so a patient with a missed visit still contributes; the estimates
are valid when data are missing at random (Little & Rubin 2002, Statistical Analysis
with Missing Data, 2nd ed.), unlike a complete-case change.

Reported per visit: the model mean (``b0 + b_visit``) and the change from baseline
(``b_visit``), each with a Wald interval using normal quantiles and the fixed-effect
covariance (as statsmodels reports them), and the Wald p-value of the change.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError
from neuraxis.registry.analysis.intervals import DictRow, json_ready, rows_frame
from neuraxis.registry.analysis.tables import (
    VISIT_MONTHS,
    VISITS,
    check_confidence,
    check_population,
    check_score,
    pandas,
    per_protocol_mask,
    visits_table,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class MixedRow(DictRow):
    """Model estimates at one visit, in the score's unit (change is NaN at baseline)."""

    visit: str
    month: int
    n_obs: int
    mean: float
    mean_ci_low: float
    mean_ci_high: float
    change: float
    change_ci_low: float
    change_ci_high: float
    change_p: float


@dataclass(frozen=True)
class MixedModelResult:
    """A fitted random-intercept model: one row per visit and the variance components."""

    score: str
    unit: str
    population: str
    n_patients: int
    n_obs: int
    patient_variance: float
    residual_variance: float
    log_likelihood: float
    converged: bool
    notes: tuple[str, ...]
    confidence: float
    rows: tuple[MixedRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None); variances in squared score units."""
        return {"analysis": "mixed_model", "score": self.score, "unit": self.unit,
                "model": "score ~ visit + (1 | patient_id), REML (statsmodels MixedLM)",
                "population": self.population, "n_patients": self.n_patients,
                "n_obs": self.n_obs, "patient_variance": json_ready(self.patient_variance),
                "residual_variance": json_ready(self.residual_variance),
                "log_likelihood": json_ready(self.log_likelihood),
                "converged": self.converged, "notes": list(self.notes),
                "confidence": self.confidence, "ci_method": "Wald, normal quantiles",
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per visit (the :class:`MixedRow` fields), for CSV export."""
        return rows_frame(self.rows, MixedRow)


def mixed_model(visits: pd.DataFrame, score: str, *, population: str = "available",
                confidence: float = 0.95) -> MixedModelResult:
    """Fit ``score ~ visit`` with a random intercept per patient (REML).

    Parameters
    ----------
    visits : pandas.DataFrame
        The visits table, one row per patient and visit, with ``patient_id``, ``visit``,
        ``implanted``, ``per_protocol`` and the ``score`` column.
    score : str
        A score column with a baseline (e.g. ``'nrs_back'``, ``'odi_pct'``).
    population : str
        ``'available'`` (every observation) or ``'per_protocol'`` (baseline rows and the
        follow-up rows that are ``implanted`` and ``per_protocol``).
    confidence : float
        Confidence level of the Wald intervals.

    Returns
    -------
    MixedModelResult
        One :class:`MixedRow` per visit with data, baseline first.

    Raises
    ------
    NeuraxisInputError
        No baseline observations, fewer than two patients, or no patient seen twice.
    """
    from scipy.stats import norm

    spec = check_score(score, from_baseline=True)
    population = check_population(population)
    confidence = check_confidence(confidence)
    mixedlm = soft_import("statsmodels.regression.mixed_linear_model", "registry",
                          "The mixed model")
    pd = pandas()
    v = visits_table(visits, [spec.column])
    if population == "per_protocol":
        v = v[(v["visit"] == "baseline") | per_protocol_mask(v)]
    v = v.dropna(subset=[spec.column])
    levels = [x for x in VISITS if x in set(v["visit"])]
    n_patients = int(v["patient_id"].nunique())
    if "baseline" not in levels:
        raise NeuraxisInputError(
            f"The mixed model of {spec.column!r} needs baseline values (the reference "
            "level), but no 'baseline' visit has one")
    if n_patients < 2 or not v["patient_id"].duplicated().any():
        raise NeuraxisInputError(
            f"The mixed model of {spec.column!r} needs at least two patients and a patient "
            f"seen at two visits, but got {n_patients} patients with {len(v)} observations")

    exog = pd.DataFrame({"intercept": 1.0}, index=v.index)
    for level in levels[1:]:
        exog[level] = (v["visit"] == level).astype(float)
    model = mixedlm.MixedLM(v[spec.column].astype(float), exog, groups=v["patient_id"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=True)
    notes = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    p = exog.shape[1]
    beta = np.asarray(res.fe_params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float)[:p, :p]
    z = float(norm.ppf(0.5 + confidence / 2))
    counts = v["visit"].value_counts()

    rows = []
    for k, level in enumerate(levels):
        grad = np.zeros(p)
        grad[0] = 1.0
        if k:
            grad[k] = 1.0
        mean = float(grad @ beta)
        se_mean = math.sqrt(max(float(grad @ cov @ grad), 0.0))
        change = lo = hi = pval = float("nan")
        if k:
            change, se = float(beta[k]), math.sqrt(max(float(cov[k, k]), 0.0))
            lo, hi = change - z * se, change + z * se
            pval = float(2 * norm.sf(abs(change) / se)) if se > 0 else float("nan")
        rows.append(MixedRow(level, VISIT_MONTHS[level], int(counts[level]), mean,
                             mean - z * se_mean, mean + z * se_mean, change, lo, hi, pval))
    return MixedModelResult(
        spec.column, spec.unit, population, n_patients, len(v),
        float(np.asarray(res.cov_re)[0, 0]), float(res.scale), float(res.llf),
        bool(res.converged), notes, confidence, tuple(rows))
