"""Export the registry: one CSV per table with a provenance sidecar, or a FHIR R4 bundle.

:func:`read_registry` reads everything an export holds into a :class:`RegistrySnapshot`,
scoring every stored response with the scorer version it was stored with (the EQ-5D-5L
index under every value set); :func:`export_csv` writes it as CSV files and
``export.json`` (neuraxis version, date, schema revision, row counts and checksums);
:func:`neuraxis.registry.fhir.export_fhir` writes a FHIR bundle.

Pseudonymised like the database: a patient is a site code, a site-local pseudonym and a
year of birth (with sex, diagnoses and the consent date where recorded); nothing the
database does not hold is added, and synthetic records say so (``synthetic`` column,
FHIR ``meta.tag``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option

#: The CSV files, in the order they are written, and their columns.
COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("site", "local_id", "birth_year", "sex", "consent", "consent_date",
                 "synthetic", "diagnoses"),
    "implants": ("site", "local_id", "therapy", "date", "device", "level", "catheter",
                 "leads"),
    "visits": ("site", "local_id", "visit", "date", "in_window"),
    "responses": ("site", "local_id", "visit", "visit_date", "instrument", "scorer_version",
                  "items"),
    "scores": ("site", "local_id", "visit", "visit_date", "instrument", "scorer_version",
               "value_set", "scale", "value", "exact", "unit", "items_missing",
               "data_table"),
    "complications": ("site", "local_id", "implant_date", "onset_date", "resolved_date",
                      "category", "description", "serious", "relation"),
    "revisions": ("site", "local_id", "implant_date", "therapy", "date", "kind", "reason"),
}
#: The provenance sidecar written next to the CSV files.
PROVENANCE_FILE = "export.json"


@dataclass(frozen=True)
class ScoreRow:
    """One computed score of one stored response (a total or a subscale).

    Attributes
    ----------
    site, local_id, visit : str
        Whose response, at which visit.
    visit_date : str
        ``YYYY-MM-DD``.
    instrument, scorer_version : str
        The instrument and the scorer version the response was stored with.
    value_set : str
        EQ-5D-5L value set of an index (``'england'``, ``'us'``); ``''`` for every other
        score.
    scale : str
        ``'total'`` or the subscale (``'back'``, ``'vas'``, ``'rumination'``).
    value : float
        The score (nearest float to ``exact``).
    exact : str
        The exact score (``'320/9'``, ``'0.942'``).
    unit : str
        ``'points'``, ``'%'``, ``'index'`` or ``'code'``.
    items_missing : tuple of str
        Items not answered (a missing ODI section, say).
    data_table : str
        The scorer's data table and version (``'odi.yaml v1'``).
    """

    site: str
    local_id: str
    visit: str
    visit_date: str
    instrument: str
    scorer_version: str
    value_set: str
    scale: str
    value: float
    exact: str
    unit: str
    items_missing: tuple[str, ...]
    data_table: str

    def is_integer(self) -> bool:
        """Whether the exact score is a whole number."""
        return Fraction(self.exact).denominator == 1

    def to_dict(self) -> dict[str, Any]:
        """Every field (JSON-ready)."""
        return {"site": self.site, "local_id": self.local_id, "visit": self.visit,
                "visit_date": self.visit_date, "instrument": self.instrument,
                "scorer_version": self.scorer_version, "value_set": self.value_set,
                "scale": self.scale, "value": self.value, "exact": self.exact,
                "unit": self.unit, "items_missing": list(self.items_missing),
                "data_table": self.data_table}


@dataclass(frozen=True)
class RegistrySnapshot:
    """Everything an export holds, read in one transaction.

    Attributes
    ----------
    schema_revision : str
        The database's Alembic revision.
    dialect : str
        ``'sqlite'`` or ``'postgresql'`` (never the URL, which may hold a password).
    sites : tuple of str
        The site codes exported.
    patients, implants, visits, responses, complications, revisions : tuple of dict
        One plain dict per row, keyed by :data:`COLUMNS` (``responses`` hold ``items``,
        the raw answers, as a dict; dates are ``YYYY-MM-DD`` text; a complication or
        revision names its implant by the implant's date).
    scores : tuple of ScoreRow
        Every computed score of every response.
    """

    schema_revision: str
    dialect: str
    sites: tuple[str, ...]
    patients: tuple[dict[str, Any], ...]
    implants: tuple[dict[str, Any], ...]
    visits: tuple[dict[str, Any], ...]
    responses: tuple[dict[str, Any], ...]
    complications: tuple[dict[str, Any], ...]
    revisions: tuple[dict[str, Any], ...]
    scores: tuple[ScoreRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Every table as a list of dicts (JSON-ready)."""
        return {"schema_revision": self.schema_revision, "dialect": self.dialect,
                "sites": list(self.sites), "patients": [dict(r) for r in self.patients],
                "implants": [dict(r) for r in self.implants],
                "visits": [dict(r) for r in self.visits],
                "responses": [dict(r) for r in self.responses],
                "complications": [dict(r) for r in self.complications],
                "revisions": [dict(r) for r in self.revisions],
                "scores": [s.to_dict() for s in self.scores]}


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def _check_site(site: str | None, sites: tuple[str, ...]) -> str | None:
    """``site`` if the registry has it (``None``: every site), else a clear error."""
    if site is None:
        return None
    if not sites:
        raise NeuraxisInputError(
            f"Invalid value for 'site': the registry has no sites yet, but got {site!r}")
    return check_option("site", site, sites)


def score_response(response: dict[str, Any]) -> list[ScoreRow]:
    """Score one stored response with its scorer version (EQ-5D-5L: every value set).

    Parameters
    ----------
    response : dict
        A row of :attr:`RegistrySnapshot.responses` (``site``, ``local_id``, ``visit``,
        ``visit_date``, ``instrument``, ``scorer_version``, ``items``).

    Returns
    -------
    list of ScoreRow
        The total (one row per value set for an instrument with value sets) and every
        subscale (once, ``value_set=''``: no value set changes the EQ VAS).

    Raises
    ------
    NeuraxisInputError
        A stored response its scorer refuses, named by site, pseudonym and visit.
    """
    from neuraxis.registry import instruments

    name, version = response["instrument"], response["scorer_version"]
    value_sets = instruments.describe(name, version).value_sets
    rows: list[ScoreRow] = []
    for i, vs in enumerate(value_sets or (None,)):
        try:
            s = instruments.score(name, response["items"], version=version, value_set=vs)
        except NeuraxisInputError as exc:
            raise NeuraxisInputError(
                f"Invalid stored response ({response['site']} {response['local_id']} "
                f"{response['visit']} {name}): {exc}") from None
        scales = ([s.total] if s.total is not None else []) + \
            (list(s.subscales.values()) if i == 0 else [])
        for sc in scales:
            rows.append(ScoreRow(
                response["site"], response["local_id"], response["visit"],
                response["visit_date"], name, s.version,
                vs if (vs is not None and sc is s.total) else "", sc.name, sc.value,
                sc.exact, sc.unit, tuple(s.items_missing), s.data_table))
    return rows


def read_registry(engine: Any, *, site: str | None = None) -> RegistrySnapshot:
    """Read the registry (one site, or all) and score every response.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    site : str, optional
        Export one site only; an unknown site code is refused with the known ones.

    Returns
    -------
    RegistrySnapshot
        Rows sorted by site, pseudonym, visit (baseline, m1, ... m24) and instrument.

    Raises
    ------
    NeuraxisInputError
        A database without the registry schema or at another revision, an unknown site.
    """
    from sqlalchemy import select

    from neuraxis.registry import models as m
    from neuraxis.registry.db import check_schema, current_revision, transaction
    from neuraxis.registry.instruments import instrument_names
    from neuraxis.registry.records import VISITS

    check_schema(engine)
    with transaction(engine, "export") as s:
        sites = tuple(sorted(s.scalars(select(m.Site.code))))
        site = _check_site(site, sites)
        q = select(m.Patient, m.Site.code).join(m.Site)
        if site is not None:
            q = q.where(m.Site.code == site)
        pats = sorted(s.execute(q).all(), key=lambda r: (r[1], r[0].local_id))
        ids = {p.id: (code, p.local_id) for p, code in pats}
        diag: dict[int, list[str]] = {}
        for pid, code in s.execute(select(m.Diagnosis.patient_id, m.Diagnosis.code)):
            diag.setdefault(pid, []).append(code)
        patients = tuple(
            {"site": code, "local_id": p.local_id, "birth_year": p.birth_year,
             "sex": p.sex or "", "consent": bool(p.consent),
             "consent_date": _iso(p.consent_date), "synthetic": bool(p.synthetic),
             "diagnoses": tuple(sorted(diag.get(p.id, ())))} for p, code in pats)
        imps = sorted((i for i in s.scalars(select(m.Implant)) if i.patient_id in ids),
                      key=lambda i: (ids[i.patient_id], i.date, i.id))
        implants = tuple(
            {"site": ids[i.patient_id][0], "local_id": ids[i.patient_id][1],
             "therapy": i.therapy, "date": _iso(i.date), "device": i.device or "",
             "level": i.level or "", "catheter": i.catheter or "",
             "leads": tuple(str(x) for x in (i.leads or ()))} for i in imps)
        imp = {i.id: i for i in imps}
        complications = tuple(
            {"site": ids[c.patient_id][0], "local_id": ids[c.patient_id][1],
             "implant_date": _iso(imp[c.implant_id].date) if c.implant_id in imp else "",
             "onset_date": _iso(c.onset_date), "resolved_date": _iso(c.resolved_date),
             "category": c.category, "description": c.description or "",
             "serious": bool(c.serious), "relation": c.relation}
            for c in sorted((c for c in s.scalars(select(m.Complication))
                             if c.patient_id in ids),
                            key=lambda c: (ids[c.patient_id], c.onset_date, c.id)))
        revisions = tuple(
            {"site": ids[imp[r.implant_id].patient_id][0],
             "local_id": ids[imp[r.implant_id].patient_id][1],
             "implant_date": _iso(imp[r.implant_id].date),
             "therapy": imp[r.implant_id].therapy, "date": _iso(r.date), "kind": r.kind,
             "reason": r.reason}
            for r in sorted((r for r in s.scalars(select(m.Revision)) if r.implant_id in imp),
                            key=lambda r: (ids[imp[r.implant_id].patient_id], r.date, r.id)))
        order = {v: k for k, v in enumerate(VISITS)}
        vis = sorted((v for v in s.scalars(select(m.Visit)) if v.patient_id in ids),
                     key=lambda v: (ids[v.patient_id], order.get(v.visit, 99), v.date))
        visits = tuple(
            {"site": ids[v.patient_id][0], "local_id": ids[v.patient_id][1],
             "visit": v.visit, "date": _iso(v.date), "in_window": bool(v.in_window)}
            for v in vis)
        by_visit = {v.id: (k, v) for k, v in enumerate(vis)}
        inst = {n: k for k, n in enumerate(instrument_names())}
        resp = sorted((r for r in s.scalars(select(m.Response)) if r.visit_id in by_visit),
                      key=lambda r: (by_visit[r.visit_id][0], inst.get(r.instrument, 99),
                                     r.instrument))
        responses = tuple(
            {"site": ids[v.patient_id][0], "local_id": ids[v.patient_id][1],
             "visit": v.visit, "visit_date": _iso(v.date), "instrument": r.instrument,
             "scorer_version": r.version, "items": dict(r.items)}
            for r in resp for v in (by_visit[r.visit_id][1],))
    scores = tuple(row for r in responses for row in score_response(r))
    return RegistrySnapshot(current_revision(engine) or "", engine.dialect.name,
                            (site,) if site is not None else sites, patients, implants,
                            visits, responses, complications, revisions, scores)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _check_output_folder(folder: str | Path, overwrite: bool) -> Path:
    """The export folder: new or empty, else refused unless ``overwrite``."""
    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise NeuraxisInputError(
            f"Invalid export folder {str(path)!r}: it is a file, not a folder")
    if path.is_dir() and not overwrite:
        n = sum(1 for _ in path.iterdir())
        if n:
            raise NeuraxisInputError(
                f"Invalid export folder {str(path)!r}: it exists and is not empty ({n} "
                f"entr{'y' if n == 1 else 'ies'}). Choose a new or empty folder, or pass "
                "overwrite=True (--overwrite) to replace the export files in it")
    return path


def _provenance(snapshot: RegistrySnapshot, files: dict[str, dict[str, Any]]) -> dict:
    """The sidecar's content: what, from where, when, by which neuraxis and scorers."""
    import neuraxis

    scorers: dict[str, set[str]] = {}
    for r in snapshot.responses:
        scorers.setdefault(r["instrument"], set()).add(r["scorer_version"])
    return {
        "format": "neuraxis registry export (CSV)", "neuraxis_version": neuraxis.__version__,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_revision": snapshot.schema_revision, "database": snapshot.dialect,
        "sites": list(snapshot.sites),
        "n_synthetic_patients": sum(p["synthetic"] for p in snapshot.patients),
        "scorer_versions": {k: sorted(v) for k, v in sorted(scorers.items())},
        "value_sets": sorted({s.value_set for s in snapshot.scores if s.value_set}),
        "files": files,
        "privacy": "pseudonymised: site code, site-local pseudonym, birth year; no names, "
                   "dates of birth or contact details (the database holds none)",
    }


def export_csv(engine: Any, folder: str | Path, *, overwrite: bool = False,
               site: str | None = None) -> list[Path]:
    """Write the registry as CSV files, one per table, with a provenance sidecar.

    Files: ``patients.csv``, ``implants.csv``, ``visits.csv``, ``responses.csv`` (raw
    answers as JSON, scorer version), ``scores.csv`` (one row per score: every total and
    subscale of every response, the EQ-5D-5L index once per value set),
    ``complications.csv``, ``revisions.csv`` (each naming its implant by date) and
    ``export.json`` (neuraxis version, UTC date, schema revision, database kind, scorer
    versions, and each file's row count and SHA-256). Columns are :data:`COLUMNS`;
    booleans are ``true``/``false``, lists ``;``-separated, dates ``YYYY-MM-DD``.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    folder : path
        Created if missing; an existing folder must be empty.
    overwrite : bool
        Write into a non-empty folder, replacing the export files there (other files
        are left alone).
    site : str, optional
        Export one site only.

    Returns
    -------
    list of Path
        The files written, the sidecar last.

    Raises
    ------
    NeuraxisInputError
        A non-empty folder without ``overwrite``, a file in the folder's place, an
        unknown site, a database without the current registry schema.
    """
    out = _check_output_folder(folder, overwrite)
    snap = read_registry(engine, site=site)
    tables = {"patients": snap.patients, "implants": snap.implants, "visits": snap.visits,
              "responses": snap.responses,
              "scores": tuple(s.to_dict() for s in snap.scores),
              "complications": snap.complications, "revisions": snap.revisions}
    out.mkdir(parents=True, exist_ok=True)
    paths, files = [], {}
    for name, cols in COLUMNS.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for row in tables[name]:
                w.writerow([_cell(row[c]) for c in cols])
        files[path.name] = {"rows": len(tables[name]),
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        paths.append(path)
    side = out / PROVENANCE_FILE
    side.write_text(json.dumps(_provenance(snap, files), indent=2) + "\n", encoding="utf-8")
    return [*paths, side]
