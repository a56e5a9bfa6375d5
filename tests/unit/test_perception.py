"""Program parsing, scenario overrides, somatotopy and recruitment curves (no FEM)."""

from __future__ import annotations

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.anatomy import spine_anatomy
from neuraxis.perception.recruitment import recruitment_curve
from neuraxis.perception.somatotopy import (
    SEGMENTS,
    caudal_segments,
    dc_dermatomes,
    dorsal_horn_border_mm,
)
from neuraxis.scenario import apply_overrides, program_from_section

NAMES = tuple(f"E{i}" for i in range(1, 9))


def _prog(**kw):
    sec = {"contacts": {"E4": -1, "E5": 1}, "amplitude_ma": 3.0, "pulse_width_us": 300,
           "rate_hz": 50, **kw}
    return program_from_section(sec, NAMES)


def test_program_kinds_and_defaults() -> None:
    p = _prog()
    assert p.kind == "bipolar" and p.cathodes == ("E4",) and p.waveform == "biphasic"
    mono = _prog(contacts={"E4": -1})
    assert mono.kind == "monopolar"
    guarded = _prog(contacts={"E3": 0.5, "E4": -1, "E5": 0.5})
    assert guarded.kind == "bipolar" and guarded.to_dict()["contacts"]["E3"] == 0.5
    split = _prog(contacts={"E3": -0.5, "E4": -0.5, "E5": 1})
    assert split.cathodes == ("E3", "E4")


@pytest.mark.parametrize(("change", "match"), [
    ({"contacts": {"E9": -1}}, r"'program.contacts contact'.*got 'E9'"),
    ({"contacts": {"E4": 1}}, "no cathode"),
    ({"contacts": {"E4": -1, "E5": 0.5}}, "sum to -0.5"),
    ({"contacts": {"E4": -0.5, "E5": 0.5}}, "cathodes' fractions sum to -0.5"),
    ({"contacts": {"E4": -2, "E5": 2}}, r"program.contacts.E4.*\[-1, 1\]"),
    ({"contacts": []}, "expected a mapping"),
    ({"amplitude_ma": 0}, r"program.amplitude_ma.*mA"),
    ({"amplitude_ma": 40}, r"program.amplitude_ma.*25.5\] mA"),
    ({"amplitude_ma": None}, "program.amplitude_ma"),
    ({"pulse_width_us": 5}, r"program.pulse_width_us.*us"),
    ({"waveform": "burst"}, "program.waveform"),
    ({"amplitude": 3}, r"key 'amplitude' in 'program'.*did you mean 'amplitude_ma'"),
    ({"pulse_width_us": "1e3"}, r"program.pulse_width_us"),
])
def test_program_refusals(change: dict, match: str) -> None:
    with pytest.raises(NeuraxisInputError, match=match):
        _prog(**change)


def test_program_section_missing() -> None:
    with pytest.raises(NeuraxisInputError, match="'program' section is missing"):
        program_from_section(None, NAMES)


def test_overrides_set_nested_values_and_refuse_bad_paths() -> None:
    sc = {"anatomy": {"kind": "spine", "level": "T9"}, "program": {"contacts": {"E4": -1}}}
    out = apply_overrides(sc, ["anatomy.dcsf_mm=4.5", "placement.offset_mm=2",
                               "program.contacts={E4: -1, E5: 1}", "pain_map=[low_back]",
                               "mesh=coarse"])
    assert out["anatomy"] == {"kind": "spine", "level": "T9", "dcsf_mm": 4.5}
    assert out["placement"] == {"offset_mm": 2}
    assert out["program"]["contacts"] == {"E4": -1, "E5": 1}
    assert out["pain_map"] == ["low_back"] and out["mesh"] == "coarse"
    assert sc["anatomy"] == {"kind": "spine", "level": "T9"}  # the input is not modified
    # the alias replaces the canonical key already in the file (and vice versa)
    both = {"placement": {"level": "T9", "offset_x_mm": 0.0}}
    assert apply_overrides(both, ["placement.offset_mm=2"])["placement"] == \
        {"level": "T9", "offset_mm": 2}
    assert apply_overrides({"placement": {"offset_mm": 1}}, ["placement.offset_x_mm=3"]) == \
        {"placement": {"offset_x_mm": 3}}
    with pytest.raises(NeuraxisInputError, match="expected key.path=value"):
        apply_overrides(sc, ["anatomy.dcsf_mm"])
    with pytest.raises(NeuraxisInputError, match="did you mean 'anatomy'"):
        apply_overrides(sc, ["anatomi.dcsf_mm=3"])
    with pytest.raises(NeuraxisInputError, match="not a mapping"):
        apply_overrides({"mesh": "coarse"}, ["mesh.size=1"])


