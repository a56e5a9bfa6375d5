"""MRG behaviour against published observations: the ``axons`` rows of the validation
table (:mod:`neuraxis.validation.axons`, sources and tolerances in each row)."""

from __future__ import annotations

import pytest

from neuraxis.validation import row, validation_rows
from neuraxis.validation.axons import CHECK_IDS


@pytest.fixture(scope="module")
def rows():
    return validation_rows(["axons"])


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_axon_row(rows, check_id: str) -> None:
    r = row(rows, check_id)
    if r.expected_failure:
        pytest.xfail(r.expected_failure)
    assert r.passed, f"{r.quantity}: model {r.model}, reference {r.reference} ({r.source})"


def test_rows_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chronaxie row discriminates: a range that excludes the model's value fails."""
    from neuraxis.validation import axons

    monkeypatch.setattr(axons, "CHRONAXIE_RANGE_US", (300.0, 400.0))
    assert not axons.chronaxie().passed
