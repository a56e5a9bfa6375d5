"""The scenario file (YAML): what is simulated, section by section.

Sections: ``anatomy``, ``lead``, ``placement``, ``mesh`` (coarse|default|fine),
``program`` (see :mod:`neuraxis.perception.program`), ``pain_map`` (region or dermatome
names, ``neuraxis scs regions``) and ``fibers`` (``{dc, dr_per_root, seed, overlap}``).
Example (``examples/field_1x8_t9.yaml``)::

    anatomy: {kind: spine, level: T9, dcsf_mm: 3.8}
    lead: {model: percutaneous_1x8}
    placement: {level: T9, offset_x_mm: 0.0}
    mesh: default
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option

SECTIONS = ("name", "description", "anatomy", "lead", "placement", "mesh", "program",
            "pain_map", "fibers")


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read and check the top level of a scenario file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    NeuraxisInputError
        If it is not a YAML mapping or has unknown sections.
    """
    import yaml

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NeuraxisInputError(f"Invalid scenario file '{p}': not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise NeuraxisInputError(
            f"Invalid scenario file '{p}': expected a mapping with sections "
            f"{', '.join(SECTIONS)}")
    for key in data:
        check_option("scenario section", str(key), SECTIONS)
    return data


def field_inputs(scenario: dict[str, Any]) -> tuple[Any, Any, str]:
    """Anatomy, placed lead and mesh preset of a scenario (validated)."""
    from neuraxis.anatomy import anatomy_from_scenario
    from neuraxis.field.model import MESH_PRESETS
    from neuraxis.leads import lead_from_scenario, place_lead, placement_from_scenario

    if "lead" not in scenario:
        raise NeuraxisInputError("Invalid scenario: the 'lead' section is missing")
    anat = scenario.get("anatomy")
    level = anat.get("level") if isinstance(anat, dict) else None
    placement = placement_from_scenario(scenario.get("placement"), level=level)
    anatomy = anatomy_from_scenario(scenario.get("anatomy"), level=placement.level)
    lead = lead_from_scenario(scenario["lead"])
    mesh = check_option("mesh", str(scenario.get("mesh", "default")), MESH_PRESETS)
    return anatomy, place_lead(lead, placement, anatomy), mesh


def apply_overrides(scenario: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """Return a copy of the scenario with ``key.path=value`` assignments applied.

    Values are read as YAML scalars or flow collections (``4.5``, ``true``, ``T10``,
    ``{E4: -1, E5: 1}``, ``[low_back]``). Intermediate mappings are created where
    missing; the top-level key must be a scenario section.

    Raises
    ------
    NeuraxisInputError
        For a malformed assignment, an unknown section, or a path through a
        non-mapping value.
    """
    import copy

    import yaml

    out = copy.deepcopy(scenario)
    for item in assignments:
        if "=" not in item:
            raise NeuraxisInputError(
                f"Invalid value for '--set': {item!r}; expected key.path=value, e.g. "
                "anatomy.dcsf_mm=4.5")
        key, _, raw = item.partition("=")
        parts = [p.strip() for p in key.strip().split(".")]
        if not all(parts):
            raise NeuraxisInputError(f"Invalid value for '--set': empty key in {item!r}")
        check_option("scenario section", parts[0], SECTIONS)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise NeuraxisInputError(
                f"Invalid value for '--set': cannot read the value of {item!r}") from None
        node = out
        for depth, p in enumerate(parts[:-1]):
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise NeuraxisInputError(
                    f"Invalid value for '--set': {'.'.join(parts[:depth + 1])} is "
                    f"{nxt!r}, not a mapping, so {key!r} cannot be set")
            node = nxt
        node[parts[-1]] = value
        # an override replaces the other spelling of the same value in the file
        for pair in _ALIASES:
            if tuple(parts) in pair:
                other = pair[1 - pair.index(tuple(parts))]
                out.get(other[0], {}).pop(other[1], None)
    return out


#: Pairs of paths that name the same value (the second is an alias).
_ALIASES = ((("placement", "offset_x_mm"), ("placement", "offset_mm")),)
