"""The pump planner: the prescription form and its JSON API.

Every answer comes from :mod:`neuraxis.pump` as the command line's ``neuraxis pump plan``
and ``pump spread`` use it: :func:`~neuraxis.pump.prescription_from_dict` (or
:func:`~neuraxis.pump.load_prescription` for an uploaded file) ->
:func:`~neuraxis.pump.plan_prescription` -> ``plan.to_dict()``,
:func:`~neuraxis.pump.refill_calendar_ics`, :func:`~neuraxis.pump.simulate_spread` and
:func:`neuraxis.viz.pump_spread.plot_spread`. A refused prescription is an answer, not an
error page: its refusals (limit, value, unit, source) and how to override them.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.web._render import api_json, is_htmx, page
from neuraxis.web.forms import MIXTURE_ROWS, prescription_mapping
from neuraxis.web.security import WebUser, require

router = APIRouter()
Runner = Annotated[WebUser, Depends(require("models:run"))]
PRESCRIPTION_DOC = ("A prescription as in docs/pump.md (the YAML file's keys, as JSON): "
                    "pump, catheter, mixture, dose_drug, basal, bolus, refill, calendar, "
                    "overrides, ... Units are in the keys (concentration_mg_per_ml, "
                    "dose_ug_per_day, fill_volume_ml, length_cm).")
RxBody = Annotated[dict[str, Any], Body(description=PRESCRIPTION_DOC, examples=[{
    "version": 1, "pump": {"model": "synchromed_ii_40ml", "fill_date": "2025-03-03",
                           "fill_volume_ml": 40},
    "catheter": {"model": "medtronic_ascenda_8781", "length_cm": 50, "tip_level": "T10"},
    "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20}],
    "basal": {"mode": "simple", "dose_mg_per_day": 3.0}}])]


def catalogue() -> dict[str, Any]:
    """Drugs, pumps and catheters the library knows, with their display names."""
    from neuraxis.pump import (
        VERTEBRAL_LEVELS,
        catheter_names,
        drug_names,
        load_catheter,
        load_drug,
        load_pump,
        pump_names,
    )

    return {"drugs": [{"key": k, "name": load_drug(k).name} for k in drug_names()],
            "pumps": [{"key": k, "name": load_pump(k).name} for k in pump_names()],
            "catheters": [{"key": k, "name": load_catheter(k).name} for k in catheter_names()],
            "tip_levels": list(VERTEBRAL_LEVELS)}


def plan_or_refusal(mapping: dict[str, Any]) -> tuple[int, dict[str, Any], Any]:
    """(status, JSON record, plan or None): 200 with ``plan.to_dict()``, or 422 with the
    refusal's ``to_dict()`` (status 'refused'). Invalid input raises."""
    from neuraxis.pump import PrescriptionRefusedError, plan_prescription, prescription_from_dict

    rx = prescription_from_dict(mapping)
    try:
        plan = plan_prescription(rx)
    except PrescriptionRefusedError as exc:
        return 422, exc.to_dict(), None
    return 200, plan.to_dict(), plan


def _plan(mapping: dict[str, Any]) -> Any:
    from neuraxis.pump import plan_prescription, prescription_from_dict

    return plan_prescription(prescription_from_dict(mapping))


