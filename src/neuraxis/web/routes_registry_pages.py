"""The registry's pages: patient list, timeline, visit entry (questionnaires scored
live), dashboards. They render what the functions of :mod:`neuraxis.web.routes_registry`
(the JSON API's) return, and write through the same library calls."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from neuraxis._validate import NeuraxisInputError
from neuraxis.web._render import page
from neuraxis.web.forms import item_answer, responses_mapping
from neuraxis.web.routes_registry import dashboard, patients, timeline
from neuraxis.web.security import WebUser, require

router = APIRouter(include_in_schema=False)
Reader = Annotated[WebUser, Depends(require("registry:read"))]
Writer = Annotated[WebUser, Depends(require("registry:write"))]
Runner = Annotated[WebUser, Depends(require("models:run"))]


def _specs() -> dict[str, Any]:
    from neuraxis.registry import instruments

    return {n: instruments.describe(n) for n in instruments.instrument_names()}


def _form_text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _patient_url(site: str, local_id: str) -> str:
    return f"/registry/patients/{quote(site, safe='')}/{quote(local_id, safe='')}"


@router.get("/registry")
def registry_page(request: Request, user: Reader) -> Response:
    """Patient list (pseudonymised) and, for clinicians, the add-patient form."""
    from neuraxis.registry.records import DIAGNOSES

    return page(request, "registry.html", user=user,
                patients=patients(request.app.state.ctx.engine), diagnoses=DIAGNOSES,
                message=None, form={})


@router.post("/registry/patients")
async def add_patient_form(request: Request, user: Writer) -> Response:
    """Add a patient from the form; back to the list with the message on an error."""
    from neuraxis.registry.records import DIAGNOSES, add_patient

    form = await request.form()
    site, local_id = _form_text(form, "site") or "", _form_text(form, "local_id") or ""
    year_text = _form_text(form, "birth_year")
    try:
        year: Any = int(year_text) if year_text is not None else None
    except ValueError:
        year = year_text
    try:
        add_patient(request.app.state.ctx.engine, site=site, local_id=local_id,
                    birth_year=year, consent=form.get("consent") == "on",
                    consent_date=_form_text(form, "consent_date"),
                    sex=_form_text(form, "sex"),
                    diagnoses=tuple(str(d) for d in form.getlist("diagnoses")),
                    user=user.audit_name)
    except NeuraxisInputError as exc:
        return page(request, "registry.html", status_code=422, user=user,
                    patients=patients(request.app.state.ctx.engine), diagnoses=DIAGNOSES,
                    message=str(exc), form=dict(form))
    return RedirectResponse(_patient_url(site, local_id), status_code=303)


@router.get("/registry/patients/{site}/{local_id}")
def patient_page(request: Request, user: Reader, site: str, local_id: str) -> Response:
    """One patient's timeline."""
    from neuraxis.registry.records import THERAPIES

    return page(request, "patient.html", user=user,
                t=timeline(request.app.state.ctx.engine, site, local_id),
                therapies=THERAPIES, message=None)


@router.post("/registry/patients/{site}/{local_id}/implants")
async def add_implant_form(request: Request, user: Writer, site: str, local_id: str
                           ) -> Response:
    """Record an implant from the timeline's form."""
    from neuraxis.registry.records import THERAPIES, add_implant

    form = await request.form()
    leads = tuple(x.strip() for x in (_form_text(form, "leads") or "").split(",") if x.strip())
    try:
        add_implant(request.app.state.ctx.engine, site=site, local_id=local_id,
                    therapy=_form_text(form, "therapy") or "", date=_form_text(form, "date"),
                    device=_form_text(form, "device") or "", leads=leads,
                    level=_form_text(form, "level"), catheter=_form_text(form, "catheter"),
                    user=user.audit_name)
    except NeuraxisInputError as exc:
        return page(request, "patient.html", status_code=422, user=user,
                    t=timeline(request.app.state.ctx.engine, site, local_id),
                    therapies=THERAPIES, message=str(exc))
    return RedirectResponse(_patient_url(site, local_id), status_code=303)


@router.get("/registry/patients/{site}/{local_id}/visit")
def visit_page(request: Request, user: Writer, site: str, local_id: str) -> Response:
    """Visit entry: the visit, its date and every questionnaire."""
    from neuraxis.registry.records import VISITS

    t = timeline(request.app.state.ctx.engine, site, local_id)
    return page(request, "visit.html", user=user, t=t, visits=VISITS,
                specs=list(_specs().values()), message=None, form={})


@router.post("/registry/patients/{site}/{local_id}/visit")
async def add_visit_form(request: Request, user: Writer, site: str, local_id: str
                         ) -> Response:
    """Record the visit with the questionnaires answered (each scored by the library)."""
    from neuraxis.registry.records import VISITS, add_visit

    form = await request.form()
    specs = _specs()
    try:
        add_visit(request.app.state.ctx.engine, site=site, local_id=local_id,
                  visit=_form_text(form, "visit") or "", date=_form_text(form, "date"),
                  responses=responses_mapping(form, specs), user=user.audit_name)
    except NeuraxisInputError as exc:
        t = timeline(request.app.state.ctx.engine, site, local_id)
        return page(request, "visit.html", status_code=422, user=user, t=t, visits=VISITS,
                    specs=list(specs.values()), message=str(exc), form=dict(form))
    return RedirectResponse(_patient_url(site, local_id), status_code=303)


@router.post("/registry/score/{name}")
async def score_fragment(request: Request, user: Runner, name: str) -> Response:
    """Live score of one questionnaire (htmx fragment; nothing is written)."""
    from neuraxis.registry import instruments

    form = await request.form()
    spec = instruments.describe(name)
    items = responses_mapping(form, {name: spec}).get(name, {})
    value_set = _form_text(form, f"value_set:{name}") or (
        spec.value_sets[0] if spec.value_sets else None)
    try:
        score = instruments.score(name, items, value_set=value_set).to_dict() if items \
            else None
        message = None if items else "No answers yet."
    except NeuraxisInputError as exc:
        score, message = None, str(exc)
    return page(request, "_score.html", user=user, instrument=name, score=score,
                message=message)


@router.get("/registry/dashboard")
def dashboard_page(request: Request, user: Runner, threshold_pct: str = "50",
                   region: str = "back") -> Response:
    """Responder rates by visit, device survival, complication rates, with figures."""
    threshold = item_answer("number", threshold_pct)
    if not isinstance(threshold, float):
        raise NeuraxisInputError(f"Invalid value for 'threshold_pct': expected a percentage "
                                 f"(0-100 %), got {threshold_pct!r}")
    data = dashboard(request.app.state.ctx.engine, threshold, region)
    return page(request, "dashboard.html", user=user, d=data, threshold_pct=threshold,
                region=region)
