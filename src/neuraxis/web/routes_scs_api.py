"""The SCS JSON API (``/api/scs/...``): scenarios, warm sessions, program results, figures
and background jobs. The SCS page uses it; scripts can too.

Flow: ``POST /api/scs/sessions`` (a bundled scenario) or ``POST /api/scs/sessions/upload``
(a YAML file) answers 202 with the session's build job (or 200 when it is warm); poll
``GET /api/scs/jobs/{id}``. Then ``POST /api/scs/sessions/{key}/evaluate`` with a program
answers the result id and, for a new shape, its job; ``GET
/api/scs/sessions/{key}/results/{rid}?amplitude_ma=`` answers every metric at any amplitude
(milliseconds), ``.../bodymap.png`` and ``.../recruitment.png`` the figures.
Roles: clinician and researcher (``models:run``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from neuraxis.perception.program import (
    DEFAULT_PULSE_WIDTH_US,
    DEFAULT_RATE_HZ,
    DEFAULT_WAVEFORM,
    MAX_AMPLITUDE_MA,
)
from neuraxis.web._render import api_json
from neuraxis.web.routes_scs_core import (
    MAX_OVERRIDE_CHARS,
    MAX_OVERRIDES,
    OPTIMISER_NOTE,
    SCENARIO_MAX_BYTES,
    UNCERTAINTY_CLI,
    bundled_scenarios,
    make_program,
    open_bundled,
    open_upload,
    state,
)
from neuraxis.web.routes_scs_results import FIGURES, figure_png, result_summary
from neuraxis.web.security import WebUser, require

router = APIRouter(tags=["scs"])
Runner = Annotated[WebUser, Depends(require("models:run"))]
Amplitude = Annotated[float | None, Query(
    description=f"Amplitude (mA, total cathodic current), in (0, {MAX_AMPLITUDE_MA:g}]; "
                "default: the program's.")]


class OpenBody(BaseModel):
    """A bundled scenario (``GET /api/scs/scenarios``) with optional overrides."""

    example: str = Field(max_length=100, description="Name of a bundled scenario, e.g. "
                                                     "scs_1x8_t8_low_back.")
    overrides: list[str] = Field(
        default_factory=list, max_length=MAX_OVERRIDES,
        description="key.path=value assignments applied before validation, as the CLI's "
                    f"--set (at most {MAX_OVERRIDES}, {MAX_OVERRIDE_CHARS} characters each), "
                    "e.g. mesh=coarse.")


class ProgramBody(BaseModel):
    """A program for the session's lead (validated by the library)."""

    contacts: dict[str, float] = Field(
        description="Contact name -> signed fraction (cathodes negative); the fractions sum "
                    "to 0 (bipolar) or -1 (monopolar), the cathodes to -1.",
        examples=[{"E3": 0.5, "E4": -1.0, "E5": 0.5}])
    amplitude_ma: float = Field(3.0, description="Total cathodic current (mA).")
    pulse_width_us: float = Field(DEFAULT_PULSE_WIDTH_US,
                                  description="Width of the leading phase (us).")
    rate_hz: float = Field(DEFAULT_RATE_HZ, description="Pulse rate (Hz).")
    waveform: str = Field(DEFAULT_WAVEFORM, max_length=20,
                          description="'biphasic' (charge-balanced) or 'mono'.")


def _job_answer(ws: Any, scenario: Any) -> Response:
    body = ws.describe(scenario)
    return api_json(body, status_code=200 if ws.ready else 202)


def _job(request: Request, user: WebUser, job_id: str, *, own: bool) -> Any:
    """A job (anyone who runs models sees it: a shared session's build is everyone's
    wait); ``own``: only its owner (to cancel it)."""
    job = state(request).job(job_id)
    if job is None or (own and job.owner != user.username):
        raise HTTPException(404, f"No job {job_id!r}" + (" of yours" if own else "")
                            + " (finished jobs are forgotten after a while)")
    return job


@router.get("/api/scs/status")
def scs_status(request: Request, user: Runner) -> Response:
    """What SCS programming offers here: bundled scenarios, the optimiser (not yet) and
    the uncertainty sweep (``POST /api/scs/sessions/{key}/uncertainty``)."""
    settings = request.app.state.ctx.settings
    return api_json({"available": True, "scenarios": len(bundled_scenarios()),
                     "optimiser": {"available": False, "message": OPTIMISER_NOTE},
                     "uncertainty": {"available": True, "max_runs": settings.sweep_max_runs,
                                     "cluster": settings.sweep_scheduler or
                                     f"local, {settings.sweep_workers} worker"
                                     + ("s" if settings.sweep_workers != 1 else ""),
                                     "command_line": UNCERTAINTY_CLI.format(
                                         scenario="SCENARIO.yaml")},
                     "scenario_max_bytes": SCENARIO_MAX_BYTES})


