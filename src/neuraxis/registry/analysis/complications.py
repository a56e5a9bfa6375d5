"""Complication rates per 100 patient-years by category, with exact Poisson intervals.

Incidence rate = number of complications / person-time at risk (Rothman, Greenland &
Lash 2008, Modern Epidemiology, 3rd ed., ch. 3): every complication counts (a patient
may have several), and each patient contributes the time from ``start_date`` to
``end_date`` of the followup table, in Julian years of 365.25 days. Complications whose
onset lies outside the patient's follow-up are left out and counted
(``n_outside_followup``). The rate's interval is the exact Poisson (Garwood 1936)
interval of :func:`~neuraxis.registry.analysis.intervals.poisson_exact_interval`.

Rows: one per category of the 2019 RAPM taxonomy
(:data:`~neuraxis.registry.analysis.tables.COMPLICATION_CATEGORIES`, zero counts
included), then ``'all'`` (every complication) and ``'any_serious'`` (those flagged
``serious``, whatever their category).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neuraxis._validate import NeuraxisInputError, check_range
from neuraxis.registry.analysis.intervals import (
    DictRow,
    poisson_exact_interval,
    rows_frame,
)
from neuraxis.registry.analysis.tables import (
    COMPLICATION_CATEGORIES,
    DAYS_PER_YEAR,
    TAXONOMY_SOURCE,
    check_confidence,
    one_row_per,
    row_label,
    table,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RateRow(DictRow):
    """Events and rate of one category; rate and limits per ``per`` patient-years."""

    category: str
    events: int
    patients_with_event: int
    patient_years: float
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ComplicationRatesResult:
    """Complication rates by category over the registry's person-time."""

    per: float
    n_patients: int
    patient_years: float
    n_outside_followup: int
    confidence: float
    rows: tuple[RateRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None)."""
        return {"analysis": "complication_rates", "per_patient_years": self.per,
                "n_patients": self.n_patients, "patient_years": self.patient_years,
                "n_outside_followup": self.n_outside_followup,
                "confidence": self.confidence, "taxonomy": TAXONOMY_SOURCE,
                "ci_method": "exact Poisson (Garwood 1936; chi-square form, Ulm 1990)",
                "rows": [r.to_dict() for r in self.rows]}

    def to_frame(self) -> pd.DataFrame:
        """One row per category (the :class:`RateRow` fields), for CSV export."""
        return rows_frame(self.rows, RateRow)


def complication_rates(complications: pd.DataFrame, followup: pd.DataFrame, *,
                       per_patient_years: float = 100.0,
                       confidence: float = 0.95) -> ComplicationRatesResult:
    """Complications per ``per_patient_years`` patient-years, by category.

    Parameters
    ----------
    complications : pandas.DataFrame
        The complications table: ``patient_id``, ``onset_date``, ``category``,
        ``serious``.
    followup : pandas.DataFrame
        One row per patient at risk: ``patient_id``, ``start_date``, ``end_date``.
    per_patient_years : float
        Rates are per this many patient-years (100 by default).
    confidence : float
        Confidence level of the exact Poisson intervals.

    Returns
    -------
    ComplicationRatesResult
        One :class:`RateRow` per category, then ``'all'`` and ``'any_serious'``.
    """
    per = float(check_range("per_patient_years", per_patient_years, 0, None, "patient-years",
                            low_inclusive=False))
    confidence = check_confidence(confidence)
    c = table(complications, "complications", ["patient_id", "onset_date", "category",
                                               "serious"])
    f = table(followup, "followup", ["patient_id", "start_date", "end_date"])
    one_row_per(f, "followup", ("patient_id",))
    bad = f["end_date"] < f["start_date"]
    if bad.any():
        idx = bad[bad].index[0]
        raise NeuraxisInputError(
            f"Invalid dates in 'followup' (row {row_label(idx)}, patient_id "
            f"{f.at[idx, 'patient_id']!r}): end_date {f.at[idx, 'end_date'].date()} is before "
            f"start_date {f.at[idx, 'start_date'].date()}")
    unknown = ~c["patient_id"].isin(f["patient_id"])
    if unknown.any():
        idx = unknown[unknown].index[0]
        raise NeuraxisInputError(
            f"Complication of patient_id {c.at[idx, 'patient_id']!r} (row {row_label(idx)}) has no "
            "row in 'followup': its person-time is unknown")
    years = float((f["end_date"] - f["start_date"]).dt.days.sum()) / DAYS_PER_YEAR
    if years <= 0:
        raise NeuraxisInputError(
            "The followup table has no person-time (every end_date equals its start_date)")
    window = c.merge(f, on="patient_id", how="left")
    inside = ((window["onset_date"] >= window["start_date"])
              & (window["onset_date"] <= window["end_date"])).to_numpy()
    c = c[inside]

    rows = []
    subsets = [(cat, c[c["category"] == cat]) for cat in COMPLICATION_CATEGORIES]
    subsets += [("all", c), ("any_serious", c[c["serious"]])]
    for name, sub in subsets:
        k = len(sub)
        lo, hi = poisson_exact_interval(k, years, confidence)
        rows.append(RateRow(name, k, int(sub["patient_id"].nunique()), years,
                            per * k / years, per * lo, per * hi))
    return ComplicationRatesResult(per, len(f), years, int((~inside).sum()), confidence,
                                   tuple(rows))
