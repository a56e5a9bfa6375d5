"""Screenings, trials, complications and revisions on SQLite and PostgreSQL: what is
stored, every refusal, one transaction per write with its audit entry.

Every test takes ``registry_url`` (the ``engine`` fixture through ``registry_engine``)
and so runs on both databases (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

import sqlalchemy as sa
from registry_helpers import USER, P, add_first_patient

from neuraxis import NeuraxisInputError
from neuraxis.registry import clinical, db, records
from neuraxis.registry.models import AuditEntry, Complication, Revision, Screening, Trial

TOMORROW = dt.date.today() + dt.timedelta(days=1)


@pytest.fixture
def engine(registry_engine):
    add_first_patient(registry_engine)
    return registry_engine


def _rows(engine, model) -> list:
    with sa.orm.Session(engine) as s:
        return list(s.scalars(sa.select(model).order_by(model.id)).all())


def _audit(engine, entity: str) -> list[dict]:
    with sa.orm.Session(engine) as s:
        return [e.detail for e in s.scalars(sa.select(AuditEntry)
                                            .where(AuditEntry.entity == entity)
                                            .order_by(AuditEntry.id))]


def _implant(engine, therapy: str = "scs", date: str = "2025-01-31", **kw) -> int:
    device = "IPG-X" if therapy == "scs" else "synchromed_ii_40ml"
    args = {**P, "therapy": therapy, "date": date, "device": device, "user": USER, **kw}
    return records.add_implant(engine, **args)


def _screening(engine, **kw) -> int:
    args = {**P, "date": "2024-11-02", "therapy": "scs", "indications": ["FBSS"],
            "contraindications": [], "psych_outcome": "cleared", "user": USER, **kw}
    return clinical.add_screening(engine, **args)


def _trial(engine, **kw) -> int:
    args = {**P, "therapy": "scs", "start_date": "2024-12-01", "end_date": "2024-12-08",
            "percent_relief": 60, "user": USER, **kw}
    return clinical.add_trial(engine, **args)


def _complication(engine, **kw) -> int:
    args = {**P, "onset_date": "2025-03-01", "category": "device_related", "serious": False,
            "relation": "probable", "user": USER, **kw}
    return clinical.add_complication(engine, **args)


def _revision(engine, **kw) -> int:
    args = {"date": "2025-06-01", "kind": "revision", "reason": "lead_migration",
            "user": USER, **kw}
    return clinical.add_revision(engine, **args)


# ---------------------------------------------------------------- screenings


def test_screenings_are_stored_with_the_checklist_status(engine) -> None:
    _screening(engine, indications=["FBSS", "FBSS", "PDN"])
    _screening(engine, date="2024-11-20", contraindications=["gross_instability"])
    rows = _rows(engine, Screening)
    assert [(r.therapy, r.indications, r.contraindications, r.psych_outcome)
            for r in rows] == [("scs", ["FBSS", "PDN"], [], "cleared"),
                               ("scs", ["FBSS"], ["gross_instability"], "cleared")]
    assert rows[0].date == dt.date(2024, 11, 2)
    assert [(d["status"], d["criteria_table"]) for d in _audit(engine, "screening")] == [
        ("eligible", "nacc_criteria.yaml v1"), ("not_eligible", "nacc_criteria.yaml v1")]


def test_screening_refusals(engine) -> None:
    with pytest.raises(NeuraxisInputError, match="is in the future"):
        _screening(engine, date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="Expected a date YYYY-MM-DD"):
        _screening(engine, date="2024-02-30")
    with pytest.raises(NeuraxisInputError, match="did you mean 'CRPS1'"):
        _screening(engine, indications=["CRPS-1"])
    with pytest.raises(NeuraxisInputError, match="'contraindications'.*got 'pacemaker'"):
        _screening(engine, contraindications=["pacemaker"])
    with pytest.raises(NeuraxisInputError, match="did you mean 'not_done'"):
        _screening(engine, psych_outcome="not done")
    with pytest.raises(NeuraxisInputError, match="did you mean 'itdd'"):
        _screening(engine, therapy="ITDD")
    with pytest.raises(NeuraxisInputError, match="no patient 'P404' at site 'S01'"):
        _screening(engine, local_id="P404")
    assert _rows(engine, Screening) == []


# ---------------------------------------------------------------- trials


def test_trial_success_follows_the_stated_rule(engine) -> None:
    _trial(engine, percent_relief=50)
    _trial(engine, percent_relief=45)
    _trial(engine, percent_relief=45, success_rule="relief>=30%")
    _trial(engine, percent_relief=None)
    _trial(engine, percent_relief=70, analgesic_change="increased", satisfaction=5,
           success_rule="relief>=50%+analgesics+satisfied")
    _trial(engine, therapy="itdd", percent_relief=80, paresthesia_overlap_pct=None,
           analgesic_change="stopped", satisfaction=4,
           success_rule="relief>=50%+analgesics+satisfied")
    rows = _rows(engine, Trial)
    assert [(r.percent_relief, r.success_rule, r.success) for r in rows] == [
        (50.0, "relief>=50%", True), (45.0, "relief>=50%", False),
        (45.0, "relief>=30%", True), (None, "relief>=50%", None),
        (70.0, "relief>=50%+analgesics+satisfied", False),
        (80.0, "relief>=50%+analgesics+satisfied", True)]
    assert (rows[-1].therapy, rows[-1].analgesic_change, rows[-1].satisfaction) == (
        "itdd", "stopped", 4)
    assert [d["success"] for d in _audit(engine, "trial")] == [True, False, True, None,
                                                               False, True]


def test_trial_refusals(engine) -> None:
    with pytest.raises(NeuraxisInputError, match=r"ends \(2024-12-01\) before it starts"):
        _trial(engine, start_date="2024-12-08", end_date="2024-12-01")
    with pytest.raises(NeuraxisInputError, match="'end_date'.*is in the future"):
        _trial(engine, end_date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="'start_date'.*is in the future"):
        _trial(engine, start_date=TOMORROW, end_date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="'success_rule'.*got 'relief>50%'"):
        _trial(engine, success_rule="relief>50%")
    with pytest.raises(NeuraxisInputError, match=r"'percent_relief'.*\[-100, 100\] %"):
        _trial(engine, percent_relief=120)
    with pytest.raises(NeuraxisInputError, match=r"'satisfaction'.*\[1, 5\]"):
        _trial(engine, satisfaction=0)
    with pytest.raises(NeuraxisInputError, match="did you mean 'unchanged'"):
        _trial(engine, analgesic_change="unchange")
    assert _rows(engine, Trial) == []


# ---------------------------------------------------------------- complications


def test_complications_are_stored_with_their_category(engine) -> None:
    imp = _implant(engine)
    _complication(engine, implant_id=imp, subtype="lead_migration",
                  description="lead moved two levels", resolved_date="2025-03-10")
    _complication(engine, onset_date="2024-12-05", category="procedural",
                  subtype="infection", relation="possible")  # during the trial: no implant
    _complication(engine, implant_id=imp, onset_date="2025-01-31", category="serious",
                  subtype="epidural_abscess", serious=True, relation="causal")
    rows = _rows(engine, Complication)
    assert [(r.implant_id, r.category, r.serious, r.relation, r.resolved_date)
            for r in rows] == [
        (imp, "device_related", False, "probable", dt.date(2025, 3, 10)),
        (None, "procedural", False, "possible", None),
        (imp, "serious", True, "causal", None)]
    assert rows[0].description == "lead moved two levels"
    assert [d["subtype"] for d in _audit(engine, "complication")] == [
        "lead_migration", "infection", "epidural_abscess"]


def test_complication_refusals(engine) -> None:
    imp = _implant(engine)
    records.add_patient(engine, site="S01", local_id="P002", birth_year=1970, consent=True,
                        user=USER)
    other = records.add_implant(engine, site="S01", local_id="P002", therapy="scs",
                                date="2025-01-01", device="IPG-Y", user=USER)
    with pytest.raises(NeuraxisInputError, match=r"\(2025-01-30\) is before implant \d+ "
                                                 r"\(2025-01-31\)"):
        _complication(engine, implant_id=imp, onset_date="2025-01-30")
    with pytest.raises(NeuraxisInputError, match="'onset_date'.*is in the future"):
        _complication(engine, onset_date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="'resolved_date'.*is in the future"):
        _complication(engine, resolved_date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="2025-02-01 is before the onset"):
        _complication(engine, resolved_date="2025-02-01")
    with pytest.raises(NeuraxisInputError, match="got 'device' - did you mean 'device_related'"):
        _complication(engine, category="device")
    with pytest.raises(NeuraxisInputError, match="'subtype'.*got 'infection'"):
        _complication(engine, subtype="infection")  # procedural, not device-related
    with pytest.raises(NeuraxisInputError, match="category 'other' has no subtypes"):
        _complication(engine, category="other", subtype="lead_migration")
    with pytest.raises(NeuraxisInputError, match="category 'serious'.*needs serious true"):
        _complication(engine, category="serious", serious=False)
    with pytest.raises(NeuraxisInputError, match="'serious'. Expected true or false"):
        _complication(engine, serious=1)
    with pytest.raises(NeuraxisInputError, match="'relation'.*got 'unknown'"):
        _complication(engine, relation="unknown")
    with pytest.raises(NeuraxisInputError, match="at most 200 characters"):
        _complication(engine, description="x" * 201)
    with pytest.raises(NeuraxisInputError, match=f"no implant {other} of this patient"):
        _complication(engine, implant_id=other)
    with pytest.raises(NeuraxisInputError, match="no implant 9999"):
        _complication(engine, implant_id=9999)
    assert _rows(engine, Complication) == []


# ---------------------------------------------------------------- revisions


def test_revisions_and_explants(engine) -> None:
    scs = _implant(engine)
    itdd = _implant(engine, therapy="itdd", date="2025-02-15")
    _revision(engine, implant_id=scs)
    _revision(engine, **P, therapy="itdd", date="2025-04-01", reason="battery_end_of_life")
    _revision(engine, **P, therapy="scs", date="2025-09-01", kind="explant",
              reason="infection")
    _revision(engine, implant_id=scs, date="2025-07-01", reason="hardware_malfunction")
    rows = _rows(engine, Revision)
    assert [(r.implant_id, r.date, r.kind, r.reason) for r in rows] == [
        (scs, dt.date(2025, 6, 1), "revision", "lead_migration"),
        (itdd, dt.date(2025, 4, 1), "revision", "battery_end_of_life"),
        (scs, dt.date(2025, 9, 1), "explant", "infection"),
        (scs, dt.date(2025, 7, 1), "revision", "hardware_malfunction")]
    assert [d["kind"] for d in _audit(engine, "revision")] == [
        "revision", "revision", "explant", "revision"]


def test_revision_refusals(engine) -> None:
    scs = _implant(engine)
    with pytest.raises(NeuraxisInputError, match=r"the revision \(2025-01-01\) is before "
                                                 r"implant \d+ \(2025-01-31\)"):
        _revision(engine, implant_id=scs, date="2025-01-01")
    with pytest.raises(NeuraxisInputError, match="'date'.*is in the future"):
        _revision(engine, implant_id=scs, date=TOMORROW)
    with pytest.raises(NeuraxisInputError, match="did you mean 'loss_of_efficacy'"):
        _revision(engine, implant_id=scs, reason="loss of efficacy")
    with pytest.raises(NeuraxisInputError, match="did you mean 'explant'"):
        _revision(engine, implant_id=scs, kind="explantation")
    with pytest.raises(NeuraxisInputError, match="not both"):
        _revision(engine, implant_id=scs, **P, therapy="scs")
    with pytest.raises(NeuraxisInputError, match="all of 'site', 'local_id' and 'therapy'"):
        _revision(engine, **P)
    with pytest.raises(NeuraxisInputError, match="has no itdd implant in place"):
        _revision(engine, **P, therapy="itdd")
    with pytest.raises(NeuraxisInputError, match="no implant 9999"):
        _revision(engine, implant_id=9999)
    _revision(engine, implant_id=scs, date="2025-06-01")
    with pytest.raises(NeuraxisInputError, match=r"explant \(2025-05-01\) is before a "
                                                 r"recorded revision.*\(2025-06-01\)"):
        _revision(engine, implant_id=scs, date="2025-05-01", kind="explant")
    _revision(engine, implant_id=scs, date="2025-08-01", kind="explant", reason="infection")
    with pytest.raises(NeuraxisInputError, match=r"already explanted on 2025-08-01"):
        _revision(engine, implant_id=scs, date="2025-09-01", kind="explant")
    with pytest.raises(NeuraxisInputError, match=r"revision \(2025-08-02\) is after the "
                                                 r"explant .*\(2025-08-01\)"):
        _revision(engine, implant_id=scs, date="2025-08-02")
    with pytest.raises(NeuraxisInputError, match="has no scs implant in place.*explanted"):
        _revision(engine, **P, therapy="scs")
    two = _implant(engine, date="2025-10-01")
    three = _implant(engine, date="2025-10-02")
    with pytest.raises(NeuraxisInputError, match=f"has 2 scs implants in place "
                                                 f"\\({two}, {three}\\); give 'implant_id'"):
        _revision(engine, **P, therapy="scs", date="2025-10-03")
    assert len(_rows(engine, Revision)) == 2


# ---------------------------------------------------------------- transactions


def test_a_failed_write_leaves_nothing(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The row is flushed, then the audit entry fails: the transaction rolls back."""
    imp = _implant(engine)

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(clinical, "audit", broken)
    for write in (_screening, _trial, _complication,
                  lambda e: _revision(e, implant_id=imp)):
        with pytest.raises(RuntimeError, match="disk full"):
            write(engine)
    for model in (Screening, Trial, Complication, Revision):
        assert _rows(engine, model) == []


def test_a_database_without_the_schema_is_refused(registry_url: str) -> None:
    eng = db.connect(registry_url)
    with pytest.raises(NeuraxisInputError, match="no registry schema.*registry init"):
        clinical.add_trial(eng, **P, therapy="scs", start_date="2024-12-01",
                           end_date="2024-12-08", percent_relief=60, user=USER)
    eng.dispose()
