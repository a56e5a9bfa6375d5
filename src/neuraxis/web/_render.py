"""Rendering helpers shared by the routers (private): provenance, JSON answers, pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse

import neuraxis
from neuraxis.web.security import CSRF_HEADER, WebUser, csrf_token, current_user

_FIELD = re.compile(r"Invalid value for '([^']+)'")


def provenance() -> dict[str, str]:
    """What made an answer: neuraxis version and date (UTC)."""
    return {"neuraxis_version": neuraxis.__version__,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def field_of(message: str) -> str | None:
    """The field an error message names (``Invalid value for 'x'``), if any."""
    m = _FIELD.search(message)
    return m.group(1) if m else None


def api_json(data: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """``data`` with ``status`` (default ``'ok'``) and ``provenance``, as JSON."""
    body = {"status": "ok", **jsonable_encoder(data), "provenance": provenance()}
    return JSONResponse(body, status_code=status_code)


def error_json(message: str, status_code: int, field: str | None = None) -> JSONResponse:
    """``{"status": "error", "message", "field", "provenance"}``."""
    return JSONResponse({"status": "error", "message": message,
                         "field": field if field is not None else field_of(message),
                         "provenance": provenance()}, status_code=status_code)


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API."""
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it swaps a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def page(request: Request, name: str, status_code: int = 200, **context: Any
         ) -> HTMLResponse:
    """Render template ``name`` with the user, the CSRF token and the mode."""
    ctx = request.app.state.ctx
    user: WebUser | None = context.pop("user", None) or current_user(request)
    return ctx.templates.TemplateResponse(
        request, name, {"user": user, "csrf": csrf_token(request), "csrf_header": CSRF_HEADER,
                        "mode": ctx.mode(), **context}, status_code=status_code)
