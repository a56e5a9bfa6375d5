"""``neuraxis web`` on the command line, and docs/web.md covering every setting and route."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from neuraxis.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def test_add_user_from_stdin_and_refusals(db_url):
    from neuraxis.registry.db import connect
    from neuraxis.web.accounts import authenticate, list_users

    runner = CliRunner()
    r = runner.invoke(app, ["web", "add-user", "carol", "--role", "clinician",
                            "--password-stdin", "--db", db_url], input="a long password\n")
    assert r.exit_code == 0, r.output
    engine = connect(db_url)
    assert [u["username"] for u in list_users(engine)] == ["carol"]
    assert authenticate(engine, "carol", "a long password") == {"username": "carol",
                                                               "role": "clinician"}
    r = runner.invoke(app, ["web", "add-user", "dave", "--role", "surgeon",
                            "--password-stdin", "--db", db_url], input="a long password\n")
    assert r.exit_code == 2 and "surgeon" in r.output
    r = runner.invoke(app, ["web", "add-user", "erin", "--role", "admin", "--password-stdin",
                            "--db", db_url], input="short\n")
    assert r.exit_code == 2 and "at least 10 characters" in r.output


def test_web_refuses_a_missing_database(tmp_path):
    r = CliRunner().invoke(app, ["web", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"])
    assert r.exit_code == 2 and "neuraxis registry init" in r.output


def test_docs_name_every_setting_and_api_route(local_client):
    from neuraxis.web.settings import SETTINGS

    text = DOC.read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"`{name}`" in text, name
    for path in local_client.get("/openapi.json").json()["paths"]:
        assert f"{path}`" in text, path