def test_placement_offset_alias() -> None:
    from neuraxis.scenario import placement_from_section

    assert placement_from_section({"level": "T9", "offset_mm": 2}).offset_x_mm == 2
    with pytest.raises(NeuraxisInputError, match="not both"):
        placement_from_section({"level": "T9", "offset_mm": 2, "offset_x_mm": 1})


def test_somatotopy_lamination_order_and_sides() -> None:
    """Smith & Deacon 1984: caudal dermatomes medial, the lead's segment lateral;
    x > 0 is the patient's left."""
    a = spine_anatomy("T9")
    top = a.cord_ellipse.semi_y_mm - 0.1
    half = dorsal_horn_border_mm(a, np.array([top]))[0]
    x = np.linspace(0.02, 0.98, 30) * half
    names = dc_dermatomes(a, x, np.full_like(x, top), "T11", overlap=0.0)
    order = [SEGMENTS.index(n.split("_")[0]) for n in names]
    assert names[0] == "S5_left" and names[-1] == "T11_left"
    assert all(np.diff(order) <= 0)  # more rostral segments further out
    assert set(caudal_segments("T11")) == {n.split("_")[0] for n in names}
    right = dc_dermatomes(a, -x, np.full_like(x, top), "T11", overlap=0.0)
    assert all(r.endswith("_right") for r in right)
    assert [r.split("_")[0] for r in right] == [n.split("_")[0] for n in names]


def test_somatotopy_overlap_blurs_bands_reproducibly() -> None:
    a = spine_anatomy("T9")
    x = np.full(400, 0.5 * dorsal_horn_border_mm(a, np.array([2.9]))[0])
    y = np.full(400, 2.9)
    sharp = dc_dermatomes(a, x, y, "T11", overlap=0.0)
    blurred = dc_dermatomes(a, x, y, "T11", overlap=1.0, seed=3)
    assert len(set(sharp)) == 1 and len(set(blurred)) >= 3
    assert np.array_equal(blurred, dc_dermatomes(a, x, y, "T11", overlap=1.0, seed=3))
    with pytest.raises(NeuraxisInputError, match="segment"):
        caudal_segments("T13")


def test_dorsal_horn_border_inside_the_cord() -> None:
    a = spine_anatomy("T10")
    y = np.linspace(0.5, a.cord_ellipse.semi_y_mm - 0.05, 20)
    half = dorsal_horn_border_mm(a, y)
    rel = y / a.cord_ellipse.semi_y_mm
    assert np.all(half > 0) and np.all(half <= a.cord_ellipse.semi_x_mm * np.sqrt(1 - rel ** 2)
                                       + 1e-9)


def test_recruitment_curve() -> None:
    thr = np.array([1.0, 2.0, np.nan, 4.0])
    amps = np.array([0.0, 1.0, 1.5, 4.0, 10.0])
    np.testing.assert_allclose(recruitment_curve(thr, amps), [0, 0.25, 0.25, 0.75, 0.75])
    assert recruitment_curve(np.array([]), amps).tolist() == [0.0] * 5
