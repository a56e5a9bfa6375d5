"""The axis-aligned ellipses the spine's cross-section is made of (cord, sac, canal), and
the smallest gap between two of them (mm). Pure geometry: no anatomy values here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ellipse:
    """Axis-aligned ellipse in the (x, y) cross-section (mm)."""

    center_x_mm: float
    center_y_mm: float
    semi_x_mm: float
    semi_y_mm: float

    def grown(self, d_mm: float) -> Ellipse:
        """The ellipse with both semi-axes grown by ``d_mm`` (same centre)."""
        return Ellipse(self.center_x_mm, self.center_y_mm, self.semi_x_mm + d_mm,
                       self.semi_y_mm + d_mm)

    def top_y_mm(self, x_mm: np.ndarray | float) -> np.ndarray:
        """Dorsal surface height y(x) (mm); NaN where |x - centre| > semi-axis."""
        u = (np.asarray(x_mm, dtype=float) - self.center_x_mm) / self.semi_x_mm
        with np.errstate(invalid="ignore"):
            return self.center_y_mm + self.semi_y_mm * np.sqrt(1.0 - u * u)

    def point_mm(self, angle_from_dorsal_rad: np.ndarray | float, side: float = 1.0
                 ) -> np.ndarray:
        """Surface points at parametric angles measured from the dorsal midline.

        ``side`` = +1 goes towards +x (patient's left), -1 towards -x. Returns (..., 2).
        """
        a = np.asarray(angle_from_dorsal_rad, dtype=float)
        return np.stack([self.center_x_mm + side * self.semi_x_mm * np.sin(a),
                         self.center_y_mm + self.semi_y_mm * np.cos(a)], axis=-1)

    def points_mm(self, n: int = 720) -> np.ndarray:
        """``n`` points around the ellipse, shape (n, 2)."""
        return self.point_mm(np.linspace(0.0, 2.0 * np.pi, n, endpoint=False))

    def level(self, xy_mm: np.ndarray) -> np.ndarray:
        """Implicit value ((x-cx)/ax)^2 + ((y-cy)/ay)^2: < 1 inside, > 1 outside."""
        xy = np.asarray(xy_mm, dtype=float)
        return (((xy[..., 0] - self.center_x_mm) / self.semi_x_mm) ** 2
                + ((xy[..., 1] - self.center_y_mm) / self.semi_y_mm) ** 2)


def gap_mm(inner: Ellipse, outer: Ellipse, n: int = 720) -> float:
    """Smallest distance from ``inner`` to ``outer`` (negative if not contained), mm."""
    p = inner.points_mm(n)
    q = outer.points_mm(n)
    d = np.sqrt(((p[:, None, :] - q[None, :, :]) ** 2).sum(-1)).min()
    return float(d if np.all(outer.level(p) < 1.0) else -d)
