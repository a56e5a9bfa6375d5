"""Figures of the intrathecal spread model: a run (:func:`plot_spread`, profiles along the
canal and a level x time map) and a dosing schedule (:func:`plot_schedule`, the CSF
concentration over target segments with boluses against the basal infusion alone).

matplotlib is optional (extra ``plot``) and imported inside the functions, which draw
with the object API (:class:`matplotlib.figure.Figure`, no pyplot state).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuraxis._soft_import import soft_import

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neuraxis.pump.spread import ScheduleSpread, SpreadResult

_N_PROFILES = 5


def _profile_times(times_h: np.ndarray, n: int = _N_PROFILES) -> list[int]:
    """Indices of about ``n`` output times spread over the run (never t = 0)."""
    targets = np.geomspace(max(times_h[1], times_h[-1] / 24.0), times_h[-1], n)
    idx = sorted({int(np.argmin(np.abs(times_h - t))) for t in targets} - {0})
    return idx or [len(times_h) - 1]


def _two_panels(height_in: float, dpi: int) -> tuple[Any, Figure, Axes, Axes]:
    """matplotlib and a new figure 12 in wide with two panels, the left one wider.

    Raises :class:`~neuraxis._soft_import.MissingDependencyError` (naming the ``plot``
    extra) when matplotlib is not installed.
    """
    mpl = soft_import("matplotlib", "plot", "Plotting the drug spread")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, height_in), dpi=dpi)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})
    return mpl, fig, left, right


def _write_png(fig: Figure, path: str | Path, **savefig_kwargs: Any) -> Path:
    """Save ``fig`` as ``path`` (parent folders created) and return that path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, **savefig_kwargs)
    return out


