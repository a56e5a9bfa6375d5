"""Security: logged-out access, roles, CSRF, escaping, SQL strings, sizes, login limits,
cookies, modes."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf, login

PUBLIC = {"/login", "/api/session"}


def _api_routes(routes):
    """Every APIRoute, also inside included routers (newer FastAPI wraps them)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def _routes(app):
    for r in _api_routes(app.routes):
        for method in r.methods - {"HEAD"}:
            yield method, re.sub(r"\{[^}]+\}", "x", r.path)


def test_logged_out_pages_redirect_and_api_answers_401(accounts_app):
    c = TestClient(accounts_app, base_url="http://127.0.0.1", follow_redirects=False)
    token = csrf(c)
    checked = 0
    for method, path in _routes(accounts_app):
        if path in PUBLIC or path in ("/api/session/login", "/api/session/logout", "/logout"):
            continue
        for headers in ({}, {"X-CSRF-Token": token}):
            r = c.request(method, path, headers=headers, json={} if method != "GET" else None)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.json()["status"] == "error"
            else:
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"].startswith("/login")
            checked += 1
    assert checked > 30


def test_researcher_cannot_write_registry(accounts_app):
    c, h = login(accounts_app, "rob")
    r = c.post("/api/registry/patients", json={"site": "S1", "local_id": "P1",
                                               "birth_year": 1960, "consent": True}, headers=h)
    assert r.status_code == 403 and "researcher" in r.json()["message"]
    r = c.post("/registry/patients", data={"csrf_token": h["X-CSRF-Token"], "site": "S1",
                                           "local_id": "P1", "birth_year": "1960",
                                           "consent": "on"}, follow_redirects=False)
    assert r.status_code == 403
    assert c.get("/api/registry/patients").status_code == 200  # reads
    assert c.get("/api/users").status_code == 403  # accounts: admin only
    assert "Add a patient" not in c.get("/registry").text


def test_admin_manages_accounts_only(accounts_app):
    c, h = login(accounts_app, "ada")
    assert c.get("/api/registry/patients").status_code == 403
    r = c.post("/api/users", json={"username": "newdoc", "password": "long enough pw",
                                   "role": "clinician"}, headers=h)
    assert r.status_code == 201
    names = [u["username"] for u in c.get("/api/users").json()["users"]]
    assert "newdoc" in names
    assert "password_hash" not in c.get("/api/users").text


