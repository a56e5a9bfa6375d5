"""The registry's tables (SQLAlchemy 2 declarative models).

Pseudonymised by design: a patient is a site and a site-local identifier plus a year of
birth; no names, no dates of birth, no contact details. Instruments are stored as raw
item responses (JSON) with the instrument and scorer version; scores are computed by
:mod:`neuraxis.registry.instruments`. The audit log is append-only (database triggers,
created by the migration). The schema itself is created by the Alembic migrations in
``neuraxis/registry/migrations`` (``neuraxis registry init``), never by ``create_all``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names follow one convention, so migrations are the same on every database.
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    """A participating centre."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Patient(Base):
    """A pseudonymised patient: site, site-local identifier, year of birth, consent."""

    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("site_id", "local_id", name="site_local_id"),
                      CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"))
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    local_id: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_date: Mapped[dt.date | None] = mapped_column(Date)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    site: Mapped[Site] = relationship()
    diagnoses: Mapped[list[Diagnosis]] = relationship(back_populates="patient")
    visits: Mapped[list[Visit]] = relationship(back_populates="patient")
    implants: Mapped[list[Implant]] = relationship(back_populates="patient")


class Diagnosis(Base):
    """A diagnosis code (FBSS, CRPS1, ...) of a patient."""

    __tablename__ = "diagnoses"
    __table_args__ = (UniqueConstraint("patient_id", "code", name="patient_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    code: Mapped[str] = mapped_column(String(32))
    patient: Mapped[Patient] = relationship(back_populates="diagnoses")


class Screening(Base):
    """The selection checklist (NACC): indications, contraindications, psychology."""

    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    therapy: Mapped[str] = mapped_column(String(8))
    indications: Mapped[list] = mapped_column(JSON, default=list)
    contraindications: Mapped[list] = mapped_column(JSON, default=list)
    psych_outcome: Mapped[str] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(16))
    criteria_table: Mapped[str | None] = mapped_column(String(64))


class Trial(Base):
    """A therapy trial and its outcome."""

    __tablename__ = "trials"
    __table_args__ = (
        CheckConstraint("percent_relief BETWEEN -100 AND 100", name="percent_relief"),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("paresthesia_overlap_pct IS NULL OR paresthesia_overlap_pct "
                        "BETWEEN 0 AND 100", name="overlap"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    therapy: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    percent_relief: Mapped[float | None] = mapped_column(Float)
    paresthesia_overlap_pct: Mapped[float | None] = mapped_column(Float)
    analgesic_change: Mapped[str | None] = mapped_column(String(32))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    success_rule: Mapped[str] = mapped_column(String(64), default="relief>=50%")
    success: Mapped[bool | None] = mapped_column(Boolean)


class Implant(Base):
    """An implant: SCS (IPG, leads, level) or intrathecal pump (pump, catheter, tip)."""

    __tablename__ = "implants"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    therapy: Mapped[str] = mapped_column(String(8))
    date: Mapped[dt.date] = mapped_column(Date)
    device: Mapped[str] = mapped_column(String(64))
    leads: Mapped[list] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(8))
    catheter: Mapped[str | None] = mapped_column(String(64))
    patient: Mapped[Patient] = relationship(back_populates="implants")


class Program(Base):
    """A program or prescription in force from a date (a scenario file or pump plan)."""

    __tablename__ = "programs"
    id: Mapped[int] = mapped_column(primary_key=True)
    implant_id: Mapped[int] = mapped_column(ForeignKey("implants.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(400))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class Visit(Base):
    """A scheduled visit (baseline, m1 ... m24) on a date."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("patient_id", "visit", name="patient_visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    visit: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    in_window: Mapped[bool] = mapped_column(Boolean)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    responses: Mapped[list[Response]] = relationship(back_populates="visit")


class Response(Base):
    """Raw item responses of one instrument at one visit, with the scorer version."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("visit_id", "instrument", name="visit_instrument"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    instrument: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(16))
    items: Mapped[dict] = mapped_column(JSON)
    visit: Mapped[Visit] = relationship(back_populates="responses")


class Complication(Base):
    """A complication (2019 RAPM taxonomy category), its seriousness and relation."""

    __tablename__ = "complications"
    __table_args__ = (CheckConstraint("resolved_date IS NULL OR resolved_date >= onset_date",
                                      name="dates"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    implant_id: Mapped[int | None] = mapped_column(ForeignKey("implants.id"))
    onset_date: Mapped[dt.date] = mapped_column(Date)
    resolved_date: Mapped[dt.date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    serious: Mapped[bool] = mapped_column(Boolean)
    relation: Mapped[str] = mapped_column(String(32))


class Revision(Base):
    """A revision or explant of an implant, with its reason (at most one explant)."""

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint("kind IN ('revision', 'explant')", name="kind"),
        Index("uq_revisions_one_explant", "implant_id", unique=True,
              sqlite_where=text("kind = 'explant'"),
              postgresql_where=text("kind = 'explant'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    implant_id: Mapped[int] = mapped_column(ForeignKey("implants.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")


class AuditEntry(Base):
    """One write: who, when, what (append-only: UPDATE and DELETE are refused)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ImportBatch(Base):
    """A finished import: its file hash, so a re-run of a completed import is a no-op."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    n_rows: Mapped[int] = mapped_column(Integer)
