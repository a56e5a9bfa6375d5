"""``neuraxis cache``: list and clear the on-disk caches (field bases, NEURON mechanisms)."""

from __future__ import annotations

import typer

cache_app = typer.Typer(
    help="On-disk caches: field bases and compiled NEURON mechanisms "
         "(under $XDG_CACHE_HOME/neuraxis, or ~/.cache/neuraxis).",
    no_args_is_help=True,
)
