"""Writing and reading registry records, validated at the boundary, one transaction each.

Every function takes an engine from :func:`neuraxis.registry.db.connect`, checks its
inputs before touching the database (one clear message naming the field, the allowed
values and the unit), writes in one transaction with an audit entry, and returns plain
data. Nothing identifying is accepted: a patient is a site code and a site-local
identifier (letters, digits, '-', '_'; not an e-mail or a name with spaces) plus a year
of birth.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.registry.db import audit, check_schema, transaction

#: Scheduled visits, months after implant (baseline: before the trial or implant).
VISITS = ("baseline", "m1", "m3", "m6", "m12", "m18", "m24")
VISIT_MONTHS = {"m1": 1, "m3": 3, "m6": 6, "m12": 12, "m18": 18, "m24": 24}
#: Visit windows (days either side of the target date). A project convention, not a
#: published standard [unverified]: +-14 d at 1 month, +-30 d at 3 and 6 months, +-60 d
#: from 12 months (registries such as PAN visit at 3, 6, 12, 18 and 24 months).
WINDOW_DAYS = {"m1": 14, "m3": 30, "m6": 30, "m12": 60, "m18": 60, "m24": 60}
THERAPIES = ("scs", "itdd")
DIAGNOSES = ("FBSS", "CRPS1", "CRPS2", "PDN", "radiculopathy", "axial_back_pain",
             "cancer_pain", "spasticity", "other")
_LOCAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class PatientRef:
    """A patient's pseudonymous key: site code and site-local identifier."""

    site: str
    local_id: str

    def to_dict(self) -> dict[str, str]:
        """``{"site": ..., "local_id": ...}``."""
        return asdict(self)


def check_patient_ref(site: str, local_id: str) -> PatientRef:
    """Validate a site code and local identifier (pseudonymous, no names or e-mails)."""
    if not isinstance(site, str) or not _SITE.match(site):
        raise NeuraxisInputError(
            f"Invalid value for 'site'. Expected a site code of letters, digits, '-' or '_' "
            f"(1-32 characters), got {site!r}")
    if not isinstance(local_id, str) or not _LOCAL_ID.match(local_id):
        raise NeuraxisInputError(
            f"Invalid value for 'local_id'. Expected a site-local pseudonym of letters, "
            f"digits, '-' or '_' (1-32 characters; never a name or an e-mail), got "
            f"{local_id!r}")
    return PatientRef(site, local_id)


