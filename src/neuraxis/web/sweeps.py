"""Uncertainty sweeps started from the SCS page: one background job per sweep, its
folder, and what the page shows of a finished one.

Nothing is computed here. The sweep is the library's, the same as ``neuraxis scs
uncertainty``: :func:`~neuraxis.uncertainty.sweep.plan_sweep` validates the request and
builds the Sobol' design, :func:`~neuraxis.uncertainty.runner.open_client` starts a local
Dask cluster (or reaches the scheduler named in the settings),
:func:`~neuraxis.uncertainty.sweep.run_sweep` computes the samples and
:func:`~neuraxis.uncertainty.report.write_outputs` writes the tables, the JSON and the
figures.

A sweep's folder, ``<sweeps_dir>/<id>/``, holds ``sweep.json`` (who asked, when, for what),
``scenario.yaml`` (the scenario as it was opened), ``samples/`` and ``meshes/`` (the
library's cache: the same sweep asked again resumes where it stopped) and the outputs.
The id hashes the owner, the scenario and every option, so the same request twice is one
sweep. Only its owner sees a sweep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import neuraxis
from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.web.jobs import Job

META_FILE, SCENARIO_FILE = "sweep.json", "scenario.yaml"
#: Base sample counts the page offers (a power of 2 keeps the Sobol' design balanced).
N_CHOICES = (1, 2, 4, 8, 16, 32)
#: Files of a sweep the app serves, and their media types.
FILES = {"uncertainty_summary.csv": "text/csv", "uncertainty_sobol.csv": "text/csv",
         "uncertainty.md": "text/markdown", "uncertainty.json": "application/json",
         "uncertainty.png": "image/png", "body_map_p05.png": "image/png",
         "body_map_p50.png": "image/png", "body_map_p95.png": "image/png"}
#: How the page names the outputs (the keys are the library's).
OUTPUT_LABELS = {"perception_threshold_ma": "Perception threshold (PT)",
                 "discomfort_threshold_ma": "Discomfort threshold (DT)",
                 "usable_range": "Usable range (DT/PT)",
                 "pain_coverage_pct": "Pain-map coverage at the program's amplitude"}
_ID = re.compile(r"^[0-9a-f]{20}$")


@dataclasses.dataclass(frozen=True)
class SweepRequest:
    """What a user asks of a sweep besides the scenario and the program.

    Attributes
    ----------
    n_base : int
        Base sample count N (the sweep runs N x (inputs + 2) models).
    inputs : tuple of str, optional
        Inputs to sample (None: every input that applies).
    mesh : str
        Mesh preset of every sample.
    seed : int
        Scrambling seed of the Sobol' sequence.
    """

    n_base: int
    inputs: tuple[str, ...] | None
    mesh: str = "coarse"
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"n_base": self.n_base, "inputs": None if self.inputs is None
                else list(self.inputs), "mesh": self.mesh, "seed": self.seed}


def applicable_inputs(scenario: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The inputs a sweep of ``scenario`` can sample (name, range, unit, source,
    verified) and the notes on those it cannot (the library's
    :func:`~neuraxis.uncertainty.inputs.resolve_inputs`)."""
    from neuraxis.uncertainty.inputs import resolve_inputs

    chosen, notes = resolve_inputs(scenario, None)
    return [i.to_dict() for i in chosen], list(notes)


