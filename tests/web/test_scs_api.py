"""SCS in the web app through FastAPI's test client: the API answers equal the library's,
background jobs (progress, cancel), warm sessions, amplitude warnings, figures, errors.

One small scenario (60 mm, 3-contact lead, coarse mesh, 20 DC fibers) shared with the
browser tests and with tests/integration (the field basis comes from the shared cache);
the app, the login and the opened scenario are fixtures of ``conftest.py``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("matplotlib")

from fastapi.testclient import TestClient
from web_helpers import EXAMPLE, EXAMPLES, SMALL, login, wait_job

from neuraxis.web.jobs import JobCancelled, JobManager, LruCache


@pytest.fixture(scope="module")
def evaluated(alice, opened):
    """The scenario's own program (E1 +0.5, E2 -1, E3 +0.5) evaluated."""
    c, h = alice
    prog = {"contacts": {"E1": 0.5, "E2": -1, "E3": 0.5}, "amplitude_ma": 3.0,
            "pulse_width_us": 300, "rate_hz": 50, "waveform": "biphasic"}
    r = c.post(f"/api/scs/sessions/{opened}/evaluate", json=prog, headers=h)
    assert r.status_code in (200, 202), r.text
    if r.status_code == 202:
        job = r.json()["job"]
        assert job["kind"] == "evaluate"
        assert wait_job(c, job["id"])["state"] == "done"
    return r.json()["result_id"]


@pytest.fixture(scope="module")
def library_result(shared_cache_dir: Path):
    """The same scenario and program straight from the library (field basis cached)."""
    from neuraxis.perception import ScsSession
    from neuraxis.scenario import load_scenario

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
        sc = load_scenario(EXAMPLES / f"{EXAMPLE}.yaml", SMALL)
        return ScsSession(sc).evaluate(sc.program)


# ------------------------------------------------------------------ no model needed
def test_job_manager_progress_cancel_and_errors():
    from neuraxis._validate import NeuraxisInputError

    jobs = JobManager(workers=1)
    started = threading.Event()

    def slow(job):
        started.set()
        for i in range(1000):
            job.progress("loop", i, 1000)
            time.sleep(0.005)
        return {"n": 1000}

    running = jobs.submit("test", slow, owner="a", label="slow")
    queued = jobs.submit("test", slow, owner="a", label="queued")
    assert started.wait(5)
    assert jobs.cancel(queued.id).state == "cancelled"  # never starts
    jobs.cancel(running.id)
    t0 = time.monotonic()
    while not running.final and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    assert running.state == "cancelled" and 0 < running.done < 999
    assert queued.started_s is None

    def bad(job):
        raise NeuraxisInputError("Invalid value for 'x': out of range")

    def crash(job):
        raise RuntimeError("secret internals")

    b, c = jobs.submit("t", bad, owner="a", label="b"), jobs.submit("t", crash, owner="a",
                                                                     label="c")
    t0 = time.monotonic()
    while not (b.final and c.final) and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    assert b.state == "failed" and "'x'" in b.error
    assert c.state == "failed" and "secret" not in c.error and "logged" in c.error
    ok = jobs.submit("t", lambda job: {"v": 1}, owner="a", label="ok")
    while not ok.final:
        time.sleep(0.01)
    assert ok.to_dict()["result"] == {"v": 1} and ok.state == "done"
    jobs.shutdown()
    with pytest.raises(JobCancelled):
        running.progress("x", 1, 2)


