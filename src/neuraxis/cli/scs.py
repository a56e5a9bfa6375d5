"""``neuraxis scs``: the SCS main job (scenario -> paresthesia and pain coverage).

Commands: ``run`` (one scenario's program end to end), ``schema`` (every scenario key),
``init`` (a commented template scenario), ``leads`` (the lead catalogue), ``regions``
(pain-map names).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._render import _echo_json, _stage_progress, _stdout_console, user_errors

scs_app = typer.Typer(
    help="Spinal cord stimulation end to end: field basis, fiber thresholds, paresthesia "
         "map and coverage of the pain map (amplitudes in mA, pulse widths in us).",
    no_args_is_help=True,
)

def _output_folder(out: Path | None, name: str, overrides: list[str]) -> Path:
    """The run's folder: ``--out``, else ``scs-<name>`` (plus a hash of the ``--set``
    overrides, so that runs with different overrides never share a folder)."""
    if out is not None:
        return out
    if not overrides:
        return Path(f"scs-{name}")
    digest = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
    return Path(f"scs-{name}-set-{digest}")


def _check_output_folder(folder: Path, inputs: dict[str, Any], overwrite: bool) -> None:
    """Refuse, before any computing, an output path that is a file, or a folder holding
    a different run's results (unless ``overwrite``)."""
    if folder.exists() and not folder.is_dir():
        raise NeuraxisInputError(f"Invalid value for '--out': '{folder}' is a file, not a "
                                 "folder; give a folder for results.json, report.html and "
                                 "the figures")
    if not folder.parent.exists():
        raise NeuraxisInputError(f"Invalid value for '--out': the folder '{folder.parent}' "
                                 "does not exist; create it first")
    prev = folder / "results.json"
    if folder.is_dir() and prev.exists() and not overwrite:
        try:
            old = json.loads(prev.read_text(encoding="utf-8")).get("provenance", {})
        except (json.JSONDecodeError, OSError, AttributeError):
            old = {}
        same = (old.get("scenario_file") == inputs["scenario_file"]
                and old.get("overrides") == inputs["overrides"])
        if not same:
            raise NeuraxisInputError(
                f"Invalid value for '--out': '{folder}' holds the results of another run "
                f"({old.get('scenario_file', '?')} with overrides {old.get('overrides', '?')}); "
                "give another --out or add --overwrite")


