"""Outcomes registry: pseudonymised patients, trials, implants, programs, visits with
standard instruments, complications and device survival, on a real database.

Subpackages: :mod:`~neuraxis.registry.instruments` (versioned scorers of raw item
responses), :mod:`~neuraxis.registry.analysis` (responder rates, change from baseline,
survival, complication rates). The database layer (SQLAlchemy 2, Alembic migrations;
SQLite by default, PostgreSQL by URL) needs ``pip install 'neuraxis[registry]'``.
"""
