"""Benchmark: the figures of an SCS run vs the physics of a warm run (issue 10).

Goal: all the figures of ``scs run`` (body map, recruitment curves, spine cross-section)
take at most as long as the physics of a warm run (field basis loaded from the cache,
fibers, thresholds) and stay under 1 GB peak.

In one process:

1. an untimed run fills the field cache (about 40 s the first time for the paddle) and
   compiles the kernels;
2. the physics of a warm run, timed: ``run_scs(scenario)`` (the reference);
3. each figure on that result, timed (wall clock), then drawn again under tracemalloc
   for its peak of traced memory (numpy and Python allocations made by the figure);
   the process's peak resident set size is printed before and after the figures.

Run: ``NEURAXIS_CACHE_DIR=/tmp/nxcache python benchmarks/figures.py
[--scenario examples/scs_paddle_565_t9_tripole.yaml] [--out DIR]`` (needs
``pip install '.[fem,plot]'``).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes / KiB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "examples"
                                             / "scs_paddle_565_t9_tripole.yaml"))
    ap.add_argument("--out", default=None, help="folder for the PNGs (default: a temporary one)")
    args = ap.parse_args()

    from neuraxis.perception import run_scs
    from neuraxis.scenario import load_scenario

    sc = load_scenario(args.scenario)
    t = time.perf_counter()
    run_scs(sc)  # fills the field cache, compiles the kernels
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    result = run_scs(sc)
    physics_s = time.perf_counter() - t
    rss_physics = _maxrss_mb()

    t = time.perf_counter()
    import matplotlib  # noqa: F401  (its import is part of the figures' cost)
    from matplotlib.figure import Figure  # noqa: F401

    from neuraxis.viz.bodymap import plot_body_map
    from neuraxis.viz.scs import plot_recruitment, plot_spine_section

    import_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        jobs = {
            "body map": lambda: plot_body_map(result.at().paresthesia, folder / "body_map.png",
                                              pain=result.pain, title="body map"),
            "recruitment": lambda: plot_recruitment(result, folder / "recruitment.png"),
            "cross-section": lambda: plot_spine_section(result, folder / "cross_section.png"),
        }
        rows = []
        for name, job in jobs.items():
            t = time.perf_counter()
            job()
            wall = time.perf_counter() - t
            tracemalloc.start()
            job()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.append((name, wall, peak / 2**20))
    rss_figures = _maxrss_mb()

    total_s = import_s + sum(r[1] for r in rows)
    print(f"# figures of an SCS run vs the physics of a warm run: {Path(args.scenario).name}")
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"{platform.processor() or platform.system()}")
    print(f"first run (cache fill, compile): {first_s:.1f} s")
    print(f"physics of a warm run (reference): {physics_s:.2f} s; peak RSS {rss_physics:.0f} MB")
    print(f"{'figure':<16}{'time (s)':>10}{'/ physics':>11}{'traced peak (MB)':>18}")
    print(f"{'matplotlib import':<16}{import_s:>10.2f}{import_s / physics_s:>11.2f}{'-':>18}")
    for name, wall, peak_mb in rows:
        print(f"{name:<16}{wall:>10.2f}{wall / physics_s:>11.2f}{peak_mb:>18.0f}")
    print(f"{'all figures':<16}{total_s:>10.2f}{total_s / physics_s:>11.2f}{'':>18}")
    print(f"process peak RSS after the figures: {rss_figures:.0f} MB "
          f"(+{rss_figures - rss_physics:.0f} MB over the runs before them)")
    peak_mb = max(r[2] for r in rows)
    met = total_s <= physics_s and peak_mb < 1024
    print(f"goal: all figures <= physics (ratio {total_s / physics_s:.2f}) and each under "
          f"1 GB (largest {peak_mb:.0f} MB): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
