"""Spine and homogeneous volume-conductor descriptions (geometry as data, in mm).

Coordinates: z along the cord (rostral positive), y dorsal (towards the
patient's back), x to the patient's left; the origin is on the cord axis at the
middle of the modelled segment. Every cross-section is extruded along z over
``length_mm``.

Geometry rules of :class:`SpineAnatomy` (all ellipses axis-aligned):

* cord: centre ``(cord_offset_x_mm, 0)``, semi-axes ``cord_width_mm / 2``,
  ``cord_depth_mm / 2``;
* dural sac inner surface (outer boundary of the CSF): centred at x = 0, width
  ``cord_width + 2 lateral_csf``, inner depth ``sac_depth_mm`` (the level's
  subarachnoid depth), dorsal-most point at ``y = cord_depth/2 + dcsf``. The sac keeps
  its size and place in the canal: a larger ``dcsf_mm`` moves the cord ventrally and
  the ventral CSF is what is left, ``sac_depth - cord_depth - dcsf``
  (:attr:`SpineAnatomy.ventral_csf_mm`). Below :data:`MIN_VENTRAL_CSF_MM` the cord
  stops and the sac grows dorsally instead, into the dorsal epidural fat
  (:attr:`SpineAnatomy.sac_growth_mm`). A cord displaced laterally
  (``cord_offset_x_mm``) moves inside an unchanged sac, so ``dcsf_mm`` is the dorsal
  CSF thickness on the canal midline for a centred cord;
* dura outer surface: the sac grown by ``dura_thickness_mm`` on every side;
* canal (inner bone surface): width ``canal_width_mm``, depth ``canal_depth_mm``,
  centred at x = 0 and placed so that the ventral epidural space is
  ``ventral_epidural_mm`` thick; the dorsal epidural space takes what is left
  (:attr:`SpineAnatomy.dorsal_epidural_mm`) and must hold the thinnest catalogue lead
  in its sheath (:attr:`SpineAnatomy.min_dorsal_epidural_mm`): that bounds ``dcsf_mm``
  (:attr:`SpineAnatomy.max_dcsf_mm`);
* bone outer surface: the canal grown by ``bone_thickness_mm``; then surrounding
  tissue up to the grounded cylinder of radius ``domain_radius_mm``.

Defaults are clinical: the per-level values of ``data/anatomy_levels.yaml`` and a chronic
lead's encapsulation sheath (``encapsulation_thickness_mm``, 0.3 mm). The published ranges a
sweep samples are :func:`neuraxis.anatomy.tables.dcsf_range` and
:func:`neuraxis.anatomy.tables.cord_offset_range`.

The grey-matter outline and the dorsal-rootlet paths are schematic shapes
scaled to the cord (see their docstrings), not traced from an atlas.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_keys,
    check_option,
    check_positive,
    check_range,
)
from neuraxis.anatomy.ellipse import Ellipse, gap_mm
from neuraxis.anatomy.tables import (
    LEVELS,
    Conductivities,
    conductivities_from_dict,
    level_defaults,
    load_conductivities,
)

#: Allowed range (mm) of every length field of SpineAnatomy.
SPINE_RANGES_MM: dict[str, tuple[float, float]] = {
    "cord_width_mm": (3.0, 20.0),
    "cord_depth_mm": (2.0, 15.0),
    "cord_offset_x_mm": (-5.0, 5.0),
    "dcsf_mm": (0.5, 12.0),
    "sac_depth_mm": (5.0, 30.0),
    "lateral_csf_mm": (0.3, 10.0),
    "dura_thickness_mm": (0.05, 2.0),
    "canal_width_mm": (8.0, 40.0),
    "canal_depth_mm": (8.0, 35.0),
    "ventral_epidural_mm": (0.1, 10.0),
    "bone_thickness_mm": (1.0, 30.0),
    "length_mm": (60.0, 300.0),
    "domain_radius_mm": (20.0, 200.0),
    "encapsulation_thickness_mm": (0.0, 2.0),
    "segment_length_mm": (5.0, 60.0),
}
MIN_CSF_MM = 0.2  # thinnest CSF layer between cord and sac anywhere (meshing)
#: Thinnest ventral CSF on the midline (mm) before a larger dCSF grows the sac dorsally
#: instead of moving the cord further ventrally. Modelling choice, not a measurement (the
#: thoracic cord may touch the ventral dura; the mesh needs a CSF layer). A laterally
#: displaced cord must still keep MIN_CSF_MM everywhere (max_cord_offset_mm).
MIN_VENTRAL_CSF_MM = 0.5
#: Thinnest catalogue lead (percutaneous, 1.3 mm, data/leads.yaml) and the default fat
#: between lead and dura (leads.placement.Placement.clearance_mm), mm: with twice the
#: sheath, the thinnest dorsal epidural space the anatomy accepts.
THINNEST_LEAD_MM = 1.3
LEAD_CLEARANCE_MM = 0.1
MIN_LATERAL_EPIDURAL_MM = 0.2
MIN_SURROUNDING_MM = 5.0  # tissue between bone and the grounded boundary


def _ventral_csf_mm(cord_depth_mm: float, dcsf_mm: float, sac_depth_mm: float) -> float:
    """Midline ventral CSF where the cord rests (mm): what the sac leaves below the cord
    (``sac_depth - cord_depth - dcsf``), at least :data:`MIN_VENTRAL_CSF_MM`."""
    return max(sac_depth_mm - cord_depth_mm - dcsf_mm, MIN_VENTRAL_CSF_MM)


@dataclass(frozen=True)
class SpineAnatomy:
    """Layered spine cross-section extruded along the cord; lengths in mm.

    Build it with :func:`spine_anatomy` or
    :func:`neuraxis.scenario.load.anatomy_from_section`, which fill the per-level defaults;
    construction validates the geometry (:meth:`validate`) and refuses inconsistent
    layers with a message saying why and naming the largest value allowed.

    The inputs are the module docstring's geometry rules: ``dcsf_mm`` places the cord in
    a dural sac of inner depth ``sac_depth_mm``; the ventral CSF is derived
    (:attr:`ventral_csf_mm`). ``cord_offset_x_mm`` is the cord's lateral displacement from
    the canal midline (+ = patient's left; published up to 2 mm, Holsheimer 1994), limited
    by the CSF it leaves beside the cord (:attr:`max_cord_offset_mm`).
    ``encapsulation_thickness_mm`` is the fibrous sheath around a chronic lead (default
    0.3 mm, ``data/anatomy_levels.yaml``; 0 for an acute lead).
    """

    level: str
    cord_width_mm: float
    cord_depth_mm: float
    dcsf_mm: float
    canal_width_mm: float
    canal_depth_mm: float
    segment_length_mm: float
    sac_depth_mm: float
    lateral_csf_mm: float
    dura_thickness_mm: float
    ventral_epidural_mm: float
    bone_thickness_mm: float
    length_mm: float
    domain_radius_mm: float
    conductivities: Conductivities = field(default_factory=load_conductivities)
    cord_offset_x_mm: float = 0.0
    encapsulation_thickness_mm: float = field(
        default_factory=lambda: default_encapsulation_thickness_mm())

    kind = "spine"

    def __post_init__(self) -> None:
        check_option("level", self.level, LEVELS)
        if not isinstance(self.conductivities, Conductivities):
            raise NeuraxisInputError(
                "Invalid value for 'conductivities'. Expected a Conductivities (use "
                f"load_conductivities), but got {self.conductivities!r}")
        for name, (lo, hi) in SPINE_RANGES_MM.items():
            object.__setattr__(self, name, check_range(name, getattr(self, name), lo, hi, "mm"))
        object.__setattr__(self, "_vcsf_mm", self._resting_vcsf_mm(self.dcsf_mm))
        self.validate()

    def _resting_vcsf_mm(self, dcsf_mm: float) -> float:
        return _ventral_csf_mm(self.cord_depth_mm, dcsf_mm, self.sac_depth_mm)

    # ------------------------------------------------------------------ layers
    @property
    def cord_ellipse(self) -> Ellipse:
        """Cord surface (white matter outer boundary)."""
        return Ellipse(self.cord_offset_x_mm, 0.0, self.cord_width_mm / 2, self.cord_depth_mm / 2)

    @property
    def ventral_csf_mm(self) -> float:
        """Ventral CSF on the midline (mm): what the sac leaves below the cord.

        ``sac_depth - cord_depth - dcsf``, but at least :data:`MIN_VENTRAL_CSF_MM` (the
        sac then grows dorsally by :attr:`sac_growth_mm`).
        """
        return float(self._vcsf_mm)  # type: ignore[attr-defined]

    @property
    def sac_growth_mm(self) -> float:
        """How far the sac grows dorsally beyond ``sac_depth_mm`` (mm; 0 unless dCSF is large)."""
        return max(self.cord_depth_mm + self.dcsf_mm + self.ventral_csf_mm - self.sac_depth_mm,
                   0.0)

    @property
    def min_dorsal_epidural_mm(self) -> float:
        """Thinnest dorsal epidural space accepted (mm): it holds the thinnest lead.

        :data:`THINNEST_LEAD_MM` + :data:`LEAD_CLEARANCE_MM` + twice the sheath
        (``encapsulation_thickness_mm``); the placement checks the actual lead.
        """
        return THINNEST_LEAD_MM + LEAD_CLEARANCE_MM + 2.0 * self.encapsulation_thickness_mm

    @property
    def max_dcsf_mm(self) -> float:
        """Largest ``dcsf_mm`` this anatomy accepts with its other values (mm, 0.01).

        The cord moves ventrally until :data:`MIN_VENTRAL_CSF_MM` of CSF is left under
        it, then the sac grows dorsally until the dorsal epidural space is
        :attr:`min_dorsal_epidural_mm`.
        """
        room = (self.canal_depth_mm - self.ventral_epidural_mm - 2 * self.dura_thickness_mm
                - self.min_dorsal_epidural_mm - self.cord_depth_mm)

        def fits(d: float) -> bool:
            return d + self._resting_vcsf_mm(d) <= room + 1e-9

        lo, hi = SPINE_RANGES_MM["dcsf_mm"][0], room - MIN_VENTRAL_CSF_MM
        if hi <= lo or not fits(lo):
            return float(max(hi, 0.0)) if fits(hi) else 0.0
        if fits(hi):
            return float(np.floor(hi * 100 + 1e-6) / 100)
        while hi - lo > 0.001:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return float(np.floor(lo * 100 + 1e-6) / 100)

    @property
    def max_cord_offset_mm(self) -> float:
        """Largest ``|cord_offset_x_mm|`` that leaves :data:`MIN_CSF_MM` of CSF (mm, 0.01).

        It shrinks as dCSF grows: the cord then lies nearer the curved floor of the sac.
        """
        sac, c = self.sac_ellipse, self.cord_ellipse
        lo, hi = 0.0, max(sac.semi_x_mm - c.semi_x_mm, 0.0)
        if gap_mm(Ellipse(0.0, 0.0, c.semi_x_mm, c.semi_y_mm), sac) < MIN_CSF_MM:
            return 0.0
        while hi - lo > 0.005:
            mid = (lo + hi) / 2
            ok = gap_mm(Ellipse(mid, 0.0, c.semi_x_mm, c.semi_y_mm), sac) >= MIN_CSF_MM
            lo, hi = (mid, hi) if ok else (lo, mid)
        return float(np.floor(lo * 100) / 100)

    @property
    def sac_ellipse(self) -> Ellipse:
        """Dural sac inner surface = outer boundary of the CSF."""
        top = self.cord_depth_mm / 2 + self.dcsf_mm
        bottom = -(self.cord_depth_mm / 2 + self.ventral_csf_mm)
        return Ellipse(0.0, (top + bottom) / 2, self.cord_width_mm / 2 + self.lateral_csf_mm,
                       (top - bottom) / 2)

    @property
    def dura_ellipse(self) -> Ellipse:
        """Dura outer surface (sac inner surface + dura thickness)."""
        return self.sac_ellipse.grown(self.dura_thickness_mm)

    @property
    def canal_ellipse(self) -> Ellipse:
        """Inner bone surface; the ventral epidural space is ``ventral_epidural_mm``."""
        dura = self.dura_ellipse
        bottom = dura.center_y_mm - dura.semi_y_mm - self.ventral_epidural_mm
        return Ellipse(0.0, bottom + self.canal_depth_mm / 2, self.canal_width_mm / 2,
                       self.canal_depth_mm / 2)

    @property
    def bone_ellipse(self) -> Ellipse:
        """Outer bone surface (canal + ``bone_thickness_mm``)."""
        return self.canal_ellipse.grown(self.bone_thickness_mm)

    @property
    def dorsal_epidural_mm(self) -> float:
        """Dorsal epidural space on the midline (x = 0) between dura and bone, mm."""
        return float(self.canal_ellipse.top_y_mm(0.0) - self.dura_ellipse.top_y_mm(0.0))

    def epidural_space_mm(self, x_mm: np.ndarray | float) -> np.ndarray:
        """Dorsal epidural thickness above the dura at ``x_mm`` (canal top - dura top), mm."""
        return self.canal_ellipse.top_y_mm(x_mm) - self.dura_ellipse.top_y_mm(x_mm)

    # -------------------------------------------------------------- validation
    def validate(self) -> None:
        """Refuse an inconsistent geometry with a message naming the fields to change."""
        at = f" at {self.level}"
        sac, dura, canal = self.sac_ellipse, self.dura_ellipse, self.canal_ellipse
        need = self.min_dorsal_epidural_mm
        lead = (f"the {need:.2f} mm that holds a {THINNEST_LEAD_MM:g} mm lead "
                f"{LEAD_CLEARANCE_MM:g} mm above the dura in its "
                f"{self.encapsulation_thickness_mm:g} mm sheath (encapsulation_thickness_mm)")
        sac_room = (self.canal_depth_mm - self.ventral_epidural_mm - 2 * self.dura_thickness_mm
                    - need)
        if self.sac_depth_mm > sac_room + 1e-9:
            raise NeuraxisInputError(
                f"Invalid anatomy: the dural sac (sac_depth_mm = {self.sac_depth_mm:g}, + "
                f"2 x dura_thickness_mm {self.dura_thickness_mm:g} + ventral_epidural_mm "
                f"{self.ventral_epidural_mm:g}) leaves less dorsal epidural space in the canal "
                f"(canal_depth_mm = {self.canal_depth_mm:g}{at}) than {lead}; the largest "
                f"sac_depth_mm allowed is {sac_room:.2f}; lower sac_depth_mm or "
                "encapsulation_thickness_mm, or raise canal_depth_mm")
        if self.dorsal_epidural_mm < need - 1e-9:
            raise NeuraxisInputError(
                f"Invalid value for 'dcsf_mm'. The largest allowed{at} is {self.max_dcsf_mm:g} mm"
                f" (cord_offset_x_mm = {self.cord_offset_x_mm:g}), but got {self.dcsf_mm:g} mm: "
                f"the cord stops at {MIN_VENTRAL_CSF_MM:g} mm of CSF under it, then the dural sac "
                f"(sac_depth_mm = {self.sac_depth_mm:g}) grows dorsally, and with dcsf_mm = "
                f"{self.dcsf_mm:g} it leaves {self.dorsal_epidural_mm:.2f} mm of dorsal epidural "
                f"space in the canal (canal_depth_mm = {self.canal_depth_mm:g}), less than "
                f"{lead}; lower dcsf_mm or cord_depth_mm, or raise canal_depth_mm")
        if gap_mm(self.cord_ellipse, sac) < MIN_CSF_MM:
            raise NeuraxisInputError(
                f"Invalid value for 'cord_offset_x_mm'. The largest allowed{at} is +-"
                f"{self.max_cord_offset_mm:g} mm, but got {self.cord_offset_x_mm:g} mm: the cord "
                f"(cord_width_mm = {self.cord_width_mm:g}, ventral CSF "
                f"{self.ventral_csf_mm:.2f} mm) would leave less than {MIN_CSF_MM:g} mm of CSF "
                f"inside the dural sac (lateral_csf_mm = {self.lateral_csf_mm:g}); lower "
                "|cord_offset_x_mm| or raise lateral_csf_mm")
        if 2 * dura.semi_x_mm + 2 * MIN_LATERAL_EPIDURAL_MM > self.canal_width_mm or \
                gap_mm(dura, canal) < MIN_LATERAL_EPIDURAL_MM:
            raise NeuraxisInputError(
                f"Invalid anatomy: the dural sac (outer width {2 * dura.semi_x_mm:.1f} mm = "
                f"cord_width_mm + 2 lateral_csf_mm + 2 dura_thickness_mm) does not fit in the "
                f"canal (canal_width_mm = {self.canal_width_mm:g}{at}) with "
                f"{MIN_LATERAL_EPIDURAL_MM:g} mm of epidural space on every side; lower "
                "lateral_csf_mm or cord_width_mm, or raise canal_width_mm")
        bone = self.bone_ellipse
        reach = float(np.hypot(*bone.points_mm().T).max())
        if reach + MIN_SURROUNDING_MM > self.domain_radius_mm:
            raise NeuraxisInputError(
                f"Invalid anatomy: the domain (domain_radius_mm = {self.domain_radius_mm:g}) must "
                f"reach at least {MIN_SURROUNDING_MM:g} mm beyond the bone, whose outer surface "
                f"extends {reach:.1f} mm from the cord axis; raise domain_radius_mm or lower "
                "bone_thickness_mm")

    # ------------------------------------------------------- schematic shapes
    def grey_matter_outline_mm(self, n: int = 160) -> np.ndarray:
        """Closed butterfly-shaped grey-matter polygon in (x, y), shape (n, 2), mm.

        Schematic, not traced from an atlas: a star-shaped radius function of the
        polar angle in cord-normalised coordinates (unit circle = cord surface)
        with two narrow dorsal horns pointing 38 deg off the dorsal midline towards
        the dorsolateral sulci (reaching about 0.88 of the cord radius), two wider
        ventral horns (about 0.75) and a 0.3 central region; mapped onto the cord
        ellipse. Smooth (sums of Gaussians), simple (star-shaped about the cord
        centre) and inside the cord by construction (radius capped at 0.9).
        """
        n = check_int("n", n, 16, 10000)
        phi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)  # polar angle from +x

        def lobe(center_deg: float, width_deg: float) -> np.ndarray:
            d = np.angle(np.exp(1j * (phi - np.radians(center_deg))))
            return np.exp(-0.5 * (d / np.radians(width_deg)) ** 2)

        r = (0.30 + 0.58 * (lobe(52, 10) + lobe(128, 10))
             + 0.45 * (lobe(-38, 28) + lobe(-142, 28)) + 0.10 * (lobe(0, 18) + lobe(180, 18)))
        r = np.minimum(r, 0.9)
        c = self.cord_ellipse
        return np.stack([c.center_x_mm + c.semi_x_mm * r * np.cos(phi),
                         c.center_y_mm + c.semi_y_mm * r * np.sin(phi)], axis=1)

    def dorsal_rootlet_paths_mm(self, side: str, z_entry_mm: float, n_points: int = 50, *,
                                rostral_rise_mm: float = 10.0,
                                entry_angle_deg: float = 45.0) -> np.ndarray:
        """Schematic path of a dorsal rootlet from the dural sleeve to its entry zone.

        Point 0 lies on the dural sac inner surface at its lateral-most point,
        ``rostral_rise_mm`` caudal to the entry; the last point lies on the cord
        surface at the dorsal root entry zone (dorsolateral sulcus,
        ``entry_angle_deg`` off the dorsal midline, parametric angle on the cord
        ellipse) at ``z_entry_mm``. In between, the path blends the sac and cord
        surfaces at a parametric angle sweeping from 90 deg to ``entry_angle_deg``
        (smoothstep blend), rising linearly in z: it stays in the CSF. Schematic.

        Parameters
        ----------
        side : {'left', 'right'}
            Patient's left (+x) or right (-x).
        z_entry_mm : float
            Entry-zone position along the cord, mm.
        n_points : int
            Number of points (>= 2).
        rostral_rise_mm : float
            Rise in z from the dura to the entry zone, mm (0 to 40).
        entry_angle_deg : float
            Entry-zone angle from the dorsal midline, deg (20 to 70).

        Returns
        -------
        numpy.ndarray
            (n_points, 3) points (x, y, z) in mm.
        """
        sgn = 1.0 if check_option("side", side, ("left", "right")) == "left" else -1.0
        z_entry = check_range("z_entry_mm", z_entry_mm, -self.length_mm / 2, self.length_mm / 2,
                              "mm")
        n_points = check_int("n_points", n_points, 2, 100000)
        rise = check_range("rostral_rise_mm", rostral_rise_mm, 0.0, 40.0, "mm")
        entry = np.radians(check_range("entry_angle_deg", entry_angle_deg, 20.0, 70.0, "deg"))
        if z_entry - rise < -self.length_mm / 2:
            raise NeuraxisInputError(
                f"Invalid value for 'z_entry_mm'. The rootlet starts {rise:g} mm caudal to its "
                f"entry, so z_entry_mm must be at least {-self.length_mm / 2 + rise:g} mm "
                f"(length_mm = {self.length_mm:g}), but got {z_entry:g} mm")
        t = np.linspace(0.0, 1.0, n_points)
        ang = np.pi / 2 + (entry - np.pi / 2) * t
        lam = (1.0 - (3 * t**2 - 2 * t**3))[:, None]  # 1 on the sac, 0 on the cord
        xy = lam * self.sac_ellipse.point_mm(ang, sgn) + (1 - lam) * self.cord_ellipse.point_mm(
            ang, sgn)
        return np.column_stack([xy, z_entry - rise * (1.0 - t)])

    def segment_entry_z_mm(self, margin_mm: float = 10.0, rostral_rise_mm: float = 10.0
                           ) -> np.ndarray:
        """Dorsal-root entry-zone positions of the segments in the model (z, mm).

        Entries are ``segment_length_mm`` apart with one at z = 0 (the middle of the
        modelled segment), kept where the entry is at most ``length/2 - margin_mm``
        and its rootlet's dural end (``rostral_rise_mm`` caudal) at least
        ``-length/2 + margin_mm``. ``segment_length_mm`` is an unverified placeholder.
        """
        margin = check_range("margin_mm", margin_mm, 0.0, self.length_mm / 2, "mm")
        rise = check_range("rostral_rise_mm", rostral_rise_mm, 0.0, 40.0, "mm")
        half = self.length_mm / 2 - margin
        k = np.arange(-int(half // self.segment_length_mm) - 1,
                      int(half // self.segment_length_mm) + 2)
        z = k * self.segment_length_mm
        return z[(z <= half + 1e-9) & (z - rise >= -half - 1e-9)].astype(float)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order) for hashing and serialisation."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if f.name == "conductivities" else v
        return out


@dataclass(frozen=True)
class HomogeneousMedium:
    """Homogeneous (optionally anisotropic) cylinder: a reference volume conductor.

    ``sigma_s_per_m`` is (x, y, z) in S/m; the cylinder's axis is z, its radius
    ``radius_mm`` and length ``length_mm``; the outer surface is grounded.
    """

    sigma_s_per_m: tuple[float, float, float]
    radius_mm: float = 40.0
    length_mm: float = 90.0

    kind = "homogeneous"

    def __post_init__(self) -> None:
        s = np.atleast_1d(check_positive("sigma_s_per_m", self.sigma_s_per_m, "S/m"))
        if s.size == 1:
            s = np.repeat(s, 3)
        if s.shape != (3,):
            raise NeuraxisInputError(
                "Invalid value for 'sigma_s_per_m'. Allowed values are one number or three "
                f"(x, y, z) in S/m, but got {self.sigma_s_per_m!r}")
        object.__setattr__(self, "sigma_s_per_m", tuple(float(v) for v in s))
        object.__setattr__(self, "radius_mm", check_range("radius_mm", self.radius_mm, 10, 500,
                                                          "mm"))
        object.__setattr__(self, "length_mm", check_range("length_mm", self.length_mm, 60, 500,
                                                          "mm"))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (stable key order)."""
        d = asdict(self)
        return {"kind": self.kind, "sigma_s_per_m": list(d["sigma_s_per_m"]),
                "radius_mm": d["radius_mm"], "length_mm": d["length_mm"]}


def default_encapsulation_thickness_mm() -> float:
    """Default sheath around a chronic lead (mm), from ``data/anatomy_levels.yaml``."""
    from neuraxis.anatomy.tables import read_table

    return float(read_table("anatomy_levels.yaml")["defaults"]["encapsulation_thickness_mm"]
                 ["value"])


def spine_anatomy(level: str, conductivities: dict[str, float] | Conductivities | None = None,
                  **overrides: float) -> SpineAnatomy:
    """Spine anatomy at a vertebral level: table defaults, then overrides (mm).

    Parameters
    ----------
    level : str
        One of ``'T8'`` ... ``'T12'``.
    conductivities : dict | Conductivities | None
        Conductivity overrides by short key (S/m), e.g. ``{"csf": 1.8}``.
    **overrides : float
        Any length field of :class:`SpineAnatomy` (mm), e.g. ``dcsf_mm=4.5``. The ventral
        CSF is not an input: it is what ``sac_depth_mm`` leaves below the cord.

    Returns
    -------
    SpineAnatomy
        Validated; an inconsistent geometry raises :class:`NeuraxisInputError`.
    """
    values: dict[str, Any] = level_defaults(level)
    if "ventral_csf_mm" in overrides:
        raise NeuraxisInputError(
            "Invalid key 'ventral_csf_mm' in 'anatomy': the ventral CSF is derived, "
            "sac_depth_mm - cord_depth_mm - dcsf_mm (the cord moves ventrally as dcsf_mm "
            f"grows); to set it, give sac_depth_mm (default {values['sac_depth_mm']:g} mm at "
            f"{level}) = cord_depth_mm + dcsf_mm + the ventral CSF you want")
    values.update(check_keys("anatomy", overrides, tuple(SPINE_RANGES_MM)))
    cond = conductivities if isinstance(conductivities, Conductivities) else \
        load_conductivities(conductivities)
    return SpineAnatomy(level=level, conductivities=cond, **values)




def anatomy_from_dict(d: dict[str, Any]) -> SpineAnatomy | HomogeneousMedium:
    """Inverse of ``to_dict()`` for either anatomy kind."""
    kind = check_option("anatomy.kind", d.get("kind"), ("spine", "homogeneous"))
    rest = {k: v for k, v in d.items() if k != "kind"}
    if kind == "homogeneous":
        return HomogeneousMedium(**{k: (tuple(v) if k == "sigma_s_per_m" else v)
                                    for k, v in rest.items()})
    rest["conductivities"] = conductivities_from_dict(rest["conductivities"])
    return SpineAnatomy(**rest)


__all__ = ["Ellipse", "HomogeneousMedium", "SpineAnatomy", "anatomy_from_dict",
           "default_encapsulation_thickness_mm", "spine_anatomy"]
