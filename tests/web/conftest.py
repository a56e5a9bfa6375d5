"""Fixtures of the web tests: a registry database per test, apps in both modes, logins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (pip install 'neuraxis[web]')")
pytest.importorskip("argon2", reason="the web extra (pip install 'neuraxis[web]')")

from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"
USERS = {"alice": "clinician", "rob": "researcher", "ada": "admin"}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A new registry database (schema at head), as ``neuraxis registry init`` makes it."""
    from neuraxis.registry.db import connect, upgrade

    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    upgrade(connect(url))
    return url


@pytest.fixture
def local_client(db_url: str) -> TestClient:
    """Single-user mode (127.0.0.1, no accounts): no login."""
    from neuraxis.web import create_app

    return TestClient(create_app(db_url=db_url), base_url="http://127.0.0.1")


@pytest.fixture
def accounts_app(db_url: str):
    """An app with one account per role (single-user mode off)."""
    from neuraxis.registry.db import connect
    from neuraxis.web import create_app
    from neuraxis.web.accounts import add_user

    engine = connect(db_url)
    for name, role in USERS.items():
        add_user(engine, name, PASSWORD, role, by="test")
    return create_app(db_url=db_url, single_user=False)


def csrf(client: TestClient) -> str:
    """The session's CSRF token (also sets the session cookie)."""
    return client.get("/api/session").json()["csrf_token"]


def login(app, username: str, password: str = PASSWORD) -> tuple[TestClient, dict]:
    """A client logged in as ``username`` and the CSRF header to send on writes."""
    client = TestClient(app, base_url="http://127.0.0.1")
    r = client.post("/api/session/login", json={"username": username, "password": password},
                    headers={"X-CSRF-Token": csrf(client)})
    assert r.status_code == 200, r.text
    return client, {"X-CSRF-Token": r.json()["csrf_token"]}


def prescription(name: str = "pump_morphine_40ml.yaml") -> dict:
    """An example prescription as JSON (dates as text)."""
    import yaml

    raw = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(raw, default=str))
