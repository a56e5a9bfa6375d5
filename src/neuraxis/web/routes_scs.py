"""The SCS programming page: choose or upload a scenario, program the lead, see the body
map and the recruitment curve.

The page (``/scs``) opens a scenario through a form (htmx): the session is built in the
background (:mod:`neuraxis.web.jobs`) while htmx polls the job's progress fragment
(``/scs/jobs/{id}``), which becomes the programming workspace when the session is warm.
In the workspace, ``static/scs.js`` draws the program on the lead (inline SVG, to scale,
contacts clickable) and calls the JSON API (:mod:`neuraxis.web.routes_scs_api`): a new
program shape is an evaluate job (its progress polled the same way), a new amplitude a
plain request answered in milliseconds. The JSON API's router is included here.
"""

from __future__ import annotations

import shlex
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from neuraxis.perception.program import (
    AMPLITUDE_RANGE_MA,
    DEFAULT_PULSE_WIDTH_US,
    DEFAULT_RATE_HZ,
    DEFAULT_WAVEFORM,
    PULSE_WIDTH_RANGE_US,
    RATE_RANGE_HZ,
    WAVEFORMS,
)
from neuraxis.web._render import page
from neuraxis.web.routes_scs_api import router as api_router
from neuraxis.web.routes_scs_core import (
    MAX_OVERRIDE_CHARS,
    MAX_OVERRIDES,
    OPTIMISER_NOTE,
    POLL_S,
    SCENARIO_MAX_BYTES,
    UNCERTAINTY_CLI,
    WarmSession,
    bundled_scenarios,
    open_bundled,
    open_upload,
    source_label,
    state,
    svg_box,
)
from neuraxis.web.routes_scs_sweeps import router as sweeps_router
from neuraxis.web.routes_scs_sweeps import sweep_form_context, sweep_view
from neuraxis.web.security import WebUser, require

router = APIRouter()
router.include_router(api_router)
router.include_router(sweeps_router)
Runner = Annotated[WebUser, Depends(require("models:run"))]


def _controls() -> dict:
    return {"amplitude_range_ma": AMPLITUDE_RANGE_MA, "pulse_width_range_us": PULSE_WIDTH_RANGE_US,
            "rate_range_hz": RATE_RANGE_HZ, "waveforms": WAVEFORMS,
            "defaults": {"pulse_width_us": DEFAULT_PULSE_WIDTH_US, "rate_hz": DEFAULT_RATE_HZ,
                         "waveform": DEFAULT_WAVEFORM}}


def _cli_scenario(scenario) -> str:
    """The scenario as the command line would name it."""
    label = source_label(scenario)
    return label[len("upload:"):] if label.startswith("upload:") else label or "SCENARIO.yaml"


def _workspace_context(ws: WarmSession, scenario=None) -> dict:
    """What ``_scs_workspace.html`` shows of a warm session opened with ``scenario``."""
    sc = ws.scenario if scenario is None else scenario
    info = ws.describe(sc)
    cli = UNCERTAINTY_CLI.format(scenario=shlex.quote(_cli_scenario(sc)))
    cli += "".join(f" --set {shlex.quote(s)}" for s in sc.overrides)
    return {"info": info, "box": svg_box(info["lead"]), "controls": _controls(),
            "optimiser_note": OPTIMISER_NOTE, "uncertainty_cli": cli,
            **sweep_form_context(ws)}


def _workspace(request: Request, user: WebUser, ws: WarmSession, scenario=None) -> Response:
    return page(request, "_scs_workspace.html", user=user,
                **_workspace_context(ws, scenario))


def _job_fragment(request: Request, user: WebUser, job_id: str) -> Response:
    st = state(request)
    job = st.job(job_id)
    if job is None:
        return page(request, "_scs_job.html", user=user, job=None, poll_s=POLL_S)
    if job.kind == "session" and job.state == "done":
        ws = st.sessions.get(job.result["session_key"])
        if ws is not None and ws.ready:
            return _workspace(request, user, ws)
    if job.kind == "sweep" and job.state == "done" and job.owner == user.username:
        return sweep_view(request, user, job.result["sweep_id"], fragment=True)
    return page(request, "_scs_job.html", user=user, job=job, poll_s=POLL_S)


@router.get("/scs", include_in_schema=False)
def scs_page(request: Request, user: Runner, session: str | None = None) -> Response:
    """The SCS programming page (with a warm session's workspace when ``session`` names
    one)."""
    ws = state(request).sessions.get(session) if session else None
    warm = _workspace_context(ws) if ws is not None and ws.ready else {}
    scenarios = bundled_scenarios()
    # preselected: the first with a program (a field-only example has nothing to program)
    default = next((s["name"] for s in scenarios if s["has_program"]), None)
    return page(request, "scs.html", user=user, scenarios=scenarios, default_example=default,
                max_bytes=SCENARIO_MAX_BYTES, max_overrides=MAX_OVERRIDES,
                max_override_chars=MAX_OVERRIDE_CHARS, **warm)


@router.post("/scs/open", include_in_schema=False)
def scs_open_form(request: Request, user: Runner,
                  example: Annotated[str, Form(max_length=100)] = "",
                  overrides: Annotated[str, Form(max_length=MAX_OVERRIDES
                                                 * MAX_OVERRIDE_CHARS)] = "",
                  file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Open the chosen (or uploaded: a file wins) scenario: the workspace if its session
    is warm, else the build job's progress (polled)."""
    lines = overrides.splitlines()
    if file is not None and file.filename:
        sc, origin = open_upload(file.filename, file.file.read(SCENARIO_MAX_BYTES + 1), lines)
    else:
        sc, origin = open_bundled(example, lines)
    ws = state(request).open(sc, user.username, origin)
    if ws.ready:
        return _workspace(request, user, ws, sc)
    return _job_fragment(request, user, ws.job.id)


@router.get("/scs/jobs/{job_id}", include_in_schema=False)
def scs_job_fragment(request: Request, user: Runner, job_id: str) -> Response:
    """A job's progress (polled by htmx); a finished session job answers the workspace."""
    return _job_fragment(request, user, job_id)
