"""Body map of the perception stage: the drawing, pain maps, coverage, the figure.

Areas are counted on the cached raster (square pixels of PIXEL_SIZE body heights). The
drawing's polygons share edges rounded to 1e-4 body heights (a tenth of a pixel), so a
handful of pixels on shared edges may count twice or not at all: the tiling tolerance
below is 0.05 % of the body (about 50 of 105,000 pixels per view).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.perception import regions as rg
from neuraxis.perception.bodymap import (
    DERMATOMES,
    PIXEL_SIZE,
    CoverageResult,
    PainMap,
    coverage,
    dermatome_side_names,
    list_regions,
    pain_area_by_dermatome,
    pain_map,
    paresthesia_by_region,
)
from neuraxis.viz.bodymap import plot_body_map

SRC = Path(__file__).resolve().parents[2] / "src"
TILING_TOL = 5e-4  # fraction of the body's pixels, per view
REQUIRED_REGIONS = (
    "low_back", "thoracic_back", "abdomen_lower",
    *(f"{root}_{side}" for root in ("buttock", "thigh_posterior", "thigh_anterior",
                                    "leg_posterior", "leg_anterior", "foot", "groin", "flank")
      for side in ("left", "right")))
ALL_LEFT = {n: 1.0 for n in dermatome_side_names() if n.endswith("_left")}


@pytest.fixture(scope="module")
def raster():
    return rg._raster()


def _pixels(raster, name, view):
    """Boolean mask of a region or dermatome in one view."""
    mask = np.zeros(raster.shape[0] * raster.shape[1], dtype=bool)
    mask[rg._name_pixels(name, view)] = True
    return mask.reshape(raster.shape)


def _x_of_columns(raster):
    xmin = rg.EXTENT[0]
    return xmin + (np.arange(raster.shape[1]) + 0.5) * PIXEL_SIZE


def _label_at(raster, view, x, y):
    xmin, _, ymin, _ = rg.EXTENT
    col = int((x - xmin) / PIXEL_SIZE)
    row = int((y - ymin) / PIXEL_SIZE)
    idx = int(raster.label[view][row, col])
    return dermatome_side_names()[idx] if idx >= 0 else None


# ----------------------------------------------------------------------------- names
def test_dermatome_names_are_rostro_caudal():
    assert DERMATOMES[0] == "C2" and DERMATOMES[-1] == "S5"
    assert len(DERMATOMES) == 7 + 12 + 5 + 5
    assert DERMATOMES.index("C8") + 1 == DERMATOMES.index("T1")
    assert DERMATOMES.index("T12") + 1 == DERMATOMES.index("L1")
    names = dermatome_side_names()
    assert names[:3] == ("C2_left", "C2_right", "C3_left")
    assert len(names) == 2 * len(DERMATOMES) and names[-1] == "S5_right"


def test_list_regions_has_the_named_regions_and_every_dermatome_side():
    regions = list_regions()
    for name in (*REQUIRED_REGIONS, *dermatome_side_names()):
        assert regions.get(name), name
    assert "L5 dermatome, left side" in regions["L5_left"]
    assert next(iter(regions)) == "low_back"  # named regions first


# ----------------------------------------------------------------------------- data
def test_every_data_entry_has_a_source_and_a_verified_flag():
    table = rg._read_table()
    assert table["version"] == 1
    entries = [table["dermatome_map"]]
    entries += [table["views"][v]["outline"] for v in rg.VIEWS]
    entries += list(table["dermatomes"].values()) + list(table["regions"].values())
    entries += list(table["non_dermatome"].values())
    for entry in entries:
        assert isinstance(entry["source"], str) and entry["source"].strip()
        assert isinstance(entry["verified"], bool)
    # The drawing is our approximation of published maps: nothing claims to be verified.
    assert not any(e["verified"] for e in table["dermatomes"].values())
    assert "Lee" in table["dermatome_map"]["source"]
    for name, entry in table["regions"].items():
        assert entry["description"], name


def test_views_state_the_patients_left():
    table = rg._read_table()
    assert table["views"]["back"]["left_x_sign"] == -1   # seen from behind
    assert table["views"]["front"]["left_x_sign"] == 1   # facing the viewer


def test_polygons_are_compact():
    table = rg._read_table()
    for group in ("dermatomes", "regions"):
        for name, entry in table[group].items():
            for polys in entry["polygons"].values():
                assert all(3 <= len(p) <= 80 for p in polys), name


# --------------------------------------------------------------------------- drawing
@pytest.mark.parametrize("view", rg.VIEWS)
def test_every_polygon_lies_inside_its_views_outline(raster, view):
    body = raster.body[view]
    drawing = rg._drawing()
    shapes = {**drawing.dermatomes, **drawing.regions, **drawing.non_dermatome}
    for name, shape in shapes.items():
        for poly in shape.polygons.get(view, ()):
            mask = rg._fill_polygon(poly, raster.shape)
            outside = int((mask & ~body).sum())
            assert mask.any(), name
            assert outside <= max(3, 0.005 * mask.sum()), (name, outside)


@pytest.mark.parametrize("view", rg.VIEWS)
def test_dermatomes_tile_the_body_without_overlap(raster, view):
    body = raster.body[view]
    n_body = int(body.sum())
    count = raster.n_dermatomes[view].astype(int)
    face = np.zeros_like(body)
    for shape in rg._drawing().non_dermatome.values():
        face |= rg._fill(shape.polygons.get(view, ()), raster.shape)
    # Sum of the dermatome areas (+ the trigeminal face) equals the outline area.
    total = int(count.sum()) + int(face.sum())
    assert abs(total - n_body) <= TILING_TOL * n_body
    assert int((count > 1).sum()) <= TILING_TOL * n_body          # overlaps
    assert int((body & (count == 0) & ~face).sum()) <= TILING_TOL * n_body  # gaps
    assert not (face & (count > 0)).any()


def test_every_dermatome_side_is_drawn(raster):
    names = dermatome_side_names()
    for idx, name in enumerate(names):
        n = sum(int((raster.label[v] == idx).sum()) for v in rg.VIEWS)
        assert n > 10, name
    s5 = names.index("S5_left")
    assert (raster.label["back"] == s5).any()  # saddle area on the back view


@pytest.mark.parametrize("view", rg.VIEWS)
def test_left_and_right_are_on_the_correct_side_of_each_view(raster, view):
    sign = rg._drawing().left_x_sign[view]
    x = _x_of_columns(raster)[None, :]
    names = dermatome_side_names()
    for idx, name in enumerate(names):
        mask = raster.label[view] == idx
        if not mask.any():
            continue
        side = 1 if name.endswith("_left") else -1
        on_side = (np.sign(np.broadcast_to(x, mask.shape)[mask]) == sign * side).mean()
        assert on_side > 0.99, (name, view, on_side)
    for name in rg._drawing().regions:
        if name.endswith(("_left", "_right")) and name in raster.regions[view]:
            side = 1 if name.endswith("_left") else -1
            mask = _pixels(raster, name, view)
            assert (np.sign(np.broadcast_to(x, mask.shape)[mask]) == sign * side).mean() > 0.99


def test_l5_left_is_on_the_viewers_left_from_behind_and_right_from_the_front(raster):
    x = _x_of_columns(raster)
    for view, expected in (("back", -1), ("front", 1)):
        mask = _pixels(raster, "L5_left", view)
        assert np.sign(x[mask.any(axis=0)]).tolist() == [expected] * int(mask.any(axis=0).sum())


def test_the_drawing_is_mirror_symmetric(raster):
    names = dermatome_side_names()
    swap = np.array([names.index(n.replace("_left", "_R").replace("_right", "_left")
                                 .replace("_R", "_right")) for n in names] + [-1])
    for view in rg.VIEWS:
        lab = raster.label[view]
        mirrored = swap[lab[:, ::-1]]
        agree = (mirrored == lab).mean()
        assert agree > 0.999, view


def test_buttock_left_lies_in_left_lumbosacral_dermatomes():
    fractions = pain_area_by_dermatome(pain_map(["buttock_left"]))
    assert sum(f for n, f in fractions.items() if n.endswith("_left")) > 0.99
    assert sum(f for n, f in fractions.items() if n[0] in "LS") > 0.99
    assert sum(fractions.values()) == pytest.approx(1.0)


def test_landmarks(raster):
    # Points in body heights (x, y); back view: patient's right at x > 0, front: x < 0.
    assert _label_at(raster, "front", -0.01, 0.600) == "T10_right"   # umbilicus
    assert _label_at(raster, "front", -0.045, 0.725) == "T4_right"   # nipple
    assert _label_at(raster, "front", -0.045, 0.010) == "L5_right"   # dorsum of foot
    assert _label_at(raster, "back", 0.05, 0.005) == "S1_right"      # heel / lateral sole
    assert _label_at(raster, "back", 0.0, 0.95) is not None          # occiput...
    assert _label_at(raster, "back", 0.02, 0.95) == "C2_right"       # ...is C2
    assert _label_at(raster, "front", 0.0, 0.95) is None             # face: trigeminal
    assert _label_at(raster, "back", 0.045, 0.40) == "S2_right"      # posterior thigh
    assert _label_at(raster, "front", 0.172, 0.45) == "C6_left"      # thumb side of hand
    # Back trunk bands run rostro-caudally.
    names = dermatome_side_names()
    rows = [np.nonzero(raster.label["back"][:, 150] == names.index(f"T{k}_left"))[0].mean()
            for k in range(2, 13)]
    assert np.all(np.diff(rows) < 0)  # row index grows with y: T2 highest


def test_low_back_is_mostly_lumbar():
    fractions = pain_area_by_dermatome(["low_back"])
    lumbar = sum(f for n, f in fractions.items() if n[0] == "L")
    assert lumbar > 0.8
    assert {f"L{k}_{s}" for k in range(1, 6) for s in ("left", "right")} <= set(fractions)


# -------------------------------------------------------------------------- pain map
def test_pain_map_collapses_duplicates_in_order():
    pain = pain_map(["low_back", "L5_left", "low_back"])
    assert pain.names == ("low_back", "L5_left")


@pytest.mark.parametrize("names, match", [
    (["low_bak"], "did you mean 'low_back'"),
    (["l5_left"], "did you mean 'L5_left'"),
    (["buttock_lft"], "did you mean 'buttock_left'"),
    ([], "at least one"),
    ("low_back", "Expected a list"),
    ([3], "Invalid value for 'pain region'"),
])
def test_pain_map_errors(names, match):
    with pytest.raises(NeuraxisInputError, match=match):
        pain_map(names)


def test_unknown_names_suggest_the_closest_few_not_every_name():
    """Issue 10: the message names at most three close names, not all ~100."""
    with pytest.raises(NeuraxisInputError,
                       match=r"'pain region'.*but got 'buttock_lft' - did you mean "
                             r"'buttock_left'( or '[a-z_]+'){0,2}\?$") as err:
        pain_map(["buttock_lft"])
    msg = str(err.value)
    assert "S5_right" not in msg and "low_back" not in msg and len(msg) < 260
    assert "neuraxis scs regions" in msg
    with pytest.raises(NeuraxisInputError, match=r"but got 'zzz'$"):  # nothing close
        pain_map(["zzz"])
    with pytest.raises(NeuraxisInputError, match=r"did you mean 'T10_left'") as err:
        coverage(["low_back"], {"T10_lft": 1.0})
    assert "C2_left" not in str(err.value)


def test_pain_map_dataclass_validates_too():
    with pytest.raises(NeuraxisInputError, match="did you mean 'low_back'"):
        PainMap(names=("lowback",))
    with pytest.raises(NeuraxisInputError, match="repeat"):
        PainMap(names=("low_back", "low_back"))


# -------------------------------------------------------------------------- coverage
def test_paresthesia_on_the_pains_dermatomes_covers_it_fully():
    pain = pain_map(["low_back", "buttock_left", "thigh_posterior_left", "L5_left"])
    paresthesia = dict.fromkeys(pain_area_by_dermatome(pain), 1.0)
    result = coverage(pain, paresthesia)
    assert isinstance(result, CoverageResult)
    assert result.pain_coverage_pct == pytest.approx(100.0)
    assert result.strength_weighted_coverage_pct == pytest.approx(100.0)
    assert all(v == pytest.approx(100.0) for v in result.per_region.values())
    assert result.uncovered_dermatomes == ()
    assert set(result.covered_dermatomes) == set(paresthesia)
    assert 0.0 < result.paresthesia_outside_pain_pct < 100.0  # dermatomes reach beyond


def test_no_paresthesia_gives_zero():
    result = coverage(pain_map(["low_back"]), {})
    assert result.pain_coverage_pct == 0.0
    assert result.paresthesia_outside_pain_pct == 0.0
    assert result.strength_weighted_coverage_pct == 0.0
    assert result.paresthesia_area_pct_of_body == 0.0
    assert result.covered_dermatomes == ()
    assert "L3_left" in result.uncovered_dermatomes


def test_half_covered_low_back_by_hand(raster):
    # low_back is the rectangle |x| <= 0.065, 0.550 <= y <= 0.622 of the back view, split
    # by the midline (a pixel boundary): paresthesia on every left dermatome covers its
    # left half, i.e. 50 %; at strength 0.4 the strength-weighted coverage is 20 %.
    n_px = _pixels(raster, "low_back", "back").sum()
    assert n_px * PIXEL_SIZE**2 == pytest.approx(0.130 * 0.072, rel=0.01)
    result = coverage(pain_map(["low_back"]), ALL_LEFT)
    assert result.pain_coverage_pct == pytest.approx(50.0, abs=0.5)
    half = coverage(["low_back"], dict.fromkeys(ALL_LEFT, 0.4))
    assert half.pain_coverage_pct == pytest.approx(50.0, abs=0.5)
    assert half.strength_weighted_coverage_pct == pytest.approx(20.0, abs=0.2)
    assert half.per_region == {"low_back": pytest.approx(50.0, abs=0.5)}


def test_paresthesia_outside_pain(raster):
    names = dermatome_side_names()

    def area(name):
        idx = names.index(name)
        return sum(int((raster.label[v] == idx).sum()) for v in rg.VIEWS)

    exact = coverage(["L5_left"], {"L5_left": 1.0})
    assert exact.pain_coverage_pct == pytest.approx(100.0)
    assert exact.paresthesia_outside_pain_pct == pytest.approx(0.0)
    wider = coverage(["L5_left"], {"L5_left": 1.0, "S1_left": 0.5})
    by_hand = 100.0 * area("S1_left") / (area("L5_left") + area("S1_left"))
    assert wider.paresthesia_outside_pain_pct == pytest.approx(by_hand)
    assert wider.pain_coverage_pct == pytest.approx(100.0)
    elsewhere = coverage(["L5_left"], {"C6_right": 0.7})
    assert elsewhere.pain_coverage_pct == 0.0
    assert elsewhere.paresthesia_outside_pain_pct == pytest.approx(100.0)


def test_min_strength_thresholds_the_paresthesia():
    pain = ["L5_left", "S1_left"]
    both = {"L5_left": 0.3, "S1_left": 0.8}
    assert coverage(pain, both).pain_coverage_pct == pytest.approx(100.0)
    only_s1 = coverage(pain, both, min_strength=0.5)
    assert 0.0 < only_s1.pain_coverage_pct < 100.0
    assert only_s1.covered_dermatomes == ("S1_left",)
    assert only_s1.uncovered_dermatomes == ("L5_left",)
    assert coverage(pain, both, min_strength=0.9).pain_coverage_pct == 0.0


def test_per_region_and_json():
    result = coverage(["low_back", "L5_left"], ALL_LEFT)
    assert result.per_region["L5_left"] == pytest.approx(100.0)
    assert result.per_region["low_back"] == pytest.approx(50.0, abs=0.5)
    assert json.loads(json.dumps(result.to_dict()))["pain_names"] == ["low_back", "L5_left"]


@pytest.mark.parametrize("paresthesia, min_strength, match", [
    ({"L5_lft": 1.0}, 0.0, "did you mean 'L5_left'"),
    ({"low_back": 1.0}, 0.0, "Invalid value for 'paresthesia dermatome'"),
    ({"L5_left": 1.5}, 0.0, r"Allowed range is \[0, 1\]"),
    ({"L5_left": -0.1}, 0.0, "fraction of fibers recruited"),
    ({"L5_left": "high"}, 0.0, "not a number"),
    ([("L5_left", 1.0)], 0.0, "Expected a mapping"),
    ({"L5_left": 0.5}, 1.0, "min_strength"),
])
def test_coverage_input_errors(paresthesia, min_strength, match):
    with pytest.raises(NeuraxisInputError, match=match):
        coverage(["low_back"], paresthesia, min_strength=min_strength)


def test_paresthesia_by_region():
    regions = paresthesia_by_region({"L5_left": 0.6})
    assert regions["leg_anterior_left"].area_pct > 20.0
    assert regions["leg_anterior_left"].mean_strength == pytest.approx(0.6)
    assert regions["foot_left"].area_pct > 20.0
    assert not any(name.endswith("_right") for name in regions)
    assert paresthesia_by_region({"L5_left": 0.6}, min_strength=0.6) == {}


# ---------------------------------------------------------------------------- figure
needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason="matplotlib not installed")


@needs_mpl
def test_plot_writes_a_png(tmp_path):
    out = plot_body_map({"L1_left": 0.9, "L2_left": 0.4}, tmp_path / "body.png",
                           pain=pain_map(["low_back", "buttock_left"]), title="test")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@needs_mpl
def test_plot_refuses_a_missing_folder(tmp_path):
    with pytest.raises(NeuraxisInputError, match="does not exist"):
        plot_body_map({}, tmp_path / "nope" / "body.png")


