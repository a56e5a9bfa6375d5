"""Run the samples of a sweep on Dask: a local cluster or any scheduler address.

:func:`open_client` starts a ``dask.distributed`` LocalCluster (one worker per core, one
thread each, BLAS/numba threads pinned to 1) or connects to a scheduler with a timeout.
:func:`run_samples` is the sweep loop, independent of the model: samples already in the
:class:`~neuraxis.uncertainty.cache.SampleCache` are skipped; for the rest, one
``prepare(sample)`` task per group (the SCS model builds the group's mesh there) and one
``evaluate(shared, sample)`` task per sample that depends on it; results are written to
the cache as they complete (``as_completed``), so an interrupt loses only the samples in
flight. A sample whose model raises is recorded with its message, never fatal:
:class:`~neuraxis.NeuraxisInputError` as ``refused`` (cached: the same input is refused
again), anything else as ``error`` (not cached: a re-run tries again).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from neuraxis._logging import logger
from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError, check_int
from neuraxis.uncertainty import EXTRA
from neuraxis.uncertainty.cache import ERROR, OK, REFUSED, SampleCache
from neuraxis.uncertainty.sampling import Sample

#: Environment of local workers: one thread each for BLAS, OpenMP and numba (the cluster
#: already runs one worker per core).
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}
_ADDRESS_RE = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")

PrepareFn = Callable[[Sample], Any]
EvaluateFn = Callable[[Any, Sample], dict]


def _distributed() -> Any:
    return soft_import("distributed", EXTRA, "The uncertainty sweep (Dask)")


@contextlib.contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None, *,
                timeout_s: float = 10.0, processes: bool = True) -> Iterator[Any]:
    """A Dask client for the sweep, closed (with its local cluster) on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``'tcp://10.0.0.5:8786'``; default: a new
        LocalCluster.
    workers : int, optional
        Local workers (default: the number of cores); not allowed with ``scheduler``.
    timeout_s : float
        How long to try to reach ``scheduler`` (s).
    processes : bool
        Local workers as processes (default) or threads of this process (tests).

    Raises
    ------
    NeuraxisInputError
        A malformed or unreachable address, a bad worker count, or both given.
    """
    distributed = _distributed()
    if scheduler is not None:
        if workers is not None:
            raise NeuraxisInputError(
                "Invalid options: '--workers' sizes a local cluster; with '--scheduler' the "
                "cluster's own workers run the sweep (give one or the other)")
        if not isinstance(scheduler, str) or not _ADDRESS_RE.match(scheduler):
            raise NeuraxisInputError(
                f"Invalid value for '--scheduler'. Expected a Dask scheduler address such as "
                f"tcp://host:8786, but got {scheduler!r}")
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout_s}s",
                                        set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise NeuraxisInputError(
                f"Invalid value for '--scheduler': no Dask scheduler answered at {scheduler} "
                f"within {timeout_s:g} s ({type(exc).__name__}); start one with "
                "`dask scheduler` or leave --scheduler out for a local cluster") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = (os.cpu_count() or 1) if workers is None else check_int("--workers", workers, 1, 1024)
    import logging

    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       **({"env": WORKER_ENV} if processes else {}))
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def describe_client(client: Any) -> dict[str, Any]:
    """Scheduler address and worker count of a client (for the provenance)."""
    try:
        info = client.scheduler_info()
        workers = info.get("workers", {})
        return {"scheduler": client.scheduler.address, "n_workers": len(workers),
                "threads": sum(int(w.get("nthreads", 1)) for w in workers.values())}
    except Exception:  # a closed client or an older scheduler: provenance only
        return {"scheduler": None, "n_workers": None, "threads": None}


# --------------------------------------------------------------------------- tasks
def _failure(exc: BaseException) -> dict[str, Any]:
    status = REFUSED if isinstance(exc, NeuraxisInputError) else ERROR
    rec = {"status": status, "error": f"{type(exc).__name__}: {exc}"}
    if status == ERROR:
        rec["traceback"] = "".join(traceback.format_exception(exc, limit=-3))
    return rec


def prepare_task(prepare: PrepareFn, sample: Sample) -> dict[str, Any]:
    """Worker side of a group's shared object: ``{'status': 'ok', 'value': ...}`` or a
    failure record (never raises)."""
    t = time.perf_counter()
    try:
        value = prepare(sample)
    except Exception as exc:  # recorded, not fatal
        return _failure(exc)
    return {"status": OK, "value": value, "time_s": time.perf_counter() - t}


def evaluate_task(evaluate: EvaluateFn, shared: dict[str, Any] | None, sample: Sample,
                  key: str) -> dict[str, Any]:
    """Worker side of one sample: its record (never raises)."""
    base = {"key": key, "sample": sample.to_dict()}
    if shared is not None and shared["status"] != OK:
        return {**base, "status": shared["status"],
                "error": f"{shared['error']} (while preparing the sample's geometry group)"}
    t = time.perf_counter()
    try:
        outputs = evaluate(None if shared is None else shared["value"], sample)
    except Exception as exc:  # recorded, not fatal
        return {**base, **_failure(exc)}
    return {**base, "status": OK, "outputs": outputs,
            "time_s": round(time.perf_counter() - t, 3)}


# --------------------------------------------------------------------------- loop
def _completed(watched: Any, heartbeat: Callable[[], None] | None,
               poll_s: float) -> Iterator[Any]:
    """The futures of ``watched`` (an ``as_completed``) as they finish; without a
    heartbeat a plain blocking iteration, with one a poll that calls it while waiting."""
    if heartbeat is None:
        yield from watched
        return
    while not watched.is_empty():
        if watched.has_ready():
            yield from watched.next_batch(block=False)
        else:
            heartbeat()
            time.sleep(poll_s)


def run_samples(client: Any, samples: list[Sample], keys: list[str], cache: SampleCache,
                evaluate: EvaluateFn, *, prepare: PrepareFn | None = None,
                store: Any = None, progress: Callable[[int, int], None] | None = None,
                heartbeat: Callable[[], None] | None = None, poll_s: float = 0.25
                ) -> dict[str, dict[str, Any]]:
    """Compute the samples missing from ``cache`` on ``client``; return every record.

    Parameters
    ----------
    client : distributed.Client
    samples : list of Sample
    keys : list of str
        Cache key of each sample (same order).
    cache : SampleCache
    evaluate : callable
        ``evaluate(shared, sample) -> dict`` of outputs (JSON-able); ``shared`` is the
        group's ``prepare`` value, or None without ``prepare``.
    prepare : callable, optional
        ``prepare(sample) -> object`` for the first missing sample of each group.
    store : object, optional
        ``get(group) -> object | None`` and ``put(group, object)``: keeps prepared objects
        between runs (the meshes of a resumed sweep).
    progress : callable, optional
        ``progress(done, total)`` in samples (cached ones count as done at the start).
    heartbeat : callable, optional
        ``heartbeat()`` every ``poll_s`` seconds while no sample completes; an exception it
        raises (a web job's cancel) stops the sweep: the samples in flight are cancelled,
        those already cached stay.
    poll_s : float
        Seconds between two heartbeats.

    Returns
    -------
    dict
        Key -> record (``status`` 'ok', 'refused' or 'error'; ``outputs`` or ``error``).
    """
    distributed = _distributed()
    if len(keys) != len(samples):
        raise NeuraxisInputError("Invalid sweep: one key per sample is needed")
    records: dict[str, dict[str, Any]] = {}
    todo: list[tuple[Sample, str]] = []
    for s, k in zip(samples, keys, strict=True):
        rec = cache.get(k)
        if rec is not None:
            records[k] = rec
        elif k not in {kk for _, kk in todo}:
            todo.append((s, k))
    total = len(samples)
    done = total - len(todo)
    logger.info("uncertainty sweep: %d samples, %d cached, %d to compute", total, done,
                len(todo))
    if progress is not None:
        progress(done, total)
    if not todo:
        return records
    shared_futures: dict[str, Any] = {}
    pending_in_group: dict[str, int] = {}
    futures = {}
    prep_of: dict[Any, str] = {}
    try:
        for s, k in todo:
            shared = None
            if prepare is not None:
                shared = shared_futures.get(s.group)
                if shared is None:
                    kept = None if store is None else store.get(s.group)
                    if kept is not None:
                        shared = client.scatter({"status": OK, "value": kept}, hash=False)
                    else:
                        shared = client.submit(prepare_task, prepare, s, pure=False)
                        prep_of[shared] = s.group
                    shared_futures[s.group] = shared
                pending_in_group[s.group] = pending_in_group.get(s.group, 0) + 1
            fut = client.submit(evaluate_task, evaluate, shared, s, k, pure=False)
            futures[fut] = (s, k)
        watched = distributed.as_completed(list(futures) + list(prep_of), loop=client.loop)
        for fut in _completed(watched, heartbeat, poll_s):
            if fut in prep_of:  # a group's shared object: keep it for a resumed run
                group = prep_of.pop(fut)
                if store is not None and fut.status == "finished":
                    res = fut.result()
                    if res["status"] == OK:
                        store.put(group, res["value"])
                continue
            s, k = futures.pop(fut)
            if fut.status == "finished":
                rec = fut.result()
            else:  # the task itself failed: a worker died, the cluster went away
                exc = fut.exception()
                rec = {"key": k, "sample": s.to_dict(), "status": ERROR,
                       "error": f"{type(exc).__name__}: {exc} (Dask task failed)"}
            records[k] = rec
            cache.put(rec)
            if rec["status"] != OK:
                logger.info("sample %d %s: %s", s.index, rec["status"], rec.get("error"))
            if prepare is not None:
                pending_in_group[s.group] -= 1
                if pending_in_group[s.group] == 0:  # release the group's mesh
                    shared_futures.pop(s.group, None)
            done += 1
            if progress is not None:
                progress(done, total)
    finally:
        outstanding = [f for f in list(futures) + list(prep_of) if not f.done()]
        if outstanding:
            client.cancel(outstanding)
    return records
