"""``neuraxis axon``: fiber thresholds to a point source, conduction velocity.

Commands: ``neuraxis axon threshold`` (one fiber, point source), ``neuraxis axon
thresholds`` (a CSV table of fibers, one batched search), ``neuraxis axon cv``.
Heavy modules (numba) are imported inside the commands so ``--help`` is fast.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from neuraxis._validate import NeuraxisInputError, check_option, read_text_file
from neuraxis.cli._render import (
    _echo_json,
    _fmt,
    _print_key_values,
    _progress_bar,
    _stdout_console,
    user_errors,
)

__all__ = ["FIBER_COLUMNS", "axon_app", "read_fibers_csv"]

#: Columns of a fibers CSV (``neuraxis axon thresholds --csv``), units in the names.
FIBER_COLUMNS = ("diameter_um", "distance_mm", "offset_mm", "pulse_width_us", "sigma_s_per_m",
                 "polarity", "shape")
_NUMERIC_UNITS = {"diameter_um": "um", "distance_mm": "mm", "offset_mm": "mm",
                  "pulse_width_us": "us", "sigma_s_per_m": "S/m"}
_CHOICES = {"polarity": ("cathodic", "anodic"), "shape": ("mono", "biphasic")}
# Defaults shown in --help; equal to neuraxis.axons.api.DEFAULT_DT_US and find_thresholds'
# rel_tol (literal here so that --help does not import numba).
_DT_US = 1.0
_REL_TOL = 0.005

axon_app = typer.Typer(
    help="Axon models (MRG, Sweeney): fiber thresholds to a point source, conduction velocity.",
    no_args_is_help=True,
)


# --------------------------------------------------------------------------- axon options

_MODEL_HELP = "Axon model: 'mrg' (McIntyre-Richardson-Grill, myelinated) or 'sweeney'."
ModelOpt = Annotated[str, typer.Option("--model", help=_MODEL_HELP)]
DiameterOpt = Annotated[float, typer.Option(
    "--diameter-um", show_default=False,
    help="Fiber (outer myelin) diameter in um. MRG: 2-16 um (the published 5.7-16 um "
         "diameters use the discrete geometry, others the interpolated one); "
         "Sweeney: 1-30 um.")]
DtOpt = Annotated[float, typer.Option(
    "--dt-us", help="Integration time step in us (0.1-50 us). Backward Euler overestimates "
                    "thresholds by about 0.4 % per us of step.")]
RelTolOpt = Annotated[float, typer.Option(
    "--rel-tol", help="Relative width (dimensionless, 1e-5 to 0.2) at which the threshold "
                      "search stops; the result is at most this much above the true value.")]
JsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print a JSON object on stdout instead of a table.")]


# --------------------------------------------------------------------------- axon threshold

@axon_app.command("threshold")
@user_errors
def axon_threshold(
    diameter_um: DiameterOpt,
    distance_mm: Annotated[float, typer.Option(
        "--distance-mm", show_default=False,
        help="Distance in mm from the point source to the fiber axis (0.01-100 mm).")],
    model: ModelOpt = "mrg",
    offset_mm: Annotated[float, typer.Option(
        "--offset-mm", help="Axial offset in mm of the source from the middle node "
                            "(-100 to 100 mm).")] = 0.0,
    sigma_s_per_m: Annotated[float, typer.Option(
        "--sigma-s-per-m", help="Conductivity of the homogeneous isotropic medium in S/m "
                                "(> 0).")] = 0.2,
    pulse_width_us: Annotated[float, typer.Option(
        "--pulse-width-us", help="Pulse width in us (5-10000 us): duration of the pulse, or "
                                 "of each phase of a biphasic pulse.")] = 100.0,
    biphasic: Annotated[bool, typer.Option(
        "--biphasic", help="Symmetric charge-balanced biphasic pulse (default: monophasic).")
    ] = False,
    anodic: Annotated[bool, typer.Option(
        "--anodic", help="Anodic (positive) leading phase (default: cathodic).")] = False,
    dt_us: DtOpt = _DT_US,
    rel_tol: RelTolOpt = _REL_TOL,
    n_nodes: Annotated[int | None, typer.Option(
        "--n-nodes", show_default=False,
        help="Nodes of Ranvier simulated (9-1001). Default: enough that each fiber end lies "
             ">= 5 source distances from the middle node (at least 21).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Threshold (mA) of one fiber to a single pulse from a point source.

    The source lies --distance-mm from the fiber axis, over the middle node
    (shifted --offset-mm along the fiber), in an infinite isotropic medium of
    conductivity --sigma-s-per-m. The threshold is printed as a positive
    magnitude; it is null (JSON) when the fiber never fired up to 100 mA.
    """
    from neuraxis.axons import find_thresholds

    polarity = "anodic" if anodic else "cathodic"
    shape = "biphasic" if biphasic else "mono"
    try:
        res = find_thresholds(diameter_um, distance_mm, offset_mm, pulse_width_us,
                              sigma_s_per_m, polarity, shape, model=model, n_nodes=n_nodes,
                              dt_us=dt_us, rel_tol=rel_tol)
    except NeuraxisInputError as exc:  # one fiber: the library's '(element 0)' says nothing
        raise NeuraxisInputError(str(exc).replace(" (element 0)", "")) from None
    rec = res.to_dict()["fibers"][0]
    out = {"threshold_ma": rec["threshold_ma"], "model": model, "diameter_um": diameter_um,
           "distance_mm": distance_mm, "offset_mm": offset_mm, "sigma_s_per_m": sigma_s_per_m,
           "pulse_width_us": pulse_width_us, "polarity": polarity, "shape": shape,
           "dt_us": dt_us, "rel_tol": rel_tol, "n_nodes": rec["n_nodes"],
           "n_simulations": rec["n_simulations"], "status": rec["status"]}
    if json_out:
        _echo_json(out)
    else:
        _print_key_values("Fiber threshold (point source)", out)


