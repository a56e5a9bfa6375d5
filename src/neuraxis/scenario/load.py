"""Scenario YAML (+ ``--set`` overrides) -> a frozen, validated :class:`Scenario`.

This is the only place that reads a scenario file. Every key is checked against
:mod:`neuraxis.scenario.schema` here, once; the layers below receive typed objects
(anatomy, placed lead, program, pain map, fiber spec), never the raw mapping.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_keys, check_option, read_text_file
from neuraxis.scenario.schema import SECTIONS, section_keys

#: Pairs of paths that name the same value (the second is an alias).
_ALIASES = ((("placement", "offset_x_mm"), ("placement", "offset_mm")),)
#: Floats YAML 1.1 reads as text: ``1e3``, ``5E-2`` (no dot). Scenario numbers accept them.
_FLOAT_RE = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


def _loader():
    """A safe YAML loader that refuses duplicate keys and reads ``1e3`` as a number."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise NeuraxisInputError(
                    f"Invalid scenario: key {key!r} is given twice (lines {seen[key]} and "
                    f"{line}); give each key once")
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789"))
    return Loader


def parse_yaml(text: str, where: str) -> Any:
    """Parse scenario YAML text (duplicate keys refused, ``1e3`` read as a number)."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise NeuraxisInputError(f"Invalid scenario {where}: not valid YAML ({exc})") from None


def read_scenario(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into its raw mapping (sections checked, values not yet)."""
    p = Path(path)
    data = parse_yaml(read_text_file(p, "scenario file"), f"file '{p}'")
    if not isinstance(data, dict):
        raise NeuraxisInputError(
            f"Invalid scenario file '{p}': expected a mapping with sections "
            f"{', '.join(SECTIONS)}")
    check_keys("scenario", data, SECTIONS)
    return data


def apply_overrides(raw: dict[str, Any], assignments: Sequence[str]) -> dict[str, Any]:
    """Return a copy of a raw scenario with ``key.path=value`` assignments applied.

    Values are read as YAML scalars or flow collections (``4.5``, ``1e3``, ``T10``,
    ``{E4: -1, E5: 1}``, ``[low_back]``). Intermediate mappings are created where
    missing; the top-level key must be a scenario section. An override replaces the
    other spelling of an aliased key (``placement.offset_mm`` / ``offset_x_mm``).

    Raises
    ------
    NeuraxisInputError
        For a malformed assignment, an unknown section, or a path through a
        non-mapping value.
    """
    out = copy.deepcopy(raw)
    for item in assignments:
        if "=" not in item:
            raise NeuraxisInputError(
                f"Invalid value for '--set': {item!r}; expected key.path=value, e.g. "
                "anatomy.dcsf_mm=4.5")
        key, _, text = item.partition("=")
        parts = [p.strip() for p in key.strip().split(".")]
        if not all(parts):
            raise NeuraxisInputError(f"Invalid value for '--set': empty key in {item!r}")
        check_option("scenario section", parts[0], SECTIONS)
        value = parse_yaml(text, f"value in '--set {item}'") if text.strip() else None
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
        for pair in _ALIASES:
            if tuple(parts) in pair:
                other = pair[1 - pair.index(tuple(parts))]
                sec = out.get(other[0])
                if isinstance(sec, dict):
                    sec.pop(other[1], None)
    return out


