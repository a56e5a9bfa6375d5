"""Exporting the registry: CSV files with provenance and a validated FHIR R4 bundle, read
back and compared with the scorers; refusals of a non-empty folder, an existing file and an
unknown site; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("fhir.resources")

from neuraxis import NeuraxisInputError
from neuraxis.registry import db, export, fhir, importing, records
from neuraxis.registry.instruments import score
from neuraxis.registry.synthetic import synthetic_export

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "registry"
LOINC, SNOMED = "http://loinc.org", "http://snomed.info/sct"


@pytest.fixture
def engine(registry_engine):
    return registry_engine


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _visit_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of a REDCap export that are visits (not repeating instruments)."""
    return [r for r in rows if not r.get("redcap_repeat_instrument")]


def test_csv_export_of_the_bundled_synthetic_export(engine, tmp_path: Path) -> None:
    importing.import_records(engine, EXAMPLES / "synthetic_records.csv",
                             EXAMPLES / "synthetic_dictionary.csv", user="t")
    paths = export.export_csv(engine, tmp_path / "out")
    assert [p.name for p in paths] == [*(f"{n}.csv" for n in export.COLUMNS), "export.json"]
    t = {n: _read(tmp_path / "out" / f"{n}.csv") for n in export.COLUMNS}
    summary = records.summary(engine)
    source = _visit_rows(_read(EXAMPLES / "synthetic_records.csv"))
    assert len(t["patients"]) == summary["n_patients"] == 60
    assert len(t["implants"]) == summary["n_implants"] == 60
    assert len(t["visits"]) == summary["n_visits"] == len(source)
    assert len(t["responses"]) == summary["n_responses"]
    assert len(t["complications"]) == summary["n_complications"] > 0
    assert len(t["revisions"]) == summary["n_revisions"] > 0
    assert all(c["implant_date"] for c in t["revisions"])
    assert all(p["site"] == "SYN" and p["synthetic"] == "true" for p in t["patients"])
    # pseudonym and birth year as in the source export, nothing identifying added
    base = {r["record_id"]: r for r in source if r["redcap_event_name"] == "baseline_arm_1"}
    for p in t["patients"]:
        assert p["birth_year"] == base[p["local_id"]]["birth_year"]
    assert list(t["patients"][0]) == list(export.COLUMNS["patients"])
    # every score recomputed from the exported raw answers with the scorer it names
    scores = {(s["local_id"], s["visit"], s["instrument"], s["value_set"], s["scale"]): s
              for s in t["scores"]}
    n_eq = 0
    for r in t["responses"]:
        items = json.loads(r["items"])
        key = (r["local_id"], r["visit"], r["instrument"])
        if r["instrument"] == "eq5d5l":
            n_eq += 1
            for vs in ("england", "us"):
                s = score("eq5d5l", items, version=r["scorer_version"], value_set=vs)
                row = scores[(*key, vs, "total")]
                assert (float(row["value"]), row["exact"]) == (s.total.value, s.total.exact)
            assert float(scores[(*key, "", "vas")]["value"]) == items["vas"]
            assert (*key, "england", "vas") not in scores
        elif r["instrument"] == "odi":
            s = score("odi", items, version=r["scorer_version"])
            assert float(scores[(*key, "", "total")]["value"]) == s.total.value
            assert scores[(*key, "", "total")]["unit"] == "%"
        elif r["instrument"] == "nrs_pain":
            assert int(float(scores[(*key, "", "back")]["value"])) == items["back"]
    assert n_eq == len(source)
    prov = json.loads((tmp_path / "out" / "export.json").read_text())
    assert prov["schema_revision"] == db.HEAD_REVISION
    assert prov["neuraxis_version"] and prov["created_utc"][:4].isdigit()
    assert prov["n_synthetic_patients"] == 60 and prov["value_sets"] == ["england", "us"]
    assert {k: v["rows"] for k, v in prov["files"].items()} == {
        f"{n}.csv": len(rows) for n, rows in t.items()}
    assert "postgresql://" not in json.dumps(prov) and "sqlite:///" not in json.dumps(prov)


