"""Lead catalogue, custom layouts and placement (neuraxis.leads)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy import HomogeneousMedium, read_table, spine_anatomy
from neuraxis.leads import (
    Placement,
    list_leads,
    load_lead,
    place_lead,
    rotation_about_y,
)
from neuraxis.scenario import lead_from_section, placement_from_section

PERC = {"kind": "percutaneous", "diameter_mm": 1.3, "contact_length_mm": 3, "gap_mm": 2,
        "n_contacts": 4}
PADDLE = {"kind": "paddle", "columns": [5, 6, 5], "contact_length_mm": 4,
          "contact_width_mm": 1.5, "column_pitch_mm": 3.5, "row_pitch_mm": 6,
          "paddle_width_mm": 10, "paddle_thickness_mm": 2}

# ------------------------------------------------------------------------- catalogue


def _bare(level: str):
    """The level's anatomy around an acute lead (no encapsulation sheath): the placement
    rules below are stated for the lead's own envelope."""
    return spine_anatomy(level, encapsulation_thickness_mm=0.0)


def test_catalogue_names_and_counts():
    assert list_leads() == ["percutaneous_1x8", "percutaneous_1x8_compact", "paddle_2x8",
                            "paddle_5_6_5"]
    assert len(load_lead("percutaneous_1x8").contacts) == 8
    assert len(load_lead("percutaneous_1x8_compact").contacts) == 8
    assert len(load_lead("paddle_2x8").contacts) == 16
    p565 = load_lead("paddle_5_6_5")
    assert p565.contact_names == tuple(f"E{k}" for k in range(1, 17))
    xs = [c.center_mm[0] for c in p565.contacts]
    assert [xs.count(x) for x in sorted(set(xs))] == [5, 6, 5]


def test_catalogue_entries_name_source_and_unverified_dimensions():
    for name, entry in read_table("leads.yaml")["leads"].items():
        assert isinstance(entry["source"], str) and len(entry["source"]) > 10, name
        assert entry["unverified"], name  # nothing confirmed from a manual yet
        for key in entry["unverified"]:
            assert key in entry, (name, key)
        spec = load_lead(name)
        assert spec.source == entry["source"] and spec.unverified == tuple(entry["unverified"])


def test_percutaneous_geometry():
    lead = load_lead("percutaneous_1x8")
    assert lead.kind == "percutaneous" and lead.diameter_mm == 1.3
    z = [c.center_mm[2] for c in lead.contacts]
    assert z[0] == max(z)  # E1 at the rostral (distal) end
    assert np.allclose(np.diff(z), -7.0)  # 3 mm contacts, 4 mm gaps
    assert sum(z) == pytest.approx(0.0)
    assert all(c.shape == "ring" and c.center_mm[:2] == (0.0, 0.0) for c in lead.contacts)
    assert lead.body_length_mm == pytest.approx(8 * 3 + 7 * 4 + 2 * 3)
    compact = load_lead("percutaneous_1x8_compact")
    assert np.allclose(np.diff([c.center_mm[2] for c in compact.contacts]), -4.5)
    # contact area: ring 3 mm long, 1.3 mm diameter -> pi * 1.3 * 3 = 12.25 mm2
    assert lead.contact("E1").area_mm2 == pytest.approx(12.25, abs=0.01)
    assert lead.contact("E3").area_mm2 == pytest.approx(math.pi * 1.3 * 3)


def test_paddle_geometry():
    lead = load_lead("paddle_2x8")
    t, w = lead.paddle_thickness_mm, lead.paddle_width_mm
    for c in lead.contacts:
        assert c.shape == "rect" and c.center_mm[1] == -t / 2  # flush on the ventral face
        assert abs(c.center_mm[0]) + c.width_mm / 2 <= w / 2
        assert abs(c.center_mm[2]) + c.length_mm / 2 <= lead.paddle_length_mm / 2
        assert c.area_mm2 == pytest.approx(c.length_mm * c.width_mm)
    # numbered column by column from the patient's right (-x), rostral to caudal
    first, ninth = lead.contact("E1").center_mm, lead.contact("E9").center_mm
    assert first[0] < 0 < ninth[0] and first[2] == ninth[2] == max(
        c.center_mm[2] for c in lead.contacts)
    p565 = load_lead("paddle_5_6_5")
    middle = [c.center_mm[2] for c in p565.contacts if c.center_mm[0] == 0.0]
    outer = [c.center_mm[2] for c in p565.contacts if c.center_mm[0] < 0]
    assert len(middle) == 6 and len(outer) == 5
    assert min(abs(m - o) for m in middle for o in outer) == pytest.approx(3.0)  # staggered


