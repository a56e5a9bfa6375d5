"""Helpers of the web tests (a plain module: ``conftest`` is not imported by name, since
several test folders have one)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"
USERS = {"alice": "clinician", "rob": "researcher", "ada": "admin"}
#: The small SCS scenario of the web tests: overrides of examples/scs_1x8_t8_low_back.yaml
#: (60 mm, 3-contact lead, coarse mesh, 20 DC fibers; its basis is built once per run).
SMALL = ["mesh=coarse", "fibers.dc=20", "fibers.dr_per_root=1", "anatomy.length_mm=60",
         "placement.offset_z_mm=0",
         "lead={kind: percutaneous, n_contacts: 3, diameter_mm: 1.3, contact_length_mm: 3, "
         "gap_mm: 4, body_end_mm: 2}",
         "program.contacts={E1: 0.5, E2: -1, E3: 0.5}"]
EXAMPLE = "scs_1x8_t8_low_back"


def csrf(client: TestClient) -> str:
    """The session's CSRF token (also sets the session cookie)."""
    return client.get("/api/session").json()["csrf_token"]


def login(app, username: str, password: str = PASSWORD) -> tuple[TestClient, dict]:
    """A client logged in as ``username`` and the CSRF header to send on writes."""
    client = TestClient(app, base_url="http://127.0.0.1")
    r = client.post("/api/session/login", json={"username": username, "password": password},
                    headers={"X-CSRF-Token": csrf(client)})
    assert r.status_code == 200, r.text
    return client, {"X-CSRF-Token": r.json()["csrf_token"]}


def prescription(name: str = "pump_morphine_40ml.yaml") -> dict:
    """An example prescription as JSON (dates as text)."""
    import yaml

    raw = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(raw, default=str))


def wait_job(client: TestClient, job_id: str, timeout_s: float = 240.0) -> dict:
    """Poll a job until it is final."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        job = client.get(f"/api/scs/jobs/{job_id}").json()["job"]
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished in {timeout_s} s")
