"""The scenario's ``lead`` and ``placement`` sections -> :class:`LeadSpec`, :class:`Placement`.

Both sections may share one mapping (``lead: {model: ..., level: T9}``), so each
parser knows the other's keys. Imports flow one way: this module uses
:mod:`neuraxis.leads.catalogue` and :mod:`neuraxis.leads.placement`; neither imports it.
"""

from __future__ import annotations

from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.anatomy.tables import LEVELS
from neuraxis.leads.catalogue import (
    LEAD_KEYS,
    LeadSpec,
    build_lead,
    list_leads,
    load_lead,
)
from neuraxis.leads.placement import PLACEMENT_KEYS, Placement


def lead_from_scenario(section: dict[str, Any] | str | None) -> LeadSpec:
    """The lead of a scenario: ``{model: paddle_5_6_5}`` or a custom layout.

    Custom layouts: ``{kind: percutaneous, diameter_mm, contact_length_mm, gap_mm,
    n_contacts[, body_end_mm, name]}`` or ``{kind: paddle, columns: [5, 6, 5],
    contact_length_mm, contact_width_mm, column_pitch_mm, row_pitch_mm,
    paddle_width_mm, paddle_thickness_mm[, paddle_end_mm, name]}`` (mm). Placement
    keys (``level``, ``offset_x_mm``, ...) may sit in the same mapping and are
    ignored here; any other unknown key is refused.
    """
    if isinstance(section, str):
        return load_lead(section)
    if not isinstance(section, dict) or not section:
        raise NeuraxisInputError(
            "Invalid value for 'lead'. Expected {model: <name>} (one of "
            f"{', '.join(list_leads())}) or a custom layout, but got {section!r}")
    sec = {k: v for k, v in section.items() if k not in PLACEMENT_KEYS}
    for key in sec:
        check_option("key in 'lead'", key, (*LEAD_KEYS, *PLACEMENT_KEYS))
    if "model" in sec:
        extra = sorted(set(sec) - {"model"})
        if extra:
            raise NeuraxisInputError(
                f"Invalid lead: give either 'model' or a custom layout, not both (got 'model' "
                f"and {', '.join(extra)})")
        return load_lead(sec["model"])
    return build_lead(sec)


def placement_from_scenario(section: dict[str, Any] | None, level: str | None = None
                            ) -> Placement:
    """Placement from a scenario mapping, e.g. ``{level: T9, offset_x_mm: 1.5}``
    (``offset_mm`` is accepted as an alias of ``offset_x_mm``).

    Lead keys (``model``, ``kind``, ...) may sit in the same mapping and are
    ignored here. ``level`` comes from the mapping, else from the argument.
    """
    sec = {} if section is None else section
    if not isinstance(sec, dict):
        raise NeuraxisInputError(f"Invalid value for 'placement'. Expected a mapping, got {sec!r}")
    if "offset_mm" in sec:  # short alias of the mediolateral offset
        if "offset_x_mm" in sec:
            raise NeuraxisInputError(
                "Invalid placement: give the mediolateral offset once, as 'offset_x_mm' or its "
                "alias 'offset_mm', not both")
        sec = {("offset_x_mm" if k == "offset_mm" else k): v for k, v in sec.items()}
    for key in sec:
        check_option("key in 'placement'", key, (*PLACEMENT_KEYS, *LEAD_KEYS))
    vals = {k: v for k, v in sec.items() if k in PLACEMENT_KEYS}
    vals.setdefault("level", level)
    if vals["level"] is None:
        raise NeuraxisInputError(
            f"Invalid placement: no 'level' given; allowed values are {', '.join(LEVELS)}")
    return Placement(**vals)
