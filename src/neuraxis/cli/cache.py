"""``neuraxis cache``: list and clear the on-disk caches (field bases, NEURON mechanisms).

Both caches live under one root: ``$NEURAXIS_CACHE_DIR``, else
``$XDG_CACHE_HOME/neuraxis``, else ``~/.cache/neuraxis``; field bases in ``field/``
(:func:`neuraxis.field.basis.cache_dir`), compiled NEURON mechanisms in ``nrnmech/``
(:func:`neuraxis.axons.neuron_ref._compile.cache_dir`). Only entries neuraxis wrote
are counted and deleted; other files in those folders are left alone.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._render import _echo_json, _stdout_console, user_errors

cache_app = typer.Typer(
    help="On-disk caches: field bases and compiled NEURON mechanisms "
         "(under $XDG_CACHE_HOME/neuraxis, or ~/.cache/neuraxis).",
    no_args_is_help=True,
)

#: cache name -> glob patterns of the entries neuraxis writes there
_PATTERNS = {"field": ("basis-*.npz",), "neuron": ("*-nrn*", ".build-*")}


def _folders() -> dict[str, Path]:
    """Cache name -> folder (computed now, so environment changes are honoured)."""
    from neuraxis.axons.neuron_ref._compile import cache_dir as neuron_cache_dir
    from neuraxis.field.basis import cache_dir as field_cache_dir

    return {"field": field_cache_dir(), "neuron": neuron_cache_dir()}


def _entries(name: str, folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = {p for pat in _PATTERNS[name] for p in folder.glob(pat)}
    return sorted(found)


def _size_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def cache_table() -> list[dict]:
    """One row per cache: its name, folder, number of entries and size (MB)."""
    rows = []
    for name, folder in _folders().items():
        entries = _entries(name, folder)
        size = sum(_size_bytes(p) for p in entries)
        rows.append({"cache": name, "path": str(folder), "entries": len(entries),
                     "size_mb": round(size / 1e6, 3)})
    return rows


def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


@cache_app.command("list")
@user_errors
def list_caches(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the caches: folder, entries and size (MB)."""
    rows = cache_table()
    if as_json:
        _echo_json(rows)
        return
    from rich.table import Table

    table = Table(title="neuraxis caches")
    for col, just in (("cache", "left"), ("path", "left"), ("entries", "right"),
                      ("size (MB)", "right")):
        table.add_column(col, justify=just, overflow="fold")
    for r in rows:
        table.add_row(r["cache"], r["path"], str(r["entries"]), f"{r['size_mb']:.1f}")
    _stdout_console().print(table)


@cache_app.command("clear")
@user_errors
def clear_caches(
    field: bool = typer.Option(False, "--field", help="Clear the field-basis cache."),
    neuron: bool = typer.Option(False, "--neuron", help="Clear the NEURON mechanism cache."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete cached entries (both caches unless --field or --neuron is given).

    Asks for confirmation on a terminal; elsewhere (scripts, CI) it needs --yes.
    """
    chosen = [n for n, on in (("field", field), ("neuron", neuron)) if on] or ["field", "neuron"]
    folders = _folders()
    targets = {n: _entries(n, folders[n]) for n in chosen}
    count = sum(len(v) for v in targets.values())
    size_mb = sum(_size_bytes(p) for v in targets.values() for p in v) / 1e6
    if count == 0:
        typer.echo(f"Nothing to delete in the {' and '.join(chosen)} cache(s).")
        return
    if not yes:
        if not _interactive():
            raise NeuraxisInputError(
                f"Refusing to delete {count} cache entries ({size_mb:.1f} MB) without "
                "confirmation: not a terminal. Pass --yes to delete them")
        where = ", ".join(str(folders[n]) for n in chosen)
        if not typer.confirm(f"Delete {count} entries ({size_mb:.1f} MB) from {where}?"):
            typer.echo("Nothing deleted.")
            return
    for entries in targets.values():
        for p in entries:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)
    typer.echo(f"Deleted {count} entries ({size_mb:.1f} MB) from the "
               f"{' and '.join(chosen)} cache(s).")
