"""Field solver against closed forms in a homogeneous medium, superposition, and
the cache (gmsh + scikit-fem + pyamg; coarse and default meshes, a few seconds each).

Closed form: a current I from a point at the origin of an infinite medium with
diagonal conductivity (sx, sy, sz) gives V = I / (4 pi sqrt(sx sy sz) r') with
r' = sqrt(x^2/sx + y^2/sy + z^2/sz). The homogeneous medium is meshed as the
ellipsoid r' = const, an equipotential of that source, so with it grounded the
exact solution is the closed form minus its value on the boundary.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes and solves point-source models

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis.anatomy import HomogeneousMedium
from neuraxis.field import build_field_basis
from neuraxis.field.fem import solve_contacts
from neuraxis.field.geometry import build_mesh
from neuraxis.field.model import conductor_model, homogeneous_ellipsoid_mm
from neuraxis.leads import Placement, place_lead
from neuraxis.scenario import lead_from_section

#: A small ring contact without insulating body: 0.6 mm diameter, 0.6 mm long.
SMALL = {"kind": "percutaneous", "diameter_mm": 0.6, "contact_length_mm": 0.6, "gap_mm": 1.0,
         "n_contacts": 1, "body_end_mm": 0.0}


def _closed_form_v_per_ma(pts_mm: np.ndarray, sigma: tuple) -> np.ndarray:
    sx, sy, sz = sigma
    r = np.sqrt(pts_mm[:, 0] ** 2 / sx + pts_mm[:, 1] ** 2 / sy + pts_mm[:, 2] ** 2 / sz)
    return 1.0 / (4 * np.pi * np.sqrt(sx * sy * sz) * r)  # mA / (S/m * mm) = V


def _shell(r_mm: float, n: int = 300) -> np.ndarray:
    d = np.random.default_rng(1).normal(size=(n, 3))
    return r_mm * d / np.linalg.norm(d, axis=1)[:, None]


def _errors(sigma: tuple, mesh: str, *, scaled: bool = False) -> dict[float, np.ndarray]:
    """Relative error of the FEM potential on shells around the contact.

    ``scaled=False``: spheres of radius r. ``scaled=True``: the conductivity-scaled
    ellipsoids x^2/sx + y^2/sy + z^2/sz = const whose semi-axis across the cord is r,
    i.e. equal distance in the medium's own metric (the distance that decides how far
    a finite contact is from being a point).
    """
    medium = HomogeneousMedium(sigma)
    placed = place_lead(lead_from_section(SMALL), Placement("T9"), medium)
    basis = build_field_basis(medium, placed, mesh, cache=False)
    ax = homogeneous_ellipsoid_mm(medium)
    v_boundary = _closed_form_v_per_ma(np.array([[ax[0], 0.0, 0.0]]), sigma)[0]
    stretch = np.sqrt(np.asarray(sigma) / sigma[0]) if scaled else np.ones(3)
    out = {}
    for r in (3.0, 5.0, 10.0):
        pts = _shell(r) * stretch
        v = basis.probe(pts, contact="E1")
        out[r] = v / (_closed_form_v_per_ma(pts, sigma) - v_boundary) - 1
    return out


def test_isotropic_point_source_within_2_percent() -> None:
    """0.2 S/m, default mesh: every point 3-10 mm from the contact within 2 %
    (measured: max 0.8 %)."""
    for r, err in _errors((0.2, 0.2, 0.2), "default").items():
        assert np.max(np.abs(err)) < 0.02, (r, np.max(np.abs(err)))


WHITE_MATTER = (0.083, 0.083, 0.6)


def test_anisotropic_point_source_within_2_percent() -> None:
    """White-matter-like (0.083, 0.083, 0.6) S/m, default mesh, on conductivity-scaled
    shells 3, 5, 10 mm across (8.1, 13.4, 26.9 mm along the cord): every point within
    2 % (measured: max 0.7 %, 0.5 %, 0.8 %; mean <= 0.3 %)."""
    for r, err in _errors(WHITE_MATTER, "default", scaled=True).items():
        assert np.max(np.abs(err)) < 0.02, (r, np.max(np.abs(err)))
        assert abs(np.mean(err)) < 0.005, (r, np.mean(err))


def test_anisotropic_point_source_on_spheres() -> None:
    """The same medium on spheres: within 2 % from 5 mm on (measured 1.1 %, 0.5 %).

    At 3 mm the worst point, on the cord axis, is 2.7 % low. That is the contact's
    size, not the mesh: in the medium's scaled metric the 0.6 mm ring is a disc of
    radius 0.3/sqrt(0.083) = 1.04 seen from 3/sqrt(0.6) = 3.9 along its axis, and a
    conducting disc's axial potential is below a point source's by about
    (a/z)^2/3 = 2.4 %. Refining the contact 0.2 -> 0.15 mm moved it 2.37 -> 2.36 %.
    """
    err = _errors(WHITE_MATTER, "default")
    for r in (5.0, 10.0):
        assert np.max(np.abs(err[r])) < 0.02, (r, np.max(np.abs(err[r])))
    pts = _shell(3.0)
    axial = np.abs(pts[:, 2]) > 0.9 * 3.0
    assert np.max(np.abs(err[3.0][~axial])) < 0.02
    worst = err[3.0][axial][np.argmax(np.abs(err[3.0][axial]))]
    assert -0.035 < worst < 0  # low, as the finite-contact estimate says


def test_superposition_equals_a_direct_bipolar_solve() -> None:
    """basis(E1) - basis(E2) equals one solve with +1 mA on E1 and -1 mA on E2."""
    medium = HomogeneousMedium(0.3)
    lead = lead_from_section({"kind": "percutaneous", "diameter_mm": 1.3,
                               "contact_length_mm": 3.0, "gap_mm": 4.0, "n_contacts": 3})
    placed = place_lead(lead, Placement("T9"), medium)
    model = conductor_model(medium, placed, "coarse")
    mesh = build_mesh(list(model.shapes), model.length_mm, model.lead, model.sizes,
                      ellipsoid_radii_mm=model.ellipsoid_radii_mm)
    basis = solve_contacts(mesh, model.sigma_xyz_s_per_m)
    direct = solve_contacts(mesh, model.sigma_xyz_s_per_m, currents_ma=[[1.0, -1.0, 0.0]])
    bipole = basis.potentials_v_per_ma[:, 0] - basis.potentials_v_per_ma[:, 1]
    scale = np.abs(bipole).max()
    np.testing.assert_allclose(direct.potentials_v_per_ma[:, 0], bipole, atol=1e-6 * scale)
    # reciprocity of the contact potentials (the matrix is symmetric)
    vc = basis.contact_potential_v_per_ma
    np.testing.assert_allclose(vc, vc.T, rtol=1e-5)


def test_cache_reloads_fast_and_identically(tmp_path) -> None:
    medium = HomogeneousMedium(0.2)
    placed = place_lead(lead_from_section(SMALL), Placement("T9"), medium)
    first = build_field_basis(medium, placed, "coarse", cache=tmp_path)
    t = time.perf_counter()
    again = build_field_basis(medium, placed, "coarse", cache=tmp_path)
    assert time.perf_counter() - t < 1.0
    pts = _shell(4.0, 20)
    np.testing.assert_array_equal(again.probe(pts, contact="E1"), first.probe(pts, contact="E1"))
    other = build_field_basis(HomogeneousMedium(0.25), place_lead(
        lead_from_section(SMALL), Placement("T9"), HomogeneousMedium(0.25)), "coarse",
        cache=tmp_path)
    assert other.key != first.key and len(list(tmp_path.glob("basis-*.npz"))) == 2


def test_meshing_is_reproducible() -> None:
    """The same inputs give the same mesh (so a cached basis can be rebuilt exactly)."""
    medium = HomogeneousMedium(0.3)
    placed = place_lead(lead_from_section(SMALL), Placement("T9"), medium)
    model = conductor_model(medium, placed, "coarse")
    meshes = [build_mesh(list(model.shapes), model.length_mm, model.lead, model.sizes,
                         ellipsoid_radii_mm=model.ellipsoid_radii_mm) for _ in range(2)]
    np.testing.assert_array_equal(meshes[0].tets, meshes[1].tets)
    np.testing.assert_array_equal(meshes[0].points_mm, meshes[1].points_mm)
