"""Writing screenings, trials, complications and revisions, validated at the boundary, one
transaction each.

Like :mod:`neuraxis.registry.records`: every function takes an engine from
:func:`neuraxis.registry.db.connect`, checks its inputs before touching the database (one
clear message naming the field, the allowed values and the unit), writes in one
transaction with an audit entry, and returns the new row's id.

- :func:`add_screening`: the selection checklist (indications, contraindications,
  psychological evaluation), read by :func:`neuraxis.registry.nacc.evaluate_screening`
  (a decision aid); its status is stored with the screening.
- :func:`add_trial`: a trial and its success under a stated rule
  (:func:`neuraxis.registry.nacc.trial_success`; 50 % relief by default).
- :func:`add_complication`: a complication in a category (and optional subtype) of the
  2019 RAPM classification of SCS complications (``neuraxis/data/
  complication_taxonomy.yaml``), its seriousness and relation to the device or procedure.
- :func:`add_revision`: a revision or explant of an implant, with a reason from a list.

Refused: dates in the future, an end before its start, a complication before its
implant, a revision before its implant, after its explant, or of an implant already
explanted, unknown codes (with the closest allowed one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int, check_option
from neuraxis.registry import nacc
from neuraxis.registry.db import audit, check_schema, transaction
from neuraxis.registry.records import (
    THERAPIES,
    _not_future,
    _patient,
    check_patient_ref,
    parse_date,
)

TAXONOMY_FILE = "complication_taxonomy.yaml"
REVISION_KINDS = ("revision", "explant")


def taxonomy() -> dict[str, Any]:
    """The complication taxonomy table (categories, subtypes, relations, revision reasons,
    each with its source and ``verified`` flag); cached, do not modify."""
    return nacc.read_table(TAXONOMY_FILE)


def complication_categories() -> tuple[str, ...]:
    """Category codes of the 2019 RAPM classification (``'device_related'``, ...)."""
    return tuple(taxonomy()["categories"])


def complication_subtypes(category: str) -> tuple[str, ...]:
    """Subtype codes of one category (``'lead_migration'``, ...; none for ``'other'``)."""
    check_option("category", category, complication_categories())
    return tuple(taxonomy()["categories"][category]["subtypes"])


def relations() -> tuple[str, ...]:
    """Relation codes (causality levels): ``'not_related'``, ``'possible'``, ..."""
    return tuple(taxonomy()["relations"])


def revision_reasons() -> tuple[str, ...]:
    """Reason codes of a revision or explant (``'infection'``, ``'loss_of_efficacy'``, ...)."""
    return tuple(taxonomy()["revision_reasons"])


def _date(name: str, value: Any) -> dt.date:
    return _not_future(name, parse_date(name, value))


def add_screening(engine: Any, *, site: str, local_id: str, date: Any, therapy: str,
                  indications: Sequence[str], contraindications: Sequence[str],
                  psych_outcome: str, user: str) -> int:
    """Record a selection screening before a trial; returns its id.

    Parameters
    ----------
    site, local_id : str
        Site code and site-local pseudonym of an existing patient.
    date : date or str
        Date of the screening (``YYYY-MM-DD``; not in the future).
    therapy : {'scs', 'itdd'}
        The trial considered.
    indications, contraindications : sequence of str
        Codes of the checklist (:func:`neuraxis.registry.nacc.criteria`); empty
        ``contraindications``: none found.
    psych_outcome : {'cleared', 'cleared_with_conditions', 'not_cleared', 'not_done'}
        Outcome of the psychological evaluation.
    user : str
        Who writes (the audit log).

    Notes
    -----
    The decision aid's status (:func:`neuraxis.registry.nacc.evaluate_screening`) and
    the criteria table's version are stored with the screening.
    """
    ref = check_patient_ref(site, local_id)
    day = _date("date", date)
    result = nacc.evaluate_screening(therapy, indications=indications,
                                     contraindications=contraindications,
                                     psych_outcome=psych_outcome)
    from neuraxis.registry.models import Screening

    with transaction(engine, user) as s:
        check_schema(engine)
        p = _patient(s, ref)
        row = Screening(patient_id=p.id, date=day, therapy=therapy,
                        indications=list(dict.fromkeys(indications)),
                        contraindications=list(dict.fromkeys(contraindications)),
                        psych_outcome=psych_outcome, status=result.status,
                        criteria_table=result.criteria_table)
        s.add(row)
        s.flush()
        audit(s, "add", "screening", row.id,
              {"therapy": therapy, "date": day.isoformat(), "status": result.status,
               "criteria_table": result.criteria_table})
        return int(row.id)


def add_trial(engine: Any, *, site: str, local_id: str, therapy: str, start_date: Any,
              end_date: Any, percent_relief: float | None,
              paresthesia_overlap_pct: float | None = None,
              analgesic_change: str | None = None, satisfaction: int | None = None,
              success_rule: str = nacc.DEFAULT_RULE, user: str) -> int:
    """Record a therapy trial and its success under a stated rule; returns its id.

    Parameters
    ----------
    site, local_id : str
        Site code and site-local pseudonym of an existing patient.
    therapy : {'scs', 'itdd'}
    start_date, end_date : date or str
        First and last day of the trial (not in the future; the end not before the start).
    percent_relief : float or None
        Pain relief during the trial, % (-100 to 100); ``None``: not recorded.
    paresthesia_overlap_pct : float, optional
        Share of the pain area covered by paresthesia, % (0-100).
    analgesic_change : {'stopped', 'decreased', 'unchanged', 'increased'}, optional
    satisfaction : int, optional
        1 (very dissatisfied) to 5 (very satisfied).
    success_rule : str
        A rule of :func:`neuraxis.registry.nacc.success_rules` (default
        ``'relief>=50%'``); ``success`` is stored as
        :func:`neuraxis.registry.nacc.trial_success` judges it (``None``: unknown).
    user : str
        Who writes (the audit log).
    """
    ref = check_patient_ref(site, local_id)
    check_option("therapy", therapy, THERAPIES)
    start = _date("start_date", start_date)
    end = _date("end_date", end_date)
    if end < start:
        raise NeuraxisInputError(
            f"Invalid value for 'end_date': the trial ends ({end}) before it starts ({start})")
    outcome = nacc.trial_success(percent_relief, rule=success_rule,
                                 paresthesia_overlap_pct=paresthesia_overlap_pct,
                                 analgesic_change=analgesic_change,
                                 satisfaction=satisfaction, therapy=therapy)
    from neuraxis.registry.models import Trial

    with transaction(engine, user) as s:
        check_schema(engine)
        p = _patient(s, ref)
        row = Trial(patient_id=p.id, therapy=therapy, start_date=start, end_date=end,
                    percent_relief=None if percent_relief is None else float(percent_relief),
                    paresthesia_overlap_pct=None if paresthesia_overlap_pct is None
                    else float(paresthesia_overlap_pct),
                    analgesic_change=analgesic_change,
                    satisfaction=None if satisfaction is None else int(satisfaction),
                    success_rule=success_rule, success=outcome.success)
        s.add(row)
        s.flush()
        audit(s, "add", "trial", row.id,
              {"therapy": therapy, "success_rule": success_rule, "success": outcome.success})
        return int(row.id)


def add_complication(engine: Any, *, site: str, local_id: str, onset_date: Any,
                     category: str, serious: bool, relation: str, description: str = "",
                     resolved_date: Any = None, implant_id: int | None = None,
                     subtype: str | None = None, user: str) -> int:
    """Record a complication; returns its id.

    Parameters
    ----------
    site, local_id : str
        Site code and site-local pseudonym of an existing patient.
    onset_date : date or str
        Onset (not in the future; not before the implant when ``implant_id`` is given).
    category : str
        A category of :func:`complication_categories` (2019 RAPM classification).
    serious : bool
        Whether it is a serious adverse event; category ``'serious'`` needs ``True``.
    relation : {'not_related', 'possible', 'probable', 'causal'}
        Relation to the device or procedure (the category says which).
    description : str
        Free text, at most 200 characters; nothing identifying.
    resolved_date : date or str, optional
        Resolution (not in the future, not before the onset).
    implant_id : int, optional
        The patient's implant the complication concerns (none: e.g. during a trial).
    subtype : str, optional
        A subtype of the category (:func:`complication_subtypes`), stored with it.
    user : str
        Who writes (the audit log).
    """
    ref = check_patient_ref(site, local_id)
    onset = _date("onset_date", onset_date)
    resolved = None if resolved_date is None else _date("resolved_date", resolved_date)
    if resolved is not None and resolved < onset:
        raise NeuraxisInputError(
            f"Invalid value for 'resolved_date': {resolved} is before the onset ({onset})")
    check_option("category", category, complication_categories())
    if subtype is not None:
        subtypes = complication_subtypes(category)
        if not subtypes:
            raise NeuraxisInputError(
                f"Invalid value for 'subtype': category {category!r} has no subtypes, got "
                f"{subtype!r}")
        check_option("subtype", subtype, subtypes)
    if not isinstance(serious, bool):
        raise NeuraxisInputError(
            f"Invalid value for 'serious'. Expected true or false, got {serious!r}")
    if category == "serious" and not serious:
        raise NeuraxisInputError(
            "Invalid value for 'serious': category 'serious' (serious adverse event) needs "
            "serious true")
    check_option("relation", relation, relations())
    if not isinstance(description, str) or len(description) > 200:
        raise NeuraxisInputError(
            f"Invalid value for 'description'. Expected text of at most 200 characters, got "
            f"{description!r:.60}")
    if implant_id is not None:
        implant_id = check_int("implant_id", implant_id, 1)
    from neuraxis.registry.models import Complication

    with transaction(engine, user) as s:
        check_schema(engine)
        p = _patient(s, ref)
        if implant_id is not None:
            imp = _implant(s, implant_id, patient_id=p.id)
            if onset < imp.date:
                raise NeuraxisInputError(
                    f"Invalid value for 'onset_date': the complication ({onset}) is before "
                    f"implant {implant_id} ({imp.date})")
        row = Complication(patient_id=p.id, implant_id=implant_id, onset_date=onset,
                           resolved_date=resolved, category=category, subtype=subtype,
                           description=description, serious=serious, relation=relation)
        s.add(row)
        s.flush()
        audit(s, "add", "complication", row.id,
              {"category": category, "subtype": subtype, "serious": serious,
               "implant_id": implant_id})
        return int(row.id)


def _implant(session: Any, implant_id: int, *, patient_id: int | None = None,
             lock: bool = False) -> Any:
    from sqlalchemy import select

    from neuraxis.registry.models import Implant

    stmt = select(Implant).where(Implant.id == implant_id)
    imp = session.scalar(stmt.with_for_update() if lock else stmt)
    if imp is None or (patient_id is not None and imp.patient_id != patient_id):
        whose = "" if patient_id is None else " of this patient"
        raise NeuraxisInputError(f"Invalid value for 'implant_id': no implant {implant_id}"
                                 f"{whose}")
    return imp


def _implant_ref(implant_id: int | None, site: str | None, local_id: str | None,
                 therapy: str | None) -> Any:
    """Check that an implant is given by id or by patient and therapy (not both); the
    patient's reference in the second case, else None."""
    by_patient = (site, local_id, therapy)
    if implant_id is not None and any(v is not None for v in by_patient):
        raise NeuraxisInputError(
            "Invalid implant: give 'implant_id' or 'site', 'local_id' and 'therapy', not both")
    if implant_id is None and any(v is None for v in by_patient):
        raise NeuraxisInputError(
            "Invalid implant: give 'implant_id', or all of 'site', 'local_id' and 'therapy'")
    if implant_id is not None:
        check_int("implant_id", implant_id, 1)
        return None
    check_option("therapy", therapy, THERAPIES)
    return check_patient_ref(site, local_id)


