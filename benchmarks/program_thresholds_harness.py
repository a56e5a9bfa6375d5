"""Benchmark: ``find_thresholds`` as the SCS chain calls it for a new program.

Step 1 (once, ``--capture``): runs the bundled 1x8 scenario (cached field basis) and
records every ``find_thresholds`` call that ``program_thresholds`` makes (one per node
count group: diameters, pulse width, shape, potentials per fiber, n_nodes, rel_tol,
max_ma) into an ``.npz``. Two programs are captured: the scenario's own (E3/E4/E5
guarded cathode, 300 us) and the reprogramming benchmark's (E5-/E6+, 210 us).

Step 2 (default): loads the ``.npz`` and times ``find_thresholds`` on the recorded
inputs (best of ``--repeat`` runs after a warm-up), prints thresholds/s, the CPU time
of the process (all threads; steadier than wall time on a shared machine), the
compartment-steps computed (the work: deterministic, independent of the load), simulate
calls, and, with ``--reference``, compares every threshold with a reference ``.npz``
written by ``--save`` (e.g. one saved before a change): every threshold must lie in
the search's stated bound of the other (true <= found <= true / (1 - rel_tol)), i.e.
the two may differ by at most ``rel_tol`` relatively.

Run::

    NEURAXIS_CACHE_DIR=/tmp/nxcache python benchmarks/program_thresholds_harness.py --capture
    python benchmarks/program_thresholds_harness.py --save /tmp/thr_before.npz
    python benchmarks/program_thresholds_harness.py --reference /tmp/thr_before.npz
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = Path("/tmp/neuraxis_program_thresholds_inputs.npz")
PROGRAMS = {"scenario": [],
            "reprogram": ["program.contacts={E5: -1, E6: 1}", "program.pulse_width_us=210"]}


def capture(path: Path, scenario: Path) -> None:
    """Run the chain for each program and store the inputs of every ``find_thresholds`` call."""
    from neuraxis import axons
    from neuraxis.perception.evaluate import run_scs
    from neuraxis.scenario import apply_overrides, load_scenario

    calls: list[dict] = []
    real = axons.find_thresholds

    def recorder(diameter_um, *args, **kw):
        calls.append({"diameter_um": np.asarray(diameter_um, float), **kw})
        return real(diameter_um, *args, **kw)

    axons.find_thresholds = recorder
    try:
        sc = load_scenario(scenario)
        out: dict[str, np.ndarray] = {}
        n = 0
        for name, sets in PROGRAMS.items():
            start = len(calls)
            run_scs(apply_overrides(sc, sets) if sets else sc)
            for c in calls[start:]:
                p = f"c{n}_"
                out[p + "program"] = np.array(name)
                out[p + "diameter_um"] = c["diameter_um"]
                out[p + "ve"] = np.stack(c["ve_mv_per_ma"])
                for k in ("pulse_width_us", "polarity", "shape", "model", "n_nodes",
                          "rel_tol", "max_ma"):
                    out[p + k] = np.array(c[k])
                n += 1
    finally:
        axons.find_thresholds = real
    out["n_calls"] = np.array(n)
    np.savez_compressed(path, **out)
    print(f"captured {n} find_thresholds calls into {path}")


def load_calls(path: Path) -> list[dict]:
    """The recorded calls as keyword dictionaries for ``find_thresholds``."""
    z = np.load(path)
    calls = []
    for i in range(int(z["n_calls"])):
        p = f"c{i}_"
        calls.append({
            "program": str(z[p + "program"]),
            "diameter_um": z[p + "diameter_um"],
            "ve_mv_per_ma": list(z[p + "ve"]),
            "pulse_width_us": float(z[p + "pulse_width_us"]),
            "polarity": str(z[p + "polarity"]), "shape": str(z[p + "shape"]),
            "model": str(z[p + "model"]), "n_nodes": int(z[p + "n_nodes"]),
            "rel_tol": float(z[p + "rel_tol"]), "max_ma": float(z[p + "max_ma"]),
        })
    return calls


def run_all(calls: list[dict], program: str) -> tuple[float, dict]:
    """Time the calls of one program; return seconds and the concatenated results."""
    import neuraxis.axons.api as api_mod
    from neuraxis.axons import find_thresholds

    n_sim = [0, 0]  # simulate calls, compartment-steps computed (lanes included)
    real = api_mod.simulate

    def counting(*a, **k):
        res = real(*a, **k)
        n_sim[0] += 1
        n_sim[1] += getattr(res, "compartment_steps", 0)  # absent before the registry
        return res

    old = api_mod.simulate
    api_mod.simulate = counting
    thr, stat, nev = [], [], []
    cpu = time.process_time()
    t = time.perf_counter()
    try:
        for c in calls:
            if c["program"] != program:
                continue
            kw = {k: v for k, v in c.items() if k not in ("program", "diameter_um")}
            res = find_thresholds(c["diameter_um"], **kw)
            thr.append(res.threshold_ma)
            stat.append(res.status)
            nev.append(res.n_simulations)
    finally:
        api_mod.simulate = old
    secs = time.perf_counter() - t
    cpu = time.process_time() - cpu
    return secs, {"cpu_s": cpu, "threshold_ma": np.concatenate(thr), "status": np.concatenate(stat),
                  "n_simulations": np.concatenate(nev), "n_simulate_calls": n_sim[0],
                  "compartment_steps": n_sim[1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS)
    ap.add_argument("--capture", action="store_true")
    ap.add_argument("--scenario", type=Path, default=ROOT / "examples" / "scs_1x8_t8_low_back.yaml")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--reference", type=Path)
    args = ap.parse_args()
    if args.capture or not args.inputs.exists():
        capture(args.inputs, args.scenario)
    calls = load_calls(args.inputs)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs")
    saved = {}
    for program in PROGRAMS:
        best, res = run_all(calls, program)  # warm-up (numba compile / cache load) counts too
        best_cpu = res["cpu_s"]
        for _ in range(args.repeat):
            secs, res = run_all(calls, program)
            best = min(best, secs)
            best_cpu = min(best_cpu, res["cpu_s"])
        n = res["threshold_ma"].size
        print(f"{program}: {n} fibers in {best:.3f} s = {n / best:.0f} thresholds/s "
              f"(CPU {best_cpu:.2f} s, both threads); "
              f"{res['n_simulate_calls']} simulate calls, "
              f"{res['n_simulations'].mean():.1f} simulations per fiber, "
              f"{res['compartment_steps'] / 1e6:.0f} M compartment-steps, "
              f"{np.isfinite(res['threshold_ma']).sum()} fire below max")
        saved[program] = res["threshold_ma"]
        if args.reference is not None:
            ref = np.load(args.reference)[program]
            rel_tol = calls[0]["rel_tol"]
            both = np.isfinite(ref) & np.isfinite(res["threshold_ma"])
            same_nan = np.array_equal(np.isfinite(ref), np.isfinite(res["threshold_ma"]))
            d = np.abs(res["threshold_ma"][both] / ref[both] - 1.0)
            ok = same_nan and bool(np.all(d <= rel_tol / (1 - rel_tol) + 1e-12))
            print(f"  vs reference: max relative difference {d.max():.4f} "
                  f"(allowed {rel_tol / (1 - rel_tol):.4f}), same fire/no-fire set: "
                  f"{same_nan} -> {'OK' if ok else 'FAIL'}")
    if args.save is not None:
        np.savez(args.save, **saved)


if __name__ == "__main__":
    main()
