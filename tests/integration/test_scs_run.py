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


def _afferents(fibers: list[dict]) -> list[dict]:
    """One entry per afferent: the row with its lowest threshold (None: infinity)."""
    best: dict[int, dict] = {}
    for f in fibers:
        t = np.inf if f["threshold_ma"] is None else f["threshold_ma"]
        if f["afferent_id"] not in best or t < best[f["afferent_id"]]["t"]:
            best[f["afferent_id"]] = {**f, "t": t}
    return list(best.values())


def _real(affs: list[dict], amp: float, keep) -> float:
    return sum(a["weight_fibers"] for a in affs if a["t"] <= amp and keep(a))


def test_numbers_follow_from_the_fiber_thresholds(run) -> None:
    data, _ = run
    affs = _afferents(data["fibers"])
    crit = data["percept"]["criteria"]
    pt, dt = data["perception_threshold_ma"], data["discomfort_threshold_ma"]
    assert data["fiber_counts"]["sampled_dc_fibers"] == 60
    # PT: the dorsal-column-initiated real fibres reach the perception count there (to
    # within one sampled fibre's weight: the count is interpolated between thresholds)
    dc_site = [a for a in affs if a["initiation_site"] == "dc"]
    w_max = max(a["weight_fibers"] for a in dc_site)
    n_pt = _real(dc_site, pt * (1 + 1e-6), lambda a: True)
    assert abs(n_pt - crit["perception_fibers"]) <= w_max
    assert _real(dc_site, pt * 0.999, lambda a: True) < crit["perception_fibers"] + w_max
    # DT: one root's afferents excited in the root or entry zone reach the discomfort count
    root = data["fiber_counts"]["discomfort"]["root"]
    at_root: dict[int, float] = {}
    for f in data["fibers"]:
        if (f["kind"] == "dr" and f"{f['segment']}_{f['side']}" == root
                and f["initiation_site"] in ("root", "drez")):
            at_root[f["afferent_id"]] = min(at_root.get(f["afferent_id"], np.inf),
                                            f["threshold_ma"])
    w_of = {a["afferent_id"]: a["weight_fibers"] for a in affs}
    n_dt = sum(w_of[i] for i, t in at_root.items() if t <= dt * (1 + 1e-6))
    assert n_dt >= crit["discomfort_fibers"] - max(w_of[i] for i in at_root)
    assert sum(w_of[i] for i, t in at_root.items() if t < dt * 0.999) < crit[
        "discomfort_fibers"] + max(w_of[i] for i in at_root)
    assert data["usable_range"] == pytest.approx(dt / pt, rel=1e-3)
    amp = data["program"]["amplitude_ma"]
    dc = [a for a in affs if a["kind"] == "dc"]
    assert data["dc_recruited_fraction"] == pytest.approx(
        _real(dc, amp, lambda a: True) / sum(a["weight_fibers"] for a in dc), abs=1e-4)
    curve = data["recruitment_curve"]
    assert np.all(np.diff(curve["dc_fraction"]) >= 0) and np.all(np.diff(curve["dr_fraction"]) >= 0)
    assert 0.0 <= data["pain_coverage_pct"] <= 100.0
    # at or above PT the felt dermatomes are those with >= felt_fibers real fibres firing
    assert amp >= pt
    felt = {d for d in {a["dermatome"] for a in affs}
            if _real(affs, amp, lambda a, d=d: a["dermatome"] == d) >= crit["felt_fibers"]}
    assert set(data["paresthesia"]) == felt
    assert data["fiber_counts"]["perception"]["sampled_fibers_firing"] >= 1


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
