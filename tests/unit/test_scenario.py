"""The scenario layer: schema, YAML reading, overrides, the frozen Scenario, `scs` discovery
commands and the `scs run` refusals that happen before any computing."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis import NeuraxisInputError
from neuraxis._validate import check_keys
from neuraxis.cli import app
from neuraxis.scenario import (
    apply_overrides,
    keys,
    load_scenario,
    read_scenario,
    scenario_from_dict,
)
from neuraxis.scenario.schema import SECTIONS, section_keys

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scs_1x8_t8_low_back.yaml"
runner = CliRunner()


def _raw() -> dict:
    return read_scenario(EXAMPLE)


# ---------------------------------------------------------------- schema

def test_every_declared_key_is_documented() -> None:
    """As Datasette does for its settings: docs/scenario.md names every key."""
    docs = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    missing = [k.path for k in keys() if f"`{k.path}`" not in docs]
    assert not missing, f"undocumented scenario keys: {missing}"


def test_schema_keys_have_units_help_and_known_sections() -> None:
    for k in keys():
        assert k.section in SECTIONS and k.help, k
        if k.type == "float" and k.unit:
            assert k.name.endswith(("_mm", "_ma", "_us", "_hz", "_deg", "_s_per_m")) or \
                k.section == "anatomy", k.path  # conductivities: tissue names, unit S/m
    assert "dcsf_mm" in section_keys("anatomy") and "csf" in section_keys(
        "anatomy.conductivities")


def test_examples_load_and_use_only_declared_keys() -> None:
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        if path.name.startswith("pump_"):
            continue
        sc = load_scenario(path)
        assert sc.name and sc.placed.lead.contact_names


def test_scs_schema_prints_the_table() -> None:
    res = runner.invoke(app, ["scs", "schema", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["path"] for r in rows] == [k.path for k in keys()]
    table = runner.invoke(app, ["scs", "schema"])
    assert table.exit_code == 0 and "anatomy.dcsf_mm" in table.stdout
    md = runner.invoke(app, ["scs", "schema", "--markdown"]).stdout
    assert md.startswith("| key |") and "`program.amplitude_ma`" in md


# ---------------------------------------------------------------- reading

def test_scenario_is_frozen_and_typed() -> None:
    sc = load_scenario(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.mesh = "fine"  # type: ignore[misc]
    assert sc.program.contacts == {"E3": 0.5, "E4": -1.0, "E5": 0.5}
    assert sc.fibers.dc == 480 and sc.anatomy.level == "T8"
    d = sc.to_dict()
    assert d["program"]["amplitude_ma"] == 3.0 and d["source"] == str(EXAMPLE)
    json.dumps(d)  # plain data


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("  amplitude_ma: 3.0\n",
                                       "  amplitude_ma: 3.0\n  amplitude_ma: 9.0\n")
    p = tmp_path / "dup.yaml"
    p.write_text(text)
    with pytest.raises(NeuraxisInputError, match=r"'amplitude_ma' is given twice \(lines"):
        load_scenario(p)


def test_scientific_notation_is_a_number(tmp_path: Path) -> None:
    sc = load_scenario(EXAMPLE, ["program.pulse_width_us=1e3", "program.amplitude_ma=2.5E0"])
    assert sc.program.pulse_width_us == 1000.0 and sc.program.amplitude_ma == 2.5
    p = tmp_path / "sci.yaml"
    p.write_text(EXAMPLE.read_text().replace("pulse_width_us: 300", "pulse_width_us: 2e2"))
    assert load_scenario(p).program.pulse_width_us == 200.0


@pytest.mark.parametrize(("content", "match"), [
    (None, "is a folder, not a file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    (b"\xff\xfe\xfa not utf-8", "not UTF-8"),
    (b"- a\n- b\n", "expected a mapping"),
    (b"anatomy: {kind: spine\n", "not valid YAML"),
])
def test_bad_files_are_refused(tmp_path: Path, content: bytes | None, match: str) -> None:
    p = tmp_path / "x.yaml"
    if content is None:
        p.mkdir()
    else:
        p.write_bytes(content)
    with pytest.raises(NeuraxisInputError, match=match):
        load_scenario(p)


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        load_scenario("no/such/file.yaml")


@pytest.mark.parametrize(("sets", "match"), [
    (["anatomy.dcfs_mm=3"], r"key 'dcfs_mm' in 'anatomy.*did you mean 'dcsf_mm'"),
    (["lead.modle=percutaneous_1x8"], r"key 'modle' in 'lead'.*did you mean 'model'"),
    (["placement.offset_y_mm=1"], r"'offset_y_mm' in 'placement'.*did you mean"),
    (["fibers.dc_count=10"], r"'dc_count' in 'fibers'"),
    (["program.rate=40"], r"'rate' in 'program'.*did you mean 'rate_hz'"),
    (["anatomy.conductivities.csv=1.8"], r"'csv' in 'anatomy.conductivities'.*'csf'"),
    (["fibers.dc=3"], r"fibers.dc"),
    (["mesh=medium"], r"'mesh'.*'coarse', 'default', 'fine'"),
    (["name=my run/1"], r"'name'"),
    (["name=.."], r"'name'"),
    (["mesh="], r"'mesh'.*but got None"),
    (["program.contacts={E4:-1, E5:1}"], r"put a space after each colon"),
    (["anatomy.level=T9"], r"differs from the lead's level"),
    (["lead=null"], r"'lead' section is missing"),
])
def test_bad_values_are_refused(sets: list[str], match: str) -> None:
    with pytest.raises(NeuraxisInputError, match=match):
        load_scenario(EXAMPLE, sets)


def test_check_keys_suggests_close_names_not_all() -> None:
    many = tuple(f"key_{i}_mm" for i in range(40))
    with pytest.raises(NeuraxisInputError) as err:
        check_keys("section", {"key_3_mn": 1}, many)
    msg = str(err.value)
    assert "did you mean 'key_3_mm'" in msg and "'key_0_mm'" not in msg and msg.count("'key_") <= 5
    with pytest.raises(NeuraxisInputError, match="Expected a mapping"):
        check_keys("fibers", [1, 2], ("dc",))
    assert check_keys("fibers", None, ("dc",)) == {}


def test_overrides_replace_the_alias_and_do_not_touch_the_input() -> None:
    raw = _raw()
    out = apply_overrides(raw, ["placement.offset_mm=2"])
    assert "offset_x_mm" not in out["placement"] and raw["placement"]["offset_x_mm"] == 0.0
    assert scenario_from_dict(out).placed.placement.offset_x_mm == 2.0


def test_scenario_without_program_for_the_field_commands() -> None:
    raw = _raw()
    raw.pop("program")
    sc = scenario_from_dict(raw)
    assert sc.program is None
    with pytest.raises(NeuraxisInputError, match="'program' section is missing"):
        sc.require_program()


# ---------------------------------------------------------------- discovery commands

def test_scs_init_writes_a_valid_template(tmp_path: Path) -> None:
    out = tmp_path / "case.yaml"
    res = runner.invoke(app, ["scs", "init", "case_1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    assert sc.name == "case_1" and sc.program is not None
    assert "# " in out.read_text()  # commented
    again = runner.invoke(app, ["scs", "init", "case_1", "--out", str(out)])
    assert again.exit_code == 2 and "not overwritten" in again.output
    bad = runner.invoke(app, ["scs", "init", "../case"])
    assert bad.exit_code == 2 and "'name'" in bad.output


def test_scs_leads_lists_the_catalogue_with_sources() -> None:
    res = runner.invoke(app, ["scs", "leads", "--json"])
    leads = json.loads(res.stdout)
    assert {"percutaneous_1x8", "paddle_5_6_5"} <= set(leads)
    assert all(e["source"] for e in leads.values())
    table = runner.invoke(app, ["scs", "leads"]).stdout
    assert "paddle_5_6_5" in table and "unverified" in table


def test_top_level_help_names_today_commands() -> None:
    out = runner.invoke(app, ["--help"]).stdout
    for cmd in ("scs", "field", "axon", "pump", "cache"):
        assert re.search(rf"\b{cmd}\b", out), cmd


# ---------------------------------------------------------------- scs run: refusals first

def _run(args: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEURAXIS_CACHE_DIR", str(cache))
    return runner.invoke(app, ["scs", "run", str(EXAMPLE), "--no-figures", *args])


def test_out_naming_a_file_is_refused_before_computing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "results.txt"
    f.write_text("x")
    res = _run(["--out", str(f)], tmp_path / "cache", monkeypatch)
    assert res.exit_code == 2 and "is a file, not a folder" in res.output
    assert not (tmp_path / "cache").exists()  # nothing was meshed or solved
    res = _run(["--out", str(tmp_path / "no" / "such")], tmp_path / "cache", monkeypatch)
    assert res.exit_code == 2 and "does not exist" in res.output


def test_out_folder_of_another_run_needs_overwrite(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text(json.dumps(
        {"provenance": {"scenario_file": str(EXAMPLE), "overrides": ["anatomy.dcsf_mm=4"]}}))
    res = _run(["--out", str(out)], tmp_path / "cache", monkeypatch)
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert not (tmp_path / "cache").exists()


def test_default_folder_names_the_overrides() -> None:
    from neuraxis.cli.scs import _output_folder

    plain = _output_folder(None, "case", [])
    a = _output_folder(None, "case", ["anatomy.dcsf_mm=4"])
    b = _output_folder(None, "case", ["anatomy.dcsf_mm=5"])
    assert plain.name == "scs-case" and a != b and a.name.startswith("scs-case-set-")
    assert ".gitignore" and "scs-*/" in (ROOT / ".gitignore").read_text()


def test_scs_run_refuses_bad_files_cleanly(tmp_path: Path) -> None:
    png = tmp_path / "scenario.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    for target in (tmp_path, png):
        res = runner.invoke(app, ["scs", "run", str(target)])
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert "Error:" in res.output
