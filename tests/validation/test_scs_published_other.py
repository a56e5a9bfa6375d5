"""SCS model against published observations: the paddle, T8 and T10 ``scs`` rows of
the validation table.

The rows (:mod:`neuraxis.validation.scs`: sources, tolerances and the sampling-tolerance
rule there; ``docs/validation_scs.md``) are computed once per module from one memo of runs
on the coarse mesh with the default fiber sampling; the rows are split over two files
(the percutaneous T9 rows in test_scs_published.py, the rest in
test_scs_published_other.py) so that the two test workers share the work. Each test
asserts one row at its source's tolerance; a row the model is known to fail is a strict
expected failure carrying the row's reason, so it turns into a failure the day the model
agrees. This file's lines of the ``## scs`` section of ``docs/validation.md`` are compared
with the same rows (no second computation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # SCS sessions on meshed models (minutes)

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis.validation import markdown_table, row, scs

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _sections(text: str) -> dict[str, str]:
    """``## area`` heading -> that section's text (up to the next ``## `` heading)."""
    out: dict[str, str] = {}
    for part in text.split("\n## ")[1:]:
        name, _, body = part.partition("\n")
        out[name.strip()] = body
    return out


GROUP = False
#: The rows of this file: the other file computes the rest, on the other test worker.
CHECK_IDS = [c for c in scs.CHECK_IDS if (c in scs.PERCUTANEOUS_T9_ROWS) == GROUP]


@pytest.fixture(scope="module")
def scs_rows(shared_cache_dir: Path) -> list:
    """This file's scs rows, computed once, with the field bases in the shared cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    try:
        runs = scs.Runs()
        yield [scs.ROW_FUNCTIONS[c](runs) for c in CHECK_IDS]
    finally:
        mp.undo()


def _param(check_id: str) -> object:
    reason = scs.EXPECTED_FAILURES.get(check_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(check_id, id=check_id, marks=marks)


@pytest.mark.parametrize("check_id", [_param(c) for c in CHECK_IDS])
def test_scs_row(scs_rows: list, check_id: str) -> None:
    """The row agrees with its source at the source's tolerance."""
    r = row(scs_rows, check_id)
    assert r.passed, f"{r.quantity}: model {r.model}; reference {r.reference} " \
                     f"(tolerance: {r.tolerance})"


def test_scs_rows_are_declared_and_explained(scs_rows: list) -> None:
    """Rows in table order, all held-out validation, each known disagreement stated in
    the row (and none failing without one)."""
    assert [r.check_id for r in scs_rows] == CHECK_IDS
    assert set(scs.EXPECTED_FAILURES) <= set(scs.CHECK_IDS)
    assert set(scs.PERCUTANEOUS_T9_ROWS) <= set(scs.CHECK_IDS)
    for r in scs_rows:
        assert r.area == "scs" and r.role == "validation"
        assert r.expected_failure == scs.EXPECTED_FAILURES.get(r.check_id, "")
        assert r.status != "FAIL", r
        assert "[unverified" in r.source or "abstract" in r.source, r.source


def test_docs_validation_md_scs_rows_are_current(scs_rows: list) -> None:
    """This file's lines of the ``## scs`` section of docs/validation.md are the generated
    ones; regenerate with `neuraxis validate --out docs/validation.md`."""
    generated = _sections(markdown_table(scs_rows))["scs"].splitlines()
    stored = _sections(DOC.read_text(encoding="utf-8")).get("scs", "").splitlines()
    lines = [ln for ln in generated if any(f"| {c} |" in ln for c in CHECK_IDS)]
    assert len(lines) == len(CHECK_IDS)
    for ln in lines:
        assert ln in stored, ln
