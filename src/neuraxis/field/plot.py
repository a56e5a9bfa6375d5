"""Cross-section figure of a field basis: tissues, lead (the hole) and potential."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis.field.basis import FieldBasis

_TISSUE_COLORS = {"white_matter": "#f2f2f2", "grey_matter": "#bdbdbd", "csf": "#9ecae1",
                  "dura": "#6a51a3", "epidural_fat": "#fee391", "bone": "#d9d9c3",
                  "surrounding": "#fcbba1", "encapsulation": "#a1d99b", "medium": "#e5f5e0"}


def plot_cross_section(basis: FieldBasis, out: str | Path, contact: str | None = None,
                       half_width_mm: float = 14.0, n: int = 240) -> Path:
    """Write a PNG: tissues at the contact's level (z), with the potential contours.

    Parameters
    ----------
    basis : FieldBasis
    out : path of the PNG
    contact : str, optional
        Contact whose unit field is drawn (default: the first); the section is
        taken through its centre.
    half_width_mm : float
        Half-width of the square window around the canal (mm).
    n : int
        Grid points per side.
    """
    mpl = soft_import("matplotlib", "plot", "Plotting")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    name = contact or basis.contact_names[0]
    basis.weights(contact=name)  # checks the name
    centers = basis.info.get("contact_centers_mm", {})
    _, y_mid, z0 = centers.get(name, (0.0, 0.0, 0.0))
    xs = np.linspace(-half_width_mm, half_width_mm, n)
    ys = np.linspace(y_mid - 1.6 * half_width_mm, y_mid + 0.4 * half_width_mm, n)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z0)])
    loc = basis._locator()
    tet, _ = loc.locate(pts)
    tissue = np.where(tet >= 0, basis.tissue_of_tet[np.maximum(tet, 0)], -1).reshape(gx.shape)
    v = basis.probe(pts, contact=name).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(7, 6.2), dpi=120)
    colors = [_TISSUE_COLORS.get(t, "#cccccc") for t in basis.tissues]
    cmap = ListedColormap(["#ffffff", *colors])
    ax.pcolormesh(gx, gy, tissue + 1, cmap=cmap, vmin=-0.5, vmax=len(colors) + 0.5,
                  shading="auto")
    vmax = np.nanmax(v)
    levels = vmax * np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
    cs = ax.contour(gx, gy, v, levels=levels, colors="k", linewidths=0.7)
    ax.clabel(cs, fmt=lambda x: f"{x * 1e3:.0f} mV", fontsize=7)
    inside_lead = (tet < 0).reshape(gx.shape)
    ax.contourf(gx, gy, inside_lead.astype(float), levels=[0.5, 1.5], colors=["#444444"])
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors]
    ax.legend([*handles, plt.Rectangle((0, 0), 1, 1, color="#444444")],
              [*basis.tissues, "lead / outside"], loc="lower left", fontsize=7, ncol=2)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm, patient's left)")
    ax.set_ylabel("y (mm, dorsal)")
    zi = basis.impedance_kohm[name]
    ax.set_title(f"Contact {name}: potential per mA at z = {z0:.1f} mm "
                 f"(access resistance {zi:.2f} kOhm)", fontsize=9)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
