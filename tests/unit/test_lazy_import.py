"""Importing neuraxis stays light: heavy optional dependencies load on use only.

The one place this is checked. Each statement runs in a fresh interpreter, since this
test session itself may already have imported numba, scipy or NEURON through other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# The package docstring promises "NumPy only" at import time; the compiled backend
# (numba), the NEURON reference, plotting, meshing and SciPy load inside functions.
HEAVY = ("numba", "neuron", "matplotlib", "scipy", "gmsh")
FEM = ("gmsh", "skfem", "pyamg", "matplotlib", "numba")

#: (statement, modules it must not load)
CASES = [
    ("import neuraxis, neuraxis.axons", HEAVY),
    # loading and probing a cached basis needs NumPy and SciPy only
    ("import neuraxis.field, neuraxis.anatomy, neuraxis.leads, neuraxis.scenario", FEM),
    # the whole CLI: --help must be fast
    ("import neuraxis.cli", (*HEAVY, "skfem", "pyamg", "yaml")),
    ("import neuraxis.fibers, neuraxis.perception, neuraxis.pump", HEAVY),
    ("import neuraxis.perception.painmap as p\np.coverage(['low_back'], {})", ("matplotlib",)),
    ("import neuraxis.pump.spread, neuraxis.viz, neuraxis.viz.pump_spread",
     ("matplotlib", "scipy")),
    ("import neuraxis.viz.scs, neuraxis.viz.bodymap, neuraxis.viz.field", ("matplotlib",)),
    ("import neuraxis.uncertainty, neuraxis.cli.scs_uncertainty",
     ("dask", "distributed", "SALib", "matplotlib")),
]


def loaded_after(statement: str, modules: tuple[str, ...]) -> dict[str, bool]:
    """Which of ``modules`` a fresh interpreter has loaded after ``statement``."""
    code = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(modules)!r}}}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("statement", "modules"), CASES,
                         ids=[c[0].splitlines()[0] for c in CASES])
def test_import_stays_light(statement: str, modules: tuple[str, ...]) -> None:
    loaded = loaded_after(statement, modules)
    assert not any(loaded.values()), f"{statement!r} loaded " + ", ".join(
        m for m, v in loaded.items() if v)


def test_detector_sees_imports() -> None:
    # The check itself works: a heavy module imported by the same script is noticed.
    seen = loaded_after("import neuraxis, neuraxis.axons, scipy.linalg", HEAVY)
    assert seen["scipy"] is True
    assert seen["numba"] is False
