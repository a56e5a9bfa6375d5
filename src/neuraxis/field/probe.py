"""Point location and P2 evaluation on a tetrahedral mesh.

A KD-tree over the tetrahedra's centroids proposes candidates; barycentric
coordinates decide containment. (scikit-fem's default finder falls back to a
dense points x elements search when a point is missing from its candidates,
which can exhaust memory on large meshes.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

#: Edges of a tetrahedron in the local order of the P2 edge DOFs.
TET_EDGES = ((0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3))


@dataclass(frozen=True, eq=False)
class PointLocator:
    """Finds the tetrahedron containing each query point.

    Parameters
    ----------
    points_mm : ndarray (3, n_points)
    tets : ndarray of int (4, n_tets)
    """

    points_mm: np.ndarray
    tets: np.ndarray

    def __post_init__(self) -> None:
        v = self.points_mm[:, self.tets]  # (3, 4, n_tets)
        origin = v[:, 0, :].T  # (n, 3)
        edges = np.stack([v[:, 1] - v[:, 0], v[:, 2] - v[:, 0], v[:, 3] - v[:, 0]],
                         axis=-1)  # (3, n, 3): edges as columns
        mats = np.transpose(edges, (1, 0, 2))  # (n, 3, 3)
        object.__setattr__(self, "_origin", origin)
        object.__setattr__(self, "_inv", np.linalg.inv(mats))
        object.__setattr__(self, "_tree", cKDTree(v.mean(axis=1).T))

    def locate(self, x_mm: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
        """Containing tetrahedron (-1 outside the mesh) and barycentric coordinates.

        Parameters
        ----------
        x_mm : ndarray (n, 3)

        Returns
        -------
        tet : ndarray of int (n,)
        bary : ndarray (n, 4)
        """
        x = np.atleast_2d(np.asarray(x_mm, dtype=float))
        n = x.shape[0]
        tet = np.full(n, -1, dtype=np.int64)
        bary = np.full((n, 4), np.nan)
        todo = np.arange(n)
        n_tets = self.tets.shape[1]
        for k in (8, 32, 128):
            if todo.size == 0:
                break
            k = min(k, n_tets)
            _, cand = self._tree.query(x[todo], k=k)
            cand = cand.reshape(todo.size, k)
            lam = np.einsum("nkij,nkj->nki", self._inv[cand],
                            x[todo][:, None, :] - self._origin[cand])  # (m, k, 3)
            lam4 = np.concatenate([1.0 - lam.sum(-1, keepdims=True), lam], axis=-1)
            inside = np.all(lam4 >= -tol, axis=-1)
            hit = inside.any(axis=1)
            first = np.argmax(inside, axis=1)
            rows = np.flatnonzero(hit)
            tet[todo[rows]] = cand[rows, first[rows]]
            bary[todo[rows]] = lam4[rows, first[rows]]
            todo = todo[~hit]
        # rare: a point in a large tetrahedron whose centroid is farther than those of
        # many small ones; check every tetrahedron, in chunks (bounded memory)
        for start in range(0, n_tets, 20000):
            if todo.size == 0:
                break
            sl = slice(start, min(n_tets, start + 20000))
            lam = np.einsum("kij,nkj->nki", self._inv[sl],
                            x[todo][:, None, :] - self._origin[sl][None])
            lam4 = np.concatenate([1.0 - lam.sum(-1, keepdims=True), lam], axis=-1)
            inside = np.all(lam4 >= -tol, axis=-1)
            hit = inside.any(axis=1)
            first = np.argmax(inside, axis=1)
            rows = np.flatnonzero(hit)
            tet[todo[rows]] = start + first[rows]
            bary[todo[rows]] = lam4[rows, first[rows]]
            todo = todo[~hit]
        return tet, bary


def p2_shape_values(bary: np.ndarray) -> np.ndarray:
    """Values of the 10 P2 shape functions at barycentric coordinates (n, 4) -> (n, 10)."""
    lam = bary
    out = np.empty((lam.shape[0], 10))
    out[:, :4] = lam * (2.0 * lam - 1.0)
    for e, (a, b) in enumerate(TET_EDGES):
        out[:, 4 + e] = 4.0 * lam[:, a] * lam[:, b]
    return out


def evaluate(locator: PointLocator, element_dofs: np.ndarray, values: np.ndarray,
             x_mm: np.ndarray) -> np.ndarray:
    """P2 field(s) at points; NaN outside the mesh.

    Parameters
    ----------
    element_dofs : ndarray of int (10, n_tets)
    values : ndarray (n_dofs, m)
    x_mm : ndarray (n, 3)

    Returns
    -------
    ndarray (n, m)
    """
    tet, bary = locator.locate(x_mm)
    out = np.full((tet.size, values.shape[1]), np.nan)
    ok = tet >= 0
    if ok.any():
        phi = p2_shape_values(bary[ok])  # (n_ok, 10)
        dofs = element_dofs[:, tet[ok]].T  # (n_ok, 10)
        out[ok] = np.einsum("nk,nkm->nm", phi, values[dofs])
    return out
