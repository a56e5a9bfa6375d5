"""Long jobs of the web app in the background: a small in-process job manager.

A field basis takes seconds to minutes, a program shape's threshold search seconds; the
page must stay responsive meanwhile. :class:`JobManager` runs each job on one of a few
daemon threads (default 2), records its progress (``stage``, ``done``, ``total``) from the
library's ``progress(stage, done, total)`` callbacks, and cancels cooperatively: a
cancelled job's next progress call raises :class:`JobCancelled`, which unwinds the
library call (nothing half-built is kept: the library stores its caches only on success).
The page polls a job with htmx (``GET /scs/jobs/{id}``), scripts with ``GET
/api/scs/jobs/{id}``.

Jobs live in the memory of the one server process (``neuraxis web`` runs one worker); a
restart forgets them. :class:`LruCache` keeps the warm SCS sessions and figures.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from neuraxis._validate import NeuraxisInputError

log = logging.getLogger("neuraxis.web")

#: States a job goes through; the last three are final.
STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL = frozenset({"done", "failed", "cancelled"})


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) once its cancel was asked for."""


@dataclass
class Job:
    """One background job and what the page shows of it.

    Attributes
    ----------
    id : str
    kind : str
        What it computes ('session', 'evaluate', 'sweep').
    owner : str
        User name of who started it (only they see and cancel it).
    label : str
        One line for the page ("Field basis of scs_1x8_t8_low_back").
    state : str
        One of :data:`STATES`.
    stage, done, total
        The last progress report (e.g. 'solve', 2, 8).
    result : Any
        What the job returned (``state == 'done'``).
    error : str
        The message of a failed job (a user-input error's own message; otherwise short).
    """

    id: str
    kind: str
    owner: str
    label: str
    state: str = "queued"
    stage: str = ""
    done: int = 0
    total: int = 0
    result: Any = None
    error: str = ""
    created_s: float = field(default_factory=time.time)
    started_s: float | None = None
    finished_s: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def progress(self, stage: str, done: int, total: int) -> None:
        """The library's ``progress(stage, done, total)`` callback; raises
        :class:`JobCancelled` once the job's cancel was asked for."""
        self.stage, self.done, self.total = str(stage), int(done), int(total)
        if self._cancel.is_set():
            raise JobCancelled(self.id)

    def checkpoint(self) -> None:
        """Raise :class:`JobCancelled` once the job's cancel was asked for (a heartbeat
        between progress reports, e.g. while a sweep waits for its samples)."""
        if self._cancel.is_set():
            raise JobCancelled(self.id)

    @property
    def fraction(self) -> float | None:
        """Progress of the current stage (0..1), None while unknown."""
        return None if self.total <= 0 else min(1.0, self.done / self.total)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (the result only if it is plain data)."""
        now = time.time()
        end = self.finished_s if self.finished_s is not None else now
        return {"id": self.id, "kind": self.kind, "label": self.label, "state": self.state,
                "stage": self.stage, "done": self.done, "total": self.total,
                "cancel_requested": self.cancel_requested,
                "elapsed_s": None if self.started_s is None else round(end - self.started_s, 3),
                "result": self.result if isinstance(self.result, dict) else None,
                "error": self.error or None}


class JobManager:
    """A few daemon threads running jobs from one queue.

    Parameters
    ----------
    workers : int
        Threads (1 or 2: the jobs are CPU-bound and the server should stay responsive).
    keep : int
        Finished jobs remembered (the oldest are forgotten first).
    """

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        if workers not in (1, 2):
            raise NeuraxisInputError(f"Invalid value for 'workers': 1 or 2, got {workers!r}")
        self.keep = int(keep)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[tuple[Job, Callable[[Job], Any]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, name=f"neuraxis-job-{i}",
                                          daemon=True) for i in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, kind: str, fn: Callable[[Job], Any], *, owner: str, label: str) -> Job:
        """Queue ``fn(job)``; it reports through ``job.progress`` and returns the result."""
        job = Job(id=secrets.token_urlsafe(9), kind=kind, owner=owner, label=label)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._queue.put((job, fn))
        return job

    def get(self, job_id: str) -> Job | None:
        """The job, or None (unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop: a queued job never starts, a running one stops at its next
        progress report. Returns the job (None if unknown)."""
        job = self.get(job_id)
        if job is None or job.final:
            return job
        job._cancel.set()
        with self._lock:
            if job.state == "queued":
                job.state, job.finished_s = "cancelled", time.time()
        return job

    def active(self) -> list[Job]:
        """Queued and running jobs, oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if not j.final]

    def shutdown(self) -> None:
        """Cancel every job and let the threads end (daemon threads: never blocks exit)."""
        for job in self.active():
            self.cancel(job.id)
        for _ in self._threads:
            self._queue.put(None)

    def _forget_old(self) -> None:
        final = [k for k, j in self._jobs.items() if j.final]
        for k in final[:max(0, len(self._jobs) - self.keep)]:
            del self._jobs[k]

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, fn = item
            with self._lock:
                if job.state != "queued":  # cancelled while queued
                    continue
                job.state, job.started_s = "running", time.time()
            try:
                result = fn(job)
            except JobCancelled:
                state, result, error = "cancelled", None, ""
            except NeuraxisInputError as exc:
                state, result, error = "failed", None, str(exc)
            except MemoryError:
                state, result, error = "failed", None, "Out of memory: try a coarser mesh or " \
                                                       "fewer fibers"
            except Exception:  # the traceback goes to the server log only
                log.exception("job %s (%s) failed", job.id, job.label)
                state, result, error = "failed", None, "Internal error in the job: the " \
                                                       "server logged it"
            else:
                state, error = ("cancelled" if job.cancel_requested else "done"), ""
            with self._lock:
                job.result, job.error = result, error
                job.state, job.finished_s = state, time.time()


class LruCache:
    """A small thread-safe least-recently-used mapping (warm sessions, figures).

    Parameters
    ----------
    maxsize : int
        Entries kept; putting one more forgets the least recently used.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = int(maxsize)
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value (now the most recently used), or None."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value`` (most recently used); returns it."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def pop(self, key: Hashable) -> Any:
        """Forget ``key``; returns its value or None."""
        with self._lock:
            return self._data.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def keys(self) -> list[Hashable]:
        """Keys, least recently used first."""
        with self._lock:
            return list(self._data)
