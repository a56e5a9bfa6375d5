"""``neuraxis scs uncertainty``: how uncertain inputs spread the SCS outputs.

A Sobol' sweep (SALib) over conductivities, dCSF, the lead's and the cord's lateral
position, run on Dask (a local cluster, or ``--scheduler`` for any Dask scheduler); each
sample is cached in the output folder, so an interrupted run resumes. Register it on the
``scs`` app with :func:`register` (or ``scs_app.command("uncertainty")(scs_uncertainty)``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from neuraxis.cli._render import _echo_json, _progress_bar, _stdout_console, user_errors

#: Exit code of an interrupted sweep (as a shell reports Ctrl-C).
EXIT_INTERRUPTED = 130


@user_errors
def scs_uncertainty(
    scenario: Annotated[Path, typer.Argument(
        help="Scenario YAML with a spine anatomy and a program.", show_default=False)],
    samples: Annotated[int, typer.Option(
        "--samples", help="Base sample count N of the Sobol' design; the sweep runs "
                          "N x (inputs + 2) models (a power of 2 keeps the design balanced).",
        show_default=False)],
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://host:8786 "
                            "(default: a local cluster).", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Workers of the local cluster, one thread each (default: one per "
                          "core).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default: scs-<name>-uncertainty); holds one JSON per "
                      "sample, so re-running the same command resumes.",
        show_default=False)] = None,
    mesh: Annotated[str | None, typer.Option(
        "--mesh", help="Mesh preset: coarse, default or fine (default: the scenario's).",
        show_default=False)] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print uncertainty.json on stdout instead of tables.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario value for every sample, key.path=value "
                      "(repeatable).", show_default=False)] = None,
    inputs: Annotated[str | None, typer.Option(
        "--inputs", help="Comma-separated inputs to sample (default: every input of "
                         "data/uncertainty.yaml that applies), e.g. sigma_csf,dcsf.",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Sobol' sequence.")] = 0,
    timeout_s: Annotated[float, typer.Option(
        "--timeout", help="Seconds to wait for --scheduler to answer.")] = 10.0,
    no_figures: Annotated[bool, typer.Option(
        "--no-figures", help="Skip the figures (tables and JSON only).")] = False,
) -> None:
    """Uncertainty of the perception and discomfort thresholds, usable range and pain
    coverage: medians, 90 % intervals and Sobol' indices over published input ranges."""
    from neuraxis._soft_import import soft_import
    from neuraxis.uncertainty import EXTRA
    from neuraxis.uncertainty.report import write_outputs
    from neuraxis.uncertainty.runner import open_client
    from neuraxis.uncertainty.sampling import check_samples
    from neuraxis.uncertainty.sweep import SAMPLES_DIR, plan_sweep, run_sweep

    check_samples(samples)
    for mod in ("distributed", "SALib"):  # say now, before any work, if the extra is missing
        soft_import(mod, EXTRA, "'neuraxis scs uncertainty'")
    if not no_figures:
        soft_import("matplotlib", "plot", "The figures of 'scs uncertainty' (or use "
                                          "--no-figures)")
    t0 = time.perf_counter()
    names = None if inputs is None else [s.strip() for s in inputs.split(",") if s.strip()]
    plan = plan_sweep(scenario, samples, overrides=list(set_ or []), inputs=names, mesh=mesh,
                      seed=seed)
    folder = out if out is not None else Path(f"scs-{plan.scenario.name}-uncertainty")
    _check_folder(folder)
    err = _stderr()
    for note in plan.notes:
        err.print(f"note: {note}", markup=False)
    total = len(plan.samples)
    try:
        with open_client(scheduler, workers, timeout_s=timeout_s) as client, \
                _progress_bar(not json_out, total, "uncertainty samples") as progress:
            result = run_sweep(plan, folder, client=client, progress=progress)
    except KeyboardInterrupt:
        n = len(list((folder / SAMPLES_DIR).glob("*.json"))) if folder.is_dir() else 0
        err.print(f"interrupted: {n} of {total} samples are cached in {folder / SAMPLES_DIR}; "
                  "run the same command again to resume", markup=False)
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    result.provenance["timings_s"]["total"] = round(time.perf_counter() - t0, 2)
    paths = write_outputs(result, folder, figures=not no_figures)
    if json_out:
        _echo_json(result.to_dict())
        return
    _print_summary(result, paths)


def register(app: typer.Typer) -> None:
    """Add the command to a Typer app as ``uncertainty`` (the ``scs`` app)."""
    app.command("uncertainty")(scs_uncertainty)


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _check_folder(folder: Path) -> None:
    from neuraxis._validate import NeuraxisInputError

    if folder.exists() and not folder.is_dir():
        raise NeuraxisInputError(f"Invalid value for '--out': '{folder}' is a file, not a "
                                 "folder")
    if not folder.parent.exists():
        raise NeuraxisInputError(f"Invalid value for '--out': the folder '{folder.parent}' "
                                 "does not exist; create it first")


def _print_summary(result: Any, paths: dict) -> None:
    from rich.table import Table

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3g}"

    c = result.counts
    t = Table(title=f"Uncertainty: {result.plan.scenario.name} (N = {result.plan.n_base}, "
                    f"{len(result.plan.samples)} runs: {c['ok']} ok, {c['refused']} refused, "
                    f"{c['error']} errors)")
    for col in ("output", "median", "90 % interval", "n"):
        t.add_column(col, justify="left" if col == "output" else "right")
    for s in result.summaries.values():
        t.add_row(f"{s.name}" + (f" ({s.unit})" if s.unit else ""), f(s.median),
                  f"{f(s.p05)} - {f(s.p95)}", str(s.n))
    con = _stdout_console()
    con.print(t)
    st = Table(title="Sobol' total-order index ST (95 % CI) per input")
    st.add_column("input")
    outs = [o for o in result.sobol]
    for o in outs:
        st.add_column(o, justify="right")
    for i, name in enumerate(result.plan.inputs):
        row = []
        for o in outs:
            s = result.sobol[o]
            row.append("n/a" if s.ST is None else f"{s.ST[i]:.2f} ± {s.ST_conf[i]:.2f}")
        st.add_row(name.name, *row)
    con.print(st)
    err = _stderr()
    for fl in result.failures()[:5]:
        err.print(f"sample {fl['index']} {fl['status']}: {fl['error']}", markup=False)
    if len(result.failures()) > 5:
        err.print(f"... {len(result.failures()) - 5} more in {paths['json']}", markup=False)
    err.print(result.provenance["notice"], markup=False)
    err.print(f"written: {', '.join(str(p) for p in paths.values())}", markup=False)
