"""Finite-element solve of the unit-current field of every contact (scikit-fem + pyamg).

Equation: div(sigma grad u) = 0 in the tissues (sigma diagonal: x, y, z), zero
flux on the insulating lead surfaces, u = 0 on the outer surface (the distant
return), and for each metal contact: u equal to an unknown constant on its whole
surface (equipotential) with the net current through it prescribed. The
equipotential condition is imposed exactly by merging every degree of freedom of
a contact's surface into one unknown (the contact's potential); the prescribed
current is then the right-hand side of that one equation. One solve per contact
with 1 mA on it and 0 mA on all others (which stay equipotential: floating) gives
the monopolar basis; any program is a superposition.

Units: lengths in mm, conductivities in S/m, so the stiffness matrix is in mS and
a 1 mA source gives potentials in V directly (V per mA = kOhm).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import reverse_cuthill_mckee

from neuraxis._logging import logger
from neuraxis._soft_import import soft_import
from neuraxis.field.geometry import MeshData


@dataclass(frozen=True)
class FemSolution:
    """P2 potentials of each contact's unit-current solution.

    Attributes
    ----------
    element_dofs : ndarray of int (10, n_tets)
        Global P2 degrees of freedom of each tetrahedron: its 4 vertices, then its
        6 edges in the order (0,1), (1,2), (0,2), (0,3), (1,3), (2,3).
    potentials_v_per_ma : ndarray (n_dofs, n_contacts)
    contact_potential_v_per_ma : ndarray (n_contacts, n_contacts)
        Potential of contact i (rows) when 1 mA flows through contact j (columns);
        the diagonal is each contact's access resistance in kOhm.
    n_dofs : int
    timings_s : dict
    iterations : tuple of int
    """

    element_dofs: np.ndarray
    potentials_v_per_ma: np.ndarray
    contact_potential_v_per_ma: np.ndarray
    n_dofs: int
    timings_s: dict
    iterations: tuple


def solve_contacts(mesh: MeshData, sigma_xyz_s_per_m: dict[str, tuple[float, float, float]],
                   *, tol: float = 1e-8, order: int = 2,
                   progress: Callable[[int, int], None] | None = None,
                   currents_ma: np.ndarray | None = None,
                   stage: Callable[[str, int, int], None] | None = None) -> FemSolution:
    """Unit-current (1 mA) solution of every contact, the others floating.

    Parameters
    ----------
    mesh : MeshData
    sigma_xyz_s_per_m : dict
        Tissue name -> (sigma_x, sigma_y, sigma_z) in S/m.
    tol : float
        CG stops a solve when the 2-norm of its residual is ``tol`` times that of
        its right-hand side.
    order : {1, 2}
        Lagrange element order (2 by default: P1 second differences are too noisy
        for the activating function).
    progress : callable, optional
        Called as ``progress(done, total)`` as the contacts' solves converge (they
        run together, see :mod:`neuraxis.field.block_pcg`).
    currents_ma : ndarray (n_solves, n_contacts), optional
        Contact currents of each solve (mA, positive into the tissue); the default,
        the identity, is the monopolar basis. Used to check superposition.
    stage : callable, optional
        Called as ``stage(name, done, total)`` with ``(name, 0, 1)`` when the stage
        'assemble' (stiffness matrix) or 'amg' (multigrid set-up) starts and
        ``(name, 1, 1)`` when it ends; the solve itself reports through ``progress``.
    """
    stage = stage if stage is not None else (lambda name, done, total: None)
    skfem = soft_import("skfem", "fem", "The field solver")
    pyamg = soft_import("pyamg", "fem", "The field solver")
    from neuraxis.field.block_pcg import BlockVCycle, block_cg
    timings: dict[str, float] = {}
    stage("assemble", 0, 1)
    t0 = time.perf_counter()
    m = skfem.MeshTet(np.ascontiguousarray(mesh.points_mm), np.ascontiguousarray(mesh.tets))
    elem = skfem.ElementTetP2() if order == 2 else skfem.ElementTetP1()
    basis = skfem.Basis(m, elem)
    sig = np.array([sigma_xyz_s_per_m[name] for name in mesh.tissues], dtype=float)
    per_tet = sig[mesh.tissue_of_tet]  # (n_tets, 3)
    nqp = basis.X.shape[1]

    @skfem.BilinearForm
    def conduction(u, v, w):
        return (w.sx * u.grad[0] * v.grad[0] + w.sy * u.grad[1] * v.grad[1]
                + w.sz * u.grad[2] * v.grad[2])

    k = conduction.assemble(basis, sx=np.repeat(per_tet[:, :1], nqp, 1),
                            sy=np.repeat(per_tet[:, 1:2], nqp, 1),
                            sz=np.repeat(per_tet[:, 2:], nqp, 1)).tocsr()
    timings["assembly"] = time.perf_counter() - t0
    stage("assemble", 1, 1)
    n = basis.N
    facet_dofs = _facet_dof_finder(m, basis)
    ground = facet_dofs(mesh.ground_facets)
    names = list(mesh.contact_facets)
    contact_dofs = [facet_dofs(mesh.contact_facets[c]) for c in names]
    owner = np.full(n, -1, dtype=np.int64)  # -1 free, -2 ground, >=0 contact index
    owner[ground] = -2
    for i, d in enumerate(contact_dofs):
        if np.any(owner[d] == -2):
            raise RuntimeError(f"contact {names[i]!r} touches the grounded boundary")
        owner[d] = i
    free = np.flatnonzero(owner == -1)
    n_c = len(names)
    col = np.full(n, -1, dtype=np.int64)
    col[free] = np.arange(free.size)
    for i, d in enumerate(contact_dofs):
        col[d] = free.size + i
    keep = col >= 0
    p = sp.csr_matrix((np.ones(keep.sum()), (np.flatnonzero(keep), col[keep])),
                      shape=(n, free.size + n_c))
    kr = (p.T @ k @ p).tocsr()
    stage("amg", 0, 1)
    t1 = time.perf_counter()
    # Reverse Cuthill-McKee order: neighbouring unknowns close in memory. It makes
    # the memory-bound sweeps below about twice as fast and, through the
    # Gauss-Seidel ordering, cuts CG iterations (45 -> 35 on the 5-6-5 paddle).
    perm = reverse_cuthill_mckee(kr, symmetric_mode=True)
    kr = kr[perm][:, perm].tocsr()
    ml = pyamg.smoothed_aggregation_solver(kr, symmetry="hermitian", max_coarse=500)
    vcycle = BlockVCycle(ml)
    timings["amg_setup"] = time.perf_counter() - t1
    stage("amg", 1, 1)
    cur = np.eye(n_c) if currents_ma is None else np.atleast_2d(np.asarray(currents_ma, float))
    n_s = cur.shape[0]
    if progress is not None:
        progress(0, n_s)
    t2 = time.perf_counter()
    b_all = np.zeros((kr.shape[0], n_s))
    b_all[free.size:] = cur.T  # mA into each contact, one column per solve
    x_perm, its = block_cg(kr, b_all[perm], vcycle, tol=tol, maxiter=500, progress=progress)
    x_all = np.empty_like(x_perm)
    x_all[perm] = x_perm
    for i, r in enumerate(its):
        if r < 0:
            logger.warning("solve %d: CG did not reach the relative residual %.0e", i, tol)
    sol = np.asarray(p @ x_all)
    vc = x_all[free.size:]
    timings["solve"] = time.perf_counter() - t2
    logger.info("field: %d DOFs, %d contacts, CG iterations %s", n, n_c, its)
    return FemSolution(element_dofs=basis.element_dofs.copy(), potentials_v_per_ma=sol,
                       contact_potential_v_per_ma=vc, n_dofs=n, timings_s=timings,
                       iterations=tuple(int(abs(i)) for i in its))


def _facet_dof_finder(m, basis):
    """Map triangles (point indices) to the P1/P2 DOFs on them."""
    facets = np.sort(m.facets, axis=0)
    key = {tuple(c): i for i, c in enumerate(facets.T)}

    def find(tris: np.ndarray) -> np.ndarray:
        if tris.size == 0:
            return np.zeros(0, dtype=np.int64)
        idx = np.array([key[tuple(c)] for c in np.sort(tris, axis=0).T])
        return np.unique(basis.get_dofs(facets=idx).all())

    return find
