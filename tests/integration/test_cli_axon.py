"""Unit tests of the ``neuraxis`` command line (fast: coarse steps, small cases)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis.cli import FIBER_COLUMNS, app

runner = CliRunner()

FAST = ["--dt-us", "5", "--rel-tol", "0.02"]
ONE_FIBER = ["axon", "threshold", "--diameter-um", "10", "--distance-mm", "1", *FAST]
GOOD_ROW = {"diameter_um": "10", "distance_mm": "1", "offset_mm": "0", "pulse_width_us": "100",
            "sigma_s_per_m": "0.2", "polarity": "cathodic", "shape": "mono"}


def _write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = FIBER_COLUMNS,
               ) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _assert_input_error(result, *fragments: str) -> str:
    """Exit code 2, one 'Error: ...' line on stderr, no traceback, all fragments in it."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- help, version

@pytest.mark.parametrize(("args", "expected"), [
    ([], ["axon", "--version", "--verbose"]),
    (["axon"], ["threshold", "thresholds", "cv"]),
    (["axon", "threshold"], ["--diameter-um", "--distance-mm", "--sigma-s-per-m",
                             "--pulse-width-us", "--offset-mm", "--biphasic", "--anodic",
                             "--dt-us", "--rel-tol", "--n-nodes", "--json"]),
    (["axon", "cv"], ["--diameter-um", "--model", "--dt-us", "--json"]),
    (["axon", "thresholds"], ["--csv", "--model", "--dt-us", "--rel-tol", "--json", "--out",
                              "--quiet"]),
])
def test_help(args: list[str], expected: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    for opt in expected:
        assert opt in result.stdout


def test_version() -> None:
    import neuraxis

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert neuraxis.__version__ in result.stdout


# --------------------------------------------------------------------------- axon threshold

def test_threshold_json() -> None:
    result = runner.invoke(app, [*ONE_FIBER, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert isinstance(out["threshold_ma"], float) and out["threshold_ma"] > 0
    assert out["status"] == "ok"
    assert out["polarity"] == "cathodic" and out["shape"] == "mono"
    for key in ("model", "diameter_um", "distance_mm", "offset_mm", "sigma_s_per_m",
                "pulse_width_us", "dt_us", "rel_tol", "n_nodes", "n_simulations"):
        assert key in out
    assert out["dt_us"] == 5.0 and out["rel_tol"] == 0.02 and out["diameter_um"] == 10.0


def test_threshold_flags_and_table() -> None:
    result = runner.invoke(app, [*ONE_FIBER, "--anodic", "--biphasic", "--n-nodes", "21"])
    assert result.exit_code == 0, result.output
    for word in ("threshold_ma", "anodic", "biphasic", "n_simulations"):
        assert word in result.stdout


def test_verbose_flag() -> None:
    result = runner.invoke(app, ["-v", *ONE_FIBER, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["threshold_ma"] > 0


@pytest.mark.parametrize(("extra", "fragments"), [
    (["--diameter-um", "40"], ["'diameter_um'", "[2, 16] um", "40 um"]),
    (["--distance-mm", "0"], ["'distance_mm'", "[0.01, 100] mm"]),
    (["--pulse-width-us", "1"], ["'pulse_width_us'", "[5, 10000] us"]),
    (["--sigma-s-per-m", "-1"], ["'sigma_s_per_m'", "S/m"]),
    (["--dt-us", "0"], ["'dt_us'", "[0.1, 50] us"]),
    (["--rel-tol", "0.5"], ["'rel_tol'", "0.2"]),
    (["--n-nodes", "3"], ["'n_nodes'", "[9, 1001]"]),
    (["--model", "mgr"], ["'model'", "'mrg', 'sweeney'", "did you mean 'mrg'"]),
])
def test_threshold_bad_input(extra: list[str], fragments: list[str]) -> None:
    result = runner.invoke(app, [*ONE_FIBER, *extra])
    line = _assert_input_error(result, *fragments)
    assert "element" not in line


# --------------------------------------------------------------------------- axon cv

def test_cv_json() -> None:
    result = runner.invoke(app, ["axon", "cv", "--diameter-um", "10", "--dt-us", "5", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert 20.0 < out["cv_m_per_s"] < 100.0
    assert out["model"] == "mrg" and out["diameter_um"] == 10.0 and out["dt_us"] == 5.0


def test_cv_bad_diameter() -> None:
    result = runner.invoke(app, ["axon", "cv", "--diameter-um", "40"])
    _assert_input_error(result, "'diameter_um'", "[2, 16] um")


# --------------------------------------------------------------------------- axon thresholds

def test_thresholds_json_and_out(tmp_path: Path) -> None:
    rows = [GOOD_ROW, {**GOOD_ROW, "diameter_um": "16", "shape": "biphasic"}]
    src = _write_csv(tmp_path / "fibers.csv", rows)
    out_csv = tmp_path / "results.csv"
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src), *FAST, "--json",
                                 "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["row"] for r in records] == [1, 2]
    assert [r["diameter_um"] for r in records] == [10.0, 16.0]
    for rec in records:
        assert rec["threshold_ma"] > 0 and rec["status"] == "ok"
        assert rec["n_simulations"] > 0 and rec["n_nodes"] >= 21
        assert set(FIBER_COLUMNS) <= set(rec)
    with out_csv.open(newline="") as fh:
        written = list(csv.DictReader(fh))
    assert list(written[0]) == [*FIBER_COLUMNS, "threshold_ma", "status"]
    assert [float(w["threshold_ma"]) for w in written] == [r["threshold_ma"] for r in records]
    assert "thresholds/s" in result.stderr  # the timing footer


def test_thresholds_table(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv", [GOOD_ROW])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src), *FAST])
    assert result.exit_code == 0, result.output
    assert "threshold_ma" in result.stdout and "cathodic" in result.stdout
    quiet = runner.invoke(app, ["axon", "thresholds", "--csv", str(src), *FAST, "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr.strip() == ""


def test_thresholds_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(tmp_path / "nope.csv")])
    _assert_input_error(result, "nope.csv", "not found")


def test_thresholds_missing_column(tmp_path: Path) -> None:
    cols = tuple(c for c in FIBER_COLUMNS if c != "shape")
    src = _write_csv(tmp_path / "fibers.csv", [GOOD_ROW], columns=cols)
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src)])
    _assert_input_error(result, "missing column(s) 'shape'", "Required columns are",
                        *(repr(c) for c in FIBER_COLUMNS))


def test_thresholds_bad_polarity(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv", [GOOD_ROW, {**GOOD_ROW, "polarity": "cathodal"}])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src)])
    _assert_input_error(result, "'polarity'", "row 2", "'cathodic', 'anodic'",
                        "did you mean 'cathodic'")


def test_thresholds_bad_shape(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv", [{**GOOD_ROW, "shape": "monophasic"}])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src)])
    _assert_input_error(result, "'shape'", "row 1", "'mono', 'biphasic'")


def test_thresholds_non_numeric(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv",
                     [GOOD_ROW, GOOD_ROW, {**GOOD_ROW, "distance_mm": "1,5mm"}])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src)])
    _assert_input_error(result, "'distance_mm'", "row 3", "'1,5mm'", "mm")


def test_thresholds_out_of_range_row(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv", [GOOD_ROW, {**GOOD_ROW, "diameter_um": "40"}])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src), *FAST])
    line = _assert_input_error(result, "'diameter_um'", "row 2", "[2, 16] um")
    assert "element" not in line


def test_thresholds_empty_csv(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "fibers.csv", [])
    result = runner.invoke(app, ["axon", "thresholds", "--csv", str(src)])
    _assert_input_error(result, "no fiber rows")


def test_unexpected_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    import neuraxis.axons

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(neuraxis.axons, "find_thresholds", boom)
    result = runner.invoke(app, ONE_FIBER)
    assert result.exit_code != 2
    assert isinstance(result.exception, RuntimeError)


def test_python_dash_m_runs_the_cli():
    """``python -m neuraxis`` is the same CLI as the ``neuraxis`` command."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-m", "neuraxis", "scs", "regions", "--json"],
                         capture_output=True, text=True, timeout=120, check=True,
                         env=dict(os.environ, PYTHONPATH=str(src)))
    assert "low_back" in out.stdout


def test_binary_csv_is_one_error_line(tmp_path: Path) -> None:
    png = tmp_path / "fibers.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    res = runner.invoke(app, ["axon", "thresholds", "--csv", str(png)])
    assert res.exit_code == 2 and "a binary file, not text" in res.output
    assert "Traceback" not in res.output
