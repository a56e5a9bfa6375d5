"""Logging in and out: the login page, and the session API for scripts."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from neuraxis.web._render import api_json, error_json, is_api, page
from neuraxis.web.accounts import authenticate
from neuraxis.web.security import csrf_token, current_user, login_key

router = APIRouter()


class LoginBody(BaseModel):
    """A login of a script."""

    username: str = Field(max_length=64, description="Account name.")
    password: str = Field(max_length=1024, description="Password.")


def _safe_next(target: str | None) -> str:
    """Only a local path (never another site) after a login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _attempt(request: Request, username: str, password: str) -> tuple[int, str]:
    """Check a login against the rate limit and the accounts: (status, message).

    200: logged in (the session is renewed with a new CSRF token); 401: wrong name or
    password; 429: too many failures in the window.
    """
    ctx = request.app.state.ctx
    client = request.client.host if request.client else "unknown"
    ukey, ikey = login_key(username, client), f"ip:{client}"
    wait = max(ctx.user_limiter.retry_after_s((ukey,)), ctx.ip_limiter.retry_after_s((ikey,)))
    if wait:
        return 429, (f"Too many failed logins: try again in {wait} s (limit "
                     f"{ctx.settings.login_max_failures} per {ctx.settings.login_window_s} s)")
    account = authenticate(ctx.engine, username, password)
    if account is None:
        ctx.user_limiter.failed((ukey,))
        ctx.ip_limiter.failed((ikey,))
        return 401, "Wrong user name or password"
    ctx.user_limiter.succeeded(ukey)
    request.session.clear()
    request.session["user"] = account["username"]
    request.session["csrf"] = secrets.token_urlsafe(32)
    return 200, "Logged in"


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """The start page: the pump planner for everyone who can run models."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.can("models:run"):
        return RedirectResponse("/pump", status_code=303)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (in single-user mode: a note that no login is needed)."""
    return page(request, "login.html", next=_safe_next(next), message=None)


@router.post("/login", include_in_schema=False)
def login_form(request: Request, username: Annotated[str, Form(max_length=64)],
               password: Annotated[str, Form(max_length=1024)],
               next: Annotated[str, Form(max_length=400)] = "/") -> Response:
    """Log in from the form; back to the page asked for."""
    status, message = _attempt(request, username, password)
    if status == 200:
        return RedirectResponse(_safe_next(next), status_code=303)
    headers = {"Retry-After": message.split(" in ")[1].split(" ")[0]} if status == 429 else {}
    resp = page(request, "login.html", status_code=status, next=_safe_next(next),
                message=message)
    resp.headers.update(headers)
    return resp


@router.post("/logout", include_in_schema=False)
def logout_form(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/api/session", tags=["session"])
def session_info(request: Request) -> Response:
    """Who is logged in, the mode, and the CSRF token to send in ``X-CSRF-Token``.

    Answers 200 when logged out too (``user`` null), so a script can fetch the token
    it needs for ``POST /api/session/login``.
    """
    user = current_user(request)
    ctx = request.app.state.ctx
    return api_json({"user": None if user is None else {
        "username": user.username, "role": user.role,
        "permissions": sorted(user.permissions)},
        "mode": ctx.mode(), "csrf_token": csrf_token(request)})


@router.post("/api/session/login", tags=["session"])
def session_login(request: Request, body: LoginBody) -> Response:
    """Log in a script (needs the CSRF token of ``GET /api/session``); the answer holds
    the new session's CSRF token. 401 on a wrong password, 429 after too many."""
    status, message = _attempt(request, body.username, body.password)
    if status != 200:
        resp = error_json(message, status, "password" if status == 401 else None)
        if status == 429:
            resp.headers["Retry-After"] = message.split(" in ")[1].split(" ")[0]
        return resp
    user = current_user(request)
    assert user is not None and is_api(request)
    return api_json({"user": {"username": user.username, "role": user.role},
                     "csrf_token": request.session["csrf"]})


@router.post("/api/session/logout", tags=["session"])
def session_logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return api_json({"user": None})