@router.get("/api/scs/scenarios")
def scs_scenarios(user: Runner) -> Response:
    """The bundled scenarios whose anatomy is a spine."""
    return api_json({"scenarios": bundled_scenarios()})


@router.post("/api/scs/sessions", status_code=202)
def scs_open(request: Request, user: Runner, body: OpenBody) -> Response:
    """Open a bundled scenario: 200 with the warm session, or 202 with its build job
    (field basis and fibers: seconds to minutes; poll the job)."""
    sc, origin = open_bundled(body.example, body.overrides)
    return _job_answer(state(request).open(sc, user.username, origin), sc)


@router.post("/api/scs/sessions/upload", status_code=202)
def scs_upload(request: Request, user: Runner,
               file: Annotated[UploadFile, File(description="Scenario YAML (at most "
                                                            f"{SCENARIO_MAX_BYTES} bytes).")],
               overrides: Annotated[str, Form(max_length=MAX_OVERRIDES * MAX_OVERRIDE_CHARS,
                                              description="key.path=value, one a line.")] = ""
               ) -> Response:
    """Open an uploaded scenario YAML (validated by the library: 422 with its message)."""
    data = file.file.read(SCENARIO_MAX_BYTES + 1)
    sc, origin = open_upload(file.filename or "upload.yaml", data, overrides.splitlines())
    return _job_answer(state(request).open(sc, user.username, origin), sc)


@router.get("/api/scs/sessions/{key}")
def scs_session(request: Request, user: Runner, key: str) -> Response:
    """A session: scenario, lead drawing (mm), default program, ready or its job."""
    return api_json(state(request).session(key).describe())


@router.post("/api/scs/sessions/{key}/evaluate")
def scs_evaluate(request: Request, user: Runner, key: str, body: ProgramBody) -> Response:
    """Evaluate a program: the result id, and for a new shape its job (seconds). 202
    while the job runs, 200 when the result is already known."""
    st = state(request)
    ws = st.session(key)
    program = make_program(ws, body.model_dump())
    rid, job = st.evaluate(ws, program, user.username)
    return api_json({"session_key": key, "result_id": rid, "program": program.to_dict(),
                     "job": None if job is None else job.to_dict()},
                    status_code=200 if job is None else 202)


@router.get("/api/scs/sessions/{key}/results/{rid}")
def scs_result(request: Request, user: Runner, key: str, rid: str,
               amplitude_ma: Amplitude = None) -> Response:
    """Every metric of a result at an amplitude: PT, DT, usable range and coverage with
    the fiber counts they rest on, the amplitude's warning, paresthesia, side effects,
    the recruitment curve, and the inputs."""
    st = state(request)
    ws = st.session(key)
    return api_json(result_summary(ws, rid, st.result(ws, rid, amplitude_ma)))


@router.get("/api/scs/sessions/{key}/results/{rid}/{figure}.png",
            response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "PNG figure"}})
def scs_figure(request: Request, user: Runner, key: str, rid: str, figure: str,
               amplitude_ma: Amplitude = None) -> Response:
    """``bodymap`` (front and back, pain map hatched) or ``recruitment`` at an amplitude."""
    from neuraxis._validate import check_option

    figure = check_option("figure", figure, FIGURES)
    st = state(request)
    ws = st.session(key)
    result = st.result(ws, rid, amplitude_ma)
    if figure == "bodymap":  # drawn from the felt paresthesia only: shared by amplitudes
        felt = tuple(sorted((k, round(v, 6)) for k, v in result.at().paresthesia.items()))
        cache_key = (key, rid, figure, felt)
    else:
        cache_key = (key, rid, figure, round(result.program.amplitude_ma, 6))
    png = st.figures.get(cache_key)
    if png is None:
        png = st.figures.put(cache_key, figure_png(figure, result))
    return Response(png, media_type="image/png")


@router.get("/api/scs/jobs/{job_id}")
def scs_job(request: Request, user: Runner, job_id: str) -> Response:
    """A job: state, stage, progress, result or error."""
    return api_json({"job": _job(request, user, job_id, own=False).to_dict()})


@router.post("/api/scs/jobs/{job_id}/cancel")
def scs_cancel(request: Request, user: Runner, job_id: str) -> Response:
    """Cancel a job of yours (it stops at its next progress report)."""
    job = _job(request, user, job_id, own=True)
    state(request).cancel(job.id)
    return api_json({"job": job.to_dict()})
