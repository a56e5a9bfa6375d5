"""The database as the analysis tables (:mod:`neuraxis.registry.analysis.tables`).

One function per table; each reads the database once and scores the stored raw
responses with their scorers (the version stored with each response), so an analysis
never sees a number that a scorer did not compute. Patients are identified by the
database id (``patient_id``); the pseudonym stays in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuraxis._soft_import import soft_import
from neuraxis._validate import check_option

_PURPOSE = "the registry analysis tables"


@dataclass(frozen=True)
class RegistryTables:
    """The four analysis tables of one database (pandas DataFrames)."""

    visits: Any
    implants: Any
    complications: Any
    followup: Any

    def to_dict(self) -> dict[str, list[dict]]:
        """Each table as a list of records (dates as ISO text)."""
        return {name: getattr(self, name).astype(object).where(
            getattr(self, name).notna(), None).to_dict("records")
            for name in ("visits", "implants", "complications", "followup")}


def _score_columns(instrument: str, items: dict, version: str, value_set: str) -> dict:
    from neuraxis.registry import instruments

    spec = instruments.describe(instrument, version)
    s = instruments.score(instrument, items, version=version,
                          value_set=value_set if spec.value_sets else None)
    if instrument == "nrs_pain":
        return {f"nrs_{k}": v.value for k, v in s.subscales.items() if k in ("back", "leg")}
    column = {"odi": "odi_pct", "eq5d5l": "eq5d_index", "pgic": "pgic",
              "pain_relief": "percent_relief"}.get(instrument)
    if column is None or s.total is None:
        return {}
    return {column: s.total.value}


def registry_tables(engine: Any, *, value_set: str = "england",
                    synthetic: bool | None = None) -> RegistryTables:
    """Read the analysis tables from the database.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    value_set : {'england', 'us'}
        EQ-5D-5L value set of ``eq5d_index``.
    synthetic : bool, optional
        Only synthetic (True) or only real (False) patients; default all.
    """
    pd = soft_import("pandas", "registry", _PURPOSE)
    from sqlalchemy import select

    from neuraxis.registry.analysis.tables import SCORES
    from neuraxis.registry.db import check_schema, transaction
    from neuraxis.registry.models import Complication, Implant, Patient, Response, Revision, Visit

    check_option("value_set", value_set, ("england", "us"))
    check_schema(engine)
    with transaction(engine, "read") as s:
        patients = select(Patient.id)
        if synthetic is not None:
            patients = patients.where(Patient.synthetic.is_(synthetic))
        ids = set(s.scalars(patients))
        first_implant: dict[int, tuple[int, Any]] = {}  # patient -> (implant id, date)
        for imp in s.scalars(select(Implant).order_by(Implant.date, Implant.id)):
            if imp.patient_id in ids:
                first_implant.setdefault(imp.patient_id, (imp.id, imp.date))
        rows: dict[int, dict] = {}
        for v in s.scalars(select(Visit)):
            if v.patient_id not in ids:
                continue
            imp = first_implant.get(v.patient_id)
            rows[v.id] = {"patient_id": v.patient_id, "visit": v.visit, "visit_date": v.date,
                          "implanted": imp is not None and v.date >= imp[1],
                          "per_protocol": bool(v.in_window)}
        for r in s.scalars(select(Response)):
            if r.visit_id in rows:
                rows[r.visit_id].update(_score_columns(r.instrument, r.items, r.version,
                                                       value_set))
        revisions = [(r.implant_id, r.date, r.kind, r.reason)
                     for r in s.scalars(select(Revision).order_by(Revision.date))]
        comps = [{"patient_id": c.patient_id, "onset_date": c.onset_date,
                  "category": c.category, "serious": bool(c.serious)}
                 for c in s.scalars(select(Complication)) if c.patient_id in ids]
    visits = pd.DataFrame(list(rows.values()),
                          columns=["patient_id", "visit", "visit_date", *SCORES, "implanted",
                                   "per_protocol"])
    last_visit = visits.groupby("patient_id")["visit_date"].max().to_dict() \
        if len(visits) else {}
    implants, followup = [], []
    for pid, (imp_id, imp_date) in sorted(first_implant.items()):
        event = next(((d, k, why) for i, d, k, why in revisions if i == imp_id), None)
        end = event[0] if event else max(last_visit.get(pid, imp_date), imp_date)
        implants.append({"patient_id": pid, "implant_date": imp_date, "event_date": end,
                         "event": event[1] if event else "none",
                         "cause": (event[2] or "unspecified") if event else None})
        followup.append({"patient_id": pid, "start_date": imp_date, "end_date": end})
    return RegistryTables(
        visits=visits,
        implants=pd.DataFrame(implants, columns=["patient_id", "implant_date", "event_date",
                                                 "event", "cause"]),
        complications=pd.DataFrame(comps, columns=["patient_id", "onset_date", "category",
                                                   "serious"]),
        followup=pd.DataFrame(followup, columns=["patient_id", "start_date", "end_date"]))
