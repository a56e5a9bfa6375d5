"""The registry's JSON API, over the functions ``neuraxis registry`` uses.

Reads: :func:`neuraxis.registry.export.read_registry` (pseudonymised rows, every
response scored by its stored scorer version). Writes: :mod:`neuraxis.registry.records`
and :mod:`neuraxis.registry.clinical`, each one transaction with an audit entry under
``web:<user name>``. Scores: :func:`neuraxis.registry.instruments.score`. Dashboards:
:func:`~neuraxis.registry.frames.registry_tables` and the analyses of
:mod:`neuraxis.registry.analysis`; figures from :mod:`neuraxis.viz.registry`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.web._render import api_json
from neuraxis.web.security import WebUser, require

router = APIRouter(tags=["registry"])
Reader = Annotated[WebUser, Depends(require("registry:read"))]
Writer = Annotated[WebUser, Depends(require("registry:write"))]
Runner = Annotated[WebUser, Depends(require("models:run"))]
Site = Annotated[str, PathParam(max_length=32, description="Site code.")]
LocalId = Annotated[str, PathParam(max_length=32, description="Site-local pseudonym.")]


class PatientIn(BaseModel):
    """A pseudonymised patient (no names, no dates of birth)."""

    site: str = Field(max_length=32, description="Site code.")
    local_id: str = Field(max_length=32, description="Site-local pseudonym.")
    birth_year: int = Field(description="Year of birth only (1900-this year).")
    consent: bool = Field(description="Registry consent recorded (must be true).")
    consent_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD.")
    sex: str | None = Field(None, max_length=16, description="female, male or other.")
    diagnoses: list[str] = Field(default_factory=list, max_length=20,
                                 description="Diagnosis codes: FBSS, CRPS1, CRPS2, PDN, ...")


class ImplantIn(BaseModel):
    """An implant: SCS (IPG, leads, level) or intrathecal pump (pump, catheter, tip)."""

    therapy: str = Field(max_length=8, description="scs or itdd.")
    date: str = Field(max_length=10, description="Implant date, YYYY-MM-DD.")
    device: str = Field(max_length=64, description="IPG model (scs) or pump (itdd).")
    leads: list[str] = Field(default_factory=list, max_length=8, description="Lead models.")
    level: str | None = Field(None, max_length=8, description="Tip level, e.g. T8.")
    catheter: str | None = Field(None, max_length=64, description="Catheter model (itdd).")


class VisitIn(BaseModel):
    """A visit with the raw answers of its questionnaires (scored on the way in)."""

    visit: str = Field(max_length=16, description="baseline, m1, m3, m6, m12, m18 or m24.")
    date: str = Field(max_length=10, description="Visit date, YYYY-MM-DD.")
    responses: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Instrument -> {item id: answer code}, e.g. "
                                          "{'odi': {'q1': 2, ...}} (GET "
                                          "/api/registry/instruments lists the items).")


class TrialIn(BaseModel):
    """A therapy trial; success judged by the stated rule."""

    therapy: str = Field(max_length=8, description="scs or itdd.")
    start: str = Field(max_length=10, description="Trial start, YYYY-MM-DD.")
    end: str = Field(max_length=10, description="Trial end, YYYY-MM-DD.")
    relief_pct: float | None = Field(None, description="Pain relief at the end (%).")
    overlap_pct: float | None = Field(None, description="Paresthesia overlap of the pain "
                                                        "(%).")
    analgesics: str | None = Field(None, max_length=32,
                                   description="stopped, decreased, unchanged or increased.")
    satisfaction: int | None = Field(None, description="Patient satisfaction, 1-5.")
    rule: str = Field("relief>=50%", max_length=64, description="Success rule.")


class ComplicationIn(BaseModel):
    """A complication (2019 RAPM taxonomy)."""

    onset: str = Field(max_length=10, description="Onset date, YYYY-MM-DD.")
    category: str = Field(max_length=32, description="2019 RAPM category.")
    relation: str = Field(max_length=32, description="not_related, possible, probable or "
                                                     "causal.")
    serious: bool = Field(False, description="Serious adverse event.")
    subtype: str | None = Field(None, max_length=32, description="Category subtype.")
    description: str = Field("", max_length=200, description="Short text (no names).")
    resolved: str | None = Field(None, max_length=10, description="Resolution date.")
    implant_id: int | None = Field(None, description="The implant concerned.")


class ScoreIn(BaseModel):
    """Answers to score (nothing is written)."""

    items: dict[str, Any] = Field(description="Item id -> answer code.")
    value_set: str | None = Field(None, max_length=16,
                                  description="EQ-5D-5L only: england or us.")


# --------------------------------------------------------------------------- reads

def patients(engine: Any, site: str | None = None) -> list[dict[str, Any]]:
    """The pseudonymised patient rows (site, pseudonym, year of birth, sex, diagnoses;
    :func:`neuraxis.registry.timeline.list_patients`, nothing scored)."""
    from neuraxis.registry.timeline import list_patients

    return list_patients(engine, site=site)


def timeline(engine: Any, site: str, local_id: str) -> dict[str, Any]:
    """One patient's rows (:func:`neuraxis.registry.timeline.patient_timeline`): trials,
    implants with their programs, visits with their scores, complications, revisions."""
    from neuraxis.registry.records import check_patient_ref
    from neuraxis.registry.timeline import patient_timeline

    ref = check_patient_ref(site, local_id)
    try:
        return patient_timeline(engine, ref.site, ref.local_id)
    except NeuraxisInputError:  # no such patient (or site)
        raise HTTPException(404, f"Not found: no patient {ref.local_id!r} at site "
                                 f"{ref.site!r}") from None


def dashboard(engine: Any, threshold_pct: float, region: str) -> dict[str, Any]:
    """Responder rates by visit, device survival and complication rates, each from its
    library analysis; an analysis that cannot run says why (``not_available``)."""
    from neuraxis.registry import analysis
    from neuraxis.registry.frames import registry_tables

    t = registry_tables(engine)
    out: dict[str, Any] = {"n_patients_with_visits": int(t.visits["patient_id"].nunique())
                           if len(t.visits) else 0, "not_available": {}}
    runs = {"responders": lambda: analysis.responder_rates(
                t.visits, threshold_pct=threshold_pct, region=region),
            "survival": lambda: analysis.kaplan_meier(t.implants),
            "complications": lambda: analysis.complication_rates(t.complications,
                                                                 t.followup)}
    for name, run in runs.items():
        try:
            out[name] = run().to_dict()
        except NeuraxisInputError as exc:
            out[name] = None
            out["not_available"][name] = str(exc)
    return out


def figure(engine: Any, name: str, threshold_pct: float, region: str) -> bytes:
    """PNG of the responder rates or the device survival (:mod:`neuraxis.viz.registry`)."""
    from neuraxis.registry import analysis
    from neuraxis.registry.frames import registry_tables
    from neuraxis.viz.registry import plot_responders, plot_survival

    check_option("figure", name, ("responders", "survival"))
    t = registry_tables(engine)
    with tempfile.TemporaryDirectory(prefix="neuraxis-web-") as tmp:
        path = Path(tmp) / f"{name}.png"
        if name == "responders":
            plot_responders(analysis.responder_rates(t.visits, threshold_pct=threshold_pct,
                                                     region=region), path)
        else:
            plot_survival(analysis.kaplan_meier(t.implants), path)
        return path.read_bytes()


# --------------------------------------------------------------------------- API

@router.get("/api/registry/patients")
def api_patients(request: Request, user: Reader, site: Annotated[str | None, Query(
        max_length=32, description="Only this site.")] = None) -> Response:
    """Patients, pseudonymised: site, pseudonym, year of birth, sex, diagnoses."""
    return api_json({"patients": patients(request.app.state.ctx.engine, site)})


@router.post("/api/registry/patients", status_code=201)
def api_add_patient(request: Request, user: Writer, body: PatientIn) -> Response:
    """Add a patient (``neuraxis registry add-patient``); audit-logged as web:USER."""
    from neuraxis.registry.records import add_patient

    pid = add_patient(request.app.state.ctx.engine, site=body.site, local_id=body.local_id,
                      birth_year=body.birth_year, consent=body.consent,
                      consent_date=body.consent_date, sex=body.sex,
                      diagnoses=tuple(body.diagnoses), user=user.audit_name)
    return api_json({"patient_id": pid, "site": body.site, "local_id": body.local_id}, 201)


@router.get("/api/registry/patients/{site}/{local_id}")
def api_timeline(request: Request, user: Reader, site: Site, local_id: LocalId) -> Response:
    """One patient's timeline: trials, implants with their programs, visits with scores,
    complications, revisions."""
    return api_json(timeline(request.app.state.ctx.engine, site, local_id))


@router.post("/api/registry/patients/{site}/{local_id}/implants", status_code=201)
def api_add_implant(request: Request, user: Writer, site: Site, local_id: LocalId,
                    body: ImplantIn) -> Response:
    """Record an implant (``neuraxis registry add-implant``)."""
    from neuraxis.registry.records import add_implant

    iid = add_implant(request.app.state.ctx.engine, site=site, local_id=local_id,
                      therapy=body.therapy, date=body.date, device=body.device,
                      leads=tuple(body.leads), level=body.level, catheter=body.catheter,
                      user=user.audit_name)
    return api_json({"implant_id": iid}, 201)


@router.post("/api/registry/patients/{site}/{local_id}/visits", status_code=201)
def api_add_visit(request: Request, user: Writer, site: Site, local_id: LocalId,
                  body: VisitIn) -> Response:
    """Record a visit with its questionnaires (``neuraxis registry add-visit``)."""
    from neuraxis.registry.records import add_visit

    vid = add_visit(request.app.state.ctx.engine, site=site, local_id=local_id,
                    visit=body.visit, date=body.date, responses=body.responses,
                    user=user.audit_name)
    return api_json({"visit_id": vid, "visit": body.visit}, 201)


@router.post("/api/registry/patients/{site}/{local_id}/trials", status_code=201)
def api_add_trial(request: Request, user: Writer, site: Site, local_id: LocalId,
                  body: TrialIn) -> Response:
    """Record a trial and judge its success (``neuraxis registry add-trial``)."""
    from neuraxis.registry import clinical, nacc

    tid = clinical.add_trial(
        request.app.state.ctx.engine, site=site, local_id=local_id, therapy=body.therapy,
        start_date=body.start, end_date=body.end, percent_relief=body.relief_pct,
        paresthesia_overlap_pct=body.overlap_pct, analgesic_change=body.analgesics,
        satisfaction=body.satisfaction, success_rule=body.rule, user=user.audit_name)
    verdict = nacc.trial_success(body.relief_pct, rule=body.rule,
                                 paresthesia_overlap_pct=body.overlap_pct,
                                 analgesic_change=body.analgesics,
                                 satisfaction=body.satisfaction, therapy=body.therapy)
    return api_json({"trial_id": tid, **verdict.to_dict()}, 201)


@router.post("/api/registry/patients/{site}/{local_id}/complications", status_code=201)
def api_add_complication(request: Request, user: Writer, site: Site, local_id: LocalId,
                         body: ComplicationIn) -> Response:
    """Record a complication (``neuraxis registry add-complication``)."""
    from neuraxis.registry import clinical

    cid = clinical.add_complication(
        request.app.state.ctx.engine, site=site, local_id=local_id, onset_date=body.onset,
        category=body.category, serious=body.serious, relation=body.relation,
        description=body.description, resolved_date=body.resolved,
        implant_id=body.implant_id, subtype=body.subtype, user=user.audit_name)
    return api_json({"complication_id": cid}, 201)


@router.get("/api/registry/instruments")
def api_instruments(user: Runner) -> Response:
    """The questionnaires: items (ids, ranges, units, options), scales, rules, sources."""
    from neuraxis.registry import instruments

    return api_json({"instruments": [instruments.describe(n).to_dict()
                                     for n in instruments.instrument_names()]})


@router.post("/api/registry/instruments/{name}/score")
def api_score(user: Runner, body: ScoreIn, name: Annotated[str, PathParam(
        max_length=32, description="Instrument, e.g. odi.")]) -> Response:
    """Score answers with the library's scorer (nothing is written)."""
    from neuraxis.registry import instruments

    return api_json(instruments.score(name, body.items, value_set=body.value_set).to_dict())


Threshold = Annotated[float, Query(ge=0, le=100, description="Responder threshold: % pain "
                                                             "reduction from baseline.")]
Region = Annotated[str, Query(max_length=16, description="back, leg or overall.")]


@router.get("/api/registry/dashboard")
def api_dashboard(request: Request, user: Runner, threshold_pct: Threshold = 50.0,
                  region: Region = "back") -> Response:
    """Responder rates by visit, device survival (Kaplan-Meier) and complication rates per
    100 patient-years, from the library's analyses."""
    return api_json(dashboard(request.app.state.ctx.engine, threshold_pct, region))


@router.get("/api/registry/figures/{name}.png",
            responses={200: {"content": {"image/png": {}}}})
def api_figure(request: Request, user: Runner, name: Annotated[str, PathParam(
        max_length=16, description="responders or survival.")],
        threshold_pct: Threshold = 50.0, region: Region = "back") -> Response:
    """The dashboard's figures as PNG."""
    return Response(figure(request.app.state.ctx.engine, name, threshold_pct, region),
                    media_type="image/png")
