"""``neuraxis validate``: compute and print the validation table.

Thin over :mod:`neuraxis.validation`: every row is computed by the library; this module
renders it as a table, JSON or the Markdown of ``docs/validation.md``. Exit status 1
when a row fails without a stated reason (an unexpected disagreement).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from neuraxis.cli._render import _echo_json, _stdout_console, user_errors

EXIT_VALIDATION_FAILED = 1


@user_errors
def validate(
    areas: Annotated[list[str] | None, typer.Argument(
        help="Areas to compute (default: all): axons, pump, scs (scs takes minutes: "
             "meshes and SCS runs).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")
                       ] = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the Markdown of docs/validation.md.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the Markdown (or JSON with --json) to this file.")] = None,
) -> None:
    """Compute the validation table: model vs published and analytic values, each at the
    tolerance its source supports (exit status 1 if a row fails unexpectedly)."""
    import datetime as dt

    import neuraxis
    from neuraxis.validation import markdown_table, validation_rows

    def progress(area: str) -> None:
        if sys.stderr.isatty():
            print(f"computing the {area} rows ...", file=sys.stderr)

    rows = validation_rows(areas or None, progress=progress)
    if as_json:
        doc = {"neuraxis_version": neuraxis.__version__,
               "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "rows": [r.to_dict() for r in rows]}
        if out is not None:
            import json

            out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        else:
            _echo_json(doc)
    elif markdown or out is not None:
        text = markdown_table(rows)
        if out is not None:
            out.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
    else:
        from rich.table import Table

        table = Table(title=f"neuraxis {neuraxis.__version__} validation table")
        for col in ("id", "quantity", "reference", "model", "tolerance", "role", "status"):
            table.add_column(col, overflow="fold")
        for r in rows:
            style = "red" if r.status == "FAIL" else None
            table.add_row(r.check_id, r.quantity, r.reference, r.model, r.tolerance, r.role,
                          r.status + (f": {r.expected_failure}" if r.expected_failure else ""),
                          style=style)
        _stdout_console().print(table)
    if any(r.status == "FAIL" for r in rows):
        raise typer.Exit(code=EXIT_VALIDATION_FAILED)
