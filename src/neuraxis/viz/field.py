"""Cross-section figure of a field basis: tissues, lead (the hole) and potential (PNG).

matplotlib's object API (no pyplot state), imported lazily (extra ``plot``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis.field.basis import FieldBasis
from neuraxis.field.probe import evaluate_located

_TISSUE_COLORS = {"white_matter": "#f2f2f2", "grey_matter": "#bdbdbd", "csf": "#9ecae1",
                  "dura": "#6a51a3", "epidural_fat": "#fee391", "bone": "#d9d9c3",
                  "surrounding": "#fcbba1", "encapsulation": "#a1d99b", "medium": "#e5f5e0"}


def plot_cross_section(basis: FieldBasis, path: str | Path, *, contact: str | None = None,
                       program: dict[str, float] | None = None, z_mm: float | None = None,
                       half_width_mm: float = 14.0, n: int = 240,
                       overlay: Callable | None = None, title: str | None = None) -> Path:
    """Write a PNG: tissues at a contact's level (z), with the potential's contours.

    Parameters
    ----------
    basis : FieldBasis
        The field basis (potentials per mA of each contact).
    path : str | Path
        Output PNG; its folder is created.
    contact : str, optional
        Contact whose unit field is drawn (default: the first); the section is taken
        through its centre.
    program : dict, optional
        Signed contact fractions: draw the program's field (per mA of amplitude)
        instead of one contact's; negative potentials dashed.
    z_mm : float, optional
        Level of the section (mm along the cord; default: the contact's centre, or the
        program's strongest cathode's).
    half_width_mm : float
        Half-width of the square window around the canal (mm).
    n : int
        Grid points per side.
    overlay : callable, optional
        ``overlay(ax)`` draws more on the axes (e.g. fibers).
    title : str, optional
        Figure title (default: the contact, level and access resistance).

    Returns
    -------
    Path
        The written file.
    """
    soft_import("matplotlib", "plot", "Plotting")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, LogNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    if program is not None:
        weights = basis.weights(program)  # checks the names
        name = min(program, key=lambda k: program[k])  # the strongest cathode
    else:
        name = contact or basis.contact_names[0]
        weights = basis.weights(contact=name)  # checks the name
    centers = basis.info.get("contact_centers_mm", {})
    _, y_mid, z0 = centers.get(name, (0.0, 0.0, 0.0))
    if z_mm is not None:
        z0 = float(z_mm)
    xs = np.linspace(-half_width_mm, half_width_mm, n)
    ys = np.linspace(y_mid - 1.6 * half_width_mm, y_mid + 0.4 * half_width_mm, n)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z0)])
    # Locate the grid once: the tissue map and the potential share the tetrahedra.
    tet, bary = basis._locator().locate(pts)
    tissue = np.where(tet >= 0, basis.tissue_of_tet[np.maximum(tet, 0)], -1).reshape(gx.shape)
    v = evaluate_located(tet, bary, basis.element_dofs,
                         basis.potentials_v_per_ma @ weights[:, None])[:, 0].reshape(gx.shape)

    fig = Figure(figsize=(7.8, 6.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colors = [_TISSUE_COLORS.get(t, "#cccccc") for t in basis.tissues]
    cmap = ListedColormap(["#ffffff", *colors])
    ax.pcolormesh(gx, gy, tissue + 1, cmap=cmap, vmin=-0.5, vmax=len(colors) + 0.5,
                  shading="auto")
    # Log-spaced levels coloured by a log colour bar, no inline labels: the potential
    # falls by decades within a few mm of the contact, where labels would pile up.
    vmax = float(np.nanmax(np.abs(v)))
    levels = np.geomspace(0.01 * vmax, 0.8 * vmax, 11)
    norm = LogNorm(vmin=levels[0], vmax=levels[-1])
    for sign, style in ((1.0, "solid"), (-1.0, "dashed")):
        if np.nanmax(sign * v) > levels[0]:
            part = np.where(sign * v > 0, sign * v, np.nan)  # one sign at a time
            ax.contour(gx, gy, part, levels=levels, cmap="viridis", norm=norm,
                       linewidths=1.1, linestyles=style)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap="viridis"), ax=ax, shrink=0.8, pad=0.02)
    bar.set_label("|potential| (mV per mA; dashed: negative)" if program is not None
                  else "potential (mV per mA of contact current)")
    bar.ax.minorticks_off()  # a log bar spanning < 2 decades otherwise labels minor ticks
    bar.set_ticks(levels[::2])
    bar.set_ticklabels([f"{x * 1e3:.0f}" if x >= 0.1 else f"{x * 1e3:.2g}"
                        for x in levels[::2]])
    inside_lead = (tet < 0).reshape(gx.shape)
    ax.contourf(gx, gy, inside_lead.astype(float), levels=[0.5, 1.5], colors=["#444444"])
    for c in (program or {name: -1.0}):
        cx, cy, cz = centers.get(c, (np.nan, np.nan, np.nan))
        if abs(cz - z0) > 2.0:  # only the contacts this section cuts
            continue
        ax.plot([cx], [cy], marker="*", color="#f0b400", markeredgecolor="k", markersize=12,
                linestyle="none")
        ax.annotate(c, (cx, cy), xytext=(6, 6), textcoords="offset points", fontsize=8,
                    color="#f0b400", fontweight="bold")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in (*colors, "#444444")]
    legend = ax.legend(handles, [*basis.tissues, "lead / outside"], loc="lower left",
                       fontsize=7, ncol=2)
    ax.add_artist(legend)  # kept when an overlay adds its own legend
    if overlay is not None:
        overlay(ax)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm, patient's left)")
    ax.set_ylabel("y (mm, dorsal)")
    zi = basis.impedance_kohm[name]
    ax.set_title(title or f"Contact {name} (star): potential per mA at z = {z0:.1f} mm "
                 f"(access resistance {zi:.2f} kOhm)", fontsize=9)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    return out
