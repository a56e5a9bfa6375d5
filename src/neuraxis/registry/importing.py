"""Import a REDCap-style CSV export with its data dictionary, all or nothing.

Layout (``docs/registry.md``): one row per record and event. Structural columns
(:data:`STRUCTURAL`) carry the pseudonym, site, event, enrolment, implant and visit
date; every other column belongs to an instrument form of the data dictionary, named
``<instrument>_<item>`` (form name = a neuraxis instrument, e.g. ``odi_q3``). Every
value is checked against the dictionary (type, choices, minimum and maximum) and every
response against its scorer before anything is written; the errors name row and
column. The whole file is then written in one transaction, with its SHA-256 recorded,
so a killed import leaves nothing and a re-run completes it, and a completed file is
not imported twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuraxis._validate import NeuraxisInputError, read_text_file
from neuraxis.registry.records import (
    DIAGNOSES,
    THERAPIES,
    WINDOW_DAYS,
    check_devices,
    check_patient_ref,
    check_response,
    visit_target,
)

#: REDCap event name -> registry visit.
EVENTS = {"baseline_arm_1": "baseline", "month_1_arm_1": "m1", "month_3_arm_1": "m3",
          "month_6_arm_1": "m6", "month_12_arm_1": "m12", "month_18_arm_1": "m18",
          "month_24_arm_1": "m24"}
#: Columns every export has, with their meaning; they need no dictionary entry.
STRUCTURAL = {
    "record_id": "site-local pseudonym", "redcap_data_access_group": "site code",
    "redcap_event_name": "event (baseline_arm_1, month_3_arm_1, ...)",
    "birth_year": "year of birth (baseline row)", "consent": "1 = consent recorded",
    "consent_date": "YYYY-MM-DD", "sex": "female, male or other",
    "diagnosis": "diagnosis code", "implant_date": "YYYY-MM-DD", "therapy": "scs or itdd",
    "device": "IPG or pump model", "implant_level": "vertebral level, e.g. T8",
    "visit_date": "YYYY-MM-DD", "synthetic": "1 = generated record",
    "redcap_repeat_instrument": "'complication' or 'revision' (a repeating row)",
    "redcap_repeat_instance": "1, 2, ... per repeating instrument",
    "complication_onset_date": "YYYY-MM-DD",
    "complication_category": "2019 RAPM taxonomy category",
    "complication_serious": "1 = serious",
    "complication_relation": "not_related, possible, probable or causal",
    "revision_date": "YYYY-MM-DD", "revision_kind": "revision or explant",
    "revision_reason": "infection, loss_of_efficacy, lead_migration, ..."}
REVISION_KINDS = ("revision", "explant")
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class DictionaryField:
    """One field of the data dictionary: form, type, allowed codes or range."""

    name: str
    form: str
    field_type: str
    validation: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or that the file was imported before)."""

    sha256: str
    n_rows: int
    n_patients: int
    n_visits: int
    n_responses: int
    already_imported: bool = False
    counts: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {"sha256": self.sha256, "n_rows": self.n_rows, "n_patients": self.n_patients,
                "n_visits": self.n_visits, "n_responses": self.n_responses,
                "already_imported": self.already_imported}


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def read_dictionary(path: str | Path) -> dict[str, DictionaryField]:
    """Read a REDCap data dictionary CSV (its standard column headers)."""
    rows = list(csv.DictReader(io.StringIO(read_text_file(path, "data dictionary"))))
    need = ("Variable / Field Name", "Form Name", "Field Type")
    if not rows or any(c not in rows[0] for c in need):
        raise NeuraxisInputError(
            f"Invalid data dictionary {path}: expected REDCap columns {', '.join(need)}")
    out = {}
    for i, r in enumerate(rows, start=2):
        name = r["Variable / Field Name"].strip()
        choices = tuple(c.split(",", 1)[0].strip() for c in
                        (r.get("Choices, Calculations, OR Slider Labels") or "").split("|")
                        if c.strip())
        try:
            low = _float(r.get("Text Validation Min") or "")
            high = _float(r.get("Text Validation Max") or "")
        except ValueError:
            raise NeuraxisInputError(
                f"Invalid data dictionary {path}, line {i}: minimum or maximum of {name!r} "
                "is not a number") from None
        out[name] = DictionaryField(name, r["Form Name"].strip(), r["Field Type"].strip(),
                                    (r.get("Text Validation Type OR Show Slider Number")
                                     or "").strip(), low, high, choices)
    return out


