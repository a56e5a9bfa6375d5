"""The JSON API answers what the library computes, with provenance and clear errors."""

from __future__ import annotations

import datetime as dt

from web_helpers import csrf, login, prescription


def _ok(r, code=200):
    assert r.status_code == code, r.text
    body = r.json()
    assert body["provenance"]["neuraxis_version"]
    dt.datetime.strptime(body["provenance"]["date"], "%Y-%m-%dT%H:%M:%SZ")
    return body


def test_pump_plan_is_the_library_plan(local_client):
    from neuraxis.pump import plan_prescription, prescription_from_dict

    rx = prescription()
    body = _ok(local_client.post("/api/pump/plan", json=rx,
                                 headers={"X-CSRF-Token": csrf(local_client)}))
    plan = plan_prescription(prescription_from_dict(rx)).to_dict()
    assert body["status"] == "ok"
    for key in ("refill_date", "alarm_date", "daily_volume_ml", "refill_volume_ml"):
        assert body[key] == plan[key]
    assert body["refill_date"] == "2025-05-30"  # the example's hand check (moved off Sunday)


def test_pump_refusal_lists_limits_and_override_lifts_it(local_client):
    h = {"X-CSRF-Token": csrf(local_client)}
    rx = prescription()
    rx["basal"]["dose_mg_per_day"] = 30.0  # above the consensus maximum daily dose
    r = local_client.post("/api/pump/plan", json=rx, headers=h)
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == "refused"
    ref = body["refusals"][0]
    assert ref["source"] and ref["unit"] and ref["limit"] is not None
    rx["overrides"] = [{"check": ref["check"], "reason": "palliative care, documented in "
                                                         "the notes"}]
    ok = _ok(local_client.post("/api/pump/plan", json=rx, headers=h))
    assert ok["overrides"][0]["check"] == ref["check"]
    assert ok["overrides"][0]["reason"].startswith("palliative")


def test_pump_bad_field_names_field_and_unit(local_client):
    rx = prescription()
    rx["catheter"]["length_cm"] = -3
    r = local_client.post("/api/pump/plan", json=rx, headers={"X-CSRF-Token": csrf(
        local_client)})
    assert r.status_code == 422
    assert r.json()["field"] == "catheter.length_cm"
    assert "Traceback" not in r.text


def test_pump_ics_and_spread_figure(local_client):
    h = {"X-CSRF-Token": csrf(local_client)}
    r = local_client.post("/api/pump/refills.ics", json=prescription(), headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text.startswith("BEGIN:VCALENDAR") and "DTSTART;VALUE=DATE:20250530" in r.text
    r = local_client.post("/api/pump/spread?hours=2", json=prescription(), headers=h)
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    r = local_client.post("/api/pump/spread?hours=9999", json=prescription(), headers=h)
    assert r.status_code == 422 and r.json()["field"] == "hours"


def test_pump_plan_file_upload(local_client):
    from web_helpers import EXAMPLES

    data = (EXAMPLES / "pump_flex_boluses.yaml").read_bytes()
    r = local_client.post("/api/pump/plan-file", files={"file": ("rx.yaml", data)},
                          headers={"X-CSRF-Token": csrf(local_client)})
    assert _ok(r)["basal_mode"] == "flex"
    r = local_client.post("/api/pump/plan-file", files={"file": ("x.yaml", b"\x89PNG\x00")},
                          headers={"X-CSRF-Token": csrf(local_client)})
    assert r.status_code == 422 and "/tmp" not in r.json()["message"]


def test_registry_patient_visit_timeline_and_audit(accounts_app):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from neuraxis.registry import instruments
    from neuraxis.registry.models import AuditEntry

    c, h = login(accounts_app, "alice")
    _ok(c.post("/api/registry/patients", json={"site": "S1", "local_id": "P-001",
                                               "birth_year": 1961, "consent": True,
                                               "diagnoses": ["FBSS"]}, headers=h), 201)
    _ok(c.post("/api/registry/patients/S1/P-001/implants", json={
        "therapy": "itdd", "date": "2025-01-10", "device": "synchromed_ii_40ml",
        "catheter": "medtronic_ascenda_8781", "level": "T10"}, headers=h), 201)
    odi = {f"q{i}": 2 for i in range(1, 11)}
    _ok(c.post("/api/registry/patients/S1/P-001/visits", json={
        "visit": "baseline", "date": "2025-01-02", "responses": {"odi": odi}}, headers=h), 201)
    t = _ok(c.get("/api/registry/patients/S1/P-001"))
    assert t["patient"]["local_id"] == "P-001" and t["implants"][0]["level"] == "T10"
    total = [s for s in t["visits"][0]["scores"] if s["scale"] == "total"][0]
    assert total["value"] == instruments.score("odi", odi).total.value == 40.0
    assert t["trials"] == [] and t["implants"][0]["programs"] == []
    live = _ok(c.post("/api/registry/instruments/odi/score", json={"items": odi}, headers=h))
    assert live["total"]["value"] == 40.0 and live["total"]["unit"] == "%"
    with Session(accounts_app.state.ctx.engine) as s:
        users = set(s.scalars(select(AuditEntry.user_name)))
    assert "web:alice" in users


def test_registry_errors_are_clear(accounts_app):
    c, h = login(accounts_app, "alice")
    r = c.post("/api/registry/patients", json={"site": "S1", "local_id": "P1",
                                               "birth_year": 1850, "consent": True}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "birth_year"
    r = c.post("/api/registry/patients", json={"site": "S1", "local_id": "P1",
                                               "birth_year": "old", "consent": True},
               headers=h)
    assert r.status_code == 422 and "birth_year" in r.json()["message"]
    r = c.post("/api/registry/instruments/odi/score", json={"items": {"q1": 9}}, headers=h)
    assert r.status_code == 422 and "odi.q1" in r.json()["message"]
    assert c.get("/api/registry/patients/S1/NOBODY").status_code == 404


def test_dashboard_uses_library_analyses(accounts_app, tmp_path):
    from neuraxis.registry import analysis
    from neuraxis.registry.frames import registry_tables
    from neuraxis.registry.importing import import_records
    from neuraxis.registry.synthetic import synthetic_export

    engine = accounts_app.state.ctx.engine
    records, dictionary = synthetic_export(12)
    (tmp_path / "r.csv").write_text(records, encoding="utf-8")
    (tmp_path / "d.csv").write_text(dictionary, encoding="utf-8")
    import_records(engine, tmp_path / "r.csv", tmp_path / "d.csv", user="test")
    c, _ = login(accounts_app, "rob")
    body = _ok(c.get("/api/registry/dashboard?threshold_pct=30"))
    expected = analysis.responder_rates(registry_tables(engine).visits, threshold_pct=30)
    assert body["responders"]["rows"] == [r.to_dict() for r in expected.rows]
    assert body["survival"] is not None or "survival" in body["not_available"]
    png = c.get("/api/registry/figures/responders.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert len(_ok(c.get("/api/registry/patients"))["patients"]) == 12
    assert c.get("/api/registry/figures/other.png").status_code == 422
