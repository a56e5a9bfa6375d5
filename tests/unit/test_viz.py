"""Figures (neuraxis.viz), the exhaustive point search behind the cross-section figure,
and the HTML report's provenance block. Small synthetic meshes only (no gmsh, no FEM)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from neuraxis.perception.report import write_report

SRC = Path(__file__).resolve().parents[2] / "src"
PNG = b"\x89PNG\r\n\x1a\n"
needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason="matplotlib not installed")


# ------------------------------------------------------------------ point search
def _brute_force(loc, x: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Lowest-numbered tetrahedron containing each point: every tetrahedron checked."""
    lam = np.einsum("kij,nkj->nki", loc._inv, x[:, None, :] - loc._origin[None])
    lam4 = np.concatenate([1.0 - lam.sum(-1, keepdims=True), lam], axis=-1)
    inside = np.all(lam4 >= -tol, axis=-1)
    return np.where(inside.any(axis=1), np.argmax(inside, axis=1), -1)


def _graded_mesh():
    """A unit cube meshed finely in one corner and coarsely elsewhere (tetrahedra of
    several size classes), with a cavity: the tetrahedra around the centre removed."""
    skfem = pytest.importorskip("skfem")
    m = skfem.MeshTet().refined(3)
    p = m.p ** 2  # graded: small tetrahedra near the origin, large ones near (1, 1, 1)
    centroid = p[:, m.t].mean(axis=1)
    keep = np.linalg.norm(centroid - 0.45, axis=0) > 0.12  # a hole, like the lead
    return p, m.t[:, keep]


def test_exhaustive_search_is_the_brute_force_answer():
    from neuraxis.field.probe import PointLocator

    p, t = _graded_mesh()
    loc = PointLocator(p, t)
    rng = np.random.default_rng(3)
    x = np.vstack([rng.uniform(-0.1, 1.1, (400, 3)),  # inside, in the hole and outside
                   p.T,  # mesh vertices: shared by many tetrahedra (ties)
                   np.full((1, 3), 0.45)])  # the hole's centre
    found, bary = loc._exhaustive(x, 1e-9)
    expected = _brute_force(loc, x)
    np.testing.assert_array_equal(found, expected)
    assert (expected == -1).sum() > 20 and (expected >= 0).sum() > 300  # both kinds tested
    ok = found >= 0
    np.testing.assert_allclose((bary[ok][:, :, None] * p[:, t[:, found[ok]]].transpose(2, 1, 0)
                                ).sum(axis=1), x[ok], atol=1e-12)
    assert np.isnan(bary[~ok]).all()
    assert len(loc._size_classes()) >= 3  # the graded mesh exercises several classes


def test_locate_outside_points_come_back_minus_one_without_a_dense_search():
    """Points in the hole reach the exhaustive search; memory stays per candidate (the
    former search allocated points x all tetrahedra x 3)."""
    from neuraxis.field.probe import PointLocator

    p, t = _graded_mesh()
    loc = PointLocator(p, t)
    grid = np.stack(np.meshgrid(*[np.linspace(0.35, 0.55, 9)] * 3), -1).reshape(-1, 3)
    tet, bary = loc.locate(grid)
    np.testing.assert_array_equal(tet == -1, _brute_force(loc, grid) == -1)
    assert (tet == -1).any() and np.isnan(bary[tet == -1]).all()


# ----------------------------------------------------------------------- figures
def _basis():
    """A 10 mm cube with two contacts near its centre (P2 fields ~ 1/r)."""
    skfem = pytest.importorskip("skfem")
    from neuraxis.field.basis import FieldBasis

    m = skfem.MeshTet().refined(3)
    p = m.p * 20.0 - 10.0
    b = skfem.Basis(skfem.MeshTet(p, m.t), skfem.ElementTetP2())
    centers = {"E1": (0.0, 0.0, 0.0), "E2": (0.0, 0.0, 4.0)}
    pots = [1.0 / (0.5 + np.linalg.norm(b.doflocs - np.array(c)[:, None], axis=0))
            for c in centers.values()]
    return FieldBasis(("E1", "E2"), p, m.t, np.zeros(m.t.shape[1], dtype=int), ("medium",),
                      b.element_dofs, np.stack(pots, axis=1), np.eye(2), "k",
                      {"contact_centers_mm": centers})


