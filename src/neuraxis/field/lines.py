"""Exact point location along straight lines parallel to the cord axis (z).

A dorsal-column fiber is a straight line at fixed (x, y). Walking that line once
through the mesh, tetrahedron to face neighbour, gives the ordered tetrahedra it
crosses and the z at which it leaves each; afterwards any point of the line is located
by a binary search on those z (no KD-tree query), and the P2 field there is evaluated
exactly as :func:`neuraxis.field.probe.evaluate` does. This is what lets an SCS
session re-evaluate a fiber's potentials for a new cable window in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from neuraxis.field.probe import PointLocator, evaluate_located

#: Barycentric tolerance for "inside" (as in PointLocator.locate).
_TOL = 1e-9


def face_neighbours(tets: np.ndarray) -> np.ndarray:
    """Tetrahedron across each face, (n_tets, 4); face i is opposite vertex i; -1 at
    the mesh boundary (and at the lead's surface, which is a hole).

    Parameters
    ----------
    tets : ndarray of int (4, n_tets)
    """
    t = np.asarray(tets).T  # (n, 4)
    n = t.shape[0]
    others = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    faces = np.sort(t[:, others], axis=2).reshape(-1, 3)  # (4n, 3), row = 4*tet + face
    order = np.lexsort((faces[:, 2], faces[:, 1], faces[:, 0]))
    f = faces[order]
    same = np.all(f[1:] == f[:-1], axis=1)
    nb = np.full(4 * n, -1, dtype=np.int64)
    a, b = order[:-1][same], order[1:][same]
    nb[a] = b // 4
    nb[b] = a // 4
    return nb.reshape(n, 4)


@numba.njit(cache=True)
def _walk(x, y, z0, z1, t0, origin, inv, nbr, max_steps):
    """Walk +z from (x, y, z0) in tet t0 to z1: (z_exit per tet, tets, n, status).

    status 0: reached z1; 1: left the mesh; 2: lost (degenerate crossing) at the
    last z_exit; 3: too many steps.
    """
    z_exit = np.empty(max_steps)
    tets = np.empty(max_steps, dtype=np.int64)
    z = z0
    t = t0
    n = 0
    while n < max_steps:
        # barycentric coordinates at z and their z-derivatives
        px, py, pz = x - origin[t, 0], y - origin[t, 1], z - origin[t, 2]
        lam = np.empty(4)
        g = np.empty(4)
        s = 0.0
        gs = 0.0
        for i in range(3):
            lam[i + 1] = inv[t, i, 0] * px + inv[t, i, 1] * py + inv[t, i, 2] * pz
            g[i + 1] = inv[t, i, 2]
            s += lam[i + 1]
            gs += g[i + 1]
        lam[0] = 1.0 - s
        g[0] = -gs
        best = np.inf
        face = -1
        for i in range(4):
            if g[i] < 0.0:
                ze = z + max(lam[i], 0.0) / (-g[i])
                if ze < best:
                    best = ze
                    face = i
        tets[n] = t
        if best >= z1 or face < 0:
            z_exit[n] = z1
            return z_exit, tets, n + 1, 0
        z_exit[n] = best
        n += 1
        nxt = nbr[t, face]
        if nxt < 0:
            return z_exit, tets, n, 1
        # the neighbour must contain the line just past the exit
        zz = best + 1e-9
        px, py, pz = x - origin[nxt, 0], y - origin[nxt, 1], zz - origin[nxt, 2]
        s = 0.0
        ok = True
        for i in range(3):
            li = inv[nxt, i, 0] * px + inv[nxt, i, 1] * py + inv[nxt, i, 2] * pz
            s += li
            if li < -1e-7:
                ok = False
        if 1.0 - s < -1e-7:
            ok = False
        if not ok:
            return z_exit, tets, n, 2
        t = nxt
        z = best
    return z_exit, tets, n, 3


@dataclass(frozen=True, eq=False)
class LineTets:
    """The tetrahedra a line x = x_mm, y = y_mm crosses for z in [z_start, z_stop].

    Attributes
    ----------
    x_mm, y_mm : float
    z_start_mm : float
    z_exit_mm : ndarray (m,)
        z at which the line leaves each tetrahedron (increasing; the last is z_stop).
    tets : ndarray of int (m,)
    """

    x_mm: float
    y_mm: float
    z_start_mm: float
    z_exit_mm: np.ndarray
    tets: np.ndarray


class LineLocator:
    """Walks lines parallel to z through a tetrahedral mesh (see the module docstring).

    Parameters
    ----------
    locator : PointLocator
        Its per-tetrahedron affine inverses are reused.
    """

    def __init__(self, locator: PointLocator) -> None:
        self.locator = locator
        self._nbr = face_neighbours(locator.tets)

    def walk(self, x_mm: float, y_mm: float, z_start_mm: float, z_stop_mm: float) -> LineTets:
        """The tetrahedra along the line (x, y) from z_start to z_stop (mm).

        A degenerate crossing (through an edge or a vertex) is resolved by locating the
        next point with the general locator; a line that leaves the mesh raises.
        """
        loc = self.locator
        zs, ts = [], []
        z = float(z_start_mm)
        max_steps = 200000
        while True:
            tet, _ = loc.locate(np.array([[x_mm, y_mm, z]]))
            if tet[0] < 0:
                raise ValueError(f"line ({x_mm:.3f}, {y_mm:.3f}) mm leaves the mesh at z "
                                 f"{z:.3f} mm")
            ze, tt, n, status = _walk(float(x_mm), float(y_mm), z, float(z_stop_mm),
                                      int(tet[0]), loc._origin, loc._inv, self._nbr,
                                      max_steps)
            zs.append(ze[:n])
            ts.append(tt[:n])
            if status == 0:
                break
            if status == 1:
                raise ValueError(f"line ({x_mm:.3f}, {y_mm:.3f}) mm leaves the mesh at z "
                                 f"{ze[n - 1]:.3f} mm")
            z = float(ze[n - 1]) + 1e-7  # degenerate crossing: relocate just past it
        return LineTets(float(x_mm), float(y_mm), float(z_start_mm), np.concatenate(zs),
                        np.concatenate(ts))

    def evaluate(self, line: LineTets, z_mm: np.ndarray, element_dofs: np.ndarray,
                 values: np.ndarray) -> np.ndarray:
        """P2 field(s) (n_dofs, m) at points of the line, (len(z), m); exact (the same
        values as :func:`neuraxis.field.probe.evaluate`), NaN outside [z_start, z_stop]."""
        z = np.asarray(z_mm, dtype=float)
        k = np.searchsorted(line.z_exit_mm, z, side="left")
        inside = (z >= line.z_start_mm - 1e-9) & (k < line.tets.size)
        tet = np.full(z.size, -1, dtype=np.int64)
        bary = np.full((z.size, 4), np.nan)
        if inside.any():
            t = line.tets[k[inside]]
            loc = self.locator
            p = np.column_stack([np.full(t.size, line.x_mm), np.full(t.size, line.y_mm),
                                 z[inside]])
            lam = np.einsum("nij,nj->ni", loc._inv[t], p - loc._origin[t])
            b = np.concatenate([1.0 - lam.sum(-1, keepdims=True), lam], axis=-1)
            bad = np.any(b < -1e-6, axis=1)
            if bad.any():  # a point on a face shared by a sliver: the general locator
                t[bad], b[bad] = loc.locate(p[bad])
            tet[inside], bary[inside] = t, b
        return evaluate_located(tet, bary, element_dofs, values)