def plot_spread(result: SpreadResult, path: str | Path, *, window_cm: float | None = None,
                dpi: int = 120) -> Path:
    """Write a PNG of a :func:`~neuraxis.pump.spread.simulate_spread` result (object API).

    Panel (a): concentration along the canal at several times and the steady state, with
    the vertebral levels marked, the catheter tip and the 10 %-of-peak half-widths.
    Panel (b): mean concentration of each vertebral level (C1 top ... S2 bottom) over time,
    on a logarithmic colour scale spanning three decades below the peak.

    Parameters
    ----------
    result : SpreadResult
        The run to draw.
    path : str or Path
        Output PNG file (parent folders are created).
    window_cm : float, optional
        Half-width of panel (a)'s window around the tip (cm); default: three times the
        largest half-width, at least 6 cm, clipped to the canal.
    dpi : int
        Resolution (dots per inch).

    Returns
    -------
    Path
        The PNG written: the profiles along the canal and the level x time map.
    """
    mpl, fig, ax, axm = _two_panels(5.2, dpi)
    from matplotlib.colors import LogNorm

    r = result
    x_cm = r.x_mm / 10.0
    tip_cm = r.tip_mm / 10.0
    bounds_cm = r.level_boundaries_mm / 10.0
    centers_cm = 0.5 * (bounds_cm[:-1] + bounds_cm[1:])
    if window_cm is None:
        widest = max(float(np.max(r.half_width_rostral_cm)), float(np.max(r.half_width_caudal_cm)))
        window_cm = max(3.0 * widest, 6.0)
    lo, hi = max(tip_cm - window_cm, 0.0), min(tip_cm + window_cm, bounds_cm[-1])

    cmap = mpl.colormaps["viridis"]
    picks = _profile_times(r.times_h)
    for j, i in enumerate(picks):
        shade = cmap(0.15 + 0.7 * j / max(len(picks) - 1, 1))
        ax.plot(x_cm, r.concentration_ug_per_ml[i], color=shade, lw=1.6,
                label=f"{r.times_h[i]:.3g} h")
    ax.plot(x_cm, r.steady_concentration_ug_per_ml, color="k", ls="--", lw=1.0,
            label="steady state")
    peak = float(r.peak_ug_per_ml[-1])
    ax.axvline(tip_cm, color="crimson", lw=1.2)
    ax.annotate("catheter tip", (tip_cm, 1.02 * peak), xytext=(4, 0),
                textcoords="offset points", color="crimson", fontsize=8, va="bottom")
    rost, caud = r.half_width_rostral_cm[-1], r.half_width_caudal_cm[-1]
    ax.hlines(0.1 * peak, tip_cm - rost, tip_cm + caud, color="grey", lw=1.0, ls=":")
    # three short lines in the upper right corner, clear of the tip label
    ax.text(0.98, 0.97, f"10 % of peak at {r.times_h[-1]:g} h\n(dotted): {rost:.2f} cm "
            f"rostral,\n{caud:.2f} cm caudal", transform=ax.transAxes,
            ha="right", va="top", fontsize=8, color="dimgrey")
    for b in bounds_cm:
        if lo <= b <= hi:
            ax.axvline(b, color="0.85", lw=0.6, zorder=0)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0.0, 1.15 * max(peak, float(np.max(r.steady_concentration_ug_per_ml))))
    ax.set_xlabel("distance from the foramen magnum (cm, caudal →)")
    ax.set_ylabel("drug concentration in CSF (µg/mL)")
    top = ax.secondary_xaxis("top")
    shown = [(c, n) for c, n in zip(centers_cm, r.level_names, strict=True) if lo <= c <= hi]
    top.set_xticks([c for c, _ in shown], [n for _, n in shown], fontsize=8)
    top.set_xlabel("vertebral level", fontsize=8)
    ax.legend(title="time", fontsize=8, title_fontsize=8, loc="upper left")
    what = r.drug or "drug"
    ax.set_title(f"(a) {what} {r.dose_mg_per_day:g} mg/day at {r.flow_ml_per_day:g} mL/day, "
                 f"tip {r.tip_level}", fontsize=10, loc="left", pad=22)

    data = np.asarray(r.level_concentration_ug_per_ml, dtype=float).T  # levels x times
    vmax = max(float(np.nanmax(data)), 1e-30)
    norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax)
    t_edges = np.concatenate([[0.0], 0.5 * (r.times_h[1:] + r.times_h[:-1]), [r.times_h[-1]]])
    lv_edges = np.arange(len(r.level_names) + 1) - 0.5
    mesh = axm.pcolormesh(t_edges, lv_edges, np.where(data > 0, data, np.nan), norm=norm,
                          cmap="magma", shading="flat")
    axm.set_facecolor("black")
    axm.set_yticks(np.arange(len(r.level_names)), r.level_names, fontsize=7)
    axm.set_ylim(len(r.level_names) - 0.5, -0.5)  # C1 at the top
    tip_idx = r.level_names.index(r.tip_level)
    axm.annotate("◀ tip", (r.times_h[-1], tip_idx), xytext=(3, 0), textcoords="offset points",
                 color="crimson", fontsize=8, va="center", annotation_clip=False)
    axm.set_xlabel("time since infusion start (h)")
    axm.set_ylabel("vertebral level")
    axm.set_title("(b) mean concentration per vertebral level", fontsize=10, loc="left")
    cb = fig.colorbar(mesh, ax=axm, pad=0.1, fraction=0.05)
    cb.set_label("µg/mL (log scale)")
    p = r.params
    how = ("uniform" if p.dispersion == "uniform"
           else f"oscillatory, mixing ratio {p.mixing_ratio:g}")
    fig.text(0.01, 0.01, f"D_eff at the tip {p.d_eff_m2_per_s:.2g} m²/s ({how}), "
             f"drift {p.drift_um_per_s:g} µm/s "
             f"(+ rostral), CSF t½ {p.half_life_h:g} h, grid {p.grid_mm:g} mm, "
             f"step {p.dt_s:.3g} s", fontsize=7.5, color="dimgrey")

    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _write_png(fig, path)


