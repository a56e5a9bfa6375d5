"""Fixtures shared by every test tier."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One field-basis cache for the whole run (``NEURAXIS_CACHE_DIR``).

    Bases are cached under a hash of everything that defines them, so tests that mesh the
    same geometry (the bundled 1x8 scenario on the coarse mesh, say) share one build
    instead of meshing it once per module; a test that needs an empty cache makes its own.
    """
    return tmp_path_factory.mktemp("shared-cache")
