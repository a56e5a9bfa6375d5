"""Figures of an SCS result: recruitment curves and the spine cross-section with fibers.

(The body map is :func:`neuraxis.viz.bodymap.plot_body_map`.) matplotlib's object API (no
pyplot state), imported lazily (extra ``plot``). Both take an
:class:`~neuraxis.perception.ScsResult` and use only ``fibers``, ``thresholds``,
``basis``, ``program``, ``curve`` and the threshold properties.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis.viz.field import plot_cross_section


def plot_recruitment(result: Any, path: str | Path) -> Path:
    """Fraction of dorsal-column and dorsal-root fibers recruited vs amplitude (PNG),
    with the perception and discomfort thresholds and the program's amplitude.

    Parameters
    ----------
    result : ScsResult
        Uses ``curve`` (amplitude_ma, dc_fraction, dr_fraction), the thresholds
        (mA), ``usable_range`` and ``program`` (amplitude_ma, pulse_width_us).
    path : str | Path
        Output PNG; its folder is created.

    Returns
    -------
    Path
        The written file.
    """
    soft_import("matplotlib", "plot", "Plotting")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    c = result.curve
    fig = Figure(figsize=(6.4, 4.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(c["amplitude_ma"], np.asarray(c["dc_fraction"]) * 100, color="#1f77b4", lw=2,
            label="dorsal column fibers")
    ax.plot(c["amplitude_ma"], np.asarray(c["dr_fraction"]) * 100, color="#d62728", lw=2,
            label="dorsal root fibers")
    if "dlc_fraction" in c:
        ax.plot(c["amplitude_ma"], np.asarray(c["dlc_fraction"]) * 100, color="#2ca02c",
                lw=1.5, ls="--", label="dorsolateral column fibers (not perceived)")
    marks = [(result.perception_threshold_ma, "perception", "#1f77b4"),
             (result.discomfort_threshold_ma, "discomfort", "#d62728"),
             (result.program.amplitude_ma, "program", "k")]
    for k, (value, label, color) in enumerate(marks):
        if value is not None:  # labels stacked so that close thresholds stay readable
            ax.axvline(value, color=color, ls=":", lw=1)
            ax.annotate(f"{label} {value:.2f} mA", (value, 97 - 7 * k), fontsize=7, color=color,
                        ha="left", va="top", xytext=(3, 0), textcoords="offset points",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.8})
    ur = result.usable_range
    ax.set_title(f"Recruitment ({result.program.pulse_width_us:g} us; usable range "
                 f"{'n/a' if ur is None else f'{ur:.2f}'})", fontsize=9)
    ax.set_xlabel("amplitude (mA, total cathodic current)")
    ax.set_ylabel("fibers recruited (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(c["amplitude_ma"]))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def plot_spine_section(result: Any, path: str | Path, *, half_width_mm: float = 11.0,
                       n: int = 240) -> Path:
    """Cross-section at the strongest cathode: tissues, lead, the program's field, the
    dorsal-column fibers (filled: recruited at the program amplitude) and the
    dorsal-root fibers' paths (projected; solid red: recruited).

    Parameters
    ----------
    result : ScsResult
        Uses ``basis``, ``fibers`` (kind, x_mm, y_mm, paths_mm), ``thresholds`` and
        ``program`` (contacts, amplitude_ma).
    path : str | Path
        Output PNG; its folder is created.
    half_width_mm : float
        Half-width of the window around the canal (mm).
    n : int
        Grid points per side of the field's sampling.

    Returns
    -------
    Path
        The written file.
    """
    soft_import("matplotlib", "plot", "Plotting")
    from matplotlib.collections import LineCollection

    amp = result.program.amplitude_ma
    rec = np.asarray(result.at(amp).recruited, dtype=bool)
    kinds = np.asarray(result.fibers.kind)
    x, y = np.asarray(result.fibers.x_mm), np.asarray(result.fibers.y_mm)
    branch = np.asarray(getattr(result.fibers, "branch", np.full(kinds.size, "")))
    dc = (kinds == "dc") & (branch == "")  # not their collaterals
    dlc = kinds == "dlc"
    dr = np.flatnonzero(kinds == "dr")

    def overlay(ax: Any) -> None:
        ax.scatter(x[dc & ~rec], y[dc & ~rec], s=5, facecolors="none", edgecolors="#555555",
                   linewidths=0.4, label="DC fiber")
        ax.scatter(x[dc & rec], y[dc & rec], s=7, color="#d62728", label="DC fiber, recruited")
        if dlc.any():
            ax.scatter(x[dlc & ~rec], y[dlc & ~rec], s=5, marker="s", facecolors="none",
                       edgecolors="#2ca02c", linewidths=0.4, label="DLC fiber")
            ax.scatter(x[dlc & rec], y[dlc & rec], s=7, marker="s", color="#2ca02c",
                       label="DLC fiber, recruited")
        if dr.size:  # one collection, not one line per root fiber
            paths = [np.asarray(result.fibers.paths_mm[i])[:, :2] for i in dr]
            ax.add_collection(LineCollection(
                paths, linewidths=np.where(rec[dr], 1.0, 0.4),
                colors=np.where(rec[dr], "#d62728", "#777777"), alpha=0.8,
                capstyle="projecting", joinstyle="round"), autolim=False)
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)

    contacts = result.program.contacts
    cz = min(contacts, key=lambda k: contacts[k])
    n_dc, n_dr = int(dc.sum()), int(dr.size)
    title = (f"{amp:g} mA, program " + ", ".join(f"{k} {v:+g}" for k, v in contacts.items())
             + f"; recruited: DC {int((rec & dc).sum())}/{n_dc}, "
             f"DR {int(rec[dr].sum())}/{n_dr} (section at {cz})")
    return plot_cross_section(result.basis, path, program=dict(contacts), overlay=overlay,
                              title=title, half_width_mm=half_width_mm, n=n)