def spread_figures(plan: Any, hours: float, fmt: str, drug: str | None = None
                   ) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(drug, figure bytes, result dict) per drug of the mixture (or only ``drug``)."""
    from neuraxis.pump.spread import simulate_spread
    from neuraxis.viz.pump_spread import plot_spread

    hours = float(check_range("hours", hours, 0.5, 720.0, "h"))
    check_option("format", fmt, ("png", "svg"))
    rx = plan.prescription
    drugs = [c.drug for c in rx.mixture]
    if drug is not None:
        drugs = [check_option("drug", drug, drugs)]
    out = []
    with tempfile.TemporaryDirectory(prefix="neuraxis-web-") as tmp:
        for d in drugs:
            res = simulate_spread(tip_level=rx.catheter.tip_level, drug=d, duration_h=hours,
                                  dose_mg_per_day=plan.dose_per_drug_mg_per_day[d],
                                  flow_ml_per_day=plan.daily_volume_ml)
            path = plot_spread(res, Path(tmp) / f"spread_{d}.{fmt}")
            out.append((d, path.read_bytes(), res.to_dict()))
    return out


def _ics_response(plan: Any) -> Response:
    from neuraxis.pump import refill_calendar_ics

    who = plan.prescription.patient_id or "prescription"
    name = "".join(ch for ch in f"refills_{who}" if ch.isalnum() or ch in "_-")[:60]
    return Response(refill_calendar_ics(plan), media_type="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{name}.ics"'})


# --------------------------------------------------------------------------- JSON API

@router.get("/api/pump/catalogue", tags=["pump"])
def api_catalogue(user: Runner) -> Response:
    """The drugs, pumps, catheters and catheter tip levels a prescription may name."""
    return api_json(catalogue())


@router.post("/api/pump/plan", tags=["pump"], responses={
    422: {"description": "Invalid prescription (message names the field and unit), or "
                         "refused by a safety check (status 'refused', its refusals with "
                         "limit, value, unit and source; overrides with a reason lift an "
                         "overridable one)."}})
def api_plan(user: Runner, prescription: RxBody) -> Response:
    """Plan a prescription: daily volume, dose per drug, alarm and refill dates, refill
    volume, calendar, warnings and overrides (``neuraxis pump plan --json``)."""
    status, record, _ = plan_or_refusal(prescription)
    return api_json(record, status_code=status)


@router.post("/api/pump/refills.ics", tags=["pump"],
             responses={200: {"content": {"text/calendar": {}}}})
def api_ics(user: Runner, prescription: RxBody) -> Response:
    """The refill calendar as an iCalendar file (``neuraxis pump plan --ics``)."""
    return _ics_response(_plan(prescription))


@router.post("/api/pump/spread", tags=["pump"],
             responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}})
def api_spread(user: Runner, prescription: RxBody,
               drug: Annotated[str | None, Query(max_length=32, description=
                               "Drug of the mixture (default: the first).")] = None,
               hours: Annotated[float, Query(description="Hours of infusion (0.5-720 h).")
                                ] = 24.0,
               fmt: Annotated[str, Query(alias="format", description="png or svg.")] = "png"
               ) -> Response:
    """The spread figure of one drug (``neuraxis pump spread``): concentration along the
    canal over time from the catheter tip."""
    plan = _plan(prescription)
    figs = spread_figures(plan, hours, fmt, drug or plan.prescription.mixture[0].drug)
    media = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(figs[0][1], media_type=media)


@router.post("/api/pump/plan-file", tags=["pump"], responses={
    413: {"description": "File larger than the server's max_upload_bytes."}})
async def api_plan_file(user: Runner, file: Annotated[UploadFile, File(
        description="A prescription YAML file (docs/pump.md).")]) -> Response:
    """Plan an uploaded prescription YAML file, read by the same function as the command
    line (:func:`neuraxis.pump.load_prescription`)."""
    status, record = plan_file(await file.read())
    return api_json(record, status_code=status)


def plan_file(data: bytes) -> tuple[int, dict[str, Any]]:
    """Plan an uploaded file's bytes with :func:`neuraxis.pump.load_prescription`:
    (200, plan) or (422, refusal); invalid input raises (the temporary path is not
    shown)."""
    from neuraxis.pump import PrescriptionRefusedError, load_prescription, plan_prescription

    with tempfile.TemporaryDirectory(prefix="neuraxis-web-") as tmp:
        path = Path(tmp) / "prescription.yaml"
        path.write_bytes(data)
        try:
            rx = load_prescription(path)
        except NeuraxisInputError as exc:
            raise NeuraxisInputError(str(exc).replace(str(path), "(uploaded file)")) from None
    try:
        return 200, plan_prescription(rx).to_dict()
    except PrescriptionRefusedError as exc:
        return 422, exc.to_dict()


# --------------------------------------------------------------------------- pages

@router.get("/pump", include_in_schema=False)
def pump_page(request: Request, user: Runner) -> Response:
    """The prescription form."""
    return page(request, "pump.html", user=user, catalogue=catalogue(),
                rows=range(1, MIXTURE_ROWS + 1), result=None)


def _result_page(request: Request, user: WebUser, record: dict[str, Any],
                 overrides: list[dict[str, Any]]) -> Response:
    context = {"result": record, "overrides_sent": overrides}
    if is_htmx(request):
        return page(request, "_pump_result.html", user=user, **context)
    return page(request, "pump.html", user=user, catalogue=catalogue(),
                rows=range(1, MIXTURE_ROWS + 1), **context)


@router.post("/pump/plan", include_in_schema=False)
async def pump_plan_form(request: Request, user: Runner) -> Response:
    """The form's plan (a fragment for htmx, the whole page otherwise)."""
    mapping = prescription_mapping(await request.form())
    _, record, _ = plan_or_refusal(mapping)
    return _result_page(request, user, record, mapping.get("overrides", []))


@router.post("/pump/refills.ics", include_in_schema=False)
async def pump_ics_form(request: Request, user: Runner) -> Response:
    """The form's refill calendar, downloaded."""
    return _ics_response(_plan(prescription_mapping(await request.form())))


@router.post("/pump/spread", include_in_schema=False)
async def pump_spread_form(request: Request, user: Runner) -> Response:
    """The spread figure of every drug of the form's mixture (a fragment)."""
    form = await request.form()
    hours = form.get("spread_hours") or "24"
    try:
        hours_h = float(str(hours))
    except ValueError:
        raise NeuraxisInputError(f"Invalid value for 'spread_hours': expected hours "
                                 f"(0.5-720 h), got {hours!r}") from None
    figs = spread_figures(_plan(prescription_mapping(form)), hours_h, "png")
    shown = [{"drug": d, "src": "data:image/png;base64," + base64.b64encode(b).decode(),
              "result": r} for d, b, r in figs]
    return page(request, "_pump_spread.html", user=user, figures=shown, hours=hours_h)


@router.post("/pump/upload", include_in_schema=False)
async def pump_upload_form(request: Request, user: Runner) -> Response:
    """An uploaded prescription file's plan (a fragment)."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise NeuraxisInputError("Invalid value for 'file': choose a prescription YAML file")
    _, record = plan_file(await upload.read())
    return _result_page(request, user, record, [])
