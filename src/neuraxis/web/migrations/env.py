"""Alembic environment of the web accounts: runs on the connection neuraxis passes in
(``config.attributes['connection']``), with its own version table, so the registry's
schema revision (``alembic_version``) is untouched."""

from __future__ import annotations

from alembic import context

from neuraxis.web.accounts import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
