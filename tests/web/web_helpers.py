"""Helpers of the web tests (a plain module: ``conftest`` is not imported by name, since
several test folders have one)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"
USERS = {"alice": "clinician", "rob": "researcher", "ada": "admin"}


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
