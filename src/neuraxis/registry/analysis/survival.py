"""Device survival: Kaplan-Meier, and cumulative incidence under competing causes.

Time is from ``implant_date`` to ``event_date`` of the implants table, in months of
30.4375 days. The event is the first explant or revision (``events`` chooses which
count); a row whose event does not count, or ``'none'``, is censored at its
``event_date`` (its last follow-up, or the first event when that is not counted, since
the table holds the first event only).

* :func:`kaplan_meier`: the product-limit estimator (Kaplan & Meier 1958, J Am Stat
  Assoc 53:457-481) with lifelines' ``KaplanMeierFitter``; intervals from Greenwood's
  variance on the log(-log) scale ("exponential Greenwood", Kalbfleisch & Prentice 2002,
  The Statistical Analysis of Failure Time Data, 2nd ed.). ``by='cause'`` gives one
  cause-specific curve per cause, the other causes censored: ``1 - S`` then
  overestimates the probability of that cause when the causes compete, so report
  :func:`cumulative_incidence` for "explant by cause".
* :func:`cumulative_incidence`: the Aalen-Johansen estimator (Aalen & Johansen 1978,
  Scand J Stat 5:141-150) of the probability of each cause by time t, with lifelines'
  ``AalenJohansenFitter`` (delta-method variance, log(-log) intervals); the causes'
  incidences add up to ``1 - S(t)`` of all causes together.

Survival and incidence at a time are the step function's value after every event at
that time; beyond the last follow-up they are not estimated (NaN).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.registry.analysis.intervals import DictRow, json_ready, rows_frame
from neuraxis.registry.analysis.tables import (
    DAYS_PER_MONTH,
    check_confidence,
    lifelines,
    one_row_per,
    require_columns,
    row_label,
    table,
)

if TYPE_CHECKING:
    import pandas as pd

COUNTED_EVENTS = ("explant", "revision")
_IMPLANT_COLUMNS = ["patient_id", "implant_date", "event_date", "event", "cause"]


def check_events(events: object) -> tuple[str, ...]:
    """The events that count (a non-empty subset of ``('explant', 'revision')``)."""
    if isinstance(events, str):
        events = (events,)
    if not isinstance(events, (tuple, list)) or not events:
        raise NeuraxisInputError(
            "Invalid value for 'events'. Expected one or more of 'explant', 'revision', "
            f"but got {events!r}")
    return tuple(check_option("events", e, COUNTED_EVENTS) for e in events)


def durations(implants: pd.DataFrame, events: tuple[str, ...],
              extra: Sequence[str] = ()) -> pd.DataFrame:
    """The implants table as ``patient_id, months, event (bool), cause`` (+ ``extra``).

    ``cause`` is the cause of a counted event (``'unspecified'`` if empty), else None.
    """
    v = table(implants, "implants", _IMPLANT_COLUMNS)
    one_row_per(v, "implants", ("patient_id",))
    bad = v["event_date"] < v["implant_date"]
    if bad.any():
        idx = bad[bad].index[0]
        raise NeuraxisInputError(
            f"Invalid dates in 'implants' (row {row_label(idx)}, patient_id "
            f"{v.at[idx, 'patient_id']!r}): event_date {v.at[idx, 'event_date'].date()} is "
            f"before implant_date {v.at[idx, 'implant_date'].date()}")
    out = v[["patient_id"]].copy()
    out["months"] = (v["event_date"] - v["implant_date"]).dt.days / DAYS_PER_MONTH
    out["event"] = v["event"].isin(events)
    out["cause"] = [(c if c is not None else "unspecified") if e else None
                    for e, c in zip(out["event"], v["cause"], strict=True)]
    for col in extra:  # by position: ``table`` keeps the row order
        out[col] = implants[col].to_numpy()
    if len(out) == 0:
        raise NeuraxisInputError("Table 'implants' has no rows")
    return out


def check_times(at_months: object) -> tuple[float, ...]:
    """Times (months >= 0) at which to report the curves."""
    arr = check_range("at_months", np.atleast_1d(np.asarray(at_months, dtype=object)), 0,
                      None, "months")
    return tuple(float(t) for t in np.atleast_1d(arr))


@dataclass(frozen=True)
class CurvePoint(DictRow):
    """A curve at one time: estimate and interval (0-1), patients at risk."""

    curve: str
    month: float
    at_risk: int
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Curve:
    """One survival or cumulative-incidence curve: its steps and summary."""

    label: str
    group: str | None
    cause: str | None
    n: int
    n_events: int
    median_months: float
    steps: tuple[CurvePoint, ...]
    at: tuple[CurvePoint, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None)."""
        return {"label": self.label, "group": self.group, "cause": self.cause, "n": self.n,
                "n_events": self.n_events, "median_months": json_ready(self.median_months),
                "at": [p.to_dict() for p in self.at],
                "steps": [p.to_dict() for p in self.steps]}


