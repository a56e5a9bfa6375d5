"""Who is asking, and may they: sessions, roles, CSRF tokens, the login rate limit, the
request-size limit and the security headers.

- The session is a signed cookie (Starlette's ``SessionMiddleware``: HttpOnly,
  SameSite=Lax, Secure unless the host is 127.0.0.1) holding the user name, the role and
  a CSRF token; the account is looked up again on every request, so a disabled account
  loses access at once.
- Every POST/PUT/PATCH/DELETE needs the session's CSRF token, in the form field
  ``csrf_token`` or the header ``X-CSRF-Token`` (htmx sends the header; scripts get the
  token from ``GET /api/session``).
- Logged out, a page redirects to ``/login`` and an ``/api`` route answers 401 (a write
  without a CSRF token too, except the login itself: 403); a role without the
  permission gets 403.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from fastapi import Header, Request

from neuraxis.web.accounts import PERMISSIONS

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Where a logged-out request without a CSRF token gets 403 (elsewhere: 401, not logged in).
LOGIN_PATHS = frozenset({"/login", "/api/session/login", "/logout", "/api/session/logout"})


class AuthError(Exception):
    """Not logged in (401) or not allowed (403); rendered by the app's handler."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class WebUser:
    """The user of one request."""

    username: str
    role: str
    single_user: bool = False

    @property
    def permissions(self) -> frozenset[str]:
        """What this user may do (:data:`~neuraxis.web.accounts.PERMISSIONS`)."""
        return PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        """Whether the user holds ``permission``."""
        return permission in self.permissions

    @property
    def audit_name(self) -> str:
        """The name written to the registry's audit log (``web:NAME``)."""
        return f"web:{self.username}"


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request, x_csrf_token: str | None = Header(
        None, description="The session's CSRF token (GET /api/session); required on every "
                          "POST, PUT, PATCH and DELETE unless the form carries csrf_token.")
) -> None:
    """App-wide dependency: refuse an unsafe request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = x_csrf_token
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), str(given)):
        if request.url.path not in LOGIN_PATHS and current_user(request) is None:
            raise AuthError(401, "Not logged in: log in at /login (scripts: POST "
                                 "/api/session/login)")
        raise AuthError(403, "Refused: missing or wrong CSRF token (reload the page; scripts "
                             f"send the {CSRF_HEADER} header from GET /api/session)")


def current_user(request: Request) -> WebUser | None:
    """The logged-in user, the single user (single-user mode in force), or None."""
    ctx = request.app.state.ctx
    name = request.session.get("user")
    if name:
        account = ctx.account(name)
        if account is not None:
            return WebUser(account["username"], account["role"])
        request.session.pop("user", None)
    if ctx.single_user_in_force():
        return WebUser(ctx.local_user, "clinician", single_user=True)
    return None


def require(permission: str | None = None) -> Any:
    """A dependency: the current user, who must hold ``permission`` (None: logged in)."""

    def dependency(request: Request) -> WebUser:
        user = current_user(request)
        if user is None:
            raise AuthError(401, "Not logged in: log in at /login (scripts: POST "
                                 "/api/session/login)")
        if permission is not None and not user.can(permission):
            raise AuthError(403, f"Forbidden: the role {user.role!r} cannot do this (needs "
                                 f"{permission!r})")
        return user

    return dependency


class LoginLimiter:
    """Failed logins per key (user name and address) in a sliding window, in memory.

    One server process keeps one count (run uvicorn with one worker, as ``neuraxis web``
    does); a restart clears it.
    """

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after_s(self, keys: tuple[str, ...]) -> int:
        """Seconds until a login may be tried again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window_s - (now - q[0]) for k in keys
                     if len(q := self._recent(k, now)) >= self.max_failures]
        return int(max(waits) + 1) if waits else 0

    def failed(self, keys: tuple[str, ...]) -> None:
        """Count one failure against every key."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` (the user-and-address key after a login)."""
        with self._lock:
            self._fails.pop(key, None)


def login_key(username: str, client: str) -> str:
    """The key a failed login counts against: this user name from this address (the app
    also counts the address alone, at four times the limit, so one address cannot try
    many names)."""
    return f"user:{username.lower()}|ip:{client}"


class BodySizeLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is refused before reading; a chunked body
    is read up to the limit and refused when it goes over.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Any, send: Any) -> None:
        import json

        body = json.dumps({"status": "error", "field": "body",
                           "message": f"Request too large: the limit is {self.max_bytes} "
                                      "bytes (setting max_upload_bytes)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = True
            if too_big:
                await self._refuse(scope, send)
                return
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


#: Content-Security-Policy: scripts, styles and images from this server only (htmx is
#: bundled; no CDN), figures may be data: URLs, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                static = scope.get("path", "").startswith("/static/")
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"same-origin"),
                         (b"content-security-policy", CSP.encode()),
                         *(() if static else ((b"cache-control", b"no-store"),))]
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + \
                    [(k, v) for k, v in extra if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)