def plot_schedule(result: ScheduleSpread, path: str | Path, *, window_cm: float | None = None,
                  dpi: int = 120) -> Path:
    """Write a PNG of a :func:`~neuraxis.pump.spread.simulate_schedule` result.

    Panel (a): CSF concentration over the dorsal horn of each target segment against
    time, the schedule (solid) and the basal infusion alone (dashed), with each bolus
    marked (its start, dose and volume) and a late basal start (a bridge bolus).
    Panel (b): the concentration along the canal when the schedule's concentration over
    a target peaks, schedule and basal alone, with the catheter tip and the targets
    marked.

    Parameters
    ----------
    result : ScheduleSpread
        The schedule run to draw, with its boluses.
    path : str or Path
        Output PNG file (parent folders are created).
    window_cm : float, optional
        Half-width of panel (b)'s window around the tip (cm); default: wide enough for
        the targets and 8 cm either side of the tip, clipped to the canal.
    dpi : int
        Resolution (dots per inch).

    Returns
    -------
    Path
        The PNG written: the target concentrations over time and the profile at the
        highest target peak.
    """
    mpl, fig, ax, axp = _two_panels(5.8, dpi)
    r = result
    colours = mpl.colormaps["tab10"]
    sched = np.asarray(r.target_concentration_ug_per_ml)
    basal = np.asarray(r.basal_target_concentration_ug_per_ml)
    for j, seg in enumerate(r.target_segments):
        col = colours(j % 10)
        ax.plot(r.times_h, sched[:, j], color=col, lw=1.7, label=f"{seg}, with boluses")
        ax.plot(r.times_h, basal[:, j], color=col, lw=1.2, ls="--", label=f"{seg}, basal only")
    top = max(float(sched.max()) if sched.size else 0.0, 1e-12)
    for t0, dose, vol, minutes in zip(r.bolus_times_h, r.bolus_doses_mg, r.bolus_volumes_ml,
                                      r.bolus_durations_min, strict=True):
        if dose <= 0.0:
            continue
        ax.axvspan(t0, t0 + minutes / 60.0, color="crimson", alpha=0.25, lw=0)
        ax.axvline(t0, color="crimson", lw=0.8, alpha=0.7)
        ax.annotate(f"{dose:.3g} mg\n{vol:.3g} mL", (t0, 0.985),
                    xycoords=("data", "axes fraction"), xytext=(3, 0),
                    textcoords="offset points", color="crimson", fontsize=7, va="top",
                    ha="left")
    if r.basal_start_h > 0.0:
        ax.axvline(r.basal_start_h, color="dimgrey", lw=0.9, ls="-.")
        ax.annotate("basal starts", (r.basal_start_h, 0.02), xycoords=("data", "axes fraction"),
                    xytext=(3, 0), textcoords="offset points", color="dimgrey", fontsize=7)
    ax.set_xlim(0.0, float(r.times_h[-1]))
    ax.set_ylim(0.0, 1.25 * top)
    ax.set_xlabel("time since the schedule starts (h)")
    ax.set_ylabel("CSF concentration over the dorsal horn (µg/mL)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=min(2 * len(r.target_segments), 4), frameon=False)
    what = r.drug or "drug"
    ax.set_title(f"(a) {what}: basal {r.dose_mg_per_day:g} mg/day at "
                 f"{r.flow_ml_per_day:g} mL/day, tip {r.tip_level}; "
                 f"{int(np.sum(r.bolus_doses_mg > 0))} bolus(es) (red)", fontsize=10,
                 loc="left", pad=22)

    x_cm = r.x_mm / 10.0
    tip_cm = r.tip_mm / 10.0
    bounds_cm = r.level_boundaries_mm / 10.0
    i_peak = int(np.argmax(sched.max(axis=1))) if sched.size else len(r.times_h) - 1
    if window_cm is None:
        reach = [abs(m / 10.0 - tip_cm) for m in r.target_mm]
        window_cm = max([8.0, *(d + 3.0 for d in reach)])
    lo, hi = max(tip_cm - window_cm, 0.0), min(tip_cm + window_cm, float(bounds_cm[-1]))
    axp.plot(x_cm, r.concentration_ug_per_ml[i_peak], color="k", lw=1.7,
             label="with boluses")
    axp.plot(x_cm, r.basal_concentration_ug_per_ml[i_peak], color="k", lw=1.2, ls="--",
             label="basal only")
    axp.axvline(tip_cm, color="crimson", lw=1.2)
    ymax = 1.2 * max(float(r.concentration_ug_per_ml[i_peak].max()), 1e-12)
    axp.annotate("catheter tip", (tip_cm, 0.02 * ymax), xytext=(3, 0),
                 textcoords="offset points", color="crimson", fontsize=8)
    for j, (seg, m) in enumerate(zip(r.target_segments, r.target_mm, strict=True)):
        axp.axvline(m / 10.0, color=colours(j % 10), lw=1.0, ls=":")
        axp.annotate(f"segment {seg}", (m / 10.0, ymax * (0.95 - 0.07 * (j % 4))),
                     xytext=(3, 0), textcoords="offset points", color=colours(j % 10),
                     fontsize=8)
    for b in bounds_cm:
        if lo <= b <= hi:
            axp.axvline(b, color="0.88", lw=0.6, zorder=0)
    centers = 0.5 * (bounds_cm[:-1] + bounds_cm[1:])
    sec = axp.secondary_xaxis("top")
    shown = [(c, n) for c, n in zip(centers, r.level_names, strict=True) if lo <= c <= hi]
    sec.set_xticks([c for c, _ in shown], [n for _, n in shown], fontsize=7)
    sec.set_xlabel("vertebral level", fontsize=8)
    axp.set_xlim(lo, hi)
    axp.set_ylim(0.0, ymax)
    axp.set_xlabel("distance from the foramen magnum (cm, caudal →)")
    axp.set_ylabel("CSF concentration (µg/mL)")
    axp.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
               frameon=False)
    axp.set_title(f"(b) along the canal at {r.times_h[i_peak]:.3g} h (highest target peak)",
                  fontsize=10, loc="left", pad=22)
    p = r.params
    phase = "until cleared" if r.bolus_phase_h is None else f"for {r.bolus_phase_h:g} h"
    fig.text(0.01, 0.01, f"dispersion {p.dispersion} (infusion mixing ratio "
             f"{p.mixing_ratio:g}; boluses "
             + ", ".join(f"{k:.3g}" for k in r.bolus_mixing_ratios[:4])
             + f" {phase}), CSF t½ {p.half_life_h:g} h, grid {p.grid_mm:g} mm, "
             f"step {p.dt_s:.3g} s. CSF over the segment, no cord compartment.",
             fontsize=7.5, color="dimgrey")

    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _write_png(fig, path)


