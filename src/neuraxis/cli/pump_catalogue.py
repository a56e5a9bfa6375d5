"""The catalogue commands of ``neuraxis pump``: ``drugs``, ``pumps``, ``catheters``.

Each prints one row per table value with its unit and its source (flagged unverified
where not confirmed), or with ``--json`` the stored values (drug amounts in mg).
:mod:`neuraxis.cli.pump` registers them on the ``pump`` app.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from neuraxis.cli._render import _echo_json, _stdout_console, user_errors

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout "
                                       "instead of tables.")]


def _num(x: float) -> str:
    """4 significant digits, without exponents for large numbers (10000, not 1e+04)."""
    text = f"{x:.4g}"
    return f"{x:.0f}" if "e+" in text else text


def _catalogue_value(key: str, value: Any, unit: str, display_unit: str = "mg") -> str:
    """A table value with its unit; drug amounts (stored in mg) in the drug's display unit.

    ``[low, high]`` is a range for keys that say so (``*_range_*``, battery life), a
    list otherwise (vial strengths).
    """
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value
    scale = 1.0
    if unit.startswith("mg") and display_unit == "ug":
        scale, unit = 1000.0, "ug" + unit[2:]
    if isinstance(value, dict):
        return ", ".join(f"{k} {_num(float(v) * scale)}" for k, v in value.items()) + f" {unit}"
    if isinstance(value, list):
        nums = [_num(float(v) * scale) for v in value]
        is_range = len(nums) == 2 and ("_range" in key or key == "battery_life_years")
        return f"{'-'.join(nums) if is_range else ', '.join(nums)} {unit}".strip()
    return f"{_num(float(value) * scale)} {unit}".strip()


def _catalogue(kind: str, specs: list[Any], json_out: bool) -> None:
    """Print a catalogue (drugs, pumps, catheters) as a rich table or JSON."""
    from neuraxis.pump.tables import value_unit

    records = [s.to_dict() for s in specs]
    if json_out:
        _echo_json({kind: records})
        return
    table = Table(title=f"Intrathecal {kind} (neuraxis/data/"
                        f"{'drugs' if kind == 'drugs' else 'pumps'}.yaml)", show_lines=False)
    table.add_column(kind[:-1], style="cyan", overflow="fold")
    table.add_column("property")
    table.add_column("value", justify="right", overflow="fold")
    table.add_column("source", overflow="fold", ratio=1)
    for rec in records:
        attrs = [f"{k.replace('_', ' ')}: {str(v).lower() if isinstance(v, bool) else v}"
                 for k, v in rec.items() if k not in ("key", "name", "values")]
        head = f"{rec['name']}\n[dim]{rec['key']}" + ("".join(f"\n{a}" for a in attrs)) + "[/]"
        for i, (key, entry) in enumerate(rec["values"].items()):
            label = value_unit(key)[0] if key != "volume_ml_per_cm" else "volume per cm"
            source = entry["source"] + ("" if entry["verified"] else " [unverified]")
            table.add_row(head if i == 0 else "", label,
                          _catalogue_value(key, entry["value"], entry["unit"],
                                           rec.get("display_unit", "mg")),
                          Text(source, style="" if entry["verified"] else "yellow"))
        table.add_section()
    _stdout_console().print(table)


@user_errors
def pump_drugs(json_out: JsonOpt = False) -> None:
    """List the drugs: strengths, consensus doses and limits, titration, stability.

    One row per value with its unit and source (flagged unverified where not confirmed).
    Doses show in each drug's display unit (ug for ziconotide); --json gives the stored
    values in mg.
    """
    from neuraxis.pump.tables import drug_names, load_drug

    _catalogue("drugs", [load_drug(d) for d in drug_names()], json_out)


@user_errors
def pump_pumps(json_out: JsonOpt = False) -> None:
    """List the pumps: kind, reservoir, alarm volume, minimum flow, tolerance, MRI limits.

    One row per value with its unit and source (flagged unverified where not confirmed).
    """
    from neuraxis.pump.tables import load_pump, pump_names

    _catalogue("pumps", [load_pump(p) for p in pump_names()], json_out)


@user_errors
def pump_catheters(json_out: JsonOpt = False) -> None:
    """List the catheters: inner diameter and the internal volume per cm it gives.

    The volume per cm sets the dead space and the priming bolus; each value with its
    unit and source.
    """
    from neuraxis.pump.tables import catheter_names, load_catheter

    _catalogue("catheters", [load_catheter(c) for c in catheter_names()], json_out)
