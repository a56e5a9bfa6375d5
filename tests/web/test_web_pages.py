"""The pages: server-rendered, units in the labels, htmx fragments from the same calls."""

from __future__ import annotations

from web_helpers import csrf, login

HX = {"HX-Request": "true"}
FORM = {"pump_model": "synchromed_ii_40ml", "fill_date": "2025-03-03", "fill_volume_ml": "40",
        "catheter_model": "medtronic_ascenda_8781", "catheter_length_cm": "50",
        "tip_level": "T10", "drug_1": "morphine", "concentration_1": "20", "conc_unit_1": "mg",
        "basal_mode": "simple", "basal_dose": "3", "dose_unit": "mg", "horizon_days": "365",
        "patient_id": "EX-MOR-001"}


def test_pump_page_has_units_and_bundled_htmx(local_client):
    page = local_client.get("/pump").text
    for label in ("Fill volume (mL)", "Length (cm)", "mg/mL", "Lockout (min)"):
        assert label in page
    assert '<script src="/static/htmx.min.js"' in page and "unpkg" not in page
    js = local_client.get("/static/htmx.min.js")
    assert js.status_code == 200 and b"htmx" in js.content[:2000]


def test_pump_form_plans_refuses_and_overrides(local_client):
    token = csrf(local_client)
    r = local_client.post("/pump/plan", data={**FORM, "csrf_token": token}, headers=HX)
    assert r.status_code == 200 and "2025-05-30" in r.text and "<html" not in r.text
    high = {**FORM, "basal_dose": "30", "csrf_token": token}
    r = local_client.post("/pump/plan", data=high, headers=HX)
    assert "Prescription refused" in r.text and 'name="override_check"' in r.text
    check = r.text.split('name="override_check" value="')[1].split('"')[0]
    ok = local_client.post("/pump/plan", data={
        **high, "override_check": check,
        f"override_reason_{check}": "palliative care, documented"}, headers=HX)
    assert "REFILL DATE" in ok.text and "palliative care, documented" in ok.text
    ics = local_client.post("/pump/refills.ics", data={**FORM, "csrf_token": token})
    assert ics.headers["content-type"].startswith("text/calendar")
    bad = local_client.post("/pump/plan", data={**FORM, "catheter_length_cm": "long",
                                                "csrf_token": token}, headers=HX)
    assert bad.status_code == 422 and "catheter.length_cm" in bad.text


def test_pump_spread_fragment(local_client):
    r = local_client.post("/pump/spread", data={**FORM, "spread_hours": "2",
                                                "csrf_token": csrf(local_client)}, headers=HX)
    assert r.status_code == 200 and "data:image/png;base64," in r.text and "cm rostral" in r.text


def test_visit_entry_scores_odi_and_shows_it(accounts_app):
    c, h = login(accounts_app, "alice")
    token = h["X-CSRF-Token"]
    r = c.post("/registry/patients", data={"csrf_token": token, "site": "S1",
                                           "local_id": "P-9", "birth_year": "1970",
                                           "consent": "on", "diagnoses": "FBSS"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/registry/patients/S1/P-9"
    form = c.get("/registry/patients/S1/P-9/visit").text
    assert 'name="item:odi:q1"' in form and 'hx-post="/registry/score/odi"' in form
    answers = {f"item:odi:q{i}": "1" for i in range(1, 11)}
    live = c.post("/registry/score/odi", data={**answers, "csrf_token": token}, headers=HX)
    assert "total 20 %" in live.text
    r = c.post("/registry/patients/S1/P-9/visit", data={
        **answers, "csrf_token": token, "visit": "baseline", "date": "2025-01-05"},
        follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/registry/patients/S1/P-9").text
    assert "Visit baseline" in page and "odi total: 20 %" in page
    bad = c.post("/registry/patients/S1/P-9/visit", data={
        "item:odi:q1": "9", "csrf_token": token, "visit": "m3", "date": "2025-01-05"})
    assert bad.status_code == 422 and "odi.q1" in bad.text


def test_registry_pages_for_a_researcher(accounts_app):
    c, _ = login(accounts_app, "rob")
    assert "Your role (researcher) reads registry data" in c.get("/registry").text
    assert c.get("/registry/patients/S1/X/visit", follow_redirects=False).status_code == 403
    d = c.get("/registry/dashboard")
    assert d.status_code == 200 and "not available" in d.text  # empty registry says why


def test_error_pages_are_pages(local_client):
    r = local_client.get("/registry/patients/S1/nobody")
    assert r.status_code == 404 and "<html" in r.text and "Traceback" not in r.text
    r = local_client.get("/registry/dashboard?threshold_pct=lots")
    assert r.status_code == 422 and "threshold_pct" in r.text
