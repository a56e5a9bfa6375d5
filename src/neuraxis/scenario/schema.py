"""Every key of an SCS scenario file, declared once.

Each :class:`Key` has a dotted path whose last part carries the unit suffix, a type, a
default, the allowed range or values, a one-line help and, where the value is a
published one, its source. The ranges are taken from the layer that enforces them
(anatomy, leads, program), so they are written once. The table is what
``neuraxis scs schema`` prints and what ``docs/scenario.md`` documents (a test checks
that every key here is in the docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from neuraxis._validate import NeuraxisInputError

#: Top-level sections of a scenario file.
SECTIONS = ("name", "description", "anatomy", "lead", "placement", "mesh", "program",
            "pain_map", "fibers")


@dataclass(frozen=True)
class Key:
    """One scenario key.

    Attributes
    ----------
    path : str
        Dotted path, e.g. ``'anatomy.dcsf_mm'`` (the unit is in the last part).
    type : str
        ``'float'``, ``'int'``, ``'bool'``, ``'str'``, ``'mapping'`` or ``'list'``.
    default : object
        Value used when the key is absent (a text such as ``'level table'`` where it
        depends on other keys; ``None`` when the key is required or optional).
    help : str
        One line.
    low, high : float | None
        Allowed range (inclusive), for numbers.
    allowed : tuple of str | None
        Allowed values, for closed sets.
    unit : str
    source : str
        Where a published default comes from (empty for modelling choices).
    when : str
        Condition under which the key applies, e.g. ``'anatomy.kind: spine'``.
    """

    path: str
    type: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] | None = None
    unit: str = ""
    source: str = ""
    when: str = ""

    @property
    def section(self) -> str:
        return self.path.split(".")[0]

    @property
    def name(self) -> str:
        return self.path.split(".")[-1]

    def allowed_text(self) -> str:
        """The allowed range or values as one short text."""
        if self.allowed is not None:
            return ", ".join(self.allowed) if len(self.allowed) <= 8 else \
                f"{', '.join(self.allowed[:6])}, ... ({len(self.allowed)} values)"
        if self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            return f"[{lo}, {hi}]" + (f" {self.unit}" if self.unit else "")
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "default": self.default,
                "allowed": self.allowed_text(), "unit": self.unit, "help": self.help,
                "source": self.source, "when": self.when}


_ANATOMY_HELP = {
    "cord_width_mm": "transverse (left-right) width of the spinal cord",
    "cord_depth_mm": "dorsoventral depth of the spinal cord",
    "cord_offset_x_mm": "mediolateral shift of the cord from the canal midline (+ = patient's "
                        "left; published up to 2 mm); limited by the CSF it leaves beside the cord",
    "dcsf_mm": "dorsal CSF thickness between cord and dura (the main driver of thresholds); a "
               "larger value moves the cord ventrally in the dural sac, then grows the sac into "
               "the dorsal epidural fat; the largest allowed is named when refused",
    "sac_depth_mm": "inner dorsoventral depth of the dural sac; the ventral CSF is what it leaves "
                    "below the cord (sac_depth - cord_depth - dcsf, at least 0.5 mm)",
    "lateral_csf_mm": "lateral CSF thickness between cord and dura",
    "dura_thickness_mm": "thickness of the dura mater",
    "canal_width_mm": "transverse width of the bony canal",
    "canal_depth_mm": "dorsoventral depth of the bony canal",
    "ventral_epidural_mm": "ventral epidural space between dura and vertebral body",
    "bone_thickness_mm": "thickness of the vertebral bone ring around the canal",
    "length_mm": "length of the modelled segment along the cord",
    "domain_radius_mm": "radius of the model; its outer surface is the distant return",
    "encapsulation_thickness_mm": "fibrous sheath around the lead, 0.16 S/m (default 0.3 mm: a "
                                  "chronic lead; 0: an acute lead)",
    "segment_length_mm": "length of one cord segment (spacing of dorsal-root entries)",
}
_LEAD_HELP = {
    "model": "catalogue lead (see `neuraxis scs leads`); or give a custom layout instead",
    "kind": "custom lead layout: percutaneous (rings) or paddle (flat contacts)",
    "name": "name of a custom lead (reported)",
    "n_contacts": "custom percutaneous lead: number of ring contacts",
    "columns": "custom paddle: contacts per column, e.g. [5, 6, 5]",
    "diameter_mm": "custom percutaneous lead: lead diameter",
    "contact_length_mm": "custom lead: contact length along the lead",
    "gap_mm": "custom percutaneous lead: insulation between contacts",
    "body_end_mm": "custom percutaneous lead: insulated tip beyond the last contact",
    "contact_width_mm": "custom paddle: contact width across the paddle",
    "row_pitch_mm": "custom paddle: centre-to-centre distance of rows along the lead",
    "column_pitch_mm": "custom paddle: centre-to-centre distance of columns",
    "paddle_width_mm": "custom paddle: paddle width",
    "paddle_thickness_mm": "custom paddle: paddle thickness",
    "paddle_end_mm": "custom paddle: insulated paddle beyond the last row",
}
_PLACEMENT_HELP = {
    "level": "vertebral level of the lead's middle (defaults to anatomy.level)",
    "offset_x_mm": "mediolateral offset from the midline (+ = patient's left); alias offset_mm",
    "offset_z_mm": "offset along the cord from the middle of the vertebra (+ = rostral)",
    "rotation_deg": "rotation of the lead about the dorsal axis",
    "clearance_mm": "epidural fat between the lead and the dura",
}


@cache
def keys() -> tuple[Key, ...]:
    """Every scenario key, section by section (cached)."""
    from neuraxis.anatomy.levels import MODELLED_LEVELS
    from neuraxis.anatomy.model import SPINE_RANGES_MM
    from neuraxis.anatomy.tables import (
        conductivity_keys,
        level_defaults,
        load_conductivities,
        read_table,
    )
    from neuraxis.field.model import MESH_PRESETS
    from neuraxis.leads.catalogue import PADDLE_RANGES_MM, PERCUTANEOUS_RANGES_MM, list_leads
    from neuraxis.leads.placement import PLACEMENT_RANGES
    from neuraxis.perception.population import FIBER_RANGES, FiberSpec
    from neuraxis.perception.program import (
        AMPLITUDE_RANGE_MA,
        DEFAULT_PULSE_WIDTH_US,
        DEFAULT_WAVEFORM,
        PULSE_WIDTH_RANGE_US,
        RATE_RANGE_HZ,
        WAVEFORMS,
    )

    spine = "anatomy.kind: spine"
    out = [
        Key("name", "str", "file name", "name of the scenario (names the output folder)"),
        Key("description", "str", "", "free text, copied into the report"),
        Key("anatomy.kind", "str", "spine", "volume conductor: the spine model or a "
            "homogeneous test medium", allowed=("spine", "homogeneous")),
        Key("anatomy.level", "str", "placement.level", "vertebral level of the modelled "
            "segment", allowed=MODELLED_LEVELS, when=spine),
    ]
    in_table = set(level_defaults(MODELLED_LEVELS[0]))
    for name, (lo, hi) in SPINE_RANGES_MM.items():
        default = "level table" if name in in_table else 0.0
        src = ("Holsheimer et al. 1994, AJNR 15:951 (range: data/anatomy_levels.yaml)"
               if name == "cord_offset_x_mm" else "data/anatomy_levels.yaml (per value)")
        out.append(Key(f"anatomy.{name}", "float", default, _ANATOMY_HELP[name], lo, hi,
                       unit="mm", source=src, when=spine))
    tissues = read_table("conductivities.yaml")["tissues"]
    cond = load_conductivities().to_dict()
    for ck in conductivity_keys():
        tissue = ck.replace("_longitudinal", "").replace("_transverse", "")
        out.append(Key(f"anatomy.conductivities.{ck}",
                       "float", cond[f"{ck}_s_per_m"],
                       f"conductivity of {ck.replace('_', ' ')} (S/m)", 0.0, None,
                       unit="S/m", source=str(tissues[tissue]["source"]), when=spine))
    out += [
        Key("anatomy.sigma_s_per_m", "float", None, "conductivity of the homogeneous medium: "
            "one value or [x, y, z]", 0.0, None, unit="S/m", when="anatomy.kind: homogeneous"),
        Key("anatomy.radius_mm", "float", 40.0, "radius of the homogeneous cylinder", 10.0,
            500.0, unit="mm", when="anatomy.kind: homogeneous"),
        Key("anatomy.length_mm", "float", 90.0, "length of the homogeneous cylinder", 10.0,
            1000.0, unit="mm", when="anatomy.kind: homogeneous"),
        Key("lead.model", "str", None, _LEAD_HELP["model"], allowed=tuple(list_leads())),
        Key("lead.kind", "str", None, _LEAD_HELP["kind"], allowed=("percutaneous", "paddle"),
            when="custom lead"),
        Key("lead.name", "str", "custom_<kind>", _LEAD_HELP["name"], when="custom lead"),
        Key("lead.n_contacts", "int", None, _LEAD_HELP["n_contacts"], 1, 32,
            when="custom percutaneous lead"),
        Key("lead.columns", "list", None, _LEAD_HELP["columns"], when="custom paddle"),
    ]
    ranges = {**PERCUTANEOUS_RANGES_MM, **PADDLE_RANGES_MM}
    for name, (lo, hi) in ranges.items():
        out.append(Key(f"lead.{name}", "float", None, _LEAD_HELP[name], lo, hi, unit="mm",
                       when="custom lead"))
    out.append(Key("placement.level", "str", "anatomy.level", _PLACEMENT_HELP["level"],
                   allowed=MODELLED_LEVELS))
    for name, (lo, hi, unit) in PLACEMENT_RANGES.items():
        default = 0.1 if name == "clearance_mm" else 0.0
        out.append(Key(f"placement.{name}", "float", default, _PLACEMENT_HELP[name], lo, hi,
                       unit=unit))
    out += [
        Key("placement.offset_mm", "float", None, "alias of placement.offset_x_mm", -15.0,
            15.0, unit="mm"),
        Key("mesh", "str", "default", "mesh preset of the field model (coarse: tests; fine: "
            "convergence checks)", allowed=MESH_PRESETS),
        Key("program.contacts", "mapping", None, "contact name -> signed fraction of the "
            "amplitude; cathodes negative, summing to -1; anodes sum to +1 (bipolar) or 0 "
            "(the case is the anode)"),
        Key("program.amplitude_ma", "float", None, "total cathodic current",
            *AMPLITUDE_RANGE_MA, unit="mA",
            source="top of current pulse generators' range (unverified against a manual)"),
        Key("program.pulse_width_us", "float", DEFAULT_PULSE_WIDTH_US,
            "width of the (leading) phase",
            *PULSE_WIDTH_RANGE_US, unit="us"),
        Key("program.rate_hz", "float", 50.0, "pulse rate (reported; thresholds are per "
            "pulse)", *RATE_RANGE_HZ, unit="Hz"),
        Key("program.waveform", "str", DEFAULT_WAVEFORM, "symmetric charge-balanced "
            "biphasic pulse (clinical default) or the leading phase alone", allowed=WAVEFORMS,
            source="charge balance: Merrill, Bikson & Jefferys 2005, J Neurosci Methods "
            "141:171"),
        Key("pain_map", "list", [], "body regions and dermatomes in pain (see `neuraxis scs "
            "regions`); empty: no coverage is computed"),
    ]
    spec = FiberSpec()
    helps = {"dc": "dorsal-column fibers sampled in the dorsal columns",
             "dr_per_root": "fibers per dorsal root (each side, each root near the lead)",
             "seed": "random seed of the fiber sampling",
             "overlap": "overlap of the dermatome bands in the dorsal columns (band widths)",
             "dlc": "superficial dorsolateral-column fibers sampled (0: none; for lateral "
                    "leads, docs/fibers.md)"}
    for name, (lo, hi, typ) in FIBER_RANGES.items():
        out.append(Key(f"fibers.{name}", typ, getattr(spec, name), helps[name], lo, hi))
    out.append(Key("fibers.dc_collaterals", "bool", False, "also simulate each dorsal-column "
                   "fiber's collateral nearest each cathode (docs/fibers.md)",
                   allowed=("true", "false"),
                   source="collateral spacing: Brown & Fyffe 1978, J Physiol 274:111"))
    return tuple(out)


def section_keys(section: str, *, when: str | None = None) -> tuple[str, ...]:
    """The key names allowed directly in a section (next level down only).

    Parameters
    ----------
    section : str
        Dotted section path, e.g. ``'anatomy'`` or ``'anatomy.conductivities'``.
    when : str, optional
        Keep keys whose condition contains this text (plus unconditional ones).
    """
    depth = section.count(".") + 1
    names: dict[str, None] = {}
    for k in keys():
        parts = k.path.split(".")
        if len(parts) > depth and ".".join(parts[:depth]) == section:
            if when is None or not k.when or when in k.when:
                names[parts[depth]] = None
    if not names:
        raise NeuraxisInputError(f"Invalid scenario section {section!r}")
    return tuple(names)


def find_key(path: str) -> Key | None:
    """The declared key with this dotted path (the first, if conditional variants exist)."""
    return next((k for k in keys() if k.path == path), None)


def schema_markdown() -> str:
    """The key table as Markdown (what docs/scenario.md holds)."""
    rows = ["| key | type | default | allowed | applies when | help | source |",
            "|---|---|---|---|---|---|---|"]
    for k in keys():
        default = "" if k.default is None else f"{k.default}"
        rows.append(f"| `{k.path}` | {k.type} | {default} | {k.allowed_text()} | "
                    f"{k.when} | {k.help} | {k.source} |")
    return "\n".join(rows) + "\n"
