"""Volume-conductor data tables and spine geometry (neuraxis.anatomy)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy import (
    LEVELS,
    Conductivities,
    HomogeneousMedium,
    SpineAnatomy,
    anatomy_from_dict,
    conductivity_keys,
    level_defaults,
    load_conductivities,
    read_table,
    spine_anatomy,
)
from neuraxis.anatomy.tables import conductivities_from_dict
from neuraxis.scenario.load import anatomy_from_section

# Typed in from REFERENCE 2.1 / 2.2 (Capogrosso 2013 Table 1; Frostell 2016; Keimyung 1988;
# Korean J Spine 2012; J Korean Neurosurg Soc), not read from neuraxis.
PUBLISHED_S_PER_M = {"white_matter_longitudinal": 0.6, "white_matter_transverse": 0.083,
                     "grey_matter": 0.23, "csf": 1.7, "epidural_fat": 0.04, "bone": 0.02,
                     "dura": 0.03, "encapsulation": 0.16}
PUBLISHED_MM = {("T8", "cord_width_mm"): 8.3, ("T8", "cord_depth_mm"): 6.3,
                ("T9", "cord_width_mm"): 7.3, ("T9", "cord_depth_mm"): 6.3,
                ("T9", "sac_depth_mm"): 11.6,
                ("T8", "canal_depth_mm"): 14.6, ("T12", "canal_depth_mm"): 16.7,
                ("T8", "canal_width_mm"): 17.2, ("T10", "canal_width_mm"): 17.8,
                ("T11", "canal_width_mm"): 19.4, ("T12", "canal_width_mm"): 22.3}

# ------------------------------------------------------------------------- data tables


def test_tables_are_versioned():
    for name in ("conductivities.yaml", "anatomy_levels.yaml", "leads.yaml"):
        assert read_table(name)["version"] == 1


def test_every_anatomy_value_has_source_and_verified_flag():
    table = read_table("anatomy_levels.yaml")
    assert set(table["levels"]) == set(LEVELS)
    entries = [*table["defaults"].items()]
    for level in LEVELS:
        entries += table["levels"][level].items()
    for key, entry in entries:
        assert key.endswith("_mm"), key
        assert set(entry) == {"value", "source", "verified"}, key
        assert isinstance(entry["value"], (int, float)) and entry["value"] > 0, key
        assert isinstance(entry["source"], str) and len(entry["source"]) > 10, key
        assert isinstance(entry["verified"], bool), key
        if "nterpolat" in entry["source"] or "Placeholder" in entry["source"]:
            assert entry["verified"] is False, key


def test_every_conductivity_has_source_and_verified_flag():
    tissues = read_table("conductivities.yaml")["tissues"]
    for name, entry in tissues.items():
        assert isinstance(entry["source"], str) and entry["source"], name
        assert isinstance(entry["verified"], bool), name
        values = [v for k, v in entry.items() if k.endswith("_s_per_m")]
        assert values and all(isinstance(v, float) and v > 0 for v in values), name
    assert tissues["dura"]["verified"] is False
    assert tissues["surrounding"]["verified"] is False
    assert "placeholder" in tissues["surrounding"]["source"]


@pytest.mark.parametrize(("level", "key"), sorted(PUBLISHED_MM))
def test_cited_anatomy_values_match_published(level, key):
    assert level_defaults(level)[key] == PUBLISHED_MM[(level, key)]
    assert read_table("anatomy_levels.yaml")["levels"][level][key]["verified"] is True


def test_conductivity_defaults_match_published():
    c = load_conductivities()
    for key, value in PUBLISHED_S_PER_M.items():
        assert getattr(c, f"{key}_s_per_m") == value
    assert c.surrounding_s_per_m == 0.25
    assert set(conductivity_keys()) == {f.removesuffix("_s_per_m") for f in c.to_dict()}


def test_conductivity_overrides():
    c = load_conductivities({"csf": 1.8, "white_matter_longitudinal": 1.2})
    assert c.csf_s_per_m == 1.8 and c.white_matter_longitudinal_s_per_m == 1.2
    assert c.grey_matter_s_per_m == 0.23
    assert conductivities_from_dict(c.to_dict()) == c


def test_conductivity_errors():
    with pytest.raises(NeuraxisInputError, match=r"got 'csff' - did you mean 'csf'"):
        load_conductivities({"csff": 1.8})
    with pytest.raises(NeuraxisInputError, match=r"'csf_s_per_m'.*\(0, inf\] S/m.*got -1 S/m"):
        load_conductivities({"csf": -1})
    with pytest.raises(NeuraxisInputError, match="'conductivities'. Expected a mapping with keys"):
        load_conductivities([1.8])  # type: ignore[arg-type]
    with pytest.raises(NeuraxisInputError, match="missing csf_s_per_m"):
        conductivities_from_dict({k: v for k, v in load_conductivities().to_dict().items()
                                  if k != "csf_s_per_m"})


# ------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("level", LEVELS)
def test_defaults_load_for_every_level(level):
    a = spine_anatomy(level)
    assert a.kind == "spine" and a.level == level
    for key, value in level_defaults(level).items():
        assert getattr(a, key) == value
    assert a.length_mm >= 60 and a.cord_offset_x_mm == 0
    assert a.encapsulation_thickness_mm == 0.3  # a chronic lead's sheath by default
    assert isinstance(a.conductivities, Conductivities)


def _inside(inner, outer) -> bool:
    return bool(np.all(outer.level(inner.points_mm(720)) < 1.0))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("offset", [0.0, 1.5, -2.0])
def test_layers_are_nested(level, offset):
    a = spine_anatomy(level, cord_offset_x_mm=offset)
    layers = [a.cord_ellipse, a.sac_ellipse, a.dura_ellipse, a.canal_ellipse, a.bone_ellipse]
    for inner, outer in pairwise(layers):
        assert _inside(inner, outer)
    assert np.hypot(*a.bone_ellipse.points_mm().T).max() < a.domain_radius_mm


@pytest.mark.parametrize("level", LEVELS)
def test_layer_thicknesses_equal_the_inputs(level):
    depth = level_defaults(level)["cord_depth_mm"]
    a = spine_anatomy(level, dcsf_mm=3.1, sac_depth_mm=depth + 3.1 + 1.2, dura_thickness_mm=0.4)
    assert a.ventral_csf_mm == pytest.approx(1.2) and a.sac_growth_mm == 0
    cord, sac, dura, canal = a.cord_ellipse, a.sac_ellipse, a.dura_ellipse, a.canal_ellipse
    assert sac.top_y_mm(0.0) - cord.top_y_mm(0.0) == pytest.approx(3.1)  # dCSF on the midline

    def bottom(e):
        return e.center_y_mm - e.semi_y_mm

    assert bottom(cord) - bottom(sac) == pytest.approx(1.2)
    assert dura.top_y_mm(0.0) - sac.top_y_mm(0.0) == pytest.approx(0.4)
    assert sac.semi_x_mm - cord.semi_x_mm == pytest.approx(a.lateral_csf_mm)
    assert bottom(dura) - bottom(canal) == pytest.approx(a.ventral_epidural_mm)
    assert 2 * canal.semi_y_mm == pytest.approx(a.canal_depth_mm)
    assert 2 * canal.semi_x_mm == pytest.approx(a.canal_width_mm)
    total = a.cord_depth_mm + 3.1 + 1.2 + 0.8 + a.ventral_epidural_mm + a.dorsal_epidural_mm
    assert total == pytest.approx(a.canal_depth_mm)
    assert a.bone_ellipse.semi_x_mm - canal.semi_x_mm == pytest.approx(a.bone_thickness_mm)
    assert float(a.epidural_space_mm(0.0)) == pytest.approx(a.dorsal_epidural_mm)


def test_default_dorsal_epidural_space_holds_a_percutaneous_lead():
    for level in LEVELS:
        assert spine_anatomy(level).dorsal_epidural_mm >= 1.3 + 0.1 + 0.5


def test_offset_cord_keeps_the_sac():
    a, b = spine_anatomy("T9"), spine_anatomy("T9", cord_offset_x_mm=1.5)
    assert b.sac_ellipse == a.sac_ellipse
    assert b.cord_ellipse.center_x_mm == 1.5


def test_inconsistent_geometry_is_refused():
    with pytest.raises(NeuraxisInputError, match=r"'dcsf_mm'. The largest allowed at T8 is 4\.7 mm "
                       r"\(cord_offset_x_mm = 0\), but got 8 mm.*canal_depth_mm = 14.6.*lower "
                       r"dcsf_mm or cord_depth_mm, or raise canal_depth_mm"):
        spine_anatomy("T8", dcsf_mm=8)
    with pytest.raises(NeuraxisInputError, match=r"leaves 1\.40 mm of dorsal epidural space.*less "
                       r"than the 2\.00 mm that holds a 1\.3 mm lead"):
        spine_anatomy("T8", dcsf_mm=5.3)
    with pytest.raises(NeuraxisInputError, match=r"sac_depth_mm = 13.*largest sac_depth_mm allowed "
                       r"is 11\.50; lower sac_depth_mm or encapsulation_thickness_mm"):
        spine_anatomy("T8", sac_depth_mm=13)
    with pytest.raises(NeuraxisInputError, match=r"outer width 17\.5 mm.*canal_width_mm = 17.2 "
                       r"at T8.*lower lateral_csf_mm"):
        spine_anatomy("T8", lateral_csf_mm=4.3)
    with pytest.raises(NeuraxisInputError, match=r"'cord_offset_x_mm'. The largest allowed at T9 "
                       r"is \+-2\.\d+ mm, but got 4 mm.*CSF.*raise lateral_csf"):
        spine_anatomy("T9", cord_offset_x_mm=4.0, lateral_csf_mm=3.0)
    with pytest.raises(NeuraxisInputError, match=r"domain_radius_mm = 22.*beyond the bone"):
        spine_anatomy("T12", domain_radius_mm=22)


@pytest.mark.parametrize(("key", "value", "pattern"), [
    ("length_mm", 50, r"'length_mm'. Allowed range is \[60, 300\] mm, but got 50 mm"),
    ("dcsf_mm", 20, r"'dcsf_mm'. Allowed range is \[0.5, 12\] mm, but got 20 mm"),
    ("cord_offset_x_mm", 6, r"'cord_offset_x_mm'. Allowed range is \[-5, 5\] mm"),
    ("bone_thickness_mm", "thick", r"'bone_thickness_mm'.*not a number"),
])
def test_out_of_range_values_are_refused(key, value, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        spine_anatomy("T9", **{key: value})


def test_bad_level_and_keys():
    with pytest.raises(NeuraxisInputError, match=r"'level'. Allowed values are 'T8', .*got 'T7'"):
        spine_anatomy("T7")
    with pytest.raises(NeuraxisInputError, match="did you mean 'dcsf_mm'"):
        spine_anatomy("T9", dscf_mm=3.0)
    with pytest.raises(NeuraxisInputError, match="Expected a Conductivities"):
        replace(spine_anatomy("T9"), conductivities={"csf": 1.7})


# ------------------------------------------------------------------- schematic shapes


@pytest.mark.parametrize("level", ["T8", "T12"])
def test_grey_matter_outline(level):
    a = spine_anatomy(level, cord_offset_x_mm=1.0)
    g = a.grey_matter_outline_mm(n=200)
    assert g.shape == (200, 2)
    assert np.all(a.cord_ellipse.level(g) < 0.9**2 + 1e-9)
    # star-shaped about the cord centre (hence a simple polygon), counter-clockwise
    ang = np.unwrap(np.arctan2(g[:, 1] / a.cord_ellipse.semi_y_mm,
                               (g[:, 0] - 1.0) / a.cord_ellipse.semi_x_mm))
    assert np.all(np.diff(ang) > 0)
    # left-right symmetric about the cord centre; dorsal horns reach towards the surface
    mirrored = np.column_stack([2.0 - g[:, 0], g[:, 1]])
    d = np.sqrt(((mirrored[:, None] - g[None]) ** 2).sum(-1)).min(1)
    assert d.max() < 0.05
    assert g[:, 1].max() > 0.7 * a.cord_depth_mm / 2
    assert -g[:, 1].min() < g[:, 1].max()  # dorsal horns reach further than ventral ones
    with pytest.raises(NeuraxisInputError, match=r"'n'. Allowed values are integers in \[16"):
        a.grey_matter_outline_mm(n=4)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("offset", [0.0, 1.5])
def test_dorsal_rootlet_path_runs_through_the_csf(side, offset):
    a = spine_anatomy("T10", cord_offset_x_mm=offset)
    p = a.dorsal_rootlet_paths_mm(side, 5.0, 60, rostral_rise_mm=8.0)
    assert p.shape == (60, 3)
    assert a.sac_ellipse.level(p[0, :2]) == pytest.approx(1.0)  # starts on the dural sac
    assert a.cord_ellipse.level(p[-1, :2]) == pytest.approx(1.0)  # ends on the cord surface
    assert np.all(a.cord_ellipse.level(p[:, :2]) >= 1.0 - 1e-9)
    assert np.all(a.sac_ellipse.level(p[:, :2]) <= 1.0 + 1e-9)
    assert p[0, 2] == pytest.approx(-3.0) and p[-1, 2] == pytest.approx(5.0)
    assert np.all(np.diff(p[:, 2]) > 0)
    sgn = 1 if side == "left" else -1
    assert sgn * (p[0, 0]) > sgn * (p[-1, 0] - offset) > 0  # lateral -> medial
    # entry zone 45 deg off the dorsal midline of the cord
    e = (p[-1, :2] - [offset, 0.0]) / [a.cord_ellipse.semi_x_mm, a.cord_ellipse.semi_y_mm]
    assert math.degrees(math.atan2(abs(e[0]), e[1])) == pytest.approx(45.0)


def test_dorsal_rootlet_errors():
    a = spine_anatomy("T9")
    with pytest.raises(NeuraxisInputError, match="'side'.*got 'lft' - did you mean 'left'"):
        a.dorsal_rootlet_paths_mm("lft", 0.0, 10)
    with pytest.raises(NeuraxisInputError, match=r"z_entry_mm must be at least -35 mm"):
        a.dorsal_rootlet_paths_mm("left", -40.0, 10)
    with pytest.raises(NeuraxisInputError, match=r"'z_entry_mm'. Allowed range is \[-45, 45\] mm"):
        a.dorsal_rootlet_paths_mm("left", 50.0, 10)
    with pytest.raises(NeuraxisInputError, match="'n_points'"):
        a.dorsal_rootlet_paths_mm("left", 0.0, 1)
    with pytest.raises(NeuraxisInputError, match=r"'entry_angle_deg'.*\[20, 70\] deg"):
        a.dorsal_rootlet_paths_mm("left", 0.0, 10, entry_angle_deg=80)


@pytest.mark.parametrize("level", LEVELS)
def test_segment_entry_positions(level):
    a = spine_anatomy(level)
    z = a.segment_entry_z_mm()
    assert 0.0 in z and len(z) >= 3
    assert np.allclose(np.diff(z), a.segment_length_mm)
    assert z.max() <= a.length_mm / 2 - 10 and z.min() - 10 >= -a.length_mm / 2 + 10
    for zi in z:  # every entry has room for its rootlet
        a.dorsal_rootlet_paths_mm("left", float(zi), 5)
    with pytest.raises(NeuraxisInputError, match="'margin_mm'"):
        a.segment_entry_z_mm(margin_mm=-1)


# --------------------------------------------------------------------- scenarios, dicts


def test_anatomy_from_scenario_spine():
    a = anatomy_from_section({"kind": "spine", "level": "T9", "dcsf_mm": 4.5,
                               "conductivities": {"csf": 1.8}})
    assert isinstance(a, SpineAnatomy)
    assert a.dcsf_mm == 4.5 and a.conductivities.csf_s_per_m == 1.8
    assert a.cord_width_mm == 7.3
    assert anatomy_from_section(None, level="T10") == spine_anatomy("T10")
    assert anatomy_from_section({"level": "T11"}, level="T11").level == "T11"


def test_anatomy_from_scenario_homogeneous():
    h = anatomy_from_section({"kind": "homogeneous", "sigma_s_per_m": [0.2, 0.2, 0.6]})
    assert isinstance(h, HomogeneousMedium)
    assert h.sigma_s_per_m == (0.2, 0.2, 0.6) and h.radius_mm == 40 and h.length_mm == 90
    iso = anatomy_from_section({"kind": "homogeneous", "sigma_s_per_m": 0.3, "radius_mm": 30})
    assert iso.sigma_s_per_m == (0.3, 0.3, 0.3) and iso.radius_mm == 30


@pytest.mark.parametrize(("section", "level", "pattern"), [
    ({"level": "T9", "dscf_mm": 4}, None, "'dscf_mm' in 'anatomy.*did you mean 'dcsf_mm'"),
    ({"kind": "spline"}, "T9", "'anatomy.kind'.*got 'spline' - did you mean 'spine'"),
    ({}, None, "no 'level' given; allowed values are T8, T9, T10, T11, T12"),
    ({"level": "T13"}, None, "'anatomy.level'.*got 'T13'"),
    ({"level": "T9"}, "T10", "anatomy.level 'T9' differs from the lead's level 'T10'"),
    ({"level": "T9", "conductivities": {"fat": 0.04}}, None, "'fat' in 'anatomy.conductivities'"),
    ({"level": "T9", "length_mm": 40}, None, r"'length_mm'. Allowed range is \[60, 300\] mm"),
    ({"kind": "homogeneous"}, None, "needs 'sigma_s_per_m'"),
    ({"kind": "homogeneous", "sigma_s_per_m": [1, 2]}, None, "one number or three"),
    ({"kind": "homogeneous", "sigma_s_per_m": [1, -2, 1]}, None, r"'sigma_s_per_m' \(element 1\)"),
    ({"kind": "homogeneous", "sigma_s_per_m": 1, "level": "T9"}, None, "kind homogeneous"),
    ({"kind": "homogeneous", "sigma_s_per_m": 1, "radius_mm": 5}, None,
     r"'radius_mm'.*\[10, 500\]"),
    ("spine", None, "Expected a mapping"),
])
def test_anatomy_scenario_errors(section, level, pattern):
    with pytest.raises(NeuraxisInputError, match=pattern):
        anatomy_from_section(section, level=level)  # type: ignore[arg-type]


def test_to_dict_is_json_and_round_trips():
    a = spine_anatomy("T11", dcsf_mm=3.3, cord_offset_x_mm=1.0,
                      conductivities={"csf": 1.8}, encapsulation_thickness_mm=0.2)
    d = a.to_dict()
    assert list(d)[:3] == ["kind", "level", "cord_width_mm"]
    assert json.loads(json.dumps(d)) == d
    assert anatomy_from_dict(d) == a
    assert json.dumps(d) == json.dumps(spine_anatomy("T11", dcsf_mm=3.3, cord_offset_x_mm=1.0,
                                       conductivities={"csf": 1.8},
                                       encapsulation_thickness_mm=0.2).to_dict())
    h = HomogeneousMedium((0.2, 0.2, 0.6))
    assert h.to_dict() == {"kind": "homogeneous", "sigma_s_per_m": [0.2, 0.2, 0.6],
                           "radius_mm": 40.0, "length_mm": 90.0}
    assert anatomy_from_dict(h.to_dict()) == h


def test_field_model_wraps_the_lead_in_its_encapsulation_sheath():
    from neuraxis.field.geometry import SHEATH
    from neuraxis.field.model import conductor_model
    from neuraxis.leads import Placement, load_lead, place_lead

    for name, level, t in (("percutaneous_1x8", "T9", 0.3), ("paddle_5_6_5", "T12", 0.2)):
        a = spine_anatomy(level, encapsulation_thickness_mm=t)
        placed = place_lead(load_lead(name), Placement(level), a)
        solids = {s.name: s for s in conductor_model(a, placed, "coarse").lead.solids}
        sheath, body = solids[SHEATH], solids["body"]
        if body.kind == "cylinder":
            assert sheath.params[2] == pytest.approx(body.params[2] + t)
            assert sheath.params[1][2] == pytest.approx(body.params[1][2] + 2 * t)
        else:
            np.testing.assert_allclose(sheath.params[1], np.add(body.params[1], 2 * t))
            np.testing.assert_allclose(sheath.params[0], np.subtract(body.params[0], t))
    bare = spine_anatomy("T9", encapsulation_thickness_mm=0)  # an acute lead
    placed = place_lead(load_lead("percutaneous_1x8"), Placement("T9"), bare)
    assert SHEATH not in {s.name for s in conductor_model(bare, placed, "coarse").lead.solids}
