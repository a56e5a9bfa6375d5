"""Integration test: ``neuraxis axon thresholds`` on the example fiber population."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis.cli import FIBER_COLUMNS, app

REPO = Path(__file__).resolve().parents[2]
FIBERS_CSV = REPO / "examples" / "fibers.csv"
REL_TOL = 0.005  # the CLI default
NUMERIC = ("diameter_um", "distance_mm", "offset_mm", "pulse_width_us", "sigma_s_per_m")

runner = CliRunner()


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with FIBERS_CSV.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def batch(csv_rows: list[dict[str, str]]) -> list[dict]:
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(FIBERS_CSV), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    records = json.loads(result.stdout)
    assert len(records) == len(csv_rows)
    return records


def test_one_result_per_row_in_order(batch: list[dict], csv_rows: list[dict[str, str]]) -> None:
    for i, (rec, row) in enumerate(zip(batch, csv_rows, strict=True), start=1):
        assert rec["row"] == i
        for col in NUMERIC:
            assert rec[col] == pytest.approx(float(row[col]))
        assert rec["polarity"] == row["polarity"] and rec["shape"] == row["shape"]
        assert set(FIBER_COLUMNS) <= set(rec)


def test_all_finite_positive(batch: list[dict]) -> None:
    for rec in batch:
        assert rec["status"] == "ok", rec
        assert rec["threshold_ma"] is not None and math.isfinite(rec["threshold_ma"])
        assert rec["threshold_ma"] > 0
        assert rec["n_simulations"] > 0 and rec["n_nodes"] >= 21


def test_batch_thresholds_ordered_by_diameter(batch: list[dict]) -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for rec in batch:
        key = tuple(rec[c] for c in FIBER_COLUMNS if c != "diameter_um")
        groups[key].append(rec)
    series = [g for g in groups.values() if len({r["diameter_um"] for r in g}) >= 3]
    assert series, "examples/fibers.csv should hold rows that differ only in diameter"
    for group in series:
        group.sort(key=lambda r: r["diameter_um"])
        thr = [r["threshold_ma"] for r in group]
        assert all(a > b for a, b in zip(thr, thr[1:], strict=False)), (group, thr)


@pytest.mark.parametrize("row_index", [4, 22])  # cathodic mono with offset; anodic biphasic
def test_single_threshold_matches_batch(batch: list[dict], row_index: int) -> None:
    rec = batch[row_index]
    args = ["axon", "threshold", "--json", "--diameter-um", str(rec["diameter_um"]),
            "--distance-mm", str(rec["distance_mm"]), "--offset-mm", str(rec["offset_mm"]),
            "--pulse-width-us", str(rec["pulse_width_us"]),
            "--sigma-s-per-m", str(rec["sigma_s_per_m"])]
    if rec["polarity"] == "anodic":
        args.append("--anodic")
    if rec["shape"] == "biphasic":
        args.append("--biphasic")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    single = json.loads(result.stdout)
    assert single["polarity"] == rec["polarity"] and single["shape"] == rec["shape"]
    assert single["n_nodes"] == rec["n_nodes"]
    assert single["threshold_ma"] == pytest.approx(rec["threshold_ma"], rel=REL_TOL)