def plot_bridge(with_bridge: ScheduleSpread, without_bridge: ScheduleSpread,
                path: str | Path, *, bridge_h: float, window_h: float,
                dpi: int = 120) -> Path:
    """Concentration over the target segments after a concentration change, with the
    bridge bolus (solid) and without it (dashed: the old drug in the dead space runs at
    the new, lower rate for the window).

    Parameters
    ----------
    with_bridge, without_bridge : ScheduleSpread
        The two :func:`~neuraxis.pump.spread.simulate_schedule` runs (same targets).
    path : str or Path
        Output PNG.
    bridge_h, window_h : float
        Length of the bridge and of the window without it (h), shaded.
    """
    soft_import("matplotlib", "plot", "Plotting the drug spread")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.axvspan(0, bridge_h, color="tab:green", alpha=0.12, label=f"bridge ({bridge_h:.3g} h)")
    ax.axvspan(0, window_h, color="tab:red", alpha=0.06,
               label=f"window without bridge ({window_h:.3g} h)")
    for k, seg in enumerate(with_bridge.target_segments):
        color = f"C{k}"
        ax.plot(with_bridge.times_h, with_bridge.target_concentration_ug_per_ml[:, k],
                color=color, label=f"{seg}, with bridge")
        ax.plot(without_bridge.times_h, without_bridge.target_concentration_ug_per_ml[:, k],
                color=color, ls="--", label=f"{seg}, without bridge")
    ax.set_xlabel("time since the refill (h)")
    ax.set_ylabel(f"{with_bridge.drug} in the CSF over the dorsal horn (µg/mL)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"Concentration change at refill: {with_bridge.drug}, tip "
                 f"{with_bridge.tip_level} (both runs start from drug-free CSF)", fontsize=10)
    return _write_png(fig, path, dpi=dpi)
