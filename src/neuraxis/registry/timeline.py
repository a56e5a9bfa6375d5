"""Reads for one patient and for a patient list, without scoring a whole site.

:func:`patient_timeline` gathers one patient's trials, implants with their programs,
visits with their scored responses, complications and revisions in one transaction;
:func:`list_patients` returns the pseudonymised patient rows only. Both read the same
tables as :func:`neuraxis.registry.export.read_registry` (which exports a whole site)
and share its row formats, so a page and an export agree.
"""

from __future__ import annotations

from typing import Any


def _iso(day: Any) -> str:
    return day.isoformat() if day is not None else ""


def list_patients(engine: Any, *, site: str | None = None) -> list[dict[str, Any]]:
    """Pseudonymised patient rows (site, pseudonym, birth year, sex, consent, synthetic,
    diagnoses), sorted by site and pseudonym; nothing is scored.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    site : str, optional
        One site's patients; an unknown site code is refused with the known ones.
    """
    from sqlalchemy import select

    from neuraxis.registry import models as m
    from neuraxis.registry.db import check_schema, transaction
    from neuraxis.registry.export import _check_site

    check_schema(engine)
    with transaction(engine, "list patients") as s:
        site = _check_site(site, tuple(sorted(s.scalars(select(m.Site.code)))))
        q = select(m.Patient, m.Site.code).join(m.Site)
        if site is not None:
            q = q.where(m.Site.code == site)
        rows = sorted(s.execute(q).all(), key=lambda r: (r[1], r[0].local_id))
        diag: dict[int, list[str]] = {}
        for pid, code in s.execute(select(m.Diagnosis.patient_id, m.Diagnosis.code)):
            diag.setdefault(pid, []).append(code)
        return [_patient_row(p, code, diag.get(p.id, [])) for p, code in rows]


def _patient_row(p: Any, code: str, diagnoses: list[str]) -> dict[str, Any]:
    return {"site": code, "local_id": p.local_id, "birth_year": p.birth_year,
            "sex": p.sex or "", "consent": bool(p.consent),
            "consent_date": _iso(p.consent_date), "synthetic": bool(p.synthetic),
            "diagnoses": sorted(diagnoses)}


def patient_timeline(engine: Any, site: str, local_id: str) -> dict[str, Any]:
    """Everything recorded for one patient, each list in date order.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    site, local_id : str
        The patient's pseudonymous key.

    Returns
    -------
    dict
        ``patient`` (as :func:`list_patients`), ``trials`` (therapy, start/end dates,
        relief %, paresthesia overlap %, analgesic change, satisfaction, success rule and
        outcome), ``implants`` (therapy, date, device, level, catheter, leads, and their
        ``programs``: date, kind, reference, settings), ``visits`` (visit, date, in window,
        and their ``scores``: rows of :class:`neuraxis.registry.export.ScoreRow`),
        ``complications`` and ``revisions`` (as the export's rows).

    Raises
    ------
    NeuraxisInputError
        A bad key, or no such patient.
    """
    from sqlalchemy import select

    from neuraxis.registry import models as m
    from neuraxis.registry.db import check_schema, transaction
    from neuraxis.registry.export import score_response
    from neuraxis.registry.records import VISITS, _patient, check_patient_ref

    ref = check_patient_ref(site, local_id)
    check_schema(engine)
    with transaction(engine, "timeline") as s:
        p = _patient(s, ref)
        key = {"site": ref.site, "local_id": ref.local_id}
        diagnoses = list(s.scalars(select(m.Diagnosis.code).where(m.Diagnosis.patient_id
                                                                   == p.id)))
        trials = [{**key, "therapy": t.therapy, "start_date": _iso(t.start_date),
                   "end_date": _iso(t.end_date), "percent_relief": t.percent_relief,
                   "paresthesia_overlap_pct": t.paresthesia_overlap_pct,
                   "analgesic_change": t.analgesic_change or "",
                   "satisfaction": t.satisfaction, "success_rule": t.success_rule,
                   "success": t.success}
                  for t in sorted(s.scalars(select(m.Trial).where(m.Trial.patient_id == p.id)),
                                  key=lambda t: (t.start_date, t.id))]
        imps = sorted(s.scalars(select(m.Implant).where(m.Implant.patient_id == p.id)),
                      key=lambda i: (i.date, i.id))
        imp = {i.id: i for i in imps}
        programs: dict[int, list[dict[str, Any]]] = {}
        if imp:
            for pr in sorted(s.scalars(select(m.Program).where(m.Program.implant_id.in_(imp))),
                             key=lambda r: (r.date, r.id)):
                programs.setdefault(pr.implant_id, []).append(
                    {"date": _iso(pr.date), "kind": pr.kind, "reference": pr.reference,
                     "settings": dict(pr.settings or {})})
        implants = [{**key, "therapy": i.therapy, "date": _iso(i.date),
                     "device": i.device or "", "level": i.level or "",
                     "catheter": i.catheter or "", "leads": [str(x) for x in (i.leads or ())],
                     "programs": programs.get(i.id, [])} for i in imps]
        order = {v: k for k, v in enumerate(VISITS)}
        vis = sorted(s.scalars(select(m.Visit).where(m.Visit.patient_id == p.id)),
                     key=lambda v: (order.get(v.visit, 99), v.date))
        by_visit = {v.id: v for v in vis}
        resp: dict[int, list[Any]] = {}
        if by_visit:
            for r in s.scalars(select(m.Response).where(m.Response.visit_id.in_(by_visit))):
                resp.setdefault(r.visit_id, []).append(r)
        visits = []
        for v in vis:
            scores = [row.to_dict() for r in sorted(resp.get(v.id, []),
                                                    key=lambda r: r.instrument)
                      for row in score_response(
                          {**key, "visit": v.visit, "visit_date": _iso(v.date),
                           "instrument": r.instrument, "scorer_version": r.version,
                           "items": dict(r.items)})]
            visits.append({**key, "visit": v.visit, "date": _iso(v.date),
                           "in_window": bool(v.in_window), "scores": scores})
        complications = [
            {**key, "implant_date": _iso(imp[c.implant_id].date) if c.implant_id in imp
             else "", "onset_date": _iso(c.onset_date), "resolved_date": _iso(c.resolved_date),
             "category": c.category, "description": c.description or "",
             "serious": bool(c.serious), "relation": c.relation}
            for c in sorted(s.scalars(select(m.Complication).where(
                m.Complication.patient_id == p.id)), key=lambda c: (c.onset_date, c.id))]
        revisions = []
        if imp:
            revisions = [{**key, "implant_date": _iso(imp[r.implant_id].date),
                          "therapy": imp[r.implant_id].therapy, "date": _iso(r.date),
                          "kind": r.kind, "reason": r.reason}
                         for r in sorted(s.scalars(select(m.Revision).where(
                             m.Revision.implant_id.in_(imp))), key=lambda r: (r.date, r.id))]
        return {"patient": _patient_row(p, ref.site, diagnoses), "trials": trials,
                "implants": implants, "visits": visits, "complications": complications,
                "revisions": revisions}


__all__ = ["list_patients", "patient_timeline"]