@dataclass(frozen=True)
class Scenario:
    """A validated SCS scenario: what the session and the field model need, typed.

    Attributes
    ----------
    name : str
    description : str
    anatomy : SpineAnatomy | HomogeneousMedium
    placed : PlacedLead
        The lead placed in the anatomy.
    mesh : str
        Mesh preset.
    program : Program | None
        The scenario's program (``None`` when the file has none: field-only scenarios).
    pain : PainMap | None
    fibers : FiberSpec
    source : str
        The file it was read from ('' when built from a mapping).
    overrides : tuple of str
        The ``--set`` assignments applied.
    raw : dict
        The mapping after overrides (for the report; nothing computes from it).
    """

    name: str
    description: str
    anatomy: Any
    placed: Any
    mesh: str
    program: Any
    pain: Any
    fibers: Any
    source: str = ""
    overrides: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def lead(self) -> Any:
        """The lead (catalogue or custom)."""
        return self.placed.lead

    def require_program(self) -> Any:
        """The program, or a clear error for a scenario without one."""
        if self.program is None:
            raise NeuraxisInputError(
                "Invalid scenario: the 'program' section is missing; give e.g. program: "
                "{contacts: {E4: -1, E5: 1}, amplitude_ma: 3, pulse_width_us: 300}")
        return self.program

    def to_dict(self) -> dict[str, Any]:
        """The validated scenario as plain data (scenario-file form, defaults filled in)."""
        return {"name": self.name, "description": self.description,
                "anatomy": self.anatomy.to_dict(), "lead": self.placed.lead.to_dict(),
                "placement": self.placed.placement.to_dict(), "mesh": self.mesh,
                "program": None if self.program is None else self.program.to_dict(),
                "pain_map": [] if self.pain is None else list(self.pain.names),
                "fibers": self.fibers.to_dict(), "source": self.source,
                "overrides": list(self.overrides)}


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Parameters
    ----------
    path : str | Path
        YAML file (see ``docs/scenario.md`` or ``neuraxis scs schema``).
    overrides : sequence of str
        ``key.path=value`` assignments (``--set``), applied before validation.

    Returns
    -------
    Scenario

    Raises
    ------
    FileNotFoundError, NeuraxisInputError
    """
    p = Path(path)
    raw = apply_overrides(read_scenario(p), overrides)
    return scenario_from_dict(raw, source=str(p), overrides=tuple(overrides),
                              default_name=p.stem)


def scenario_from_dict(raw: dict[str, Any], *, source: str = "",
                       overrides: tuple[str, ...] = (),
                       default_name: str = "scenario") -> Scenario:
    """Validate a raw scenario mapping into a :class:`Scenario` (see :func:`load_scenario`)."""
    from neuraxis.leads import place_lead
    from neuraxis.perception.population import FiberSpec

    check_keys("scenario", raw, SECTIONS)
    anat_sec = check_keys("anatomy", raw.get("anatomy"), section_keys("anatomy"))
    place_sec = _placement_section(raw.get("placement"))
    level = place_sec.get("level", anat_sec.get("level"))
    anatomy = anatomy_from_section(anat_sec, level)
    placement = placement_from_section(place_sec, getattr(anatomy, "level", None))
    lead = lead_from_section(raw.get("lead"))
    placed = place_lead(lead, placement, anatomy)
    from neuraxis.field.model import MESH_PRESETS

    mesh = check_option("mesh", raw.get("mesh", "default"), MESH_PRESETS)
    program = None
    if raw.get("program") is not None:
        program = program_from_section(raw["program"], tuple(lead.contact_names))
    pain = None
    if raw.get("pain_map"):
        from neuraxis.perception.bodymap import pain_map

        pain = pain_map(raw["pain_map"])
    fib = check_keys("fibers", raw.get("fibers"), section_keys("fibers"))
    name = check_name(raw.get("name") or default_name)
    return Scenario(name=name, description=str(raw.get("description") or "").strip(),
                    anatomy=anatomy, placed=placed, mesh=mesh, program=program, pain=pain,
                    fibers=FiberSpec(**fib), source=source, overrides=overrides,
                    raw=copy.deepcopy(raw))


# ---------------------------------------------------------------- sections

def check_name(name: Any) -> str:
    """A scenario name: letters, digits, '_', '-' and '.' (it names the output folder)."""
    if not isinstance(name, str) or not re.fullmatch(r"[\w.\-]+", name) or name in (".", ".."):
        raise NeuraxisInputError(
            f"Invalid value for 'name': letters, digits, '_', '-' and '.' only (it names the "
            f"output folder), but got {name!r}")
    return name


def _placement_section(section: Any) -> dict[str, Any]:
    sec = check_keys("placement", section, section_keys("placement"))
    if "offset_mm" in sec:  # short alias of the mediolateral offset
        if "offset_x_mm" in sec:
            raise NeuraxisInputError(
                "Invalid placement: give the mediolateral offset once, as 'offset_x_mm' or its "
                "alias 'offset_mm', not both")
        sec = {("offset_x_mm" if k == "offset_mm" else k): v for k, v in sec.items()}
    return sec


def anatomy_from_section(section: Any, level: str | None = None) -> Any:
    """Validate an ``anatomy`` section into a SpineAnatomy or HomogeneousMedium.

    Parameters
    ----------
    section : mapping | None
        E.g. ``{kind: spine, level: T9, dcsf_mm: 4.5, conductivities: {csf: 1.8}}``;
        ``None``: every default at ``level``.
    level : str, optional
        The lead's level (it must agree with ``section['level']``).
    """
    sec = check_keys("anatomy", section, section_keys("anatomy"))
    from neuraxis.anatomy import HomogeneousMedium, spine_anatomy
    from neuraxis.anatomy.levels import MODELLED_LEVELS

    kind = check_option("anatomy.kind", sec.get("kind", "spine"), ("spine", "homogeneous"))
    check_keys(f"anatomy (kind {kind})", sec,
               section_keys("anatomy", when=f"anatomy.kind: {kind}"))
    if kind == "homogeneous":
        if "sigma_s_per_m" not in sec:
            raise NeuraxisInputError("Invalid anatomy: kind 'homogeneous' needs 'sigma_s_per_m' "
                                     "(one value or [x, y, z], S/m)")
        return HomogeneousMedium(**{k: v for k, v in sec.items() if k != "kind"})
    lev = sec.get("level", level)
    if lev is None:
        raise NeuraxisInputError(
            f"Invalid anatomy: no 'level' given; allowed values are {', '.join(MODELLED_LEVELS)}")
    check_option("anatomy.level", lev, MODELLED_LEVELS)
    if level is not None and level != lev:
        raise NeuraxisInputError(
            f"Invalid anatomy: anatomy.level {lev!r} differs from the lead's level {level!r}; "
            "the model covers one vertebral level")
    cond = check_keys("anatomy.conductivities", sec.get("conductivities"),
                      section_keys("anatomy.conductivities"))
    lengths = {k: v for k, v in sec.items() if k not in ("kind", "level", "conductivities")}
    return spine_anatomy(lev, cond or None, **lengths)


def placement_from_section(section: Any, level: str | None = None) -> Any:
    """Validate a ``placement`` section into a Placement (``level`` from the section, else
    from the argument; ``offset_mm`` is an alias of ``offset_x_mm``)."""
    from neuraxis.anatomy.levels import MODELLED_LEVELS
    from neuraxis.leads import Placement

    vals = dict(_placement_section(section))
    vals.setdefault("level", level)
    if vals["level"] is None:
        raise NeuraxisInputError(
            f"Invalid placement: no 'level' given; allowed values are "
            f"{', '.join(MODELLED_LEVELS)}")
    return Placement(**vals)


def lead_from_section(section: Any) -> Any:
    """Validate a ``lead`` section (``{model: name}``, a catalogue name, or a custom
    layout) into a LeadSpec."""
    from neuraxis.leads import build_lead, list_leads, load_lead

    if section is None:
        raise NeuraxisInputError("Invalid scenario: the 'lead' section is missing; give e.g. "
                                 "lead: {model: percutaneous_1x8}")
    if isinstance(section, str):
        return load_lead(section)
    if not isinstance(section, dict) or not section:
        raise NeuraxisInputError(
            "Invalid value for 'lead'. Expected {model: <name>} (one of "
            f"{', '.join(list_leads())}) or a custom layout, but got {section!r}")
    check_keys("lead", section, section_keys("lead"))
    if "model" in section:
        extra = sorted(set(section) - {"model"})
        if extra:
            raise NeuraxisInputError(
                f"Invalid lead: give either 'model' or a custom layout, not both (got 'model' "
                f"and {', '.join(extra)})")
        return load_lead(section["model"])
    return build_lead(section)


def program_from_section(section: Any, contact_names: tuple[str, ...]) -> Any:
    """Validate a ``program`` section (keys, fractions, ranges) into a Program."""
    from neuraxis.perception.program import make_program

    if section is None:
        raise NeuraxisInputError(
            "Invalid scenario: the 'program' section is missing; give e.g. program: "
            "{contacts: {E4: -1, E5: 1}, amplitude_ma: 3, pulse_width_us: 300}")
    sec = check_keys("program", section, section_keys("program"))
    if "contacts" not in sec:
        raise NeuraxisInputError(
            "Invalid value for 'program': 'contacts' is required, e.g. contacts: "
            "{E4: -1, E5: 1} (cathodes negative)")
    return make_program(**sec, contact_names=contact_names)