def parse_date(name: str, value: Any) -> dt.date:
    """A date from ``YYYY-MM-DD`` text or a date; impossible dates are refused."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise NeuraxisInputError(
            f"Invalid value for '{name}'. Expected a date YYYY-MM-DD, got {value!r}") from None


def _today() -> dt.date:
    return dt.date.today()


def _not_future(name: str, date: dt.date) -> dt.date:
    if date > _today():
        raise NeuraxisInputError(f"Invalid value for '{name}': {date} is in the future")
    return date


def _patient(session: Any, ref: PatientRef) -> Any:
    from sqlalchemy import select

    from neuraxis.registry.models import Patient, Site

    p = session.scalar(select(Patient).join(Site).where(Site.code == ref.site,
                                                        Patient.local_id == ref.local_id))
    if p is None:
        raise NeuraxisInputError(
            f"Invalid patient: no patient {ref.local_id!r} at site {ref.site!r}. Add it "
            "with 'neuraxis registry add-patient'")
    return p


def add_patient(engine: Any, *, site: str, local_id: str, birth_year: int, consent: bool,
                consent_date: Any = None, sex: str | None = None,
                diagnoses: tuple[str, ...] = (), synthetic: bool = False,
                user: str) -> int:
    """Add a pseudonymised patient (the site is created on first use); returns its id.

    Parameters
    ----------
    site, local_id : str
        Site code and site-local pseudonym.
    birth_year : int
        Year of birth (1900 to this year): never a full date of birth.
    consent : bool
        Registry consent; a patient without recorded consent is refused.
    consent_date : date or str, optional
        Date of consent (not in the future).
    sex : {'female', 'male', 'other'}, optional
    diagnoses : tuple of str
        Codes from :data:`DIAGNOSES`.
    synthetic : bool
        Marks generated (synthetic) records.
    user : str
        Who writes (the audit log).
    """
    from sqlalchemy import select

    from neuraxis.registry.models import Diagnosis, Patient, Site

    ref = check_patient_ref(site, local_id)
    year = _today().year
    if isinstance(birth_year, bool) or not isinstance(birth_year, int) or \
            not 1900 <= birth_year <= year:
        raise NeuraxisInputError(
            f"Invalid value for 'birth_year'. Expected a year 1900-{year}, got {birth_year!r}")
    if consent is not True:
        raise NeuraxisInputError(
            "Invalid value for 'consent': the registry stores only patients whose consent is "
            "recorded (consent true)")
    cdate = None if consent_date is None else _not_future(
        "consent_date", parse_date("consent_date", consent_date))
    if sex is not None:
        check_option("sex", sex, ("female", "male", "other"))
    for code in diagnoses:
        check_option("diagnosis", code, DIAGNOSES)
    with transaction(engine, user) as s:
        check_schema(engine)
        site_row = s.scalar(select(Site).where(Site.code == ref.site))
        if site_row is None:
            site_row = Site(code=ref.site, name="")
            s.add(site_row)
            s.flush()
            audit(s, "add", "site", site_row.id, {"code": ref.site})
        dup = s.scalar(select(Patient).where(Patient.site_id == site_row.id,
                                             Patient.local_id == ref.local_id))
        if dup is not None:
            raise NeuraxisInputError(
                f"Invalid patient: {ref.local_id!r} already exists at site {ref.site!r}")
        p = Patient(site_id=site_row.id, local_id=ref.local_id, birth_year=birth_year,
                    sex=sex, consent=True, consent_date=cdate, synthetic=synthetic,
                    created_at=dt.datetime.now(dt.UTC))
        s.add(p)
        s.flush()
        for code in dict.fromkeys(diagnoses):
            s.add(Diagnosis(patient_id=p.id, code=code))
        audit(s, "add", "patient", p.id, {**ref.to_dict(), "synthetic": synthetic})
        return int(p.id)


#: Prefix of a device that is not in neuraxis's catalogues (stated, not guessed).
OTHER_PREFIX = "other:"


def _catalogue_entry(field: str, value: str, names: tuple[str, ...]) -> str:
    if value.startswith(OTHER_PREFIX) and len(value) > len(OTHER_PREFIX):
        return value
    try:
        return check_option(field, value, names)
    except NeuraxisInputError as exc:
        raise NeuraxisInputError(
            f"{exc} (a device outside the catalogue: '{OTHER_PREFIX}NAME')") from None


def check_devices(therapy: str, device: str, leads: tuple[str, ...] = (),
                  catheter: str | None = None) -> None:
    """Implants name catalogue entries: SCS leads from the lead catalogue, the pump and
    catheter of an intrathecal implant from the pump catalogues (``other:NAME`` for a
    device outside them); the IPG is free text (no IPG catalogue)."""
    check_option("therapy", therapy, THERAPIES)
    if not isinstance(device, str) or not device.strip() or len(device) > 64:
        raise NeuraxisInputError(
            f"Invalid value for 'device'. Expected a device name (1-64 characters), got "
            f"{device!r}")
    if therapy == "scs":
        from neuraxis.leads.catalogue import list_leads

        names = tuple(list_leads())
        for lead in leads:
            _catalogue_entry("lead", lead, names)
        if catheter is not None:
            raise NeuraxisInputError("Invalid value for 'catheter': an SCS implant has none")
    else:
        from neuraxis.pump.tables import catheter_names, pump_names

        _catalogue_entry("device", device, pump_names())
        if catheter is not None:
            _catalogue_entry("catheter", catheter, catheter_names())
        if leads:
            raise NeuraxisInputError("Invalid value for 'leads': an intrathecal implant has "
                                     "none (give its catheter)")


def add_implant(engine: Any, *, site: str, local_id: str, therapy: str, date: Any,
                device: str, leads: tuple[str, ...] = (), level: str | None = None,
                catheter: str | None = None, user: str) -> int:
    """Record an implant (SCS: device = IPG, leads, level; ITDD: pump, catheter, tip level),
    devices checked against the catalogues (:func:`check_devices`)."""
    ref = check_patient_ref(site, local_id)
    check_devices(therapy, device, tuple(leads), catheter)
    day = _not_future("date", parse_date("date", date))
    if level is not None:
        from neuraxis.anatomy.levels import VERTEBRAE

        check_option("level", level, VERTEBRAE)
    from neuraxis.registry.models import Implant

    with transaction(engine, user) as s:
        check_schema(engine)
        p = _patient(s, ref)
        imp = Implant(patient_id=p.id, therapy=therapy, date=day, device=device.strip(),
                      leads=list(leads), level=level, catheter=catheter)
        s.add(imp)
        s.flush()
        audit(s, "add", "implant", imp.id, {"therapy": therapy, "date": day.isoformat()})
        return int(imp.id)


def visit_target(implant_date: dt.date, visit: str) -> dt.date:
    """Target date of a follow-up visit: the implant date plus whole months."""
    months = VISIT_MONTHS[visit]
    y, m = divmod(implant_date.month - 1 + months, 12)
    year, month = implant_date.year + y, m + 1
    import calendar

    day = min(implant_date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def add_visit(engine: Any, *, site: str, local_id: str, visit: str, date: Any,
              responses: dict[str, dict] | None = None, user: str) -> int:
    """Record a visit with raw instrument responses; returns the visit id.

    A follow-up visit needs an implant and may not precede it; a baseline visit may not
    follow it. ``in_window`` says whether the date lies in :data:`WINDOW_DAYS` of the
    target. Each response is validated by its scorer before anything is written.
    """
    ref = check_patient_ref(site, local_id)
    check_option("visit", visit, VISITS)
    day = _not_future("date", parse_date("date", date))
    responses = dict(responses or {})
    versions = {name: check_response(name, items) for name, items in responses.items()}
    from sqlalchemy import select

    from neuraxis.registry.models import Implant, Response, Visit

    with transaction(engine, user) as s:
        check_schema(engine)
        p = _patient(s, ref)
        first = s.scalar(select(Implant).where(Implant.patient_id == p.id)
                         .order_by(Implant.date))
        if visit == "baseline":
            in_window = True
            if first is not None and day > first.date:
                raise NeuraxisInputError(
                    f"Invalid value for 'date': the baseline visit ({day}) is after the "
                    f"implant ({first.date})")
        else:
            if first is None:
                raise NeuraxisInputError(
                    f"Invalid visit {visit!r}: follow-up visits count from the implant; "
                    "record it first with 'neuraxis registry add-implant'")
            if day < first.date:
                raise NeuraxisInputError(
                    f"Invalid value for 'date': visit {visit} ({day}) is before the implant "
                    f"({first.date})")
            in_window = abs((day - visit_target(first.date, visit)).days) <= WINDOW_DAYS[visit]
        dup = s.scalar(select(Visit).where(Visit.patient_id == p.id, Visit.visit == visit))
        if dup is not None:
            raise NeuraxisInputError(
                f"Invalid visit: {ref.local_id!r} at {ref.site!r} already has a {visit} visit "
                f"({dup.date})")
        v = Visit(patient_id=p.id, visit=visit, date=day, in_window=in_window)
        s.add(v)
        s.flush()
        for name, items in responses.items():
            s.add(Response(visit_id=v.id, instrument=name, version=versions[name],
                           items=dict(items)))
        audit(s, "add", "visit", v.id, {"visit": visit, "instruments": sorted(responses)})
        return int(v.id)


def check_response(name: str, items: Any) -> str:
    """Validate raw items by scoring them (EQ-5D-5L under its first value set: the check
    does not depend on it); returns the scorer version stored with the response."""
    if not isinstance(items, dict):
        raise NeuraxisInputError(
            f"Invalid value for 'responses.{name}'. Expected a mapping of item -> answer, got "
            f"{type(items).__name__}")
    from neuraxis.registry import instruments

    spec = instruments.describe(name)
    value_set = spec.value_sets[0] if spec.value_sets else None
    return instruments.score(name, items, value_set=value_set).version


def summary(engine: Any) -> dict[str, Any]:
    """Schema revision and record counts (``neuraxis registry check``)."""
    from sqlalchemy import func, select

    from neuraxis.registry import models
    from neuraxis.registry.db import current_revision

    check_schema(engine)
    out: dict[str, Any] = {"schema_revision": current_revision(engine)}
    with transaction(engine, "check") as s:
        for name in ("Site", "Patient", "Screening", "Trial", "Implant", "Visit", "Response",
                     "Complication", "Revision", "AuditEntry"):
            model = getattr(models, name)
            out[f"n_{model.__tablename__}"] = int(s.scalar(select(func.count())
                                                            .select_from(model)))
        out["n_visits_out_of_window"] = int(s.scalar(
            select(func.count()).select_from(models.Visit)
            .where(models.Visit.in_window.is_(False))))
    return out