def _result(basis):
    """What the SCS figures use of an ScsResult, nothing more."""
    kind = np.array(["dc"] * 6 + ["dr"] * 3)
    thr = np.array([0.5, 1.0, 3.0, 9.0, np.inf, 2.0, 1.5, 5.0, np.inf])
    paths = [np.zeros((0, 3))] * 6 + [np.column_stack([np.linspace(2, 8, 5), np.full(5, k),
                                                       np.linspace(-1, 1, 5)])
                                      for k in (1.0, 2.0, 3.0)]
    return SimpleNamespace(
        fibers=SimpleNamespace(kind=kind, x_mm=np.linspace(-2, 2, 9), y_mm=np.full(9, 1.0),
                               paths_mm=paths),
        thresholds=SimpleNamespace(threshold_ma=thr, recruited=lambda amp: thr <= amp),
        at=lambda amp=None: SimpleNamespace(recruited=thr <= (2.0 if amp is None else amp)),
        basis=basis,
        program=SimpleNamespace(contacts={"E1": -1.0, "E2": 1.0}, amplitude_ma=2.0,
                                pulse_width_us=300.0),
        curve={"amplitude_ma": [0.0, 1.0, 2.0, 4.0], "dc_fraction": [0, 0.3, 0.6, 0.7],
               "dr_fraction": [0, 0, 0.3, 0.3]},
        perception_threshold_ma=0.5, discomfort_threshold_ma=1.5, usable_range=3.0)


@needs_mpl
def test_scs_figures_write_pngs(tmp_path):
    from neuraxis.viz.field import plot_cross_section
    from neuraxis.viz.scs import plot_recruitment, plot_spine_section

    basis = _basis()
    result = _result(basis)
    outs = [plot_recruitment(result, tmp_path / "rec.png"),
            plot_spine_section(result, tmp_path / "sub" / "section.png", n=60),
            plot_cross_section(basis, tmp_path / "field.png", contact="E2", n=60)]
    assert outs[1] == tmp_path / "sub" / "section.png"
    for out in outs:
        assert out.read_bytes()[:8] == PNG and out.stat().st_size > 10_000


@needs_mpl
def test_cross_section_checks_contact_names(tmp_path):
    from neuraxis import NeuraxisInputError
    from neuraxis.viz.field import plot_cross_section

    with pytest.raises(NeuraxisInputError, match="did you mean 'E1'"):
        plot_cross_section(_basis(), tmp_path / "f.png", program={"e1": -1.0})


@needs_mpl
def test_body_map_takes_the_paresthesia_then_the_path(tmp_path):
    from neuraxis.viz.bodymap import plot_body_map

    out = plot_body_map({"L1_left": 0.9}, tmp_path / "body.png", pain=["low_back"])
    assert out.read_bytes()[:8] == PNG


@needs_mpl
def test_figures_use_no_pyplot_and_importing_viz_loads_no_matplotlib(tmp_path):
    code = ("import sys\nimport neuraxis.viz.scs, neuraxis.viz.field, neuraxis.viz.bodymap\n"
            "assert 'matplotlib' not in sys.modules\n"
            "from neuraxis.viz.bodymap import plot_body_map\n"
            f"plot_body_map({{'L1_left': 0.5}}, {str(tmp_path / 'b.png')!r})\n"
            "print('matplotlib.pyplot' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------ report
def _results(**extra):
    return {"name": "t", "perception_threshold_ma": 1.0, "discomfort_threshold_ma": 2.0,
            "usable_range": 2.0, "program": {"amplitude_ma": 1.5}, "pain_map": ["low_back"],
            "pain_coverage_pct": 50.0, "paresthesia_outside_pain_pct": 10.0,
            "dc_recruited_fraction": 0.2, "dr_recruited_fraction": 0.0,
            "paresthesia": {"T10_left": 0.5}, "side_effects": [], "timings_s": {"total": 1.0},
            **extra}


def test_report_opens_with_the_provenance_escaped(tmp_path):
    prov = {"neuraxis_version": "0.2.0", "date_utc": "2026-11-30T12:00:00+00:00",
            "field_key": "abc<script>alert(1)</script>",
            "contact_impedance_kohm": {"E1": 0.81234, "E2": 1.1},
            "notice": "Research model, not a clinical device & not for patients."}
    text = write_report(_results(provenance=prov), "name: t", {}, tmp_path / "r.html") \
        .read_text(encoding="utf-8")
    block = text[text.index('<section class="provenance">'):text.index("</section>")]
    assert text.index("provenance") < text.index("<h2>Summary")
    assert "Research model, not a clinical device &amp; not for patients." in block
    assert "0.2.0" in block and "2026-11-30T12:00:00+00:00" in block
    assert "E1 0.812, E2 1.1" in block
    assert "&lt;script&gt;" in block and "<script>" not in text


def test_report_without_provenance_has_no_block(tmp_path):
    text = write_report(_results(), "name: t", {}, tmp_path / "r.html").read_text()
    assert 'class="provenance"' not in text and "<h2>Summary" in text