def _in_place(s: Any, ref: Any, therapy: str) -> int:
    """The id of the patient's implant of ``therapy`` that has not been explanted."""
    from sqlalchemy import select

    from neuraxis.registry.models import Implant, Revision

    p = _patient(s, ref)
    explanted = select(Revision.implant_id).where(Revision.kind == "explant")
    ids = s.scalars(select(Implant.id).where(
        Implant.patient_id == p.id, Implant.therapy == therapy,
        Implant.id.not_in(explanted))).all()
    if not ids:
        raise NeuraxisInputError(
            f"Invalid implant: {ref.local_id!r} at {ref.site!r} has no {therapy} "
            "implant in place (none recorded, or all explanted)")
    if len(ids) > 1:
        raise NeuraxisInputError(
            f"Invalid implant: {ref.local_id!r} at {ref.site!r} has {len(ids)} "
            f"{therapy} implants in place ({', '.join(map(str, ids))}); give "
            "'implant_id'")
    return int(ids[0])


#: Kinds of program history entry and what their reference names.
PROGRAM_KINDS = ("scs_scenario", "pump_prescription")


def add_program(engine: Any, *, implant_id: int | None = None, site: str | None = None,
                local_id: str | None = None, therapy: str | None = None, date: Any,
                kind: str, reference: str, settings: dict | None = None,
                user: str) -> int:
    """Record the program or prescription in force on an implant from ``date``.

    Parameters
    ----------
    implant_id, site, local_id, therapy
        The implant, as for :func:`add_revision`.
    date : date or str
        From when it applies (not in the future, not before the implant).
    kind : {'scs_scenario', 'pump_prescription'}
        An SCS scenario file or a pump prescription file; it must match the therapy.
    reference : str
        The file's path or name (1-400 characters), as the clinic files it.
    settings : dict, optional
        Its settings (contacts, amplitude, pulse width; drug, dose, concentration), as
        read and checked by the caller (the command line loads the file).
    user : str
        Who writes (the audit log).
    """
    ref = _implant_ref(implant_id, site, local_id, therapy)
    day = _date("date", date)
    check_option("kind", kind, PROGRAM_KINDS)
    if not isinstance(reference, str) or not 0 < len(reference) <= 400:
        raise NeuraxisInputError(
            f"Invalid value for 'reference'. Expected a file path of 1-400 characters, got "
            f"{reference!r}")
    if settings is not None and not isinstance(settings, dict):
        raise NeuraxisInputError("Invalid value for 'settings': expected a mapping")
    from neuraxis.registry.models import Program

    with transaction(engine, user) as s:
        check_schema(engine)
        iid = _in_place(s, ref, therapy) if ref is not None else int(implant_id)
        imp = _implant(s, iid)
        if (imp.therapy == "scs") != (kind == "scs_scenario"):
            raise NeuraxisInputError(
                f"Invalid value for 'kind': a {kind} does not apply to a {imp.therapy} "
                f"implant")
        if day < imp.date:
            raise NeuraxisInputError(
                f"Invalid value for 'date': the program ({day}) starts before implant "
                f"{imp.id} ({imp.date})")
        row = Program(implant_id=imp.id, date=day, kind=kind, reference=reference,
                      settings=dict(settings or {}))
        s.add(row)
        s.flush()
        audit(s, "add", "program", row.id, {"implant_id": imp.id, "kind": kind,
                                            "date": day.isoformat()})
        return int(row.id)


