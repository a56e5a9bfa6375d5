"""``neuraxis registry``: the outcomes registry on the command line.

Thin over :mod:`neuraxis.registry.records`: parse, call, render (a table, or JSON with
``--json``). The database is ``--db URL`` (sqlite:///PATH or postgresql://...), else
``$NEURAXIS_REGISTRY_URL``, else a SQLite file in the user data folder. Every write is
one transaction, recorded in the audit log under ``--user`` (default: the login name).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from neuraxis._validate import NeuraxisInputError
from neuraxis.cli._db import DbOpt, db_url
from neuraxis.cli._render import _echo_json, _print_key_values, user_errors
from neuraxis.cli._responses import read_responses

registry_app = typer.Typer(
    help="Outcomes registry (pseudonymised patients, implants, visits with instruments): "
         "SQLite by default, PostgreSQL by URL. Needs pip install 'neuraxis[registry]'.",
    no_args_is_help=True,
)

UserOpt = Annotated[str | None, typer.Option(
    "--user", help="Who writes, for the audit log (default: $NEURAXIS_USER or the login "
                   "name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SiteOpt = Annotated[str, typer.Option("--site", help="Site code.")]
LocalOpt = Annotated[str, typer.Option("--local-id", help="Site-local pseudonym (no names).")]


def _engine(db: str | None, *, create: bool = False) -> Any:
    """The database engine; a SQLite file must exist unless ``create`` (init, demo)."""
    from neuraxis.registry.db import connect

    return connect(db_url(db, must_exist=not create))


def _user(user: str | None) -> str:
    name = user or os.environ.get("NEURAXIS_USER") or getpass.getuser()
    if not name or len(name) > 64:
        raise NeuraxisInputError(f"Invalid value for '--user': {name!r} (1-64 characters)")
    return name


def _render(record: dict[str, Any], title: str, as_json: bool) -> None:
    if as_json:
        _echo_json(record)
    else:
        _print_key_values(title, record)


@registry_app.command("init")
@user_errors
def init(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Create the registry database, or upgrade its schema to this version."""
    from neuraxis.registry.db import upgrade

    engine = _engine(db, create=True)
    rev = upgrade(engine)
    _render({"database": engine.url.render_as_string(hide_password=True),
             "schema_revision": rev}, "Registry ready", as_json)


