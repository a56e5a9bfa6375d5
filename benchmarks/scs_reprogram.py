"""Benchmark: how fast a new program gives its coverage once the field basis is cached.

Runs the bundled 1x8 scenario (default mesh) three ways in one process:

1. cold: no cache, the field basis is meshed and solved (the reference);
2. a new program *shape* on the cached basis (other contacts and pulse width): the
   basis is loaded and every fiber's threshold is recomputed;
3. a new *amplitude* only: recruitment is a comparison with the thresholds.

Prints the time of each and the ratio of (1) to (2). Issue 4: "a new program on the same
lead placement gives its coverage in seconds, not minutes".
Run: ``python benchmarks/scs_reprogram.py [--scenario examples/scs_1x8_t8_low_back.yaml]``
(needs ``pip install '.[fem,plot]'``).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(Path(__file__).resolve().parents[1] / "examples"
                                             / "scs_1x8_t8_low_back.yaml"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEURAXIS_CACHE_DIR"] = tmp
        from neuraxis.perception.bodymap import coverage
        from neuraxis.perception.evaluate import paresthesia_map, run_scs
        from neuraxis.scenario import apply_overrides, load_scenario

        sc = load_scenario(args.scenario)
        run_scs(apply_overrides(sc, ["mesh=coarse", "fibers.dc=10", "fibers.dr_per_root=1"]),
                cache=False)  # compile the numba kernels outside the timings
        t = time.perf_counter()
        cold = run_scs(sc)
        cold_s = time.perf_counter() - t
        new = apply_overrides(sc, ["program.contacts={E5: -1, E6: 1}",
                                   "program.pulse_width_us=210"])
        t = time.perf_counter()
        warm = run_scs(new)
        warm_s = time.perf_counter() - t
        t = time.perf_counter()
        n_amp = 50
        for k in range(n_amp):
            amp = 0.5 + 0.1 * k
            par = paresthesia_map(warm.dermatome, warm.thresholds.recruited(amp))
            cov = coverage(warm.pain, par)
        amp_s = (time.perf_counter() - t) / n_amp
    n = len(cold.fibers)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; scenario {Path(args.scenario).name}, "
          f"{n} fibers, mesh {sc.get('mesh', 'default')}")
    print(f"cold (mesh + solve + thresholds): {cold_s:.1f} s (basis {cold.timings_s['field_basis']:.1f} s, "
          f"thresholds {cold.timings_s['thresholds']:.1f} s)")
    print(f"new program shape on the cached basis: {warm_s:.2f} s (basis load "
          f"{warm.timings_s['field_basis']:.2f} s, thresholds {warm.timings_s['thresholds']:.2f} s, "
          f"{n / warm.timings_s['thresholds']:.0f} thresholds/s)")
    print(f"new amplitude only: {amp_s * 1e3:.1f} ms (coverage {cov.pain_coverage_pct:.0f} % at "
          f"{amp:.1f} mA)")
    print(f"ratio cold / new shape: {cold_s / warm_s:.1f}x")


if __name__ == "__main__":
    main()