def test_form_post_without_csrf_token_is_refused(accounts_app):
    c, h = login(accounts_app, "alice")
    form = {"site": "S1", "local_id": "P1", "birth_year": "1960", "consent": "on"}
    r = c.post("/registry/patients", data=form, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/registry/patients", data={**form, "csrf_token": "forged"},
               follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/api/registry/patients", json={**form, "birth_year": 1960, "consent": True})
    assert r.status_code == 403
    assert c.get("/api/registry/patients").json()["patients"] == []
    r = c.post("/registry/patients", data={**form, "csrf_token": h["X-CSRF-Token"]},
               follow_redirects=False)
    assert r.status_code == 303


def test_script_in_patient_fields_is_escaped(accounts_app):
    c, h = login(accounts_app, "alice")
    evil = "<script>alert(1)</script>"
    # refused by the library (pseudonym rule), and the message echoes it escaped
    r = c.post("/registry/patients", data={"csrf_token": h["X-CSRF-Token"], "site": "S1",
                                           "local_id": evil, "birth_year": "1960",
                                           "consent": "on"})
    assert r.status_code == 422
    assert evil not in r.text and "&lt;script&gt;" in r.text
    # a free-text field that is stored: the complication description
    c.post("/api/registry/patients", json={"site": "S1", "local_id": "P1",
                                           "birth_year": 1960, "consent": True}, headers=h)
    from neuraxis.registry.clinical import complication_categories

    r = c.post("/api/registry/patients/S1/P1/complications", json={
        "onset": "2025-02-01", "category": complication_categories()[0],
        "relation": "possible", "description": evil}, headers=h)
    assert r.status_code == 201, r.text
    page = c.get("/registry/patients/S1/P1").text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("value", ["x' OR '1'='1", "P1'; DROP TABLE patients;--",
                                   "1; DELETE FROM audit_log"])
def test_sql_injection_strings_are_harmless(accounts_app, value):
    c, h = login(accounts_app, "alice")
    c.post("/api/registry/patients", json={"site": "S1", "local_id": "P1",
                                           "birth_year": 1960, "consent": True}, headers=h)
    r = c.post("/api/registry/patients", json={"site": "S1", "local_id": value,
                                               "birth_year": 1960, "consent": True}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "local_id"
    assert c.get(f"/api/registry/patients?site={value}").status_code == 422
    assert c.get("/api/registry/patients/S1/" + value.replace("/", "")).status_code in (404,
                                                                                         422)
    bad = TestClient(accounts_app, base_url="http://127.0.0.1")
    r = bad.post("/api/session/login", json={"username": value, "password": value},
                 headers={"X-CSRF-Token": csrf(bad)})
    assert r.status_code == 401
    assert [p["local_id"] for p in c.get("/api/registry/patients").json()["patients"]] == \
        ["P1"]


def test_oversize_upload_is_refused(db_url):
    from neuraxis.web import create_app

    c = TestClient(create_app(db_url=db_url, max_upload_bytes=4096),
                   base_url="http://127.0.0.1")
    h = {"X-CSRF-Token": csrf(c)}
    r = c.post("/api/pump/plan-file", files={"file": ("rx.yaml", b"a" * 10_000)}, headers=h)
    assert r.status_code == 413 and "4096" in r.json()["message"]

    def chunks():  # no Content-Length: counted while read
        for _ in range(10):
            yield b"x" * 1000

    r = c.post("/api/pump/plan", content=chunks(), headers={**h, "content-type":
                                                               "application/json"})
    assert r.status_code == 413


def test_login_rate_limit(accounts_app):
    c = TestClient(accounts_app, base_url="http://127.0.0.1")
    h = {"X-CSRF-Token": csrf(c)}
    codes = [c.post("/api/session/login", json={"username": "alice", "password": "wrong pw"},
                    headers=h).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    r = c.post("/api/session/login", json={"username": "alice", "password": PASSWORD},
               headers=h)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0  # even when right
    r = c.post("/login", data={"csrf_token": h["X-CSRF-Token"], "username": "alice",
                               "password": PASSWORD})
    assert r.status_code == 429 and "Too many" in r.text
    # another user from the same address is not locked out by alice's failures
    r = c.post("/api/session/login", json={"username": "rob", "password": PASSWORD},
               headers=h)
    assert r.status_code == 200


def test_session_cookie_flags(db_url, accounts_app):
    from neuraxis.web import create_app

    c = TestClient(accounts_app, base_url="http://127.0.0.1")
    c.get("/login")
    cookie = c.get("/api/session").headers.get("set-cookie") or \
        TestClient(accounts_app).get("/login").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower().replace("samesite", "")
    remote = create_app(db_url=db_url, host="0.0.0.0")
    cookie = TestClient(remote, base_url="https://x").get("/login").headers["set-cookie"]
    assert "; secure" in cookie.lower()


def test_single_user_mode_rules(db_url):
    from neuraxis._validate import NeuraxisInputError
    from neuraxis.registry.db import connect
    from neuraxis.web import create_app
    from neuraxis.web.accounts import add_user
    from neuraxis.web.app import start_message

    with pytest.raises(NeuraxisInputError, match="only on host 127.0.0.1"):
        create_app(db_url=db_url, host="0.0.0.0", single_user=True)
    remote = create_app(db_url=db_url, host="0.0.0.0")
    assert remote.state.ctx.mode() == "accounts"
    local = create_app(db_url=db_url)
    assert "SINGLE-USER MODE" in start_message(local, "127.0.0.1", 8000)
    c = TestClient(local, base_url="http://127.0.0.1", follow_redirects=False)
    assert c.get("/registry").status_code == 200
    add_user(connect(db_url), "alice", PASSWORD, "clinician", by="test")
    assert c.get("/registry").status_code == 303  # the first account ends it at once
    assert "ACCOUNTS MODE" in start_message(local, "127.0.0.1", 8000)


def test_passwords_are_argon2_hashes(accounts_app):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from neuraxis.web.accounts import User

    with Session(accounts_app.state.ctx.engine) as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_logout_ends_the_session(accounts_app):
    c, h = login(accounts_app, "alice")
    assert c.get("/api/registry/patients").status_code == 200
    assert c.post("/api/session/logout", headers=h).status_code == 200
    assert c.get("/api/registry/patients").status_code == 401


def test_no_traceback_on_crash(local_client, monkeypatch):
    import neuraxis.web.routes_pump as rp

    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(rp, "catalogue", boom)
    c = TestClient(local_client.app, raise_server_exceptions=False)
    r = c.get("/api/pump/catalogue")
    assert r.status_code == 500 and "secret internals" not in r.text
    assert r.json()["status"] == "error"
