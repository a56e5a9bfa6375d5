"""A self-contained HTML report of an SCS run (figures embedded, numbers, scenario)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>' \
           f"<figcaption>{html.escape(alt)}</figcaption></figure>"


def _fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3g}{unit}"
    return f"{v}{unit}"


#: Provenance keys shown first, with their labels; any other key follows as given.
_PROVENANCE_LABELS = {
    "neuraxis_version": "neuraxis version",
    "date_utc": "Date (UTC)",
    "scenario_file": "Scenario file",
    "overrides": "Overrides (--set)",
    "field_key": "Field basis key",
    "contact_impedance_kohm": "Contact access resistance (kOhm)",
}


def _provenance_value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return _fmt(value)


def _provenance(prov: object) -> str:
    """The provenance block (HTML, every value escaped): the research-model notice, then
    version, date, scenario, field key and contact impedances."""
    if not isinstance(prov, dict):
        return ""
    notice = prov.get("notice") or ("Research model, not a clinical device: these numbers "
                                    "come from a computational model.")
    keys = [k for k in _PROVENANCE_LABELS if k in prov]
    keys += [k for k in prov if k not in _PROVENANCE_LABELS and k != "notice"]
    rows = "".join(f"<tr><th>{html.escape(_PROVENANCE_LABELS.get(k, str(k)))}</th>"
                   f"<td>{html.escape(_provenance_value(prov[k]))}</td></tr>" for k in keys)
    return (f'<section class="provenance"><p class="notice">{html.escape(str(notice))}</p>'
            f"<table>{rows}</table></section>")


def write_report(results: dict, scenario_text: str, figures: dict[str, Path],
                 path: str | Path, *, known_disagreements: dict[str, str] | None = None) -> Path:
    """Write ``report.html``.

    Parameters
    ----------
    results : dict
        The results.json object (:meth:`ScsResult.to_dict`). With a ``provenance`` key
        (neuraxis version, date, field key, contact impedances, the research-model
        notice) a provenance block opens the page.
    scenario_text : str
        The scenario as run (YAML, after overrides).
    figures : dict
        Caption -> PNG path.
    path : str | Path
        The HTML file to write.
    known_disagreements : dict, optional
        Validation row -> reason, for the validity section (the CLI passes
        :data:`neuraxis.validation.scs.EXPECTED_FAILURES`).

    Returns
    -------
    Path
        The written file.
    """
    r = results
    c = r.get("fiber_counts", {})
    per, dis = c.get("perception", {}), c.get("discomfort", {})
    rows = [(f"Perception threshold ({c.get('perception_fibers', 0):g} real fibers excited in "
             "the dorsal column)", _fmt(r["perception_threshold_ma"], " mA")
             + (f" ({per['sampled_fibers_firing']} of {c['sampled_dc_fibers']} sampled DC "
                "fibers" + (" with their collaterals" if c.get("sampled_dc_collaterals") else "")
                + ")" if per else "")),
            (f"Discomfort threshold ({c.get('discomfort_fibers', 0):g} real fibers of one root "
             "excited in the root or entry zone)", _fmt(r["discomfort_threshold_ma"], " mA")
             + (f" ({dis['root']}: {dis['sampled_afferents_firing']} of "
                f"{dis['sampled_afferents_in_root']} sampled afferents)" if dis else "")),
            ("Usable range (discomfort / perception)", _fmt(r["usable_range"])),
            ("Program amplitude", _fmt(r["program"]["amplitude_ma"], " mA")),
            ("Pain map", ", ".join(r["pain_map"]) or "none given"),
            ("Pain coverage at the program amplitude", _fmt(r["pain_coverage_pct"], " %")),
            ("Paresthesia outside the pain", _fmt(r["paresthesia_outside_pain_pct"], " %")),
            ("Dorsal-column fibers recruited (real)", _fmt(100 * r["dc_recruited_fraction"], " %")
             + (f" of {c['real_dc_fibers']:.0f}" if c else "")),
            ("Dorsal-root fibers recruited (real)", _fmt(100 * r["dr_recruited_fraction"], " %")
             + (f" of {c['real_dr_fibers']:.0f}" if c else ""))]
    summary = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                      for k, v in rows)
    par = "".join(f"<tr><td>{html.escape(k)}</td><td>{100 * v:.1f} %</td></tr>"
                  for k, v in sorted(r["paresthesia"].items(), key=lambda kv: -kv[1]) if v > 0)
    side = "".join(f"<tr><td>{html.escape(s['root'])}</td><td>{s['threshold_ma']:.3g} mA</td>"
                   f"<td>{s['real_fibers_firing']:.0f} ({100 * s['fraction_recruited']:.1f} %)"
                   f"</td><td>{html.escape(s['effect'])}</td></tr>" for s in r["side_effects"])
    validity = _validity(known_disagreements or {})
    figs = "".join(_img(p, caption) for caption, p in figures.items())
    timings = html.escape(json.dumps(r["timings_s"]))
    provenance = _provenance(r.get("provenance"))
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<title>neuraxis SCS report: {html.escape(str(r.get('name') or 'scenario'))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: left; }}
th {{ background: #f4f4f4; font-weight: 600; }}
figure {{ display: inline-block; margin: 0.5em; vertical-align: top; }}
figure img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.85em; color: #555; }}
.provenance {{ border: 1px solid #e0b000; background: #fffbea; padding: 0.5em 1em; }}
.provenance .notice {{ font-weight: 600; }}
pre {{ background: #f8f8f8; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>SCS report: {html.escape(str(r.get('name') or 'scenario'))}</h1>
{provenance}
<p>Definitions (docs/scs.md): every fiber's action potential is classified by where it
starts (dorsal column, dorsal-root entry zone, root); counts are of real fibers, each sampled
fiber standing for a number of the anatomy's fibers. Perception threshold = the amplitude at
which the fibers excited in the dorsal column reach the perception count; discomfort
threshold = the amplitude at which one dorsal root's fibers excited in the root or entry zone
reach the discomfort count; at or above the perception threshold a dermatome is felt when one
of its real fibers fires, and its paresthesia strength is the fraction of its real fibers
recruited; coverage = % of the pain area whose dermatome is felt. Produced by neuraxis from
the scenario below; every number is computed (field basis, MRG axon thresholds,
somatotopy).</p>
<h2>Summary</h2><table>{summary}</table>
<h2>Figures</h2>{figs}
<h2>Paresthesia (dermatomes with recruited fibers)</h2>
<table><tr><th>dermatome</th><th>fibers recruited</th></tr>
{par or '<tr><td colspan=2>none</td></tr>'}</table>
<h2>Side effects (dorsal roots past their discomfort threshold)</h2>
<table><tr><th>root</th><th>threshold</th><th>real fibers firing</th><th>effect</th></tr>
{side or '<tr><td colspan=4>none</td></tr>'}</table>
{validity}
<h2>Scenario</h2><pre>{html.escape(scenario_text)}</pre>
<h2>Timings (s)</h2><pre>{timings}</pre>
</body></html>
"""
    path = Path(path)
    path.write_text(doc, encoding="utf-8")
    return path


def _validity(known_disagreements: dict[str, str]) -> str:
    """The report's validity section: what the numbers rest on, the validation table, and
    the model's known disagreements with published SCS observations."""
    known = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>"
                    for k, v in known_disagreements.items())
    return f"""<h2>Validity</h2>
<p>The percept criteria (counts of real fibers) and their sources are in
<code>neuraxis/data/percept.yaml</code>; with the default fiber sampling, PT, DT and the
usable range move by less than 5 % when the sampling doubles and between the default and
the fine mesh (tests/validation/test_scs_convergence.py). The model is compared with
published SCS observations in the validation table: run <code>neuraxis validate scs</code>
or read <code>docs/validation.md</code> (explained in <code>docs/validation_scs.md</code>).
Known disagreements, each a strict expected failure of the test suite:</p>
<ul>{known or '<li>none</li>'}</ul>"""
