"""Importing neuraxis stays light: heavy optional dependencies load on use only.

Checked in a fresh interpreter, since this test session itself may already have
imported numba, scipy or NEURON through other tests.
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


def _loaded_after(statement: str) -> dict[str, bool]:
    code = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(HEAVY)!r}}}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def loaded() -> dict[str, bool]:
    return _loaded_after("import neuraxis, neuraxis.axons")


@pytest.mark.parametrize("module", HEAVY)
def test_import_does_not_load_heavy_dependency(loaded, module):
    assert loaded[module] is False, f"'import neuraxis.axons' loaded {module}"


def test_detector_sees_imports():
    # The check itself works: a heavy module imported by the same script is noticed.
    seen = _loaded_after("import neuraxis, neuraxis.axons, scipy.linalg")
    assert seen["scipy"] is True
    assert seen["numba"] is False


def test_field_import_does_not_load_the_fem_stack():
    """Loading and probing a cached basis needs NumPy and SciPy only: gmsh, scikit-fem,
    pyamg and matplotlib load inside meshing, solving and plotting."""
    code = ("import json, sys\nimport neuraxis.field, neuraxis.anatomy, neuraxis.leads, "
            "neuraxis.scenario, neuraxis.cli\n"
            "print(json.dumps({m: m in sys.modules for m in "
            "['gmsh', 'skfem', 'pyamg', 'matplotlib', 'numba']}))\n")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert not any(loaded.values()), loaded


def test_scs_and_pump_imports_stay_light():
    """The SCS chain (fibers, perception) and the pump package import NumPy-level code
    only; the axon kernel, FEM stack, SciPy and matplotlib load on use."""
    seen = _loaded_after("import neuraxis.fibers, neuraxis.perception, neuraxis.pump")
    assert not any(seen.values()), seen
