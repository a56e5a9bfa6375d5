"""The uncertainty sweep from the SCS page, through FastAPI's test client: refusals before
any work, the form's job (the same request: the same job), cancel within seconds, who sees
a sweep, delete, a sweeps folder it cannot write, the settings, the shutdown.

A sweep run to its end, with the view of its outputs, is the browser test's
(``test_browser_app.py``); here nothing waits for a finished sweep. The app, alice's login
and the small scenario come from ``conftest.py``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time

import pytest

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("SALib")
pytest.importorskip("distributed")

from fastapi.testclient import TestClient
from web_helpers import login, wait_job

from neuraxis._validate import NeuraxisInputError
from neuraxis.web.settings import web_settings

PROGRAM = {"contacts": {"E1": 0.5, "E2": -1, "E3": 0.5}, "amplitude_ma": 2.5,
           "pulse_width_us": 300, "rate_hz": 50, "waveform": "biphasic"}


def sweeps_dir(app):
    from pathlib import Path

    return Path(app.state.ctx.settings.sweeps_dir)


def test_refusals_leave_no_trace(app, alice, opened):
    c, h = alice
    url = f"/api/scs/sessions/{opened}/uncertainty"
    cases = [
        ({"n_base": 0}, "samples"),
        ({"inputs": ["sigma_nonsense"]}, "sigma_nonsense"),
        ({"mesh": "ultra"}, "mesh"),
        ({"n_base": 32, "inputs": None}, "at most 256"),  # every input: > 256 model runs
        ({"program": {**PROGRAM, "contacts": {"E1": 0.5, "E2": 0.5}}}, "cathode"),
        ({"program": {**PROGRAM, "amplitude_ma": -1}}, "amplitude_ma"),
        ({"source": "upload:another.yaml"}, "opened as examples/scs_1x8_t8_low_back.yaml"),
    ]
    for change, words in cases:
        body = {"program": PROGRAM, "n_base": 1, "inputs": ["sigma_csf"], **change}
        r = c.post(url, json=body, headers=h)
        assert r.status_code == 422, (change, r.text)
        msg = r.json()["message"]
        assert words in msg and "Traceback" not in msg, (change, msg)
    r = c.post("/api/scs/sessions/0123456789abcdef01234567/uncertainty",
               json={"program": PROGRAM}, headers=h)
    assert r.status_code == 404 and "open the scenario again" in r.json()["message"]
    assert c.post(url, json={"program": PROGRAM}).status_code == 403  # no CSRF header
    assert not sweeps_dir(app).exists() or not any(sweeps_dir(app).iterdir())
    # a sweeps folder the server cannot write: 503 naming the setting, no traceback
    ctx = app.state.ctx
    good = ctx.settings
    blocker = sweeps_dir(app).parent / "a-file-not-a-folder"
    blocker.write_text("x")
    ctx.settings = dataclasses.replace(good, sweeps_dir=str(blocker / "sweeps"))
    try:
        r = c.post(url, json={"program": PROGRAM, "n_base": 1, "inputs": ["sigma_csf"]},
                   headers=h)
    finally:
        ctx.settings = good
    assert r.status_code == 503 and "sweeps_dir" in r.json()["message"], r.text
    # ids and file names are checked, never used as paths
    assert c.get("/api/scs/uncertainty/..%2F..%2Fetc").status_code in (404, 422)
    assert c.get("/api/scs/uncertainty/not-an-id").status_code == 422
    assert c.get("/api/scs/uncertainty/" + "0" * 20).status_code == 404
    r = c.get("/api/scs/uncertainty/" + "0" * 20 + "/files/server.log")
    assert r.status_code == 422 and "uncertainty.png" in r.json()["message"]


def test_the_form_starts_one_job_per_sweep_that_cancels_within_seconds(app, alice, opened):
    c, h = alice
    form = {"session": opened, "program": json.dumps(PROGRAM), "n_base": "2",
            "inputs": ["sigma_csf", "sigma_dura"], "mesh": "coarse"}
    hx = {**h, "HX-Request": "true"}
    for change, words in (({"program": ""}, "set a program on the lead first"),
                          ({"inputs": []}, "choose at least one input"),
                          ({"n_base": "many"}, "n_base")):
        r = c.post("/scs/sweeps", data={**form, **change}, headers=hx)
        assert r.status_code == 422 and words in r.text and 'role="alert"' in r.text, change
    r = c.post("/scs/sweeps", data=form, headers=hx)
    assert r.status_code == 200, r.text
    m = re.search(r'data-job-id="([^"]+)" data-job-kind="sweep"', r.text)
    assert m, r.text[:500]
    job_id = m.group(1)
    assert "2 inputs, 8 model runs" in r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the cluster has started computing samples
        job = c.get(f"/api/scs/jobs/{job_id}").json()["job"]
        if job["state"] not in ("queued", "running") or job["stage"] == "model runs":
            break
        time.sleep(0.1)
    assert job["state"] == "running" and job["total"] == 8, job
    # the server answers while the sweep runs, and the same request (here through the
    # API) is the same sweep: its running job, not a second one
    assert c.get("/api/scs/status").status_code == 200
    again = c.post(f"/api/scs/sessions/{opened}/uncertainty", headers=h,
                   json={"program": PROGRAM, "n_base": 2, "inputs": ["sigma_csf", "sigma_dura"]})
    assert again.status_code == 202 and again.json()["job"]["id"] == job_id
    t_cancel = time.monotonic()
    assert c.post(f"/api/scs/jobs/{job_id}/cancel", headers=h).status_code == 200
    job = wait_job(c, job_id, timeout_s=60)
    cancel_s = time.monotonic() - t_cancel
    assert job["state"] == "cancelled", job
    # measured here: 4.4 s (the heartbeat stops the loop at once; the local cluster's
    # worker processes then take seconds to close); without it, a sample's time (~10 s+)
    assert cancel_s < 30, cancel_s

    listed = c.get("/api/scs/uncertainty").json()["sweeps"]
    assert len(listed) == 1 and not listed[0]["finished"] and listed[0]["n_runs"] == 8
    sid = listed[0]["sweep_id"]
    assert listed[0]["program"]["amplitude_ma"] == 2.5  # the page's program, not the file's
    d = c.get(f"/api/scs/uncertainty/{sid}").json()
    assert d["finished"] is False and d["meta"]["inputs"] == ["sigma_csf", "sigma_dura"]
    assert d["meta"]["scenario_label"] == "examples/scs_1x8_t8_low_back.yaml"
    page = c.get(f"/scs/sweeps/{sid}").text
    assert "Not finished" in page and "of 8 model runs are computed" in page
    assert sid in c.get("/scs/sweeps").text
    assert c.get(f"/api/scs/uncertainty/{sid}/files/uncertainty.png").status_code == 404

    # only its owner sees a sweep; logged out, nothing
    rob, _ = login(app, "rob")
    assert rob.get("/api/scs/uncertainty").json()["sweeps"] == []
    assert rob.get(f"/api/scs/uncertainty/{sid}").status_code == 404
    assert rob.get(f"/scs/sweeps/{sid}").status_code == 404
    anon = TestClient(app, base_url="http://127.0.0.1")
    assert anon.get(f"/api/scs/uncertainty/{sid}").status_code == 401
    assert anon.get("/api/scs/uncertainty").status_code == 401

    # the list's Delete button: only the owner's, then the folder is gone
    rob, hr = login(app, "rob")
    assert rob.delete(f"/api/scs/uncertainty/{sid}", headers=hr).status_code == 404
    r = c.post(f"/scs/sweeps/{sid}/delete", headers=h, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/scs/sweeps?deleted={sid}"
    assert "Deleted the sweep" in c.get(r.headers["location"]).text
    assert not (sweeps_dir(app) / sid).exists()
    assert c.get(f"/api/scs/uncertainty/{sid}").status_code == 404


def test_sweep_settings(tmp_path, monkeypatch):
    import os

    s = web_settings(db_url="sqlite://", sweeps_dir=str(tmp_path))
    assert s.sweeps_dir == str(tmp_path) and s.sweep_scheduler is None
    assert s.sweep_workers == max(1, (os.cpu_count() or 2) - 1) and s.sweep_max_runs == 256
    s = web_settings(db_url="sqlite://", sweep_scheduler="tcp://10.0.0.5:8786")
    assert s.sweep_workers is None and s.sweep_scheduler == "tcp://10.0.0.5:8786"
    monkeypatch.setenv("NEURAXIS_WEB_SWEEP_WORKERS", "3")
    assert web_settings(db_url="sqlite://").sweep_workers == 3
    for bad, words in (({"sweep_scheduler": "10.0.0.5:8786"}, "tcp://host:8786"),
                       ({"sweep_workers": "many"}, "expected an integer"),
                       ({"sweep_workers": 0}, "sweep_workers"),
                       ({"sweep_max_runs": 0}, "sweep_max_runs"),
                       ({"sweep_workers": 2, "sweep_scheduler": "tcp://h:1"}, "one or the other")):
        with pytest.raises(NeuraxisInputError, match=words):
            web_settings(db_url="sqlite://", **bad)


def test_server_shutdown_stops_a_running_sweep_and_its_cluster(app, alice, opened):
    """What the app's lifespan does at exit: cancel the jobs, wait for the sweep to close
    its local Dask cluster (no worker process left behind). Last: it stops the app's jobs."""
    import multiprocessing

    c, h = alice
    before = {p.pid for p in multiprocessing.active_children()}
    r = c.post(f"/api/scs/sessions/{opened}/uncertainty", headers=h,
               json={"program": PROGRAM, "n_base": 2, "inputs": ["sigma_csf", "sigma_dura"],
                      "seed": 7})
    assert r.status_code == 202, r.text
    job_id = r.json()["job"]["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = c.get(f"/api/scs/jobs/{job_id}").json()["job"]
        if job["state"] not in ("queued", "running") or job["stage"] == "model runs":
            break
        time.sleep(0.1)
    assert job["stage"] == "model runs", job
    assert {p.pid for p in multiprocessing.active_children()} - before  # the workers
    sid = r.json()["sweep_id"]
    r = c.delete(f"/api/scs/uncertainty/{sid}", headers=h)  # not while it runs
    assert r.status_code == 422 and "cancel its job first" in r.json()["message"]
    app.state.scs.close(timeout_s=60)
    assert app.state.scs.sweep_jobs.get(job_id).state == "cancelled"
    assert c.delete(f"/api/scs/uncertainty/{sid}", headers=h).json()["deleted"] == sid
    deadline = time.monotonic() + 30
    while {p.pid for p in multiprocessing.active_children()} - before and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert not {p.pid for p in multiprocessing.active_children()} - before
