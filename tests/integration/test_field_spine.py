"""Spine field basis end to end on coarse meshes: CLI, cache, physics sanity."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes and solves spine models

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from typer.testing import CliRunner

from neuraxis.anatomy import spine_anatomy
from neuraxis.cli import app
from neuraxis.field import build_field_basis
from neuraxis.leads import Placement, place_lead
from neuraxis.scenario import lead_from_section

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Model length of the one-contact tests (mm): the shortest the anatomy allows (meshes a
#: third smaller than the 90 mm default); these tests compare fields within 10 mm of the
#: contact, each against the same length.
SHORT_MM = 60.0
ONE_CONTACT = {"kind": "percutaneous", "diameter_mm": 1.3, "contact_length_mm": 3.0,
               "gap_mm": 4.0, "n_contacts": 1}


@pytest.fixture(scope="module")
def coarse_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled 1x8 scenario on a coarse mesh, with a cache shared by this module."""
    tmp = tmp_path_factory.mktemp("field")
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(tmp / "cache"))
    text = (EXAMPLES / "field_1x8_t9.yaml").read_text().replace("mesh: default", "mesh: coarse")
    # an acute lead (no sheath): the access resistance below is that of the bare contact
    text = text.replace("anatomy: {kind: spine, level: T9", "anatomy: {kind: spine, level: T9, "
                        "encapsulation_thickness_mm: 0")
    path = tmp / "s.yaml"
    path.write_text(text)
    yield path
    mp.undo()


