"""Figures of an SCS run: recruitment curves and the spine cross-section with fibers.

(The body map is :func:`neuraxis.perception.bodymap.plot_body_map`.) matplotlib is
imported lazily (extra ``plot``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuraxis._soft_import import soft_import


def _plt():  # noqa: ANN202
    mpl = soft_import("matplotlib", "plot", "Plotting")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recruitment(result, path: str | Path) -> Path:  # noqa: ANN001
    """Fraction of dorsal-column and dorsal-root fibers recruited vs amplitude (PNG),
    with the perception and discomfort thresholds and the program's amplitude."""
    plt = _plt()
    c = result.curve
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.plot(c["amplitude_ma"], np.asarray(c["dc_fraction"]) * 100, color="#1f77b4", lw=2,
            label="dorsal column fibers")
    ax.plot(c["amplitude_ma"], np.asarray(c["dr_fraction"]) * 100, color="#d62728", lw=2,
            label="dorsal root fibers")
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_spine_section(result, path: str | Path) -> Path:  # noqa: ANN001
    """Cross-section at the strongest cathode: tissues, lead, the program's field, the
    dorsal-column fibers (filled: recruited at the program amplitude) and the
    dorsal-root fibers' paths (projected; solid red: recruited)."""
    from neuraxis.field.plot import plot_cross_section

    rec = result.thresholds.recruited(result.program.amplitude_ma)
    kinds = np.asarray(result.fibers.kind)
    x, y = np.asarray(result.fibers.x_mm), np.asarray(result.fibers.y_mm)

    def overlay(ax) -> None:  # noqa: ANN001
        dc = kinds == "dc"
        ax.scatter(x[dc & ~rec], y[dc & ~rec], s=5, facecolors="none", edgecolors="#555555",
                   linewidths=0.4, label="DC fiber")
        ax.scatter(x[dc & rec], y[dc & rec], s=7, color="#d62728", label="DC fiber, recruited")
        for i in np.flatnonzero(kinds == "dr"):
            p = result.fibers.paths_mm[i]
            ax.plot(p[:, 0], p[:, 1], lw=1.0 if rec[i] else 0.4,
                    color="#d62728" if rec[i] else "#777777", alpha=0.8)
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)

    cz = min(result.program.contacts, key=lambda k: result.program.contacts[k])
    n_dc, n_dr = int((kinds == "dc").sum()), int((kinds == "dr").sum())
    title = (f"{result.program.amplitude_ma:g} mA, program "
             + ", ".join(f"{k} {v:+g}" for k, v in result.program.contacts.items())
             + f"; recruited: DC {int((rec & (kinds == 'dc')).sum())}/{n_dc}, "
             f"DR {int((rec & (kinds == 'dr')).sum())}/{n_dr} (section at {cz})")
    return plot_cross_section(result.basis, path, program=result.program.contacts,
                              overlay=overlay, title=title, half_width_mm=11.0)
