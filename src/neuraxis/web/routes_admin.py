"""Accounts (admin role): list them and add one, on a page and in the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from neuraxis._validate import NeuraxisInputError
from neuraxis.web._render import api_json, page
from neuraxis.web.accounts import ROLES, add_user, list_users
from neuraxis.web.security import WebUser, require

router = APIRouter()
Admin = Annotated[WebUser, Depends(require("accounts:manage"))]


class UserIn(BaseModel):
    """A new account."""

    username: str = Field(max_length=32, description="2-32 lower-case letters, digits, "
                                                     "'.', '_' or '-'.")
    password: str = Field(max_length=1024, description="At least 10 characters.")
    role: str = Field(max_length=16, description="clinician, researcher or admin.")


@router.get("/api/users", tags=["accounts"])
def api_users(request: Request, user: Admin) -> Response:
    """Every account (name, role, active, created; never a password hash)."""
    return api_json({"users": list_users(request.app.state.ctx.engine)})


@router.post("/api/users", tags=["accounts"], status_code=201)
def api_add_user(request: Request, user: Admin, body: UserIn) -> Response:
    """Add an account (audit-logged as web:ADMIN)."""
    uid = add_user(request.app.state.ctx.engine, body.username, body.password, body.role,
                   by=user.audit_name)
    return api_json({"user_id": uid, "username": body.username, "role": body.role}, 201)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, user: Admin) -> Response:
    """The accounts and the add-account form."""
    return page(request, "users.html", user=user, users=list_users(
        request.app.state.ctx.engine), roles=ROLES, message=None)


@router.post("/admin/users", include_in_schema=False)
async def add_user_form(request: Request, user: Admin) -> Response:
    """Add an account from the form."""
    form = await request.form()
    try:
        add_user(request.app.state.ctx.engine, str(form.get("username", "")),
                 str(form.get("password", "")), str(form.get("role", "")),
                 by=user.audit_name)
    except NeuraxisInputError as exc:
        return page(request, "users.html", status_code=422, user=user,
                    users=list_users(request.app.state.ctx.engine), roles=ROLES,
                    message=str(exc))
    return RedirectResponse("/admin/users", status_code=303)
