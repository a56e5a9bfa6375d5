"""Local accounts of the web app: users with argon2-hashed passwords and one role each.

Accounts live in the registry database, in the table ``web_users``, created by the web
app's own Alembic migrations (``neuraxis/web/migrations``, version table
``web_alembic_version``) so the registry's schema revision is unchanged. Every account
change is written to the registry's audit log.

Roles (:data:`ROLES`) and what each may do (:data:`PERMISSIONS`):

- ``clinician``: reads and writes registry data, plans pumps;
- ``researcher``: reads pseudonymised registry data, runs models (pump planner,
  dashboards); cannot write registry data;
- ``admin``: manages accounts.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, MetaData, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError, check_option

ROLES = ("clinician", "researcher", "admin")
#: role -> permissions. ``registry:read`` shows pseudonymised data only (the registry
#: holds no names); ``models:run`` is the pump planner and the dashboards.
PERMISSIONS: dict[str, frozenset[str]] = {
    "clinician": frozenset({"registry:read", "registry:write", "models:run"}),
    "researcher": frozenset({"registry:read", "models:run"}),
    "admin": frozenset({"accounts:manage"}),
}
#: The version table of the web migrations (the registry's is ``alembic_version``).
VERSION_TABLE = "web_alembic_version"
HEAD_REVISION = "w0001"
MIN_PASSWORD_CHARS = 10
#: Parameters of argon2-cffi's ``PasswordHasher`` (empty: its defaults, argon2id with RFC
#: 9106's low-memory profile). Tests lower them for speed; a stored hash names its own
#: parameters, so verifying never depends on this.
HASH_PARAMS: dict[str, int] = {}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class Base(DeclarativeBase):
    """Declarative base of the web tables (apart from the registry's)."""

    metadata = MetaData()


class User(Base):
    """One local account."""

    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def _hasher() -> Any:
    argon2 = soft_import("argon2", "web", "password hashing of the web accounts")
    return argon2.PasswordHasher(**HASH_PARAMS)


def check_username(username: Any) -> str:
    """A user name: 2-32 lower-case letters, digits, '.', '_' or '-'."""
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise NeuraxisInputError(
            "Invalid value for 'username'. Expected 2-32 lower-case letters, digits, '.', '_' "
            f"or '-' (starting with a letter or digit), got {username!r}")
    return username


def check_password(password: Any) -> str:
    """A password of at least :data:`MIN_PASSWORD_CHARS` characters."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise NeuraxisInputError(
            f"Invalid value for 'password': at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > 1024:
        raise NeuraxisInputError("Invalid value for 'password': at most 1024 characters")
    return password


def upgrade_accounts(engine: Any) -> str:
    """Create or upgrade the accounts table (idempotent); returns the web revision."""
    command = soft_import("alembic.command", "web", "the web accounts table")
    config_mod = soft_import("alembic.config", "web", "the web accounts table")
    cfg = config_mod.Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return HEAD_REVISION


def count_users(engine: Any) -> int:
    """Number of active accounts (0 also when the table does not exist yet)."""
    import sqlalchemy as sa

    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(User)
                                    .where(User.active.is_(True))).scalar_one())
    except sa.exc.OperationalError:
        return 0
    except sa.exc.ProgrammingError:
        return 0


def add_user(engine: Any, username: str, password: str, role: str, *, by: str) -> int:
    """Create an account (password hashed with argon2id); returns its id.

    Parameters
    ----------
    engine
        Registry engine (the registry schema must exist: ``neuraxis registry init``).
    username, password, role : str
        ``role`` in :data:`ROLES`.
    by : str
        Who creates it (the audit log).
    """
    from neuraxis.registry.db import audit, check_schema, transaction

    check_username(username)
    check_password(password)
    check_option("role", role, ROLES)
    check_schema(engine)
    upgrade_accounts(engine)
    digest = _hasher().hash(password)
    with transaction(engine, by) as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise NeuraxisInputError(f"Invalid value for 'username': {username!r} exists")
        user = User(username=username, password_hash=digest, role=role, active=True,
                    created_at=dt.datetime.now(dt.UTC))
        s.add(user)
        s.flush()
        audit(s, "add", "web_user", user.id, {"username": username, "role": role})
        return int(user.id)


def list_users(engine: Any) -> list[dict[str, Any]]:
    """Every account: name, role, active, created (never the hash)."""
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return [{"username": u.username, "role": u.role, "active": bool(u.active),
                 "created_at": u.created_at.isoformat(timespec="seconds")}
                for u in s.scalars(select(User).order_by(User.username))]


def authenticate(engine: Any, username: str, password: str) -> dict[str, str] | None:
    """``{"username", "role"}`` for a correct password of an active account, else None.

    An unknown user costs one hash too, so timing does not tell which names exist.
    """
    from sqlalchemy.orm import Session

    argon2 = soft_import("argon2", "web", "password hashing of the web accounts")
    hasher = _hasher()
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.username == username,
                                           User.active.is_(True)))
        digest = user.password_hash if user is not None else _DUMMY_HASH.get(hasher)
        try:
            hasher.verify(digest, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return None
        if user is None:
            return None
        return {"username": user.username, "role": user.role}


class _Dummy:
    """A hash of a random password, made once, for unknown user names."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def get(self, hasher: Any) -> str:
        if self._hash is None:
            import secrets

            self._hash = hasher.hash(secrets.token_hex(16))
        return self._hash


_DUMMY_HASH = _Dummy()
