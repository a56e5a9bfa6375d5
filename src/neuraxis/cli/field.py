"""``neuraxis field``: build/load the FEM field basis of a scenario, probe, plot, export it."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from neuraxis._validate import NeuraxisInputError, check_option, read_text_file
from neuraxis.cli._render import (
    _echo_json,
    _print_key_values,
    _stage_progress,
    _stdout_console,
    user_errors,
)

field_app = typer.Typer(
    help="Volume conductor: per-contact FEM field basis (gmsh + scikit-fem + pyamg). "
         "Coordinates: z along the cord, y dorsal, x to the patient's left, origin on the "
         "cord axis at the middle of the modelled segment; mm.",
    no_args_is_help=True,
)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML (anatomy, lead, placement, "
                                             "mesh).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _scenario(path: Path):
    """The validated scenario of a file (folders and binary files refused cleanly)."""
    from neuraxis.scenario import load_scenario

    return load_scenario(path)


def _inputs(path: Path):
    """(anatomy, placed lead, mesh preset) of a scenario file: the one place this module
    turns a scenario into field inputs (switch here when the scenario layer changes)."""
    sc = _scenario(path)
    return sc.anatomy, sc.placed, sc.mesh


def _basis(scenario: Path, show_progress: bool, inputs=None):
    """Build or load the scenario's field basis; its stages on stderr if it is a terminal."""
    from neuraxis.field import build_field_basis

    anatomy, placed, mesh = _inputs(scenario) if inputs is None else inputs
    with _stage_progress(show_progress) as report:
        return build_field_basis(anatomy, placed, mesh, progress=report)


@field_app.command("solve")
@user_errors
def field_solve(scenario: ScenarioArg, json_out: JsonOpt = False) -> None:
    """Build (or load from the cache) the field basis; print mesh size, times, impedances."""
    t = time.perf_counter()
    basis = _basis(scenario, not json_out)
    info = basis.info
    rec = {"key": basis.key, "n_tets": info.get("n_tets"), "n_dofs": basis.n_dofs,
           "mesh_s": info.get("mesh_s"), "assembly_s": info.get("assembly_s"),
           "amg_setup_s": info.get("amg_setup_s"), "solve_s": info.get("solve_s"),
           "wall_s": round(time.perf_counter() - t, 2),
           "impedance_kohm": {k: round(v, 4) for k, v in basis.impedance_kohm.items()}}
    if json_out:
        _echo_json(rec)
        return
    flat = {k: v for k, v in rec.items() if k != "impedance_kohm"}
    _print_key_values("Field basis", flat)
    _print_key_values("Access resistance per contact (kOhm, to the distant return)",
                      rec["impedance_kohm"])


def _read_points(path: Path) -> np.ndarray:
    text = read_text_file(path, "points file")  # refuses folders and binary files
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        need = ("x_mm", "y_mm", "z_mm")
        if reader.fieldnames is None or any(c not in reader.fieldnames for c in need):
            raise NeuraxisInputError(
                f"Invalid points file '{path}': expected the columns x_mm, y_mm, z_mm, got "
                f"{reader.fieldnames}")
        rows = []
        for i, row in enumerate(reader, start=2):
            try:
                rows.append([float(row[c]) for c in need])
            except (TypeError, ValueError):
                raise NeuraxisInputError(
                    f"Invalid points file '{path}', line {i}: x_mm, y_mm, z_mm must be numbers "
                    f"in mm, got {[row[c] for c in need]}") from None
    if not rows:
        raise NeuraxisInputError(f"Invalid points file '{path}': no points")
    return np.array(rows)


def _parse_program(text: str) -> dict[str, float]:
    """``'E4=-1,E5=1'`` -> ``{'E4': -1.0, 'E5': 1.0}`` (syntax only; a name given twice is
    refused); the fractions are checked against the lead by ``check_fractions``."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, val = part.partition("=")
        name = name.strip()
        try:
            value = float(val)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise NeuraxisInputError(
                f"Invalid value for '--program'. Expected contact=fraction pairs separated by "
                f"commas, e.g. 'E4=-1,E5=1', but got {text!r}")
        if name in out:
            raise NeuraxisInputError(
                f"Invalid value for '--program': contact {name!r} is named twice in {text!r}; "
                "give each contact once")
        out[name] = value
    return out


@field_app.command("probe")
@user_errors
def field_probe(
    scenario: ScenarioArg,
    points: Annotated[Path, typer.Option("--points", help="CSV with columns x_mm, y_mm, z_mm.",
                                         show_default=False)],
    contact: Annotated[str | None, typer.Option("--contact", help="One contact's unit field "
                                                "(others floating).")] = None,
    program: Annotated[str | None, typer.Option("--program", help="Signed fractions, e.g. "
                                                "'E4=-1,E5=1' (cathodes negative).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Potential (V per mA) at points, for one contact or a program.

    A program's fractions are checked as in ``scs run`` (one cathode at least; they sum to
    0, bipolar, or to -1, the case as anode; cathodes sum to -1).
    """
    from neuraxis.perception.program import check_fractions

    if contact is None and program is None:
        raise NeuraxisInputError("Invalid input: give --contact NAME or --program 'E1=-1,E2=1'")
    if contact is not None and program is not None:
        raise NeuraxisInputError(
            "Invalid input: give either --contact or --program, not both (--contact is one "
            "contact's unit field, --program a combination)")
    prog = _parse_program(program) if program is not None else None
    pts = _read_points(points)
    inputs = _inputs(scenario)
    names = tuple(inputs[1].lead.contact_names)
    if prog is not None:
        prog = check_fractions(prog, names, "--program")
    else:
        check_option("--contact", contact, names)
    basis = _basis(scenario, False, inputs)
    v = basis.probe(pts, program=prog, contact=contact if prog is None else None)
    recs = [{"x_mm": float(p[0]), "y_mm": float(p[1]), "z_mm": float(p[2]),
             "potential_v_per_ma": None if np.isnan(val) else float(val)}
            for p, val in zip(pts, v, strict=True)]
    if json_out:
        _echo_json(recs)
        return
    from rich.table import Table

    table = Table(title="Potential (V per mA); '-' = outside the tissue")
    for col in ("x_mm", "y_mm", "z_mm", "potential_v_per_ma"):
        table.add_column(col, justify="right")
    for r in recs:
        table.add_row(*(("-" if r[c] is None else f"{r[c]:.5g}") for c in r))
    _stdout_console().print(table)


