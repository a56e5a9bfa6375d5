"""Block AMG-preconditioned CG against independent solves of the same systems."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

pyamg = pytest.importorskip("pyamg")

from neuraxis.field.block_pcg import BlockVCycle, block_cg


def _poisson_3d(m: int, rng: np.random.Generator) -> sp.csr_matrix:
    """7-point Laplacian on an m^3 grid with a random positive conductivity per cell face."""
    one = sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1])
    eye = sp.identity(m)
    a = (sp.kron(sp.kron(one, eye), eye) + sp.kron(sp.kron(eye, one), eye)
         + sp.kron(sp.kron(eye, eye), one)).tocsr()
    scale = sp.diags(rng.uniform(0.5, 2.0, a.shape[0]))
    return (scale @ a @ scale).tocsr()  # still symmetric positive definite


@pytest.mark.parametrize("k", [1, 5, 16, 19])
def test_block_cg_matches_direct_solves(k: int) -> None:
    rng = np.random.default_rng(k)
    a = _poisson_3d(14, rng)
    b = rng.standard_normal((a.shape[0], k))
    ml = pyamg.smoothed_aggregation_solver(a, symmetry="hermitian", max_coarse=50)
    x, its = block_cg(a, b, BlockVCycle(ml), tol=1e-10)
    ref = np.column_stack([spsolve(a.tocsc(), b[:, j]) for j in range(k)])
    assert np.all(its > 0)
    assert np.abs(x - ref).max() <= 1e-7 * np.abs(ref).max()


def test_block_cg_same_iterations_as_pyamg_per_column() -> None:
    """Each column follows its own CG recurrence: the iteration count of a column
    does not depend on the other columns of the block, and matches pyamg's own
    preconditioned CG with the same (symmetric Gauss-Seidel) V-cycle within one."""
    rng = np.random.default_rng(0)
    a = _poisson_3d(16, rng)
    b = rng.standard_normal((a.shape[0], 9))
    ml = pyamg.smoothed_aggregation_solver(a, symmetry="hermitian", max_coarse=50)
    vc = BlockVCycle(ml)
    _, its_block = block_cg(a, b, vc, tol=1e-8)
    _, its_alone = block_cg(a, b[:, 3:4], vc, tol=1e-8)
    assert its_block[3] == its_alone[0]
    res: list[float] = []
    ml.solve(b[:, 3], tol=1e-8, accel="cg", maxiter=200, residuals=res)
    assert abs(its_alone[0] - (len(res) - 1)) <= 1


def test_vcycle_is_symmetric() -> None:
    """CG needs a symmetric preconditioner: <M u, v> = <u, M v>."""
    rng = np.random.default_rng(1)
    a = _poisson_3d(12, rng)
    vc = BlockVCycle(pyamg.smoothed_aggregation_solver(a, symmetry="hermitian", max_coarse=50))
    u, v = rng.standard_normal((2, a.shape[0], 1))
    lhs, rhs = float(vc(u)[:, 0] @ v[:, 0]), float(u[:, 0] @ vc(v)[:, 0])
    assert lhs == pytest.approx(rhs, rel=1e-10)


def test_zero_column_and_unreached_tolerance() -> None:
    rng = np.random.default_rng(2)
    a = _poisson_3d(10, rng)
    b = rng.standard_normal((a.shape[0], 3))
    b[:, 1] = 0.0
    vc = BlockVCycle(pyamg.smoothed_aggregation_solver(a, symmetry="hermitian", max_coarse=50))
    x, its = block_cg(a, b, vc, tol=1e-8)
    assert its[1] == 0 and np.all(x[:, 1] == 0)
    _, its_short = block_cg(a, b, vc, tol=1e-14, maxiter=3)
    assert np.all(its_short[[0, 2]] == -3)  # negative: stopped short of the tolerance