def _check_value(f: DictionaryField, text: str) -> str | None:
    """Why ``text`` breaks the dictionary entry (None if it does not)."""
    if f.choices and f.field_type in ("radio", "dropdown", "yesno"):
        if text not in f.choices:
            return f"{text!r} is not one of the codes {', '.join(f.choices)}"
        return None
    if f.validation in ("integer", "number"):
        try:
            value = int(text) if f.validation == "integer" else float(text)
        except ValueError:
            return f"{text!r} is not {'an integer' if f.validation == 'integer' else 'a number'}"
        if f.low is not None and value < f.low:
            return f"{text} is below the minimum {f.low:g}"
        if f.high is not None and value > f.high:
            return f"{text} is above the maximum {f.high:g}"
    if f.validation.startswith("date"):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return f"{text!r} is not a date YYYY-MM-DD"
    return None


def _answer(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _parse(records_text: str, dictionary: dict[str, DictionaryField]) -> dict:
    """Check every row; returns patients -> {enrolment, implant, visits}."""
    from neuraxis.registry import instruments

    reader = csv.DictReader(io.StringIO(records_text))
    cols = reader.fieldnames or []
    errors: list[str] = []
    unknown = [c for c in cols if c not in STRUCTURAL and c not in dictionary]
    if "record_id" not in cols or "redcap_event_name" not in cols:
        errors.append("columns: 'record_id' and 'redcap_event_name' are required")
    for c in unknown:
        errors.append(f"column {c!r}: not in the data dictionary")
    names = set(instruments.instrument_names())
    for c in cols:
        if c in dictionary and c not in STRUCTURAL and dictionary[c].form not in names:
            errors.append(f"column {c!r}: its form {dictionary[c].form!r} is not an "
                          f"instrument ({', '.join(sorted(names))})")
    if errors:
        _refuse(errors)
    patients: dict[tuple[str, str], dict] = {}
    for n, row in enumerate(reader, start=2):
        def err(col: str, msg: str, n: int = n) -> None:
            errors.append(f"row {n}, column {col!r}: {msg}")

        site = (row.get("redcap_data_access_group") or "").strip()
        try:
            ref = check_patient_ref(site, (row.get("record_id") or "").strip())
        except NeuraxisInputError as exc:
            err("record_id", str(exc))
            continue
        event = (row.get("redcap_event_name") or "").strip()
        visit = EVENTS.get(event)
        if visit is None:
            err("redcap_event_name", f"{event!r} is not one of {', '.join(EVENTS)}")
            continue
        p = patients.setdefault((ref.site, ref.local_id),
                                {"rows": [], "visits": {}, "complications": [],
                                 "revisions": []})
        p["rows"].append(n)
        repeat = (row.get("redcap_repeat_instrument") or "").strip()
        if repeat:
            _repeat_row(repeat, row, n, p, err)
            continue
        for col in ("birth_year", "consent", "consent_date", "sex", "diagnosis",
                    "implant_date", "therapy", "device", "implant_level", "synthetic"):
            text = (row.get(col) or "").strip()
            if text:
                if col in dictionary and (why := _check_value(dictionary[col], text)):
                    err(col, why)
                p.setdefault(col, text)
        if visit in p["visits"]:
            err("redcap_event_name", f"a second {visit} visit of {ref.local_id!r}")
            continue
        answers: dict[str, dict] = {}
        for col in cols:
            text = (row.get(col) or "").strip()
            if col in STRUCTURAL or not text:
                continue
            f = dictionary[col]
            if (why := _check_value(f, text)) is not None:
                err(col, why)
                continue
            item = col.removeprefix(f.form + "_")
            answers.setdefault(f.form, {})[item] = _answer(text)
        versions = {}
        for name, items in answers.items():
            try:
                versions[name] = check_response(name, items)
            except NeuraxisInputError as exc:
                err(name, str(exc))
        p["visits"][visit] = {"date": (row.get("visit_date") or "").strip(), "row": n,
                              "answers": answers, "versions": versions}
    _check_patients(patients, errors)
    if errors:
        _refuse(errors)
    return patients


def _repeat_row(kind: str, row: dict, n: int, p: dict, err: Callable) -> None:
    """A complication or revision row (REDCap repeating instrument)."""
    from neuraxis.registry.clinical import complication_categories, relations, revision_reasons

    def get(col: str, allowed: tuple[str, ...] | None = None) -> str | None:
        text = (row.get(col) or "").strip()
        if not text:
            err(col, "required on a " + kind + " row")
            return None
        if allowed is not None and text not in allowed:
            err(col, f"{text!r} is not one of {', '.join(allowed)}")
            return None
        return text

    def day(col: str) -> dt.date | None:
        text = get(col)
        try:
            return None if text is None else dt.date.fromisoformat(text)
        except ValueError:
            err(col, f"{text!r} is not a date YYYY-MM-DD")
            return None

    if kind == "complication":
        rec = {"row": n, "onset": day("complication_onset_date"),
               "category": get("complication_category", complication_categories()),
               "serious": get("complication_serious", ("0", "1")),
               "relation": get("complication_relation", relations())}
        p["complications"].append(rec)
    elif kind == "revision":
        rec = {"row": n, "date": day("revision_date"),
               "kind": get("revision_kind", REVISION_KINDS),
               "reason": get("revision_reason", revision_reasons())}
        p["revisions"].append(rec)
    else:
        err("redcap_repeat_instrument", f"{kind!r} is not one of 'complication', 'revision'")


def _check_patients(patients: dict, errors: list[str]) -> None:
    today = dt.date.today()
    for (_site, local_id), p in patients.items():
        first = p["rows"][0]

        def err(msg: str, first: int = first, local_id: str = local_id) -> None:
            errors.append(f"row {first} (record {local_id!r}): {msg}")

        try:
            year = int(p.get("birth_year", ""))
        except ValueError:
            year = -1
        if not 1900 <= year <= today.year:
            err(f"birth_year {p.get('birth_year')!r} is not a year 1900-{today.year}")
        if p.get("consent") != "1":
            err("no recorded consent (consent = 1): the registry stores none of its data")
        if p.get("diagnosis") and p["diagnosis"] not in DIAGNOSES:
            err(f"diagnosis {p['diagnosis']!r} is not one of {', '.join(DIAGNOSES)}")
        implant = None
        if "implant_date" in p:
            try:
                implant = dt.date.fromisoformat(p["implant_date"])
            except ValueError:
                err(f"implant_date {p['implant_date']!r} is not a date YYYY-MM-DD")
            if p.get("therapy") not in THERAPIES:
                err(f"therapy {p.get('therapy')!r} is not one of {', '.join(THERAPIES)}")
            else:
                try:
                    check_devices(p["therapy"], p.get("device", ""))
                except NeuraxisInputError as exc:
                    err(str(exc))
        p["implant"] = implant
        for visit, v in p["visits"].items():
            try:
                day = dt.date.fromisoformat(v["date"])
            except ValueError:
                errors.append(f"row {v['row']}, column 'visit_date': {v['date']!r} is not a "
                              "date YYYY-MM-DD")
                continue
            v["day"] = day
            if day > today:
                errors.append(f"row {v['row']}, column 'visit_date': {day} is in the future")
            elif visit != "baseline" and (implant is None or day < implant):
                errors.append(f"row {v['row']}, column 'visit_date': visit {visit} ({day}) "
                              f"is before the implant ({implant or 'none recorded'})")
            elif visit == "baseline" and implant is not None and day > implant:
                errors.append(f"row {v['row']}, column 'visit_date': the baseline visit "
                              f"({day}) is after the implant ({implant})")
        for c in p["complications"]:
            if c["onset"] is not None and c["onset"] > today:
                errors.append(f"row {c['row']}, column 'complication_onset_date': "
                              f"{c['onset']} is in the future")
        for r in p["revisions"]:
            if implant is None or (r["date"] is not None and r["date"] < implant):
                errors.append(f"row {r['row']}, column 'revision_date': a {r['kind']} "
                              f"before the implant ({implant or 'none recorded'})")
        if sum(r["kind"] == "explant" for r in p["revisions"]) > 1:
            errors.append(f"row {first} (record {local_id!r}): more than one explant of "
                          "its implant")


def _refuse(errors: list[str]) -> None:
    shown = "\n  ".join(errors[:MAX_ERRORS_SHOWN])
    more = f"\n  ... and {len(errors) - MAX_ERRORS_SHOWN} more" \
        if len(errors) > MAX_ERRORS_SHOWN else ""
    raise NeuraxisInputError(
        f"Invalid import: {len(errors)} problem{'s' if len(errors) > 1 else ''}, nothing "
        f"written:\n  {shown}{more}")


#: Patients written per batch of multi-row INSERTs (progress is reported after each).
IMPORT_CHUNK = 50


def _insert(s: Any, model: Any, rows: list[dict]) -> list[int]:
    """Insert ``rows`` with one multi-row statement; the new ids in the order of ``rows``."""
    from sqlalchemy import insert

    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(s.execute(stmt, rows).scalars())


def _write_chunk(s: Any, chunk: list, sites: dict, now: dt.datetime) -> tuple[int, int]:
    """Write the patients of ``chunk`` and everything they carry; (visits, responses)."""
    from neuraxis.registry.models import (
        Complication,
        Diagnosis,
        Implant,
        Patient,
        Response,
        Revision,
        Visit,
    )

    pids = _insert(s, Patient, [
        {"site_id": sites[code], "local_id": local_id, "birth_year": int(p["birth_year"]),
         "sex": p.get("sex"), "consent": True,
         "consent_date": (dt.date.fromisoformat(p["consent_date"])
                          if p.get("consent_date") else None),
         "synthetic": p.get("synthetic") == "1", "created_at": now}
        for (code, local_id), p in chunk])
    _insert(s, Diagnosis, [{"patient_id": pid, "code": p["diagnosis"]}
                           for pid, (_, p) in zip(pids, chunk, strict=True)
                           if p.get("diagnosis")])
    with_implant = [(pid, p) for pid, (_, p) in zip(pids, chunk, strict=True)
                    if p["implant"] is not None]
    imp_ids = dict(zip([pid for pid, _ in with_implant], _insert(s, Implant, [
        {"patient_id": pid, "therapy": p["therapy"], "date": p["implant"],
         "device": p.get("device", ""), "leads": [], "level": p.get("implant_level"),
         "catheter": None} for pid, p in with_implant]), strict=True))
    visits = [(pid, visit, v, p) for pid, (_, p) in zip(pids, chunk, strict=True)
              for visit, v in p["visits"].items()]
    vids = _insert(s, Visit, [
        {"patient_id": pid, "visit": visit, "date": v["day"],
         "in_window": visit == "baseline" or abs(
             (v["day"] - visit_target(p["implant"], visit)).days) <= WINDOW_DAYS[visit]}
        for pid, visit, v, p in visits])
    responses = [{"visit_id": vid, "instrument": name, "version": v["versions"][name],
                  "items": answers}
                 for vid, (_, _, v, _) in zip(vids, visits, strict=True)
                 for name, answers in v["answers"].items()]
    _insert(s, Response, responses)
    _insert(s, Complication, [
        {"patient_id": pid, "implant_id": imp_ids.get(pid), "onset_date": c["onset"],
         "resolved_date": None, "category": c["category"], "description": "",
         "serious": c["serious"] == "1", "relation": c["relation"]}
        for pid, (_, p) in zip(pids, chunk, strict=True) for c in p["complications"]])
    _insert(s, Revision, [
        {"implant_id": imp_ids[pid], "date": r["date"], "kind": r["kind"],
         "reason": r["reason"]}
        for pid, (_, p) in zip(pids, chunk, strict=True) for r in p["revisions"]])
    return len(vids), len(responses)


def import_records(engine: Any, records_path: str | Path, dictionary_path: str | Path, *,
                   user: str, progress: Callable[[int, int], None] | None = None
                   ) -> ImportResult:
    """Check and import a REDCap-style export in one transaction (see the module doc).

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    records_path, dictionary_path : path
        The export (one row per record and event) and its data dictionary.
    user : str
        Who imports (audit log).
    progress : callable, optional
        ``progress(patients_written, n_patients)`` inside the transaction.
    """
    from sqlalchemy import select

    from neuraxis.registry.db import audit, check_schema, transaction
    from neuraxis.registry.models import (
        ImportBatch,
        Patient,
        Site,
    )

    text = read_text_file(records_path, "records file")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    check_schema(engine)
    with transaction(engine, user) as s:
        done = s.scalar(select(ImportBatch).where(ImportBatch.sha256 == sha))
        if done is not None:
            return ImportResult(sha, done.n_rows, 0, 0, 0, already_imported=True)
    patients = _parse(text, read_dictionary(dictionary_path))
    n_rows = sum(len(p["rows"]) for p in patients.values())
    now = dt.datetime.now(dt.UTC)
    n_vis = n_resp = 0
    with transaction(engine, user) as s:
        sites = {c: i for c, i in s.execute(select(Site.code, Site.id))}
        existing = set(s.execute(select(Site.code, Patient.local_id).join(Site)).all())
        clash = [k for k in patients if k in existing]
        if clash:
            _refuse([f"record {k[1]!r} at site {k[0]!r} is already in the registry"
                     for k in clash])
        for code in sorted({k[0] for k in patients} - set(sites)):
            site = Site(code=code, name="")
            s.add(site)
            s.flush()
            sites[code] = site.id
        items = sorted(patients.items())
        for start in range(0, len(items), IMPORT_CHUNK):
            chunk = items[start:start + IMPORT_CHUNK]
            nv, nr = _write_chunk(s, chunk, sites, now)
            n_vis += nv
            n_resp += nr
            if progress is not None:
                progress(start + len(chunk), len(patients))
        s.add(ImportBatch(sha256=sha, source=str(records_path), at=now, n_rows=n_rows))
        audit(s, "import", "import_batches", None,
              {"sha256": sha, "rows": n_rows, "patients": len(patients), "visits": n_vis})
    return ImportResult(sha, n_rows, len(patients), n_vis, n_resp)