@scs_app.command("run")
@user_errors
def scs_run(
    scenario: Annotated[Path, typer.Argument(
        help="Scenario YAML (anatomy, lead, placement, mesh, program, pain_map, fibers; "
             "`neuraxis scs schema` lists every key).", show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for results.json, report.html and the figures (default: "
                      "scs-<scenario name>, with a hash of the --set overrides if any).",
        show_default=False)] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print the results.json object on stdout instead of tables.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario value, key.path=value (repeatable), e.g. "
                      "--set anatomy.dcsf_mm=4.5 --set program.amplitude_ma=3.",
        show_default=False)] = None,
    no_figures: Annotated[bool, typer.Option(
        "--no-figures", help="Skip the figures and the HTML report (faster).")] = False,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the results of a different run in the --out folder.")
    ] = False,
) -> None:
    """Run a scenario: build or load the field basis, find every fiber's threshold for
    the program, and report thresholds, usable range, paresthesia and pain coverage."""
    from neuraxis.perception.evaluate import provenance, run_scs
    from neuraxis.scenario import load_scenario

    t_start = time.perf_counter()
    overrides = list(set_ or [])
    sc = load_scenario(scenario, overrides)
    sc.require_program()
    folder = _output_folder(out, sc.name, overrides)
    _check_output_folder(folder, {"scenario_file": str(scenario), "overrides": overrides},
                         overwrite)
    if not no_figures:  # before the long work: say now if the figures cannot be drawn
        from neuraxis._soft_import import soft_import

        soft_import("matplotlib", "plot", "The figures of 'scs run' (or use --no-figures)")
    with _stage_progress(not json_out) as report:
        steps = report if report is not None else (lambda stage, done, total: None)
        result = run_scs(sc, progress=report)
        data = result.to_dict()
        data["provenance"] = provenance(result)
        folder.mkdir(parents=True, exist_ok=True)
        figures: dict[str, Path] = {}
        if not no_figures:
            t = time.perf_counter()
            figures = _figures(result, sc, folder, data, steps)
            data["timings_s"]["figures"] = round(time.perf_counter() - t, 3)
    data["timings_s"]["total"] = round(time.perf_counter() - t_start, 3)
    data["output_folder"] = str(folder)
    (folder / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    if json_out:
        _echo_json(data)
        return
    _print_summary(data, folder, figures)


def _figures(result: Any, sc: Any, folder: Path, data: dict,
             steps: Callable[[str, int, int], None]) -> dict:
    import yaml

    from neuraxis.perception.report import write_report
    from neuraxis.viz.bodymap import plot_body_map
    from neuraxis.viz.scs import plot_recruitment, plot_spine_section

    here = result.at()
    jobs = [
        ("Body map: pain (red outline) and paresthesia at the program amplitude",
         lambda: plot_body_map(here.paresthesia, folder / "body_map.png", pain=result.pain,
                               title=f"{sc.name}: {result.program.amplitude_ma:g} mA")),
        ("Recruitment curves", lambda: plot_recruitment(result, folder / "recruitment.png")),
        ("Spine cross-section: lead, field and fibers",
         lambda: plot_spine_section(result, folder / "cross_section.png")),
    ]
    figures = {}
    for k, (title, job) in enumerate(jobs):
        steps("figures", k, len(jobs) + 1)
        figures[title] = job()
    steps("figures", len(jobs), len(jobs) + 1)
    from neuraxis.validation.scs import EXPECTED_FAILURES

    write_report(data, yaml.safe_dump(sc.raw, sort_keys=False), figures,
                 folder / "report.html", known_disagreements=EXPECTED_FAILURES)
    steps("figures", len(jobs) + 1, len(jobs) + 1)
    return figures


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
    for k, v in _summary_rows(data, f):
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
        con.print(f"Side effect: dorsal root {s['root']} from {s['threshold_ma']:.3g} mA "
                  f"({s['real_fibers_firing']:.0f} real fibers, "
                  f"{100 * s['fraction_recruited']:.0f} % of the root): {s['effect']}")
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(data["provenance"]["notice"], markup=False)
    err.print(f"results written to {folder / 'results.json'}"
              + (f", report {folder / 'report.html'}" if figures else ""), markup=False)


def _summary_rows(data: dict, f) -> list[tuple[str, str]]:
    """The summary table's rows; each threshold with the fibers it rests on."""
    c = data["fiber_counts"]
    n_pt, n_dt = c["perception_fibers"], c["discomfort_fibers"]
    per = c.get("perception", {})
    dis = c.get("discomfort", {})
    at = c["at_program_amplitude"]
    return [
        (f"perception threshold ({n_pt:g} real DC-initiated fibers)",
         f(data["perception_threshold_ma"], " mA")
         + (f" ({per['sampled_fibers_firing']} of {c['sampled_dc_fibers']} sampled DC fibers"
            + (" with their collaterals" if c.get("sampled_dc_collaterals") else "") + ")"
            if per else "")),
        (f"discomfort threshold ({n_dt:g} real fibers of one root, root/entry-zone)",
         f(data["discomfort_threshold_ma"], " mA")
         + (f" ({dis['root']}: {dis['sampled_afferents_firing']} of "
            f"{dis['sampled_afferents_in_root']} sampled afferents)" if dis else "")),
        ("usable range (discomfort / perception)", f(data["usable_range"])),
        *([("dorsolateral column threshold (not perceived)",
            f(data["dorsolateral_threshold_ma"], " mA")
            + (f" ({c['dorsolateral']['sampled_fibers_firing']} of {c['sampled_dlc_fibers']} "
               "sampled DLC fibers)" if c.get("dorsolateral") else ""))]
          if "sampled_dlc_fibers" in c else []),
        ("pain coverage", f(data["pain_coverage_pct"], " %")
         + f" ({at['dermatomes_felt']} dermatomes felt; {at['sampled_afferents_firing']} "
           f"sampled fibers firing)"),
        ("paresthesia outside the pain", f(data["paresthesia_outside_pain_pct"], " %")),
        ("DC fibers recruited (real)", f(100 * data["dc_recruited_fraction"], " %")
         + f" of {c['real_dc_fibers']:.0f}"),
        ("DR fibers recruited (real)", f(100 * data["dr_recruited_fraction"], " %")
         + f" of {c['real_dr_fibers']:.0f}"),
        ("pain map", ", ".join(data["pain_map"]) or "none"),
        ("time (all steps)", f(data["timings_s"]["total"], " s")),
    ]


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


@scs_app.command("schema")
@user_errors
def scs_schema(
    json_out: Annotated[bool, typer.Option("--json", help="Print the keys as JSON.")] = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the table as Markdown (docs/scenario.md).")] = False,
) -> None:
    """Every scenario key: name (unit in the name), type, default, allowed values, help
    and source."""
    from neuraxis.scenario.schema import keys, schema_markdown

    if json_out:
        _echo_json([k.to_dict() for k in keys()])
        return
    if markdown:
        typer.echo(schema_markdown(), nl=False)
        return
    t = Table(title="Scenario keys (`--set key=value` uses the same names)")
    for col in ("key", "type", "default", "allowed", "when", "help"):
        t.add_column(col, overflow="fold")
    for k in keys():
        t.add_row(k.path, k.type, "" if k.default is None else str(k.default),
                  k.allowed_text(), k.when, k.help + (f" [{k.source}]" if k.source else ""))
    _stdout_console().print(t)


@scs_app.command("leads")
@user_errors
def scs_leads(json_out: Annotated[bool, typer.Option(
        "--json", help="Print the catalogue as JSON.")] = False) -> None:
    """The lead catalogue: layout, dimensions (mm) and their sources (unverified
    dimensions are marked)."""
    from neuraxis.anatomy.tables import read_table

    leads = read_table("leads.yaml")["leads"]
    if json_out:
        _echo_json(leads)
        return
    t = Table(title="Lead catalogue (lead: {model: <name>}; lengths in mm; * unverified)")
    for col in ("model", "kind", "contacts", "dimensions (mm)", "source"):
        t.add_column(col, overflow="fold")
    for name, e in leads.items():
        unver = set(e.get("unverified", []))
        dims = ", ".join(f"{k.removesuffix('_mm')} {v:g}{'*' if k in unver else ''}"
                         for k, v in e.items() if k.endswith("_mm"))
        n = e.get("n_contacts", sum(e.get("columns", [])))
        layout = f"{n}" + (f" ({'-'.join(map(str, e['columns']))})" if "columns" in e else "")
        t.add_row(name, e["kind"], layout, dims, e.get("source", ""))
    _stdout_console().print(t)


_TEMPLATE = """\
# {name}: an SCS scenario (neuraxis scs run {file}).
# Every key, its unit, default and allowed range: `neuraxis scs schema` or docs/scenario.md.
# Coordinates: z along the cord (rostral +), y dorsal, x to the patient's left (mm).
name: {name}
description: >
  Describe the patient case and the question here.
anatomy:
  kind: spine
  level: T8              # vertebral level of the modelled segment (T8-T12)
  # dcsf_mm: 3.2         # dorsal CSF thickness (mm); default from the level's table
lead:
  model: percutaneous_1x8   # `neuraxis scs leads` lists the catalogue
placement:
  level: T8
  offset_x_mm: 0.0       # mediolateral offset from the midline (mm, + = patient's left)
  offset_z_mm: -5.0      # along the cord from the vertebra's middle (mm, + = rostral)
mesh: default            # coarse | default | fine
program:
  contacts: {{E3: 0.5, E4: -1.0, E5: 0.5}}   # signed fractions; cathodes negative, sum -1
  amplitude_ma: 3.0      # total cathodic current (mA)
  pulse_width_us: 300    # (us)
  rate_hz: 50            # (Hz)
  waveform: biphasic     # biphasic (charge-balanced) | mono
pain_map: [low_back]     # `neuraxis scs regions` lists the names
fibers: {{dc: 480, dr_per_root: 12, seed: 0}}
"""


@scs_app.command("init")
@user_errors
def scs_init(
    name: Annotated[str, typer.Argument(help="Scenario name (letters, digits, _ - .).",
                                        show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write (default: <name>.yaml; never overwritten).",
        show_default=False)] = None,
) -> None:
    """Write a commented template scenario to start from (checked before it is written)."""
    from neuraxis.scenario import parse_yaml, scenario_from_dict
    from neuraxis.scenario.load import check_name

    check_name(name)
    path = out if out is not None else Path(f"{name}.yaml")
    if path.exists():
        raise NeuraxisInputError(f"Invalid value for '--out': '{path}' exists; it is not "
                                 "overwritten (give another name or --out)")
    if not path.parent.exists():
        raise NeuraxisInputError(f"Invalid value for '--out': the folder '{path.parent}' "
                                 "does not exist")
    text = _TEMPLATE.format(name=name, file=path)
    scenario_from_dict(parse_yaml(text, "template"))  # the template must be valid
    path.write_text(text, encoding="utf-8")
    Console(stderr=True, highlight=False).print(
        f"wrote {path}; run it with: neuraxis scs run {path}", markup=False)


from neuraxis.cli.scs_uncertainty import register as _register_uncertainty  # noqa: E402

_register_uncertainty(scs_app)
