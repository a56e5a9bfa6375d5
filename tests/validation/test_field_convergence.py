"""Mesh convergence on the spine model: the potential and its second difference
(the activating function's driver) along a dorsal-column line, 'default' against
'fine' (about 2.4x the degrees of freedom). One 1.3 x 3 mm ring contact on the dura at
T9 on a 60 mm model (the shortest the anatomy allows; the mesh sizes near the lead are
the presets', and the line ends 10 mm from the model's ends), line 0.3 mm under the
dorsal cord surface on the midline. Observed on the 2-core machine (2026-12-01):
* potential: max |difference| 0.10 % of the peak (aim < 1 %: met);
* second difference at 1.0 mm spacing (about the MRG node spacing of 8.7-10 um
  fibers): peak 0.9 %, max |difference| 3.5 % of the peak (aim < 5 %: met);
* at 0.5 mm spacing: peak 15.2 %, max 21.0 % (finer differences amplify the P2
  element-to-element noise; aim not met at this spacing).
The default-length model (90 mm) gave 0.08 %, 2.9 / 4.4 % and 15.9 / 25.3 % (2026-11-25);
the 0.5 mm figures move with the mesh realisation (6.9 / 17.8 % before the rootlet
refinement was added, 7.5 and 11.6 % peaks in two earlier runs with gmsh's HXT on two
threads). Meshing runs on one thread and gives the same mesh every time. The bounds
below are the full-length observations with a margin, unchanged, so a regression fails.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes default and fine models (minutes)

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis.anatomy import spine_anatomy
from neuraxis.field import build_field_basis
from neuraxis.leads import Placement, place_lead
from neuraxis.scenario import lead_from_section

ONE = {"kind": "percutaneous", "diameter_mm": 1.3, "contact_length_mm": 3.0, "gap_mm": 4.0,
       "n_contacts": 1}


@pytest.fixture(scope="module")
def lines() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    a = spine_anatomy("T9", length_mm=60.0)
    placed = place_lead(lead_from_section(ONE), Placement("T9"), a)
    top = a.cord_ellipse.center_y_mm + a.cord_ellipse.semi_y_mm
    z = np.arange(-20.0, 20.0001, 0.5)
    pts = np.column_stack([np.zeros_like(z), np.full_like(z, top - 0.3), z])
    out = {}
    for mesh in ("default", "fine"):
        basis = build_field_basis(a, placed, mesh, cache=False)
        out[mesh] = (z, basis.probe(pts, contact="E1"))
    return out


def _d2(v: np.ndarray, step: int) -> np.ndarray:
    w = v[::step]
    return w[:-2] - 2 * w[1:-1] + w[2:]


def test_potential_converged_within_1_percent(lines) -> None:
    v, ref = lines["default"][1], lines["fine"][1]
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(ref))
    assert np.max(np.abs(v - ref)) / np.max(ref) < 0.01


@pytest.mark.parametrize(("step", "peak_bound", "max_bound"), [(2, 0.05, 0.08),
                                                                (1, 0.20, 0.30)])
def test_second_difference_convergence(lines, step: int, peak_bound: float,
                                       max_bound: float) -> None:
    d2, d2_ref = _d2(lines["default"][1], step), _d2(lines["fine"][1], step)
    peak = abs(d2.min() / d2_ref.min() - 1)
    worst = np.max(np.abs(d2 - d2_ref)) / np.max(np.abs(d2_ref))
    assert d2_ref.min() < 0  # the cord under a cathode-like source: a negative dip
    assert peak < peak_bound, peak
    assert worst < max_bound, worst
