"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Each pytest-xdist worker computes on one thread: two workers on a 2-core machine with
# numba's and BLAS's own threads oversubscribe the cores (the SCS validation files took
# 382 s instead of 233 s). Set before any test module imports numba; `-n 0` keeps them.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


#: The longest test files (seconds on one worker, measured 2026-12-01), run first: with
#: ``--dist loadfile --no-loadscope-reorder`` (pyproject) a file is one unit of work,
#: handed out in collection order, so starting the long ones first keeps one worker from
#: finishing a long file alone at the end.
LONG_FILES = (
    "tests/integration/test_field_spine.py",           # ~270 s
    "tests/validation/test_scs_published.py",          # ~230 s
    "tests/validation/test_scs_published_other.py",    # ~200 s
    "tests/validation/test_scs_convergence.py",        # ~160 s
    "tests/validation/test_field_convergence.py",      # ~110 s
    "tests/integration/test_scs_uncertainty.py",       # ~100 s
    "tests/web/test_browser_app.py",                   # ~45 s (builds the small basis)
    "tests/validation/test_field_homogeneous.py",      # ~80 s
    "tests/integration/test_scs_run.py",               # ~45 s
    # after the validation rows built the paddle's coarse basis, and the browser test the
    # small scenario's (both shared through NEURAXIS_CACHE_DIR)
    "tests/integration/test_scs_dorsolateral.py",      # ~40 s
    "tests/web/test_scs_api.py",                       # ~10 s
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long files first (:data:`LONG_FILES`), every file's tests kept together and in order."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    root = Path(str(config.rootpath))

    def key(item: pytest.Item) -> int:
        try:
            rel = Path(str(item.path)).relative_to(root).as_posix()
        except ValueError:
            rel = str(item.path)
        return rank.get(rel, len(LONG_FILES))

    items[:] = sorted(items, key=key)  # stable: the rest keeps its collection order


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One field-basis cache for the whole run (``NEURAXIS_CACHE_DIR``), shared by the
    xdist workers.

    Bases are cached under a hash of everything that defines them, so tests that mesh the
    same geometry (the bundled 1x8 scenario on the coarse mesh, say) share one build
    instead of meshing it once per module or per worker; a test that needs an empty cache
    makes its own. Saving is atomic (a temporary file per process, then a rename), so two
    workers that build the same basis at once both end with a whole file.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' basetemps share this run's parent
        path = base.parent / "shared-cache"
        path.mkdir(exist_ok=True)
        return path
    return tmp_path_factory.mktemp("shared-cache")


#: PostgreSQL server for the registry tests: $NEURAXIS_TEST_POSTGRES_URL, else the local
#: server's Unix socket as the current user (``.ci/run`` installs, starts and grants it).
POSTGRES_ADMIN_URL = "postgresql+psycopg:///postgres?host=/var/run/postgresql"


def _postgres_admin_url() -> str:
    import os

    url = os.environ.get("NEURAXIS_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_admin() -> object:
    """An engine on the PostgreSQL server's admin database (autocommit); skips, saying
    why, when no server can be reached."""
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    import sqlalchemy as sa

    url = _postgres_admin_url()
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # any connection failure: no server here
        pytest.skip(f"no PostgreSQL server at {url} ({type(exc).__name__}); .ci/run starts "
                    "one, or set NEURAXIS_TEST_POSTGRES_URL")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, then a new PostgreSQL database (dropped
    afterwards). Every registry test that takes it runs on both."""
    pytest.importorskip("sqlalchemy")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    import uuid

    import sqlalchemy as sa

    admin = request.getfixturevalue("postgres_admin")
    name = f"neuraxis_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = admin.url.set(database=name)
    yield base.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def registry_engine(registry_url: str):
    """An engine on a fresh registry database at the current schema (both databases)."""
    from neuraxis.registry import db

    eng = db.connect(registry_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()
