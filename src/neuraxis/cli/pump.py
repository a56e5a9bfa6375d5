"""``neuraxis pump``: plan the refills of an intrathecal pump prescription, with its checks;
simulate the drug's spread in the CSF; convert morphine doses between routes; dose and
concentration changes; list the drug, pump and catheter catalogues.

Exit codes: 0 done, 2 invalid input (one ``Error:`` line; with ``--json`` also
``{"status": "error", "message": ...}`` on stdout), 3 (:data:`EXIT_REFUSED`) a
prescription refused by a safety check (with ``--json`` also its findings on stdout).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from neuraxis._validate import NeuraxisInputError, check_int
from neuraxis.cli._pump_json import JsonOpt, json_errors, provenance
from neuraxis.cli._render import (
    EXIT_REFUSED,
    _echo_json,
    _progress_bar,
    _stdout_console,
    user_errors,
)
from neuraxis.cli.pump_catalogue import pump_catheters, pump_drugs, pump_pumps
from neuraxis.cli.pump_dose import change_app, pump_convert
from neuraxis.cli.pump_schedule import pump_schedule

__all__ = ["EXIT_REFUSED", "pump_app"]

pump_app = typer.Typer(
    help="Intrathecal drug delivery: pump prescriptions, refill planning, safety checks, "
         "drug spread in the CSF, morphine route conversion, dose and concentration changes, "
         "and the drug, pump and catheter catalogues (drug amounts in mg or ug as the key "
         "says, volumes in mL, rates in mL/day).",
    no_args_is_help=True,
)

PrescriptionArg = Annotated[Path, typer.Argument(
    help="Prescription YAML (pump, catheter, mixture, basal, bolus, ...; see docs/pump.md).",
    show_default=False)]


def _check_output(option: str, path: Path, suffix: str | None = None) -> Path:
    """Refuse an output file that cannot be written, before anything is computed.

    A folder, a file in a folder that does not exist or cannot be written, or (when
    ``suffix`` is given) another extension is an input error naming the option.
    """
    if suffix is not None and path.suffix.lower() != suffix:
        raise NeuraxisInputError(f"Invalid value for '{option}': '{path}' must end in {suffix}")
    if path.is_dir():
        raise NeuraxisInputError(f"Invalid value for '{option}': '{path}' is a folder; give "
                                 f"a file name in it, e.g. '{path / ('out' + (suffix or ''))}'")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise NeuraxisInputError(f"Invalid value for '{option}': the folder '{parent}' of "
                                 f"'{path}' {what}; create it first or choose another path")
    if not os.access(parent, os.W_OK):
        raise NeuraxisInputError(f"Invalid value for '{option}': cannot write in the folder "
                                 f"'{parent}' (permission denied)")
    return path


def _days(days: float) -> str:
    return "never" if days == float("inf") else f"{days:.1f}"


def _summary_rows(plan: Any) -> list[tuple[str, str]]:
    from neuraxis.pump import load_drug, load_pump

    rx = plan.prescription
    pump = load_pump(rx.pump.model)
    cat = rx.catheter
    mixture = " + ".join(f"{load_drug(c.drug).name.lower()} "
                         f"{load_drug(c.drug).fmt(c.concentration_mg_per_ml, 'mL')}"
                         + (" (compounded)" if c.compounded else "") for c in rx.mixture)
    tol = plan.flow_tolerance_percent
    rows = [
        ("pump", f"{pump.name} ({pump.kind.replace('_', '-')})"),
        ("fill", (f"{rx.pump.fill_date.isoformat()}, {rx.pump.fill_volume_ml:g} mL "
                 f"(low reservoir at {pump.low_reservoir_volume_ml:g} mL)")),
        ("catheter", (f"{cat.model}, {cat.length_cm:g} cm, tip {cat.tip_level}, "
                     f"{cat.volume_ml:.3g} mL")),
        ("mixture", mixture),
        ("basal", f"{rx.basal_mode}, {plan.daily_volume_ml:.4g} mL/day"),
    ]
    if rx.bolus is not None:
        rows.append(("boluses", (f"{plan.bolus_volume_ml:.4g} mL each, {rx.bolus.duration_min:g} "
                                f"min, lockout {rx.bolus.lockout_min:g} min, up to "
                                f"{plan.max_boluses_per_day}/day")))
    rows += [
        ("daily volume, all boluses", f"{plan.daily_volume_all_boluses_ml:.4g} mL/day"),
        ("daily volume, worst case", f"{plan.daily_volume_worst_case_ml:.4g} mL/day"
         + (f" (+{tol:g} % flow)" if tol is not None else " (flow tolerance unknown)")),
        ("days to alarm, nominal", (f"{_days(plan.days_to_alarm_nominal)} "
                                   f"({plan.alarm_date_nominal.isoformat()})")),
    ]
    if rx.bolus is not None:
        rows.append(("days to alarm, all boluses", _days(plan.days_to_alarm_all_boluses)))
    rows += [
        ("days to alarm, worst case", (f"{_days(plan.days_to_alarm)} "
                                      f"({plan.alarm_date.isoformat()})")),
        ("stability limit", "unknown" if plan.stability_days is None
         else f"{plan.stability_days:g} days"),
        ("REFILL DATE", f"{plan.refill_date.isoformat()} ({plan.refill_limited_by})"
         + (f"; {plan.calendar[0].date_note}" if plan.calendar[0].date_note else "")),
        ("expected residual at refill", f"{plan.expected_residual_at_refill_ml:.3g} mL"
         + (f" ({plan.expected_residual_at_refill_all_boluses_ml:.3g} mL if every bolus is used)"
            if rx.bolus is not None else "")),
        ("refill volume", (f"{plan.refill_volume_ml:g} mL (lasts to the following refill, "
                          "worst case)")),
    ]
    if plan.valve_interval_min is not None:
        rows.append(("valve interval", f"{plan.valve_interval_min:.4g} min"))
    if plan.extra_volume_at_fill_ml:
        rows.append(("used at the fill", (f"{plan.extra_volume_at_fill_ml:.3g} mL "
                                          "(priming / bridge bolus, from the reservoir)")))
    return rows + _change_rows(plan)


def _unverified(verified: bool) -> str:
    return "" if verified else " [unverified]"


def _change_rows(plan: Any) -> list[tuple[str, str]]:
    """Rows of the priming bolus and of a concentration change (on a constant-flow pump:
    the window at the fixed rate, the doses during and after it, and the options).

    A volume not confirmed in its source is marked ``[unverified]``; a window computed
    without the pump's internal volume is "at least" that long.
    """
    from neuraxis.pump import load_drug

    rows: list[tuple[str, str]] = []
    if plan.priming is not None:
        p = plan.priming
        rows.append(("priming bolus", (f"{p.volume_ml:.3g} mL{_unverified(p.volume_verified)} "
                                      f"(tubing {p.tubing_ml:.3g} + catheter "
                                      f"{p.catheter_ml:.3g} mL)")))
    change = plan.concentration_change
    if change is None:
        return rows
    ds = change.dead_space
    flag = _unverified(ds is None or ds.verified)
    bound = "" if ds is None or ds.complete else "at least "
    cf = change.constant_flow
    if cf is not None:
        rows.append(("concentration change", (
            f"constant-flow pump at a fixed {cf.flow_rate_ml_per_day:g} mL/day: the new "
            f"mixture reaches the catheter tip when the {cf.dead_space.volume_ml:.3g} mL dead "
            f"space{flag} has run out, {bound}{cf.window_days:.3g} days after the refill; "
            "until then the previous dose continues")))
        for d, during in cf.window_dose_mg_per_day.items():
            spec = load_drug(d)
            rows.append((f"  {spec.name.lower()}", (
                f"{spec.fmt(during, 'day')} during the window (previous dose), then "
                f"{spec.fmt(cf.new_dose_mg_per_day[d], 'day')}")))
        rows.append(("bridge bolus", "not possible on a constant-flow pump"))
        rows += [(f"option {i}", f"{o.text} ({o.cite()})")
                 for i, o in enumerate(cf.options, 1)]
        return rows
    lost = "; ".join(
        f"{load_drug(d).name.lower()} {load_drug(d).fmt(change.window_mg_per_day[d], 'day')}"
        f" instead of {load_drug(d).fmt(change.intended_mg_per_day[d], 'day')}"
        for d in change.changed_drugs())
    rows.append(("concentration change", (f"old mixture in the {change.dead_space_ml:.3g} mL "
                                          f"dead space{flag} clears in {bound}"
                                          f"{change.window_days:.3g} days at the new rate; "
                                          f"without a bridge: {lost}")))
    if change.bridge is not None and plan.bridge_bolus:
        b = change.bridge
        rows.append(("bridge bolus", (f"{b.bridge_volume_ml:.3g} mL{flag} at "
                                     f"{b.bridge_rate_ml_per_day:.4g} mL/day for "
                                     f"{b.bridge_days:.3g} days, then {b.new_rate_ml_per_day:.4g} "
                                     "mL/day")))
    return rows


def _print_plan(plan: Any) -> None:
    from neuraxis.pump import load_drug

    rx = plan.prescription
    console = _stdout_console()
    title = "Pump plan" + (f": {rx.description}" if rx.description else "")
    table = Table(title=title, show_header=False)
    table.add_column("quantity", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in _summary_rows(plan):  # Text: '[unverified]' is not markup
        table.add_row(key, Text(value), style="bold" if key == "REFILL DATE" else None)
    console.print(table)

    doses = Table(title="Dose per drug")
    for col in ("drug", "concentration", "basal dose",
                "largest daily dose (all boluses, titration)"):
        doses.add_column(col, justify="left" if col == "drug" else "right")
    for c in rx.mixture:
        spec = load_drug(c.drug)
        doses.add_row(spec.name, spec.fmt(c.concentration_mg_per_ml, "mL"),
                      spec.fmt(plan.dose_per_drug_mg_per_day[c.drug], "day"),
                      spec.fmt(plan.max_dose_per_drug_mg_per_day[c.drug], "day"))
    console.print(doses)

    if rx.basal_mode == "flex" or rx.titration:
        _print_schedule(plan, console)

    work = plan.working_calendar
    cal = Table(title=f"Refill calendar (working days {', '.join(work.working_days)}; "
                      f"{len(work.holidays)} holidays; move: {work.move})")
    for col in ("#", "date", "days", "fill volume", "date set by", "moved"):
        cal.add_column(col, justify="right" if col in ("#", "days", "fill volume") else "left",
                       overflow="fold")
    for ev in plan.calendar:
        cal.add_row(str(ev.number), ev.date.isoformat(), str(ev.days),
                    f"{ev.fill_volume_ml:g} mL", ev.limited_by, ev.date_note)
    console.print(cal)

    for o in plan.overrides:
        console.print(Text(f"OVERRIDDEN [{o.finding.check}] {o.finding.message} -- reason: "
                           f"{o.reason}", style="magenta"))
    for w in plan.warnings:
        console.print(Text(f"WARNING [{w.check}] {w.message}", style="yellow"))
    for n in plan.notes:
        console.print(Text(f"Note: {n}", style="dim"))


def _print_schedule(plan: Any, console: Console) -> None:
    from neuraxis.pump import load_drug

    rx = plan.prescription
    if rx.basal_mode == "flex":
        seg = Table(title="Flex schedule")
        for col in ("from", "to", "rate (mL/day)", *(f"{load_drug(d).name} /h" for d in rx.drugs)):
            seg.add_column(col, justify="right")
        for s in plan.to_dict()["schedule"]:
            seg.add_row(s["start"], s["end"], f"{s['rate_ml_per_day']:.4g}",
                        *(load_drug(d).fmt(s["rate_mg_per_hour"][d]) for d in rx.drugs))
        console.print(seg)
    if rx.titration:
        spec = load_drug(rx.dose_drug)
        conc = rx.concentration_mg_per_ml(rx.dose_drug)
        tit = Table(title=f"Titration ({spec.name.lower()} basal dose)")
        for col in ("from", "dose", "rate (mL/day)"):
            tit.add_column(col, justify="right")
        for day, vol in rx.volume_timeline():
            tit.add_row(day.isoformat(), spec.fmt(vol * conc, "day"), f"{vol:.4g}")
        console.print(tit)


@pump_app.command("plan")
@user_errors
@json_errors
def pump_plan(
    prescription: PrescriptionArg,
    json_out: JsonOpt = False,
    ics: Annotated[Path | None, typer.Option(
        "--ics", help="Also write the refill calendar to this iCalendar (.ics) file (its "
                      "folder must exist).",
        show_default=False)] = None,
    horizon_days: Annotated[int | None, typer.Option(
        "--horizon-days", help="Days of refill calendar (1-3650; default: refill."
                               "horizon_days of the file, else 365).", show_default=False)
    ] = None,
) -> None:
    """Daily volume, dose per drug, alarm and refill dates, refill volume and calendar.

    The prescription is checked first: a concentration or dose above the consensus
    maximum, a flow below the pump's minimum, a titration step above its limit, a
    concentration change without a bridge bolus (on a pump that can give one; on a
    constant-flow pump the window is shown instead) or a refill volume discrepancy is
    refused (one 'Error:' line naming the limit and its source; exit code 3; with
    --json also every refusal as JSON) unless the file overrides that check with a
    reason; warnings are printed with the plan. A refill on a weekend or holiday moves
    to the previous working day (the file's 'calendar' section; docs/pump.md).
    """
    from dataclasses import replace

    from neuraxis.pump import load_prescription, plan_prescription, refill_calendar_ics

    if ics is not None:
        _check_output("--ics", ics)
    if horizon_days is not None:
        check_int("--horizon-days", horizon_days, 1, 3650)
    rx = load_prescription(prescription)
    if horizon_days is not None:
        rx = replace(rx, horizon_days=horizon_days)
    plan = plan_prescription(rx)
    if ics is not None:
        try:
            ics.write_text(refill_calendar_ics(plan), encoding="utf-8", newline="")
        except OSError as exc:
            raise NeuraxisInputError(f"Invalid value for '--ics': cannot write '{ics}' "
                                     f"({exc.strerror})") from None
    if json_out:
        _echo_json({**plan.to_dict(), "provenance": provenance(prescription)})
    else:
        _print_plan(plan)
    if ics is not None:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"Refill calendar ({len(plan.calendar)} refills) written to {ics}", markup=False)


@pump_app.command("spread")
@user_errors
@json_errors
def pump_spread(
    prescription: PrescriptionArg,
    out: Annotated[Path, typer.Option(
        "--out", help="PNG to write (one per drug of a mixture: NAME_drug.png); its folder "
                      "must exist.")
    ] = Path("spread.png"),
    hours: Annotated[float, typer.Option(
        "--hours", help="Hours of infusion to simulate (0.5-720).")] = 24.0,
    json_out: JsonOpt = False,
) -> None:
    """Drug spread in the spinal CSF from the catheter tip: concentration by level over
    time, spread half-widths (to 10 % of the peak), and a figure per drug.

    The prescription's basal dose of each drug and its daily volume drive a 1D
    advection-dispersion-clearance model of the spinal CSF (docs/pump_spread.md).
    A progress bar shows on a terminal (stderr; not with --json).
    """
    from neuraxis._validate import check_range
    from neuraxis.pump import load_prescription, plan_prescription
    from neuraxis.pump.spread import simulate_spread
    from neuraxis.viz.pump_spread import plot_spread

    hours = float(check_range("--hours", hours, 0.5, 720.0, "h"))
    _check_output("--out", out, ".png")
    rx = load_prescription(prescription)
    plan = plan_prescription(rx)
    drugs = [c.drug for c in rx.mixture]
    paths = {d: out if len(drugs) == 1 else
             _check_output("--out", out.with_name(f"{out.stem}_{d}{out.suffix}"), ".png")
             for d in drugs}
    results = []
    for drug in drugs:
        # One bar per drug: the time steps of the solver, then one step for the figure.
        with _progress_bar(not json_out, 1, f"{drug}: {hours:g} h of spread, figure"
                           ) as progress:
            steps = [0]

            def on_step(done: int, total: int, bar: Any = progress, n: list = steps) -> None:
                n[0] = total + 1
                bar(done, total + 1)

            res = simulate_spread(tip_level=rx.catheter.tip_level, drug=drug, duration_h=hours,
                                  dose_mg_per_day=plan.dose_per_drug_mg_per_day[drug],
                                  flow_ml_per_day=plan.daily_volume_ml, progress=on_step)
            plot_spread(res, paths[drug])
            progress(steps[0], steps[0])
        results.append((res, paths[drug]))
    if json_out:
        _echo_json({"status": "ok", "drugs": [{**r.to_dict(), "figure": str(p)}
                                              for r, p in results],
                    "provenance": provenance(prescription)})
        return
    table = Table(title=f"Spread in the spinal CSF after {hours:g} h, tip at "
                        f"{rx.catheter.tip_level} ({plan.daily_volume_ml:.4g} mL/day)")
    for col in ("drug", "dose (mg/day)", "CSF half-life (h)", "peak (ug/mL)",
                "to 10 % of peak, rostral (cm)", "caudal (cm)", "figure"):
        table.add_column(col, justify="left" if col in ("drug", "figure") else "right")
    for res, path in results:
        s = res.to_dict()
        table.add_row(res.drug, f"{res.dose_mg_per_day:.4g}", f"{s['half_life_h']:.3g}",
                      f"{s['peak_ug_per_ml']:.4g}", f"{s['half_width_rostral_cm']:.2f}",
                      f"{s['half_width_caudal_cm']:.2f}", str(path))
    _stdout_console().print(table)
    for res, _ in results:
        for note in res.notes:
            _stdout_console().print(Text(f"Note ({res.drug}): {note}", style="dim"))


# --------------------------------------------------------------------------- registered

pump_app.command("convert")(pump_convert)
pump_app.command("schedule")(pump_schedule)
pump_app.add_typer(change_app, name="change")
pump_app.command("drugs")(pump_drugs)
pump_app.command("pumps")(pump_pumps)
pump_app.command("catheters")(pump_catheters)
