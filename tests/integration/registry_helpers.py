"""Helpers of the registry integration tests (a plain module, imported by name as
tests/web imports ``web_helpers``; import it after the ``importorskip`` of SQLAlchemy)."""

from __future__ import annotations

from typing import Any

from neuraxis.registry import records

#: The user every test write is made as.
USER = "test-user"
#: The first patient's site and local id, as keyword arguments of the record functions.
P = {"site": "S01", "local_id": "P001"}


def add_first_patient(engine: Any) -> None:
    """Add patient :data:`P` to a registry: born 1966, consented, diagnosis FBSS.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        A registry at the current schema (the ``registry_engine`` fixture).
    """
    records.add_patient(engine, **P, birth_year=1966, consent=True, diagnoses=("FBSS",),
                        user=USER)
