"""Files of a sweep: tables (CSV + Markdown), uncertainty.json and the figures.

``write_outputs(result, folder)`` writes

* ``uncertainty_summary.csv``: output, unit, n, n_undefined, median, p05, p95;
* ``uncertainty_sobol.csv``: output, input, S1, S1_conf, ST, ST_conf, blocks used;
* ``uncertainty.md``: both tables, the inputs with ranges and sources, the failures;
* ``uncertainty.json``: :meth:`UncertaintyResult.to_dict` (with provenance);
* with ``figures``: ``uncertainty.png`` (medians with 90 % intervals, Sobol' bars) and
  ``body_map_p05.png`` / ``_p50`` / ``_p95`` (:mod:`neuraxis.viz.uncertainty`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

SUMMARY_CSV, SOBOL_CSV = "uncertainty_summary.csv", "uncertainty_sobol.csv"
MARKDOWN, JSON_FILE, FIGURE = "uncertainty.md", "uncertainty.json", "uncertainty.png"


def _f(v: Any, nd: int = 4) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{nd}g}" if isinstance(v, float) else str(v)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        if not rows:
            return
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})


def markdown(result: Any) -> str:
    """The Markdown report of a sweep (tables, inputs, failures)."""
    d = result.to_dict()
    c = d["counts"]
    lines = [f"# Uncertainty sweep: {d['name']}", "",
             f"N = {d['n_base']} base samples, {d['n_samples']} model runs "
             f"(Saltelli design, first and total order): {c['ok']} ok, {c['refused']} "
             f"refused, {c['error']} errors, {c['missing']} not computed.", "",
             "## Outputs (median and central 90 % interval)", "",
             "| output | unit | median | 5 % | 95 % | n | undefined |",
             "|---|---|---|---|---|---|---|"]
    for s in d["summary"]:
        lines.append(f"| {s['output']} | {s['unit']} | {_f(s['median'])} | {_f(s['p05'])} | "
                     f"{_f(s['p95'])} | {s['n']} | {s['n_undefined']} |")
    lines += ["", "## Sobol' indices (95 % confidence intervals)", "",
              "| output | input | S1 | ST | base samples used |", "|---|---|---|---|---|"]
    for s in result.sobol.values():
        for r in s.rows():
            s1 = "n/a" if r["S1"] is None else f"{r['S1']:.3f} ± {r['S1_conf']:.3f}"
            st = "n/a" if r["ST"] is None else f"{r['ST']:.3f} ± {r['ST_conf']:.3f}"
            lines.append(f"| {r['output']} | {r['input']} | {s1} | {st} | "
                         f"{r['n_blocks_used']}/{r['n_blocks']} |")
        if s.note:
            lines.append(f"| {s.output} | | {s.note} | | |")
    lines += ["", "## Inputs", "", "| input | scenario key | distribution | range | source "
              "| verified |", "|---|---|---|---|---|---|"]
    for i in d["inputs"]:
        lines.append(f"| {i['name']} | `{i['path']}` | {i['distribution']} | "
                     f"{i['low']:g} to {i['high']:g} {i['unit']} | {i['source']} | "
                     f"{'yes' if i['verified'] else '**no**'} |")
    for n in d["inputs_not_sampled"]:
        lines.append(f"\n- {n}")
    if d["failures"]:
        lines += ["", "## Samples without a result", ""]
        for f in d["failures"][:50]:
            lines.append(f"- sample {f['index']} ({f['status']}): {f['error']} "
                         f"[{', '.join(f['overrides'])}]")
        if len(d["failures"]) > 50:
            lines.append(f"- ... and {len(d['failures']) - 50} more (uncertainty.json)")
    lines += ["", f"_{d['provenance']['notice']}_", ""]
    return "\n".join(lines)


def write_outputs(result: Any, folder: Path, *, figures: bool = True) -> dict[str, Path]:
    """Write the tables, the JSON and (optionally) the figures; return name -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    d = result.to_dict()
    paths = {"summary_csv": folder / SUMMARY_CSV, "sobol_csv": folder / SOBOL_CSV,
             "markdown": folder / MARKDOWN, "json": folder / JSON_FILE}
    _write_csv(paths["summary_csv"], d["summary"])
    _write_csv(paths["sobol_csv"], [r for s in result.sobol.values() for r in s.rows()])
    paths["markdown"].write_text(markdown(result), encoding="utf-8")
    if figures:
        from neuraxis.viz.uncertainty import plot_coverage_maps, plot_uncertainty

        paths["figure"] = plot_uncertainty(result, folder / FIGURE)
        maps = plot_coverage_maps(result, folder)
        paths.update({f"body_map_{k}": p for k, p in maps.items()})
    d["files"] = {k: str(p) for k, p in paths.items()}
    paths["json"].write_text(json.dumps(d, indent=1), encoding="utf-8")
    return paths