# --------------------------------------------------------------------------- axon cv

@axon_app.command("cv")
@user_errors
def axon_cv(
    diameter_um: DiameterOpt,
    model: ModelOpt = "mrg",
    dt_us: DtOpt = _DT_US,
    json_out: JsonOpt = False,
) -> None:
    """Conduction velocity (m/s) of a fiber, from action potential arrival times.

    A 41-node fiber is excited near one end; the velocity is the distance
    between two nodes over the difference of their 0 mV crossing times.
    """
    from neuraxis.axons import conduction_velocity

    cv = conduction_velocity(diameter_um, model=model, dt_us=dt_us)
    out = {"cv_m_per_s": cv, "model": model, "diameter_um": diameter_um, "dt_us": dt_us}
    if json_out:
        _echo_json(out)
    else:
        _print_key_values("Conduction velocity", out)


# --------------------------------------------------------------------------- axon thresholds

def read_fibers_csv(path: Path) -> list[dict[str, Any]]:
    """Read and check a fibers CSV: one fiber per row, columns :data:`FIBER_COLUMNS`.

    Parameters
    ----------
    path : Path
        CSV file with a header row; extra columns are ignored.

    Returns
    -------
    list of dict
        Per row: the numeric columns as float, ``polarity`` and ``shape`` as str,
        ``row`` (1-based data row), ``line`` (line in the file) and ``raw`` (the
        cell texts).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    NeuraxisInputError
        Missing columns, a non-numeric cell, a bad polarity or shape, no rows.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        raise FileNotFoundError(f"Invalid value for '--csv': file '{path}' {what}")
    required = ", ".join(repr(c) for c in FIBER_COLUMNS)
    text = read_text_file(path, "CSV file")  # folders and binary files refused
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in FIBER_COLUMNS if c not in header]
        if missing:
            raise NeuraxisInputError(
                f"Invalid CSV file '{path}': missing column(s) "
                f"{', '.join(repr(c) for c in missing)}. Required columns are {required} "
                "(units in the names: um, mm, us, S/m)")
        reader.fieldnames = header
        rows: list[dict[str, Any]] = []
        for i, cells in enumerate(reader, start=1):
            where = f"in row {i} ({path.name} line {reader.line_num})"
            row: dict[str, Any] = {"row": i, "line": reader.line_num, "raw": {}}
            for col in FIBER_COLUMNS:
                text = (cells.get(col) or "").strip()
                row["raw"][col] = text
                if col in _CHOICES:
                    try:
                        row[col] = check_option(col, text, _CHOICES[col])
                    except NeuraxisInputError as exc:
                        raise NeuraxisInputError(
                            str(exc).replace(f"{col!r}", f"{col!r} {where}", 1)) from None
                    continue
                try:
                    row[col] = float(text)
                except ValueError:
                    got = repr(text) if text else "an empty cell"
                    raise NeuraxisInputError(
                        f"Invalid value for {col!r} {where}. Expected a number in "
                        f"{_NUMERIC_UNITS[col]}, but got {got}") from None
            rows.append(row)
    if not rows:
        raise NeuraxisInputError(f"Invalid CSV file '{path}': no fiber rows after the header")
    return rows


def _locate_row(message: str, rows: list[dict[str, Any]], path: Path) -> str:
    """Turn the library's '(element k)' into the CSV row and line of that fiber."""

    def repl(m: re.Match[str]) -> str:
        k = int(m.group(1))
        if 0 <= k < len(rows):
            return f"in row {rows[k]['row']} ({path.name} line {rows[k]['line']})"
        return m.group(0)

    return re.sub(r"\(element (\d+)\)", repl, message)


