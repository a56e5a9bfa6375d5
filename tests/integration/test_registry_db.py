"""The registry database on SQLite and PostgreSQL: schema, pseudonymised patients,
implants and visits, refusals, transactions and the append-only audit log.

Every test takes ``registry_url`` and so runs on both databases (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

import sqlalchemy as sa

from neuraxis import NeuraxisInputError
from neuraxis.registry import db, records
from neuraxis.registry.models import AuditEntry, Visit

USER = "test-user"


@pytest.fixture
def engine(registry_engine):
    return registry_engine


def _patient(engine, local_id: str = "P001", **kw) -> int:
    args = {"site": "S01", "local_id": local_id, "birth_year": 1966, "consent": True,
            "diagnoses": ("FBSS",), "user": USER, **kw}
    return records.add_patient(engine, **args)


def test_init_creates_the_schema_once(registry_url: str) -> None:
    eng = db.connect(registry_url)
    with pytest.raises(NeuraxisInputError, match="no registry schema.*registry init"):
        db.check_schema(eng)
    assert db.upgrade(eng) == db.HEAD_REVISION
    assert db.upgrade(eng) == db.HEAD_REVISION  # idempotent
    db.check_schema(eng)
    eng.dispose()


def test_patients_are_pseudonymised_and_consented(engine) -> None:
    assert _patient(engine) >= 1
    with pytest.raises(NeuraxisInputError, match="already exists at site 'S01'"):
        _patient(engine)
    with pytest.raises(NeuraxisInputError, match="never a name or an e-mail"):
        _patient(engine, local_id="Jane Doe")
    with pytest.raises(NeuraxisInputError, match="never a name or an e-mail"):
        _patient(engine, local_id="jane@example.org")
    with pytest.raises(NeuraxisInputError, match="consent is recorded"):
        _patient(engine, local_id="P002", consent=False)
    with pytest.raises(NeuraxisInputError, match="Expected a year 1900-"):
        _patient(engine, local_id="P002", birth_year=1850)
    with pytest.raises(NeuraxisInputError, match="is in the future"):
        _patient(engine, local_id="P002", consent_date=dt.date.today() + dt.timedelta(days=2))
    with pytest.raises(NeuraxisInputError, match="did you mean 'FBSS'"):
        _patient(engine, local_id="P002", diagnoses=("FBS",))
    assert records.summary(engine)["n_patients"] == 1


def test_visits_follow_the_implant_and_its_windows(engine) -> None:
    _patient(engine)
    with pytest.raises(NeuraxisInputError, match="count from the implant"):
        records.add_visit(engine, site="S01", local_id="P001", visit="m3", date="2025-05-01",
                          user=USER)
    records.add_visit(engine, site="S01", local_id="P001", visit="baseline",
                      date="2025-01-02", user=USER)
    records.add_implant(engine, site="S01", local_id="P001", therapy="scs",
                        date="2025-01-31", device="IPG-X", level="T8", user=USER)
    with pytest.raises(NeuraxisInputError, match="before the implant"):
        records.add_visit(engine, site="S01", local_id="P001", visit="m1", date="2025-01-20",
                          user=USER)
    # m1 target 2025-02-28 (Jan 31 + 1 month, clipped); window +-14 d
    records.add_visit(engine, site="S01", local_id="P001", visit="m1", date="2025-03-14",
                      user=USER)
    # m3 target 2025-04-30; 31 days late is outside +-30 d
    records.add_visit(engine, site="S01", local_id="P001", visit="m3", date="2025-05-31",
                      user=USER)
    with pytest.raises(NeuraxisInputError, match="already has a m3 visit"):
        records.add_visit(engine, site="S01", local_id="P001", visit="m3",
                          date="2025-05-02", user=USER)
    with pytest.raises(NeuraxisInputError, match="but got 'm13' - did you mean"):
        records.add_visit(engine, site="S01", local_id="P001", visit="m13",
                          date="2026-01-02", user=USER)
    with sa.orm.Session(engine) as s:
        windows = dict(s.execute(sa.select(Visit.visit, Visit.in_window)).all())
    assert windows == {"baseline": True, "m1": True, "m3": False}
    assert records.visit_target(dt.date(2025, 1, 31), "m1") == dt.date(2025, 2, 28)
    assert records.summary(engine)["n_visits_out_of_window"] == 1


def test_a_failed_write_leaves_nothing(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The visit row is flushed, then the audit entry fails: the transaction rolls back."""
    _patient(engine)
    records.add_implant(engine, site="S01", local_id="P001", therapy="itdd",
                        date="2025-01-31", device="synchromed_ii_40ml", user=USER)

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "audit", broken)
    with pytest.raises(RuntimeError):
        records.add_visit(engine, site="S01", local_id="P001", visit="m1", date="2025-03-01",
                          user=USER)
    assert records.summary(engine)["n_visits"] == 0


