"""One patient's timeline and the light patient list, on SQLite and PostgreSQL: every
kind of record comes back, in date order, and agrees with the whole-site export."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

from registry_helpers import USER, P, add_first_patient

from neuraxis import NeuraxisInputError
from neuraxis.registry import clinical, records
from neuraxis.registry.export import read_registry
from neuraxis.registry.timeline import list_patients, patient_timeline

ODI = {f"q{k}": 1 for k in range(1, 11)}


@pytest.fixture
def engine(registry_engine):
    eng = registry_engine
    add_first_patient(eng)
    records.add_patient(eng, site="S01", local_id="P002", birth_year=1970, consent=True,
                        user=USER)
    clinical.add_trial(eng, **P, therapy="scs", start_date="2024-12-01",
                       end_date="2024-12-08", percent_relief=60, user=USER)
    records.add_visit(eng, **P, visit="baseline", date="2024-11-20",
                      responses={"odi": ODI}, user=USER)
    imp = records.add_implant(eng, **P, therapy="scs", date="2025-01-31", device="IPG-X",
                              user=USER)
    clinical.add_program(eng, implant_id=imp, date="2025-02-01", kind="scs_scenario",
                         reference="programs/p001.yaml", settings={"amplitude_ma": 3.0},
                         user=USER)
    records.add_visit(eng, **P, visit="m3", date="2025-05-01", responses={"odi": ODI},
                      user=USER)
    clinical.add_complication(eng, **P, onset_date="2025-03-01", category="device_related",
                              serious=False, relation="probable", implant_id=imp, user=USER)
    clinical.add_revision(eng, implant_id=imp, date="2025-06-01", kind="revision",
                          reason="lead_migration", user=USER)
    return eng


def test_the_timeline_holds_every_kind_of_record(engine) -> None:
    t = patient_timeline(engine, "S01", "P001")
    assert t["patient"]["local_id"] == "P001" and t["patient"]["diagnoses"] == ["FBSS"]
    assert [x["start_date"] for x in t["trials"]] == ["2024-12-01"]
    assert t["trials"][0]["percent_relief"] == 60 and t["trials"][0]["success"] is True
    (imp,) = t["implants"]
    assert imp["date"] == "2025-01-31" and imp["programs"][0]["reference"] == \
        "programs/p001.yaml" and imp["programs"][0]["settings"] == {"amplitude_ma": 3.0}
    assert [v["visit"] for v in t["visits"]] == ["baseline", "m3"]
    assert [c["onset_date"] for c in t["complications"]] == ["2025-03-01"]
    assert [r["reason"] for r in t["revisions"]] == ["lead_migration"]
    # the scores equal the whole-site export's for this patient
    snap = read_registry(engine, site="S01")
    mine = sorted((s.to_dict() for s in snap.scores if s.local_id == "P001"),
                  key=lambda d: (d["visit"], d["instrument"], d["scale"], d["value_set"]))
    got = sorted((s for v in t["visits"] for s in v["scores"]),
                 key=lambda d: (d["visit"], d["instrument"], d["scale"], d["value_set"]))
    assert got == mine and len(got) >= 2


def test_the_patient_list_is_pseudonymised_and_unscored(engine) -> None:
    rows = list_patients(engine)
    assert [r["local_id"] for r in rows] == ["P001", "P002"]
    assert set(rows[0]) == {"site", "local_id", "birth_year", "sex", "consent",
                            "consent_date", "synthetic", "diagnoses"}
    assert list_patients(engine, site="S01") == rows
    with pytest.raises(NeuraxisInputError, match="site"):
        list_patients(engine, site="NOPE")


def test_the_timeline_refuses_unknown_or_bad_keys(engine) -> None:
    with pytest.raises(NeuraxisInputError, match="no patient 'P404'"):
        patient_timeline(engine, "S01", "P404")
    with pytest.raises(NeuraxisInputError, match="local_id"):
        patient_timeline(engine, "S01", "Jane Doe")
