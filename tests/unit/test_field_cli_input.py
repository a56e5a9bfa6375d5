"""``neuraxis field`` refuses bad input with one ``Error:`` line and exit code 2, before any
meshing; ``field export`` and the stage display are wired (a tiny stand-in basis)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neuraxis.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO = EXAMPLES / "field_1x8_t9.yaml"
POINTS = EXAMPLES / "points_dc.csv"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


def _run(args: list[str], **kw):
    return CliRunner().invoke(app, ["field", *args], **kw)


def _refused(res, pattern: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture()
def no_basis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build a field basis fails the test (refusals come first)."""
    import neuraxis.field

    def boom(*a, **k):
        raise AssertionError("the field basis was built before the input was refused")

    monkeypatch.setattr(neuraxis.field, "build_field_basis", boom)


@pytest.mark.parametrize(("program", "pattern"), [
    ("E4=-1,E5=0.5", r"'--program'.*sum to -0\.5.*sum to 0 \(bipolar\) or to -1"),
    ("E4=-1,E4=1", r"'--program'.*'E4' is named twice"),
    ("E4=1,E5=-1,E4=-1", r"'E4' is named twice"),
    ("E4=0.5,E5=0.5", r"no cathode"),
    ("E4=-1,E9=1", r"'--program contact'.*but got 'E9'"),
    ("E4=-1,=1", r"contact=fraction pairs"),
])
def test_probe_refuses_bad_programs(program: str, pattern: str, no_basis: None) -> None:
    _refused(_run(["probe", str(SCENARIO), "--points", str(POINTS), "--program", program]),
             pattern)


def test_probe_refuses_contact_with_program(no_basis: None) -> None:
    res = _run(["probe", str(SCENARIO), "--points", str(POINTS), "--contact", "E4",
                "--program", "E4=-1,E5=1"])
    _refused(res, "either --contact or --program, not both")


def test_probe_refuses_unknown_contact_before_solving(no_basis: None) -> None:
    _refused(_run(["probe", str(SCENARIO), "--points", str(POINTS), "--contact", "E12"]),
             r"'--contact'.*but got 'E12'")


@pytest.mark.parametrize("which", ["scenario", "points"])
@pytest.mark.parametrize("kind", ["folder", "png"])
def test_probe_refuses_folders_and_binary_files(tmp_path: Path, which: str, kind: str,
                                                no_basis: None) -> None:
    bad = tmp_path / "bad.png"
    if kind == "folder":
        bad.mkdir()
    else:
        bad.write_bytes(PNG)
    scenario, points = (bad, POINTS) if which == "scenario" else (SCENARIO, bad)
    res = _run(["probe", str(scenario), "--points", str(points), "--contact", "E1"])
    what = "scenario file" if which == "scenario" else "points file"
    _refused(res, rf"Invalid {what} '.*bad\.png': " + ("it is a folder" if kind == "folder"
                                                        else "(a binary file|not UTF-8)"))


@pytest.mark.parametrize("command", ["solve", "plot", "export"])
def test_scenario_folder_is_refused_by_every_command(tmp_path: Path, command: str,
                                                     no_basis: None) -> None:
    _refused(_run([command, str(tmp_path), *(["--out", str(tmp_path / "x")]
                                             if command != "solve" else [])]),
             "it is a folder")


def test_plot_refuses_a_missing_folder_and_creates_none(tmp_path: Path,
                                                        no_basis: None) -> None:
    out = tmp_path / "no" / "such" / "f.png"
    _refused(_run(["plot", str(SCENARIO), "--out", str(out)]),
             rf"folder '{tmp_path / 'no'}' does not exist")
    assert not (tmp_path / "no").exists()
    _refused(_run(["plot", str(SCENARIO), "--out", str(tmp_path)]), "it is a folder")


@pytest.mark.parametrize(("args", "pattern"), [
    (["--format", "vtk"], r"'--format'.*did you mean 'vtu'"),
    (["--out", "{tmp}/missing/f.vtu"], r"folder '.*missing' does not exist"),
    (["--out", "{tmp}/f.vtu", "--fibers", "{tmp}/missing/f.csv"],
     r"Invalid --fibers file .*folder '.*missing' does not exist"),
])
def test_export_refusals(tmp_path: Path, args: list[str], pattern: str,
                         no_basis: None) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    _refused(_run(["export", str(SCENARIO), *args]), pattern)


