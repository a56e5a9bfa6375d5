"""Alembic environment of the registry: runs on the connection neuraxis passes in
(``config.attributes['connection']``); never reads a URL of its own."""

from __future__ import annotations

from alembic import context

from neuraxis.registry.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
