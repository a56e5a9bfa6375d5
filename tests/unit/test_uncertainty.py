"""Uncertainty sweep: inputs and overrides, the sample cache and resume, Sobol' indices.

The runner is exercised on an in-process Dask cluster with a cheap model function (no
mesh, no solve); the Sobol' analysis against the Ishigami function's closed-form indices.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("SALib")
pytest.importorskip("distributed")

from neuraxis import NeuraxisInputError
from neuraxis.scenario import load_scenario
from neuraxis.uncertainty.cache import SampleCache, sample_key
from neuraxis.uncertainty.inputs import input_table, resolve_inputs
from neuraxis.uncertainty.runner import open_client, run_samples
from neuraxis.uncertainty.sampling import make_samples, salib_problem, sobol_design
from neuraxis.uncertainty.sensitivity import sobol_indices, summarize

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO = EXAMPLES / "scs_1x8_t8_low_back.yaml"
PADDLE = EXAMPLES / "scs_paddle_565_t9_lateral.yaml"


# ---------------------------------------------------------------- inputs and overrides
def test_every_input_has_a_source_and_a_scenario_key() -> None:
    from neuraxis.scenario.schema import find_key

    for name, e in input_table().items():
        assert find_key(e["path"]) is not None, name
        ranges = e["per_level"].values() if "per_level" in e else [e]
        for r in ranges:
            assert r["source"] and isinstance(r["verified"], bool), name
            assert r["low"] < r["high"], name


def test_resolve_inputs_level_relative_and_inactive() -> None:
    sc = load_scenario(PADDLE, ["anatomy.encapsulation_thickness_mm=0"])  # T9, acute lead
    inputs, notes = resolve_inputs(sc)
    by = {i.name: i for i in inputs}
    assert "sigma_encapsulation" not in by and any("encapsulation" in n for n in notes)
    assert by["dcsf"].low < by["dcsf"].high and "T9" in by["dcsf"].source
    x0 = sc.placed.placement.offset_x_mm  # the paddle's planned lateral offset
    assert by["lead_offset_x"].nominal == x0 != 0.0
    assert by["lead_offset_x"].low == pytest.approx(x0 - 1.0)
    # the paddle fits no further left: the upper end shrinks with the others (joint fit),
    # and every corner of the geometry box places
    assert x0 < by["lead_offset_x"].high < x0 + 1.0
    assert any("shrunk together" in n for n in notes)
    geo = [i for i in inputs if i.kind == "geometry"]
    for ends in itertools.product((0, 1), repeat=len(geo)):
        load_scenario(PADDLE, ["anatomy.encapsulation_thickness_mm=0"]
                      + [f"{i.path}={(i.low, i.high)[e]!r}" for i, e in
                         zip(geo, ends, strict=True)])
    sc12 = load_scenario(SCENARIO, ["anatomy.level=T12", "placement.level=T12",
                                    "anatomy.encapsulation_thickness_mm=0.3"])
    alone = resolve_inputs(sc12, ["dcsf", "sigma_encapsulation"])[0]
    assert (alone[0].low, alone[0].high) == (1.5, 4.5)  # Holsheimer 1994, T12
    assert alone[1].name == "sigma_encapsulation"


def test_resolve_inputs_clips_to_the_accepted_range(monkeypatch: pytest.MonkeyPatch) -> None:
    # the accepted range is read from the anatomy layer when the sweep is set up
    from neuraxis.anatomy import model

    sc = load_scenario(SCENARIO)
    full = resolve_inputs(sc, ["cord_offset_x"])[0][0]
    assert (full.low, full.high) == (-2.0, 2.0) and not full.note
    ranges = dict(model.SPINE_RANGES_MM, cord_offset_x_mm=(-1.5, 1.5))
    monkeypatch.setattr(model, "SPINE_RANGES_MM", ranges)
    inputs, notes = resolve_inputs(sc, ["cord_offset_x"])
    assert (inputs[0].low, inputs[0].high) == (-1.5, 1.5)
    assert any("clipped to -1.5-1.5" in n for n in notes)
    # a relative input: the lead's own offset plus the sampled error
    sc1 = load_scenario(SCENARIO, ["placement.offset_x_mm=0.5"])
    lead = resolve_inputs(sc1, ["lead_offset_x"])[0][0]
    assert (lead.nominal, lead.low, lead.high) == (0.5, -0.5, 1.5)


def test_resolve_inputs_errors() -> None:
    sc = load_scenario(SCENARIO, ["anatomy.encapsulation_thickness_mm=0"])
    with pytest.raises(NeuraxisInputError, match="did you mean 'dcsf'"):
        resolve_inputs(sc, ["dcfs"])
    with pytest.raises(NeuraxisInputError, match="encapsulation_thickness_mm is 0"):
        resolve_inputs(sc, ["sigma_encapsulation"])
    with pytest.raises(NeuraxisInputError, match="given twice"):
        resolve_inputs(sc, ["dcsf", "dcsf"])


def test_samples_map_to_valid_overrides() -> None:
    sc = load_scenario(SCENARIO)
    inputs, _ = resolve_inputs(sc)
    design = sobol_design(inputs, 4)
    samples = make_samples(inputs, design)
    d = len(inputs)
    assert len(samples) == 4 * (d + 2)
    for s in samples:
        assert len(s.overrides) == d
        for inp, ov, v in zip(inputs, s.overrides, s.values, strict=True):
            path, _, text = ov.partition("=")
            assert path == inp.path and math.isclose(float(text), v)
            assert inp.low - 1e-9 <= v <= inp.high + 1e-9
    # log-uniform inputs are sampled in log space
    dura = [i for i, inp in enumerate(inputs) if inp.name == "sigma_dura"][0]
    assert np.allclose(np.log([s.values[dura] for s in samples]), design[:, dura], atol=1e-8)
    # the overrides load (geometric refusals aside: they are recorded by the runner)
    loaded = 0
    for s in samples:
        try:
            load_scenario(SCENARIO, list(s.overrides))
            loaded += 1
        except NeuraxisInputError as exc:  # a geometry the anatomy refuses
            assert "Invalid anatomy" in str(exc) or "'dcsf_mm'" in str(exc) or \
                "'cord_offset_x_mm'" in str(exc) or "Invalid placement" in str(exc)
    assert loaded >= 1
    # AB_i rows of a conductivity share the geometry group of A
    a, ab = samples[0], samples[1:d + 1]
    for inp, row in zip(inputs, ab, strict=True):
        assert (row.group == a.group) == (inp.kind == "conductivity")


def test_bad_sample_count() -> None:
    sc = load_scenario(SCENARIO)
    inputs, _ = resolve_inputs(sc, ["sigma_csf"])
    for bad in (0, -3, 2.5, True):
        with pytest.raises(NeuraxisInputError, match="'--samples'.*integer >= 1"):
            sobol_design(inputs, bad)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from neuraxis._soft_import import MissingDependencyError

    sc = load_scenario(SCENARIO)
    inputs, _ = resolve_inputs(sc, ["sigma_csf"])
    monkeypatch.setitem(sys.modules, "SALib.sample.sobol", None)
    with pytest.raises(MissingDependencyError, match=r"neuraxis\[uncertainty\]"):
        sobol_design(inputs, 2)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"neuraxis\[uncertainty\]"):
        with open_client(workers=1, processes=False):
            pass


# ---------------------------------------------------------------- cache, runner, resume
CALLS: list[int] = []


def fake_model(shared: object, sample) -> dict:
    """A cheap model: x0 + 2 x1; refuses x0 > 0.9 (like an anatomy refusing a dCSF)."""
    CALLS.append(sample.index)
    x0, x1 = sample.values
    if x0 > 0.9:
        raise NeuraxisInputError(f"Invalid anatomy: x0 = {x0:.3f} does not fit")
    if shared is not None:
        assert shared == ("mesh", sample.group)
    return {"y": x0 + 2 * x1}


def fake_prepare(sample) -> tuple:
    return ("mesh", sample.group)


def _fake_plan(n: int = 8):
    from neuraxis.uncertainty.inputs import UncertainInput

    inputs = tuple(UncertainInput(f"x{i}", f"anatomy.x{i}", kind, "uniform", 0.0, 1.0, "",
                                  "test", True)
                   for i, kind in enumerate(("geometry", "conductivity")))
    samples = make_samples(inputs, sobol_design(inputs, n, seed=3))
    keys = [sample_key({"case": "fake"}, s.overrides) for s in samples]
    return inputs, samples, keys


def test_sample_key_depends_on_context_and_overrides() -> None:
    k = sample_key({"v": "0.1.0"}, ["a=1"])
    assert k == sample_key({"v": "0.1.0"}, ["a=1"])
    assert k != sample_key({"v": "0.2.0"}, ["a=1"])
    assert k != sample_key({"v": "0.1.0"}, ["a=1.0000001"])


def test_cache_ignores_unreadable_and_foreign_files(tmp_path: Path) -> None:
    cache = SampleCache(tmp_path)
    cache.put({"key": "abc", "status": "ok", "outputs": {"y": 1.0}})
    assert cache.get("abc")["outputs"] == {"y": 1.0}
    cache.put({"key": "err", "status": "error", "error": "boom"})  # errors are not cached
    assert cache.get("err") is None and not cache.path("err").exists()
    cache.path("half").write_text('{"key": "half", "sta', encoding="utf-8")  # killed mid-write
    assert cache.get("half") is None
    cache.path("other").write_text(json.dumps({"key": "abc", "status": "ok"}))
    assert cache.get("other") is None
    assert not list(tmp_path.glob("*.tmp"))


def test_runner_caches_records_failures_and_resumes(tmp_path: Path) -> None:
    _, samples, keys = _fake_plan()
    cache = SampleCache(tmp_path / "samples")
    seen: list[tuple[int, int]] = []
    with open_client(workers=2, processes=False) as client:
        CALLS.clear()
        recs = run_samples(client, samples, keys, cache, fake_model, prepare=fake_prepare,
                           progress=lambda d, n: seen.append((d, n)))
        assert sorted(CALLS) == [s.index for s in samples]
        assert seen[0] == (0, len(samples)) and seen[-1] == (len(samples), len(samples))
        status = {k: r["status"] for k, r in recs.items()}
        refused = [s for s in samples if s.values[0] > 0.9]
        assert refused, "the design should hit the refused region"
        for s, k in zip(samples, keys, strict=True):
            want = "refused" if s.values[0] > 0.9 else "ok"
            assert status[k] == want
            if want == "ok":
                assert recs[k]["outputs"]["y"] == pytest.approx(s.values[0] + 2 * s.values[1])
            else:
                assert "does not fit" in recs[k]["error"]
        # a second run computes nothing
        CALLS.clear()
        again = run_samples(client, samples, keys, cache, fake_model, prepare=fake_prepare)
        assert CALLS == [] and again == recs
        # delete three samples' files (an interrupted run): only those are computed
        gone = [samples[1], samples[4], samples[7]]
        for s in gone:
            cache.path(keys[s.index]).unlink()
        CALLS.clear()
        resumed = run_samples(client, samples, keys, cache, fake_model, prepare=fake_prepare)
        assert sorted(CALLS) == sorted(s.index for s in gone)
        assert resumed == recs


class _Stop(Exception):
    """What a web job's heartbeat raises once its cancel was asked for."""