@registry_app.command("add-patient")
@user_errors
def add_patient(
    site: SiteOpt, local_id: LocalOpt,
    birth_year: Annotated[int, typer.Option("--birth-year", help="Year of birth only.")],
    consent: Annotated[bool, typer.Option(
        "--consent/--no-consent", help="Registry consent recorded (required).")] = False,
    consent_date: Annotated[str | None, typer.Option(
        "--consent-date", help="Date of consent, YYYY-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="female, male or other.")] = None,
    diagnosis: Annotated[list[str] | None, typer.Option(
        "--diagnosis", help="Diagnosis code (repeat): FBSS, CRPS1, CRPS2, PDN, ...")] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a pseudonymised patient (site code + local pseudonym + year of birth)."""
    from neuraxis.registry.records import add_patient as add

    pid = add(_engine(db), site=site, local_id=local_id, birth_year=birth_year,
              consent=consent, consent_date=consent_date, sex=sex,
              diagnoses=tuple(diagnosis or ()), user=_user(user))
    _render({"patient_id": pid, "site": site, "local_id": local_id}, "Patient added",
            as_json)


@registry_app.command("add-implant")
@user_errors
def add_implant(
    site: SiteOpt, local_id: LocalOpt,
    therapy: Annotated[str, typer.Option("--therapy", help="scs or itdd.")],
    date: Annotated[str, typer.Option("--date", help="Implant date, YYYY-MM-DD.")],
    device: Annotated[str, typer.Option("--device", help="IPG or pump model.")],
    lead: Annotated[list[str] | None, typer.Option("--lead", help="Lead model (repeat).")
                    ] = None,
    level: Annotated[str | None, typer.Option(
        "--level", help="Vertebral level of the lead tip or catheter tip, e.g. T8.")] = None,
    catheter: Annotated[str | None, typer.Option("--catheter", help="Catheter model.")
                        ] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record an implant (SCS or intrathecal pump)."""
    from neuraxis.registry.records import add_implant as add

    iid = add(_engine(db), site=site, local_id=local_id, therapy=therapy, date=date,
              device=device, leads=tuple(lead or ()), level=level, catheter=catheter,
              user=_user(user))
    _render({"implant_id": iid, "therapy": therapy, "date": date}, "Implant added", as_json)


@registry_app.command("add-visit")
@user_errors
def add_visit(
    site: SiteOpt, local_id: LocalOpt,
    visit: Annotated[str, typer.Option(
        "--visit", help="baseline, m1, m3, m6, m12, m18 or m24.")],
    date: Annotated[str, typer.Option("--date", help="Visit date, YYYY-MM-DD.")],
    responses: Annotated[Path | None, typer.Option(
        "--responses", help="YAML/JSON file: instrument -> {item: answer}.")] = None,
    response: Annotated[list[str] | None, typer.Option(
        "--response", help="INSTRUMENT={JSON items} (repeat).")] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a visit with the raw answers of its instruments (scored on the way in)."""
    from neuraxis.registry.records import add_visit as add

    items = read_responses(responses, response)
    vid = add(_engine(db), site=site, local_id=local_id, visit=visit, date=date,
              responses=items, user=_user(user))
    _render({"visit_id": vid, "visit": visit, "instruments": ", ".join(sorted(items))},
            "Visit added", as_json)


@registry_app.command("check")
@user_errors
def check(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check the database: schema revision and record counts."""
    from neuraxis.registry.records import summary

    _render(summary(_engine(db)), "Registry", as_json)


@registry_app.command("import")
@user_errors
def import_(
    records: Annotated[Path, typer.Argument(help="REDCap-style CSV export (one row per "
                                                 "record and event).")],
    dictionary: Annotated[Path, typer.Option(
        "--dictionary", help="The export's REDCap data dictionary (CSV).")],
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Import an export, all or nothing: every value is checked first (row and column in
    each message); a completed file is not imported twice."""
    from neuraxis.cli._render import _progress_bar
    from neuraxis.registry.importing import import_records

    engine = _engine(db)
    with _progress_bar(not as_json, 1, "writing patients") as progress:
        res = import_records(engine, records, dictionary, user=_user(user), progress=progress)
    _render(res.to_dict(), "Already imported" if res.already_imported else "Imported",
            as_json)


@registry_app.command("report")
@user_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, the figures "
                                                    "and one CSV per table.")],
    threshold_pct: Annotated[float, typer.Option(
        "--threshold-pct", help="Responder threshold: % pain reduction from baseline.")
    ] = 50.0,
    region: Annotated[str, typer.Option("--region", help="back, leg or overall.")] = "back",
    value_set: Annotated[str, typer.Option(
        "--value-set", help="EQ-5D-5L value set: england or us.")] = "england",
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the files of an earlier report in --out.")] = False,
    db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Write the registry report: responders, change from baseline, device survival and
    complication rates (HTML with figures, and CSV files)."""
    from neuraxis.registry.report import registry_report, write_report
    from neuraxis.viz.registry import plot_change, plot_responders, plot_survival

    if out.exists() and not out.is_dir():
        raise NeuraxisInputError(f"Invalid value for '--out': {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise NeuraxisInputError(
            f"Invalid value for '--out': {out} is not empty; give --overwrite to replace an "
            "earlier report, or another folder")
    rep = registry_report(_engine(db), threshold_pct=threshold_pct, region=region,
                          value_set=value_set)
    figures = {"responders": plot_responders(rep.responders, out / "responders.png"),
               "survival": plot_survival(rep.survival, out / "survival.png")}
    if rep.change:
        figures["change"] = plot_change(rep.change, out / "change.png")
    if rep.incidence is not None:
        figures["incidence"] = plot_survival(rep.incidence, out / "incidence.png",
                                             ylabel="cumulative incidence (%)")
    files = write_report(rep, out, figures=figures)
    if as_json:
        _echo_json({**rep.to_dict(), "files": {k: str(v) for k, v in {**files, **figures}
                                                .items()}})
    else:
        _print_key_values("Registry report", {
            "report": str(files["report"]), "patients": rep.provenance["n_patients"],
            "visits": rep.provenance["n_visits"], "tables (CSV)": len(files) - 1,
            **({"note": rep.notes[0]} if rep.notes else {})})


@registry_app.command("export")
@user_errors
def export(
    out: Annotated[Path, typer.Option("--out", help="csv: a folder; fhir: a .json file.")],
    fmt: Annotated[str, typer.Option("--format", help="csv (one file per table) or fhir "
                                                      "(an R4 collection Bundle).")] = "csv",
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an earlier export.")
                         ] = False,
    db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Export the registry: CSV tables with provenance, or a FHIR R4 bundle (validated)."""
    from neuraxis._validate import check_option

    check_option("format", fmt, ("csv", "fhir"))
    engine = _engine(db)
    if fmt == "csv":
        from neuraxis.registry.export import export_csv

        files = [str(p) for p in export_csv(engine, out, overwrite=overwrite, site=site)]
    else:
        from neuraxis.registry.fhir import export_fhir

        files = [str(export_fhir(engine, out, site=site, overwrite=overwrite))]
    if as_json:
        _echo_json({"files": files})
    else:
        _print_key_values("Exported", {"format": fmt, "files": len(files), "first": files[0]})


@registry_app.command("add-screening")
@user_errors
def add_screening(
    site: SiteOpt, local_id: LocalOpt,
    date: Annotated[str, typer.Option("--date", help="Screening date, YYYY-MM-DD.")],
    therapy: Annotated[str, typer.Option("--therapy", help="scs or itdd.")],
    indication: Annotated[list[str], typer.Option("--indication", help="Indication (repeat).")],
    psych: Annotated[str, typer.Option("--psych", help="Psychological screening outcome.")],
    contraindication: Annotated[list[str] | None, typer.Option(
        "--contraindication", help="Contraindication (repeat).")] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a selection screening and read it with the NACC-based checklist (a decision
    aid, not a selection)."""
    from neuraxis.registry import clinical, nacc

    kw = {"indications": tuple(indication), "contraindications": tuple(contraindication or ()),
          "psych_outcome": psych}
    sid = clinical.add_screening(_engine(db), site=site, local_id=local_id, date=date,
                                 therapy=therapy, user=_user(user), **kw)
    _render({"screening_id": sid, **nacc.evaluate_screening(therapy, **kw).to_dict()},
            "Screening added", as_json)


@registry_app.command("add-trial")
@user_errors
def add_trial(
    site: SiteOpt, local_id: LocalOpt,
    therapy: Annotated[str, typer.Option("--therapy", help="scs or itdd.")],
    start: Annotated[str, typer.Option("--start", help="Trial start, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Trial end, YYYY-MM-DD.")],
    relief_pct: Annotated[float | None, typer.Option(
        "--relief-pct", help="Pain relief at the end of the trial (%).")] = None,
    overlap_pct: Annotated[float | None, typer.Option(
        "--overlap-pct", help="Paresthesia overlap of the pain (%).")] = None,
    analgesics: Annotated[str | None, typer.Option(
        "--analgesics", help="stopped, decreased, unchanged or increased.")] = None,
    satisfaction: Annotated[int | None, typer.Option(
        "--satisfaction", help="Patient satisfaction, 1-5.")] = None,
    rule: Annotated[str, typer.Option("--rule", help="Success rule, e.g. relief>=50%.")
                    ] = "relief>=50%",
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a therapy trial; its success is judged by the stated rule."""
    from neuraxis.registry import clinical, nacc

    tid = clinical.add_trial(_engine(db), site=site, local_id=local_id, therapy=therapy,
                             start_date=start, end_date=end, percent_relief=relief_pct,
                             paresthesia_overlap_pct=overlap_pct, analgesic_change=analgesics,
                             satisfaction=satisfaction, success_rule=rule, user=_user(user))
    verdict = nacc.trial_success(relief_pct, rule=rule, paresthesia_overlap_pct=overlap_pct,
                                 analgesic_change=analgesics, satisfaction=satisfaction,
                                 therapy=therapy)
    _render({"trial_id": tid, **verdict.to_dict()}, "Trial added", as_json)


@registry_app.command("add-complication")
@user_errors
def add_complication(
    site: SiteOpt, local_id: LocalOpt,
    onset: Annotated[str, typer.Option("--onset", help="Onset date, YYYY-MM-DD.")],
    category: Annotated[str, typer.Option("--category", help="2019 RAPM category.")],
    relation: Annotated[str, typer.Option("--relation", help="not_related, possible, "
                                                             "probable or causal.")],
    serious: Annotated[bool, typer.Option("--serious/--not-serious", help="Serious?")
                       ] = False,
    subtype: Annotated[str | None, typer.Option("--subtype", help="Category subtype.")] = None,
    description: Annotated[str, typer.Option("--description", help="Short text (no names).")
                           ] = "",
    resolved: Annotated[str | None, typer.Option("--resolved", help="Resolution date.")
                        ] = None,
    implant_id: Annotated[int | None, typer.Option("--implant-id", help="Implant concerned.")
                          ] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a complication (2019 RAPM taxonomy)."""
    from neuraxis.registry import clinical

    cid = clinical.add_complication(
        _engine(db), site=site, local_id=local_id, onset_date=onset, category=category,
        serious=serious, relation=relation, description=description, resolved_date=resolved,
        implant_id=implant_id, subtype=subtype, user=_user(user))
    _render({"complication_id": cid, "category": category}, "Complication added", as_json)


@registry_app.command("add-revision")
@user_errors
def add_revision(
    date: Annotated[str, typer.Option("--date", help="Date, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option("--kind", help="revision or explant.")],
    reason: Annotated[str, typer.Option("--reason", help="infection, loss_of_efficacy, ...")],
    implant_id: Annotated[int | None, typer.Option("--implant-id", help="The implant.")
                          ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site (with --local-id).")
                    ] = None,
    local_id: Annotated[str | None, typer.Option("--local-id", help="Pseudonym.")] = None,
    therapy: Annotated[str | None, typer.Option("--therapy", help="scs or itdd.")] = None,
    detail: Annotated[str, typer.Option("--detail", help="Short text (needed for reason "
                                                         "'other'; no names).")] = "",
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a revision or explant of an implant, with its reason."""
    from neuraxis.registry import clinical

    rid = clinical.add_revision(_engine(db), implant_id=implant_id, site=site,
                                local_id=local_id, therapy=therapy, date=date, kind=kind,
                                reason=reason, detail=detail, user=_user(user))
    _render({"revision_id": rid, "kind": kind, "reason": reason}, "Revision added", as_json)


@registry_app.command("selection-criteria")
@user_errors
def selection_criteria(
    therapy: Annotated[str, typer.Option("--therapy", help="scs or itdd.")] = "scs",
    as_json: JsonOpt = False,
) -> None:
    """The NACC-based selection checklist of a therapy, and its unverified entries."""
    from neuraxis.registry import nacc

    crit = nacc.criteria(therapy)
    unverified = list(nacc.unverified_entries("nacc_criteria.yaml"))
    if as_json:
        _echo_json({"therapy": therapy, **{k: list(v) for k, v in crit.items()},
                    "unverified": unverified})
        return
    record = {k: ", ".join(v) for k, v in crit.items() if k != "contraindications"}
    record["unverified entries"] = (f"{len(unverified)} (sources not read in full; listed "
                                    "with --json and in docs/registry_selection.md)")
    _render(record, f"Selection checklist ({therapy}): a decision aid", False)


@registry_app.command("backup")
@user_errors
def backup(
    out: Annotated[Path, typer.Option("--out", help="Backup file (a SQLite database).")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")
                         ] = False,
    db: DbOpt = None, as_json: JsonOpt = False,
) -> None:
    """Back up a SQLite registry while it is in use (SQLite's online backup); for
    PostgreSQL, says which pg_dump command to run."""
    from neuraxis.registry.db import backup as run_backup

    path = run_backup(_engine(db), out, overwrite=overwrite)
    _render({"backup": str(path), "bytes": path.stat().st_size}, "Backup written", as_json)


@registry_app.command("add-program")
@user_errors
def add_program(
    date: Annotated[str, typer.Option("--date", help="In force from, YYYY-MM-DD.")],
    scenario: Annotated[Path | None, typer.Option(
        "--scenario", help="SCS scenario file (its program is recorded).")] = None,
    prescription: Annotated[Path | None, typer.Option(
        "--prescription", help="Pump prescription file (its mixture and dose).")] = None,
    implant_id: Annotated[int | None, typer.Option("--implant-id", help="The implant.")
                          ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site (with --local-id).")
                    ] = None,
    local_id: Annotated[str | None, typer.Option("--local-id", help="Pseudonym.")] = None,
    db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record the SCS program or pump prescription in force on an implant (program
    history); the file is read and checked, and its settings are stored with its path."""
    from neuraxis.registry import clinical

    if (scenario is None) == (prescription is None):
        raise NeuraxisInputError("Invalid input: give one of '--scenario' or '--prescription'")
    if scenario is not None:
        from neuraxis.scenario import load_scenario

        kind, therapy, ref = "scs_scenario", "scs", scenario
        settings = load_scenario(scenario).require_program().to_dict()
    else:
        from neuraxis.pump import load_prescription

        kind, therapy, ref = "pump_prescription", "itdd", prescription
        rx = load_prescription(prescription)
        settings = {"pump": rx.pump.model, "dose_drug": rx.dose_drug,
                    "mixture": [{"drug": c.drug,
                                 "concentration_mg_per_ml": c.concentration_mg_per_ml}
                                for c in rx.mixture]}
    pid = clinical.add_program(
        _engine(db), implant_id=implant_id, site=site, local_id=local_id,
        therapy=None if implant_id is not None else therapy, date=date, kind=kind,
        reference=str(ref), settings=settings, user=_user(user))
    _render({"program_id": pid, "kind": kind, "reference": str(ref)}, "Program added",
            as_json)


@registry_app.command("demo")
@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo database and its "
                                                    "report.")] = Path("registry-demo"),
    patients: Annotated[int, typer.Option("--patients", help="Synthetic patients.")] = 60,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an earlier demo.")
                         ] = False,
) -> None:
    """Try the registry in one command: a SYNTHETIC export (the bundled one by default) is
    imported into a new SQLite file in --out and its report written there."""
    import shutil

    from neuraxis.registry.db import upgrade
    from neuraxis.registry.importing import import_records
    from neuraxis.registry.synthetic import synthetic_export

    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise NeuraxisInputError(
                f"Invalid value for '--out': {out} is not empty; give --overwrite to replace "
                "an earlier demo, or another folder")
        if not (out / "registry.sqlite").exists():
            raise NeuraxisInputError(
                f"Invalid value for '--out': {out} does not hold an earlier demo; not "
                "replacing it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    records, dictionary = synthetic_export(patients)
    (out / "synthetic_records.csv").write_text(records, encoding="utf-8")
    (out / "synthetic_dictionary.csv").write_text(dictionary, encoding="utf-8")
    url = f"sqlite:///{out.resolve() / 'registry.sqlite'}"
    engine = _engine(url, create=True)
    upgrade(engine)
    import_records(engine, out / "synthetic_records.csv", out / "synthetic_dictionary.csv",
                   user="demo")
    report(out=out / "report", db=url, overwrite=True)
