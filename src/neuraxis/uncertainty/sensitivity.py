"""Summaries of a sweep: each output's median and 90 % interval, and Sobol' indices.

Sobol' first-order (S1) and total-order (ST) indices with their confidence intervals come
from ``SALib.analyze.sobol`` (bootstrap, 95 % by default) on the Saltelli design of
:mod:`~neuraxis.uncertainty.sampling`. The estimators need every row of a base sample's
block (``A_j``, ``AB_1j`` ... ``AB_Dj``, ``B_j``): a block with any failed or undefined
sample is dropped, and the number of blocks used is reported, so the indices describe the
part of the input space where the model gives an answer. An output that does not vary
over the used blocks has no indices (reported as such, not as zeros).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis.uncertainty import EXTRA

#: Percentiles of the reported interval (a central 90 % interval).
INTERVAL_PCT = (5.0, 95.0)


@dataclass(frozen=True)
class OutputSummary:
    """Distribution of one output over the successful samples.

    Attributes
    ----------
    name : str
    unit : str
    n : int
        Samples with a defined value.
    n_undefined : int
        Successful samples where the output is undefined (e.g. no dorsal-root fiber fires
        below the search limit, so no discomfort threshold).
    median, p05, p95 : float | None
    """

    name: str
    unit: str
    n: int
    n_undefined: int
    median: float | None
    p05: float | None
    p95: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.name, "unit": self.unit, "n": self.n,
                "n_undefined": self.n_undefined, "median": self.median, "p05": self.p05,
                "p95": self.p95}


@dataclass(frozen=True)
class SobolResult:
    """Sobol' indices of one output (arrays in the order of ``inputs``).

    ``note`` says why there are no indices (``S1`` etc. are None then).
    """

    output: str
    inputs: tuple[str, ...]
    n_blocks_used: int
    n_blocks: int
    S1: np.ndarray | None = field(default=None, repr=False)
    S1_conf: np.ndarray | None = field(default=None, repr=False)
    ST: np.ndarray | None = field(default=None, repr=False)
    ST_conf: np.ndarray | None = field(default=None, repr=False)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        def lst(a: np.ndarray | None) -> list | None:
            return None if a is None else [None if not np.isfinite(v) else round(float(v), 5)
                                           for v in a]

        return {"output": self.output, "inputs": list(self.inputs),
                "n_blocks_used": self.n_blocks_used, "n_blocks": self.n_blocks,
                "S1": lst(self.S1), "S1_conf": lst(self.S1_conf), "ST": lst(self.ST),
                "ST_conf": lst(self.ST_conf), "note": self.note}

    def rows(self) -> list[dict[str, Any]]:
        """One row per input (for the CSV table)."""
        d = self.to_dict()
        return [{"output": self.output, "input": name,
                 **{k: (None if d[k] is None else d[k][i])
                    for k in ("S1", "S1_conf", "ST", "ST_conf")},
                 "n_blocks_used": self.n_blocks_used, "n_blocks": self.n_blocks,
                 "note": self.note} for i, name in enumerate(self.inputs)]


def summarize(name: str, values: np.ndarray, unit: str = "", *, n_undefined: int = 0
              ) -> OutputSummary:
    """Median and 90 % interval of the finite values of one output."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return OutputSummary(name, unit, 0, n_undefined, None, None, None)
    lo, med, hi = np.percentile(v, [INTERVAL_PCT[0], 50.0, INTERVAL_PCT[1]])
    return OutputSummary(name, unit, int(v.size), n_undefined, float(med), float(lo),
                         float(hi))


def sobol_indices(problem: dict[str, Any], y: np.ndarray, output: str = "y", *,
                  num_resamples: int = 200, conf_level: float = 0.95, seed: int = 0
                  ) -> SobolResult:
    """Sobol' S1 and ST (with confidence intervals) of one output of a Saltelli design.

    Parameters
    ----------
    problem : dict
        SALib problem (``num_vars``, ``names``, ``bounds``).
    y : ndarray (N (D + 2),)
        Output per design row, NaN where failed or undefined.
    output : str
        Output name (reported).
    num_resamples : int
        Bootstrap resamples of the confidence intervals.
    conf_level : float
        Confidence level of the intervals.
    seed : int
        Bootstrap seed.
    """
    names = tuple(problem["names"])
    d = len(names)
    y = np.asarray(y, dtype=float)
    step = d + 2
    if y.ndim != 1 or y.size % step:
        raise ValueError(f"expected N x {step} outputs, got {y.shape}")
    blocks = y.reshape(-1, step)
    keep = np.all(np.isfinite(blocks), axis=1)
    n_blocks, n_used = int(blocks.shape[0]), int(keep.sum())
    res = SobolResult(output, names, n_used, n_blocks)
    if n_used < 2:
        return SobolResult(output, names, n_used, n_blocks,
                           note=f"{n_used} of {n_blocks} base samples have every row defined; "
                                "at least 2 are needed")
    yk = blocks[keep].ravel()
    if np.ptp(yk) == 0:
        return SobolResult(output, names, n_used, n_blocks,
                           note="the output does not vary over the samples")
    analyze = soft_import("SALib.analyze.sobol", EXTRA, "The Sobol' indices")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = analyze.analyze(problem, yk, calc_second_order=False,
                             num_resamples=int(num_resamples), conf_level=float(conf_level),
                             print_to_console=False, seed=int(seed))
    note = "" if n_used == n_blocks else \
        f"{n_blocks - n_used} base sample(s) dropped (a failed or undefined row)"
    return SobolResult(res.output, names, n_used, n_blocks,
                       np.asarray(si["S1"], float), np.asarray(si["S1_conf"], float),
                       np.asarray(si["ST"], float), np.asarray(si["ST_conf"], float), note)
