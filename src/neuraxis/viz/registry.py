"""Figures of the registry report: responders and change by visit, device survival.

matplotlib is optional (extra ``plot``) and imported inside each function, which draws
with the object API (:class:`matplotlib.figure.Figure`, no pyplot state) and returns the
path written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuraxis._soft_import import soft_import

_PURPOSE = "Plotting the registry report"


def _figure(size: tuple[float, float]) -> Any:
    soft_import("matplotlib", "plot", _PURPOSE)
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def _save(fig: Any, path: str | Path, dpi: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def plot_responders(result: Any, path: str | Path, *, dpi: int = 120) -> Path:
    """Responder rate by visit (intention to treat and per protocol) with 95 % CIs.

    Parameters
    ----------
    result : ResponderResult
        From :func:`neuraxis.registry.analysis.responder_rates`.
    path : str or Path
        Output PNG.
    """
    df = result.to_frame()
    fig = _figure((6.4, 3.6))
    ax = fig.add_subplot()
    for kind, offset, label in (("itt", -0.12, "intention to treat (missing = no)"),
                                ("pp", 0.12, "per protocol (observed)")):
        x = df["month"].to_numpy(float) + offset
        y = 100 * df[f"rate_{kind}"].to_numpy(float)
        lo = y - 100 * df[f"ci_low_{kind}"].to_numpy(float)
        hi = 100 * df[f"ci_high_{kind}"].to_numpy(float) - y
        ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label=label)
    ax.set_xlabel("months after implant")
    ax.set_ylabel("responders (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(df["month"].to_numpy(float))
    ax.set_title(f"Responders: {result.definition.describe()}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path, dpi)


def plot_change(results: dict[str, Any], path: str | Path, *, dpi: int = 120) -> Path:
    """Mean change from baseline by visit with 95 % CIs, one panel per score.

    Parameters
    ----------
    results : dict of str to ChangeResult
        Score column -> :func:`neuraxis.registry.analysis.change_from_baseline` result.
    """
    from neuraxis.registry.analysis.tables import SCORES

    n = max(len(results), 1)
    ncols = min(2, n)
    nrows = -(-n // ncols)
    fig = _figure((3.6 * ncols, 2.9 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(results):]:
        ax.set_visible(False)
    for ax, (score, res) in zip(axes, results.items(), strict=False):
        df = res.to_frame()
        x = df["month"].to_numpy(float)
        y = df["change_mean"].to_numpy(float)
        ax.errorbar(x, y, yerr=[y - df["ci_low"].to_numpy(float),
                                df["ci_high"].to_numpy(float) - y], marker="o", capsize=3)
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xticks(x)
        ax.set_xlabel("months after implant")
        spec = SCORES.get(score)
        ax.set_title(f"{spec.label} ({spec.unit or 'index'})" if spec else score, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[::ncols]:
        ax.set_ylabel("change from baseline")
    return _save(fig, path, dpi)


def plot_survival(result: Any, path: str | Path, *, dpi: int = 120,
                  ylabel: str = "free of explant or revision (%)") -> Path:
    """Step curves with their 95 % bands: Kaplan-Meier device survival (free of explant
    or revision), or with ``ylabel`` the cumulative incidence of each cause.

    Parameters
    ----------
    result : CurvesResult
        From :func:`neuraxis.registry.analysis.kaplan_meier` or
        :func:`~neuraxis.registry.analysis.cumulative_incidence`.
    ylabel : str
        The quantity plotted, in %.
    """
    fig = _figure((6.4, 3.6))
    ax = fig.add_subplot()
    for curve in result.curves:
        pts = curve.steps
        t = [p.month for p in pts]
        ax.step(t, [100 * p.estimate for p in pts], where="post", label=curve.label)
        ax.fill_between(t, [100 * p.ci_low for p in pts], [100 * p.ci_high for p in pts],
                        step="post", alpha=0.2)
    ax.set_xlabel("months after implant")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 102 if "free" in ylabel else None)
    ax.grid(alpha=0.3)
    if len(result.curves) > 1:
        ax.legend(fontsize=8)
    return _save(fig, path, dpi)
