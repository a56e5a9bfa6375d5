"""Leads: the catalogue, custom layouts and placement in the volume conductor.

Public API
----------
load_lead, list_leads, build_lead : :class:`LeadSpec` from
    ``neuraxis/data/leads.yaml`` or a custom layout.
ContactSpec, LeadSpec : contacts and body in the lead frame (mm).
Placement : level, offsets (mm), rotation (deg).
place_lead, PlacedLead : the lead in world coordinates, refused if it does not fit.

Modules: ``catalogue`` (lead data), ``placement`` (imports ``catalogue``), ``sections``
(the scenario parsers; imports both). Imports go one way; none imports this package.
"""

from __future__ import annotations

from neuraxis.leads.catalogue import (
    ContactSpec,
    LeadSpec,
    build_lead,
    list_leads,
    load_lead,
)
from neuraxis.leads.placement import PlacedLead, Placement, place_lead, rotation_about_y

__all__ = [
    "ContactSpec", "LeadSpec", "PlacedLead", "Placement", "build_lead",
    "list_leads", "load_lead", "place_lead", "rotation_about_y",
]
