"""Cox proportional hazards model of time to explant or revision.

The hazard of the counted events is ``h0(t) * exp(b' x)`` (Cox 1972, J R Stat Soc B
34:187-220), fitted with lifelines' ``CoxPHFitter`` by maximum partial likelihood with
Efron's handling of tied times (Efron 1977, J Am Stat Assoc 72:557-565). Time and
events are those of :mod:`~neuraxis.registry.analysis.survival`.

Covariates are extra columns of the implants table (e.g. ``age_years``, ``paddle_lead``).
Numbers and booleans enter as they are; text columns enter as indicators against their
first level in sorted order (term ``'column[level]'``). Missing covariate values are
refused: impute or drop those patients first, and say so.

Reported per term: coefficient, hazard ratio ``exp(b)`` with a Wald interval
``exp(b +/- z * se)``, its p-value, and the Grambsch-Therneau test of proportional
hazards on rank-transformed time (Grambsch & Therneau 1994, Biometrika 81:515-526).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError
from neuraxis.registry.analysis.intervals import DictRow, json_ready, rows_frame
from neuraxis.registry.analysis.survival import COUNTED_EVENTS, check_events, durations
from neuraxis.registry.analysis.tables import (
    TABLES,
    check_confidence,
    lifelines,
    pandas,
    require_columns,
    row_label,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CoxRow(DictRow):
    """One model term: log hazard ratio, hazard ratio with interval, p-values."""

    term: str
    coef: float
    se: float
    hazard_ratio: float
    ci_low: float
    ci_high: float
    p: float
    ph_test_p: float


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: one row per term, and the fit's summary."""

    events: tuple[str, ...]
    covariates: tuple[str, ...]
    n: int
    n_events: int
    concordance: float
    log_likelihood: float
    confidence: float
    rows: tuple[CoxRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None); time in months."""
        return {"analysis": "cox_ph", "events": list(self.events),
                "covariates": list(self.covariates), "n": self.n, "n_events": self.n_events,
                "concordance": json_ready(self.concordance),
                "log_likelihood": json_ready(self.log_likelihood),
                "ties": "Efron", "confidence": self.confidence,
                "ci_method": "Wald on the log hazard ratio",
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per term (the :class:`CoxRow` fields), for CSV export."""
        return rows_frame(self.rows, CoxRow)


def _design(implants: pd.DataFrame, d: pd.DataFrame, covariates: tuple[str, ...]
            ) -> pd.DataFrame:
    pd = pandas()
    x = pd.DataFrame(index=d.index)
    for col in covariates:
        s = pd.Series(implants[col].to_numpy(), index=d.index)  # by position, as ``table``
        if s.isna().any():
            idx = s.index[s.isna()][0]
            raise NeuraxisInputError(
                f"Missing value in 'implants.{col}' (row {row_label(idx)}, patient_id "
                f"{d.at[idx, 'patient_id']!r}): the Cox model needs every covariate; impute "
                "or drop these patients first")
        if s.dtype == bool or pd.api.types.is_numeric_dtype(s):
            x[col] = s.astype(float)
            continue
        levels = sorted(s.astype(str).unique())
        if len(levels) < 2:
            raise NeuraxisInputError(
                f"Covariate 'implants.{col}' has one value ({levels[0]!r}) only: it cannot "
                "explain a difference")
        for level in levels[1:]:
            x[f"{col}[{level}]"] = (s.astype(str) == level).astype(float)
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise NeuraxisInputError(
            f"Covariate {constant[0]!r} is the same for every patient: it cannot explain a "
            "difference")
    return x


def cox_ph(implants: pd.DataFrame, covariates: str | Sequence[str], *,
           events: Sequence[str] = COUNTED_EVENTS, confidence: float = 0.95) -> CoxResult:
    """Fit a Cox proportional hazards model of time to the counted events.

    Parameters
    ----------
    implants : pandas.DataFrame
        The implants table plus the covariate columns.
    covariates : str | sequence of str
        Covariate column names (numbers, booleans, or text levels).
    events : sequence of str
        Which events count: ``'explant'`` and/or ``'revision'``.
    confidence : float
        Confidence level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult
        One :class:`CoxRow` per term; hazard ratios per unit of the covariate.
    """
    from scipy.stats import norm

    events = check_events(events)
    confidence = check_confidence(confidence)
    covs = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    if not covs:
        raise NeuraxisInputError("Invalid value for 'covariates': name at least one column")
    contract = {c.name for c in TABLES["implants"]}
    for c in covs:
        if c in contract:
            raise NeuraxisInputError(
                f"Invalid value for 'covariates': {c!r} is part of the implants contract "
                "(time and event), not a covariate")
    require_columns(implants, "implants", covs)
    d = durations(implants, events)
    if not d["event"].any():
        raise NeuraxisInputError(
            f"No {' or '.join(events)} in 'implants': the Cox model needs events")
    x = _design(implants, d, covs)
    data = x.assign(months=d["months"], event=d["event"].astype(int))
    ll = lifelines()
    stats = soft_import("lifelines.statistics", "registry", "The Cox model")
    failures = (soft_import("lifelines.exceptions", "registry", "The Cox model")
                .ConvergenceError, np.linalg.LinAlgError, ZeroDivisionError)
    cph = ll.CoxPHFitter(alpha=1 - confidence)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph.fit(data, duration_col="months", event_col="event")
            ph = stats.proportional_hazard_test(cph, data, time_transform="rank")
    except failures as exc:
        raise NeuraxisInputError(
            f"The Cox model did not converge ({str(exc).splitlines()[0]}): often a "
            "covariate separates the patients with and without events, or there are too "
            "few events for the covariates") from None
    z = float(norm.ppf(0.5 + confidence / 2))
    ph_p = ph.summary["p"]
    rows = []
    for term in x.columns:
        b, se = float(cph.params_[term]), float(cph.standard_errors_[term])
        rows.append(CoxRow(term, b, se, math.exp(b), math.exp(b - z * se),
                           math.exp(b + z * se), float(cph.summary.at[term, "p"]),
                           float(ph_p.get(term, float("nan")))))
    return CoxResult(events, covs, len(d), int(d["event"].sum()),
                     float(cph.concordance_index_), float(cph.log_likelihood_), confidence,
                     tuple(rows))
