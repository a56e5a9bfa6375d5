"""The app factory: settings, database, middleware, error handlers, the pages' routers.

:func:`create_app` builds one FastAPI app over one registry database. The routers live
one per page (``routes_*.py``); each page uses the JSON API it sits next to, and both
call the same library functions as the command line.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

import neuraxis
from neuraxis._validate import NeuraxisInputError
from neuraxis.web.accounts import User, count_users, upgrade_accounts
from neuraxis.web.security import (
    BodySizeLimit,
    LoginLimiter,
    SecurityHeaders,
    check_csrf,
)
from neuraxis.web.settings import WebSettings, web_settings

HERE = Path(__file__).parent
#: The bundled htmx (npm htmx.org; static/htmx.LICENSE, BSD Zero-Clause).
HTMX_VERSION = "2.0.11"
#: Factor on the per-user limit for the per-address count of failed logins.
IP_LIMIT_FACTOR = 4


class WebContext:
    """What every request of one app shares: settings, engine, templates, limiters."""

    def __init__(self, settings: WebSettings) -> None:
        from neuraxis.registry.db import check_schema, connect

        self.settings = settings
        self.engine = connect(settings.db_url)
        try:
            check_schema(self.engine)
        except NeuraxisInputError as exc:
            raise NeuraxisInputError(
                f"{exc} (e.g. neuraxis registry init --db {settings.db_url})") from None
        upgrade_accounts(self.engine)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(neuraxis_version=neuraxis.__version__,
                                          htmx_version=HTMX_VERSION)
        self.user_limiter = LoginLimiter(settings.login_max_failures, settings.login_window_s)
        self.ip_limiter = LoginLimiter(settings.login_max_failures * IP_LIMIT_FACTOR,
                                       settings.login_window_s)
        self.local_user = (getpass.getuser() or "local").lower()

    def single_user_in_force(self) -> bool:
        """Single-user mode asked for (only possible on 127.0.0.1) and no account exists."""
        return self.settings.single_user and count_users(self.engine) == 0

    def mode(self) -> str:
        """``'single-user'`` or ``'accounts'`` (for the start message and the pages)."""
        return "single-user" if self.single_user_in_force() else "accounts"

    def account(self, username: str) -> dict[str, str] | None:
        """The active account named ``username`` (name and role), else None."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        with Session(self.engine) as s:
            u = s.scalar(select(User).where(User.username == username,
                                            User.active.is_(True)))
            return None if u is None else {"username": u.username, "role": u.role}


def create_app(db_url: str | None = None, single_user: bool | None = None, *,
               host: str = "127.0.0.1", **settings: Any) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    db_url : str, optional
        Registry database (it must exist: ``neuraxis registry init``); the accounts
        table is added to it on first use.
    single_user : bool, optional
        Single-user mode (no login); only on host 127.0.0.1 and only while no account
        exists. Default: on for 127.0.0.1.
    host : str
        The address the server will listen on (cookies get the Secure flag elsewhere).
    **settings
        Any other setting of :data:`neuraxis.web.settings.SETTINGS`.

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.ctx`` (:class:`WebContext`).
    """
    from neuraxis.web.errors import install
    from neuraxis.web.routes_admin import router as admin
    from neuraxis.web.routes_auth import router as auth
    from neuraxis.web.routes_pump import router as pump
    from neuraxis.web.routes_registry import router as registry_api
    from neuraxis.web.routes_registry_pages import router as registry_pages
    from neuraxis.web.routes_scs import router as scs

    cfg = web_settings(db_url=db_url, host=host, single_user=single_user, **settings)
    ctx = WebContext(cfg)
    app = FastAPI(
        title="neuraxis web", version=neuraxis.__version__,
        description="The JSON API of the neuraxis web app: the pump planner and the outcomes "
                    "registry, over the same library functions as the command line. Log in "
                    "with POST /api/session/login; send the session's CSRF token "
                    "(GET /api/session) in X-CSRF-Token on every write. Every JSON answer "
                    "carries its provenance (neuraxis version, date).",
        docs_url=None, redoc_url=None,  # Swagger UI would load from a CDN: schema only
        dependencies=[Depends(check_csrf)], lifespan=_lifespan)
    app.state.ctx = ctx
    app.add_middleware(SessionMiddleware, secret_key=cfg.secret_key,
                       session_cookie="neuraxis_session", max_age=cfg.session_max_age_s,
                       same_site="lax", https_only=cfg.secure_cookies)
    app.add_middleware(BodySizeLimit, max_bytes=cfg.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    install(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in (auth, pump, registry_api, registry_pages, scs, admin):
        app.include_router(router)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At shutdown, stop the background jobs (a running sweep closes its Dask cluster)."""
    yield
    st = getattr(app.state, "scs", None)
    if st is not None:
        import anyio

        await anyio.to_thread.run_sync(st.close)


def start_message(app: FastAPI, host: str, port: int) -> str:
    """What ``neuraxis web`` prints at start: address, database, mode, and who may log in."""
    ctx = app.state.ctx
    db = ctx.engine.url.render_as_string(hide_password=True)
    if ctx.mode() == "single-user":
        who = (f"SINGLE-USER MODE: no login; you are the local clinician "
               f"{ctx.local_user!r} (127.0.0.1 only, no accounts exist). Add an account "
               "with 'neuraxis web add-user' to require logins.")
    else:
        who = (f"ACCOUNTS MODE: log in with an account ({count_users(ctx.engine)} "
               "active); cookies are " + ("Secure (serve over HTTPS)"
                                          if ctx.settings.secure_cookies else
                                          "not Secure (127.0.0.1)") + ".")
    return f"neuraxis web {neuraxis.__version__} on http://{host}:{port}/ (database {db}). {who}"
