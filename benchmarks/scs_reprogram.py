"""Benchmark: a new program on a warm SCS session (issue 10: at most 1.0 s; new amplitude < 10 ms).

Runs the bundled 1x8 scenario (default mesh) in one process:

1. cold: no field cache; the session meshes and solves the basis, samples the fibers, and
   the scenario's program is evaluated (the reference);
2. a new program *shape* on the warm session (other contacts, other pulse width): cables,
   potentials per contact and the locators are reused; only the threshold search runs;
3. a new *amplitude* only: ``result.at(amplitude)`` (a comparison with the thresholds,
   paresthesia map, coverage, side effects).

Prints each time and the ratio of (1) to (2) and (3). Then each new shape again, on the
same warm session, with and without the predicted-arrival stop of the threshold search
(``neuraxis.axons.api.PREDICT_ARRIVAL``; same thresholds), interleaved, best of
``--repeat-rule`` each: the speed of that rule against the rule before it, in one run.
Run: ``python benchmarks/scs_reprogram.py [--scenario examples/scs_1x8_t8_low_back.yaml]``
(needs ``pip install '.[fem]'``).
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
    ap.add_argument("--repeat", type=int, default=3, help="new-shape programs timed")
    ap.add_argument("--repeat-rule", type=int, default=2,
                    help="interleaved timings per shape with and without predicted arrival")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEURAXIS_CACHE_DIR"] = tmp
        from neuraxis.perception import ScsSession
        from neuraxis.scenario import load_scenario

        small = load_scenario(args.scenario, ["mesh=coarse", "fibers.dc=10",
                                              "fibers.dr_per_root=1"])
        ScsSession(small, cache=False).evaluate(small.program)  # numba compile, untimed
        sc = load_scenario(args.scenario)
        t = time.perf_counter()
        session = ScsSession(sc)
        first = session.evaluate(sc.program)
        cold_s = time.perf_counter() - t
        shapes = [["program.contacts={E5: -1, E6: 1}", "program.pulse_width_us=210"],
                  ["program.contacts={E2: 0.5, E3: -1, E4: 0.5}", "program.pulse_width_us=400"],
                  ["program.contacts={E6: -1, E7: 1}", "program.pulse_width_us=300"]]
        warm = []
        for sets in shapes[:args.repeat]:
            prog = load_scenario(args.scenario, sets).program
            t = time.perf_counter()
            res = session.evaluate(prog)
            warm.append(time.perf_counter() - t)
        import numpy as np

        import neuraxis.axons.api as axons_api

        rule: dict[bool, list[list[float]]] = {True: [], False: []}
        for sets in shapes[:args.repeat]:
            prog = load_scenario(args.scenario, sets).program
            best = {True: np.inf, False: np.inf}
            thr = {}
            for _ in range(args.repeat_rule):
                for predict in (False, True):
                    axons_api.PREDICT_ARRIVAL = predict
                    session._thresholds.clear()  # force the threshold search again
                    t = time.perf_counter()
                    thr[predict] = session.evaluate(prog).thresholds.threshold_ma
                    best[predict] = min(best[predict], time.perf_counter() - t)
            axons_api.PREDICT_ARRIVAL = True
            same = np.array_equal(thr[True], thr[False], equal_nan=True)
            rule[True].append([best[True], same])
            rule[False].append([best[False], same])
        t = time.perf_counter()
        n_amp = 50
        for k in range(n_amp):
            m = res.at(0.5 + 0.1 * k)
        amp_s = (time.perf_counter() - t) / n_amp
    n = len(session.fibers)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; scenario "
          f"{Path(args.scenario).name}, {n} fibers, mesh {sc.mesh}")
    print(f"cold (mesh + solve + fibers + thresholds): {cold_s:.1f} s (basis "
          f"{first.timings_s['field_basis']:.1f} s, thresholds "
          f"{first.timings_s['thresholds']:.1f} s)")
    for sets, s in zip(shapes, warm, strict=False):
        print(f"new program shape on the warm session ({', '.join(sets)}): {s:.2f} s "
              f"({n / s:.0f} thresholds/s)")
    best = min(warm)
    print(f"new amplitude only (result.at): {amp_s * 1e3:.2f} ms (coverage "
          f"{m.pain_coverage_pct:.0f} % at {m.amplitude_ma:.1f} mA)")
    for (a, same), (b, _) in zip(rule[True], rule[False], strict=True):
        print(f"  same shape, best of {args.repeat_rule}: {a:.2f} s with predicted arrival, "
              f"{b:.2f} s without ({b / a:.2f}x); thresholds identical: {same}")
    print(f"ratio cold / new shape: {cold_s / best:.1f}x (median new shape "
          f"{sorted(warm)[len(warm) // 2]:.2f} s); cold / new amplitude: {cold_s / amp_s:.0f}x")


if __name__ == "__main__":
    main()
