"""Point location and P2 evaluation of the field basis (no gmsh needed)."""

from __future__ import annotations

import numpy as np
import pytest

skfem = pytest.importorskip("skfem")

from neuraxis import NeuraxisInputError
from neuraxis.field.basis import FieldBasis
from neuraxis.field.probe import PointLocator, evaluate


def _quadratic(x: np.ndarray) -> np.ndarray:
    return x[0] ** 2 - 3 * x[1] * x[2] + x[2] + 0.5


def test_p2_evaluation_is_exact_for_quadratics() -> None:
    """Nodal P2 interpolation reproduces any quadratic exactly: checks the edge-DOF order."""
    m = skfem.MeshTet().refined(2)
    b = skfem.Basis(m, skfem.ElementTetP2())
    u = _quadratic(b.doflocs)
    pts = np.random.default_rng(0).uniform(0.01, 0.99, (300, 3))
    val = evaluate(PointLocator(m.p, m.t), b.element_dofs, u[:, None], pts)[:, 0]
    np.testing.assert_allclose(val, _quadratic(pts.T), atol=1e-12)


def test_points_outside_the_mesh_are_nan() -> None:
    m = skfem.MeshTet().refined(1)
    loc = PointLocator(m.p, m.t)
    tet, _ = loc.locate(np.array([[0.5, 0.5, 0.5], [1.5, 0.5, 0.5], [-0.1, 0.2, 0.3]]))
    assert tet[0] >= 0 and tet[1] == -1 and tet[2] == -1


def _tiny_basis() -> FieldBasis:
    m = skfem.MeshTet().refined(1)
    b = skfem.Basis(m, skfem.ElementTetP2())
    pot = np.stack([b.doflocs[0], 2 * b.doflocs[1]], axis=1)  # two linear "fields"
    return FieldBasis(("E1", "E2"), m.p, m.t, np.zeros(m.t.shape[1], dtype=int), ("medium",),
                      b.element_dofs, pot, np.array([[1.0, 0.1], [0.1, 2.0]]), "k")


def test_program_is_the_superposition_and_names_are_checked() -> None:
    basis = _tiny_basis()
    pts = np.array([[0.2, 0.3, 0.4], [0.7, 0.1, 0.9]])
    both = basis.probe(pts)
    prog = basis.probe(pts, program={"E1": -1.0, "E2": 1.0})
    np.testing.assert_allclose(prog, both[:, 1] - both[:, 0], atol=1e-14)
    np.testing.assert_allclose(basis.probe(pts, contact="E2"), 2 * pts[:, 1], atol=1e-14)
    assert basis.impedance_kohm == {"E1": 1.0, "E2": 2.0}
    with pytest.raises(NeuraxisInputError, match=r"Invalid value for 'contact'.*did you mean 'E1'"):
        basis.probe(pts, contact="e1x")
    with pytest.raises(NeuraxisInputError, match=r"Expected an \(n, 3\) array"):
        basis.probe(np.zeros((3, 2)))
    with pytest.raises(NeuraxisInputError, match="either 'program' or 'contact'"):
        basis.probe(pts, program={"E1": 1.0}, contact="E1")


def test_save_and_load_roundtrip(tmp_path) -> None:
    basis = _tiny_basis()
    basis.save(tmp_path / "b.npz")
    again = FieldBasis.load(tmp_path / "b.npz")
    pts = np.array([[0.2, 0.3, 0.4]])
    np.testing.assert_array_equal(again.probe(pts), basis.probe(pts))
    assert again.contact_names == basis.contact_names and again.key == "k"
