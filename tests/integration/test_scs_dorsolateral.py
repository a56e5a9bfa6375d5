"""Where the dorsolateral column matters: a lateral lead brings its (non-perceived)
fibers close to the perception threshold (Feirabend et al. 2002's reason for measuring
them). Small model (60 mm, 3-contact lead, coarse mesh)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two coarse field bases

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis.perception import ScsSession
from neuraxis.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scs_1x8_t8_low_back.yaml"
SMALL = ["mesh=coarse", "fibers.dc=40", "fibers.dr_per_root=1", "fibers.dlc=40",
         "anatomy.length_mm=60", "placement.offset_z_mm=0",
         "lead={kind: percutaneous, n_contacts: 3, diameter_mm: 1.3, contact_length_mm: 3, "
         "gap_mm: 4, body_end_mm: 2}", "program.contacts={E1: 0.5, E2: -1, E3: 0.5}"]


def _result(shared_cache_dir: Path, offset_x_mm: float):
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    try:
        sc = load_scenario(EXAMPLE, [*SMALL, f"placement.offset_x_mm={offset_x_mm}"])
        return ScsSession(sc).evaluate(sc.program)
    finally:
        mp.undo()


def test_a_lateral_lead_brings_the_dlc_close_to_perception(shared_cache_dir: Path) -> None:
    mid, lat = _result(shared_cache_dir, 0.0), _result(shared_cache_dir, 2.5)
    for r in (mid, lat):
        assert r.dorsolateral_threshold_ma is not None and r.perception_threshold_ma
        assert r.to_dict()["dorsolateral_threshold_ma"] == pytest.approx(
            r.dorsolateral_threshold_ma, abs=1e-4)
    ratio_mid = mid.dorsolateral_threshold_ma / mid.perception_threshold_ma
    ratio_lat = lat.dorsolateral_threshold_ma / lat.perception_threshold_ma
    # beyond the 5 % sampling tolerance of the validation rows
    assert ratio_lat < ratio_mid / 1.05, (ratio_mid, ratio_lat)