@dataclass(frozen=True)
class CurvesResult:
    """Kaplan-Meier survival or Aalen-Johansen cumulative incidence curves."""

    analysis: str
    estimate: str
    events: tuple[str, ...]
    confidence: float
    method: str
    curves: tuple[Curve, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None); times in months."""
        return {"analysis": self.analysis, "estimate": self.estimate,
                "events": list(self.events), "confidence": self.confidence,
                "method": self.method, "time_unit": "months",
                "curves": [c.to_dict() for c in self.curves]}

    def to_frame(self, which: str = "at") -> pd.DataFrame:
        """The curves as one tidy table: ``which='at'`` (the requested times) or
        ``'steps'`` (every step), one row per curve and time."""
        which = check_option("which", which, ("at", "steps"))
        return rows_frame([p for cur in self.curves for p in getattr(cur, which)], CurvePoint)

    def curve(self, label: str) -> Curve:
        """The curve called ``label`` ("did you mean")."""
        labels = [c.label for c in self.curves]
        return self.curves[labels.index(check_option("curve", label, labels))]


def _steps(label: str, times: np.ndarray, at_risk: np.ndarray, est: np.ndarray,
           lo: np.ndarray, hi: np.ndarray) -> tuple[CurvePoint, ...]:
    return tuple(CurvePoint(label, float(t), int(n), float(e), float(a), float(b))
                 for t, n, e, a, b in zip(times, at_risk, est, lo, hi, strict=True))


def _at(label: str, steps: tuple[CurvePoint, ...], months: np.ndarray,
        times: tuple[float, ...]) -> tuple[CurvePoint, ...]:
    out = []
    last = float(months.max())
    for t in times:
        n = int((months >= t).sum())
        if t > last:
            out.append(CurvePoint(label, t, n, *(float("nan"),) * 3))
            continue
        before = [s for s in steps if s.month <= t]
        s = before[-1]
        out.append(CurvePoint(label, t, n, s.estimate, s.ci_low, s.ci_high))
    return tuple(out)


def _subsets(d: pd.DataFrame, group: str | None) -> list[tuple[str | None, pd.DataFrame]]:
    if group is None:
        return [(None, d)]
    return [(str(g), sub) for g, sub in d.groupby(group, sort=True, dropna=False)]


def kaplan_meier(implants: pd.DataFrame, *, events: Sequence[str] = COUNTED_EVENTS,
                 by: str | None = None, group: str | None = None,
                 at_months: Sequence[float] = (12.0, 24.0),
                 confidence: float = 0.95) -> CurvesResult:
    """Kaplan-Meier device survival (free of the counted events), optionally by cause.

    Parameters
    ----------
    implants : pandas.DataFrame
        The implants table: ``patient_id``, ``implant_date``, ``event_date``, ``event``,
        ``cause`` (and the ``group`` column if given).
    events : sequence of str
        Which events end survival: ``'explant'`` and/or ``'revision'``.
    by : str | None
        ``None`` (one curve) or ``'cause'`` (one cause-specific curve per cause).
    group : str | None
        A column of ``implants`` to stratify by (e.g. a device type).
    at_months : sequence of float
        Times, months, for the summary rows.
    confidence : float
        Confidence level.

    Returns
    -------
    CurvesResult
        Survival curves (estimate = probability of no counted event by then).
    """
    events = check_events(events)
    by = None if by is None else check_option("by", by, ("cause",))
    confidence = check_confidence(confidence)
    times = check_times(at_months)
    extra = _check_group(implants, group)
    d = durations(implants, events, extra)
    ll = lifelines()
    curves = []
    for gname, sub in _subsets(d, group):
        causes = [None] if by is None else sorted({c for c in sub["cause"] if c is not None})
        for cause in causes:
            ev = sub["event"] if cause is None else sub["cause"].eq(cause)
            label = "/".join(x for x in (gname, cause) if x is not None) or "all"
            kmf = ll.KaplanMeierFitter(alpha=1 - confidence)
            kmf.fit(sub["months"], ev.astype(bool), label="S")
            et = kmf.event_table
            ci = kmf.confidence_interval_survival_function_
            steps = _steps(label, et.index.to_numpy(float), et["at_risk"].to_numpy(),
                           kmf.survival_function_["S"].to_numpy(), ci.iloc[:, 0].to_numpy(),
                           ci.iloc[:, 1].to_numpy())
            median = float(kmf.median_survival_time_)
            curves.append(Curve(label, gname, cause, len(sub), int(ev.sum()),
                                median if np.isfinite(median) else float("nan"), steps,
                                _at(label, steps, sub["months"].to_numpy(), times)))
    method = ("Kaplan-Meier (Kaplan & Meier 1958), exponential Greenwood interval; by cause: "
              "cause-specific, other causes censored" if by else
              "Kaplan-Meier (Kaplan & Meier 1958), exponential Greenwood interval")
    return CurvesResult("kaplan_meier", "survival", events, confidence, method, tuple(curves))


def _check_group(implants: object, group: str | None) -> list[str]:
    if group is None:
        return []
    require_columns(implants, "implants", [group])
    if implants[group].isna().any():  # type: ignore[index]
        idx = implants.index[implants[group].isna()][0]  # type: ignore[attr-defined, index]
        raise NeuraxisInputError(f"Missing value in 'implants.{group}' (row {row_label(idx)})")
    return [group]


def _aalen_johansen() -> Any:
    """lifelines' Aalen-Johansen fitter without its random tie-breaking.

    lifelines jitters event times at random when causes tie; the estimator and its
    delta-method variance are defined for tied times (each uses the events of every
    cause at a time together), so the jitter only makes results irreproducible.
    """
    ajf = lifelines().AalenJohansenFitter

    class _AJ(ajf):  # type: ignore[misc, valid-type]
        @staticmethod
        def _check_for_duplicates(durations: Any, events: Any) -> bool:
            return False

    return _AJ


def cumulative_incidence(implants: pd.DataFrame, *, events: Sequence[str] = COUNTED_EVENTS,
                         by: str = "cause", at_months: Sequence[float] = (12.0, 24.0),
                         confidence: float = 0.95) -> CurvesResult:
    """Aalen-Johansen cumulative incidence of each competing cause (or event type).

    Parameters
    ----------
    implants : pandas.DataFrame
        The implants table.
    events : sequence of str
        Which events count: ``'explant'`` and/or ``'revision'``.
    by : str
        ``'cause'`` (the competing risks are the causes) or ``'event'`` (explant and
        revision compete).
    at_months : sequence of float
        Times, months, for the summary rows.
    confidence : float
        Confidence level.

    Returns
    -------
    CurvesResult
        One curve per cause (estimate = probability of that cause by then).
    """
    events = check_events(events)
    by = check_option("by", by, ("cause", "event"))
    confidence = check_confidence(confidence)
    times = check_times(at_months)
    d = durations(implants, events)
    if by == "event":
        raw = table(implants, "implants", ["event"])["event"]
        d["cause"] = [e if ok else None for e, ok in zip(raw, d["event"], strict=True)]
    causes = sorted({c for c in d["cause"] if c is not None})
    if not causes:
        raise NeuraxisInputError(
            f"No {' or '.join(events)} in 'implants': there is no incidence to estimate")
    code = np.array([0 if c is None else causes.index(c) + 1 for c in d["cause"]])
    fitter = _aalen_johansen()
    months = d["months"].to_numpy(float)
    curves = []
    for k, cause in enumerate(causes, start=1):
        aj = fitter(alpha=1 - confidence)
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            aj.fit(months, code, event_of_interest=k)
        cif = aj.cumulative_density_.iloc[:, 0]
        ci = aj.confidence_interval_.reindex(cif.index).to_numpy(float)
        # lifelines 0.30 names its two limits the wrong way round: take them by size
        with np.errstate(invalid="ignore"):
            lo, hi = np.fmin(ci[:, 0], ci[:, 1]), np.fmax(ci[:, 0], ci[:, 1])
        est = cif.to_numpy(float)
        lo[est == 0], hi[est == 0] = 0.0, 0.0  # no event yet: the interval is [0, 0]
        steps = _steps(cause, cif.index.to_numpy(float), aj.event_table["at_risk"].to_numpy(),
                       est, lo, hi)
        curves.append(Curve(cause, None, cause, len(d), int((code == k).sum()),
                            float("nan"), steps, _at(cause, steps, months, times)))
    return CurvesResult("cumulative_incidence", "cumulative_incidence", events, confidence,
                        "Aalen-Johansen (Aalen & Johansen 1978), delta-method variance, "
                        "log(-log) interval", tuple(curves))
