"""``neuraxis pump schedule``: a prescription's boluses and bridge bolus in the CSF spread.

Thin over :func:`neuraxis.pump.spread.simulate_schedule`: the CSF concentration over the
dorsal horn of target cord segments over time, with the prescription's patient boluses
(at the times given) against the basal schedule alone, one figure per drug; after a
concentration change, the schedule with the bridge bolus against the one without it
(the old drug in the dead space at the new rate), in ``<out>_bridge.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._pump_json import json_errors, provenance
from neuraxis.cli._render import _echo_json, _progress_bar, _stdout_console, user_errors


def _times(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise NeuraxisInputError(
            f"Invalid value for '--bolus-times'. Expected hours separated by commas, e.g. "
            f"'2,8,14', got {text!r}") from None


def default_segments(tip_level: str) -> list[str]:
    """The two cord segments whose dorsal horns lie nearest the catheter tip."""
    from neuraxis.pump.spread import SEGMENTS, load_canal_geometry, segment_position_mm

    geo = load_canal_geometry()
    tip_mm = float(geo.center_mm[list(geo.levels).index(tip_level)])
    return sorted(SEGMENTS, key=lambda s: abs(segment_position_mm(s) - tip_mm))[:2]


def _bolus_events(rx: Any, plan: Any, drug: str, times_h: list[float], hours: float) -> dict:
    """Bolus times, doses, volumes and durations, and the basal start (bridge)."""
    conc = rx.concentration_mg_per_ml(drug)
    ev: dict[str, list[float]] = {"bolus_times_h": [], "bolus_doses_mg": [],
                                  "bolus_volumes_ml": [], "bolus_durations_min": []}
    if times_h and rx.bolus is None:
        raise NeuraxisInputError(
            "Invalid value for '--bolus-times': the prescription has no patient bolus")
    ordered = sorted(times_h)
    if rx.bolus is not None:
        most = rx.bolus.max_boluses_per_day
        for i, t in enumerate(ordered):
            within = sum(1 for u in ordered[i:] if u < t + 24.0)
            if within > most:
                raise NeuraxisInputError(
                    f"Invalid value for '--bolus-times': {within} boluses within 24 h from "
                    f"{t:g} h exceed the prescription's {most} per 24 h")
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    if rx.bolus is not None and any(g * 60 < rx.bolus.lockout_min for g in gaps):
        raise NeuraxisInputError(
            f"Invalid value for '--bolus-times': boluses closer than the lockout "
            f"({rx.bolus.lockout_min:g} min)")
    for t in sorted(times_h):
        ev["bolus_times_h"].append(t)
        ev["bolus_volumes_ml"].append(rx.bolus.volume_ml)
        ev["bolus_doses_mg"].append(rx.bolus.volume_ml * conc)
        ev["bolus_durations_min"].append(rx.bolus.duration_min)
    return ev


def _bridge_runs(rx: Any, plan: Any, targets: list[str], hours: float) -> dict | None:
    """After a concentration change: the schedule with the bridge bolus and without it.

    With the bridge, the dead space's old drug runs at the old rate (the intended dose)
    for the bridge time, then the new concentration; without it, the pump runs at the
    new rate from the refill and the old drug in the dead space gives the window dose.
    """
    from neuraxis.pump.spread import simulate_schedule

    change = plan.concentration_change
    if change is None or change.bridge is None:
        return None
    b, drug = change.bridge, rx.dose_drug
    runs = {}
    for name, rate in (("with_bridge", b.bridge_rate_ml_per_day),
                       ("without_bridge", b.new_rate_ml_per_day)):
        # the dead space's old drug leaves at this rate; a run shorter than that gets
        # only the part delivered within it
        days = min(b.dead_space_ml / rate, hours / 24.0)
        volume_ml = rate * days
        runs[name] = simulate_schedule(
            tip_level=rx.catheter.tip_level, drug=drug, target_segments=targets,
            basal_dose_mg_per_day=plan.dose_per_drug_mg_per_day[drug],
            basal_flow_ml_per_day=plan.daily_volume_ml, duration_h=hours,
            bolus_times_h=[0.0], bolus_volumes_ml=[volume_ml],
            bolus_doses_mg=[volume_ml * b.old_concentration_mg_per_ml],
            bolus_durations_min=[days * 1440.0], basal_start_h=days * 24.0)
    return {"drug": drug, "bridge_h": b.bridge_days * 24.0,
            "window_h": b.window_days * 24.0, **runs}


@user_errors
@json_errors
def pump_schedule(
    prescription: Annotated[Path, typer.Argument(help="Prescription YAML.")],
    out: Annotated[Path, typer.Option(
        "--out", help="PNG to write (one per drug of a mixture: NAME_drug.png).")
    ] = Path("schedule.png"),
    bolus_times: Annotated[str | None, typer.Option(
        "--bolus-times", help="Hours after the start at which the patient takes a bolus, "
                              "e.g. '2,8,14' (checked against lockout and daily maximum).")
    ] = None,
    segments: Annotated[str | None, typer.Option(
        "--segments", help="Target cord segments, e.g. 'T10,T12' (default: the two "
                           "nearest the catheter tip).")] = None,
    hours: Annotated[float, typer.Option("--hours", help="Hours to simulate (1-168).")
                     ] = 24.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Boluses and the bridge bolus in the CSF: concentration over the dorsal horn of the
    target segments over time, with them and with the basal schedule alone."""
    from neuraxis._validate import check_range
    from neuraxis.pump import load_prescription, plan_prescription
    from neuraxis.pump.spread import simulate_schedule
    from neuraxis.viz.pump_spread import plot_schedule

    hours = float(check_range("--hours", hours, 1.0, 168.0, "h"))
    if out.suffix.lower() != ".png" or (out.parent != Path("") and not out.parent.is_dir()):
        raise NeuraxisInputError(
            f"Invalid value for '--out': {out} must be a .png in an existing folder")
    rx = load_prescription(prescription)
    plan = plan_prescription(rx)
    times = _times(bolus_times)
    targets = ([s.strip() for s in segments.split(",") if s.strip()] if segments
               else default_segments(rx.catheter.tip_level))
    drugs = [c.drug for c in rx.mixture]
    results = []
    for drug in drugs:
        path = out if len(drugs) == 1 else out.with_name(f"{out.stem}_{drug}{out.suffix}")
        events = _bolus_events(rx, plan, drug, times, hours)
        with _progress_bar(not json_out, 1, f"{drug}: {hours:g} h schedule") as progress:
            res = simulate_schedule(
                tip_level=rx.catheter.tip_level, drug=drug, target_segments=targets,
                basal_dose_mg_per_day=plan.dose_per_drug_mg_per_day[drug],
                basal_flow_ml_per_day=plan.daily_volume_ml, duration_h=hours,
                progress=progress, **events)
            plot_schedule(res, path)
        results.append((res, path))
    bridge = _bridge_runs(rx, plan, targets, hours)
    bridge_doc = None
    if bridge is not None:
        from neuraxis.viz.pump_spread import plot_bridge

        bpath = out.with_name(f"{out.stem}_bridge{out.suffix}")
        plot_bridge(bridge["with_bridge"], bridge["without_bridge"], bpath,
                    bridge_h=bridge["bridge_h"], window_h=bridge["window_h"])
        bridge_doc = {"drug": bridge["drug"], "bridge_h": bridge["bridge_h"],
                      "window_h": bridge["window_h"], "figure": str(bpath),
                      "with_bridge": bridge["with_bridge"].to_dict()["targets"],
                      "without_bridge": bridge["without_bridge"].to_dict()["targets"]}
    if json_out:
        _echo_json({"status": "ok", "drugs": [{**r.to_dict(), "figure": str(p)}
                                              for r, p in results],
                    "bridge": bridge_doc, "provenance": provenance(prescription)})
        return
    from rich.table import Table

    table = Table(title=f"CSF over the dorsal horn, {hours:g} h, tip at "
                        f"{rx.catheter.tip_level}")
    for col in ("drug", "segment", "peak with boluses (ug/mL)", "peak basal only (ug/mL)",
                "figure"):
        table.add_column(col)
    for res, path in results:
        for seg, t in res.to_dict()["targets"].items():
            table.add_row(res.drug, seg, f"{t['peak_ug_per_ml']:.4g}",
                          f"{t['basal_peak_ug_per_ml']:.4g}", str(path))
    _stdout_console().print(table)
    if bridge_doc is not None:
        _stdout_console().print(
            f"Concentration change: mean over the dorsal horn across the {hours:g} h run "
            f"(window without a bridge {bridge_doc['window_h']:.3g} h), with / without the "
            "bridge: " + "; ".join(
                f"{seg} {bridge_doc['with_bridge'][seg]['mean_ug_per_ml']:.3g} / "
                f"{bridge_doc['without_bridge'][seg]['mean_ug_per_ml']:.3g} ug/mL"
                for seg in bridge_doc["with_bridge"]) + f" (figure {bridge_doc['figure']})",
            markup=False)