def test_lru_cache_forgets_the_least_recently_used():
    lru = LruCache(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert lru.keys() == ["a", "c"] and lru.get("b") is None


def test_status_scenarios_and_refusals(alice):
    c, h = alice
    st = c.get("/api/scs/status").json()
    assert st["available"] is True and st["optimiser"]["available"] is False
    sweep = st["uncertainty"]
    assert sweep["available"] is True and sweep["max_runs"] == 256
    assert sweep["cluster"] == "local, 1 worker"
    assert "neuraxis scs uncertainty" in sweep["command_line"]
    names = [s["name"] for s in c.get("/api/scs/scenarios").json()["scenarios"]]
    assert EXAMPLE in names and "scs_paddle_565_t9_lateral" in names
    assert not any(n.startswith("pump_") for n in names)
    r = c.post("/api/scs/sessions", json={"example": "scs_1x8_t8_low_bak"}, headers=h)
    assert r.status_code == 422 and "did you mean 'scs_1x8_t8_low_back'" in r.json()["message"]
    r = c.post("/api/scs/sessions", json={"example": EXAMPLE, "overrides": ["anatomy.dcsf_mm=-3"]},
               headers=h)
    assert r.status_code == 422 and "dcsf_mm" in r.json()["message"]
    up = "/api/scs/sessions/upload"
    r = c.post(up, files={"file": ("bad.yaml", b"anatomy: {kind: spine\n")}, headers=h)
    assert r.status_code == 422 and "not valid YAML" in r.json()["message"]
    r = c.post(up, files={"file": ("x.yaml", b"anatomy: {kind: spine}\nleed: {}\n")}, headers=h)
    assert r.status_code == 422 and "leed" in r.json()["message"]
    r = c.post(up, files={"file": ("big.yaml", b"#" * 100_001)}, headers=h)
    assert r.status_code == 422 and "100000 bytes" in r.json()["message"]
    r = c.post(up, files={"file": ("e.yaml", b"  \n")}, headers=h)
    assert r.status_code == 422 and "empty" in r.json()["message"]
    assert c.get("/api/scs/sessions/nothing").status_code == 404
    assert c.get("/api/scs/jobs/nothing").status_code == 404


def test_roles(app):
    rob, h = login(app, "rob")
    assert rob.get("/api/scs/scenarios").status_code == 200  # researchers run models
    ada, h = login(app, "ada")
    assert ada.get("/api/scs/scenarios").status_code == 403
    assert ada.post("/api/scs/sessions", json={"example": EXAMPLE}, headers=h).status_code == 403
    anon = TestClient(app, base_url="http://127.0.0.1")
    assert anon.get("/api/scs/scenarios").status_code == 401


# ------------------------------------------------------------------ the model
# (a coarse field basis, ~17 s cold on 2 cores; shared with the browser tests' server)
@pytest.mark.slow
def test_session_is_warm_and_drawn_to_scale(alice, opened):
    c, h = alice
    again = c.post("/api/scs/sessions", json={"example": EXAMPLE, "overrides": SMALL}, headers=h)
    assert again.status_code == 200 and again.json()["session_key"] == opened
    assert again.json()["ready"] is True
    import yaml

    from neuraxis.scenario.load import apply_overrides, read_scenario

    text = yaml.safe_dump(apply_overrides(read_scenario(EXAMPLES / f"{EXAMPLE}.yaml"), SMALL))
    up = c.post("/api/scs/sessions/upload", files={"file": ("small.yaml", text.encode())},
                headers=h)  # the same content: the same warm session
    assert up.status_code == 200 and up.json()["session_key"] == opened, up.text
    assert up.json()["scenario"]["source"] == "upload:small.yaml"
    s = c.get(f"/api/scs/sessions/{opened}").json()
    assert s["provenance"]["neuraxis_version"]
    lead = s["lead"]
    assert [k["name"] for k in lead["contacts"]] == ["E1", "E2", "E3"]
    z = [k["z_mm"] for k in lead["contacts"]]
    assert z[0] - z[1] == pytest.approx(7.0) and z[1] - z[2] == pytest.approx(7.0)  # 3 + 4 mm
    assert all(k["length_mm"] == 3 and k["width_mm"] == 1.3 for k in lead["contacts"])
    assert lead["body"]["length_mm"] == pytest.approx(3 * 3 + 2 * 4 + 2 * 2)
    page = c.get(f"/scs?session={opened}").text
    assert 'data-contact="E2"' in page and 'height="3' in page and "Optimise program" in page
    assert "neuraxis scs uncertainty examples/scs_1x8_t8_low_back.yaml" in page
    # the sweep form offers the inputs that apply, with their ranges
    assert 'id="scs-sweep-form"' in page and 'value="sigma_csf"' in page
    assert 'name="n_base"' in page and "S/m" in page


@pytest.mark.slow
def test_result_equals_the_library_and_warns_at_dt(alice, opened, evaluated, library_result):
    c, h = alice
    lib = library_result
    base = f"/api/scs/sessions/{opened}/results/{evaluated}"
    d = c.get(base).json()
    assert d["status"] == "ok" and d["provenance"]["neuraxis_version"]
    assert d["perception_threshold_ma"] == pytest.approx(lib.perception_threshold_ma, abs=1e-4)
    pt, dt = lib.perception_threshold_ma, lib.discomfort_threshold_ma
    assert pt is not None and dt is not None, "the small scenario must reach PT and DT"
    assert d["discomfort_threshold_ma"] == pytest.approx(dt, abs=1e-4)
    assert d["fiber_counts"]["perception"] == lib.fiber_counts()["perception"]
    assert d["inputs"]["scenario"]["overrides"] == SMALL
    assert d["model_provenance"]["field_key"] == lib.basis.key
    above = c.get(base, params={"amplitude_ma": round(dt * 1.02, 3)}).json()
    assert above["amplitude_status"]["level"] == "warning"
    assert "WARNING" in above["amplitude_status"]["message"] and above["side_effects"]
    assert above["pain_coverage_pct"] == pytest.approx(
        lib.at(round(dt * 1.02, 3)).pain_coverage_pct, abs=0.01)
    below = c.get(base, params={"amplitude_ma": round(pt * 0.9, 3)}).json()
    assert below["amplitude_status"]["level"] == "note"
    assert "nothing felt" in below["amplitude_status"]["message"]
    for bad in (0, 30):
        r = c.get(base, params={"amplitude_ma": bad})
        assert r.status_code == 422 and "amplitude_ma" in r.json()["message"]
    png_lo = c.get(f"{base}/bodymap.png", params={"amplitude_ma": round(pt * 0.9, 3)})
    png_hi = c.get(f"{base}/bodymap.png", params={"amplitude_ma": round(dt * 1.02, 3)})
    assert png_lo.headers["content-type"] == "image/png" and png_lo.content[:4] == b"\x89PNG"
    assert png_lo.content != png_hi.content
    rec = c.get(f"{base}/recruitment.png")
    assert rec.status_code == 200 and rec.content[:4] == b"\x89PNG"
    assert c.get(f"{base}/other.png").status_code == 422


@pytest.mark.slow
def test_evaluate_known_shape_is_immediate_and_bad_programs_refused(alice, opened, evaluated):
    c, h = alice
    prog = {"contacts": {"E1": 0.5, "E2": -1, "E3": 0.5}, "amplitude_ma": 5.0}
    r = c.post(f"/api/scs/sessions/{opened}/evaluate", json=prog, headers=h)
    assert r.status_code == 200 and r.json()["job"] is None
    assert r.json()["result_id"] == evaluated
    bad = {"contacts": {"E1": -1, "E2": 0.5}, "amplitude_ma": 3}
    r = c.post(f"/api/scs/sessions/{opened}/evaluate", json=bad, headers=h)
    assert r.status_code == 422 and "sum to" in r.json()["message"]
    r = c.post(f"/api/scs/sessions/{opened}/evaluate",
               json={"contacts": {"E9": -1}, "amplitude_ma": 3}, headers=h)
    assert r.status_code == 422 and "E9" in r.json()["message"]
    r = c.post(f"/api/scs/sessions/{opened}/evaluate",
               json={"contacts": {"E2": -1, "E3": 1}, "amplitude_ma": 3,
                     "waveform": "brust"}, headers=h)
    assert r.status_code == 422 and "waveform" in r.json()["message"]


@pytest.mark.slow
def test_a_new_shape_is_a_job_that_can_be_cancelled(alice, opened, evaluated):
    c, h = alice
    prog = {"contacts": {"E1": 1, "E3": -1}, "amplitude_ma": 3.0, "pulse_width_us": 210}
    r = c.post(f"/api/scs/sessions/{opened}/evaluate", json=prog, headers=h)
    assert r.status_code == 202 and r.json()["job"]["state"] in ("queued", "running")
    job_id = r.json()["job"]["id"]
    rob, hr = login(c.app, "rob")
    assert rob.get(f"/api/scs/jobs/{job_id}").status_code == 200  # he may watch it
    assert rob.post(f"/api/scs/jobs/{job_id}/cancel", headers=hr).status_code == 404  # not his
    assert c.post(f"/api/scs/jobs/{job_id}/cancel", headers=h).json()["job"][
        "cancel_requested"] is True
    job = wait_job(c, job_id)
    assert job["state"] in ("cancelled", "done")  # done if it finished before the cancel
    rid = r.json()["result_id"]
    got = c.get(f"/api/scs/sessions/{opened}/results/{rid}")
    assert got.status_code == (200 if job["state"] == "done" else 404)


@pytest.mark.slow
def test_page_opens_through_the_form_and_polls_the_job(alice, opened):
    c, h = alice
    page = c.get("/scs").text
    assert 'hx-post="/scs/open"' in page and EXAMPLE in page and "/static/scs.js" in page
    # preselected: the first bundled scenario with a program, not a field-only example
    assert f'<option value="{EXAMPLE}" selected>' in page
    r = c.post("/scs/open", data={"example": EXAMPLE, "overrides": "\n".join(SMALL),
                                  "csrf_token": h["X-CSRF-Token"]}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="scs-ws"' in r.text and "<html" not in r.text
    r = c.post("/scs/open", data={"example": "nope", "csrf_token": h["X-CSRF-Token"]},
               headers={"HX-Request": "true"})
    assert r.status_code == 422 and "example" in r.text
    js = c.get("/static/scs.js")
    assert js.status_code == 200 and b"/api/scs/sessions/" in js.content
