"""SCS in the web app, shared by the page (``routes_scs``) and the API (``routes_scs_api``):
bundled and uploaded scenarios, the warm sessions, the background jobs and the figures.

Nothing here computes a model number: scenarios are read and validated by
:func:`neuraxis.scenario.load_scenario`, programs by
:func:`neuraxis.perception.program.make_program`, thresholds by
:meth:`neuraxis.perception.ScsSession.evaluate`, every amplitude-dependent metric by
:meth:`neuraxis.perception.ScsResult.at`, the figures by :mod:`neuraxis.viz`.

- A **warm session** (:class:`WarmSession`) is one :class:`~neuraxis.perception.ScsSession`
  (field basis, fibers, cables, potentials) kept in memory, keyed by the scenario's content
  (everything but its program), in a small LRU: opening the same scenario again, by anyone,
  reuses it. Building one is a background job.
- A program *shape* (contacts and fractions, pulse width, waveform) is a background job
  (seconds); its :class:`~neuraxis.perception.ScsResult` is kept with the session. A new
  *amplitude* is ``result.at(amplitude_ma)`` (milliseconds), no job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request

import neuraxis
from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.web.jobs import Job, JobManager, LruCache

#: Largest scenario YAML accepted as an upload (bytes); the app's own request limit
#: (``max_upload_bytes``) applies first.
SCENARIO_MAX_BYTES = 100_000
#: Most ``key.path=value`` overrides accepted with a scenario, and their longest length.
MAX_OVERRIDES = 40
MAX_OVERRIDE_CHARS = 400
#: Warm sessions kept in memory (each holds a field basis: tens to hundreds of MB).
WARM_SESSIONS = 2
#: Program results kept per session, and figures (PNG) kept in all.
RESULTS_PER_SESSION = 24
FIGURES_KEPT = 48
#: Threads running the background jobs.
JOB_THREADS = 2
#: Seconds between two polls of a job's progress fragment.
POLL_S = 0.7
#: The command line of the same uncertainty sweep (docs/scs_uncertainty.md).
UNCERTAINTY_CLI = "neuraxis scs uncertainty {scenario} --samples 16 --mesh coarse"
OPTIMISER_NOTE = ("Not available yet: the library has no program optimiser; set contacts, "
                  "fractions and amplitude by hand.")

#: gmsh keeps global state: one field basis is meshed at a time in this process.
_BUILD_LOCK = threading.Lock()
_STATE_LOCK = threading.Lock()


# ------------------------------------------------------------------ scenarios
@dataclasses.dataclass(frozen=True)
class ScenarioOrigin:
    """What a scenario was opened from, so that an uncertainty sweep can read it again
    (:func:`neuraxis.uncertainty.sweep.plan_sweep` reads a file).

    Attributes
    ----------
    data : bytes
        The scenario YAML as opened (a bundled file or the upload).
    overrides : tuple of str
        The ``key.path=value`` overrides applied to it.
    label : str
        Its name for users: ``examples/NAME.yaml`` or ``upload:NAME.yaml``.
    """

    data: bytes
    overrides: tuple[str, ...]
    label: str


def examples_folder() -> Path | None:
    """Where the bundled scenarios are: the package's ``examples`` folder if installed
    with one, else the source tree's ``examples/`` (an editable install)."""
    here = Path(neuraxis.__file__).resolve().parent
    for folder in (here / "examples", here.parents[1] / "examples"):
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    return None


def bundled_scenarios() -> list[dict[str, Any]]:
    """Every bundled scenario whose anatomy is a spine: name, file, description, lead,
    level and whether it has a program (files that are not scenarios are skipped)."""
    from neuraxis.scenario.load import read_scenario

    folder = examples_folder()
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder else []:
        try:
            raw = read_scenario(path)
        except (NeuraxisInputError, OSError):
            continue  # a prescription or another file that is not a scenario
        anatomy = raw.get("anatomy") or {}
        if not isinstance(anatomy, dict) or anatomy.get("kind", "spine") != "spine":
            continue
        lead = raw.get("lead") or {}
        out.append({"name": path.stem, "file": f"examples/{path.name}",
                    "description": " ".join(str(raw.get("description") or "").split()),
                    "lead": lead.get("model") or lead.get("kind") or "custom",
                    "level": (raw.get("placement") or {}).get("level") or anatomy.get("level"),
                    "has_program": raw.get("program") is not None})
    return out


