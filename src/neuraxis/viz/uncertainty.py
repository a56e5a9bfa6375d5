"""Figures of an uncertainty sweep (matplotlib object API, imported lazily; extra ``plot``).

* :func:`plot_uncertainty`: one PNG, top row the median and central 90 % interval of each
  output, bottom row its Sobol' first-order (S1) and total-order (ST) indices with their
  confidence intervals;
* :func:`plot_coverage_maps`: body maps of the 5th, 50th and 95th percentile of each
  dermatome's paresthesia strength over the samples, with the pain map outlined. The
  body map (:func:`neuraxis.viz.bodymap.plot_body_map`) draws a whole figure of its own,
  so the three maps are three files rather than panels of the summary figure.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from neuraxis._soft_import import soft_import

_LABELS = {"perception_threshold_ma": "perception threshold (mA)",
           "discomfort_threshold_ma": "discomfort threshold (mA)",
           "usable_range": "usable range (DT / PT)", "pain_coverage_pct": "pain coverage (%)"}


def plot_uncertainty(result: Any, path: str | Path) -> Path:
    """Medians with 90 % intervals and Sobol' indices of every output (PNG).

    Parameters
    ----------
    result : UncertaintyResult
        Uses ``summaries`` (median, p05, p95, n), ``sobol`` (S1, ST and their
        confidence intervals per input) and ``plan.scenario.name``.
    path : str | Path
        Output PNG; its folder is created.

    Returns
    -------
    Path
        The written file.
    """
    soft_import("matplotlib", "plot", "Plotting the uncertainty sweep")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(result.summaries)
    n = max(len(names), 1)
    fig = Figure(figsize=(3.3 * n, 6.6), dpi=120)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, n, squeeze=False)
    for j, name in enumerate(names):
        s = result.summaries[name]
        ax = axes[0, j]
        if s.median is not None:
            ax.errorbar([0], [s.median], yerr=[[s.median - s.p05], [s.p95 - s.median]],
                        fmt="o", color="#1f77b4", capsize=8, lw=2, ms=7)
            ax.annotate(f"{s.median:.3g}\n[{s.p05:.3g}, {s.p95:.3g}]", (0, s.median),
                        xytext=(12, 0), textcoords="offset points", fontsize=8, va="center")
        else:
            ax.text(0.5, 0.5, "no defined value", transform=ax.transAxes, ha="center")
        ax.set_xlim(-0.6, 1.2)
        ax.set_xticks([])
        ax.set_title(f"{_LABELS.get(name, name)}\nn = {s.n}" +
                     (f", {s.n_undefined} undefined" if s.n_undefined else ""), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        sob = result.sobol.get(name)
        ax = axes[1, j]
        if sob is None or sob.S1 is None:
            note = "\n".join(textwrap.wrap(sob.note, 34)) if sob is not None else ""
            ax.text(0.5, 0.5, "no indices" + (f":\n{note}" if note else ""),
                    transform=ax.transAxes, ha="center", va="center", fontsize=7)
            ax.set_axis_off()
            continue
        k = np.arange(len(sob.inputs))
        ax.barh(k - 0.2, sob.S1, 0.4, xerr=sob.S1_conf, color="#1f77b4", label="S1",
                error_kw={"lw": 0.8, "capsize": 2})
        ax.barh(k + 0.2, sob.ST, 0.4, xerr=sob.ST_conf, color="#ff7f0e", label="ST",
                error_kw={"lw": 0.8, "capsize": 2})
        ax.set_yticks(k)
        ax.set_yticklabels(sob.inputs if j == 0 else [""] * len(k), fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlim(min(-0.1, float(np.nanmin(sob.S1 - sob.S1_conf))),
                    max(1.05, float(np.nanmax(sob.ST + sob.ST_conf))))
        ax.set_xlabel("Sobol' index", fontsize=8)
        ax.set_title(f"base samples used {sob.n_blocks_used}/{sob.n_blocks}", fontsize=7)
        ax.grid(axis="x", alpha=0.3)
        if j == 0:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{result.plan.scenario.name}: median and 90 % interval (top), Sobol' "
                 "indices with 95 % confidence intervals (bottom)", fontsize=9)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def plot_coverage_maps(result: Any, folder: str | Path) -> dict[str, Path]:
    """Body maps of the 5th, 50th and 95th percentile paresthesia per dermatome.

    Parameters
    ----------
    result : UncertaintyResult
        Uses ``coverage_maps`` (``'p05'``, ``'p50'``, ``'p95'``: dermatome -> strength),
        ``plan.scenario.pain`` and ``summaries['pain_coverage_pct']``.
    folder : str | Path
        Existing folder; files ``body_map_p05.png``, ``body_map_p50.png``,
        ``body_map_p95.png``.

    Returns
    -------
    dict
        ``'p05'`` etc. -> written file (empty when no sample succeeded).
    """
    from neuraxis.viz.bodymap import plot_body_map

    folder = Path(folder)
    cov = result.summaries.get("pain_coverage_pct")
    out = {}
    what = {"p05": "5th percentile", "p50": "median", "p95": "95th percentile"}
    for key, label in what.items():
        m = result.coverage_maps.get(key)
        if not m:
            continue
        extra = "" if cov is None or cov.median is None else \
            f"; pain coverage median {cov.median:.0f} % [{cov.p05:.0f}, {cov.p95:.0f}]"
        out[key] = plot_body_map(m, folder / f"body_map_{key}.png", pain=result.plan.scenario.pain,
                                 title=f"{result.plan.scenario.name}: paresthesia, {label} "
                                       f"per dermatome{extra}")
    return out