def test_export_fibers_need_a_spine(tmp_path: Path, no_basis: None) -> None:
    scen = tmp_path / "h.yaml"
    scen.write_text("anatomy: {kind: homogeneous, sigma_s_per_m: 0.2}\n"
                    "lead: {model: percutaneous_1x8}\nplacement: {level: T9}\n")
    _refused(_run(["export", str(scen), "--out", str(tmp_path / "h.vtu"), "--fibers",
                   str(tmp_path / "f.csv")]), "SpineAnatomy")


# ------------------------------------------------------------- with a stand-in basis
def _tiny_basis(contact_names: tuple[str, ...]):
    skfem = pytest.importorskip("skfem")
    from neuraxis.field.basis import FieldBasis

    m = skfem.MeshTet().refined(1)
    b = skfem.Basis(m, skfem.ElementTetP2())
    pot = np.stack([(i + 1) * b.doflocs[0] for i in range(len(contact_names))], axis=1)
    return FieldBasis(contact_names, m.p, m.t, np.arange(m.t.shape[1]) % 2,
                      ("csf", "white_matter"), b.element_dofs, pot,
                      np.eye(len(contact_names)), "k")


@pytest.fixture()
def tiny_basis(monkeypatch: pytest.MonkeyPatch) -> list:
    """``build_field_basis`` replaced by one that reports the four stages and returns a
    small stand-in basis with the lead's contacts; the calls are recorded."""
    import neuraxis.field

    calls: list = []

    def fake(anatomy, placed, mesh, *, progress=None, **kw):
        calls.append(progress)
        if progress is not None:
            for stage in ("mesh", "assemble", "amg"):
                progress(stage, 0, 1)
                progress(stage, 1, 1)
            progress("solve", 8, 8)
        return _tiny_basis(tuple(placed.lead.contact_names))

    monkeypatch.setattr(neuraxis.field, "build_field_basis", fake)
    return calls


def test_solve_shows_its_stages_on_a_terminal_stderr(tiny_basis: list) -> None:
    res = CliRunner().invoke(app, ["field", "solve", str(SCENARIO)],
                             env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"})
    assert res.exit_code == 0, res.output
    for label in ("meshing", "assembling", "multigrid set-up", "solving contacts"):
        assert label in res.stderr, res.stderr
        assert label not in res.stdout
    assert tiny_basis[-1] is not None
    quiet = CliRunner().invoke(app, ["field", "solve", str(SCENARIO)])  # not a terminal
    assert quiet.exit_code == 0 and "meshing" not in quiet.output
    assert tiny_basis[-1] is None


def test_export_writes_vtu_and_the_scenarios_fibers(tmp_path: Path,
                                                    tiny_basis: list) -> None:
    meshio = pytest.importorskip("meshio")
    from neuraxis.fibers import scs_fibers
    from neuraxis.scenario import load_scenario

    res = _run(["export", str(SCENARIO), "--out", str(tmp_path / "f.vtu"), "--fibers",
                str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    assert "vertices of the P2 solution" in res.output and "0=csf, 1=white_matter" in res.output
    grid = meshio.read(tmp_path / "f.vtu")
    assert sorted(grid.point_data) == [f"potential_E{i}_v_per_ma" for i in range(1, 9)]
    sc = load_scenario(SCENARIO)  # no program: the roots centred on the lead's contacts
    expect = scs_fibers(sc.anatomy, n_dc=sc.fibers.dc, n_dr_per_root=sc.fibers.dr_per_root,
                        seed=sc.fibers.seed,
                        z_center_mm=float(np.mean(sc.placed.contact_centers_mm()[:, 2])))
    with (tmp_path / "f.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(p) for p in expect.paths_mm)
    last = len(expect) - 1
    mine = np.array([[float(r[c]) for c in ("x_mm", "y_mm", "z_mm")] for r in rows
                     if int(r["fiber_id"]) == last])
    np.testing.assert_array_equal(mine, expect.paths_mm[last])
    assert {r["kind"] for r in rows} == {"dc", "dr"}
