"""Lead descriptions: contacts as data, from the catalogue or a custom layout.

The catalogue is ``neuraxis/data/leads.yaml``; every entry names its source and
lists the dimensions that are not confirmed (``unverified``).

Lead frame (mm): z along the lead axis, y normal pointing dorsally, x across
(towards the patient's left once placed unrotated). The origin is the centre of
the contact array: on the axis of a percutaneous lead, at mid-thickness of a
paddle.

* Percutaneous: ``n_contacts`` ring contacts on the axis, pitch
  ``contact_length_mm + gap_mm``, numbered E1 (rostral end, +z) to En. The
  insulating body is modelled ``body_end_mm`` beyond the outer contacts at both
  ends: ``body_length_mm = span + 2 body_end_mm``.
* Paddle: columns of rectangular contacts flush on the ventral face
  (y = -thickness/2), columns ``column_pitch_mm`` apart and centred on x = 0,
  every column centred on z = 0 (a shorter column is staggered by half a row
  pitch); numbered column by column from the patient's right (-x) to left (+x),
  rostral to caudal within a column. ``paddle_length_mm`` = longest column span
  + 2 ``paddle_end_mm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_keys,
    check_option,
    check_range,
)

KINDS = ("percutaneous", "paddle")

#: Custom-layout keys (besides 'kind' and 'name') -> (low, high) in mm, and defaults.
PERCUTANEOUS_RANGES_MM = {"diameter_mm": (0.5, 3.0), "contact_length_mm": (0.5, 10.0),
                          "gap_mm": (0.2, 20.0), "body_end_mm": (0.0, 20.0)}
PADDLE_RANGES_MM = {"contact_length_mm": (0.5, 10.0), "contact_width_mm": (0.3, 5.0),
                    "row_pitch_mm": (1.0, 20.0), "column_pitch_mm": (0.5, 10.0),
                    "paddle_width_mm": (2.0, 20.0), "paddle_thickness_mm": (0.5, 4.0),
                    "paddle_end_mm": (0.5, 20.0)}
OPTIONAL_DEFAULTS_MM = {"body_end_mm": 3.0, "paddle_end_mm": 3.0}
PERCUTANEOUS_KEYS = ("kind", "name", "n_contacts", *PERCUTANEOUS_RANGES_MM)
PADDLE_KEYS = ("kind", "name", "columns", *PADDLE_RANGES_MM)
LEAD_KEYS = tuple(dict.fromkeys(("model", *PERCUTANEOUS_KEYS, *PADDLE_KEYS)))


@dataclass(frozen=True)
class ContactSpec:
    """One contact in the lead frame (mm).

    ``shape`` is ``'ring'`` (a band of the lead's diameter around its axis) or
    ``'rect'`` (flat, on a paddle's ventral face). ``length_mm`` is along the lead
    axis (z); ``width_mm`` across it (x; 0 for rings).
    """

    name: str
    shape: str
    center_mm: tuple[float, float, float]
    length_mm: float
    width_mm: float = 0.0
    diameter_mm: float = 0.0  # ring contacts only

    @property
    def area_mm2(self) -> float:
        """Exposed area: ring pi d L, rectangle L W (mm2)."""
        if self.shape == "ring":
            return math.pi * self.diameter_mm * self.length_mm
        return self.length_mm * self.width_mm

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order)."""
        return {"name": self.name, "shape": self.shape, "center_mm": list(self.center_mm),
                "length_mm": self.length_mm, "width_mm": self.width_mm,
                "diameter_mm": self.diameter_mm}


@dataclass(frozen=True)
class LeadSpec:
    """A lead: contacts plus the insulating body around them (mm).

    Percutaneous leads have ``diameter_mm``; paddles ``paddle_width_mm``,
    ``paddle_length_mm``, ``paddle_thickness_mm``. ``body_length_mm`` is the
    modelled insulating body along the axis (the paddle length for a paddle).
    """

    name: str
    kind: str
    contacts: tuple[ContactSpec, ...]
    body_length_mm: float
    source: str = "custom"
    unverified: tuple[str, ...] = ()
    diameter_mm: float | None = None
    paddle_width_mm: float | None = None
    paddle_length_mm: float | None = None
    paddle_thickness_mm: float | None = None

    @property
    def contact_names(self) -> tuple[str, ...]:
        """Contact names in catalogue order (E1, E2, ...)."""
        return tuple(c.name for c in self.contacts)

    def contact(self, name: str) -> ContactSpec:
        """The contact called ``name`` (did-you-mean error if unknown)."""
        check_option(f"contact of lead {self.name!r}", name, self.contact_names)
        return self.contacts[self.contact_names.index(name)]

    @property
    def half_width_mm(self) -> float:
        """Half the lead's extent across its axis in x (radius or paddle half-width)."""
        return (self.diameter_mm if self.kind == "percutaneous" else self.paddle_width_mm) / 2

    @property
    def thickness_mm(self) -> float:
        """Extent along the lead-frame y (diameter or paddle thickness)."""
        return self.diameter_mm if self.kind == "percutaneous" else self.paddle_thickness_mm

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order) for hashing and serialisation."""
        return {"name": self.name, "kind": self.kind, "body_length_mm": self.body_length_mm,
                "diameter_mm": self.diameter_mm, "paddle_width_mm": self.paddle_width_mm,
                "paddle_length_mm": self.paddle_length_mm,
                "paddle_thickness_mm": self.paddle_thickness_mm, "source": self.source,
                "unverified": list(self.unverified),
                "contacts": [c.to_dict() for c in self.contacts]}


def _catalogue() -> dict[str, dict[str, Any]]:
    from neuraxis.anatomy.tables import read_table

    return read_table("leads.yaml")["leads"]


def list_leads() -> list[str]:
    """Names of the catalogue leads."""
    return list(_catalogue())


def load_lead(name: str) -> LeadSpec:
    """A catalogue lead by name (did-you-mean error if unknown)."""
    entries = _catalogue()
    check_option("lead model", name, tuple(entries))
    entry = dict(entries[name])
    source = entry.pop("source")
    unverified = tuple(entry.pop("unverified", ()))
    return build_lead(entry, name=name, source=source, unverified=unverified)


def build_lead(layout: dict[str, Any], *, name: str | None = None, source: str = "custom",
               unverified: tuple[str, ...] = ()) -> LeadSpec:
    """Build a :class:`LeadSpec` from a layout mapping (see :func:`lead_from_scenario`)."""
    if "kind" not in layout:
        raise NeuraxisInputError(
            f"Invalid lead: a custom layout needs 'kind' (one of {', '.join(map(repr, KINDS))})")
    kind = check_option("lead.kind", layout["kind"], KINDS)
    allowed = PERCUTANEOUS_KEYS if kind == "percutaneous" else PADDLE_KEYS
    check_keys(f"{kind} lead", layout, allowed)
    ranges = PERCUTANEOUS_RANGES_MM if kind == "percutaneous" else PADDLE_RANGES_MM
    required = [k for k in (*ranges, "n_contacts" if kind == "percutaneous" else "columns")
                if k not in OPTIONAL_DEFAULTS_MM]
    missing = [k for k in required if k not in layout]
    if missing:
        raise NeuraxisInputError(
            f"Invalid {kind} lead: missing {', '.join(missing)} (lengths in mm)")
    v = {k: check_range(k, layout.get(k, OPTIONAL_DEFAULTS_MM.get(k)), lo, hi, "mm")
         for k, (lo, hi) in ranges.items()}
    lead_name = str(layout.get("name", name or f"custom_{kind}"))
    if kind == "percutaneous":
        return _percutaneous(lead_name, check_int("n_contacts", layout["n_contacts"], 1, 32), v,
                             source, unverified)
    cols = layout["columns"]
    if not isinstance(cols, (list, tuple)) or not 1 <= len(cols) <= 8:
        raise NeuraxisInputError(
            "Invalid value for 'columns'. Allowed values are a list of 1 to 8 contact counts "
            f"(one per column, e.g. [5, 6, 5]), but got {cols!r}")
    cols = [check_int(f"columns[{i}]", c, 1, 16) for i, c in enumerate(cols)]
    return _paddle(lead_name, cols, v, source, unverified)


def _percutaneous(name: str, n: int, v: dict[str, float], source: str,
                  unverified: tuple[str, ...]) -> LeadSpec:
    pitch = v["contact_length_mm"] + v["gap_mm"]
    span = n * v["contact_length_mm"] + (n - 1) * v["gap_mm"]
    contacts = tuple(
        ContactSpec(f"E{k + 1}", "ring", (0.0, 0.0, ((n - 1) / 2 - k) * pitch),
                    v["contact_length_mm"], 0.0, v["diameter_mm"]) for k in range(n))
    return LeadSpec(name, "percutaneous", contacts, span + 2 * v["body_end_mm"], source,
                    unverified, diameter_mm=v["diameter_mm"])


def _paddle(name: str, cols: list[int], v: dict[str, float], source: str,
            unverified: tuple[str, ...]) -> LeadSpec:
    cl, cw, rp = v["contact_length_mm"], v["contact_width_mm"], v["row_pitch_mm"]
    cp, pw, pt = v["column_pitch_mm"], v["paddle_width_mm"], v["paddle_thickness_mm"]
    if cl >= rp:
        raise NeuraxisInputError(
            f"Invalid paddle lead: contacts in a column would touch: contact_length_mm ({cl:g} "
            f"mm) must be less than row_pitch_mm ({rp:g} mm)")
    if len(cols) > 1 and cw >= cp:
        raise NeuraxisInputError(
            f"Invalid paddle lead: neighbouring columns would touch: contact_width_mm ({cw:g} "
            f"mm) must be less than column_pitch_mm ({cp:g} mm)")
    array_width = (len(cols) - 1) * cp + cw
    if array_width > pw:
        raise NeuraxisInputError(
            f"Invalid paddle lead: the contact array is {array_width:g} mm wide "
            f"((columns - 1) x column_pitch_mm + contact_width_mm) but paddle_width_mm is "
            f"{pw:g} mm; widen the paddle or narrow the columns")
    contacts, k = [], 0
    for j, n in enumerate(cols):
        x = (j - (len(cols) - 1) / 2) * cp
        for i in range(n):
            k += 1
            contacts.append(ContactSpec(f"E{k}", "rect", (x, -pt / 2, ((n - 1) / 2 - i) * rp),
                                        cl, cw))
    length = (max(cols) - 1) * rp + cl + 2 * v["paddle_end_mm"]
    return LeadSpec(name, "paddle", tuple(contacts), length, source, unverified,
                    paddle_width_mm=pw, paddle_length_mm=length, paddle_thickness_mm=pt)
