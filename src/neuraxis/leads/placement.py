"""Placing a lead in the volume conductor (world coordinates, mm).

World frame: z along the cord (rostral +), y dorsal, x to the patient's left;
origin on the cord axis at the middle of the modelled segment.

Rules
-----
* The lead frame is turned by ``rotation_deg`` about the world y axis: the lead
  axis points along ``(sin a, 0, cos a)``, so a positive angle turns its rostral
  end towards the patient's left.
* Spine: the lead is a rigid body in the dorsal epidural space. Because the
  anatomy does not vary along z, only its projection on the (x, y) cross-section
  matters (a rotated lead sweeps in x). The lead is lowered onto the dura: its
  envelope (grown by the anatomy's ``encapsulation_thickness_mm``) ends exactly
  ``clearance_mm`` (default 0.1 mm of fat) above the dura outer surface at the
  closest point. For an unrotated percutaneous lead over the midline this puts its
  axis at dura top + radius + clearance; a paddle's flat ventral face rests on the
  highest dura point under it. The envelope must then stay inside the canal (no
  overlap with bone; a paddle's insulating body and its sheath may replace bone, as
  after the laminotomy that implants it, but its contact face must lie in the canal),
  over the
  dural sac (|offset_x_mm| < the dura's half-width), and its ends within the modelled
  length minus a 10 mm margin at each end.
* Homogeneous medium: the lead frame origin is at ``(offset_x_mm, 0,
  offset_z_mm)``; the lead must stay 10 mm inside the cylinder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.anatomy.model import HomogeneousMedium, SpineAnatomy
from neuraxis.anatomy.tables import LEVELS
from neuraxis.leads.catalogue import LeadSpec

END_MARGIN_MM = 10.0  # lead ends to the model's ends (z) / to the homogeneous boundary
PLACEMENT_RANGES = {"offset_x_mm": (-15.0, 15.0, "mm"), "offset_z_mm": (-100.0, 100.0, "mm"),
                    "rotation_deg": (-45.0, 45.0, "deg"), "clearance_mm": (0.0, 2.0, "mm")}
PLACEMENT_KEYS = ("level", *PLACEMENT_RANGES)


@dataclass(frozen=True)
class Placement:
    """Where the lead goes: vertebral level, offsets (mm) and rotation (deg).

    ``offset_x_mm`` is mediolateral (+ = patient's left), ``offset_z_mm`` along
    the cord from the middle of the modelled segment, ``rotation_deg`` about the
    dorsal (y) axis, ``clearance_mm`` the fat between lead and dura.
    """

    level: str
    offset_x_mm: float = 0.0
    offset_z_mm: float = 0.0
    rotation_deg: float = 0.0
    clearance_mm: float = 0.1

    def __post_init__(self) -> None:
        check_option("level", self.level, LEVELS)
        for key, (lo, hi, unit) in PLACEMENT_RANGES.items():
            object.__setattr__(self, key, check_range(key, getattr(self, key), lo, hi, unit))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order)."""
        return {"level": self.level, "offset_x_mm": self.offset_x_mm,
                "offset_z_mm": self.offset_z_mm, "rotation_deg": self.rotation_deg,
                "clearance_mm": self.clearance_mm}


@dataclass(frozen=True)
class PlacedLead:
    """A lead in world coordinates (mm): ``world = origin_mm + rotation @ lead``."""

    lead: LeadSpec
    placement: Placement
    origin_mm: tuple[float, float, float]
    rotation: np.ndarray = field(compare=False, repr=False)

    @property
    def axis(self) -> np.ndarray:
        """Unit vector of the lead axis (lead +z, towards E1) in world coordinates."""
        return self.rotation[:, 2].copy()

    def to_world(self, points_lead_mm: np.ndarray) -> np.ndarray:
        """Map (..., 3) lead-frame points (mm) to world coordinates (mm)."""
        p = np.asarray(points_lead_mm, dtype=float)
        return p @ self.rotation.T + np.asarray(self.origin_mm)

    def contact_centers_mm(self) -> np.ndarray:
        """World positions of the contact centres, (n_contacts, 3), mm, catalogue order."""
        return self.to_world(np.array([c.center_mm for c in self.lead.contacts]))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order)."""
        return {"lead": self.lead.to_dict(), "placement": self.placement.to_dict(),
                "origin_mm": list(self.origin_mm),
                "rotation": [list(map(float, r)) for r in self.rotation]}


def rotation_about_y(angle_deg: float) -> np.ndarray:
    """3x3 rotation lead -> world about the y axis (lead z -> (sin a, 0, cos a))."""
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _envelope_xy(lead: LeadSpec, angle_deg: float, grow_mm: float, n: int = 241) -> np.ndarray:
    """Points on the boundary of the lead's (x, y) projection, grown by ``grow_mm``.

    Relative to the lead origin; (m, 2) in mm. A percutaneous lead projects to
    ellipses (semi-axes r cos a, r) swept over +-(L/2) sin a in x; a paddle to a
    rectangle of half-width (w/2) cos a + (L/2) |sin a| and its thickness.
    """
    a = abs(np.radians(angle_deg))
    sweep = lead.body_length_mm / 2 * np.sin(a)
    if lead.kind == "percutaneous":
        r = lead.diameter_mm / 2
        phi = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
        ell = np.column_stack([r * np.cos(a) * np.cos(phi), r * np.sin(phi)])
        shift = np.where(ell[:, :1] >= 0, sweep, -sweep)
        pts = ell + np.column_stack([shift[:, 0], np.zeros(n)])
        flat = np.linspace(-sweep, sweep, n)
        pts = np.vstack([pts, np.column_stack([flat, -r + 0 * flat]),
                         np.column_stack([flat, r + 0 * flat])])
    else:
        hx = lead.paddle_width_mm / 2 * np.cos(a) + sweep
        ht = lead.paddle_thickness_mm / 2
        xs = np.linspace(-hx, hx, n)
        ys = np.linspace(-ht, ht, 21)
        pts = np.vstack([np.column_stack([xs, -ht + 0 * xs]), np.column_stack([xs, ht + 0 * xs]),
                         np.column_stack([-hx + 0 * ys, ys]), np.column_stack([hx + 0 * ys, ys])])
    if grow_mm > 0:
        ang = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
        disk = grow_mm * np.column_stack([np.cos(ang), np.sin(ang)])
        pts = (pts[:, None, :] + disk[None, :, :]).reshape(-1, 2)
    return pts


def _z_half_extent_mm(lead: LeadSpec, angle_deg: float, grow_mm: float) -> float:
    a = abs(np.radians(angle_deg))
    return float(lead.body_length_mm / 2 * np.cos(a) + lead.half_width_mm * np.sin(a) + grow_mm)


def _describe(lead: LeadSpec) -> str:
    if lead.kind == "percutaneous":
        return f"the percutaneous lead {lead.name!r} (diameter {lead.diameter_mm:g} mm)"
    return (f"the paddle {lead.name!r} (thickness {lead.paddle_thickness_mm:g} mm, width "
            f"{lead.paddle_width_mm:g} mm)")


def place_lead(lead: LeadSpec, placement: Placement,
               anatomy: SpineAnatomy | HomogeneousMedium) -> PlacedLead:
    """Put ``lead`` into ``anatomy`` at ``placement`` (rules in the module docstring).

    Parameters
    ----------
    lead : LeadSpec
    placement : Placement
        Level, offsets (mm), rotation (deg), clearance above the dura (mm).
    anatomy : SpineAnatomy | HomogeneousMedium

    Returns
    -------
    PlacedLead
        World origin and rotation of the lead frame.

    Raises
    ------
    NeuraxisInputError
        If the lead does not fit, saying where and by how much.
    """
    rot = rotation_about_y(placement.rotation_deg)
    rot.setflags(write=False)
    x0, z0, ang = placement.offset_x_mm, placement.offset_z_mm, placement.rotation_deg
    if isinstance(anatomy, HomogeneousMedium):
        y0, grow, length = 0.0, 0.0, anatomy.length_mm
        reach = float(np.hypot(*(_envelope_xy(lead, ang, 0.0) + [x0, 0.0]).T).max())
        if reach > anatomy.radius_mm - END_MARGIN_MM:
            raise NeuraxisInputError(
                f"Invalid placement: {_describe(lead)} reaches {reach:.1f} mm from the axis but "
                f"must stay {END_MARGIN_MM:g} mm inside the medium (radius_mm = "
                f"{anatomy.radius_mm:g}); lower |offset_x_mm| or the rotation")
    elif isinstance(anatomy, SpineAnatomy):
        grow, length = anatomy.encapsulation_thickness_mm, anatomy.length_mm
        y0 = _spine_height(lead, placement, anatomy, grow)
    else:
        raise NeuraxisInputError(
            f"Invalid anatomy: expected SpineAnatomy or HomogeneousMedium, got {anatomy!r}")
    hz = _z_half_extent_mm(lead, ang, grow)
    allowed = length / 2 - END_MARGIN_MM
    if abs(z0) + hz > allowed:
        raise NeuraxisInputError(
            f"Invalid placement: the ends of {_describe(lead)} (body {lead.body_length_mm:g} mm, "
            f"rotation_deg = {ang:g}) reach z = {abs(z0) + hz:.1f} mm but the model (length_mm = "
            f"{length:g}) allows +-{allowed:g} mm ({END_MARGIN_MM:g} mm from its ends); lower "
            "|offset_z_mm| or the rotation, or raise length_mm")
    return PlacedLead(lead, placement, (float(x0), float(y0), float(z0)), rot)


def _spine_height(lead: LeadSpec, placement: Placement, anatomy: SpineAnatomy,
                  grow: float) -> float:
    """Height y of the lead origin resting on the dura; checks the fit (mm)."""
    if placement.level != anatomy.level:
        raise NeuraxisInputError(
            f"Invalid placement: level {placement.level!r} differs from the anatomy level "
            f"{anatomy.level!r}; the model covers one vertebral level")
    x0, ang, clear = placement.offset_x_mm, placement.rotation_deg, placement.clearance_mm
    dura, canal = anatomy.dura_ellipse, anatomy.canal_ellipse
    if abs(x0) >= dura.semi_x_mm:
        raise NeuraxisInputError(
            f"Invalid placement: offset_x_mm = {x0:g} puts {_describe(lead)} lateral to the dural "
            f"sac (outer half-width {dura.semi_x_mm:.2f} mm at {anatomy.level}); allowed "
            f"|offset_x_mm| < {dura.semi_x_mm:.2f} mm")
    body = _envelope_xy(lead, ang, grow) + [x0, 0.0]
    over = np.abs(body[:, 0]) >= canal.semi_x_mm
    if np.any(over):
        edge = float(body[over, 0][np.argmax(np.abs(body[over, 0]))])
        raise NeuraxisInputError(
            f"Invalid placement: {_describe(lead)} at offset_x_mm = {x0:g}, rotation_deg = "
            f"{ang:g} extends to x = {edge:.1f} mm, outside the canal (half-width "
            f"{canal.semi_x_mm:g} mm at {anatomy.level}); move it medially or lower the rotation")
    # lower the envelope grown by the clearance onto the dura: smallest lift that clears it
    low = _envelope_xy(lead, ang, grow + clear) + [x0, 0.0]
    under = np.abs(low[:, 0]) < dura.semi_x_mm
    y0 = float(np.max(dura.top_y_mm(low[under, 0]) - low[under, 1]))
    top = body + [0.0, y0]
    if lead.kind == "paddle":
        # A paddle goes in through a laminotomy, which removes the bone it needs: its
        # insulating body and its sheath may replace bone, but its contact face (the
        # bare ventral surface) must lie in the epidural space.
        bare = _envelope_xy(lead, ang, 0.0) + [x0, 0.0]
        top = (bare + [0.0, y0])[bare[:, 1] <= bare[:, 1].min() + 1e-9]
    excess = top[:, 1] - canal.top_y_mm(top[:, 0])
    i = int(np.argmax(excess))
    if excess[i] > 1e-9:
        x = float(top[i, 0])
        if abs(x) < dura.semi_x_mm:
            d_top = float(dura.top_y_mm(x))
            room = float(canal.top_y_mm(x)) - d_top
            where = (f"it needs {float(top[i, 1]) - d_top:.2f} mm above the dura at x = {x:.1f} "
                     f"mm but the epidural space there is {room:.2f} mm")
        else:
            part = "its contact face" if lead.kind == "paddle" else "its top"
            where = (f"{part} reaches y = {float(top[i, 1]):.2f} mm at x = {x:.1f} mm, above the "
                     f"canal roof there (y = {float(canal.top_y_mm(x)):.2f} mm)")
        raise NeuraxisInputError(
            f"Invalid placement: {_describe(lead)} does not fit in the dorsal epidural space "
            f"at {anatomy.level}: resting {clear:g} mm above the dura, {where} "
            f"(offset_x_mm = {x0:g}, rotation_deg = {ang:g}); move it medially, lower the "
            "rotation, or change the anatomy (raise canal_depth_mm or lower dcsf_mm)")
    inside = anatomy.dura_ellipse.level(body + [0.0, y0]) < 1.0
    if np.any(inside):  # cannot happen by construction; guards future changes
        raise NeuraxisInputError(
            f"Invalid placement: {_describe(lead)} would overlap the dura at {anatomy.level}")
    return y0  # percutaneous axis / paddle mid-thickness: the envelope's centre height