def sweep_id(owner: str, origin: Any, program: Any, req: SweepRequest) -> str:
    """The id of a sweep: a hash of who asked, the scenario and every option."""
    blob = json.dumps({"owner": owner, "scenario": hashlib.sha256(origin.data).hexdigest(),
                       "overrides": list(origin.overrides), "program": program.to_dict(),
                       "request": req.to_dict(), "version": neuraxis.__version__},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


class SweepStore:
    """The sweeps folder: one sub-folder per sweep.

    Parameters
    ----------
    root : str | Path
        ``sweeps_dir`` of the settings (created on first use).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, sid: str) -> Path:
        """The folder of sweep ``sid`` (a malformed id is refused, never a path)."""
        if not isinstance(sid, str) or not _ID.match(sid):
            raise NeuraxisInputError(f"Invalid value for 'sweep_id': expected 20 hexadecimal "
                                     f"characters, got {str(sid)[:40]!r}")
        return self.root / sid

    def meta(self, sid: str, owner: str) -> dict[str, Any]:
        """``sweep.json`` of a sweep of ``owner``, with its state read from the folder
        (404 when there is none: unknown, or someone else's)."""
        from fastapi import HTTPException

        path = self.folder(sid) / META_FILE
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        if not isinstance(meta, dict) or meta.get("owner") != owner:
            raise HTTPException(404, f"No uncertainty sweep {sid!r} of yours")
        folder = path.parent
        meta["finished"] = (folder / "uncertainty.json").is_file()
        meta["n_cached"] = len(list((folder / "samples").glob("*.json")))
        return meta

    def list(self, owner: str) -> list[dict[str, Any]]:
        """Every sweep of ``owner``, newest first."""
        from fastapi import HTTPException

        out = []
        for path in self.root.glob(f"*/{META_FILE}") if self.root.is_dir() else []:
            try:
                out.append(self.meta(path.parent.name, owner))
            except (HTTPException, NeuraxisInputError):  # someone else's, or not a sweep
                continue
        return sorted(out, key=lambda m: m.get("created_utc", ""), reverse=True)

    def result(self, sid: str, owner: str) -> dict[str, Any]:
        """``uncertainty.json`` of a finished sweep, server paths replaced by the names
        of the files the app serves (404 while unfinished)."""
        from fastapi import HTTPException

        meta = self.meta(sid, owner)
        if not meta["finished"]:
            raise HTTPException(404, f"The uncertainty sweep {sid!r} has not finished "
                                     f"({meta['n_cached']} of {meta['n_runs']} samples "
                                     "computed): run it again to resume")
        d = json.loads((self.folder(sid) / "uncertainty.json").read_text(encoding="utf-8"))
        d["files"] = {k: Path(v).name for k, v in d.get("files", {}).items()
                      if Path(v).name in FILES and (self.folder(sid) / Path(v).name).is_file()}
        prov = d.pop("provenance")  # the answer's own provenance is the web app's
        prov["scenario_file"] = meta["scenario_label"]
        return {"sweep_id": sid, "meta": meta, **d, "model_provenance": prov}

    def file(self, sid: str, owner: str, name: str) -> tuple[Path, str]:
        """Path and media type of one output file of a sweep of ``owner``."""
        from fastapi import HTTPException

        name = check_option("file", name, tuple(FILES))
        self.meta(sid, owner)
        path = self.folder(sid) / name
        if not path.is_file():
            raise HTTPException(404, f"No file {name!r} in the uncertainty sweep {sid!r} "
                                     "(not finished, or written without figures)")
        return path, FILES[name]


def delete(st: Any, store: SweepStore, sid: str, owner: str) -> dict[str, Any]:
    """Delete a sweep of ``owner`` and its files (refused while its job runs: cancel it
    first). Returns its ``sweep.json``."""
    import shutil

    meta = store.meta(sid, owner)
    running = st.sweeps_running.get(sid)
    if running is not None and not running.final:
        raise NeuraxisInputError(f"Invalid request: the uncertainty sweep {sid!r} is "
                                 "running; cancel its job first")
    shutil.rmtree(store.folder(sid))
    return meta


def _write_folder(folder: Path, origin: Any, meta: dict[str, Any]) -> None:
    """A sweep's folder with its scenario and (once) its ``sweep.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SCENARIO_FILE).write_bytes(origin.data)
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")


def plan(ws: Any, program: Any, req: SweepRequest, store: SweepStore, owner: str,
         max_runs: int, source: str | None = None) -> tuple[str, Any]:
    """Validate a sweep of ``program`` on the warm session ``ws`` opened as ``source``
    (its label; default: the first opening): its id and the library's plan (refused
    before any work when it asks for more than ``max_runs`` model runs)."""
    from neuraxis.uncertainty.sampling import check_samples
    from neuraxis.uncertainty.sweep import plan_sweep

    origin = ws.origin(source)
    check_samples(req.n_base)
    sid = sweep_id(owner, origin, program, req)
    folder = store.folder(sid)
    overrides = [*origin.overrides, f"program={json.dumps(program.to_dict())}"]
    with tempfile.TemporaryDirectory(prefix="neuraxis-sweep-") as tmp:
        # validated before the sweep's folder exists; named as the user named it (a
        # scenario without a name takes its file's)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(origin.label.split(":")[-1]).stem)
        path = Path(tmp) / f"{stem[:60] or 'scenario'}.yaml"
        path.write_bytes(origin.data)
        p = plan_sweep(path, req.n_base, overrides=overrides,
                       inputs=None if req.inputs is None else list(req.inputs),
                       mesh=req.mesh, seed=req.seed)
    n_runs = len(p.samples)
    if n_runs > max_runs:
        raise NeuraxisInputError(
            f"Invalid value for 'n_base': N = {req.n_base} with {len(p.inputs)} inputs is "
            f"{n_runs} model runs; this server allows at most {max_runs} per sweep (choose "
            "a smaller N or fewer inputs, or run 'neuraxis scs uncertainty')")
    try:
        _write_folder(folder, origin, {
            "sweep_id": sid, "owner": owner, "name": p.scenario.name,
            "scenario_label": origin.label, "overrides": list(origin.overrides),
            "program": program.to_dict(), "request": req.to_dict(),
            "inputs": [i.name for i in p.inputs], "n_runs": n_runs,
            "neuraxis_version": neuraxis.__version__,
            "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
    except OSError as exc:  # the server's set-up, not the user's input
        from fastapi import HTTPException

        raise HTTPException(503, f"The uncertainty sweep is not available on this server: "
                                 f"it cannot write its sweeps folder ({type(exc).__name__}; "
                                 "the setting sweeps_dir, docs/web.md)") from None
    return sid, p


def run(job: Job, plan_: Any, folder: Path, *, workers: int | None,
        scheduler: str | None) -> dict[str, Any]:
    """The job: compute the plan's missing samples (progress in samples, cancelled
    within a fraction of a second), then write the outputs."""
    from neuraxis.uncertainty.report import write_outputs
    from neuraxis.uncertainty.runner import open_client
    from neuraxis.uncertainty.sweep import run_sweep

    total = len(plan_.samples)
    job.progress("starting the Dask cluster", 0, total)
    with open_client(scheduler, workers) as client:
        job.checkpoint()
        result = run_sweep(plan_, folder, client=client,
                           progress=lambda d, n: job.progress("model runs", d, n),
                           heartbeat=job.checkpoint)
    job.progress("tables and figures", total, total)
    write_outputs(result, folder, figures=True)
    return {"sweep_id": folder.name, **result.counts}


def start(st: Any, ws: Any, program: Any, req: SweepRequest, owner: str,
          settings: Any, source: str | None = None) -> tuple[str, Job | None]:
    """Start (or find) the sweep of ``program`` on ``ws`` opened as ``source``: its id
    and its job (None when it has already finished)."""
    from neuraxis._soft_import import soft_import
    from neuraxis.uncertainty import EXTRA

    for mod in ("distributed", "SALib"):
        soft_import(mod, EXTRA, "The uncertainty sweep")
    check_option("mesh", req.mesh, ("coarse", "default", "fine"))
    store = SweepStore(settings.sweeps_dir)
    sid, p = plan(ws, program, req, store, owner, settings.sweep_max_runs, source)
    running = st.sweeps_running.get(sid)
    if running is not None and not running.final:
        return sid, running
    if store.meta(sid, owner)["finished"]:
        return sid, None
    folder = store.folder(sid)

    def job_fn(job: Job) -> dict[str, Any]:
        try:
            return run(job, p, folder, workers=settings.sweep_workers,
                       scheduler=settings.sweep_scheduler)
        finally:
            st.sweeps_running.pop(sid, None)

    k = len(p.inputs)
    label = (f"Uncertainty sweep of {p.scenario.name}: N = {req.n_base}, "
             f"{k} input{'s' if k != 1 else ''}, {len(p.samples)} model runs")
    job = st.sweep_jobs.submit("sweep", job_fn, owner=owner, label=label)
    st.sweeps_running[sid] = job
    return sid, job
