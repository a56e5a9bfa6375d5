"""`scs uncertainty` end to end: a small Sobol' sweep on a local Dask cluster of 2 workers.

The bundled 1x8 scenario, made cheap: coarse mesh, 60 mm model, a 3-contact lead (guarded
cathode), 20 dorsal-column fibers and one fiber per root; two conductivity inputs (CSF,
dura) and N = 2, so 8 samples on one shared mesh. Then a resume after deleting cached
samples, and the shared-mesh path checked against a sample that meshes on its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # meshes and solves field bases on a Dask cluster

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")
pytest.importorskip("matplotlib")
pytest.importorskip("SALib")
pytest.importorskip("distributed")

import typer
from typer.testing import CliRunner

from neuraxis.cli.scs_uncertainty import register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO = EXAMPLES / "scs_1x8_t8_low_back.yaml"
SMALL = ["--set", "fibers.dc=20", "--set", "fibers.dr_per_root=1",
         "--set", "anatomy.length_mm=60", "--set", "placement.offset_z_mm=0",
         "--set", "lead={kind: percutaneous, n_contacts: 3, diameter_mm: 1.3, "
                  "contact_length_mm: 3, gap_mm: 4, body_end_mm: 2}",
         "--set", "program.contacts={E1: 0.5, E2: -1, E3: 0.5}"]
INPUTS = "sigma_csf,sigma_dura"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # a group, so that the command is called by its name
        pass

    return app


def _invoke(out: Path) -> tuple[dict, float]:
    args = ["uncertainty", str(SCENARIO), "--samples", "2", "--mesh", "coarse",
            "--workers", "2", "--inputs", INPUTS, "--out", str(out), "--json", *SMALL]
    t = time.perf_counter()
    res = runner.invoke(_app(), args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), time.perf_counter() - t


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("uq") / "out"
    first, t_first = _invoke(out)
    files = sorted((out / "samples").glob("*.json"))
    before = {p.name: (p.stat().st_mtime_ns, json.loads(p.read_text())) for p in files}
    gone = [files[1], files[5]]
    for p in gone:
        p.unlink()
    second, t_second = _invoke(out)
    return {"out": out, "first": first, "second": second, "before": before,
            "gone": {p.name for p in gone}, "times_s": (t_first, t_second)}


def test_sweep_outputs(sweep: dict) -> None:
    d, out = sweep["first"], sweep["out"]
    assert d["counts"] == {"ok": 8, "refused": 0, "error": 0, "missing": 0}
    assert [i["name"] for i in d["inputs"]] == ["sigma_csf", "sigma_dura"]
    summary = {s["output"]: s for s in d["summary"]}
    pt = summary["perception_threshold_ma"]
    assert pt["n"] == 8 and pt["p05"] <= pt["median"] <= pt["p95"]
    assert 0.1 < pt["median"] < 10.0
    written = json.loads((out / "uncertainty.json").read_text())["files"]
    for name in ("summary_csv", "sobol_csv", "markdown", "json", "figure", "body_map_p50"):
        assert Path(written[name]).is_file(), name
    sobol = {s["output"]: s for s in d["sobol"]}
    s = sobol["perception_threshold_ma"]
    assert s["n_blocks_used"] == 2 and len(s["ST"]) == 2
    assert all(v is not None for v in s["ST"])
    prov = d["provenance"]
    assert prov["cluster"]["n_workers"] == 2
    assert prov["design"]["n_samples"] == 8 and prov["mesh"] == "coarse"
    md = (out / "uncertainty.md").read_text()
    assert "| sigma_dura |" in md and "Khadka" in md
    # one geometry: every sample solved on the shared mesh
    samples = [json.loads(p.read_text()) for p in (out / "samples").glob("*.json")]
    assert all(r["outputs"]["mesh_reused"] for r in samples)
    assert len(list((out / "meshes").glob("*.pkl"))) == 1


def test_resume_computes_only_the_missing_samples(sweep: dict) -> None:
    out, before, gone = sweep["out"], sweep["before"], sweep["gone"]
    assert sweep["second"]["counts"]["ok"] == 8
    after = {p.name: p for p in (out / "samples").glob("*.json")}
    assert set(after) == set(before)
    for name, (mtime, rec) in before.items():
        new = json.loads(after[name].read_text())
        if name in gone:  # recomputed: same sample, same numbers
            assert new["sample"] == rec["sample"]
            for k in ("perception_threshold_ma", "discomfort_threshold_ma"):
                assert new["outputs"][k] == pytest.approx(rec["outputs"][k], rel=1e-6)
        else:  # untouched
            assert after[name].stat().st_mtime_ns == mtime
    for a, b in zip(sweep["second"]["summary"], sweep["first"]["summary"], strict=True):
        assert a["output"] == b["output"] and a["n"] == b["n"]
        for k in ("median", "p05", "p95"):  # AMG round-off (~1e-11) moves PT/DT by ~1e-9
            assert a[k] == pytest.approx(b[k], rel=1e-6)
    print(f"\nsweep {sweep['times_s'][0]:.1f} s, resume {sweep['times_s'][1]:.1f} s")


def test_shared_mesh_equals_own_mesh(sweep: dict) -> None:
    """A sample on the group's mesh gives what it gives when it meshes on its own."""
    from neuraxis.uncertainty.scs_model import MeshStore
    from neuraxis.uncertainty.sweep import plan_sweep

    overrides = [a for a in SMALL if a != "--set"]
    plan = plan_sweep(SCENARIO, 2, overrides=overrides, inputs=INPUTS.split(","),
                      mesh="coarse")
    sample = plan.samples[3]
    rec = json.loads((sweep["out"] / "samples" / f"{plan.keys[3]}.json").read_text())
    shared = MeshStore(sweep["out"] / "meshes").get(sample.group)
    assert shared is not None
    own = dataclasses.replace(plan.model, reuse_meshes=False)
    fresh = own.evaluate(None, sample)
    assert fresh["mesh_reused"] is False
    for k in ("perception_threshold_ma", "discomfort_threshold_ma", "usable_range",
              "pain_coverage_pct"):
        # gmsh meshes on one thread, so the mesh and thus the numbers are the same
        assert fresh[k] == pytest.approx(rec["outputs"][k], rel=1e-6), k


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    app = _app()
    res = runner.invoke(app, ["uncertainty", str(SCENARIO), "--samples", "0",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "'--samples'" in res.output
    res = runner.invoke(app, ["uncertainty", str(SCENARIO), "--samples", "2", "--no-figures",
                              "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no Dask scheduler answered" in res.output
    assert os.path.isdir(tmp_path / "o") is False
