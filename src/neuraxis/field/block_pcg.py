"""Block AMG-preconditioned conjugate gradients: every contact's solve in one sweep.

The field basis needs one solve per contact with the same matrix. Solved one
after the other (pyamg's own ``solve``), each CG iteration streams the fine
matrix from memory about six times (one product, two symmetric Gauss-Seidel
smoothings) for a single right-hand side, and the solves are memory-bound. Here
the right-hand sides are the columns of one ``(n, k)`` array stored row by row,
so each pass over the matrix serves all ``k`` of them: the V-cycle (pyamg's
smoothed-aggregation hierarchy, symmetric Gauss-Seidel smoothing, pseudo-inverse
on the coarsest level, as pyamg does) and the CG recurrences run on blocks. Each
column keeps its own CG coefficients, so the result is the same as ``k``
independent preconditioned CG solves; a column leaves the block once its
residual reaches the tolerance.

The kernels are numba-compiled (cached on disk after the first use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

_GROUP = 8  # columns per smoother thread (the relaxation kernel is written for 8)


@njit(parallel=True, cache=True)
def _residual(indptr, indices, data, x, b, out):
    """out = b - A x, for an (n, k) block."""
    n, k = x.shape
    for i in prange(n):
        for t in range(k):
            out[i, t] = b[i, t]
        for jj in range(indptr[i], indptr[i + 1]):
            a = data[jj]
            c = indices[jj]
            for t in range(k):
                out[i, t] -= a * x[c, t]


@njit(parallel=True, cache=True)
def _matmul(indptr, indices, data, x, out):
    """out = A x, for an (n, k) block."""
    n, k = out.shape
    for i in prange(n):
        for t in range(k):
            out[i, t] = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            a = data[jj]
            c = indices[jj]
            for t in range(k):
                out[i, t] += a * x[c, t]


@njit(parallel=True, cache=True)
def _matmul_add(indptr, indices, data, x, out):
    """out += A x, for an (n, k) block."""
    n, k = out.shape
    for i in prange(n):
        for jj in range(indptr[i], indptr[i + 1]):
            a = data[jj]
            c = indices[jj]
            for t in range(k):
                out[i, t] += a * x[c, t]


@njit(cache=True, inline="always")
def _relax_row(indptr, indices, data, inv_diag, x, b, i, t0):
    """Gauss-Seidel update of row i for the 8 columns t0..t0+7.

    Eight scalar accumulators (one SIMD register) instead of a scratch array: the
    compiler then keeps them in registers, which made the sweep twice as fast.
    """
    s0 = b[i, t0]
    s1 = b[i, t0 + 1]
    s2 = b[i, t0 + 2]
    s3 = b[i, t0 + 3]
    s4 = b[i, t0 + 4]
    s5 = b[i, t0 + 5]
    s6 = b[i, t0 + 6]
    s7 = b[i, t0 + 7]
    for jj in range(indptr[i], indptr[i + 1]):
        a = data[jj]
        c = indices[jj]
        s0 -= a * x[c, t0]
        s1 -= a * x[c, t0 + 1]
        s2 -= a * x[c, t0 + 2]
        s3 -= a * x[c, t0 + 3]
        s4 -= a * x[c, t0 + 4]
        s5 -= a * x[c, t0 + 5]
        s6 -= a * x[c, t0 + 6]
        s7 -= a * x[c, t0 + 7]
    d = inv_diag[i]
    x[i, t0] += d * s0
    x[i, t0 + 1] += d * s1
    x[i, t0 + 2] += d * s2
    x[i, t0 + 3] += d * s3
    x[i, t0 + 4] += d * s4
    x[i, t0 + 5] += d * s5
    x[i, t0 + 6] += d * s6
    x[i, t0 + 7] += d * s7


@njit(parallel=True, cache=True)
def _symmetric_gauss_seidel(indptr, indices, data, inv_diag, x, b):
    """Forward then backward Gauss-Seidel sweep on an (n, 8 m) block.

    The columns are independent, so each group of 8 is swept by its own thread;
    each group's sweep is exactly the sequential one.
    """
    n, k = x.shape
    for g in prange(k // _GROUP):
        t0 = _GROUP * g
        for i in range(n):
            _relax_row(indptr, indices, data, inv_diag, x, b, i, t0)
        for i in range(n - 1, -1, -1):
            _relax_row(indptr, indices, data, inv_diag, x, b, i, t0)


@njit(parallel=True, cache=True)
def _cg_update(x, r, p, q, alpha):
    """x += alpha p; r -= alpha q (alpha per column); returns the columns' |r|^2."""
    n, k = x.shape
    for i in prange(n):
        for t in range(k):
            x[i, t] += alpha[t] * p[i, t]
            r[i, t] -= alpha[t] * q[i, t]
    out = np.zeros(k)
    for i in range(n):
        for t in range(k):
            out[t] += r[i, t] * r[i, t]
    return out


