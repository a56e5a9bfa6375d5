"""Rendering and error helpers shared by every ``neuraxis`` command.

Invalid input (:class:`~neuraxis.NeuraxisInputError`, a missing file, a missing extra)
ends a command with one red ``Error: <message>`` line on stderr and exit code 2
(:data:`EXIT_INPUT_ERROR`); a pump prescription refused by a safety check ends the same
way with exit code 3 (:data:`EXIT_REFUSED`).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from neuraxis._soft_import import MissingDependencyError
from neuraxis._validate import NeuraxisInputError

#: Exit code for invalid user input (as click uses for usage errors).
EXIT_INPUT_ERROR = 2
#: Exit code of a prescription refused by a safety check (``neuraxis pump``).
EXIT_REFUSED = 3

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- errors

def _fail(message: str, code: int = EXIT_INPUT_ERROR) -> NoReturn:
    """Print ``Error: <message>`` as one red line on stderr and exit with ``code``.

    Parameters
    ----------
    message : str
        The error; its lines are joined into one.
    code : int
        Exit code: :data:`EXIT_INPUT_ERROR` (default) or :data:`EXIT_REFUSED`.
    """
    line = "Error: " + " ".join(message.splitlines())
    Console(stderr=True, soft_wrap=True, highlight=False).print(Text(line, style="red"))
    raise typer.Exit(code=code)


def user_errors(func: F) -> F:
    """Decorate a command: turn input errors into a one-line message and exit code 2.

    Catches :class:`~neuraxis.NeuraxisInputError`, :class:`FileNotFoundError` and a
    missing optional dependency (the message names the extra to install);
    every other exception propagates (a bug, shown with its traceback).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NeuraxisInputError as exc:
            _fail(str(exc))
        except FileNotFoundError as exc:
            _fail(str(exc) if exc.filename is None else f"File not found: '{exc.filename}'")
        except MissingDependencyError as exc:  # an optional extra is not installed
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- rendering

def _echo_json(obj: object) -> None:
    """Print ``obj`` as JSON on stdout (plain text: no markup, no wrapping)."""
    typer.echo(json.dumps(obj, indent=2))


def _fmt(value: object) -> str:
    """Table cell text: floats with 4 significant digits, None as '-'."""
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _stdout_console() -> Console:
    """Console for tables on stdout; when not a terminal (pipe, file), never truncate."""
    console = Console()
    return console if console.is_terminal else Console(width=1000)


def _print_key_values(title: str, record: dict[str, Any]) -> None:
    """Render a record as a two-column rich table on stdout."""
    table = Table(title=title, min_width=len(title) + 4)
    table.add_column("quantity", style="cyan", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
    for key, value in record.items():
        table.add_row(key, _fmt(value))
    _stdout_console().print(table)


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int,
                  label: str = "thresholds") -> Iterator[Callable[[int, int], None]]:
    """A transient rich progress bar on stderr; yields a ``progress(n_done, n_total)``.

    Shown only when ``enabled`` and stderr is a terminal (no stray lines in logs).
    """
    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield lambda n_done, n_total: None
        return
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda n_done, n_total: bar.update(task, completed=n_done, total=n_total)


#: Labels of the stages that long library calls report through ``progress(stage, done, total)``.
STAGE_LABELS = {"mesh": "meshing", "assemble": "assembling", "amg": "multigrid set-up",
                "solve": "solving contacts", "thresholds": "fiber thresholds",
                "figures": "figures and report"}


@contextlib.contextmanager
def _stage_progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Progress of named stages (:data:`STAGE_LABELS`); yields ``progress(stage, done,
    total)``, or None when nothing would be shown.

    On a terminal (and ``enabled``): one transient rich bar per stage on stderr. Elsewhere
    (a pipe, ``--json``): one INFO log line per stage, shown with ``neuraxis -v``.
    """
    import logging

    from neuraxis._logging import logger

    console = Console(stderr=True)
    bar = (Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)
           if enabled and console.is_terminal else None)
    if bar is None and not logger.isEnabledFor(logging.INFO):
        yield None
        return
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        label = STAGE_LABELS.get(stage, stage)
        if stage not in tasks:
            logger.info("%s ...", label)
            tasks[stage] = bar.add_task(label, total=total) if bar is not None else None
        if bar is not None:
            bar.update(tasks[stage], completed=done, total=total)

    if bar is None:
        yield report
        return
    with bar:
        yield report

