"""The ``--json`` envelope of the ``neuraxis pump`` commands (private).

Every JSON object has a ``status``: ``'ok'``, ``'refused'`` (a prescription refused by
a safety check: exit code :data:`EXIT_REFUSED`, its findings listed) or ``'error'``
(invalid input: exit code 2), and a ``provenance``: neuraxis version, time (UTC),
input file and its SHA-256. The human form keeps the one red ``Error:`` line.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from neuraxis._soft_import import MissingDependencyError
from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._render import EXIT_REFUSED, _echo_json, _fail

__all__ = ["JsonOpt", "echo_ok", "json_errors", "provenance"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout "
                                       "instead of tables (errors too: 'status' says which).")]
F = TypeVar("F", bound=Callable[..., Any])


def provenance(path: Path | None) -> dict[str, Any]:
    """What made a JSON output: neuraxis version, time (UTC), input file and its SHA-256."""
    import hashlib

    import neuraxis

    digest = None
    if path is not None and path.is_file():
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = None
    return {"neuraxis_version": neuraxis.__version__,
            "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "input_file": None if path is None else str(path), "input_sha256": digest}


def json_errors(func: F) -> F:
    """Decorate a command (inside :func:`~neuraxis.cli._render.user_errors`): with
    ``--json`` an error is also a JSON object on stdout; a refused prescription exits
    with :data:`EXIT_REFUSED`.

    A refusal prints :meth:`~neuraxis.pump.findings.PrescriptionRefusedError.to_dict`
    (``{"status": "refused", "message", "refusals", "warnings", "overrides"}``) with
    ``provenance``, other invalid input ``{"status": "error", "message", "provenance"}``;
    the one ``Error:`` line on stderr stays.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (NeuraxisInputError, FileNotFoundError, MissingDependencyError) as exc:
            from neuraxis.pump.findings import PrescriptionRefusedError

            json_out, path = kwargs.get("json_out", False), kwargs.get("prescription")
            refused = isinstance(exc, PrescriptionRefusedError)
            if json_out:
                message = (f"File not found: '{exc.filename}'" if isinstance(
                    exc, FileNotFoundError) and exc.filename is not None else str(exc))
                record = exc.to_dict() if isinstance(exc, PrescriptionRefusedError) else {
                    "status": "error", "message": message}
                _echo_json({**record, "provenance": provenance(path)})
            if not refused:
                raise  # user_errors prints the 'Error:' line, exit code 2
            _fail(str(exc), code=EXIT_REFUSED)

    return wrapper  # type: ignore[return-value]


def echo_ok(record: dict[str, Any]) -> None:
    """Print ``{"status": "ok", **record, "provenance"}`` (no input file; floats tidied)."""
    from neuraxis.pump.plan import tidy_json

    _echo_json(tidy_json({"status": "ok", **record, "provenance": provenance(None)}))