def test_lead_to_dict_is_json():
    d = load_lead("paddle_5_6_5").to_dict()
    assert json.loads(json.dumps(d)) == d and len(d["contacts"]) == 16


def test_catalogue_errors():
    with pytest.raises(NeuraxisInputError, match="'lead model'.*did you mean 'percutaneous_1x8'"):
        load_lead("percutanous_1x8")
    with pytest.raises(NeuraxisInputError, match="contact of lead 'paddle_2x8'.*got 'E17'"):
        load_lead("paddle_2x8").contact("E17")
    with pytest.raises(NeuraxisInputError, match="did you mean 'E1'"):
        load_lead("percutaneous_1x8").contact("e1")


# ------------------------------------------------------------------- custom layouts


def test_lead_from_section_model_and_custom():
    assert lead_from_section({"model": "paddle_5_6_5"}) == load_lead("paddle_5_6_5")
    assert lead_from_section("paddle_2x8") == load_lead("paddle_2x8")
    # placement keys have their own section
    with pytest.raises(NeuraxisInputError, match="'level' in 'lead'"):
        lead_from_section({"model": "paddle_2x8", "level": "T9"})
    perc = lead_from_section(PERC)
    assert perc.name == "custom_percutaneous" and len(perc.contacts) == 4
    assert perc.body_length_mm == pytest.approx(4 * 3 + 3 * 2 + 2 * 3)
    paddle = lead_from_section({**PADDLE, "name": "my_paddle"})
    assert paddle.name == "my_paddle" and len(paddle.contacts) == 16
    assert paddle.paddle_length_mm == pytest.approx(5 * 6 + 4 + 2 * 3)
    assert paddle.contacts == load_lead("paddle_5_6_5").contacts


