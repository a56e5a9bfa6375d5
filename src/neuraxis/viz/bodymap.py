"""Body-map figure: back and front views with paresthesia and pain overlaid (PNG).

matplotlib is imported inside :func:`plot_body_map` (``pip install 'neuraxis[plot]'``);
no pyplot, so no global figure state. The drawing and the numbers come from
:mod:`neuraxis.perception.regions` and :mod:`neuraxis.perception.painmap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError
from neuraxis.perception.painmap import (
    PainMap,
    _as_pain_map,
    _check_min_strength,
    _pain_masks,
    _strengths,
    coverage,
)
from neuraxis.perception.regions import (
    EXTENT,
    VIEWS,
    _drawing,
    _raster,
    dermatome_side_names,
)

PAIN_COLOR = "#c62828"
CMAP = "YlGnBu"
#: Dermatomes labelled in each view (on the patient's right side), chosen so that the
#: labels do not crowd: every other trunk band (odd ones on the back, clear of the low-back
#: outline; even ones on the front), the limbs' main strips.
LABELS = {
    "back": ("C2", "C4", "T3", "T5", "T7", "T9", "T11", "L2", "S1", "S2", "L4", "L5",
             "C5", "C6", "C8", "T1"),
    "front": ("C4", "T2", "T4", "T6", "T8", "T10", "T12", "L1", "L2", "L3", "L4", "L5",
              "C5", "C6", "C8", "T1"),
}
TITLES = {"back": "Back (posterior) view", "front": "Front (anterior) view"}


def _patch(mpl_path, mpl_patches, poly: np.ndarray, **kw):
    return mpl_patches.PathPatch(mpl_path.Path(np.vstack([poly, poly[:1]]), closed=True), **kw)


def plot_body_map(paresthesia: Mapping[str, float], path: str | Path, *,
                  pain: PainMap | Sequence[str] | None = None, title: str = "",
                  min_strength: float = 0.0) -> Path:
    """Back and front body map with paresthesia and pain overlaid, as a PNG.

    Paresthesia fills each dermatome with a sequential colour by strength (fraction of
    fibers recruited), the pain map is outlined and hatched in red. Needs matplotlib
    (``pip install 'neuraxis[plot]'``).

    Parameters
    ----------
    paresthesia : Mapping[str, float]
        ``{dermatome_side: strength}`` (fraction of fibers recruited, 0..1), e.g.
        ``ScsResult.at().paresthesia``.
    path : str | Path
        Output PNG file; its folder must exist.
    pain : PainMap | sequence of str | None
        Pain map to overlay; with it the subtitle gives the coverage numbers.
    title : str
        Figure title.
    min_strength : float
        Dermatomes with strength above this are drawn (fraction of fibers).

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> plot_body_map({"L1_left": 0.9}, "body.png", pain=["low_back"])  # doctest: +SKIP
    """
    mpl = soft_import("matplotlib", "plot", "Plotting the body map")
    from matplotlib import patches as mpatches
    from matplotlib import path as mpath
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    out = Path(path)
    if not out.parent.is_dir():
        raise NeuraxisInputError(
            f"Invalid value for 'path'. The folder {str(out.parent)!r} does not exist")
    strengths = _strengths(paresthesia)
    min_strength = _check_min_strength(min_strength)
    pain = None if pain is None else _as_pain_map(pain)
    drawing, raster = _drawing(), _raster()
    names = dermatome_side_names()

    base = mpl.colormaps[CMAP]
    cmap = LinearSegmentedColormap.from_list("paresthesia", base(np.linspace(0.18, 1.0, 256)))
    norm = Normalize(0.0, 1.0)

    fig = Figure(figsize=(8.2, 9.0), dpi=150)
    FigureCanvasAgg(fig)
    xmin, xmax, ymin, ymax = EXTENT
    width = 0.40
    axes = {"back": fig.add_axes((0.04, 0.13, width, 0.755)),
            "front": fig.add_axes((0.46, 0.13, width, 0.755))}
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    for view in VIEWS:
        ax = axes[view]
        ax.set_xlim(xmin + 0.01, xmax - 0.01)
        ax.set_ylim(ymin, ymax + 0.02)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(TITLES[view], fontsize=10, pad=2)
        outline = drawing.outlines[view]
        ax.add_collection(PatchCollection(
            [_patch(mpath, mpatches, p) for p in outline], facecolor="#f3efe9",
            edgecolor="none", zorder=1))
        fills, colours, bounds = [], [], []
        for idx, name in enumerate(names):
            polys = drawing.dermatomes[name].polygons.get(view, ())
            bounds += [_patch(mpath, mpatches, p) for p in polys]
            if strengths[idx] > min_strength:
                fills += [_patch(mpath, mpatches, p) for p in polys]
                colours += [cmap(norm(strengths[idx]))] * len(polys)
        if fills:
            ax.add_collection(PatchCollection(fills, facecolor=colours, edgecolor=colours,
                                              linewidth=0.3, zorder=2))
        ax.add_collection(PatchCollection(bounds, facecolor="none", edgecolor="#8a8a8a",
                                          linewidth=0.35, zorder=3))
        ax.add_collection(PatchCollection(
            [_patch(mpath, mpatches, p) for p in outline], facecolor="none",
            edgecolor="#222222", linewidth=1.1, zorder=6))
        if pain is not None:
            mask = _pain_masks(pain)[view].reshape(raster.shape).astype(float)
            ny, nx = raster.shape
            px = (xmax - xmin) / nx
            xs = xmin + (np.arange(nx) + 0.5) * px
            ys = ymin + (np.arange(ny) + 0.5) * px
            if mask.any():
                hatch = ax.contourf(xs, ys, mask, levels=[0.5, 1.5], colors="none",
                                    hatches=["/////"], zorder=4)
                hatch.set_edgecolor(PAIN_COLOR)
                hatch.set_linewidth(0.0)
                ax.contour(xs, ys, mask, levels=[0.5], colors=PAIN_COLOR, linewidths=1.3,
                           zorder=5)
        # Labels on the patient's right side of each view.
        for derm in LABELS[view]:
            at = drawing.dermatomes[f"{derm}_right"].label_at.get(view)
            if at is not None:
                ax.text(at[0], at[1], derm, fontsize=5.5, ha="center", va="center",
                        color="#333333", zorder=7, path_effects=halo)
        for shape in drawing.non_dermatome.values():
            for poly in shape.polygons.get(view, ()):
                ax.text(poly[:, 0].mean(), poly[:, 1].mean(), "V", fontsize=6,
                        ha="center", va="center", color="#9a9a9a", zorder=7)
        # Patient's sides: in the back view the left is on the viewer's left.
        left_x = drawing.left_x_sign[view] * 0.165
        for side, x in (("L", left_x), ("R", -left_x)):
            ax.text(x, 0.985, side, fontsize=13, fontweight="bold", ha="center",
                    va="center", color="#444444", zorder=7)

    cax = fig.add_axes((0.89, 0.30, 0.022, 0.45))
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.set_label("paresthesia: fraction of fibers recruited", fontsize=8)
    bar.ax.tick_params(labelsize=7)

    handles = [mpatches.Patch(facecolor=cmap(0.6), edgecolor="none",
                              label=f"paresthesia (strength > {min_strength:g})"),
               Line2D([], [], color="#8a8a8a", linewidth=0.6, label="dermatome boundary")]
    if pain is not None:
        handles.insert(0, mpatches.Patch(facecolor="none", edgecolor=PAIN_COLOR,
                                         hatch="/////", linewidth=1.3, label="pain map"))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.47, 0.075),
               ncol=len(handles), fontsize=8, frameon=False)

    title = title or "Body map: paresthesia"
    # one line across the figure: a long title (scenario name, percentile, coverage) gets a
    # smaller font instead of running off both edges
    fig.suptitle(title, fontsize=max(7.0, min(12.0, 12.0 * 85 / max(len(title), 1))),
                 y=0.988)
    if pain is not None:
        res = coverage(pain, paresthesia, min_strength=min_strength)
        listed = ", ".join(pain.names)
        if len(listed) > 110:
            listed = listed[:107].rsplit(",", 1)[0] + ", ..."
        fig.text(0.47, 0.962,
                 f"pain coverage {res.pain_coverage_pct:.0f} % (strength-weighted "
                 f"{res.strength_weighted_coverage_pct:.0f} %); paresthesia outside the pain "
                 f"{res.paresthesia_outside_pain_pct:.0f} %\npain map: {listed}",
                 ha="center", va="top", fontsize=8, linespacing=1.4)
    fig.text(0.02, 0.02,
             f"Dermatome map: {drawing.source}.\nApproximate (verified: false); one dermatome "
             "per point: the physiological overlap of neighbouring dermatomes is not drawn. "
             "Face: trigeminal (not spinal).",
             fontsize=6, color="#555555", ha="left", va="bottom", wrap=True)
    fig.savefig(out, format="png", dpi=150)
    return out
