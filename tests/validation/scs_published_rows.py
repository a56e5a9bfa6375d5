"""The tests of the ``scs`` validation rows, made once for the two files that split them
(test_scs_published.py: the percutaneous rows at T9; test_scs_published_other.py: the rest,
so the two test workers share the work). Not collected itself: no ``test_`` prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from neuraxis.validation import markdown_table, row, scs

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _sections(text: str) -> dict[str, str]:
    """``## area`` heading -> that section's text (up to the next ``## `` heading)."""
    out: dict[str, str] = {}
    for part in text.split("\n## ")[1:]:
        name, _, body = part.partition("\n")
        out[name.strip()] = body
    return out



def row_tests(check_ids: Sequence[str]) -> dict[str, object]:
    """The module fixture and tests for the rows ``check_ids`` (put them in a test module's
    namespace with ``globals().update(...)``)."""
    check_ids = list(check_ids)

    @pytest.fixture(scope="module")
    def scs_rows(shared_cache_dir: Path) -> list:
        """These rows, computed once, with the field bases in the shared cache."""
        mp = pytest.MonkeyPatch()
        mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
        try:
            runs = scs.Runs()
            yield [scs.ROW_FUNCTIONS[c](runs) for c in check_ids]
        finally:
            mp.undo()

    def _param(check_id: str) -> object:
        reason = scs.EXPECTED_FAILURES.get(check_id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        return pytest.param(check_id, id=check_id, marks=marks)

    @pytest.mark.parametrize("check_id", [_param(c) for c in check_ids])
    def test_scs_row(scs_rows: list, check_id: str) -> None:
        """The row agrees with its source at the source's tolerance."""
        r = row(scs_rows, check_id)
        assert r.passed, f"{r.quantity}: model {r.model}; reference {r.reference} " \
                         f"(tolerance: {r.tolerance})"

    def test_scs_rows_are_declared_and_explained(scs_rows: list) -> None:
        """Rows in table order, all held-out validation, each known disagreement stated in
        the row (and none failing without one)."""
        assert [r.check_id for r in scs_rows] == check_ids
        assert set(scs.EXPECTED_FAILURES) <= set(scs.CHECK_IDS)
        assert set(scs.PERCUTANEOUS_T9_ROWS) <= set(scs.CHECK_IDS)
        for r in scs_rows:
            assert r.area == "scs" and r.role == "validation"
            assert r.expected_failure == scs.EXPECTED_FAILURES.get(r.check_id, "")
            assert r.status != "FAIL", r
            assert "[unverified" in r.source or "abstract" in r.source, r.source

    def test_docs_validation_md_scs_rows_are_current(scs_rows: list) -> None:
        """These rows' lines of the ``## scs`` section of docs/validation.md are the
        generated ones; regenerate with `neuraxis validate --out docs/validation.md`."""
        generated = _sections(markdown_table(scs_rows))["scs"].splitlines()
        stored = _sections(DOC.read_text(encoding="utf-8")).get("scs", "").splitlines()
        lines = [ln for ln in generated if any(f"| {c} |" in ln for c in check_ids)]
        assert len(lines) == len(check_ids)
        for ln in lines:
            assert ln in stored, ln

    return {"scs_rows": scs_rows, "test_scs_row": test_scs_row,
            "test_scs_rows_are_declared_and_explained": test_scs_rows_are_declared_and_explained,
            "test_docs_validation_md_scs_rows_are_current":
                test_docs_validation_md_scs_rows_are_current}