@field_app.command("plot")
@user_errors
def field_plot(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="PNG file to write.")] = Path("field.png"),
    contact: Annotated[str | None, typer.Option("--contact", help="Contact whose field is "
                                                "shown (default: the first).")] = None,
) -> None:
    """Cross-section figure of tissues, lead and potential at the contact's level (PNG).

    The folder of --out must exist (none is created).
    """
    from neuraxis.field.export import check_output_file
    from neuraxis.viz.field import plot_cross_section

    out = check_output_file(out, "--out file")
    basis = _basis(scenario, True)
    path = plot_cross_section(basis, out, contact=contact)
    typer.echo(f"wrote {path}")


EXPORT_FORMATS = ("vtu",)


def _fibers(path: Path, anatomy, placed):
    """The scenario's fiber population (``fibers`` section; the roots centred on the
    program's cathodes, or on the lead's contacts when the scenario has no program)."""
    from neuraxis.fibers import scs_fibers

    sc = _scenario(path)
    centers = dict(zip(placed.lead.contact_names, placed.contact_centers_mm(), strict=True))
    names = sc.program.cathodes if sc.program is not None else tuple(centers)
    z_center_mm = float(np.mean([centers[c][2] for c in names]))
    return scs_fibers(anatomy, n_dc=sc.fibers.dc, n_dr_per_root=sc.fibers.dr_per_root,
                      seed=sc.fibers.seed, z_center_mm=z_center_mm)


@field_app.command("export")
@user_errors
def field_export(
    scenario: ScenarioArg,
    fmt: Annotated[str, typer.Option("--format", help="File format of the field: vtu "
                                     "(ParaView).")] = "vtu",
    out: Annotated[Path | None, typer.Option("--out", help="Field file to write (default: "
                                             "the scenario file's stem + .vtu, here).",
                                             show_default=False)] = None,
    fibers: Annotated[Path | None, typer.Option("--fibers", help="Also write the scenario's "
                                                "fiber trajectories to this CSV (fiber_id, "
                                                "kind, diameter_um, x_mm, y_mm, z_mm per "
                                                "path point).", show_default=False)] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the mesh, tissue labels and per-contact potentials (V per mA) for ParaView.

    The basis is P2 (quadratic): the file holds the values at the mesh vertices only.
    Cell data 'tissue_id' indexes the tissue names printed here. Folders are not created.
    """
    from neuraxis.field.export import (
        check_output_file,
        export_fibers_csv,
        export_vtu,
        vtu_array_name,
    )

    fmt = check_option("--format", fmt, EXPORT_FORMATS)
    out = check_output_file(out if out is not None else Path(f"{scenario.stem}.{fmt}"),
                            "--out file")
    if fibers is not None:
        fibers = check_output_file(fibers, "--fibers file")
    inputs = _inputs(scenario)
    fiber_set = _fibers(scenario, inputs[0], inputs[1]) if fibers is not None else None
    basis = _basis(scenario, not json_out, inputs)
    path = export_vtu(basis, out)
    rec = {"vtu": str(path), "key": basis.key, "n_points": int(basis.points_mm.shape[1]),
           "n_tets": int(basis.tets.shape[1]),
           "point_data": [vtu_array_name(c) for c in basis.contact_names],
           "values": "P2 solution at the mesh vertices (edge values not written)",
           "tissue_id": dict(enumerate(basis.tissues))}
    if fiber_set is not None:
        rec["fibers_csv"] = str(export_fibers_csv(fiber_set, fibers))
        rec["n_fibers"] = len(fiber_set)
        rec["n_fiber_points"] = int(sum(len(p) for p in fiber_set.paths_mm))
    if json_out:
        _echo_json(rec)
        return
    typer.echo(f"wrote {path} ({rec['n_points']} points, {rec['n_tets']} tetrahedra; "
               "potentials in V per mA at the vertices of the P2 solution)")
    typer.echo("tissue_id: " + ", ".join(f"{i}={n}" for i, n in rec["tissue_id"].items()))
    if fiber_set is not None:
        typer.echo(f"wrote {rec['fibers_csv']} ({rec['n_fibers']} fibers, "
                   f"{rec['n_fiber_points']} points)")
