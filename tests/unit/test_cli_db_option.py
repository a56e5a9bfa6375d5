"""The ``--db`` resolution shared by ``neuraxis registry`` and ``neuraxis web``, and the
visit answers of ``neuraxis registry add-visit`` read from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._db import db_url
from neuraxis.cli._responses import read_responses


def test_db_url_order_and_missing_file(tmp_path: Path, monkeypatch) -> None:
    made = tmp_path / "r.sqlite"
    made.write_bytes(b"")
    monkeypatch.setenv("NEURAXIS_REGISTRY_URL", f"sqlite:///{made}")
    assert db_url(None) == f"sqlite:///{made}"
    assert db_url("sqlite:///:memory:") == "sqlite:///:memory:"
    assert db_url("postgresql://u@h/db") == "postgresql://u@h/db"  # not checked here
    missing = f"sqlite:///{tmp_path / 'none.sqlite'}"
    with pytest.raises(NeuraxisInputError, match=r"'--db'.*no registry database at .*"
                                                 r"none\.sqlite.*'neuraxis registry init "
                                                 r"--db sqlite:///"):
        db_url(missing)
    assert db_url(missing, must_exist=False) == missing  # init and demo create it
    assert not (tmp_path / "none.sqlite").exists()
    monkeypatch.delenv("NEURAXIS_REGISTRY_URL")
    monkeypatch.setenv("NEURAXIS_DATA_DIR", str(tmp_path / "data"))
    assert db_url(None, must_exist=False).endswith("registry.sqlite")


def test_read_responses_file_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("odi: {q1: 2}\nnrs: {back: 5}\n", encoding="utf-8")
    got = read_responses(path, ['odi={"q1": 3}'])
    assert got == {"odi": {"q1": 3}, "nrs": {"back": 5}}  # a pair replaces the file's entry
    assert read_responses(None, None) == {}
    with pytest.raises(NeuraxisInputError, match=r"'--response odi': not JSON"):
        read_responses(None, ["odi={q1"])
    with pytest.raises(NeuraxisInputError, match=r"INSTRUMENT=\{JSON object\}, got 'odi'"):
        read_responses(None, ["odi"])
    path.write_text("- a\n", encoding="utf-8")
    with pytest.raises(NeuraxisInputError, match="expected a mapping"):
        read_responses(path, None)
