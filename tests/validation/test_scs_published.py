"""SCS model against published observations: the percutaneous T9 ``scs`` rows of the
validation table.

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

import pytest

pytestmark = pytest.mark.slow  # SCS sessions on meshed models (minutes)

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from scs_published_rows import row_tests

from neuraxis.validation import scs

#: The percutaneous rows at T9; test_scs_published_other.py computes the rest.
globals().update(row_tests([c for c in scs.CHECK_IDS if c in scs.PERCUTANEOUS_T9_ROWS]))
