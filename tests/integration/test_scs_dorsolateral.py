"""Where the dorsolateral column matters: a lateral cathode brings its (non-perceived)
fibers close to the perception threshold (Feirabend et al. 2002's reason for measuring
them). The bundled 5-6-5 paddle on the coarse mesh (its field basis is the validation
rows'): a bipole in the middle column against the same bipole in the right column."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a coarse field basis (cached when the validation ran)

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis.perception import ScsSession, make_program
from neuraxis.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scs_paddle_565_t9_tripole.yaml"
SMALL = ["mesh=coarse", "fibers.dc=40", "fibers.dr_per_root=1", "fibers.dlc=40"]


def test_a_lateral_cathode_brings_the_dlc_close_to_perception(shared_cache_dir: Path) -> None:
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    try:
        session = ScsSession(load_scenario(EXAMPLE, SMALL))
    finally:
        mp.undo()
    names = tuple(session.placed.lead.contact_names)
    ratio = {}
    for where, contacts in (("middle column", {"E9": -1.0, "E10": 1.0}),
                            ("right column", {"E3": -1.0, "E4": 1.0})):
        r = session.evaluate(make_program(contacts, 3.0, 300.0, contact_names=names))
        assert r.dorsolateral_threshold_ma is not None and r.perception_threshold_ma
        d = r.to_dict()
        assert d["dorsolateral_threshold_ma"] == pytest.approx(r.dorsolateral_threshold_ma,
                                                               abs=1e-4)
        assert d["fiber_counts"]["sampled_dlc_fibers"] == 40
        assert "dlc_fraction" in d["recruitment_curve"]
        ratio[where] = r.dorsolateral_threshold_ma / r.perception_threshold_ma
    # measured 1.95 (middle) and 1.08 (right); beyond the 5 % sampling tolerance
    assert ratio["right column"] < ratio["middle column"] / 1.05, ratio
