"""The dose calculators of ``neuraxis pump``: ``convert`` (morphine between routes,
direction-aware) and ``change rate`` / ``change concentration`` / ``change constant-flow``.

Thin: each checks its options (named in the messages), calls one function of
:mod:`neuraxis.pump.conversions` or :mod:`neuraxis.pump.changes` and renders the
result; :mod:`neuraxis.cli.pump` registers them on the ``pump`` app.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from neuraxis._validate import NeuraxisInputError, check_option, check_positive
from neuraxis.cli._pump_json import JsonOpt, echo_ok, json_errors
from neuraxis.cli._render import _stdout_console, user_errors


def _mg(x: float) -> str:
    return f"{x:.4g} mg/day"


def _print_rows(title: str, rows: list[tuple[str, str]], warnings: tuple[str, ...] = (),
                sources: tuple[str, ...] = ()) -> None:
    console = _stdout_console()
    table = Table(title=title, show_header=False, min_width=len(title) + 4)
    table.add_column("quantity", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)
    for w in warnings:
        console.print(Text(w if w.startswith("Option: ") else f"WARNING {w}", style="yellow"))
    for src in sources:
        console.print(Text(f"Source: {src}", style="dim"))


def _route(option: str, value: str) -> str:
    from neuraxis.pump.tables import ROUTES

    return check_option(option, value.strip().lower(), ROUTES)


@user_errors
@json_errors
def pump_convert(
    dose_mg_per_day: Annotated[float, typer.Option(
        "--dose-mg-per-day", help="Daily morphine dose by --from-route (mg/day, > 0).",
        show_default=False)],
    from_route: Annotated[str, typer.Option(
        "--from-route", help="Route of that dose: oral, iv, epidural or intrathecal.",
        show_default=False)],
    to_route: Annotated[str, typer.Option(
        "--to-route", help="Route to convert to (another of the four).", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Convert a daily morphine dose between oral, IV, epidural and intrathecal routes,
    with the ratio that is safe in that direction (REFERENCE 3.5; ratios and their
    sources in drugs.yaml, printed with the result).

    Towards intrathecal: Krames' high ratios, oral : IV : epidural : intrathecal =
    300 : 100 : 10 : 1, give the smaller dose, then 25-50 % less (unverified); the
    suggestion is the 50 % reduction, with a warning above the PACC 2017 starting range.
    Away from intrathecal: the low ratios (oral 10:1, JJSPC 2023; IV 3.3:1 derived,
    unverified) give the smaller systemic dose, with what 300:1 would give (an overdose
    in this direction); titrate up. Between two other routes: Krames' ratios only.
    """
    from neuraxis.pump.conversions import convert_morphine

    dose = float(check_positive("--dose-mg-per-day", dose_mg_per_day, "mg/day"))
    src, dst = _route("--from-route", from_route), _route("--to-route", to_route)
    if src == dst:
        raise NeuraxisInputError(f"Invalid value for '--to-route': it equals --from-route "
                                 f"({src!r}); nothing to convert")
    conv = convert_morphine(dose, src, dst)
    if json_out:
        echo_ok(conv.to_dict())
        return
    lo, hi = conv.range_mg_per_day
    rule = {"toward_intrathecal": f"towards intrathecal: high ratio (Krames) {conv.ratio:g}:1, "
                                  "then 25-50 % less",
            "away_from_intrathecal": f"away from intrathecal: low ratio {1 / conv.ratio:.3g}:1",
            "between_routes": f"between routes: Krames {conv.ratio:g}:1"}[conv.direction]
    _print_rows("Morphine conversion", [
        ("from", f"{_mg(dose)} {src}"), ("rule", rule),
        ("equianalgesic", f"{_mg(conv.equianalgesic_mg_per_day)} {dst}"),
        ("SUGGESTED START", f"{_mg(conv.suggested_mg_per_day)} {dst}"),
        ("range", f"{lo:.4g}-{_mg(hi)}" if hi > lo else _mg(lo))], conv.warnings, conv.sources)


change_app = typer.Typer(
    help="Dose and concentration changes: the new rate for a percent dose change, and what "
         "a concentration change does while the old drug clears the dead space.",
    no_args_is_help=True)


