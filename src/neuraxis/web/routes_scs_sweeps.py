"""The uncertainty sweep on the SCS page and in the JSON API (:mod:`neuraxis.web.sweeps`).

API: ``POST /api/scs/sessions/{key}/uncertainty`` with the program and the sweep's options
answers 202 with the sweep's id and its job (poll ``GET /api/scs/jobs/{id}``, cancel with
``POST /api/scs/jobs/{id}/cancel``), or 200 when that sweep has already finished; ``GET
/api/scs/uncertainty`` lists your sweeps, ``GET /api/scs/uncertainty/{id}`` answers one
(``uncertainty.json`` once finished) and ``.../files/{name}`` its tables and figures;
``DELETE /api/scs/uncertainty/{id}`` deletes it.

Page: the workspace's sweep form posts to ``/scs/sweeps`` (htmx; ``scs.js`` adds the program
on the page), which answers the job's progress fragment; ``/scs/sweeps`` lists your sweeps
(each with a Delete button) and ``/scs/sweeps/{id}`` shows one: medians and 90 % intervals,
Sobol' indices, the figures, the inputs with their sources, the failures. Roles:
``models:run``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from neuraxis._validate import NeuraxisInputError
from neuraxis.web._render import api_json, page
from neuraxis.web.routes_scs_api import ProgramBody
from neuraxis.web.routes_scs_core import POLL_S, make_program, state
from neuraxis.web.security import WebUser, require
from neuraxis.web.sweeps import (
    N_CHOICES,
    OUTPUT_LABELS,
    SweepRequest,
    SweepStore,
    delete,
    start,
)

router = APIRouter()
Runner = Annotated[WebUser, Depends(require("models:run"))]
SweepId = Annotated[str, Field(max_length=40)]


class SweepBody(BaseModel):
    """An uncertainty sweep of a program on a warm session."""

    program: ProgramBody = Field(description="The program (as for .../evaluate); its "
                                             "amplitude is the coverage output's.")
    n_base: int = Field(1, description="Base sample count N; the sweep runs N x (inputs + "
                                       "2) models (a power of 2 keeps the design balanced).")
    inputs: list[str] | None = Field(
        None, max_length=40, description="Inputs to sample, e.g. ['sigma_csf', 'dcsf'] "
                                         "(default: every input that applies).")
    mesh: str = Field("coarse", max_length=20, description="Mesh preset of every sample: "
                                                          "coarse, default or fine.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the Sobol' sequence.")
    source: str | None = Field(
        None, max_length=200, description="The scenario as the session was opened "
                                          "(its scenario.source: examples/NAME.yaml or "
                                          "upload:NAME.yaml); default: the first opening.")


def _store(request: Request) -> SweepStore:
    return SweepStore(request.app.state.ctx.settings.sweeps_dir)


def _start(request: Request, user: WebUser, key: str, program_body: dict[str, Any],
           req: SweepRequest, source: str | None) -> tuple[str, Any]:
    st = state(request)
    ws = st.session(key)
    if not ws.ready:
        raise NeuraxisInputError("Invalid request: the session is still being built; wait "
                                 "for its job to finish")
    program = make_program(ws, program_body)
    return start(st, ws, program, req, user.username, request.app.state.ctx.settings,
                 source)


@router.post("/api/scs/sessions/{key}/uncertainty", status_code=202, tags=["scs"])
def api_sweep(request: Request, user: Runner, key: str, body: SweepBody) -> Response:
    """Start the uncertainty sweep of a program (the library's Sobol' design over the
    published input ranges, on Dask): 202 with its job, 200 when it has finished."""
    req = SweepRequest(body.n_base, None if body.inputs is None else tuple(body.inputs),
                       body.mesh, body.seed)
    sid, job = _start(request, user, key, body.program.model_dump(), req, body.source)
    return api_json({"sweep_id": sid, "job": None if job is None else job.to_dict(),
                     "finished": job is None}, status_code=202 if job else 200)


@router.get("/api/scs/uncertainty", tags=["scs"])
def api_sweeps(request: Request, user: Runner) -> Response:
    """Your uncertainty sweeps (newest first): options, state, samples computed."""
    return api_json({"sweeps": _store(request).list(user.username)})


@router.get("/api/scs/uncertainty/{sweep_id}", tags=["scs"])
def api_sweep_result(request: Request, user: Runner, sweep_id: str) -> Response:
    """One sweep: its options and state; once finished, ``uncertainty.json`` (medians,
    90 % intervals, Sobol' indices, coverage maps, failures, provenance)."""
    store = _store(request)
    meta = store.meta(sweep_id, user.username)
    if not meta["finished"]:
        return api_json({"sweep_id": sweep_id, "meta": meta, "finished": False})
    return api_json({**store.result(sweep_id, user.username), "finished": True})


@router.get("/api/scs/uncertainty/{sweep_id}/files/{name}", tags=["scs"],
            response_class=Response,
            responses={200: {"content": {"image/png": {}, "text/csv": {}},
                             "description": "A table or figure of the sweep"}})
def api_sweep_file(request: Request, user: Runner, sweep_id: str, name: str) -> Response:
    """A file of a finished sweep: uncertainty_summary.csv, uncertainty_sobol.csv,
    uncertainty.md, uncertainty.json, uncertainty.png, body_map_p05/p50/p95.png."""
    path, media = _store(request).file(sweep_id, user.username, name)
    return FileResponse(path, media_type=media, filename=path.name,
                        content_disposition_type="inline" if media == "image/png"
                        else "attachment")


@router.delete("/api/scs/uncertainty/{sweep_id}", tags=["scs"])
def api_sweep_delete(request: Request, user: Runner, sweep_id: str) -> Response:
    """Delete one of your sweeps and its files (refused while it runs)."""
    meta = delete(state(request), _store(request), sweep_id, user.username)
    return api_json({"deleted": sweep_id, "meta": meta})


# ------------------------------------------------------------------ pages
@router.post("/scs/sweeps", include_in_schema=False)
def page_sweep(request: Request, user: Runner,
               session: Annotated[str, Form(max_length=40)],
               program: Annotated[str, Form(max_length=4000)] = "",
               n_base: Annotated[int, Form()] = 1,
               inputs: Annotated[list[str] | None, Form(max_length=40)] = None,
               mesh: Annotated[str, Form(max_length=20)] = "coarse",
               source: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The workspace's sweep form: the job's progress fragment (or the finished sweep)."""
    try:
        body = json.loads(program)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise NeuraxisInputError("Invalid value for 'program': set a program on the lead "
                                 "first")
    if not inputs:
        raise NeuraxisInputError("Invalid value for 'inputs': choose at least one input")
    sid, job = _start(request, user, session, body,
                      SweepRequest(n_base, tuple(inputs), mesh, 0), source or None)
    if job is None:
        return sweep_view(request, user, sid, fragment=True)
    return page(request, "_scs_job.html", user=user, job=job, poll_s=POLL_S)


def sweep_view(request: Request, user: WebUser, sid: str, *, fragment: bool) -> Response:
    store = _store(request)
    meta = store.meta(sid, user.username)
    result = store.result(sid, user.username) if meta["finished"] else None
    return page(request, "_scs_sweep.html" if fragment else "scs_sweep.html", user=user,
                meta=meta, result=result, labels=OUTPUT_LABELS)


@router.get("/scs/sweeps", include_in_schema=False)
def page_sweeps(request: Request, user: Runner,
                deleted: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Your uncertainty sweeps."""
    st = state(request)
    running = {sid for sid, job in st.sweeps_running.items() if not job.final}
    return page(request, "scs_sweeps.html", user=user, running=running,
                sweeps=_store(request).list(user.username), deleted=deleted)


@router.post("/scs/sweeps/{sweep_id}/delete", include_in_schema=False)
def page_sweep_delete(request: Request, user: Runner, sweep_id: str) -> Response:
    """The list's Delete button: delete the sweep, then back to the list (303)."""
    from fastapi.responses import RedirectResponse

    delete(state(request), _store(request), sweep_id, user.username)
    return RedirectResponse(f"/scs/sweeps?deleted={sweep_id}", status_code=303)


@router.get("/scs/sweeps/{sweep_id}", include_in_schema=False)
def pagesweep_view(request: Request, user: Runner, sweep_id: str) -> Response:
    """One sweep: its outputs once finished, else how far it got."""
    return sweep_view(request, user, sweep_id, fragment=False)


def sweep_form_context(ws: Any) -> dict[str, Any]:
    """What the workspace's sweep form offers for the session's scenario."""
    from neuraxis.web.sweeps import applicable_inputs

    try:
        inputs, notes = applicable_inputs(ws.scenario)
    except NeuraxisInputError as exc:  # e.g. a scenario the sweep cannot vary
        inputs, notes = [], [str(exc)]
    return {"sweep_inputs": inputs, "sweep_notes": notes, "sweep_n_choices": N_CHOICES}
