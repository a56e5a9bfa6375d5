"""`neuraxis scs run` end to end on a coarse mesh with a small population."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes and solves a field basis

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")
pytest.importorskip("matplotlib")

from typer.testing import CliRunner

from neuraxis.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO = EXAMPLES / "scs_1x8_t8_low_back.yaml"
SMALL = ["--set", "mesh=coarse", "--set", "fibers.dc=60", "--set", "fibers.dr_per_root=2"]
runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, shared_cache_dir: Path) -> tuple[dict, Path]:
    tmp = tmp_path_factory.mktemp("scs")
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    res = runner.invoke(app, ["scs", "run", str(SCENARIO), *SMALL, "--out", str(tmp / "out"),
                              "--json"])
    assert res.exit_code == 0, res.output
    yield json.loads(res.stdout), tmp
    mp.undo()


KEYS = ("perception_threshold_ma", "discomfort_threshold_ma", "usable_range",
        "pain_coverage_pct", "paresthesia", "dc_recruited_fraction", "dr_recruited_fraction",
        "recruitment_curve", "timings_s")


def test_results_files_and_keys(run) -> None:
    data, tmp = run
    out = tmp / "out"
    for name in ("results.json", "report.html", "body_map.png", "recruitment.png",
                 "cross_section.png"):
        assert (out / name).stat().st_size > 1000, name
    assert set(KEYS) <= set(data)
    on_disk = json.loads((out / "results.json").read_text())
    assert {k: on_disk[k] for k in KEYS} == {k: data[k] for k in KEYS}
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "low_back" in html


def test_numbers_follow_from_the_fiber_thresholds(run) -> None:
    data, _ = run
    fibers = data["fibers"]
    thr = {k: np.array([f["threshold_ma"] if f["threshold_ma"] is not None else np.inf
                        for f in fibers if f["kind"] == k]) for k in ("dc", "dr")}
    assert len(thr["dc"]) == 60 and len(thr["dr"]) > 0
    assert data["perception_threshold_ma"] == pytest.approx(thr["dc"].min(), abs=1e-4)
    assert data["discomfort_threshold_ma"] == pytest.approx(thr["dr"].min(), abs=1e-4)
    assert data["usable_range"] == pytest.approx(
        data["discomfort_threshold_ma"] / data["perception_threshold_ma"], rel=1e-3)
    amp = data["program"]["amplitude_ma"]
    assert data["dc_recruited_fraction"] == pytest.approx(np.mean(thr["dc"] <= amp), abs=1e-4)
    curve = data["recruitment_curve"]
    assert np.all(np.diff(curve["dc_fraction"]) >= 0) and np.all(np.diff(curve["dr_fraction"]) >= 0)
    assert 0.0 <= data["pain_coverage_pct"] <= 100.0
    # clinical range for a percutaneous lead at T8-T10 (REFERENCE 2.2: about 1-5 mA)
    assert 0.5 < data["perception_threshold_ma"] < 6.0
    # every dermatome with paresthesia has a recruited fiber carrying it
    recruited = {f["dermatome"] for f in fibers
                 if f["threshold_ma"] is not None and f["threshold_ma"] <= amp}
    assert {k for k, v in data["paresthesia"].items() if v > 0} == recruited


def test_new_amplitude_reuses_the_cached_basis(run) -> None:
    data, tmp = run
    res = runner.invoke(app, ["scs", "run", str(SCENARIO), *SMALL, "--set",
                              "program.amplitude_ma=2.0", "--out", str(tmp / "b"), "--json",
                              "--no-figures"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["timings_s"]["field_basis"] < 1.0
    assert again["perception_threshold_ma"] == data["perception_threshold_ma"]
    assert again["dc_recruited_fraction"] <= data["dc_recruited_fraction"]


def test_table_output(run) -> None:
    _, tmp = run
    res = runner.invoke(app, ["scs", "run", str(SCENARIO), *SMALL, "--out", str(tmp / "c"),
                              "--no-figures"])
    assert res.exit_code == 0, res.output
    assert "perception threshold" in res.stdout and "pain coverage" in res.stdout


def test_regions() -> None:
    res = runner.invoke(app, ["scs", "regions", "--json"])
    names = json.loads(res.stdout)
    assert {"low_back", "buttock_left", "thigh_posterior_right", "L5_left"} <= set(names)
    assert "low_back" in runner.invoke(app, ["scs", "regions"]).stdout


@pytest.mark.parametrize(("sets", "fragment"), [
    (["pain_map=[low_bak]"], "did you mean 'low_back'"),
    (["program.contacts={E9: -1}"], "'program.contacts contact'"),
    (["program.amplitude_ma=-1"], "program.amplitude_ma"),
    (["anatomi.dcsf_mm=3"], "did you mean 'anatomy'"),
    (["fibers.dc=3"], "fibers.dc"),
    (["anatomy.dcsf_mm"], "key.path=value"),
])
def test_bad_input_is_one_error_line(sets: list[str], fragment: str, tmp_path: Path) -> None:
    args = ["scs", "run", str(SCENARIO), "--set", "mesh=coarse", "--out", str(tmp_path)]
    for s in sets:
        args += ["--set", s]
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert fragment in res.output and "Traceback" not in res.output
