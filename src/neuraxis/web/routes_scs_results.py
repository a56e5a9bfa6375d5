"""What the SCS page and API show of one result at one amplitude: the thresholds with the
fiber counts they rest on, the amplitude's metrics and its warning, the figures.

Every number comes from :class:`neuraxis.perception.ScsResult` (thresholds, usable range,
``fiber_counts()``, ``at(amplitude_ma)``, ``curve``); the figures from
:func:`neuraxis.viz.bodymap.plot_body_map` and :func:`neuraxis.viz.scs.plot_recruitment`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

FIGURES = ("bodymap", "recruitment")


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(float(v), nd)


def amplitude_status(result: Any) -> dict[str, Any]:
    """Where the program's amplitude lies against PT and DT: ``level`` ('warning' at or
    above DT: discomfort expected; 'note' below PT: nothing felt; 'ok' between; 'none'
    when no PT is reached below the search limit) and a sentence."""
    amp = result.program.amplitude_ma
    pt, dt = result.perception_threshold_ma, result.discomfort_threshold_ma
    if dt is not None and amp >= dt:
        roots = ", ".join(s["root"] for s in result.at().side_effects) or "?"
        return {"level": "warning",
                "message": f"WARNING: {amp:g} mA is at or above the discomfort threshold "
                           f"(DT {dt:.2f} mA): discomfort expected (segmental paresthesia / "
                           f"radicular discomfort from dorsal root {roots})."}
    if pt is None:
        top = result.thresholds.settings.get("max_ma")
        return {"level": "none",
                "message": f"No perception threshold below {top:g} mA for this program: "
                           "nothing felt at any amplitude searched."}
    if amp < pt:
        return {"level": "note",
                "message": f"Below the perception threshold (PT {pt:.2f} mA): nothing felt "
                           f"at {amp:g} mA."}
    return {"level": "ok",
            "message": f"{amp:g} mA is between PT ({pt:.2f} mA) and "
                       + ("DT" if dt is None else f"DT ({dt:.2f} mA)")
                       + ": paresthesia expected without discomfort."}


def result_summary(ws: Any, rid: str, result: Any) -> dict[str, Any]:
    """The JSON of ``GET /api/scs/sessions/{key}/results/{rid}`` (keys as results.json
    where they are the same numbers), with the inputs it rests on."""
    from neuraxis.perception.evaluate import provenance
    from neuraxis.web.routes_scs_core import source_label

    label = source_label(result.scenario)
    here = result.at()
    amp = result.program.amplitude_ma
    base = f"/api/scs/sessions/{ws.key}/results/{rid}"
    return {
        "session_key": ws.key, "result_id": rid, "name": result.name,
        "program": result.program.to_dict(),
        "perception_threshold_ma": _r(result.perception_threshold_ma),
        "discomfort_threshold_ma": _r(result.discomfort_threshold_ma),
        "usable_range": _r(result.usable_range),
        "dorsolateral_threshold_ma": _r(result.dorsolateral_threshold_ma),
        "discomfort_by_root_ma": {k: _r(v) for k, v in result.discomfort_by_root_ma.items()},
        "fiber_counts": result.fiber_counts(),
        "amplitude_status": amplitude_status(result),
        **{k: v for k, v in here.to_dict().items()},
        "pain_map": [] if result.pain is None else list(result.pain.names),
        "recruitment_curve": {k: [_r(x) for x in v] for k, v in result.curve.items()},
        "threshold_settings": result.thresholds.settings,
        "timings_s": {k: round(v, 3) for k, v in result.timings_s.items()},
        "figures": {name: f"{base}/{name}.png?amplitude_ma={amp:g}" for name in FIGURES},
        "inputs": {"scenario": {**result.scenario.to_dict(), "source": label},
                   "program": result.program.to_dict()},
        "model_provenance": {**provenance(result), "scenario_file": label},
    }


def figure_png(name: str, result: Any) -> bytes:
    """The body map (front and back, pain map hatched; it depends on the felt
    paresthesia only) or the recruitment curve (with the amplitude marked) of ``result``
    at its program's amplitude, as PNG bytes."""
    from neuraxis.viz.bodymap import plot_body_map
    from neuraxis.viz.scs import plot_recruitment

    with tempfile.TemporaryDirectory(prefix="neuraxis-web-fig-") as tmp:
        path = Path(tmp) / f"{name}.png"
        if name == "bodymap":
            p = result.program
            shape = ", ".join(f"{k} {v:+g}" for k, v in p.contacts.items())
            # no amplitude in the title: the figure depends on the felt paresthesia only,
            # so amplitudes that feel the same share one (cached) figure
            plot_body_map(result.at().paresthesia, path, pain=result.pain,
                          title=f"{result.name}: {shape}, {p.pulse_width_us:g} us")
        else:
            plot_recruitment(result, path)
        return path.read_bytes()