def test_csv_refuses_a_non_empty_folder_unless_overwrite(engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(NeuraxisInputError, match=r"exists and is not empty \(1 entry\)"):
        export.export_csv(engine, out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    paths = export.export_csv(engine, out, overwrite=True)
    assert (out / "notes.txt").read_text() == "keep me"
    assert len(_read(paths[0])) == 0  # an empty registry: header only
    (tmp_path / "file").write_text("")
    with pytest.raises(NeuraxisInputError, match="it is a file, not a folder"):
        export.export_csv(engine, tmp_path / "file")


def _load_small(engine, tmp_path: Path, n: int = 8) -> list[dict[str, str]]:
    """A smaller export of the same generator as the bundled one (the bundled 60 patients
    make a 4,400-resource bundle whose validation alone takes seconds per database)."""
    rec, dic = synthetic_export(n)
    (tmp_path / "r.csv").write_text(rec)
    (tmp_path / "d.csv").write_text(dic)
    importing.import_records(engine, tmp_path / "r.csv", tmp_path / "d.csv", user="t")
    return _visit_rows(list(csv.DictReader(rec.splitlines())))


def test_fhir_bundle_read_back_with_fhir_resources(engine, tmp_path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    source = _load_small(engine, tmp_path)
    path = fhir.export_fhir(engine, tmp_path / "fhir" / "bundle.json")
    bundle = Bundle.model_validate_json(path.read_text())
    assert bundle.type == "collection"
    res = [e.resource for e in bundle.entry]
    by_type = Counter(r.__resource_type__ for r in res)
    n_resp = records.summary(engine)["n_responses"]
    assert by_type["Patient"] == by_type["Procedure"] == by_type["Device"] == 8
    assert by_type["QuestionnaireResponse"] == n_resp
    # per visit: NRS back and leg, ODI, EQ-5D index x 2 value sets and EQ VAS, PGIC after
    # baseline
    assert by_type["Observation"] == 7 * len(source) - 8
    full = {e.fullUrl: e.resource for e in bundle.entry}
    patients = [r for r in res if r.__resource_type__ == "Patient"]
    base = {r["record_id"]: r for r in source if r["redcap_event_name"] == "baseline_arm_1"}
    raw = json.loads(path.read_text())
    for p in patients:
        (ident,) = p.identifier
        assert ident.system == "urn:neuraxis:registry:site:SYN"
        assert str(p.birthDate) == base[ident.value]["birth_year"]  # YYYY only
        assert p.name is None and p.address is None and p.telecom is None
        assert {t.code for t in p.meta.tag} == {"synthetic", "HTEST"}
    for e in raw["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            assert set(e["resource"]) == {"resourceType", "id", "meta", "identifier",
                                          "birthDate", "gender"}
    # a patient's ODI and EQ-5D totals equal the scorer's on the raw answers
    first = next(r for r in source if r["record_id"] == "SYN00001"
                 and r["redcap_event_name"] == "month_3_arm_1")
    odi_items = {f"q{k}": int(first[f"odi_q{k}"]) for k in range(1, 11)}
    eq_items = {d: int(first[f"eq5d5l_{d}"]) for d in (
        "mobility", "self_care", "usual_activities", "pain_discomfort",
        "anxiety_depression", "vas")}
    obs = [r for r in res if r.__resource_type__ == "Observation"
           and full[r.subject.reference].identifier[0].value == "SYN00001"
           and str(r.effectiveDateTime) == first["visit_date"]]
    odi = next(o for o in obs if o.code.coding[0].code == "97909-6")
    assert odi.code.coding[0].system == LOINC
    assert float(odi.valueQuantity.value) == score("odi", odi_items).total.value
    assert odi.valueQuantity.code == "%"
    assert full[odi.derivedFrom[0].reference].__resource_type__ == "QuestionnaireResponse"
    for vs in ("england", "us"):
        eq = next(o for o in obs if o.code.coding[0].code == "736534008"
                  and o.method.coding[-1].code == vs)
        assert eq.code.coding[0].system == SNOMED
        assert float(eq.valueQuantity.value) == score("eq5d5l", eq_items,
                                                      value_set=vs).total.value
    nrs = [o for o in obs if o.code.coding[0].code == "72514-3"]
    assert sorted((o.bodySite.text, o.valueInteger) for o in nrs) == [
        ("back", int(first["nrs_pain_back"])), ("leg", int(first["nrs_pain_leg"]))]
    pgic = next(o for o in obs if o.code.coding[0].code == "pgic.total")
    assert pgic.valueInteger == int(first["pgic_change"])
    qr = full[odi.derivedFrom[0].reference]
    assert {i.linkId: i.answer[0].valueInteger for i in qr.item} == odi_items
    proc = next(r for r in res if r.__resource_type__ == "Procedure"
                and r.subject.reference == odi.subject.reference)
    assert str(proc.performedDateTime) == base["SYN00001"]["implant_date"]
    dev = full[proc.focalDevice[0].manipulated.reference]
    assert dev.deviceName[0].name == base["SYN00001"]["device"]
    # the same database gives the same resources (ids are stable)
    again = json.loads(fhir.export_fhir(engine, tmp_path / "b2.json", site="SYN").read_text())
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in raw["entry"]]


def test_fhir_refusals(engine, tmp_path: Path) -> None:
    with pytest.raises(NeuraxisInputError, match="the registry has no sites yet"):
        fhir.export_fhir(engine, tmp_path / "b.json", site="S01")
    records.add_patient(engine, site="S01", local_id="P001", birth_year=1966, consent=True,
                        user="t")
    with pytest.raises(NeuraxisInputError,
                       match=r"Invalid value for 'site'. Allowed values are 'S01', but "
                             r"got 'SO1'"):
        fhir.export_fhir(engine, tmp_path / "b.json", site="SO1")
    with pytest.raises(NeuraxisInputError, match="Allowed values are 'S01'"):
        export.export_csv(engine, tmp_path / "csv", site="XYZ")
    assert not (tmp_path / "b.json").exists()
    path = fhir.export_fhir(engine, tmp_path / "b.json", site="S01")
    (patient,) = [e["resource"] for e in json.loads(path.read_text())["entry"]]
    assert "meta" not in patient and patient["birthDate"] == "1966"  # not synthetic
    with pytest.raises(NeuraxisInputError, match="the file exists"):
        fhir.export_fhir(engine, path)
    assert fhir.export_fhir(engine, path, overwrite=True) == path


def test_an_invalid_bundle_is_refused() -> None:
    with pytest.raises(NeuraxisInputError, match=r"Invalid FHIR bundle: .*nothing written"):
        fhir.validate_bundle({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "birthDate": "1966-13"}}]})


def test_every_code_names_its_source() -> None:
    table = fhir.fhir_codes()
    assert table["observations"]["odi.total"]["standard"]["code"] == "97909-6"
    assert table["observations"]["pgic.total"]["standard"] is None  # local code only
    for scale in ("nrs_pain.back", "nrs_pain.leg", "eq5d5l.total", "eq5d5l.vas"):
        assert table["observations"][scale]["standard"]["verified"] is True