def add_revision(engine: Any, *, implant_id: int | None = None, site: str | None = None,
                 local_id: str | None = None, therapy: str | None = None, date: Any,
                 kind: str, reason: str, detail: str = "", user: str) -> int:
    """Record a revision or an explant of an implant; returns its id.

    The implant is given by ``implant_id``, or by ``site``, ``local_id`` and ``therapy``
    (the patient's implant of that therapy that has not been explanted).

    Parameters
    ----------
    implant_id : int, optional
    site, local_id, therapy : str, optional
        Instead of ``implant_id``: the patient and the therapy of the implant.
    date : date or str
        Date of the operation (not in the future, not before the implant).
    kind : {'revision', 'explant'}
        ``'explant'``: all components removed, the implant ends; ``'revision'``: any
        component removed or replaced (2019 RAPM definitions).
    reason : str
        A reason of :func:`revision_reasons`.
    detail : str
        Free text of at most 200 characters (required when the reason is ``'other'``;
        no names).
    user : str
        Who writes (the audit log).

    Notes
    -----
    Refused: an explant of an implant already explanted, a revision dated after the
    explant, an explant dated before a recorded revision.
    """
    ref = _implant_ref(implant_id, site, local_id, therapy)
    day = _date("date", date)
    check_option("kind", kind, REVISION_KINDS)
    check_option("reason", reason, revision_reasons())
    if not isinstance(detail, str) or len(detail) > 200:
        raise NeuraxisInputError(
            f"Invalid value for 'detail'. Expected text of at most 200 characters, got "
            f"{detail!r:.60}")
    if reason == "other" and not detail.strip():
        raise NeuraxisInputError("Invalid value for 'detail': reason 'other' needs a detail")
    from sqlalchemy import select

    from neuraxis.registry.models import Revision

    with transaction(engine, user) as s:
        check_schema(engine)
        if ref is not None:
            implant_id = _in_place(s, ref, therapy)
        imp = _implant(s, int(implant_id), lock=True)
        if day < imp.date:
            raise NeuraxisInputError(
                f"Invalid value for 'date': the {kind} ({day}) is before implant "
                f"{imp.id} ({imp.date})")
        earlier = s.scalars(select(Revision).where(Revision.implant_id == imp.id)).all()
        explant = next((r for r in earlier if r.kind == "explant"), None)
        if explant is not None and kind == "explant":
            raise NeuraxisInputError(
                f"Invalid explant: implant {imp.id} was already explanted on {explant.date}")
        if explant is not None and day > explant.date:
            raise NeuraxisInputError(
                f"Invalid value for 'date': the revision ({day}) is after the explant of "
                f"implant {imp.id} ({explant.date})")
        later = [r.date for r in earlier if r.kind == "revision" and r.date > day]
        if kind == "explant" and later:
            raise NeuraxisInputError(
                f"Invalid value for 'date': the explant ({day}) is before a recorded revision "
                f"of implant {imp.id} ({max(later)})")
        row = Revision(implant_id=imp.id, date=day, kind=kind, reason=reason, detail=detail)
        s.add(row)
        s.flush()
        audit(s, "add", "revision", row.id,
              {"implant_id": imp.id, "kind": kind, "reason": reason,
               "date": day.isoformat()})
        return int(row.id)
