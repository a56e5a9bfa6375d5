"""The ``neuraxis`` command line: parse the options, call the library, render.

Sub-apps, one module each: :mod:`~neuraxis.cli.axon` (fibers to a point source),
:mod:`~neuraxis.cli.field` (field basis), :mod:`~neuraxis.cli.scs` (the SCS main job),
:mod:`~neuraxis.cli.pump` (intrathecal pumps), :mod:`~neuraxis.cli.cache` (caches),
:mod:`~neuraxis.cli.registry` (outcomes registry), :mod:`~neuraxis.cli.validate` (the
validation table).
Commands stay thin: they parse, call one library function and render a rich table
(stdout) or JSON (``--json``, stdout); see :mod:`neuraxis.cli._render` for errors.
"""

from __future__ import annotations

from typing import Annotated

import typer

import neuraxis
from neuraxis.cli._render import EXIT_INPUT_ERROR, user_errors
from neuraxis.cli.axon import FIBER_COLUMNS, axon_app, read_fibers_csv
from neuraxis.cli.cache import cache_app
from neuraxis.cli.field import field_app
from neuraxis.cli.pump import pump_app
from neuraxis.cli.registry import registry_app
from neuraxis.cli.scs import scs_app
from neuraxis.cli.validate import validate

__all__ = ["EXIT_INPUT_ERROR", "FIBER_COLUMNS", "app", "read_fibers_csv", "user_errors"]

app = typer.Typer(
    name="neuraxis",
    help="neuraxis: neuromodulation therapy planning for chronic back pain. "
         "scs: spinal cord stimulation end to end (scenario -> field -> fibers -> "
         "paresthesia and coverage); field: FEM field basis of a lead; axon: fiber "
         "thresholds to a point source; pump: intrathecal drug delivery plans; cache: "
         "the on-disk caches; registry: the outcomes registry; validate: the model "
         "against published and analytic values.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(scs_app, name="scs")
app.add_typer(field_app, name="field")
app.add_typer(axon_app, name="axon")
app.add_typer(pump_app, name="pump")
app.add_typer(cache_app, name="cache")
app.add_typer(registry_app, name="registry")
app.add_typer(__import__("neuraxis.cli.web", fromlist=["web_app"]).web_app, name="web")
app.command("validate")(validate)


# --------------------------------------------------------------------------- top level

def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"neuraxis {neuraxis.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Print the neuraxis version and exit.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log progress messages (package log level INFO) to stderr.")
    ] = False,
) -> None:
    """neuraxis: neuromodulation therapy planning for chronic back pain."""
    if verbose:
        old = neuraxis.set_log_level(True)
        ctx.call_on_close(lambda: neuraxis.logger.setLevel(old))