def test_the_audit_log_is_append_only(engine) -> None:
    _patient(engine)
    with sa.orm.Session(engine) as s:
        entries = s.scalars(sa.select(AuditEntry)).all()
        assert [(e.action, e.entity, e.user_name) for e in entries] == [
            ("add", "site", USER), ("add", "patient", USER)]
    for stmt in ("UPDATE audit_log SET user_name = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(sa.text(stmt))
    assert records.summary(engine)["n_audit_log"] == 2


def test_cli_round_trip(registry_url: str) -> None:
    from typer.testing import CliRunner

    from neuraxis.cli import app

    run = CliRunner()
    base = ["--db", registry_url]
    res = run.invoke(app, ["registry", "init", *base, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["schema_revision"] == db.HEAD_REVISION
    res = run.invoke(app, ["registry", "add-patient", *base, "--site", "S9", "--local-id",
                           "A-1", "--birth-year", "1970", "--consent", "--user", "dr-x",
                           "--json"])
    assert res.exit_code == 0, res.output
    res = run.invoke(app, ["registry", "add-patient", *base, "--site", "S9", "--local-id",
                           "A-2", "--birth-year", "1970"])
    assert res.exit_code == 2 and "consent is recorded" in res.output
    assert "Traceback" not in res.output
    res = run.invoke(app, ["registry", "add-implant", *base, "--site", "S9", "--local-id",
                           "A-1", "--therapy", "scs", "--date", "2025-13-45", "--device", "x"])
    assert res.exit_code == 2 and "Expected a date YYYY-MM-DD" in res.output
    res = run.invoke(app, ["registry", "check", *base, "--json"])
    assert json.loads(res.stdout)["n_patients"] == 1


def test_implants_name_catalogue_devices(engine) -> None:
    _patient(engine)
    kw = {"site": "S01", "local_id": "P001", "date": "2025-01-31", "user": USER}
    with pytest.raises(NeuraxisInputError, match="did you mean 'percutaneous_1x8'"):
        records.add_implant(engine, therapy="scs", device="IPG", leads=("percutaneous_1x9",),
                            **kw)
    with pytest.raises(NeuraxisInputError, match="outside the catalogue: 'other:NAME'"):
        records.add_implant(engine, therapy="itdd", device="SynchroMed", **kw)
    with pytest.raises(NeuraxisInputError, match="an SCS implant has none"):
        records.add_implant(engine, therapy="scs", device="IPG", catheter="generic_0p53mm",
                            **kw)
    records.add_implant(engine, therapy="scs", device="IPG", leads=("percutaneous_1x8",
                                                                     "other:Octrode"), **kw)
    records.add_implant(engine, therapy="itdd", device="prometra_ii_20ml",
                        catheter="medtronic_ascenda_8781", **kw)
    assert records.summary(engine)["n_implants"] == 2


def test_bad_urls_are_refused() -> None:
    with pytest.raises(NeuraxisInputError, match="sqlite:///PATH or postgresql"):
        db.connect("mysql://x")


def test_a_0001_database_upgrades_with_its_data(registry_url: str) -> None:
    """An older registry is refused until 'init' upgrades it; the upgrade keeps every
    record, adds the new columns, and the new checks hold (one explant per implant);
    the migration also downgrades."""
    from alembic import command

    eng = db.connect(registry_url)
    with eng.begin() as conn:
        command.upgrade(db._alembic_config(conn), "0001")
    with pytest.raises(NeuraxisInputError, match="schema revision 0001.*registry init"):
        db.check_schema(eng)
    with eng.begin() as c:
        c.execute(sa.text("INSERT INTO sites (id, code, name) VALUES (1, 'S1', '')"))
        c.execute(sa.text(
            "INSERT INTO patients (id, site_id, local_id, birth_year, consent, synthetic, "
            "created_at) VALUES (1, 1, 'P1', 1960, true, false, '2025-01-01 00:00:00')"))
        c.execute(sa.text("INSERT INTO implants (id, patient_id, therapy, date, device, leads) "
                          "VALUES (1, 1, 'scs', '2025-01-02', 'IPG', '[]')"))
        c.execute(sa.text("INSERT INTO revisions (id, implant_id, date, kind, reason) "
                          "VALUES (1, 1, '2025-06-01', 'explant', 'infection')"))
    assert db.upgrade(eng) == "0002"
    db.check_schema(eng)
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT detail, reason FROM revisions")).one() == \
            ("", "infection")
    with pytest.raises(sa.exc.IntegrityError), eng.begin() as c:
        c.execute(sa.text("INSERT INTO revisions (implant_id, date, kind, reason, detail) "
                          "VALUES (1, '2025-07-01', 'explant', 'other', 'x')"))
    with pytest.raises(sa.exc.IntegrityError), eng.begin() as c:
        c.execute(sa.text("INSERT INTO revisions (implant_id, date, kind, reason, detail) "
                          "VALUES (1, '2025-07-01', 'removal', 'other', 'x')"))
    with eng.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0001")
    assert db.current_revision(eng) == "0001"
    eng.dispose()


def test_models_match_the_migrations(registry_engine) -> None:
    """Alembic finds nothing to add or drop between the migrated database and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from neuraxis.registry.models import Base

    with registry_engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == []
