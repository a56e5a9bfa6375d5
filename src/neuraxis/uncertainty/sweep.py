"""The uncertainty sweep of one SCS scenario, from plan to summary.

::

    plan = plan_sweep("examples/scs_1x8_t8_low_back.yaml", 8, mesh="coarse")
    with open_client(workers=2) as client:
        result = run_sweep(plan, Path("out"), client=client)
    result.summaries["perception_threshold_ma"].median

:func:`plan_sweep` validates the scenario once, resolves the inputs, builds the design
and each sample's cache key; :func:`run_sweep` computes the missing samples
(:func:`~neuraxis.uncertainty.runner.run_samples`) and :func:`analyse` turns the records
into medians, 90 % intervals and Sobol' indices (:mod:`~neuraxis.uncertainty.sensitivity`).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.uncertainty.cache import OK, REFUSED, SampleCache, sample_key
from neuraxis.uncertainty.inputs import UncertainInput, resolve_inputs
from neuraxis.uncertainty.sampling import (
    Sample,
    check_samples,
    make_samples,
    salib_problem,
    sobol_design,
)
from neuraxis.uncertainty.scs_model import OUTPUTS, MeshStore, ScsSampleModel
from neuraxis.uncertainty.sensitivity import (
    OutputSummary,
    SobolResult,
    sobol_indices,
    summarize,
)

#: Sub-folders of the output folder.
SAMPLES_DIR, MESHES_DIR = "samples", "meshes"


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep computes, decided before any computing.

    Attributes
    ----------
    scenario : Scenario
        The validated base scenario (user overrides and mesh preset applied).
    inputs : tuple of UncertainInput
    notes : list of str
        Inputs left out or clipped.
    n_base, seed : int
    samples : list of Sample
    keys : list of str
        Cache key of each sample.
    model : ScsSampleModel
    context : dict
        What the keys hash besides the overrides.
    """

    scenario: Any
    inputs: tuple[UncertainInput, ...]
    notes: list[str]
    n_base: int
    seed: int
    samples: list[Sample]
    keys: list[str]
    model: Any
    context: dict = field(repr=False)

    @property
    def problem(self) -> dict[str, Any]:
        return salib_problem(self.inputs)


def plan_sweep(scenario_path: str | Path, n_base: int, *, overrides: Sequence[str] = (),
               inputs: Sequence[str] | None = None, mesh: str | None = None,
               seed: int = 0, amplitude_ma: float | None = None,
               reuse_meshes: bool = True) -> SweepPlan:
    """Validate the scenario, resolve the inputs and build the design.

    Parameters
    ----------
    scenario_path : str | Path
        Scenario YAML with a spine anatomy and a program.
    n_base : int
        Base sample count N (>= 1; the sweep runs N x (inputs + 2) samples).
    overrides : sequence of str
        ``--set`` assignments applied to every sample.
    inputs : sequence of str, optional
        Names of the inputs to sample (default: all that apply; see
        ``data/uncertainty.yaml``).
    mesh : {'coarse', 'default', 'fine'}, optional
        Mesh preset (default: the scenario's).
    seed : int
        Scrambling seed of the Sobol' sequence.
    amplitude_ma : float, optional
        Amplitude of the coverage output (default: the program's), mA.
    reuse_meshes : bool
        Share one mesh between samples that differ only in conductivities.
    """
    import neuraxis
    from neuraxis.field.model import MESH_PRESETS
    from neuraxis.scenario.load import apply_overrides, read_scenario, scenario_from_dict

    n_base = check_samples(n_base)
    path = Path(scenario_path)
    base = list(overrides)
    if mesh is not None:
        base.append(f"mesh={check_option('--mesh', mesh, MESH_PRESETS)}")
    raw = apply_overrides(read_scenario(path), base)
    sc = scenario_from_dict(raw, source=str(path), overrides=tuple(base),
                            default_name=path.stem)
    program = sc.require_program()
    if amplitude_ma is not None:
        from neuraxis._validate import check_range
        from neuraxis.perception.program import AMPLITUDE_RANGE_MA

        amplitude_ma = check_range("amplitude_ma", amplitude_ma, *AMPLITUDE_RANGE_MA, "mA")
    chosen, notes = resolve_inputs(sc, inputs)
    design = sobol_design(chosen, n_base, seed=seed)
    samples = make_samples(chosen, design)
    context = {"scenario": sc.to_dict() | {"source": "", "overrides": []},
               "neuraxis_version": neuraxis.__version__,
               "amplitude_ma": amplitude_ma if amplitude_ma is not None
               else program.amplitude_ma,
               "outputs": "scs-uq-1"}
    keys = [sample_key(context, s.overrides) for s in samples]
    model = ScsSampleModel(raw=raw, source=str(path), base_overrides=tuple(base),
                           amplitude_ma=amplitude_ma, reuse_meshes=reuse_meshes)
    return SweepPlan(sc, chosen, notes, n_base, int(seed), samples, keys, model, context)