def check_overrides(overrides: list[str] | None) -> list[str]:
    """The ``key.path=value`` overrides (as ``--set``): a list of short strings."""
    items = [s.strip() for s in (overrides or []) if s and s.strip()]
    if len(items) > MAX_OVERRIDES:
        raise NeuraxisInputError(f"Invalid value for 'overrides': at most {MAX_OVERRIDES} "
                                 f"assignments, got {len(items)}")
    for s in items:
        if len(s) > MAX_OVERRIDE_CHARS:
            raise NeuraxisInputError(f"Invalid value for 'overrides': an assignment is longer "
                                     f"than {MAX_OVERRIDE_CHARS} characters")
    return items


def open_bundled(name: str, overrides: list[str] | None = None
                 ) -> tuple[Any, ScenarioOrigin]:
    """The bundled scenario ``name`` (with overrides), validated by the library, and
    where it came from."""
    from neuraxis.scenario import load_scenario

    names = [s["name"] for s in bundled_scenarios()]
    if not names:
        raise NeuraxisInputError("Invalid value for 'example': no bundled scenarios on this "
                                 "server (upload a scenario YAML instead)")
    name = check_option("example", str(name), names)
    path, items = examples_folder() / f"{name}.yaml", check_overrides(overrides)
    return load_scenario(path, items), ScenarioOrigin(path.read_bytes(), tuple(items),
                                                      f"examples/{path.name}")


def open_upload(filename: str, data: bytes, overrides: list[str] | None = None
                ) -> tuple[Any, ScenarioOrigin]:
    """An uploaded scenario YAML (with overrides), validated by the library, and where
    it came from."""
    from neuraxis.scenario import load_scenario

    if len(data) > SCENARIO_MAX_BYTES:
        raise NeuraxisInputError(f"Invalid value for 'file': the scenario is {len(data)} "
                                 f"bytes; the limit is {SCENARIO_MAX_BYTES} bytes")
    if not data.strip():
        raise NeuraxisInputError("Invalid value for 'file': the file is empty; upload a "
                                 "scenario YAML (neuraxis scs init writes a template)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise NeuraxisInputError("Invalid value for 'file': not a UTF-8 text file; upload a "
                                 "scenario YAML") from None
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(filename or
                                                                         "upload").stem)
    items = check_overrides(overrides)
    with tempfile.TemporaryDirectory(prefix="neuraxis-web-") as tmp:
        path = Path(tmp) / f"{stem[:60] or 'upload'}.yaml"
        path.write_bytes(data)
        sc = load_scenario(path, items)
    label = f"upload:{Path(filename or 'upload').name[:80]}"
    return dataclasses.replace(sc, source=label), ScenarioOrigin(data, tuple(items), label)


def source_label(scenario: Any) -> str:
    """Where the scenario came from, as a user names it (never a server path):
    ``examples/NAME.yaml``, ``upload:NAME.yaml`` or ''."""
    src = scenario.source or ""
    if not src or src.startswith("upload:"):
        return src
    return f"examples/{Path(src).name}"


def session_key(scenario: Any) -> str:
    """What a session is keyed by: the validated scenario without its program (and
    without where it came from), hashed."""
    d = scenario.to_dict()
    for k in ("program", "source", "overrides"):
        d.pop(k, None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:24]


def lead_drawing(placed: Any) -> dict[str, Any]:
    """The placed lead in the dorsal view (x: patient's left, z: rostral; mm): the body
    outline and every contact's centre and size, from the library's placed lead."""
    import numpy as np

    lead = placed.lead
    centers = placed.contact_centers_mm()
    origin = placed.to_world(np.zeros(3))
    contacts = []
    for spec, c in zip(lead.contacts, centers, strict=True):
        width = spec.width_mm if spec.shape == "rect" else spec.diameter_mm
        contacts.append({"name": spec.name, "shape": spec.shape, "x_mm": round(float(c[0]), 4),
                         "z_mm": round(float(c[2]), 4), "length_mm": spec.length_mm,
                         "width_mm": width, "area_mm2": round(spec.area_mm2, 3)})
    return {"name": lead.name, "kind": lead.kind,
            "body": {"x_mm": round(float(origin[0]), 4), "z_mm": round(float(origin[2]), 4),
                     "length_mm": lead.body_length_mm, "width_mm": 2 * lead.half_width_mm},
            "rotation_deg": float(getattr(placed.placement, "rotation_deg", 0.0)),
            "level": placed.placement.level, "contacts": contacts}


