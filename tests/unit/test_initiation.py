"""Where the action potential starts: ThresholdResult.initiation_node."""

import numpy as np

from neuraxis.axons import find_thresholds


def test_cathodic_point_source_starts_under_the_electrode():
    # a cathode 1 mm from the axis starts the AP at the node nearest to it; shifted
    # by +-3 mm along the fiber (10 um MRG: 1.15 mm internodes) the node moves with it
    r = find_thresholds([10.0, 10.0, 10.0], distance_mm=1.0, offset_mm=[0.0, 3.0, -3.0],
                        n_nodes=41)
    assert list(r.initiation_node) == [20, 23, 17]


def test_anodic_start_lies_off_the_electrode_and_never_fired_is_minus_one():
    # an anode starts the AP at a virtual cathode beside it, never under it
    r = find_thresholds([5.7, 5.7], distance_mm=[1.0, 1.0], polarity="anodic", n_nodes=81,
                        max_ma=1e3)
    assert np.all(r.initiation_node >= 0) and np.all(r.initiation_node != 40)
    none = find_thresholds([5.7], distance_mm=5.0, n_nodes=41, max_ma=0.01)
    assert not np.isfinite(none.threshold_ma[0]) and none.initiation_node[0] == -1
    assert none.to_dict()["fibers"][0]["initiation_node"] == -1