def _slow_model(shared: object, sample) -> dict:
    time.sleep(0.15)
    return fake_model(shared, sample)


def test_runner_heartbeat_stops_the_sweep_and_keeps_what_finished(tmp_path: Path) -> None:
    _, samples, keys = _fake_plan()
    with open_client(workers=1, processes=False) as client:
        plain = run_samples(client, samples, keys, SampleCache(tmp_path / "plain"), fake_model)
        cache = SampleCache(tmp_path / "polled")
        beats: list[int] = []

        def heartbeat() -> None:  # called while waiting; stops once 2 samples are cached
            beats.append(len(cache.keys()))
            if len(cache.keys()) >= 2:
                raise _Stop

        with pytest.raises(_Stop):
            run_samples(client, samples, keys, cache, _slow_model, heartbeat=heartbeat,
                        poll_s=0.02)
        kept = cache.keys()
        assert beats[0] == 0 and 2 <= len(kept) < len(samples)
        time.sleep(0.3)  # the cancelled sample still running on its thread ends
        CALLS.clear()
        resumed = run_samples(client, samples, keys, cache, fake_model,
                              heartbeat=lambda: None, poll_s=0.01)
        assert sorted(CALLS) == sorted(s.index for s, k in zip(samples, keys, strict=True)
                                          if k not in kept)
    def strip(recs: dict) -> dict:  # the run time of each sample differs between runs
        return {k: {f: v for f, v in r.items() if f != "time_s"} for k, r in recs.items()}

    assert strip(resumed) == strip(plain)  # polling changes when the loop looks, not what
    # it records