def svg_box(drawing: dict[str, Any], margin_mm: float = 6.0) -> dict[str, float]:
    """The SVG's view box (mm; screen x = -x, screen y = -z: the dorsal view with the
    patient's left on the left and rostral up) and its size in pixels."""
    b = drawing["body"]
    half = 0.5 * max(b["length_mm"], b["width_mm"])
    xs = [-b["x_mm"] - half, -b["x_mm"] + half]
    ys = [-b["z_mm"] - 0.5 * b["length_mm"], -b["z_mm"] + 0.5 * b["length_mm"]]
    w_half = 0.5 * b["width_mm"] + margin_mm
    x0, x1 = -b["x_mm"] - w_half - 2.5, -b["x_mm"] + w_half + 2.5
    if drawing["rotation_deg"]:
        x0, x1 = min(x0, xs[0]), max(x1, xs[1])
    y0, y1 = ys[0] - margin_mm, ys[1] + margin_mm
    w, h = x1 - x0, y1 - y0
    px_per_mm = min(12.0, 560.0 / h, 320.0 / w)
    return {"x": round(x0, 3), "y": round(y0, 3), "w": round(w, 3), "h": round(h, 3),
            "width_px": round(w * px_per_mm), "height_px": round(h * px_per_mm),
            "px_per_mm": round(px_per_mm, 3)}


# ------------------------------------------------------------------ sessions
@contextlib.contextmanager
def _waiting(lock: threading.Lock, job: Job, stage: str) -> Iterator[None]:
    """Hold ``lock`` for ``job``, saying ``stage`` on its progress while it waits."""
    if not lock.acquire(blocking=False):
        job.progress(stage, 0, 1)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@dataclasses.dataclass
class WarmSession:
    """One scenario's session kept warm, with its program results.

    ``session`` is None while its build job runs; ``lock`` serialises the session's
    evaluations (its caches are not thread-safe). ``origins`` holds what the scenario was
    opened from, by its label (a bundled file with overrides, an upload: the same content
    opened several ways), for the uncertainty sweep.
    """

    key: str
    scenario: Any
    origins: dict[str, ScenarioOrigin] = dataclasses.field(default_factory=dict)
    session: Any = None
    job: Job | None = None
    results: LruCache = dataclasses.field(
        default_factory=lambda: LruCache(RESULTS_PER_SESSION))
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def ready(self) -> bool:
        return self.session is not None

    def origin(self, label: str | None = None) -> ScenarioOrigin:
        """What the scenario was opened from as ``label`` (default: the first opening)."""
        if not self.origins:
            raise NeuraxisInputError("Invalid request: this session was not opened from a "
                                     "scenario file; open the scenario again")
        if label:
            found = self.origins.get(label)
            if found is None:
                raise NeuraxisInputError(
                    f"Invalid value for 'source': this session was opened as "
                    f"{', '.join(sorted(self.origins))}, not {label[:100]!r}")
            return found
        return next(iter(self.origins.values()))

    def describe(self, scenario: Any = None) -> dict[str, Any]:
        """What the page and the API show of the session, as opened with ``scenario``
        (default: the one it was built from; the same content but perhaps another
        program, source or overrides)."""
        sc = self.scenario if scenario is None else scenario
        prog = sc.program.to_dict() if sc.program is not None else None
        return {"session_key": self.key, "ready": self.ready,
                "job": None if self.job is None or self.ready else self.job.to_dict(),
                "scenario": {"name": sc.name, "description": sc.description,
                             "source": source_label(sc), "overrides": list(sc.overrides),
                             "mesh": sc.mesh, "level": getattr(sc.anatomy, "level", None),
                             "pain_map": [] if sc.pain is None else list(sc.pain.names),
                             "fibers": sc.fibers.to_dict()},
                "program": prog, "lead": lead_drawing(sc.placed),
                "field_key": self.session.basis.key if self.ready else None,
                "timings_s": {k: round(v, 3) for k, v in self.session.timings_s.items()}
                if self.ready else {}}