def _write_results_csv(out: Path, rows: list[dict[str, Any]], records: list[dict]) -> None:
    """Write the input columns (as given) plus threshold_ma and status."""
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*FIBER_COLUMNS, "threshold_ma", "status"])
        for row, rec in zip(rows, records, strict=True):
            thr = "" if rec["threshold_ma"] is None else repr(rec["threshold_ma"])
            writer.writerow([*(row["raw"][c] for c in FIBER_COLUMNS), thr, rec["status"]])


@axon_app.command("thresholds")
@user_errors
def axon_thresholds(
    csv_path: Annotated[Path, typer.Option(
        "--csv", show_default=False,
        help="Fibers CSV, one fiber per row, with columns diameter_um, distance_mm, "
             "offset_mm, pulse_width_us, sigma_s_per_m, polarity (cathodic or anodic), "
             "shape (mono or biphasic). Units are in the column names.")],
    model: ModelOpt = "mrg",
    dt_us: DtOpt = _DT_US,
    rel_tol: RelTolOpt = _REL_TOL,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print a JSON list (one object per row) on stdout instead of a table; "
                       "no progress bar.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", show_default=False,
        help="Also write a results CSV: the input columns plus threshold_ma (mA, empty if "
             "the fiber never fired) and status.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bar and no timing footer on stderr.")] = False,
) -> None:
    """Thresholds (mA) of a table of fibers to point sources, found in one batched search.

    Prints one threshold per CSV row, in the same order, then a footer on
    stderr with the wall time and thresholds per second.
    """
    rows = read_fibers_csv(csv_path)
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise NeuraxisInputError(f"Invalid value for '--out': expected a file path in an "
                                 f"existing folder, but got '{out}'")
    from neuraxis.axons import find_thresholds

    cols = {c: [r[c] for r in rows] for c in FIBER_COLUMNS}
    t0 = time.perf_counter()
    with _progress_bar(not (json_out or quiet), len(rows)) as progress:
        try:
            res = find_thresholds(
                cols["diameter_um"], cols["distance_mm"], cols["offset_mm"],
                cols["pulse_width_us"], cols["sigma_s_per_m"], cols["polarity"],
                cols["shape"], model=model, dt_us=dt_us, rel_tol=rel_tol, progress=progress)
        except NeuraxisInputError as exc:
            raise NeuraxisInputError(_locate_row(str(exc), rows, csv_path)) from None
    wall_s = time.perf_counter() - t0
    records = [{"row": r["row"], **{c: r[c] for c in FIBER_COLUMNS}, **rec}
               for r, rec in zip(rows, res.to_dict()["fibers"], strict=True)]
    if out is not None:
        _write_results_csv(out, rows, records)
    if json_out:
        _echo_json(records)
    else:
        table = Table(title=f"Fiber thresholds ({model}, dt {dt_us:g} us, rel_tol {rel_tol:g})")
        for name in ("row", *FIBER_COLUMNS, "threshold_ma", "status"):
            table.add_column(name, justify="left" if name in _CHOICES else "right",
                             overflow="fold")
        for rec in records:
            table.add_row(*(_fmt(rec[k]) for k in ("row", *FIBER_COLUMNS, "threshold_ma",
                                                    "status")))
        _stdout_console().print(table)
    if not quiet:
        rate = len(rows) / wall_s if wall_s > 0 else math.inf
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"{len(rows)} thresholds in {wall_s:.2f} s ({rate:.1f} thresholds/s)"
            + (f"; results written to {out}" if out is not None else ""), markup=False)