@njit(parallel=True, cache=True)
def _direction_update(p, z, beta):
    """p = z + beta p (beta per column)."""
    n, k = p.shape
    for i in prange(n):
        for t in range(k):
            p[i, t] = z[i, t] + beta[t] * p[i, t]


def _column_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->j", a, b)


@dataclass(frozen=True)
class _Level:
    a: sp.csr_matrix
    inv_diag: np.ndarray
    p: sp.csr_matrix | None
    r: sp.csr_matrix | None


class BlockVCycle:
    """A V-cycle on (n, k) blocks over a pyamg multilevel hierarchy.

    Parameters
    ----------
    ml : pyamg.multilevel.MultilevelSolver
        Its operators ``A``, ``P``, ``R`` are used; the smoother is one symmetric
        Gauss-Seidel sweep before and after the coarse correction, and the
        coarsest level is solved with its pseudo-inverse (pyamg's defaults for a
        symmetric smoothed-aggregation solver).
    """

    def __init__(self, ml) -> None:
        self.levels = []
        for lev in ml.levels[:-1]:
            a = _csr(lev.A)
            self.levels.append(_Level(a, 1.0 / a.diagonal(), _csr(lev.P), _csr(lev.R)))
        coarse = ml.levels[-1].A.toarray()
        self.coarse_pinv = np.linalg.pinv(coarse)

    def __call__(self, b: np.ndarray) -> np.ndarray:
        """Apply one V-cycle to the columns of ``b`` (n, k)."""
        k = b.shape[1]
        width = -(-k // _GROUP) * _GROUP
        padded = np.zeros((b.shape[0], width))
        padded[:, :k] = b
        return self._cycle(0, padded)[:, :k]

    def _cycle(self, i: int, b: np.ndarray) -> np.ndarray:
        if i == len(self.levels):
            return self.coarse_pinv @ b
        lev = self.levels[i]
        a = lev.a
        x = np.zeros_like(b)
        _symmetric_gauss_seidel(a.indptr, a.indices, a.data, lev.inv_diag, x, b)
        res = np.empty_like(b)
        _residual(a.indptr, a.indices, a.data, x, b, res)
        rc = np.empty((lev.r.shape[0], b.shape[1]))
        _matmul(lev.r.indptr, lev.r.indices, lev.r.data, res, rc)
        xc = np.ascontiguousarray(self._cycle(i + 1, rc))
        _matmul_add(lev.p.indptr, lev.p.indices, lev.p.data, xc, x)
        _symmetric_gauss_seidel(a.indptr, a.indices, a.data, lev.inv_diag, x, b)
        return x


def _csr(m) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.sort_indices()
    return sp.csr_matrix((m.data.astype(np.float64), m.indices.astype(np.int64),
                          m.indptr.astype(np.int64)), shape=m.shape)


def block_cg(a: sp.csr_matrix, b: np.ndarray, precond: Callable[[np.ndarray], np.ndarray], *,
             tol: float = 1e-8, maxiter: int = 500,
             progress: Callable[[int, int], None] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Preconditioned CG for every column of ``b`` at once.

    Parameters
    ----------
    a : csr_matrix (n, n)
        Symmetric positive definite.
    b : ndarray (n, k)
    precond : callable
        Applies a symmetric positive definite preconditioner to an (n, m) block.
    tol : float
        Stop a column once ``|r|_2 <= tol |b|_2``.
    maxiter : int
    progress : callable, optional
        ``progress(done, k)`` each time columns converge.

    Returns
    -------
    x : ndarray (n, k)
    iterations : ndarray of int (k,)
        Iterations of each column; negative where ``tol`` was not reached.
    """
    a = _csr(a)
    b = np.ascontiguousarray(b, dtype=float)
    n, k = b.shape
    x_out = np.zeros((n, k))
    its = np.full(k, -maxiter, dtype=np.int64)
    norm_b = np.sqrt(_column_dots(b, b))
    active = np.flatnonzero(norm_b > 0)
    its[norm_b == 0] = 0
    x = np.zeros((n, active.size))
    r = b[:, active].copy()
    z = precond(r)
    p = z.copy()
    rz = _column_dots(r, z)
    q = np.empty_like(r)
    done = k - active.size
    for it in range(1, maxiter + 1):
        if active.size == 0:
            break
        _matmul(a.indptr, a.indices, a.data, p, q)
        alpha = rz / _column_dots(p, q)
        rr = _cg_update(x, r, p, q, alpha)
        conv = np.sqrt(rr) <= tol * norm_b[active]
        if np.any(conv):
            x_out[:, active[conv]] = x[:, conv]
            its[active[conv]] = it
            keep = ~conv
            active = active[keep]
            x, r, p = (np.ascontiguousarray(v[:, keep]) for v in (x, r, p))
            rz = rz[keep]
            q = np.empty_like(r)
            done = k - active.size
            if progress is not None:
                progress(done, k)
            if active.size == 0:
                break
        z = precond(r)
        rz_new = _column_dots(r, z)
        _direction_update(p, z, rz_new / rz)
        rz = rz_new
    if active.size:
        x_out[:, active] = x
    return x_out, its