class ScsState:
    """The SCS part of one app: job managers (uncertainty sweeps queue on their own
    thread, so that one never holds up the interactive jobs), warm sessions, figures."""

    def __init__(self) -> None:
        self.jobs = JobManager(workers=JOB_THREADS)
        self.sweep_jobs = JobManager(workers=1)
        self.sweeps_running: dict[str, Job] = {}
        self.sessions = LruCache(WARM_SESSIONS)
        self.figures = LruCache(FIGURES_KEPT)
        self.at_amplitude = LruCache(FIGURES_KEPT)
        self._lock = threading.Lock()

    def close(self, timeout_s: float = 20.0) -> None:
        """Cancel every job and wait (up to ``timeout_s``) for the running ones to stop, so
        that a sweep's local Dask cluster is closed before the server exits."""
        import time

        running = self.jobs.active() + self.sweep_jobs.active()
        self.jobs.shutdown()
        self.sweep_jobs.shutdown()
        deadline = time.monotonic() + timeout_s
        while any(not j.final for j in running) and time.monotonic() < deadline:
            time.sleep(0.1)

    def job(self, job_id: str) -> Job | None:
        """A job of either manager, or None."""
        return self.jobs.get(job_id) or self.sweep_jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job of either manager (see :meth:`JobManager.cancel`)."""
        return self.jobs.cancel(job_id) or self.sweep_jobs.cancel(job_id)

    def open(self, scenario: Any, owner: str, origin: ScenarioOrigin | None = None
             ) -> WarmSession:
        """The warm session of ``scenario``: kept, being built, or a new build job."""
        from neuraxis.perception import ScsSession

        key = session_key(scenario)
        with self._lock:
            ws = self.sessions.get(key)
            if ws is not None and (ws.ready or (ws.job is not None and not ws.job.final)):
                if origin is not None:
                    ws.origins[origin.label] = origin
                return ws
            ws = self.sessions.put(key, WarmSession(key, scenario))
            if origin is not None:
                ws.origins[origin.label] = origin

            def build(job: Job) -> dict[str, Any]:
                with _waiting(_BUILD_LOCK, job, "waiting for another field basis"):
                    job.progress("field basis (from the cache, or mesh and solve)", 0, 1)
                    session = ScsSession(scenario, progress=job.progress)
                ws.session = session
                return {"session_key": key}

            ws.job = self.jobs.submit("session", build, owner=owner,
                                      label=f"Field basis and fibers of {scenario.name}")
        return ws

    def session(self, key: str) -> WarmSession:
        """A warm session by key (404 if forgotten: open the scenario again)."""
        from fastapi import HTTPException

        ws = self.sessions.get(key)
        if ws is None:
            raise HTTPException(404, f"No warm session {key!r} (the server keeps the "
                                     f"{WARM_SESSIONS} most recent): open the scenario again")
        return ws

    def evaluate(self, ws: WarmSession, program: Any, owner: str) -> tuple[str, Job | None]:
        """Result id of ``program`` on ``ws``, and the job computing it (None: known)."""
        if not ws.ready:
            raise NeuraxisInputError("Invalid request: the session is still being built; "
                                     "wait for its job to finish")
        rid = hashlib.sha256(repr((program.shape_key, program.rate_hz)).encode()
                             ).hexdigest()[:16]
        if ws.results.get(rid) is not None:
            return rid, None

        def run(job: Job) -> dict[str, Any]:
            with _waiting(ws.lock, job, "waiting for the session's other job"):
                job.progress("cables and potentials", 0, 1)
                result = ws.session.evaluate(
                    program, progress=lambda d, n: job.progress("thresholds", d, n))
            ws.results.put(rid, result)
            return {"session_key": ws.key, "result_id": rid}

        contacts = ", ".join(f"{k} {v:+g}" for k, v in program.contacts.items())
        job = self.jobs.submit("evaluate", run, owner=owner,
                               label=f"Thresholds for {contacts}, {program.pulse_width_us:g} us")
        return rid, job

    def result(self, ws: WarmSession, rid: str, amplitude_ma: Any = None) -> Any:
        """The stored result ``rid``, at ``amplitude_ma`` (its program's amplitude
        replaced, checked by the library; cached)."""
        from fastapi import HTTPException

        base = ws.results.get(rid)
        if base is None:
            raise HTTPException(404, f"No result {rid!r} in this session: evaluate the "
                                     "program first")
        if amplitude_ma is None:
            return base
        key = (ws.key, rid, round(float(amplitude_ma), 6))
        out = self.at_amplitude.get(key)
        if out is None:
            program = base.program.with_amplitude(amplitude_ma)  # validates (mA)
            out = self.at_amplitude.put(key, dataclasses.replace(base, program=program))
        return out


def state(request: Request) -> ScsState:
    """The app's :class:`ScsState` (made on first use)."""
    app_state = request.app.state
    with _STATE_LOCK:
        st = getattr(app_state, "scs", None)
        if st is None:
            st = app_state.scs = ScsState()
    return st


def make_program(ws: WarmSession, body: dict[str, Any]) -> Any:
    """A validated program for the session's lead (the library's checks and messages)."""
    from neuraxis.perception.program import make_program as build

    return build(body.get("contacts"), body.get("amplitude_ma"),
                 body.get("pulse_width_us"), body.get("rate_hz"), body.get("waveform"),
                 contact_names=tuple(ws.scenario.placed.lead.contact_names))
