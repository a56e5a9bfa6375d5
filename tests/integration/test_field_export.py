"""VTU export of a real (coarse) field basis read back with meshio; fibers CSV; the stages
``build_field_basis`` reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes and solves a field basis

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")
meshio = pytest.importorskip("meshio")

from typer.testing import CliRunner

from neuraxis.anatomy import HomogeneousMedium, spine_anatomy
from neuraxis.cli import app
from neuraxis.fibers import dorsal_column_fibers, dorsal_root_fibers
from neuraxis.field import build_field_basis
from neuraxis.field.export import (
    FIBER_CSV_COLUMNS,
    export_fibers_csv,
    export_vtu,
    vertex_potentials_v_per_ma,
    vtu_array_name,
)
from neuraxis.leads import Placement, place_lead
from neuraxis.scenario import lead_from_section

TWO_CONTACTS = {"kind": "percutaneous", "diameter_mm": 1.3, "contact_length_mm": 1.5,
                "gap_mm": 1.5, "n_contacts": 2, "body_end_mm": 1.0}
SCENARIO = """name: small_medium
anatomy: {kind: homogeneous, sigma_s_per_m: [0.2, 0.2, 0.6], radius_mm: 20, length_mm: 60}
lead: {kind: percutaneous, diameter_mm: 1.3, contact_length_mm: 1.5, gap_mm: 1.5,
       n_contacts: 2, body_end_mm: 1.0}
placement: {level: T9}
mesh: coarse
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """A coarse anisotropic homogeneous basis (cached in a module folder) and the stages
    its build reported."""
    cache = tmp_path_factory.mktemp("cache") / "field"  # $NEURAXIS_CACHE_DIR/field
    medium = HomogeneousMedium((0.2, 0.2, 0.6), radius_mm=20.0, length_mm=60.0)
    placed = place_lead(lead_from_section(TWO_CONTACTS), Placement("T9"), medium)
    stages: list[tuple[str, int, int]] = []
    basis = build_field_basis(medium, placed, "coarse", cache=cache,
                              progress=lambda s, d, n: stages.append((s, d, n)))
    return basis, stages, cache


def test_build_reports_mesh_assemble_amg_solve_in_order(built) -> None:
    _, stages, _ = built
    names = list(dict.fromkeys(s for s, _, _ in stages))
    assert names == ["mesh", "assemble", "amg", "solve"]
    for name in ("mesh", "assemble", "amg"):
        assert [(d, n) for s, d, n in stages if s == name] == [(0, 1), (1, 1)]
    solve = [(d, n) for s, d, n in stages if s == "solve"]
    assert solve[0] == (0, 2) and solve[-1] == (2, 2)


def test_vtu_holds_the_mesh_labels_and_vertex_potentials(built, tmp_path: Path) -> None:
    basis = built[0]
    path = export_vtu(basis, tmp_path / "field.vtu")
    grid = meshio.read(path)
    n_points = basis.points_mm.shape[1]
    assert grid.points.shape == (n_points, 3)
    np.testing.assert_array_equal(grid.points, basis.points_mm.T)
    assert [c.type for c in grid.cells] == ["tetra"]
    np.testing.assert_array_equal(grid.cells[0].data, basis.tets.T)
    np.testing.assert_array_equal(grid.cell_data["tissue_id"][0], basis.tissue_of_tet)
    assert basis.tissues == ("medium",) and set(grid.cell_data["tissue_id"][0]) == {0}
    assert sorted(grid.point_data) == [vtu_array_name("E1"), vtu_array_name("E2")]
    # the exported values are the basis itself at the vertices
    probed = basis.probe(basis.points_mm.T)
    assert np.all(np.isfinite(probed))
    for i, name in enumerate(basis.contact_names):
        np.testing.assert_allclose(grid.point_data[vtu_array_name(name)], probed[:, i],
                                   rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(vertex_potentials_v_per_ma(basis)[:, 0],
                                  grid.point_data[vtu_array_name("E1")])
    # a contact's surface vertices carry its potential: the access resistance (kOhm = V/mA)
    e1 = grid.point_data[vtu_array_name("E1")]
    assert e1.max() == pytest.approx(basis.impedance_kohm["E1"], rel=1e-9)


def test_cli_export_json(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    basis, _, cache = built
    monkeypatch.setenv("NEURAXIS_CACHE_DIR", str(cache.parent))
    scen = tmp_path / "s.yaml"
    scen.write_text(SCENARIO)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["field", "export", str(scen), "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert rec["key"] == basis.key  # the same basis, loaded from the cache
    assert rec["vtu"] == "s.vtu" and (tmp_path / "s.vtu").is_file()  # default name, here
    assert rec["n_points"] == meshio.read(tmp_path / "s.vtu").points.shape[0]
    assert rec["tissue_id"] == {"0": "medium"} and "vertices" in rec["values"]


def test_fibers_csv_round_trip(tmp_path: Path) -> None:
    a = spine_anatomy("T9")
    fibers = dorsal_column_fibers(a, 12, seed=2).concat(dorsal_root_fibers(a, n_per_root=1,
                                                                           n_segments=1))
    path = export_fibers_csv(fibers, tmp_path / "f.csv")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == FIBER_CSV_COLUMNS
        rows = list(reader)
    assert len(rows) == sum(len(p) for p in fibers.paths_mm)
    ids = np.array([int(r["fiber_id"]) for r in rows])
    assert np.all(np.diff(ids) >= 0) and ids[-1] == len(fibers) - 1
    for i in (0, len(fibers) - 1):
        mine = [r for r in rows if int(r["fiber_id"]) == i]
        xyz = np.array([[float(r[c]) for c in ("x_mm", "y_mm", "z_mm")] for r in mine])
        np.testing.assert_array_equal(xyz, fibers.paths_mm[i])  # exact (repr floats)
        assert {r["kind"] for r in mine} == {str(fibers.kind[i])}
        assert {float(r["diameter_um"]) for r in mine} == {float(fibers.diameter_um[i])}
