"""The neuraxis web app: the pump planner and the outcomes registry in a browser.

FastAPI with server-rendered Jinja2 pages and htmx (bundled in ``static/``, no CDN),
over an OpenAPI-described JSON API (``/api/...``, schema at ``/openapi.json``) that calls
the same library functions as the command line. Local accounts with argon2 password
hashes and roles (clinician, researcher, admin), signed session cookies, CSRF tokens,
a login rate limit, and the registry's audit log for every write. Start it with
``neuraxis web``; ``docs/web.md`` describes the modes, roles, security model and API.

Needs ``pip install 'neuraxis[web]'``; importing this package loads nothing heavy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(db_url: str | None = None, single_user: bool | None = None, **settings: Any
               ) -> Any:
    """Build the app (see :func:`neuraxis.web.app.create_app`); needs the ``web`` extra."""
    from neuraxis._soft_import import soft_import

    for module in ("fastapi", "jinja2", "argon2", "itsdangerous"):
        soft_import(module, "web", "The neuraxis web app")
    from neuraxis.web.app import create_app as build

    return build(db_url=db_url, single_user=single_user, **settings)
