"""Benchmark: how fast a cancel stops an uncertainty sweep (the web page's Cancel, issue 13).

The same small sweep (the web tests' 60 mm, 3-contact scenario; 2 conductivity inputs,
N = 2: 8 model runs on one shared mesh; a local Dask cluster of ``--workers``) is started
twice in fresh folders and cancelled ``--after`` seconds after its first model run
finished:

* **reference** (no heartbeat): the cancel is seen at the next progress report, i.e. when
  the next sample finishes (what a web job could do before the runner's heartbeat);
* **heartbeat**: ``run_sweep(heartbeat=...)`` polls every 0.25 s while waiting, as the
  web job does (``Job.checkpoint``).

Prints, for each arm, the seconds from the cancel to ``run_sweep`` returning control
(samples in flight cancelled) and to the local cluster closed (``open_client`` exited),
the samples already cached, and the ratio reference / heartbeat. Run:
``python benchmarks/sweep_cancel.py [--workers 2] [--after 1.0]`` (extras ``fem`` and
``uncertainty``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))


class Stop(Exception):
    """The cancel, raised from a progress report or a heartbeat."""


def arm(heartbeat: bool, workers: int, after_s: float, cache: Path) -> dict:
    from web_helpers import EXAMPLE, EXAMPLES, SMALL

    from neuraxis.uncertainty.runner import open_client
    from neuraxis.uncertainty.sweep import plan_sweep, run_sweep

    os.environ["NEURAXIS_CACHE_DIR"] = str(cache)
    plan = plan_sweep(EXAMPLES / f"{EXAMPLE}.yaml", 2, overrides=SMALL,
                      inputs=["sigma_csf", "sigma_dura"], mesh="coarse")
    cancel = threading.Event()
    first_done = threading.Event()
    t: dict[str, float] = {}

    def check() -> None:
        if cancel.is_set():
            raise Stop

    def progress(done: int, total: int) -> None:
        if done > 0:
            first_done.set()
        check()

    def canceller() -> None:
        first_done.wait()
        time.sleep(after_s)
        t["cancel"] = time.perf_counter()
        cancel.set()

    threading.Thread(target=canceller, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="neuraxis-cancel-") as tmp:
        out = Path(tmp) / "out"
        try:
            with open_client(workers=workers) as client:
                try:
                    run_sweep(plan, out, client=client, progress=progress,
                              heartbeat=check if heartbeat else None)
                except Stop:
                    t["stopped"] = time.perf_counter()
                    raise
        except Stop:
            t["closed"] = time.perf_counter()
        cached = len(list((out / "samples").glob("*.json")))
    if "cancel" not in t:
        raise SystemExit("the sweep finished before the cancel: use a smaller --after")
    return {"stop_s": t["stopped"] - t["cancel"], "closed_s": t["closed"] - t["cancel"],
            "cached": cached, "total": len(plan.samples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--after", type=float, default=1.0,
                    help="seconds after the first finished sample to cancel")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="neuraxis-cancel-cache-") as cache:
        ref = arm(False, args.workers, args.after, Path(cache))
        new = arm(True, args.workers, args.after, Path(cache))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {args.workers} local Dask workers; cancel "
          f"{args.after:g} s after the first finished model run")
    for name, r in (("reference (no heartbeat)", ref), ("heartbeat", new)):
        print(f"{name:26s} control back {r['stop_s']:6.2f} s, cluster closed "
              f"{r['closed_s']:6.2f} s after the cancel; {r['cached']}/{r['total']} "
              "model runs kept")
    print(f"ratio reference / heartbeat (control back): {ref['stop_s'] / new['stop_s']:.0f}x")


if __name__ == "__main__":
    main()