@change_app.command("rate")
@user_errors
@json_errors
def pump_change_rate(
    rate_ml_per_day: Annotated[float, typer.Option(
        "--rate-ml-per-day", help="Current pump rate (mL/day, > 0).", show_default=False)],
    change_percent: Annotated[float | None, typer.Option(
        "--change-percent", help="Dose change in percent (> -100; +20 raises the dose by a "
                                 "fifth).", show_default=False)] = None,
    new_rate_ml_per_day: Annotated[float | None, typer.Option(
        "--new-rate-ml-per-day", help="Or the new rate (mL/day, > 0): gives the percent.",
        show_default=False)] = None,
    json_out: JsonOpt = False,
) -> None:
    """New rate for a dose change at an unchanged concentration: new rate = rate x (1 +
    percent / 100), so the dose changes by the same percent (REFERENCE 3.4); or the
    percent between two rates. Give --change-percent or --new-rate-ml-per-day.

    Drug limits on a step (ziconotide +2.4 ug/day, baclofen +10-30 %) are checked by
    'pump plan' with a titration section, not here.
    """
    from neuraxis._validate import check_range
    from neuraxis.pump.changes import percent_change, rate_for_percent_change

    rate = float(check_positive("--rate-ml-per-day", rate_ml_per_day, "mL/day"))
    if (change_percent is None) == (new_rate_ml_per_day is None):
        raise NeuraxisInputError(
            "Invalid options: give exactly one of '--change-percent' (the dose change) or "
            "'--new-rate-ml-per-day' (the new rate), but got "
            + ("both" if change_percent is not None else "neither"))
    if change_percent is not None:
        pct = float(check_range("--change-percent", change_percent, -100.0, None, "%",
                                low_inclusive=False))
        new = rate_for_percent_change(rate, pct)
    else:
        new = float(check_positive("--new-rate-ml-per-day", new_rate_ml_per_day, "mL/day"))
        pct = percent_change(rate, new)
    if json_out:
        echo_ok({"rate_ml_per_day": rate, "new_rate_ml_per_day": new, "change_percent": pct})
        return
    _print_rows("Rate change (same concentration)", [
        ("rate", f"{rate:.4g} mL/day"), ("NEW RATE", f"{new:.4g} mL/day"),
        ("dose change", f"{pct:+.4g} %")], sources=("new rate = rate x (1 + percent/100) at "
                                                   "an unchanged concentration (REFERENCE 3.4)",))