@dataclass(frozen=True)
class UncertaintyResult:
    """A finished (or partly finished) sweep: per-sample records and their summaries.

    ``records`` follow the design order (None where a sample was not computed: an
    interrupted run). ``coverage_maps`` holds, per percentile (5, 50, 95), the paresthesia
    strength of each dermatome over the successful samples (each dermatome on its own:
    the 5th-percentile map is not one sample's map).
    """

    plan: SweepPlan
    records: list[dict | None]
    summaries: dict[str, OutputSummary]
    sobol: dict[str, SobolResult]
    coverage_maps: dict[str, dict[str, float]]
    provenance: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        st = [r["status"] if r else "missing" for r in self.records]
        return {k: st.count(k) for k in (OK, REFUSED, "error", "missing")}

    def failures(self) -> list[dict[str, Any]]:
        """Refused or failed samples: index, overrides, status, message."""
        return [{"index": r["sample"]["index"], "overrides": r["sample"]["overrides"],
                 "status": r["status"], "error": r.get("error", "")}
                for r in self.records if r is not None and r["status"] != OK]

    def to_dict(self) -> dict[str, Any]:
        """The uncertainty.json object."""
        return {"name": self.plan.scenario.name, "n_base": self.plan.n_base,
                "n_samples": len(self.plan.samples), "counts": self.counts,
                "inputs": [i.to_dict() for i in self.plan.inputs],
                "inputs_not_sampled": list(self.plan.notes),
                "summary": [s.to_dict() for s in self.summaries.values()],
                "sobol": [s.to_dict() for s in self.sobol.values()],
                "coverage_maps": self.coverage_maps,
                "failures": self.failures(),
                "provenance": self.provenance}


def _version(pkg: str) -> str:
    try:
        return _md.version(pkg)
    except _md.PackageNotFoundError:
        return "absent"


def analyse(plan: SweepPlan, records: dict[str, dict], *, cluster: dict | None = None,
            timings_s: dict | None = None) -> UncertaintyResult:
    """Summaries and Sobol' indices of the records of a plan (key -> record)."""
    import neuraxis
    from neuraxis.perception.evaluate import RESEARCH_NOTICE

    ordered = [records.get(k) for k in plan.keys]
    ok = [r for r in ordered if r is not None and r["status"] == OK]
    summaries, sobol = {}, {}
    for name, unit in OUTPUTS.items():
        vals = [r["outputs"].get(name) for r in ok]
        if all(v is None for v in vals) and name == "pain_coverage_pct" and \
                plan.scenario.pain is None:
            continue  # no pain map: no coverage output
        y = np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
        summaries[name] = summarize(name, y, unit, n_undefined=int(np.isnan(y).sum()))
        full = np.array([np.nan if r is None or r["status"] != OK
                         or r["outputs"].get(name) is None else float(r["outputs"][name])
                         for r in ordered], dtype=float)
        sobol[name] = sobol_indices(plan.problem, full, name, seed=plan.seed)
    maps: dict[str, dict[str, float]] = {}
    if ok:
        derm = sorted({d for r in ok for d in r["outputs"].get("paresthesia", {})})
        table = np.array([[r["outputs"].get("paresthesia", {}).get(d, 0.0) for d in derm]
                          for r in ok], dtype=float)
        for pct in (5, 50, 95):
            col = np.percentile(table, pct, axis=0) if derm else []
            maps[f"p{pct:02d}"] = {d: round(float(v), 4) for d, v in zip(derm, col,
                                                                          strict=True)}
    prov = {"neuraxis_version": neuraxis.__version__,
            "date_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "scenario_file": plan.scenario.source,
            "overrides": list(plan.scenario.overrides),
            "scenario": plan.scenario.to_dict(),
            "design": {"method": "Saltelli/Sobol' (SALib.sample.sobol), first and total "
                                 "order", "n_base": plan.n_base, "seed": plan.seed,
                       "n_samples": len(plan.samples),
                       "confidence_level": 0.95, "interval_pct": [5, 95]},
            "amplitude_ma": plan.context["amplitude_ma"],
            "mesh": plan.scenario.mesh, "reuse_meshes": plan.model.reuse_meshes,
            "cluster": cluster or {},
            "versions": {p: _version(p) for p in ("SALib", "dask", "distributed", "numpy",
                                                  "gmsh", "scikit-fem")},
            "timings_s": timings_s or {},
            "notice": RESEARCH_NOTICE}
    return UncertaintyResult(plan, ordered, summaries, sobol, maps, prov)


def run_sweep(plan: SweepPlan, out: Path, *, client: Any,
              progress: Callable[[int, int], None] | None = None,
              heartbeat: Callable[[], None] | None = None,
              evaluate: Callable | None = None, prepare: Callable | None = None
              ) -> UncertaintyResult:
    """Compute the plan's missing samples on ``client`` (cached under ``out``) and analyse.

    Parameters
    ----------
    plan : SweepPlan
    out : Path
        Output folder: ``samples/`` (one JSON per sample) and ``meshes/``.
    client : distributed.Client
        From :func:`~neuraxis.uncertainty.runner.open_client`.
    progress : callable, optional
        ``progress(done, total)`` in samples.
    heartbeat : callable, optional
        Called while waiting for samples (a few times a second); what it raises stops
        the sweep (:func:`~neuraxis.uncertainty.runner.run_samples`).
    evaluate, prepare : callable, optional
        Replace the SCS model (tests: a cheap function of the sample).
    """
    import time

    from neuraxis.uncertainty.runner import describe_client, run_samples

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NeuraxisInputError(f"Invalid value for '--out': '{out}' is a file, not a folder")
    t0 = time.perf_counter()
    if evaluate is None:
        evaluate, prepare = plan.model.evaluate, plan.model.prepare
        store = MeshStore(out / MESHES_DIR) if plan.model.reuse_meshes else None
    else:
        store = None
    cache = SampleCache(out / SAMPLES_DIR)
    records = run_samples(client, plan.samples, plan.keys, cache, evaluate, prepare=prepare,
                          store=store, progress=progress, heartbeat=heartbeat)
    return analyse(plan, records, cluster=describe_client(client),
                   timings_s={"sweep": round(time.perf_counter() - t0, 2)})
