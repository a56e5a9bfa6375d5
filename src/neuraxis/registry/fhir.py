"""The registry as a FHIR R4 Bundle (type ``collection``), validated before it is written.

Resources, per patient: ``Patient`` (identifier = the site's system and the pseudonym,
birth year as the partial date ``YYYY``, no name), ``Procedure`` (each implant, with its
date) and ``Device`` (the IPG or pump model), and per stored response a
``QuestionnaireResponse`` (the raw answers) and ``Observation`` s of its scores (every
total; the NRS sites; the EQ VAS; the EQ-5D-5L index once per value set), coded with
LOINC or SNOMED CT where a code was confirmed and always with a local neuraxis code.
Codes, their sources and verified flags are in ``neuraxis/data/fhir_codes.yaml``.

Validation uses ``fhir.resources`` (``pip install 'neuraxis[registry]'``), release
R4B (4.3.0) models (``fhir.resources.R4B``): the package has no R4 (4.0.1) module; R4B's
changes are confined to the medication definition, evidence and subscription resources,
and every element written here exists in R4 with the same type, so the bundle is R4 too.
Synthetic records carry ``meta.tag`` codes ``synthetic`` (local) and ``HTEST``.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError
from neuraxis.registry.export import RegistrySnapshot, ScoreRow, read_registry

EXTRA = "registry"
PURPOSE = "the FHIR export of the outcomes registry"
#: The FHIR release of the bundle, and the fhir.resources module that validates it.
FHIR_RELEASE = "R4"
MODELS = "fhir.resources.R4B"
#: Namespace of the bundle's resource ids (UUID v5 of the record's key: stable exports).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:neuraxis:registry")
_GENDER = ("female", "male", "other")
_MAX_ERRORS = 10


@cache
def fhir_codes() -> dict[str, Any]:
    """The code table (``neuraxis/data/fhir_codes.yaml``), checked once.

    Every standard code must name its source and carry a boolean ``verified``; an entry
    without a standard code must say why.
    """
    import yaml

    table = yaml.safe_load(resources.files("neuraxis.data").joinpath("fhir_codes.yaml")
                           .read_text(encoding="utf-8"))
    entries = [("category", table["category"]), ("synthetic_tag", table["synthetic_tag"])]
    for group in ("observations", "therapies"):
        for key, e in table[group].items():
            if e.get("standard") is None and not str(e.get("why", "")).strip():
                raise RuntimeError(f"fhir_codes.yaml: {group}.{key} has no code and no 'why'")
            if e.get("standard") is not None:
                entries.append((f"{group}.{key}", e["standard"]))
    for where, c in entries:
        if not str(c.get("source", "")).strip() or not isinstance(c.get("verified"), bool) \
                or c.get("system") not in table["systems"]:
            raise RuntimeError(f"fhir_codes.yaml: {where} needs a known system, a source "
                               "and a boolean 'verified'")
    return table


def _coding(c: dict[str, Any]) -> dict[str, str]:
    return {"system": fhir_codes()["systems"][c["system"]], "code": c["code"],
            "display": c["display"]}


def _local(kind: str, code: str, display: str = "") -> dict[str, str]:
    out = {"system": fhir_codes()["local_systems"][kind], "code": code}
    return {**out, "display": display} if display else out


def _uuid(*key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(key)))


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def _meta(synthetic: bool) -> dict[str, Any]:
    if not synthetic:
        return {}
    return {"meta": {"tag": [_local("data_origin", "synthetic", "synthetic (generated) record"),
                             _coding(fhir_codes()["synthetic_tag"])]}}


def _patient(p: dict[str, Any], pid: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Patient", "id": pid, **_meta(p["synthetic"]),
        "identifier": [{"system": fhir_codes()["local_systems"]["site_prefix"] + p["site"],
                        "value": p["local_id"]}],
        "birthDate": f"{p['birth_year']:04d}"}
    if p["sex"] in _GENDER:
        out["gender"] = p["sex"]
    return out


def _implant(i: dict[str, Any], k: int, pid: str, synthetic: bool) -> list[dict[str, Any]]:
    t = fhir_codes()["therapies"].get(i["therapy"], {})
    proc_id = _uuid("procedure", i["site"], i["local_id"], str(k))
    dev_id = _uuid("device", i["site"], i["local_id"], str(k))
    device: dict[str, Any] = {
        "resourceType": "Device", "id": dev_id, **_meta(synthetic),
        "type": {"coding": [_local("device_type", t.get("device_code", i["therapy"]),
                                   t.get("device", ""))],
                 "text": t.get("device", i["therapy"])},
        "patient": _ref(pid)}
    if i["device"]:
        device["deviceName"] = [{"name": i["device"], "type": "model-name"}]
    proc: dict[str, Any] = {
        "resourceType": "Procedure", "id": proc_id, **_meta(synthetic),
        "status": "completed",
        "code": {"coding": [_local("therapy", i["therapy"], t.get("procedure", ""))],
                 "text": t.get("procedure", i["therapy"])},
        "subject": _ref(pid), "performedDateTime": i["date"],
        "focalDevice": [{"manipulated": _ref(dev_id)}]}
    if i["level"]:
        proc["bodySite"] = [{"text": f"vertebral level {i['level']}"}]
    notes = [f"catheter: {i['catheter']}"] if i["catheter"] else []
    notes += [f"lead: {x}" for x in i["leads"]]
    if notes:
        proc["note"] = [{"text": n} for n in notes]
    return [proc, device]


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueInteger": int(value)} if value.is_integer() else {"valueDecimal": value}
    return {"valueString": str(value)}


def _questionnaire_response(r: dict[str, Any], rid: str, pid: str,
                            synthetic: bool) -> dict[str, Any]:
    from neuraxis.registry.instruments import describe

    order = [it.id for it in describe(r["instrument"], r["scorer_version"]).items]
    keys = [k for k in order if k in r["items"]] + sorted(set(r["items"]) - set(order))
    return {
        "resourceType": "QuestionnaireResponse", "id": rid, **_meta(synthetic),
        "questionnaire": fhir_codes()["local_systems"]["questionnaire_prefix"]
        + r["instrument"],
        "status": "completed", "subject": _ref(pid), "authored": r["visit_date"],
        "item": [{"linkId": k, "answer": [_answer(r["items"][k])]} for k in keys
                 if r["items"][k] is not None]}


def _value(s: ScoreRow) -> dict[str, Any]:
    ucum = fhir_codes()["systems"]["ucum"]
    if s.unit == "%":
        return {"valueQuantity": {"value": s.value, "unit": "%", "system": ucum, "code": "%"}}
    if s.unit == "index":
        return {"valueQuantity": {"value": s.value, "unit": "index", "system": ucum,
                                  "code": "1"}}
    if s.is_integer():
        return {"valueInteger": int(s.value)}
    return {"valueQuantity": {"value": s.value, "unit": s.unit, "system": ucum,
                              "code": "{score}"}}


def _observation(s: ScoreRow, pid: str, qr_id: str, synthetic: bool) -> dict[str, Any]:
    table = fhir_codes()
    key = f"{s.instrument}.{s.scale}"
    entry = table["observations"].get(key, {})
    display = entry.get("display", key)
    coding = [_coding(entry["standard"])] if entry.get("standard") else []
    coding.append(_local("scale", key, display))
    method = [{**_local("scorer", s.instrument, f"neuraxis {s.instrument} scorer"),
               "version": s.scorer_version}]
    if s.value_set:
        method.append(_local("value_set", s.value_set))
        display = f"{display} ({s.value_set} value set)"
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _uuid("observation", s.site, s.local_id, s.visit, s.instrument, s.scale,
                    s.value_set),
        **_meta(synthetic), "status": "final",
        "category": [{"coding": [_coding(table["category"])]}],
        "code": {"coding": coding, "text": display}, "subject": _ref(pid),
        "effectiveDateTime": s.visit_date, **_value(s),
        "method": {"coding": method}, "derivedFrom": [_ref(qr_id)]}
    if entry.get("body_site"):
        obs["bodySite"] = {"coding": [_local("body_site", entry["body_site"])],
                           "text": entry["body_site"]}
    return obs


def _observed(s: ScoreRow) -> bool:
    """Whether a score gets an Observation: every total, and the scales the table lists."""
    return s.scale == "total" or f"{s.instrument}.{s.scale}" in fhir_codes()["observations"]


def build_bundle(snapshot: RegistrySnapshot, *, timestamp: str | None = None
                 ) -> dict[str, Any]:
    """The bundle as plain JSON data (not yet validated; see :func:`validate_bundle`).

    Resource ids are UUID v5 of each record's key, so the same database gives the same
    bundle (but for ``timestamp``); references are ``urn:uuid:`` full URLs.
    """
    import datetime as dt

    import neuraxis

    pats = {(p["site"], p["local_id"]): p for p in snapshot.patients}
    pid = {k: _uuid("patient", *k) for k in pats}
    res: dict[tuple[str, str], list[dict[str, Any]]] = {k: [] for k in pats}
    for k, p in pats.items():
        res[k].append(_patient(p, pid[k]))
    seen: dict[tuple[str, str], int] = {}
    for i in snapshot.implants:
        k = (i["site"], i["local_id"])
        seen[k] = seen.get(k, 0) + 1
        res[k] += _implant(i, seen[k], pid[k], pats[k]["synthetic"])
    scores: dict[tuple[str, ...], list[ScoreRow]] = {}
    for s in snapshot.scores:
        scores.setdefault((s.site, s.local_id, s.visit, s.instrument), []).append(s)
    for r in snapshot.responses:
        k = (r["site"], r["local_id"])
        qr_id = _uuid("response", *k, r["visit"], r["instrument"])
        syn = pats[k]["synthetic"]
        res[k].append(_questionnaire_response(r, qr_id, pid[k], syn))
        res[k] += [_observation(s, pid[k], qr_id, syn)
                   for s in scores.get((*k, r["visit"], r["instrument"]), []) if _observed(s)]
    stamp = timestamp or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {
        "resourceType": "Bundle", "id": str(uuid.uuid4()),
        "meta": {"source": f"urn:neuraxis:{neuraxis.__version__}:registry-schema:"
                           f"{snapshot.schema_revision}"},
        "type": "collection", "timestamp": stamp,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r}
                  for k in sorted(res) for r in res[k]]}


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """Parse ``bundle`` with the fhir.resources R4B ``Bundle`` model (every resource in it).

    Returns
    -------
    fhir.resources.R4B.bundle.Bundle

    Raises
    ------
    NeuraxisInputError
        Listing the first problems, with their location in the bundle.
    """
    soft_import("fhir.resources", EXTRA, PURPOSE)
    pydantic = soft_import("pydantic", EXTRA, PURPOSE)
    bundle_mod = soft_import(f"{MODELS}.bundle", EXTRA, PURPOSE)
    try:
        return bundle_mod.Bundle.model_validate(bundle)
    except pydantic.ValidationError as exc:
        errs = exc.errors()
        shown = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                          for e in errs[:_MAX_ERRORS])
        more = f" (and {len(errs) - _MAX_ERRORS} more)" if len(errs) > _MAX_ERRORS else ""
        raise NeuraxisInputError(
            f"Invalid FHIR bundle: {len(errs)} problem{'s' if len(errs) != 1 else ''} "
            f"found by fhir.resources ({MODELS}), nothing written: {shown}{more}") from None


def export_fhir(engine: Any, path: str | Path, *, site: str | None = None,
                overwrite: bool = False) -> Path:
    """Write the registry (one site, or all) as a validated FHIR R4 Bundle (JSON).

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    path : path
        The JSON file to write (its folder is created); an existing file is refused
        unless ``overwrite``.
    site : str, optional
        Export one site only; an unknown site code is refused with the known ones.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        ``path``, written only after the whole bundle passed validation (through a
        temporary file, so a failed export leaves no partial file).

    Raises
    ------
    NeuraxisInputError
        An existing file without ``overwrite``, a folder in the file's place, an unknown
        site, a database without the current registry schema, a bundle that does not
        validate.
    """
    out = Path(path).expanduser()
    if out.is_dir():
        raise NeuraxisInputError(f"Invalid FHIR export path {str(out)!r}: it is a folder")
    if out.exists() and not overwrite:
        raise NeuraxisInputError(
            f"Invalid FHIR export path {str(out)!r}: the file exists. Choose another path, "
            "or pass overwrite=True (--overwrite) to replace it")
    bundle = build_bundle(read_registry(engine, site=site))
    validate_bundle(bundle)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out
