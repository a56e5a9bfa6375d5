"""``neuraxis web``: start the web app (uvicorn), and create its accounts.

``neuraxis web [--host 127.0.0.1] [--port 8000] [--db URL]`` serves the pump planner and
the registry over the registry database (``neuraxis registry init`` first). On
127.0.0.1 with no accounts it runs in single-user mode (no login), and says so; anywhere
else, or once an account exists, everybody logs in. ``neuraxis web add-user NAME --role
ROLE`` creates an account (the password asked twice, or read from stdin).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from neuraxis._validate import NeuraxisInputError, check_int
from neuraxis.cli._db import DbOpt, db_url
from neuraxis.cli._render import user_errors

web_app = typer.Typer(
    help="The web app: pump planner and registry in a browser (FastAPI). Needs pip install "
         "'neuraxis[web]'. 'neuraxis web' starts it; 'neuraxis web add-user' creates an "
         "account.",
    invoke_without_command=True,
)


@web_app.callback()
@user_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. 127.0.0.1 (default): this machine only; "
                       "another address serves the network (accounts and HTTPS needed).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (1-65535).")] = 8000,
    db: DbOpt = None,
) -> None:
    """Start the web app and print its mode (single-user or accounts)."""
    if ctx.invoked_subcommand is not None:
        return
    from neuraxis._soft_import import soft_import

    check_int("--port", port, 1, 65535)
    uvicorn = soft_import("uvicorn", "web", "The neuraxis web server")
    from neuraxis.web import create_app
    from neuraxis.web.app import start_message

    app = create_app(db_url=db_url(db), host=host)
    typer.echo(start_message(app, host, port), err=True)
    uvicorn.run(app, host=host, port=port, workers=1, log_level="info",
                proxy_headers=False, server_header=False)


@web_app.command("add-user")
@user_errors
def add_user(
    username: Annotated[str, typer.Argument(help="Account name: 2-32 lower-case letters, "
                                                 "digits, '.', '_' or '-'.")],
    role: Annotated[str, typer.Option(
        "--role", help="clinician (reads and writes registry data), researcher (reads "
                       "pseudonymised data, runs models) or admin (accounts).")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin instead "
                                 "of asking twice.")] = False,
    db: DbOpt = None,
) -> None:
    """Create a web account (its password hashed with argon2id). The first account ends
    single-user mode."""
    import getpass

    from neuraxis._soft_import import soft_import
    from neuraxis._validate import check_option
    from neuraxis.web.accounts import ROLES, check_password, check_username

    soft_import("argon2", "web", "Password hashing of the web accounts")
    check_username(username)
    check_option("role", role, ROLES)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        check_password(password)
        if getpass.getpass("Repeat the password: ") != password:
            raise NeuraxisInputError("Invalid value for 'password': the two entries differ")
    check_password(password)
    from neuraxis.registry.db import connect
    from neuraxis.web.accounts import add_user as add

    engine = connect(db_url(db))
    who = os.environ.get("NEURAXIS_USER") or getpass.getuser() or "cli"
    uid = add(engine, username, password, role, by=f"cli:{who}")
    typer.echo(f"Account {username!r} ({role}) created (id {uid}).")
