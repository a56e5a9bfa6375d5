"""``neuraxis cache list`` / ``clear`` on a temporary ``XDG_CACHE_HOME``; the NEURON
mechanism cache honours ``XDG_CACHE_HOME`` like the field cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis.cli import app
from neuraxis.cli import cache as cache_cli

runner = CliRunner()


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An XDG cache root with one field basis, one NEURON build and one foreign file."""
    monkeypatch.delenv("NEURAXIS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    field = tmp_path / "neuraxis" / "field"
    field.mkdir(parents=True)
    (field / "basis-0123456789abcdef0123.npz").write_bytes(b"x" * 2_000_000)
    (field / "notes.txt").write_text("not ours")
    mech = tmp_path / "neuraxis" / "nrnmech" / "abcdef012345-nrn9.0.2" / "x86_64"
    mech.mkdir(parents=True)
    (mech / "libnrnmech.so").write_bytes(b"y" * 500_000)
    return tmp_path


def test_both_caches_follow_xdg_cache_home(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from neuraxis.axons.neuron_ref._compile import cache_dir as neuron_dir
    from neuraxis.field.basis import cache_dir as field_dir

    assert field_dir() == xdg / "neuraxis" / "field"
    assert neuron_dir() == xdg / "neuraxis" / "nrnmech"
    monkeypatch.setenv("NEURAXIS_CACHE_DIR", str(xdg / "own"))
    assert neuron_dir() == xdg / "own" / "nrnmech"
    monkeypatch.delenv("NEURAXIS_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(xdg / "home"))
    assert neuron_dir() == xdg / "home" / ".cache" / "neuraxis" / "nrnmech"


def test_list_json_counts_entries_and_sizes(xdg: Path) -> None:
    res = runner.invoke(app, ["cache", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["cache"]: r for r in json.loads(res.output)}
    assert rows["field"] == {"cache": "field", "path": str(xdg / "neuraxis" / "field"),
                             "entries": 1, "size_mb": 2.0}
    assert rows["neuron"]["entries"] == 1
    assert rows["neuron"]["size_mb"] == 0.5


def test_list_table(xdg: Path) -> None:
    res = runner.invoke(app, ["cache", "list"])
    assert res.exit_code == 0, res.output
    assert "field" in res.output and "neuron" in res.output and "2.0" in res.output


def test_clear_refuses_without_yes_when_not_interactive(xdg: Path) -> None:
    res = runner.invoke(app, ["cache", "clear"])
    assert res.exit_code == 2
    assert "Error: Refusing to delete 2 cache entries" in res.output
    assert "--yes" in res.output and "Traceback" not in res.output
    assert (xdg / "neuraxis" / "field" / "basis-0123456789abcdef0123.npz").exists()


def test_clear_field_only_with_yes(xdg: Path) -> None:
    res = runner.invoke(app, ["cache", "clear", "--field", "--yes"])
    assert res.exit_code == 0, res.output
    assert "Deleted 1 entries" in res.output
    assert not (xdg / "neuraxis" / "field" / "basis-0123456789abcdef0123.npz").exists()
    assert (xdg / "neuraxis" / "field" / "notes.txt").exists()  # not ours: kept
    assert (xdg / "neuraxis" / "nrnmech" / "abcdef012345-nrn9.0.2").exists()
    rows = {r["cache"]: r for r in cache_cli.cache_table()}
    assert rows["field"]["entries"] == 0 and rows["neuron"]["entries"] == 1


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("n\n", False)])
def test_clear_asks_on_a_terminal(xdg: Path, monkeypatch: pytest.MonkeyPatch, answer: str,
                                  deleted: bool) -> None:
    monkeypatch.setattr(cache_cli, "_interactive", lambda: True)
    res = runner.invoke(app, ["cache", "clear", "--neuron"], input=answer)
    assert res.exit_code == 0, res.output
    assert "Delete 1 entries (0.5 MB)" in res.output
    assert (xdg / "neuraxis" / "nrnmech" / "abcdef012345-nrn9.0.2").exists() is not deleted
    assert (xdg / "neuraxis" / "field" / "basis-0123456789abcdef0123.npz").exists()


def test_clear_empty_cache_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEURAXIS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    res = runner.invoke(app, ["cache", "clear"])
    assert res.exit_code == 0 and "Nothing to delete" in res.output
