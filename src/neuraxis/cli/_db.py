"""The ``--db`` option of ``neuraxis registry`` and ``neuraxis web`` (private).

One help text and one resolution of the registry database URL: ``--db``, else
``$NEURAXIS_REGISTRY_URL``, else ``registry.sqlite`` in the user data folder
(:func:`neuraxis.registry.db.default_url`). A SQLite file that does not exist is refused
with the command that creates it, instead of being created empty by the first connection.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from neuraxis._validate import NeuraxisInputError

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Registry database URL: sqlite:///PATH or postgresql://USER@HOST/DB "
                 "(default: $NEURAXIS_REGISTRY_URL, else registry.sqlite in the user data "
                 "folder). 'neuraxis registry init' creates it.")]


def db_url(db: str | None, *, must_exist: bool = True) -> str:
    """The registry database URL that a command works on.

    Parameters
    ----------
    db : str or None
        The ``--db`` option: a SQLAlchemy URL, or None for ``$NEURAXIS_REGISTRY_URL``, else
        the default SQLite file in the user data folder.
    must_exist : bool, optional
        Refuse a SQLite URL whose file does not exist (default). False for the commands
        that create the database (``neuraxis registry init``, ``demo``).

    Returns
    -------
    str
        The URL, unchanged (``~`` in a SQLite path is expanded only for the check).

    Raises
    ------
    NeuraxisInputError
        ``must_exist`` and a SQLite file (not ``:memory:``) that does not exist; the
        message names the ``neuraxis registry init`` command that creates it.
    """
    from neuraxis.registry.db import default_url

    url = db or os.environ.get("NEURAXIS_REGISTRY_URL") or default_url()
    if must_exist and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///")).expanduser()
        if not path.is_file():
            raise NeuraxisInputError(
                f"Invalid value for '--db': no registry database at {path}. Create it with "
                f"'neuraxis registry init --db {url}'")
    return url
