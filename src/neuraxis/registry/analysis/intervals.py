"""Confidence intervals of the registry analyses, each with its source.

* :func:`wilson_interval`: a proportion (responder rates, MCID improvement); Wilson
  1927, J Am Stat Assoc 22:209-212; recommended over the Wald interval for small
  samples by Newcombe 1998, Stat Med 17:857-872 and Brown, Cai & DasGupta 2001, Stat
  Sci 16:101-133.
* :func:`poisson_exact_interval`: an event rate per person-time (complication rates);
  the exact (Garwood 1936, Biometrika 28:437-442) limits written with chi-square
  quantiles as in Ulm 1990, Am J Epidemiol 131:373-375.
* :func:`t_interval`: a mean (change from baseline); Student's t with n - 1 degrees of
  freedom.

Examples
--------
>>> low, high = wilson_interval(7, 10)
>>> round(low, 4), round(high, 4)
(0.3968, 0.8922)
>>> low, high = poisson_exact_interval(3, 10.0)
>>> round(low, 4), round(high, 4)
(0.0619, 0.8767)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_range

_NAN = float("nan")


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    The limits solve ``|p_hat - p| = z * sqrt(p (1 - p) / n)`` for ``p`` (Wilson 1927, J
    Am Stat Assoc 22:209-212): centre ``(p_hat + z^2 / 2n) / (1 + z^2 / n)``, half-width
    ``z / (1 + z^2 / n) * sqrt(p_hat (1 - p_hat) / n + z^2 / 4n^2)``, no continuity
    correction.

    Parameters
    ----------
    successes : int
        Number of successes (responders), ``0 <= successes <= n``.
    n : int
        Number of trials (patients in the denominator).
    confidence : float
        Two-sided confidence level, e.g. 0.95.

    Returns
    -------
    tuple of float
        Lower and upper limit as proportions (0-1); ``(nan, nan)`` when ``n == 0``.
    """
    n = check_int("n", n, 0)
    x = check_int("successes", successes, 0, n)
    if n == 0:
        return _NAN, _NAN
    z = _z(confidence)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_exact_interval(count: int, exposure: float = 1.0,
                           confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) confidence interval of a Poisson rate.

    For ``k`` events the limits of the expected count are ``chi2(a/2; 2k) / 2`` and
    ``chi2(1 - a/2; 2k + 2) / 2`` (lower limit 0 for ``k = 0``), divided by the exposure
    (Garwood 1936, Biometrika 28:437-442; in this form Ulm 1990, Am J Epidemiol
    131:373-375).

    Parameters
    ----------
    count : int
        Number of events.
    exposure : float
        Person-time (e.g. patient-years); the limits are events per unit of it.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of float
        Lower and upper limit of the rate, events per unit exposure.
    """
    from scipy.stats import chi2

    k = check_int("count", count, 0)
    t = float(check_range("exposure", exposure, 0.0, None, low_inclusive=False))
    a = 1 - confidence
    low = 0.0 if k == 0 else float(chi2.ppf(a / 2, 2 * k)) / 2
    high = float(chi2.ppf(1 - a / 2, 2 * k + 2)) / 2
    return low / t, high / t


def t_interval(values: Sequence[float] | np.ndarray,
               confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Mean with a Student-t confidence interval.

    ``mean +/- t(1 - a/2; n - 1) * sd / sqrt(n)`` with the sample standard deviation
    (``n - 1`` denominator).

    Parameters
    ----------
    values : array-like of float
        The observations (NaN is refused; drop missing values first).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    tuple of float
        ``(mean, sd, low, high)``; ``sd``, ``low`` and ``high`` are NaN for fewer than 2
        values, everything is NaN for none.
    """
    from scipy.stats import t as student_t

    x = np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise NeuraxisInputError("Invalid value for 'values': NaN is not an observation")
    n = x.size
    if n == 0:
        return _NAN, _NAN, _NAN, _NAN
    mean = float(x.mean())
    if n < 2:
        return mean, _NAN, _NAN, _NAN
    sd = float(x.std(ddof=1))
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON types: NaN and infinity become ``None``, numpy scalars
    Python numbers, timestamps ISO text, dataclasses their ``to_dict()``."""
    if is_dataclass(value) and not isinstance(value, type):
        return value.to_dict()  # type: ignore[attr-defined]
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def row_dict(row: Any) -> dict[str, Any]:
    """A flat dataclass row as a JSON-ready dict (field order kept)."""
    return {f.name: json_ready(getattr(row, f.name)) for f in fields(row)}


class DictRow:
    """Base of the frozen dataclass rows of the results: :meth:`to_dict` by :func:`row_dict`."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (NaN -> None)."""
        return row_dict(self)


def rows_frame(rows: Sequence[Any], row_type: type) -> Any:
    """Rows (flat dataclasses) as a pandas DataFrame, NaN kept for missing values.

    Parameters
    ----------
    rows : sequence of dataclass instances
        The rows, each an instance of ``row_type``.
    row_type : type
        Their dataclass: its fields are the columns, in order (so no rows still give
        the columns).

    Returns
    -------
    pandas.DataFrame
        One row per item of ``rows``.
    """
    from neuraxis.registry.analysis.tables import pandas

    pd = pandas()
    columns = [f.name for f in fields(row_type)]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows],
                        columns=columns)