def test_runner_records_unexpected_errors_without_caching(tmp_path: Path) -> None:
    _, samples, keys = _fake_plan(2)

    def broken(shared: object, sample) -> dict:
        raise RuntimeError("solver diverged")

    cache = SampleCache(tmp_path)
    with open_client(workers=1, processes=False) as client:
        recs = run_samples(client, samples, keys, cache, broken)
    assert {r["status"] for r in recs.values()} == {"error"}
    assert all("solver diverged" in r["error"] for r in recs.values())
    assert cache.keys() == set()  # a re-run tries them again


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(NeuraxisInputError, match="no Dask scheduler answered.*within 1 s"):
        with open_client("tcp://127.0.0.1:9", timeout_s=1.0):
            pass
    with pytest.raises(NeuraxisInputError, match="Expected a Dask scheduler address"):
        with open_client("localhost:8786"):
            pass
    with pytest.raises(NeuraxisInputError, match="'--workers' sizes a local cluster"):
        with open_client("tcp://127.0.0.1:9", 2):
            pass


# ---------------------------------------------------------------- statistics
def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form S1 and ST (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _ishigami_problem():
    from neuraxis.uncertainty.inputs import UncertainInput

    return tuple(UncertainInput(f"x{i}", f"x{i}", "conductivity", "uniform", -math.pi,
                                math.pi, "", "", True) for i in range(3))


def test_sobol_on_ishigami_within_salib_confidence() -> None:
    inputs = _ishigami_problem()
    x = sobol_design(inputs, 1024, seed=1)
    res = sobol_indices(salib_problem(inputs), ishigami(x), "ishigami", seed=1)
    s1, st = ishigami_indices()
    assert res.n_blocks_used == res.n_blocks == 1024
    # each index within its 95 % interval, widened by a tenth for the bootstrap's own noise
    assert np.all(np.abs(res.S1 - s1) <= 1.1 * res.S1_conf + 1e-3), (res.S1, res.S1_conf)
    assert np.all(np.abs(res.ST - st) <= 1.1 * res.ST_conf + 1e-3), (res.ST, res.ST_conf)
    assert np.all(res.S1_conf < 0.1)


def test_sobol_drops_blocks_with_failures() -> None:
    inputs = _ishigami_problem()
    x = sobol_design(inputs, 256, seed=2)
    y = ishigami(x)
    y[[3, 12, 50]] = np.nan  # rows of blocks 0, 2 and 10 (5 rows per block)
    res = sobol_indices(salib_problem(inputs), y, "y")
    assert (res.n_blocks_used, res.n_blocks) == (253, 256)
    assert "3 base sample(s) dropped" in res.note
    s1, _ = ishigami_indices()
    assert np.all(np.abs(res.S1 - s1) <= 1.1 * res.S1_conf + 0.02)


def test_sobol_constant_or_too_few() -> None:
    inputs = _ishigami_problem()
    x = sobol_design(inputs, 4)
    res = sobol_indices(salib_problem(inputs), np.ones(len(x)), "flat")
    assert res.S1 is None and "does not vary" in res.note
    y = np.full(len(x), np.nan)
    y[:5] = 1.0
    assert "at least 2" in sobol_indices(salib_problem(inputs), y, "y").note


def test_summarize_median_and_interval() -> None:
    v = np.arange(1, 101, dtype=float)
    s = summarize("pt", np.append(v, np.nan), "mA", n_undefined=1)
    assert (s.n, s.n_undefined) == (100, 1)
    assert s.median == pytest.approx(50.5)
    assert s.p05 == pytest.approx(np.percentile(v, 5)) and s.p95 == pytest.approx(
        np.percentile(v, 95))
    assert summarize("x", np.array([np.nan])).median is None
