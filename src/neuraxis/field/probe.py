"""Point location and P2 evaluation on a tetrahedral mesh.

A KD-tree over the tetrahedra's centroids proposes candidates; barycentric
coordinates decide containment. (scikit-fem's default finder falls back to a
dense points x elements search when a point is missing from its candidates,
which can exhaust memory on large meshes.)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

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
        if todo.size:
            # rare: a point in a large tetrahedron whose centroid is farther than those of
            # many small ones, or a point outside the mesh (e.g. inside the lead). Exact:
            # the lowest-numbered tetrahedron containing it, among those whose bounding
            # sphere does (found size class by size class, see _exhaustive).
            found, lam4 = self._exhaustive(x[todo], tol)
            tet[todo] = found
            bary[todo] = lam4
        return tet, bary

    def _size_classes(self) -> list[tuple[float, np.ndarray, cKDTree]]:
        """Tetrahedra grouped by bounding-sphere radius (factor-2 classes), each with a
        KD-tree of its centroids; built on first use."""
        classes = self.__dict__.get("_classes")
        if classes is None:
            v = self.points_mm[:, self.tets]  # (3, 4, n_tets)
            centroid = v.mean(axis=1)
            radius = np.sqrt(((v - centroid[:, None, :]) ** 2).sum(axis=0)).max(axis=0)
            k = np.floor(np.log2(np.maximum(radius, 1e-300))).astype(np.int64)
            classes = []
            for c in np.unique(k):
                idx = np.flatnonzero(k == c)
                classes.append((float(radius[idx].max()), idx, cKDTree(centroid[:, idx].T)))
            object.__setattr__(self, "_classes", classes)
        return classes

    def _exhaustive(self, x: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """For each point, the lowest-numbered tetrahedron containing it (-1: none) and its
        barycentric coordinates: the answer of a check against every tetrahedron, in
        memory and time proportional to the candidates (tetrahedra whose bounding sphere
        holds the point; within a size class all share the class's largest radius)."""
        n = x.shape[0]
        best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        best_lam = np.full((n, 4), np.nan)
        # a point accepted with barycentric tolerance tol lies a hair outside its
        # tetrahedron: |x - centroid| <= sum |lambda_i| * radius <= (1 + 8 tol) * radius
        pad = 1.0 + 8.0 * max(tol, 0.0)
        for r_max, idx, tree in self._size_classes():
            for start in range(0, n, 4096):  # bounded memory per batch of points
                xs = x[start:start + 4096]
                hits = tree.query_ball_point(xs, r_max * pad + 1e-12,
                                             return_sorted=False)
                counts = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
                if counts.sum() == 0:
                    continue
                pt = np.repeat(np.arange(len(hits)), counts)
                cand = idx[np.fromiter(chain.from_iterable(hits), dtype=np.int64,
                                       count=int(counts.sum()))]
                lam = np.einsum("nij,nj->ni", self._inv[cand], xs[pt] - self._origin[cand])
                lam4 = np.concatenate([1.0 - lam.sum(-1, keepdims=True), lam], axis=-1)
                inside = np.all(lam4 >= -tol, axis=-1)
                pt, cand, lam4 = pt[inside], cand[inside], lam4[inside]
                order = np.lexsort((cand, pt))  # per point, lowest tetrahedron first
                pt, cand, lam4 = pt[order], cand[order], lam4[order]
                first = np.flatnonzero(np.r_[True, pt[1:] != pt[:-1]]) if pt.size else pt
                rows = start + pt[first]
                better = cand[first] < best[rows]
                best[rows[better]] = cand[first][better]
                best_lam[rows[better]] = lam4[first][better]
        best[best == np.iinfo(np.int64).max] = -1
        return best, best_lam


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
    return evaluate_located(tet, bary, element_dofs, values)


def evaluate_located(tet: np.ndarray, bary: np.ndarray, element_dofs: np.ndarray,
                     values: np.ndarray) -> np.ndarray:
    """P2 field(s) at points already located by :meth:`PointLocator.locate`; NaN where
    ``tet`` is -1 (lets a caller that also needs the tetrahedra locate once).

    Parameters
    ----------
    tet : ndarray of int (n,)
    bary : ndarray (n, 4)
    element_dofs : ndarray of int (10, n_tets)
    values : ndarray (n_dofs, m)

    Returns
    -------
    ndarray (n, m)
    """
    out = np.full((tet.size, values.shape[1]), np.nan)
    ok = tet >= 0
    if ok.any():
        phi = p2_shape_values(bary[ok])  # (n_ok, 10)
        dofs = element_dofs[:, tet[ok]].T  # (n_ok, 10)
        out[ok] = np.einsum("nk,nkm->nm", phi, values[dofs])
    return out
