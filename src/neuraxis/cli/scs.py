"""``neuraxis scs``: the SCS main job (scenario -> paresthesia and pain coverage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from neuraxis.cli._render import _echo_json, _stdout_console, user_errors

scs_app = typer.Typer(
    help="Spinal cord stimulation end to end: field basis, fiber thresholds, paresthesia "
         "map and coverage of the pain map (amplitudes in mA, pulse widths in us).",
    no_args_is_help=True,
)


def _progress(enabled: bool):  # noqa: ANN202
    """A rich progress bar for the stages of a run (or None)."""
    if not enabled:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   transient=True, console=Console(stderr=True))
    tasks: dict[str, int] = {}
    labels = {"mesh": "meshing the spine", "solve": "solving contacts",
              "thresholds": "fiber thresholds"}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, report


@scs_app.command("run")
@user_errors
def scs_run(
    scenario: Annotated[Path, typer.Argument(
        help="Scenario YAML (anatomy, lead, placement, mesh, program, pain_map, fibers).",
        show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for results.json, report.html and the figures "
                      "(default: scs-<scenario name>).", show_default=False)] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print the results.json object on stdout instead of tables.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario value, key.path=value (repeatable), e.g. "
                      "--set anatomy.dcsf_mm=4.5 --set program.amplitude_ma=3.",
        show_default=False)] = None,
    no_figures: Annotated[bool, typer.Option(
        "--no-figures", help="Skip the figures and the HTML report (faster).")] = False,
) -> None:
    """Run a scenario: build or load the field basis, find every fiber's threshold for
    the program, and report thresholds, usable range, paresthesia and pain coverage."""
    import yaml

    from neuraxis.perception.evaluate import run_scs
    from neuraxis.scenario import apply_overrides, load_scenario

    if not no_figures:  # before the long work: say now if the figures cannot be drawn
        from neuraxis._soft_import import soft_import

        soft_import("matplotlib", "plot", "The figures of 'scs run' (or use --no-figures)")
    sc = apply_overrides(load_scenario(scenario), list(set_ or []))
    bar, report = _progress(not json_out)
    if bar is not None:
        with bar:
            result = run_scs(sc, progress=report)
    else:
        result = run_scs(sc)
    folder = out if out is not None else Path(f"scs-{sc.get('name') or scenario.stem}")
    folder.mkdir(parents=True, exist_ok=True)
    data = result.to_dict()
    figures: dict[str, Path] = {}
    if not no_figures:
        from neuraxis.perception.bodymap import plot_body_map
        from neuraxis.perception.figures import plot_recruitment, plot_spine_section
        from neuraxis.perception.report import write_report

        figures = {
            "Body map: pain (red outline) and paresthesia at the program amplitude":
                plot_body_map(folder / "body_map.png", paresthesia=result.paresthesia,
                              pain=result.pain,
                              title=f"{sc.get('name') or scenario.stem}: "
                                    f"{result.program.amplitude_ma:g} mA"),
            "Recruitment curves": plot_recruitment(result, folder / "recruitment.png"),
            "Spine cross-section: lead, field and fibers":
                plot_spine_section(result, folder / "cross_section.png"),
        }
        write_report(data, yaml.safe_dump(sc, sort_keys=False), figures,
                     folder / "report.html")
    data["output_folder"] = str(folder)
    (folder / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    if json_out:
        _echo_json(data)
        return
    _print_summary(data, folder, figures)


def _print_summary(data: dict, folder: Path, figures: dict) -> None:
    def f(v: object, unit: str = "") -> str:
        return "n/a" if v is None else (f"{v:.3g}{unit}" if isinstance(v, float) else f"{v}")

    p = data["program"]
    t = Table(title=f"SCS: {data.get('name') or ''} - "
                    + ", ".join(f"{k} {v:+g}" for k, v in p["contacts"].items())
                    + f", {p['amplitude_ma']:g} mA, {p['pulse_width_us']:g} us, "
                      f"{p['rate_hz']:g} Hz", show_header=False)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in (("perception threshold (first DC fiber)", f(data["perception_threshold_ma"], " mA")),
                 ("discomfort threshold (first DR fiber)", f(data["discomfort_threshold_ma"], " mA")),
                 ("usable range (discomfort / perception)", f(data["usable_range"])),
                 ("pain coverage", f(data["pain_coverage_pct"], " %")),
                 ("paresthesia outside the pain", f(data["paresthesia_outside_pain_pct"], " %")),
                 ("DC fibers recruited", f(100 * data["dc_recruited_fraction"], " %")),
                 ("DR fibers recruited", f(100 * data["dr_recruited_fraction"], " %")),
                 ("pain map", ", ".join(data["pain_map"]) or "none"),
                 ("time", f(data["timings_s"]["total"], " s"))):
        t.add_row(k, v)
    con = _stdout_console()
    con.print(t)
    par = {k: v for k, v in data["paresthesia"].items() if v > 0}
    if par:
        pt = Table(title="Paresthesia by dermatome")
        pt.add_column("dermatome")
        pt.add_column("fibers recruited", justify="right")
        for k, v in sorted(par.items(), key=lambda kv: -kv[1]):
            pt.add_row(k, f"{100 * v:.1f} %")
        con.print(pt)
    for s in data["side_effects"]:
        con.print(f"Side effect: dorsal root {s['root']} ({100 * s['fraction_recruited']:.0f} % "
                  f"of its fibers): {s['effect']}")
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"results written to {folder / 'results.json'}"
        + (f", report {folder / 'report.html'}" if figures else ""), markup=False)


@scs_app.command("regions")
@user_errors
def scs_regions(json_out: Annotated[bool, typer.Option(
        "--json", help="Print {name: description} as JSON.")] = False) -> None:
    """List the body regions and dermatomes a pain map may name."""
    from neuraxis.perception.bodymap import list_regions

    regions = list_regions()
    if json_out:
        _echo_json(regions)
        return
    t = Table(title="Pain-map names (pain_map: [..] in a scenario)")
    t.add_column("name")
    t.add_column("description")
    for k, v in regions.items():
        t.add_row(k, v)
    _stdout_console().print(t)
