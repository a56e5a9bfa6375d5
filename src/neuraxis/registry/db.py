"""Connecting to the registry database: SQLite by default, PostgreSQL by URL.

The default database is a file in the user data folder (``$NEURAXIS_DATA_DIR``, else
``$XDG_DATA_HOME/neuraxis``, else ``~/.local/share/neuraxis``): ``registry.sqlite``,
opened with write-ahead logging and foreign keys on. ``postgresql://...`` URLs use
psycopg 3. The schema is created and upgraded by Alembic (:func:`upgrade`); every write
goes through :func:`transaction` (all or nothing) and is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError

EXTRA = "registry"
PURPOSE = "the outcomes registry database"
#: The newest migration; :func:`check_schema` refuses a database at another revision.
HEAD_REVISION = "0002"


def data_dir() -> Path:
    """The user data folder of neuraxis (not created here)."""
    if os.environ.get("NEURAXIS_DATA_DIR"):
        return Path(os.environ["NEURAXIS_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "neuraxis"


def default_url() -> str:
    """``sqlite:///<data dir>/registry.sqlite``."""
    return f"sqlite:///{data_dir() / 'registry.sqlite'}"


def _normalise_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise NeuraxisInputError(
        f"Invalid value for 'db': expected a sqlite:///PATH or postgresql://... URL, got "
        f"{url!r}")


def connect(url: str | None = None) -> Any:
    """A SQLAlchemy engine for ``url`` (default: :func:`default_url`).

    SQLite files get their folder created, WAL journaling and foreign keys.
    """
    sa = soft_import("sqlalchemy", EXTRA, PURPOSE)
    url = _normalise_url(url or default_url())
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True,
                                                                        exist_ok=True)
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    return engine


def _alembic_config(connection: Any) -> Any:
    config_mod = soft_import("alembic.config", EXTRA, PURPOSE)
    cfg = config_mod.Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Any) -> str:
    """Create or upgrade the schema to the newest migration; returns the revision."""
    command = soft_import("alembic.command", EXTRA, PURPOSE)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    return current_revision(engine) or ""


def current_revision(engine: Any) -> str | None:
    """The database's Alembic revision (None: not a registry database)."""
    migration = soft_import("alembic.runtime.migration", EXTRA, PURPOSE)
    with engine.connect() as conn:
        return migration.MigrationContext.configure(conn).get_current_revision()


def check_schema(engine: Any) -> None:
    """Refuse a database that is not a registry at the current schema revision."""
    rev = current_revision(engine)
    if rev is None:
        raise NeuraxisInputError(
            f"Invalid registry database {engine.url.render_as_string(hide_password=True)}: "
            "it has no registry schema. Run 'neuraxis registry init' first")
    if rev != HEAD_REVISION:
        raise NeuraxisInputError(
            f"Invalid registry database: schema revision {rev}, this neuraxis needs "
            f"{HEAD_REVISION}. Run 'neuraxis registry init' to upgrade it")


@contextmanager
def transaction(engine: Any, user: str) -> Iterator[Any]:
    """A session in one transaction: committed at the end, rolled back on any error.

    ``session.info['user']`` carries the user name for :func:`audit`.
    """
    orm = soft_import("sqlalchemy.orm", EXTRA, PURPOSE)
    with orm.Session(engine) as session, session.begin():
        session.info["user"] = user
        yield session


def audit(session: Any, action: str, entity: str, entity_id: int | None,
          detail: dict | None = None) -> None:
    """Append one entry to the audit log (in the caller's transaction)."""
    from neuraxis.registry.models import AuditEntry

    session.add(AuditEntry(at=dt.datetime.now(dt.UTC), user_name=session.info.get("user", "?"),
                           action=action, entity=entity, entity_id=entity_id,
                           detail=detail or {}))


def backup(engine: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    """Copy a SQLite registry to ``path`` with SQLite's online backup (consistent while
    others write); PostgreSQL is refused with the ``pg_dump`` command to use instead."""
    import sqlite3

    path = Path(path)
    url = engine.url
    if engine.dialect.name != "sqlite":
        safe = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise NeuraxisInputError(
            "Invalid database for 'backup': neuraxis backs up SQLite files only. For "
            f"PostgreSQL use its own tool, e.g. pg_dump --format=custom --file={path} "
            f"'{safe}' (restore with pg_restore)")
    if path.exists() and not overwrite:
        raise NeuraxisInputError(
            f"Invalid value for 'out': {path} exists; give overwrite (--overwrite) to "
            "replace it")
    if not path.parent.is_dir():
        raise NeuraxisInputError(f"Invalid value for 'out': no folder {path.parent}")
    check_schema(engine)
    target = sqlite3.connect(path)
    try:
        raw = engine.raw_connection()
        try:
            raw.driver_connection.backup(target)
        finally:
            raw.close()
    finally:
        target.close()
    return path
