"""A synthetic registry export (REDCap-style records and data dictionary), labelled so.

Generated, not observed: every record has ``synthetic = 1`` and the site code ``SYN``.
The numbers are plausible, not realistic (baseline back pain NRS about 7, about half of
the patients improving by half, EQ-5D-5L states drawn around the improvement); they
exist to try the import, the analyses and the report in one command. Deterministic for
a seed; ``examples/registry/`` holds the bundled output of :func:`synthetic_export`
with its defaults, and a test keeps it equal to the generator.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np

from neuraxis._validate import check_int
from neuraxis.registry.importing import EVENTS

#: Instruments asked at every visit of the synthetic export.
INSTRUMENTS = ("nrs_pain", "odi", "eq5d5l", "pgic")
DICT_HEADER = ("Variable / Field Name", "Form Name", "Section Header", "Field Type",
               "Field Label", "Choices, Calculations, OR Slider Labels", "Field Note",
               "Text Validation Type OR Show Slider Number", "Text Validation Min",
               "Text Validation Max")
_STRUCT = (("record_id", "enrolment", "text", "", "", ""),
           ("birth_year", "enrolment", "text", "integer", "1900", "2026"),
           ("consent", "enrolment", "yesno", "", "", ""),
           ("consent_date", "enrolment", "text", "date_ymd", "", ""),
           ("sex", "enrolment", "radio", "", "", ""),
           ("diagnosis", "enrolment", "radio", "", "", ""),
           ("synthetic", "enrolment", "yesno", "", "", ""),
           ("implant_date", "implant", "text", "date_ymd", "", ""),
           ("therapy", "implant", "radio", "", "", ""),
           ("device", "implant", "text", "", "", ""),
           ("implant_level", "implant", "text", "", "", ""),
           ("visit_date", "visit", "text", "date_ymd", "", ""))
_CHOICES = {"consent": "1, Yes | 0, No", "synthetic": "1, Yes | 0, No",
            "sex": "female, female | male, male | other, other",
            "diagnosis": "FBSS, FBSS | CRPS1, CRPS1 | radiculopathy, radiculopathy",
            "therapy": "scs, SCS | itdd, intrathecal pump"}


def _dictionary_rows() -> list[list[str]]:
    from neuraxis.registry.instruments import catalogue

    rows = []
    for name, form, ftype, val, lo, hi in _STRUCT:
        rows.append([name, form, "", ftype, name, _CHOICES.get(name, ""), "", val, lo, hi])
    for spec in catalogue():
        if spec.name not in INSTRUMENTS:
            continue
        for item in spec.items:
            field = f"{spec.name}_{item.id}"
            if item.kind == "option":
                choices = " | ".join(f"{o}, {o}" for o in item.options)
                rows.append([field, spec.name, "", "radio", item.label, choices, "", "", "",
                             ""])
            else:
                rows.append([field, spec.name, "", "text", item.label, "", "",
                             "integer" if item.kind == "integer" else "number",
                             f"{item.low:g}", f"{item.high:g}"])
    return rows


def _csv(header: list[str] | tuple[str, ...], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def synthetic_export(n_patients: int = 60, *, seed: int = 2026,
                     start: dt.date = dt.date(2022, 1, 3)) -> tuple[str, str]:
    """(records CSV, data dictionary CSV) of ``n_patients`` synthetic SCS patients.

    Each patient has a baseline visit and follow-ups m1-m24 (some missed); implants are
    spread over a year from ``start``.
    """
    from neuraxis.registry.records import VISIT_MONTHS, visit_target

    n_patients = check_int("n_patients", n_patients, 1, 1_000_000)
    rng = np.random.default_rng(seed)
    dict_rows = _dictionary_rows()
    fields = [r[0] for r in dict_rows]
    header = ["record_id", "redcap_data_access_group", "redcap_event_name",
              "redcap_repeat_instrument", "redcap_repeat_instance",
              *[f for f in fields if f != "record_id"], *_REPEAT_FIELDS]
    events = {v: k for k, v in EVENTS.items()}
    out = []
    for i in range(n_patients):
        implant = start + dt.timedelta(days=int(rng.integers(0, 365)))
        base_nrs = int(np.clip(rng.normal(7.2, 1.1), 4, 10))
        gain = float(np.clip(rng.normal(0.45, 0.3), -0.2, 0.95))  # fraction of relief
        odi0 = float(np.clip(rng.normal(48, 12), 20, 80))
        common = {"record_id": f"SYN{i + 1:05d}", "redcap_data_access_group": "SYN"}
        for visit in ("baseline", *VISIT_MONTHS):
            if visit != "baseline" and rng.random() < 0.08:
                continue  # a missed visit
            row = dict(common, redcap_event_name=events[visit])
            if visit == "baseline":
                day = implant - dt.timedelta(days=int(rng.integers(14, 60)))
                row.update(birth_year=int(rng.integers(1945, 1990)), consent=1,
                           consent_date=day.isoformat(), synthetic=1,
                           sex=str(rng.choice(["female", "male"])),
                           diagnosis=str(rng.choice(["FBSS", "CRPS1", "radiculopathy"])),
                           implant_date=implant.isoformat(), therapy="scs",
                           device="synthetic-IPG", implant_level="T8")
                relief = 0.0
            else:
                day = visit_target(implant, visit) + dt.timedelta(
                    days=int(rng.integers(-10, 11)))
                relief = float(np.clip(gain + rng.normal(0, 0.12), -0.3, 1.0))
            nrs = int(np.clip(round(base_nrs * (1 - relief)), 0, 10))
            odi = float(np.clip(odi0 * (1 - 0.7 * relief) + rng.normal(0, 5), 0, 100))
            # ten sections 0-5 whose sum is near odi / 2 (ODI % = sum / 50 x 100)
            sections = np.clip(round(odi / 20) + rng.integers(-1, 2, 10), 0, 5)
            level = int(np.clip(round(3.5 - 2.5 * relief + rng.normal(0, 0.6)), 1, 5))
            eq = np.clip(level + rng.integers(-1, 2, 5), 1, 5)
            row.update(visit_date=day.isoformat(), nrs_pain_back=nrs,
                       nrs_pain_leg=int(np.clip(nrs + rng.integers(-2, 2), 0, 10)),
                       nrs_pain_recall="7d",
                       **{f"odi_q{k + 1}": int(sections[k]) for k in range(10)},
                       eq5d5l_mobility=int(eq[0]), eq5d5l_self_care=int(eq[1]),
                       eq5d5l_usual_activities=int(eq[2]), eq5d5l_pain_discomfort=int(eq[3]),
                       eq5d5l_anxiety_depression=int(eq[4]),
                       eq5d5l_vas=int(np.clip(round(45 + 40 * relief + rng.normal(0, 8)), 0,
                                              100)))
            if visit != "baseline":
                # PGIC: 1 = very much improved ... 7 = very much worse
                row["pgic_change"] = int(np.clip(round(4 - 3 * relief + rng.normal(0, 0.7)),
                                                 1, 7))
            out.append([row.get(h, "") for h in header])
        out += [[r.get(h, "") for h in header]
                for r in _events(rng, common, implant, events)]
    return _csv(header, out), _csv(DICT_HEADER, dict_rows)


_REPEAT_FIELDS = ("complication_onset_date", "complication_category", "complication_serious",
                  "complication_relation", "revision_date", "revision_kind",
                  "revision_reason")
#: Synthetic complication categories and explant/revision reasons with their weights.
_CATEGORIES = {"device_related": 0.45, "procedural": 0.2, "patient_complaint": 0.3,
               "serious": 0.05}
_RELATION = {"device_related": "causal", "procedural": "probable",
             "patient_complaint": "possible", "serious": "possible"}
_REASONS = {"loss_of_efficacy": 0.4, "infection": 0.2, "lead_migration": 0.2,
            "hardware_malfunction": 0.1, "ipg_site_pain": 0.1}


def _events(rng: np.random.Generator, common: dict, implant: dt.date,
            events: dict) -> list[dict]:
    """Complication and revision rows (REDCap repeating instruments) of one patient."""
    rows = []
    for k in range(int(rng.random() < 0.18) + int(rng.random() < 0.05)):
        cat = str(rng.choice(list(_CATEGORIES), p=list(_CATEGORIES.values())))
        onset = implant + dt.timedelta(days=int(rng.integers(1, 700)))
        rows.append({**common, "redcap_event_name": events["baseline"],
                     "redcap_repeat_instrument": "complication",
                     "redcap_repeat_instance": k + 1,
                     "complication_onset_date": onset.isoformat(),
                     "complication_category": cat,
                     "complication_serious": int(cat == "serious"),
                     "complication_relation": _RELATION[cat]})
    if rng.random() < 0.14:
        kind = "explant" if rng.random() < 0.6 else "revision"
        reason = str(rng.choice(list(_REASONS), p=list(_REASONS.values())))
        date = implant + dt.timedelta(days=int(rng.integers(30, 720)))
        rows.append({**common, "redcap_event_name": events["baseline"],
                     "redcap_repeat_instrument": "revision", "redcap_repeat_instance": 1,
                     "revision_date": date.isoformat(), "revision_kind": kind,
                     "revision_reason": reason})
    return rows
