"""Benchmark: build the 16-contact field basis of the 5-6-5 paddle at default resolution.

Prints mesh size, the time of each stage, the peak memory, and the time to load
the cached basis back; the goal (issue 3) is <= 60 s and <= 4 GB on the 2-core
machine. Run: ``python benchmarks/field_basis.py [--mesh default] [--lead paddle_5_6_5]``
(needs ``pip install 'neuraxis[fem]'``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", default="default")
    ap.add_argument("--lead", default="paddle_5_6_5")
    ap.add_argument("--level", default="T9")
    args = ap.parse_args()

    import gmsh
    import pyamg
    import skfem

    from neuraxis.anatomy import spine_anatomy
    from neuraxis.field import build_field_basis
    from neuraxis.leads import Placement, load_lead, place_lead

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; gmsh {gmsh.__version__}, "
          f"scikit-fem {skfem.__version__}, pyamg {pyamg.__version__}")
    a = spine_anatomy(args.level)
    placed = place_lead(load_lead(args.lead), Placement(args.level), a)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        basis = build_field_basis(a, placed, args.mesh, cache=Path(tmp))
        total = time.perf_counter() - t
        rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        t = time.perf_counter()
        build_field_basis(a, placed, args.mesh, cache=Path(tmp))
        reload_s = time.perf_counter() - t
    i = basis.info
    n_c = len(basis.contact_names)
    print(f"{args.lead} at {args.level}, mesh '{args.mesh}': {i['n_tets']} tetrahedra, "
          f"{i['n_dofs']} P2 DOFs, {n_c} contacts")
    print(f"mesh {i['mesh_s']:.1f} s, assembly {i['assembly_s']:.1f} s, AMG setup "
          f"{i['amg_setup_s']:.1f} s, {n_c} solves {i['solve_s']:.1f} s "
          f"({i['solve_s'] / n_c:.2f} s each, CG iterations {min(i['cg_iterations'])}-"
          f"{max(i['cg_iterations'])})")
    print(f"TOTAL build {total:.1f} s (goal 60 s: {total / 60:.2f}x of it), peak memory "
          f"{rss_gb:.2f} GB (goal 4 GB), cached reload {reload_s:.2f} s")


if __name__ == "__main__":
    main()
