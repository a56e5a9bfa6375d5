"""Wall time of the same uncertainty sweep on 1 and 2 local Dask workers, and their ratio.

The sweep of tests/integration/test_scs_uncertainty.py (bundled 1x8 scenario, coarse mesh,
60 mm model, 3-contact lead, 20 DC fibers), with two conductivities and the dCSF sampled
(N = 2: 10 samples, 6 geometries), each run in a fresh output folder so nothing is cached.
Numba's compiled kernels are on disk after the first run (warm-up run first, not timed).
The ratio measures the runner; it is near 2 only when the machine's cores are otherwise idle.

    python benchmarks/scs_uncertainty_scaling.py [--samples 2] [--inputs sigma_csf,...]
        [--workers 1,2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "scs_1x8_t8_low_back.yaml"
SMALL = ["fibers.dc=20", "fibers.dr_per_root=1", "anatomy.length_mm=60",
         "placement.offset_z_mm=0",
         "lead={kind: percutaneous, n_contacts: 3, diameter_mm: 1.3, contact_length_mm: 3, "
         "gap_mm: 4, body_end_mm: 2}",
         "program.contacts={E1: 0.5, E2: -1, E3: 0.5}"]


def sweep_time(n_workers: int, n_base: int, inputs: list[str]) -> tuple[float, dict]:
    from neuraxis.uncertainty.runner import open_client
    from neuraxis.uncertainty.sweep import plan_sweep, run_sweep

    plan = plan_sweep(SCENARIO, n_base, overrides=SMALL, inputs=inputs, mesh="coarse")
    with tempfile.TemporaryDirectory() as tmp, open_client(workers=n_workers) as client:
        client.run(lambda: None)  # workers up before the clock starts
        t = time.perf_counter()
        result = run_sweep(plan, Path(tmp) / "out", client=client)
        return time.perf_counter() - t, result.counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--inputs", default="sigma_csf,sigma_dura,dcsf")
    ap.add_argument("--workers", default="1,2",
                    help="worker counts to time, in order (the ratio needs 1 and 2)")
    a = ap.parse_args()
    inputs = a.inputs.split(",")
    n_runs = a.samples * (len(inputs) + 2)
    print(f"uncertainty sweep: N = {a.samples}, inputs {', '.join(inputs)} ({n_runs} samples), "
          "coarse mesh")
    sweep_time(1, 1, inputs[:1])  # warm-up: numba's on-disk cache, imports
    times = {}
    for n in (int(w) for w in a.workers.split(",")):
        t, counts = sweep_time(n, a.samples, inputs)
        times[n] = t
        print(f"{n} worker(s): {t:7.1f} s  ({t / n_runs:.1f} s per sample; {counts})")
    if 1 in times and 2 in times:
        print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x (ideal 2.00x)")


if __name__ == "__main__":
    main()
