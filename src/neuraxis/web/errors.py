"""Error handling: never a traceback page.

Invalid input (a :class:`~neuraxis._validate.NeuraxisInputError` from the library, or a
body the API schema refuses) answers 422 with a message naming the field; not logged in
401 (``/api``) or a redirect to ``/login`` (pages); a role without the permission 403; a
missing optional dependency 503 naming the extra; anything else 500 with a short message
(the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from neuraxis._soft_import import MissingDependencyError
from neuraxis._validate import NeuraxisInputError
from neuraxis.web._render import error_json, field_of, is_api, is_htmx, page
from neuraxis.web.security import AuthError

log = logging.getLogger("neuraxis.web")


def _answer(request: Request, message: str, status_code: int, field: str | None = None
            ) -> Response:
    if is_api(request):
        return error_json(message, status_code, field)
    name = "_error.html" if is_htmx(request) else "error.html"
    return page(request, name, status_code=status_code, message=message,
                status_code_shown=status_code, field=field or field_of(message))


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """One sentence per problem: ``Invalid value for 'birth_year' (body): ...``."""
    parts, first = [], None
    for err in exc.errors()[:5]:
        loc = [str(x) for x in err.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or where
        first = first or name
        parts.append(f"Invalid value for '{name}' ({where}): {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request", first


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> Response:
        if exc.status_code == 401 and not is_api(request):
            target = "/login?next=" + quote(request.url.path, safe="/")
            if is_htmx(request):
                return Response(status_code=401, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        return _answer(request, exc.message, exc.status_code)

    @app.exception_handler(NeuraxisInputError)
    async def _input(request: Request, exc: NeuraxisInputError) -> Response:
        return _answer(request, str(exc), 422)

    @app.exception_handler(RequestValidationError)
    async def _schema(request: Request, exc: RequestValidationError) -> Response:
        message, field = _validation_message(exc)
        return _answer(request, message, 422, field)

    @app.exception_handler(MissingDependencyError)
    async def _missing(request: Request, exc: MissingDependencyError) -> Response:
        return _answer(request, f"Not available on this server: {exc}", 503)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail: Any = exc.detail
        message = detail if isinstance(detail, str) else "Request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"Not found: {request.url.path}"
        return _answer(request, message, exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_json("Internal error: the server logged it; nothing was written. "
                          "Please report what you did.", 500)