@change_app.command("concentration")
@user_errors
@json_errors
def pump_change_concentration(
    dose_mg_per_day: Annotated[float, typer.Option(
        "--dose-mg-per-day", help="Daily dose, the same before and after (mg/day, > 0).",
        show_default=False)],
    old_concentration_mg_per_ml: Annotated[float, typer.Option(
        "--old-concentration-mg-per-ml", help="Concentration in the pump now (mg/mL, > 0).",
        show_default=False)],
    new_concentration_mg_per_ml: Annotated[float, typer.Option(
        "--new-concentration-mg-per-ml", help="Concentration of the refill (mg/mL, > 0).",
        show_default=False)],
    dead_space_ml: Annotated[float, typer.Option(
        "--dead-space-ml", help="Pump tubing + catheter volume holding the old drug (mL, > 0;"
                                " see 'pump pumps' and 'pump catheters').", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """What a concentration change does at the same daily dose, and the bridge bolus.

    The old mixture in the dead space runs at the new rate D/C_new for V_ds/(D/C_new)
    days, delivering D x C_old/C_new: an under-dose when the concentration rises, an
    over-dose when it falls. A bridge bolus runs the dead space at the old rate D/C_old
    for V_ds/(D/C_old) days (REFERENCE 3.4); 'pump plan' refuses a change without one.
    For a programmable pump; a constant-flow pump cannot run a bridge: 'change
    constant-flow'.
    """
    from neuraxis.pump.changes import concentration_change

    dose = float(check_positive("--dose-mg-per-day", dose_mg_per_day, "mg/day"))
    c_old = float(check_positive("--old-concentration-mg-per-ml", old_concentration_mg_per_ml,
                                 "mg/mL"))
    c_new = float(check_positive("--new-concentration-mg-per-ml", new_concentration_mg_per_ml,
                                 "mg/mL"))
    v_ds = float(check_positive("--dead-space-ml", dead_space_ml, "mL"))
    if c_old == c_new:
        raise NeuraxisInputError(f"Invalid value for '--new-concentration-mg-per-ml': it "
                                 f"equals --old-concentration-mg-per-ml ({c_old:g} mg/mL); "
                                 "nothing changes")
    ch = concentration_change(dose, c_old, c_new, v_ds)
    if json_out:
        echo_ok(ch.to_dict())
        return
    _print_rows("Concentration change", [
        ("dose", f"{_mg(dose)}, {c_old:g} -> {c_new:g} mg/mL, dead space {v_ds:g} mL"),
        ("new rate", f"{ch.new_rate_ml_per_day:.4g} mL/day"),
        ("without a bridge", f"{_mg(ch.window_dose_mg_per_day)} "
                             f"({100 * ch.window_dose_fraction:.3g} % of the dose: "
                             f"{ch.direction}) for {ch.window_days:.3g} days"),
        ("BRIDGE BOLUS", f"{ch.bridge_volume_ml:.3g} mL at {ch.bridge_rate_ml_per_day:.4g} "
                         f"mL/day for {ch.bridge_days:.3g} days, then "
                         f"{ch.new_rate_ml_per_day:.4g} mL/day")],
        sources=("window and bridge bolus: REFERENCE 3.4",))


@change_app.command("constant-flow")
@user_errors
@json_errors
def pump_change_constant_flow(
    flow_rate_ml_per_day: Annotated[float, typer.Option(
        "--flow-rate-ml-per-day", help="The pump's fixed rate, from its label (mL/day, > 0).",
        show_default=False)],
    drug: Annotated[str, typer.Option("--drug", help="Drug whose concentration changes "
                                      "(see 'pump drugs').", show_default=False)],
    old_concentration_mg_per_ml: Annotated[float, typer.Option(
        "--old-concentration-mg-per-ml", help="Concentration in the pump now (mg/mL, >= 0).",
        show_default=False)],
    new_concentration_mg_per_ml: Annotated[float, typer.Option(
        "--new-concentration-mg-per-ml", help="Concentration of the refill (mg/mL, >= 0).",
        show_default=False)],
    dead_space_ml: Annotated[float, typer.Option(
        "--dead-space-ml", help="Pump internal volume + catheter volume (mL, > 0).",
        show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """A concentration change on a constant-flow pump (Codman 3000, IsoMed): the dose is
    the fixed rate q x the concentration, so only a refill changes it.

    The previous dose q x C_old continues for V_ds/q days, until the new mixture reaches
    the catheter tip; then q x C_new starts (REFERENCE 3.3, 3.4). No bridge bolus is
    possible; what can be done is listed with its source (unverified ones flagged).
    """
    from neuraxis._validate import check_range
    from neuraxis.pump.changes import constant_flow_change
    from neuraxis.pump.tables import drug_names, load_drug

    q = float(check_positive("--flow-rate-ml-per-day", flow_rate_ml_per_day, "mL/day"))
    key = check_option("--drug", drug.strip().lower(), drug_names())
    c_old, c_new = (float(check_range(opt, c, 0.0, None, "mg/mL")) for opt, c in (
        ("--old-concentration-mg-per-ml", old_concentration_mg_per_ml),
        ("--new-concentration-mg-per-ml", new_concentration_mg_per_ml)))
    v_ds = float(check_positive("--dead-space-ml", dead_space_ml, "mL"))
    if c_old == c_new:
        raise NeuraxisInputError(f"Invalid value for '--new-concentration-mg-per-ml': it "
                                 f"equals --old-concentration-mg-per-ml ({c_old:g} mg/mL); "
                                 "nothing changes")
    ch = constant_flow_change(q, {key: c_old}, {key: c_new}, v_ds)
    if json_out:
        echo_ok(ch.to_dict())
        return
    spec = load_drug(key)
    _print_rows(f"Concentration change on a constant-flow pump ({spec.name.lower()})", [
        ("pump", f"fixed {q:.4g} mL/day, dead space {v_ds:g} mL"),
        ("until the tip", f"{spec.fmt(ch.window_dose_mg_per_day[key], 'day')} (the previous "
                          f"dose) for {ch.window_days:.3g} days"),
        ("THEN", spec.fmt(ch.new_dose_mg_per_day[key], "day")),
        ("bridge bolus", "not possible on a constant-flow pump")],
        tuple(f"Option: {o.text} ({o.cite()})" for o in ch.options),
        ("window V_ds/q and doses q x C: REFERENCE 3.3, 3.4",))
