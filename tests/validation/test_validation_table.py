"""The validation table: rows, statuses, the CLI and docs/validation.md kept current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis import NeuraxisInputError
from neuraxis.cli import app
from neuraxis.validation import AREAS, ValidationRow, markdown_table, validation_rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _row(**kw) -> ValidationRow:
    base = {"area": "pump", "check_id": "x", "quantity": "q (mm)", "source": "s",
            "reference": "1 mm", "model": "1 mm", "tolerance": "5 %", "passed": True}
    return ValidationRow(**{**base, **kw})


def test_status_names_known_and_unknown_disagreements() -> None:
    assert _row().status == "pass"
    assert _row(passed=False).status == "FAIL"
    assert _row(passed=False, expected_failure="why").status == "disagrees (known)"
    assert _row(expected_failure="why").status == "passes (expected to fail)"
    assert _row().to_dict()["status"] == "pass"


def test_bad_role_and_area_are_refused() -> None:
    with pytest.raises(NeuraxisInputError, match="Invalid value for 'role'"):
        _row(role="fitted")
    with pytest.raises(NeuraxisInputError, match="Allowed values are 'axons', 'pump'"):
        validation_rows(["pumps"])


def test_markdown_escapes_pipes_and_groups_by_area() -> None:
    text = markdown_table([_row(quantity="|x|"), _row(area="axons", check_id="y")])
    assert "\\|x\\|" in text
    assert text.index("## pump") < text.index("## axons")


#: Areas whose rows take minutes: their docs section is checked by their own slow test
#: from the rows it computes anyway (scs: tests/validation/test_scs_published.py).
SLOW_AREAS = ("scs",)


def _split(text: str) -> tuple[str, dict[str, str]]:
    """The text between the dated first line and the first ``## `` heading, and
    ``## area`` heading -> that section's text."""
    head, *parts = text.split("\n", 1)[1].split("\n## ")
    return head, {p.partition("\n")[0].strip(): p.partition("\n")[2] for p in parts}


def test_docs_validation_md_is_the_generated_table() -> None:
    """docs/validation.md equals `neuraxis validate --markdown` (after the dated first line)
    for every fast area, and has a section per area in table order; regenerate it with
    `neuraxis validate --out docs/validation.md`."""
    fast = [a for a in AREAS if a not in SLOW_AREAS]
    gen_head, generated = _split(markdown_table(validation_rows(fast)))
    stored_head, stored = _split(DOC.read_text(encoding="utf-8"))
    assert stored_head == gen_head
    assert list(stored) == list(AREAS)
    for area in fast:
        assert stored[area] == generated[area], area


def test_cli_json_and_exit_status(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["validate", "pump", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["neuraxis_version"] and doc["date"]
    assert {r["area"] for r in doc["rows"]} == {"pump"}
    assert all(r["status"] != "FAIL" for r in doc["rows"])
    out = tmp_path / "v.md"
    res = CliRunner().invoke(app, ["validate", "pump", "--out", str(out)])
    assert res.exit_code == 0 and out.read_text().startswith("<!-- generated")
    res = CliRunner().invoke(app, ["validate", "bogus"])
    assert res.exit_code == 2
    assert "Allowed values are 'axons', 'pump'" in res.output


def test_cli_exits_1_on_an_unexplained_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from neuraxis.validation import pump

    monkeypatch.setattr(pump, "rows", lambda: [_row(passed=False)])
    res = CliRunner().invoke(app, ["validate", "pump"])
    assert res.exit_code == 1 and "FAIL" in res.stdout
    monkeypatch.setattr(pump, "rows", lambda: [_row(passed=False, expected_failure="known")])
    assert CliRunner().invoke(app, ["validate", "pump"]).exit_code == 0
