"""Fixtures of the web tests: a registry database per test, apps in both modes, logins;
for the SCS tests (one each per module) an app with accounts, alice's login and the small
scenario opened."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (pip install 'neuraxis[web]')")
pytest.importorskip("argon2", reason="the web extra (pip install 'neuraxis[web]')")

from fastapi.testclient import TestClient
from web_helpers import EXAMPLE, PASSWORD, SMALL, USERS, login, wait_job


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


# ------------------------------------------------------------------ SCS (per module)
@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, _template_db: Path, shared_cache_dir: Path):
    from neuraxis.registry.db import connect
    from neuraxis.web import accounts, create_app

    path = tmp_path_factory.mktemp("scs-web") / "registry.sqlite"
    shutil.copyfile(_template_db, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "HASH_PARAMS", {"time_cost": 1, "memory_cost": 1024,
                                             "parallelism": 1})
        engine = connect(url)
        for name, role in USERS.items():
            accounts.add_user(engine, name, PASSWORD, role, by="test")
        engine.dispose()
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    app = create_app(db_url=url, single_user=False,
                     sweeps_dir=str(tmp_path_factory.mktemp("sweeps")), sweep_workers=1)
    yield app
    st = getattr(app.state, "scs", None)
    if st is not None:
        st.jobs.shutdown()
        st.sweep_jobs.shutdown()
    mp.undo()


@pytest.fixture(scope="module")
def alice(app):
    return login(app, "alice")


@pytest.fixture(scope="module")
def opened(alice):
    """The small scenario opened and its session built (a background job)."""
    c, h = alice
    r = c.post("/api/scs/sessions", json={"example": EXAMPLE, "overrides": SMALL}, headers=h)
    assert r.status_code in (200, 202), r.text
    body = r.json()
    if r.status_code == 202:
        latency_s = []  # the server answers other requests while the job computes
        while c.get(f"/api/scs/jobs/{body['job']['id']}").json()["job"]["state"] in (
                "queued", "running"):
            t0 = time.perf_counter()
            assert c.get("/api/scs/status").status_code == 200
            latency_s.append(time.perf_counter() - t0)
            time.sleep(0.1)
        job = wait_job(c, body["job"]["id"])
        assert job["state"] == "done", job
        # measured here: median 0.10 s, max 0.33 s over ~150 requests during the build
        assert not latency_s or max(latency_s) < 2.0, max(latency_s)
    return body["session_key"]
