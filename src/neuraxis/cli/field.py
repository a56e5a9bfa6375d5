"""``neuraxis field``: build/load the FEM field basis of a scenario, probe it, plot it."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._render import _echo_json, _print_key_values, _stdout_console, user_errors

field_app = typer.Typer(
    help="Volume conductor: per-contact FEM field basis (gmsh + scikit-fem + pyamg). "
         "Coordinates: z along the cord, y dorsal, x to the patient's left, origin on the "
         "cord axis at the middle of the modelled segment; mm.",
    no_args_is_help=True,
)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML (anatomy, lead, placement, "
                                             "mesh).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _basis(scenario: Path, show_progress: bool):  # noqa: ANN202
    from neuraxis.field import build_field_basis
    from neuraxis.scenario import field_inputs, load_scenario

    anatomy, placed, mesh = field_inputs(load_scenario(scenario))
    if not show_progress:
        return build_field_basis(anatomy, placed, mesh)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   transient=True, console=_stdout_console())
    tasks: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        label = "meshing" if stage == "mesh" else "solving contacts"
        if stage not in tasks:
            tasks[stage] = bar.add_task(label, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
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
           "solve_s": info.get("solve_s"), "wall_s": round(time.perf_counter() - t, 2),
           "impedance_kohm": {k: round(v, 4) for k, v in basis.impedance_kohm.items()}}
    if json_out:
        _echo_json(rec)
        return
    flat = {k: v for k, v in rec.items() if k != "impedance_kohm"}
    _print_key_values("Field basis", flat)
    _print_key_values("Access resistance per contact (kOhm, to the distant return)",
                      rec["impedance_kohm"])


def _read_points(path: Path) -> np.ndarray:
    with path.open(newline="", encoding="utf-8") as fh:
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
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, val = part.partition("=")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            sep = ""
        if not sep:
            raise NeuraxisInputError(
                f"Invalid value for '--program'. Expected contact=fraction pairs separated by "
                f"commas, e.g. 'E4=-1,E5=1', but got {text!r}")
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
    """Potential (V per mA) at points, for one contact or a program."""
    pts = _read_points(points)
    if contact is None and program is None:
        raise NeuraxisInputError("Invalid input: give --contact NAME or --program 'E1=-1,E2=1'")
    basis = _basis(scenario, False)
    prog = _parse_program(program) if program is not None else None
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
    """Cross-section figure of tissues, lead and potential at the contact's level (PNG)."""
    from neuraxis.field.plot import plot_cross_section

    basis = _basis(scenario, True)
    path = plot_cross_section(basis, out, contact=contact)
    typer.echo(f"wrote {path}")
