"""Benchmark: MRG fiber-threshold throughput, neuraxis vs NEURON, same run.

A population of MRG fibers (mixed diameters 5.7-16 um incl. interpolated ones,
point source 0.5-3 mm away, axial offsets within +/-0.5 mm, cathodic and
anodic, 100 us monophasic and biphasic pulses, sigma 0.2 S/m) gets its
thresholds from ``neuraxis.axons.find_thresholds``; a random sample of the same
fibers gets them from our NEURON implementation of the same model
(``neuraxis.axons.neuron_ref.find_thresholds``) with the identical search
(same hint, stages, tolerance, dt, tstop and early stops). Prints thresholds
per second for both, the ratio, and the agreement on the sample.

Run: ``python benchmarks/axon_thresholds.py [--n 512] [--n-neuron 12]``
(needs ``pip install 'neuraxis[neuron]'``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def population(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    diam = rng.choice([5.7, 6.5, 7.3, 8.7, 9.0, 10.0, 11.5, 12.8, 14.0, 16.0], n)
    return {
        "diameter_um": diam,
        "distance_mm": rng.uniform(0.5, 3.0, n),
        "offset_mm": rng.uniform(-0.5, 0.5, n),
        "pulse_width_us": np.full(n, 100.0),
        "sigma_s_per_m": np.full(n, 0.2),
        "polarity": rng.choice(["cathodic", "anodic"], n, p=[0.75, 0.25]),
        "shape": rng.choice(["mono", "biphasic"], n),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512, help="fibers for neuraxis")
    ap.add_argument("--n-neuron", type=int, default=12, help="sampled fibers for NEURON")
    ap.add_argument("--dt-us", type=float, default=1.0)
    ap.add_argument("--rel-tol", type=float, default=0.005)
    args = ap.parse_args()

    import numba

    from neuraxis.axons import find_thresholds, neuron_ref

    pop = population(args.n)
    cols = ("diameter_um", "distance_mm", "offset_mm", "pulse_width_us", "sigma_s_per_m",
            "polarity", "shape")
    kw = {"dt_us": args.dt_us, "rel_tol": args.rel_tol}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"numba {numba.__version__} threads {numba.get_num_threads()}")
    t = time.perf_counter()
    find_thresholds(10.0, 1.0, dt_us=args.dt_us)  # JIT compile / cache load
    print(f"warm-up (JIT compile or cache load): {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    res = find_thresholds(*(pop[c] for c in cols), **kw)
    t_nx = time.perf_counter() - t
    rate_nx = args.n / t_nx
    print(f"neuraxis ({numba.get_num_threads()} threads): {args.n} thresholds in "
          f"{t_nx:.2f} s -> {rate_nx:.1f} thresholds/s, "
          f"{res.n_simulations.mean():.1f} simulations per threshold")

    numba.set_num_threads(1)
    n1 = min(args.n, 128)
    t = time.perf_counter()
    find_thresholds(*(pop[c][:n1] for c in cols), **kw)
    t_1 = time.perf_counter() - t
    rate_1 = n1 / t_1
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    print(f"neuraxis (1 thread): {n1} thresholds in {t_1:.2f} s -> {rate_1:.1f} thresholds/s")

    neuron_ref.compile_mechanisms()
    rng = np.random.default_rng(1)
    sample = rng.choice(args.n, args.n_neuron, replace=False)
    t = time.perf_counter()
    thr_nrn = neuron_ref.find_thresholds(*(pop[c][sample] for c in cols), **kw)
    t_nrn = time.perf_counter() - t
    rate_nrn = args.n_neuron / t_nrn
    print(f"NEURON (1 process, 1 core): {args.n_neuron} thresholds in {t_nrn:.2f} s -> "
          f"{rate_nrn:.3f} thresholds/s ({t_nrn / args.n_neuron:.2f} s per threshold)")
    rel = res.threshold_ma[sample] / thr_nrn - 1
    print(f"agreement on the sample: max |neuraxis/NEURON - 1| = {np.nanmax(np.abs(rel)):.2e}")
    print(f"RATIO machine (neuraxis all threads / NEURON 1 core): {rate_nx / rate_nrn:.0f}x")
    print(f"RATIO per core (neuraxis 1 thread / NEURON 1 core):   {rate_1 / rate_nrn:.0f}x")
    raw_integration(args.dt_us)


def raw_integration(dt_us: float, n_fibers: int = 128, n_nodes: int = 41,
                    t_ms: float = 1.0) -> None:
    """Engine speed without the search: fixed-length subthreshold runs, no early stop,
    in compartment-steps per second (10 um MRG fibers, point source 1 mm)."""
    import numba

    from neuraxis.axons import Waveform, neuron_ref, simulate, stack_cables
    from neuraxis.axons.api import point_source_fiber

    cab, ve = point_source_fiber("mrg", 10.0, 1.0, 0.0, 0.2, n_nodes=n_nodes)
    n_steps = int(round(t_ms / (dt_us * 1e-3)))
    wave = Waveform(100.0).samples(dt_us, n_steps)
    batch = stack_cables([cab] * n_fibers)
    ves = np.repeat(ve[:, None], n_fibers, axis=1)
    amp = np.full(n_fibers, 0.05)  # ~half threshold: every step is computed

    def run() -> float:
        t = time.perf_counter()
        simulate(batch, ves, amp, wave, dt_us * 1e-3, detect_nodes=np.array([3, -4]),
                 early_stop=False)
        return time.perf_counter() - t

    run()
    work = cab.n_compartments * n_steps
    t_all = min(run() for _ in range(3))
    numba.set_num_threads(1)
    t_one = min(run() for _ in range(3))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    fiber = neuron_ref.build_mrg(10.0, n_nodes)
    t = time.perf_counter()
    neuron_ref.simulate(fiber, ve, 0.05, wave, dt_us, t_ms, early_stop=False)
    t_nrn = time.perf_counter() - t
    m_all, m_one = work * n_fibers / t_all / 1e6, work * n_fibers / t_one / 1e6
    m_nrn = work / t_nrn / 1e6
    print(f"raw integration ({n_nodes} nodes, {cab.n_compartments} compartments, {n_steps} "
          f"steps): neuraxis {m_all:.0f} M compartment-steps/s ({m_one:.0f} M on 1 thread, "
          f"{n_fibers} fibers), NEURON {m_nrn:.2f} M/s -> {m_all / m_nrn:.0f}x machine, "
          f"{m_one / m_nrn:.0f}x per core")


if __name__ == "__main__":
    main()
