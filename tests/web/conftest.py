"""Fixtures of the web tests: a registry database per test, apps in both modes, logins."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (pip install 'neuraxis[web]')")
pytest.importorskip("argon2", reason="the web extra (pip install 'neuraxis[web]')")

from fastapi.testclient import TestClient
from web_helpers import PASSWORD, USERS


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters (the tests check hashing, not its cost)."""
    from neuraxis.web import accounts

    monkeypatch.setattr(accounts, "HASH_PARAMS", {"time_cost": 1, "memory_cost": 1024,
                                                  "parallelism": 1})


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One registry database made by the migrations (as ``neuraxis registry init``),
    copied for each test."""
    from neuraxis.registry.db import connect, upgrade
    from neuraxis.web.accounts import upgrade_accounts

    path = tmp_path_factory.mktemp("web-template") / "registry.sqlite"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    upgrade_accounts(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_url(tmp_path: Path, _template_db: Path) -> str:
    """A new registry database (schema at head) for one test."""
    import shutil

    path = tmp_path / "registry.sqlite"
    shutil.copyfile(_template_db, path)
    return f"sqlite:///{path}"


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