def test_cli_solve_probe_and_cache(coarse_scenario: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["field", "solve", str(coarse_scenario), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    z = out["impedance_kohm"]
    assert list(z) == [f"E{i}" for i in range(1, 9)]
    # a 1.3 mm x 3 mm ring on the dura: ~1.3 kOhm (REFERENCE 2.7: 1.33 kOhm, FEM and FV)
    assert all(1.0 < v < 1.7 for v in z.values())
    # the end contacts see less tissue around them... and the field is symmetric
    assert z["E1"] == pytest.approx(z["E8"], rel=0.02)
    again = runner.invoke(app, ["field", "solve", str(coarse_scenario), "--json"])
    assert json.loads(again.output)["wall_s"] < 1.5  # loaded from the cache
    assert json.loads(again.output)["key"] == out["key"]
    res = runner.invoke(app, ["field", "probe", str(coarse_scenario), "--points",
                              str(EXAMPLES / "points_dc.csv"), "--program", "E4=-1,E5=1",
                              "--json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.output)
    v = [r["potential_v_per_ma"] for r in recs]
    assert abs(v[0]) < 0.1 * abs(v[1])  # midway between the bipole's contacts: ~0
    assert v[1] < 0 < -v[1]  # under the cathode E4 (z = 3.5 mm): negative
    assert v[-1] is None  # inside the lead
    png = tmp_path / "f.png"
    res = runner.invoke(app, ["field", "plot", str(coarse_scenario), "--out", str(png)])
    assert res.exit_code == 0 and png.stat().st_size > 10_000


@pytest.mark.parametrize(("args", "pattern"), [
    (["--program", "E4:-1"], "contact=fraction pairs"),
    (["--contact", "E12"], r"Allowed values are 'E1'.*but got 'E12'"),
    ([], "give --contact NAME or --program"),
])
def test_cli_probe_errors(coarse_scenario: Path, args: list[str], pattern: str) -> None:
    res = CliRunner().invoke(app, ["field", "probe", str(coarse_scenario), "--points",
                                   str(EXAMPLES / "points_dc.csv"), *args])
    assert res.exit_code == 2
    assert re.search(pattern, res.output), res.output


def test_cli_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("anatomy: {kind: spine, level: T9}\nleed: {model: paddle_5_6_5}\n")
    res = CliRunner().invoke(app, ["field", "solve", str(bad)])
    assert res.exit_code == 2 and "did you mean 'lead'" in res.output


def test_thicker_dcsf_lowers_the_dorsal_column_potential(tmp_path: Path) -> None:
    """Holsheimer 1994 / He 1994: perception threshold rises with dCSF because the
    dorsal columns see less potential. Same contact, dCSF 3 vs 5 mm: the cord moves 2 mm
    ventrally in the same sac (measured: 16 % less potential 0.3 mm under the cord's dorsal
    surface). The sources give a direction; the bound asks for a drop well beyond the
    coarse mesh's 2 % (this test asked for 20 % when a thicker dCSF moved the dura and the
    lead dorsally instead, a rule that refused the published dCSF range)."""
    v = []
    for dcsf in (3.0, 5.0):
        a = spine_anatomy("T11", dcsf_mm=dcsf, encapsulation_thickness_mm=0.0, length_mm=SHORT_MM)
        placed = place_lead(lead_from_section(ONE_CONTACT), Placement("T11"), a)
        basis = build_field_basis(a, placed, "coarse", cache=tmp_path)
        top = a.cord_ellipse.center_y_mm + a.cord_ellipse.semi_y_mm
        pts = np.array([[0.0, top - 0.3, z] for z in np.linspace(-10, 10, 41)])
        v.append(np.max(basis.probe(pts, contact="E1")))
    assert v[1] < 0.9 * v[0], v


def test_paddle_sends_more_current_to_the_cord_than_a_cylinder(tmp_path: Path) -> None:
    """Same contact length (3 mm), same lowest point (0.1 mm above the dura) at T11: the
    paddle's flat contact with its insulating back gives the dorsal columns more potential
    per mA than a ring on a cylindrical lead (measured +16 %), and a wide backing more
    than a narrow one (measured +2 %)."""
    a = spine_anatomy("T11", encapsulation_thickness_mm=0.0,  # the leads' own shapes
                      length_mm=SHORT_MM)
    top = a.cord_ellipse.center_y_mm + a.cord_ellipse.semi_y_mm
    z = np.linspace(-10, 10, 41)
    pts = np.column_stack([np.zeros_like(z), np.full_like(z, top - 0.3), z])
    paddle = {"kind": "paddle", "columns": [1], "contact_length_mm": 3.0,
              "contact_width_mm": 1.5, "column_pitch_mm": 3.0, "row_pitch_mm": 5.0,
              "paddle_thickness_mm": 1.5}
    v = {}
    for name, spec in (("ring", ONE_CONTACT), ("paddle", {**paddle, "paddle_width_mm": 8.0}),
                       ("narrow", {**paddle, "paddle_width_mm": 2.0})):
        placed = place_lead(lead_from_section(spec), Placement("T11"), a)
        basis = build_field_basis(a, placed, "coarse", cache=tmp_path)
        v[name] = float(np.max(basis.probe(pts, contact="E1")))
    assert v["paddle"] > 1.1 * v["ring"], v
    assert v["paddle"] > v["narrow"], v


def test_cli_missing_extra_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the [fem] extra, 'field solve' says which extra to install: no traceback."""
    from neuraxis._soft_import import soft_import
    from neuraxis.field import geometry

    monkeypatch.setenv("NEURAXIS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(geometry, "_gmsh", lambda: soft_import("gmsh_not_installed_x", "fem",
                                                               "Meshing the volume conductor"))
    res = CliRunner().invoke(app, ["field", "solve", str(EXAMPLES / "field_1x8_t9.yaml")])
    assert res.exit_code == 2
    assert "pip install 'neuraxis[fem]'" in res.output and "Traceback" not in res.output


def test_mesh_is_refined_along_the_dorsal_rootlets(coarse_scenario: Path) -> None:
    """The rootlets' CSF is meshed at the dorsal columns' element size (both refined
    to the region size), not at the canal's coarser one (coarse preset: 1.0 vs 2.0 mm;
    measured median longest tet edge: rootlets 1.8, dorsal columns 1.5, ventral CSF
    2.6 mm)."""
    from neuraxis.cli.field import _inputs  # the one scenario -> field inputs helper

    anatomy, placed, mesh = _inputs(coarse_scenario)
    basis = build_field_basis(anatomy, placed, mesh)

    def longest_edge_mm(points: np.ndarray) -> float:
        tet, _ = basis._locator().locate(points)
        assert np.all(tet >= 0)
        xyz = basis.points_mm[:, basis.tets[:, tet]]  # (3, 4, n)
        pairs = [(0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3)]
        return float(np.median(np.max([np.linalg.norm(xyz[:, i] - xyz[:, j], axis=0)
                                       for i, j in pairs], axis=0)))

    zs = np.linspace(-10, 10, 21)
    dc = longest_edge_mm(np.array([[1.0, anatomy.cord_ellipse.semi_y_mm - 0.35, z]
                                   for z in zs]))
    sac = anatomy.sac_ellipse
    ventral = longest_edge_mm(np.array([[0.0, sac.center_y_mm - sac.semi_y_mm + 0.5, z]
                                        for z in zs]))
    for side in ("left", "right"):
        rootlet = longest_edge_mm(anatomy.dorsal_rootlet_paths_mm(side, 5.0, n_points=40)[2:-2])
        assert rootlet < 1.25 * dc and ventral > 1.4 * rootlet, (rootlet, dc, ventral)


def _tet_volumes_mm3(points: np.ndarray, tets: np.ndarray) -> np.ndarray:
    p = points[:, tets]  # (3, 4, n)
    return np.abs(np.einsum("ij...,ij...->j...", p[:, 1] - p[:, 0],
                            np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 0], axis=0))) / 6.0


def test_encapsulation_sheath_is_meshed_and_placed() -> None:
    """A 0.3 mm sheath around a one-contact lead (coarse mesh):

    * its tissue volume is that of the lead grown by 0.3 mm minus the lead (within 5 %:
      coarse elements facet the two cylinders; measured -3.0 %);
    * with the sheath given the epidural fat's conductivity, the potential in the dorsal
      columns equals that of a bare lead lifted by the same 0.3 mm (the sheath then
      changes only where the lead sits): within 2 %;
    * with its own (published) conductivity, 0.16 S/m, four times the fat's, the access
      resistance falls and the dorsal-column potential changes (measured: +1.4 %).
    """
    t = 0.3
    lead = lead_from_section(ONE_CONTACT)

    def solve(anatomy, clearance_mm):
        placed = place_lead(lead, Placement("T9", clearance_mm=clearance_mm), anatomy)
        return build_field_basis(anatomy, placed, "coarse", cache=False)

    sheathed = spine_anatomy("T9", encapsulation_thickness_mm=t, length_mm=SHORT_MM)
    basis = solve(sheathed, 0.1)
    assert "encapsulation" in basis.tissues
    vol = _tet_volumes_mm3(basis.points_mm, basis.tets)
    enc = vol[basis.tissue_of_tet == basis.tissues.index("encapsulation")].sum()
    r, h = 0.5 * lead.diameter_mm, 0.5 * lead.body_length_mm
    expected = np.pi * ((r + t) ** 2 * (2 * h + 2 * t) - r ** 2 * 2 * h)
    assert enc == pytest.approx(expected, rel=0.05)  # measured -3.0 %

    a = sheathed.cord_ellipse
    dc = np.column_stack([np.zeros(9), np.full(9, a.center_y_mm + a.semi_y_mm - 0.3),
                          np.linspace(-8, 8, 9)])
    fat = sheathed.conductivities.epidural_fat_s_per_m
    as_fat = solve(spine_anatomy("T9", conductivities={"encapsulation": fat}, length_mm=SHORT_MM,
                                 encapsulation_thickness_mm=t), 0.1)
    lifted = solve(spine_anatomy("T9", encapsulation_thickness_mm=0.0, length_mm=SHORT_MM),
                   0.1 + t).probe(dc, contact="E1")
    np.testing.assert_allclose(as_fat.probe(dc, contact="E1"), lifted, rtol=0.02)
    assert basis.impedance_kohm["E1"] < 0.95 * as_fat.impedance_kohm["E1"]
    own = basis.probe(dc, contact="E1")
    assert np.min(own / lifted - 1) > 0.005


def test_rotated_lead_field_follows_its_contacts() -> None:
    """A 1x8 lead turned 5 deg (rostral end to the patient's left): each end
    contact's potential peaks in the CSF under that contact (within 1 mm in x and z),
    so the rotation reaches the mesh, not only the contact table."""
    a = spine_anatomy("T9", encapsulation_thickness_mm=0.0)
    placed = place_lead(lead_from_section({"model": "percutaneous_1x8"}),
                        Placement("T9", rotation_deg=5.0), a)
    basis = build_field_basis(a, placed, "coarse", cache=False)
    centers = dict(zip(placed.lead.contact_names, placed.contact_centers_mm(), strict=True))
    assert centers["E1"][0] > 1.0 and centers["E8"][0] < -1.0  # rostral end to +x
    xs, zs = np.meshgrid(np.arange(-5.0, 5.01, 0.25), np.arange(-30.0, 30.01, 0.25))
    y = a.cord_ellipse.center_y_mm + a.cord_ellipse.semi_y_mm + 0.4  # in the dorsal CSF
    plane = np.column_stack([xs.ravel(), np.full(xs.size, y), zs.ravel()])
    for name in ("E1", "E8"):
        v = basis.probe(plane, contact=name)
        peak = plane[np.nanargmax(v)]
        assert abs(peak[0] - centers[name][0]) < 1.0, (name, peak, centers[name])
        assert abs(peak[2] - centers[name][2]) < 1.0, (name, peak, centers[name])
