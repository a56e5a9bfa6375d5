"""From anatomy + placed lead + mesh preset to the mesher's inputs (all in mm).

* Spine: nested cross-sections (domain, bone, canal = epidural fat, dura, CSF,
  cord = white matter, grey matter), extruded along z; the grounded outer
  surface is the domain cylinder and its end caps.
* Homogeneous medium: meshed as the largest conductivity-scaled ellipsoid
  ``x^2/sx + y^2/sy + z^2/sz = c^2`` inside its cylinder. That surface is an
  equipotential of a point source at the origin, so with it grounded a small
  centred contact's field is the infinite-medium one minus a constant (the
  closed form the validation compares with).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.anatomy.model import HomogeneousMedium, SpineAnatomy
from neuraxis.field.geometry import SHEATH, LeadGeometry, MeshSizes, Shape2D, Solid
from neuraxis.leads.placement import PlacedLead

MESH_PRESETS = ("coarse", "default", "fine")
#: Element sizes (mm) per preset: at the contacts, in the dorsal columns near the lead,
#: far away. P2 elements; see docs/field.md for the convergence these give.
_PRESET_SIZES = {"coarse": (0.6, 1.0, 2.0, 8.0), "default": (0.35, 0.6, 1.5, 6.0),
                 "fine": (0.25, 0.42, 1.0, 5.0)}
CONTACT_THICKNESS_MM = 0.2  # depth of a paddle contact's metal into the paddle


@dataclass(frozen=True)
class ConductorModel:
    """Everything :func:`neuraxis.field.geometry.build_mesh` needs."""

    shapes: tuple[Shape2D, ...]
    length_mm: float
    lead: LeadGeometry
    sizes: MeshSizes
    sigma_xyz_s_per_m: dict
    ellipsoid_radii_mm: tuple[float, float, float] | None = None


def homogeneous_ellipsoid_mm(medium: HomogeneousMedium) -> tuple[float, float, float]:
    """Semi-axes (mm) of the grounded ellipsoid that models a homogeneous medium."""
    s = np.sqrt(np.asarray(medium.sigma_s_per_m))
    c = min(medium.radius_mm / max(s[0], s[1]), 0.5 * medium.length_mm / s[2])
    return tuple(float(v) for v in c * s)


def conductor_model(anatomy: SpineAnatomy | HomogeneousMedium, placed: PlacedLead,
                    mesh: str = "default") -> ConductorModel:
    """Describe the volume conductor for meshing (see the module docstring)."""
    check_option("mesh", mesh, MESH_PRESETS)
    h_contact, h_region, h_canal, h_far = _PRESET_SIZES[mesh]
    if isinstance(anatomy, HomogeneousMedium):
        lead = lead_geometry(placed)
        radii = homogeneous_ellipsoid_mm(anatomy)
        pts = placed.contact_centers_mm()
        level = np.sum((pts / np.asarray(radii)) ** 2, axis=1)
        if np.any(level > 0.5):
            raise NeuraxisInputError(
                "Invalid placement: a contact lies outside the inner half of the homogeneous "
                f"medium's grounded ellipsoid (semi-axes {radii[0]:.1f}, {radii[1]:.1f}, "
                f"{radii[2]:.1f} mm); move the lead towards the origin or raise radius_mm")
        # A reference medium: finer far away than the spine (it is small and cheap), and
        # graded slowly (30 mm) so that the stretched field of an anisotropic medium is
        # resolved: with 10 mm the worst point-source error on the cord axis was 6 %.
        sizes = MeshSizes(contact_mm=h_contact, region_mm=h_region, far_mm=0.5 * h_far,
                          grow_mm=30.0)
        return ConductorModel((Shape2D("medium", "ellipse", (0.0, 0.0, radii[0], radii[0])),),
                              0.0, lead, sizes, {"medium": tuple(anatomy.sigma_s_per_m)}, radii)
    a = anatomy
    lead = lead_geometry(placed, sheath_mm=a.encapsulation_thickness_mm)
    c = a.conductivities
    ell = [("surrounding", None), ("bone", a.bone_ellipse), ("epidural_fat", a.canal_ellipse),
           ("dura", a.dura_ellipse), ("csf", a.sac_ellipse), ("white_matter", a.cord_ellipse)]
    shapes = [Shape2D("surrounding", "ellipse", (0.0, 0.0, a.domain_radius_mm,
                                                  a.domain_radius_mm))]
    for name, e in ell[1:]:
        shapes.append(Shape2D(name, "ellipse", (e.center_x_mm, e.center_y_mm, e.semi_x_mm,
                                                e.semi_y_mm)))
    shapes.append(Shape2D("grey_matter", "polygon", points_mm=a.grey_matter_outline_mm(24)))
    cord = a.cord_ellipse
    z0 = placed.origin_mm[2]
    half = 0.5 * placed.lead.body_length_mm + 15.0
    dc_box = (cord.center_x_mm - cord.semi_x_mm, cord.center_x_mm + cord.semi_x_mm, 0.0,
              cord.semi_y_mm + 0.5, max(-0.5 * a.length_mm, z0 - half),
              min(0.5 * a.length_mm, z0 + half))
    # Dorsal rootlets (the paths the dorsal-root fibers follow): a slab over their
    # cross-section on both sides, along the lead plus the rootlets' rostral rise.
    path = a.dorsal_rootlet_paths_mm("left", 0.0)
    x_in, y_lo, y_hi = path[:, 0].min(), path[:, 1].min(), path[:, 1].max()
    rise = float(path[-1, 2] - path[0, 2])
    rootlet_boxes = tuple(
        (lo, hi, y_lo - 0.5, y_hi + 0.5, max(-0.5 * a.length_mm, z0 - half - rise),
         min(0.5 * a.length_mm, z0 + half))
        for lo, hi in ((x_in - 0.5, a.sac_ellipse.semi_x_mm + 0.3),
                       (-a.sac_ellipse.semi_x_mm - 0.3, -x_in + 0.5)))
    canal = a.canal_ellipse
    canal_box = (-canal.semi_x_mm, canal.semi_x_mm, canal.center_y_mm - canal.semi_y_mm,
                 canal.center_y_mm + canal.semi_y_mm, -0.5 * a.length_mm, 0.5 * a.length_mm)
    sizes = MeshSizes(contact_mm=h_contact, region_mm=h_region, far_mm=h_far, grow_mm=12.0,
                      regions=(dc_box, *rootlet_boxes), canal_mm=h_canal,
                      canal_box=canal_box)
    wm_t, wm_l = c.white_matter_transverse_s_per_m, c.white_matter_longitudinal_s_per_m
    sig = {"white_matter": (wm_t, wm_t, wm_l)}
    for name, value in (("grey_matter", c.grey_matter_s_per_m), ("csf", c.csf_s_per_m),
                        ("dura", c.dura_s_per_m), ("epidural_fat", c.epidural_fat_s_per_m),
                        ("bone", c.bone_s_per_m), ("surrounding", c.surrounding_s_per_m),
                        ("encapsulation", c.encapsulation_s_per_m)):
        sig[name] = (value, value, value)
    return ConductorModel(tuple(shapes), a.length_mm, lead, sizes, sig)


def lead_geometry(placed: PlacedLead, *, sheath_mm: float = 0.0) -> LeadGeometry:
    """Solids of the lead in its own frame (contacts overlap the insulating body).

    With ``sheath_mm > 0`` the lead is wrapped in encapsulation tissue of that
    thickness on every side (the lead grown by ``sheath_mm``); the sheath replaces the
    tissue it overlaps (epidural fat; bone where a paddle's back replaces the lamina).
    The placement already lowered the grown lead onto the dura, so it stays in the
    epidural space.
    """
    lead = placed.lead
    solids = []
    t = float(sheath_mm)
    if lead.kind == "percutaneous":
        r = 0.5 * lead.diameter_mm
        h = 0.5 * lead.body_length_mm
        if t > 0:
            solids.append(Solid(SHEATH, "cylinder", ((0.0, 0.0, -h - t),
                                                     (0.0, 0.0, 2 * (h + t)), r + t)))
        solids.append(Solid("body", "cylinder", ((0.0, 0.0, -h), (0.0, 0.0, 2 * h), r)))
        for ct in lead.contacts:
            cz = ct.center_mm[2]
            solids.append(Solid(ct.name, "cylinder", ((0.0, 0.0, cz - 0.5 * ct.length_mm),
                                                      (0.0, 0.0, ct.length_mm), r)))
    else:
        w, th, ln = lead.paddle_width_mm, lead.paddle_thickness_mm, lead.body_length_mm
        if t > 0:
            solids.append(Solid(SHEATH, "box", ((-0.5 * w - t, -0.5 * th - t, -0.5 * ln - t),
                                                (w + 2 * t, th + 2 * t, ln + 2 * t))))
        solids.append(Solid("body", "box", ((-0.5 * w, -0.5 * th, -0.5 * ln), (w, th, ln))))
        for ct in lead.contacts:
            cx, _, cz = ct.center_mm
            solids.append(Solid(ct.name, "box", (
                (cx - 0.5 * ct.width_mm, -0.5 * th, cz - 0.5 * ct.length_mm),
                (ct.width_mm, CONTACT_THICKNESS_MM, ct.length_mm))))
    return LeadGeometry(tuple(solids), tuple(lead.contact_names),
                        tuple(float(v) for v in placed.origin_mm),
                        float(placed.placement.rotation_deg))