@pytest.mark.parametrize(("section", "pattern"), [
    ({"model": "paddle_2x8", "n_contacts": 8}, "either 'model' or a custom layout"),
    ({"model": "paddle_2x9"}, "'lead model'.*did you mean 'paddle_2x8'"),
    ({"model": "paddle_2x8", "offset_x_mm": 1}, "'offset_x_mm' in 'lead'"),
    ({**PERC, "diametre_mm": 1.3}, "did you mean 'diameter_mm'"),
    ({"diameter_mm": 1.3}, "needs 'kind'"),
    ({**PERC, "kind": "paddel"}, "'lead.kind'.*did you mean 'paddle'"),
    ({k: v for k, v in PERC.items() if k != "gap_mm"}, "percutaneous lead: missing gap_mm"),
    ({**PERC, "diameter_mm": 5}, r"'diameter_mm'. Allowed range is \[0.5, 3\] mm, but got 5 mm"),
    ({**PERC, "n_contacts": 0}, r"'n_contacts'. Allowed values are integers in \[1, 32\]"),
    ({**PERC, "columns": [8]}, "'columns' in 'percutaneous lead'"),
    ({**PADDLE, "row_pitch_mm": 4}, r"contact_length_mm \(4 mm\) must be less than row_pitch"),
    ({**PADDLE, "column_pitch_mm": 1.5}, r"contact_width_mm \(1.5 mm\) must be less than column"),
    ({**PADDLE, "paddle_width_mm": 8}, r"contact array is 8.5 mm wide.*paddle_width_mm is 8 mm"),
    ({**PADDLE, "columns": 16}, "list of 1 to 8 contact counts"),
    ({**PADDLE, "columns": [5, 0, 5]}, r"'columns\[1\]'"),
    ({k: v for k, v in PADDLE.items() if k != "columns"}, "paddle lead: missing columns"),
    ({}, "Expected {model: <name>}"),
    (None, "'lead' section is missing"),
])
def test_lead_scenario_errors(section, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        lead_from_section(section)


# ------------------------------------------------------------------------ placement


def test_placement_from_section():
    p = placement_from_section({"level": "T9", "offset_x_mm": 1.5})
    assert p == Placement("T9", offset_x_mm=1.5)
    assert placement_from_section(None, level="T10") == Placement("T10")
    assert p.to_dict()["clearance_mm"] == 0.1


@pytest.mark.parametrize(("section", "pattern"), [
    ({"offset_x_mm": 1}, "no 'level' given"),
    ({"level": "T9", "rotation_deg": 50}, r"'rotation_deg'. Allowed range is \[-45, 45\] deg"),
    ({"level": "T9", "ofset_x_mm": 1}, "did you mean 'offset_x_mm'"),
    ({"level": "L1"}, "'level'.*got 'L1'"),
    ({"level": "T9", "clearance_mm": -0.1}, r"'clearance_mm'. Allowed range is \[0, 2\] mm"),
    ([1], "Expected a mapping"),
])
def test_placement_errors(section, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        placement_from_section(section)


@pytest.mark.parametrize("level", ["T8", "T9", "T10", "T11", "T12"])
def test_percutaneous_lead_rests_on_the_dura(level):
    a = _bare(level)
    lead = load_lead("percutaneous_1x8")
    placed = place_lead(lead, Placement(level, offset_z_mm=2.0), a)
    c = placed.contact_centers_mm()
    assert c.shape == (8, 3)
    expected_y = float(a.dura_ellipse.top_y_mm(0.0)) + 0.65 + 0.1
    assert np.allclose(c[:, 1], expected_y) and np.allclose(c[:, 0], 0.0)
    assert np.allclose(c[:, 2], [z + 2.0 for z in (24.5, 17.5, 10.5, 3.5, -3.5, -10.5, -17.5,
                                                   -24.5)])
    assert placed.origin_mm == pytest.approx((0.0, expected_y, 2.0))


@pytest.mark.parametrize("offset", [2.0, -3.5, 5.0])
def test_lateral_lead_keeps_the_clearance(offset):
    a = _bare("T9")
    placed = place_lead(load_lead("percutaneous_1x8"), Placement("T9", offset_x_mm=offset), a)
    x0, y0, _ = placed.origin_mm
    assert x0 == offset
    dura = a.dura_ellipse.points_mm(20000)
    gap = np.hypot(dura[:, 0] - x0, dura[:, 1] - y0).min() - 0.65
    assert gap == pytest.approx(0.1, abs=0.005)
    # higher than "dura height at x + radius + clearance" would put it (that would cut the dura)
    assert y0 > float(a.dura_ellipse.top_y_mm(offset)) + 0.75


def test_paddle_rests_on_the_dura():
    a = _bare("T12")
    lead = load_lead("paddle_5_6_5")
    placed = place_lead(lead, Placement("T12", offset_x_mm=1.0), a)
    c = placed.contact_centers_mm()
    # the flat ventral face touches (+0.1 mm) the highest dura point under it: the midline
    assert np.allclose(c[:, 1], float(a.dura_ellipse.top_y_mm(0.0)) + 0.1)
    assert placed.origin_mm[1] == pytest.approx(c[0, 1] + lead.paddle_thickness_mm / 2)
    assert np.allclose(sorted(set(np.round(c[:, 0], 6))), [-2.5, 1.0, 4.5])


def test_encapsulation_lifts_the_lead():
    base = place_lead(load_lead("percutaneous_1x8"), Placement("T11"), _bare("T11"))
    sheath = place_lead(load_lead("percutaneous_1x8"), Placement("T11"),
                        spine_anatomy("T11", encapsulation_thickness_mm=0.3))
    assert sheath.origin_mm[1] - base.origin_mm[1] == pytest.approx(0.3, abs=1e-3)


def test_rotation():
    rot = rotation_about_y(5.0)
    assert np.allclose(rot @ rot.T, np.eye(3)) and np.linalg.det(rot) == pytest.approx(1.0)
    placed = place_lead(load_lead("percutaneous_1x8"), Placement("T12", rotation_deg=5.0),
                        _bare("T12"))
    a = math.radians(5.0)
    assert np.allclose(placed.axis, [math.sin(a), 0.0, math.cos(a)])
    c = placed.contact_centers_mm()
    assert c[0, 0] > 0 and c[0, 2] == pytest.approx(24.5 * math.cos(a))  # E1 turned to the left
    assert np.allclose(c[:, 1], c[0, 1])
    d = placed.to_dict()
    assert json.loads(json.dumps(d)) == d


def test_offset_paddle_that_does_not_fit_is_refused():
    a = _bare("T11")
    place_lead(load_lead("paddle_2x8"), Placement("T11", offset_x_mm=1.5), a)
    with pytest.raises(NeuraxisInputError, match=(
            r"the paddle 'paddle_2x8' \(thickness 1.5 mm, width 8 mm\) does not fit in the dorsal "
            r"epidural space at T11: resting 0.1 mm above the dura, its contact face reaches "
            r"y = 7.55 mm at x = 8.0 mm, above the canal roof there \(y = 7.23 mm\)")):
        place_lead(load_lead("paddle_2x8"), Placement("T11", offset_x_mm=4.0), a)
    with pytest.raises(NeuraxisInputError, match=r"at T9: resting 0.1 mm above the dura, it needs "
                       r"4.61 mm above the dura at x = 7.0 mm but the epidural space there is "
                       r"3.89 mm"):
        place_lead(load_lead("paddle_5_6_5"), Placement("T9", offset_x_mm=2.0), _bare("T9"))


def test_paddle_back_may_replace_bone():
    """A paddle goes in through a laminotomy: at T9 the 2 mm, 10 mm wide 5-6-5 rests on the
    dura with its contact face in the epidural space while its back rises above the canal roof."""
    a = _bare("T9")
    lead = load_lead("paddle_5_6_5")
    placed = place_lead(lead, Placement("T9"), a)
    y_face = placed.origin_mm[1] - lead.paddle_thickness_mm / 2
    y_back = placed.origin_mm[1] + lead.paddle_thickness_mm / 2
    x_edge = lead.paddle_width_mm / 2
    assert y_face < float(a.canal_ellipse.top_y_mm(x_edge))
    assert y_back > float(a.canal_ellipse.top_y_mm(x_edge))
    assert y_face - float(a.dura_ellipse.top_y_mm(0.0)) == pytest.approx(0.1)


@pytest.mark.parametrize(("lead", "placement", "pattern"), [
    ("paddle_5_6_5", Placement("T9", offset_x_mm=5.0), "extends to x = 10.0 mm, outside the canal"),
    ("percutaneous_1x8", Placement("T9", offset_x_mm=7.5), "lateral to the dural sac"),
    ("percutaneous_1x8", Placement("T9", rotation_deg=12), "does not fit in the dorsal epidural"),
    ("percutaneous_1x8", Placement("T9", offset_z_mm=10), r"reach z = 39.0 mm.*allows \+-35 mm"),
    ("percutaneous_1x8", Placement("T10"), "level 'T10' differs from the anatomy level 'T9'"),
])
def test_invalid_spine_placements(lead, placement, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        place_lead(load_lead(lead), placement, _bare("T9"))


def test_homogeneous_placement():
    h = HomogeneousMedium((0.2, 0.2, 0.6))
    placed = place_lead(load_lead("paddle_2x8"), Placement("T9", offset_x_mm=2.0,
                                                           offset_z_mm=-3.0), h)
    assert placed.origin_mm == (2.0, 0.0, -3.0)
    c = placed.contact_centers_mm()
    assert np.allclose(c[:, 1], -0.75)
    small = HomogeneousMedium(0.3, radius_mm=20)
    with pytest.raises(NeuraxisInputError, match=r"reaches 13.0 mm from the axis.*radius_mm = 20"):
        place_lead(load_lead("paddle_5_6_5"), Placement("T9", offset_x_mm=8.0), small)
    with pytest.raises(NeuraxisInputError, match="reach z ="):
        place_lead(load_lead("percutaneous_1x8"), Placement("T9", offset_z_mm=-7.0), h)
    with pytest.raises(NeuraxisInputError, match="expected SpineAnatomy or HomogeneousMedium"):
        place_lead(load_lead("percutaneous_1x8"), Placement("T9"), {"kind": "spine"})


# ------------------------------------------------------------------------ module layout
