"""Geometry and mesh of the volume conductor (gmsh, OpenCASCADE kernel).

The tissues are nested closed curves in the cross-section (x, y), extruded along
the cord (z); the lead is a set of solids (insulating body, metal contacts)
placed in it. One ``fragment`` makes every interface conforming; the lead solids
are then removed, so the lead is a hole in the mesh: its insulating surfaces are
natural (zero-flux) boundaries and each contact's surface is a named boundary
(made equipotential by the solver). The outer surface of the domain is the
distant return (grounded).

Everything here is in mm. gmsh is imported inside the functions (``[fem]`` extra).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from neuraxis._logging import logger
from neuraxis._soft_import import soft_import


@dataclass(frozen=True)
class Shape2D:
    """A closed curve of the cross-section: ``'ellipse'`` (cx, cy, rx, ry) or
    ``'polygon'`` (closed, straight segments through the (m, 2) points)."""

    name: str  # tissue name (key of the conductivity table)
    kind: str
    params: tuple = ()
    points_mm: np.ndarray | None = None


SHEATH = "sheath"  # name of the encapsulation solids in a LeadGeometry


@dataclass(frozen=True)
class Solid:
    """A lead part: ``'cylinder'`` (base point, axis vector, radius) or ``'box'``
    (corner, extents) in the world frame, before rotation."""

    name: str  # contact name, 'body' for insulation, or 'sheath' (encapsulation tissue)
    kind: str
    params: tuple


@dataclass(frozen=True)
class LeadGeometry:
    """Lead solids in the lead frame plus the rigid motion that places them."""

    solids: tuple[Solid, ...]
    contact_names: tuple[str, ...]
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation_deg_about_y: float = 0.0


@dataclass(frozen=True)
class MeshSizes:
    """Target element sizes (mm): at the contacts, in the refinement regions, far away."""

    contact_mm: float = 0.35
    region_mm: float = 0.6
    far_mm: float = 6.0
    grow_mm: float = 15.0  # distance over which the size grows from contact_mm to far_mm
    regions: tuple[tuple[float, float, float, float, float, float], ...] = ()  # boxes
    canal_mm: float = 2.0  # inside ``canal_box`` (thin curved layers need it)
    canal_box: tuple[float, float, float, float, float, float] | None = None


@dataclass(frozen=True)
class MeshData:
    """A tetrahedral mesh with tissue labels and named boundaries.

    Attributes
    ----------
    points_mm : ndarray (3, n_points)
    tets : ndarray of int (4, n_tets)
    tissue_of_tet : ndarray of int (n_tets,)
        Index into ``tissues``.
    tissues : tuple of str
    contact_facets : dict of str -> ndarray of int (3, n_triangles)
        Triangles (point indices) of each contact surface.
    ground_facets : ndarray of int (3, n_triangles)
        Triangles of the grounded outer surface.
    """

    points_mm: np.ndarray
    tets: np.ndarray
    tissue_of_tet: np.ndarray
    tissues: tuple[str, ...]
    contact_facets: dict
    ground_facets: np.ndarray


def _gmsh():
    return soft_import("gmsh", "fem", "Meshing the volume conductor")


def build_mesh(shapes: list[Shape2D], length_mm: float, lead: LeadGeometry,
               sizes: MeshSizes, *, outer: Shape2D | None = None,
               ellipsoid_radii_mm: tuple[float, float, float] | None = None,
               threads: int = 1) -> MeshData:
    """Mesh nested tissues (extruded) or an ellipsoid, with the lead as a hole.

    Parameters
    ----------
    shapes : list of Shape2D
        Outermost first; each lies inside the previous one. Their common region is
        given to the innermost (later) shape. The first is the domain boundary.
    length_mm : float
        Extrusion length along z (centred on z = 0).
    lead : LeadGeometry
        Solids to cut out; contacts become named boundaries.
    sizes : MeshSizes
        Element size targets.
    ellipsoid_radii_mm : (rx, ry, rz), optional
        Instead of extruded shapes, one homogeneous ellipsoidal domain
        (tissue name ``shapes[0].name``) centred at the origin.
    threads : int
        gmsh threads. One (the default) gives the same mesh every time; HXT on two
        threads is ~15 % faster but not reproducible.
    """
    try:
        return _build_mesh(shapes, length_mm, lead, sizes, outer, ellipsoid_radii_mm, threads,
                           0.0)
    except Exception as exc:  # gmsh raises plain Exceptions
        if not _geometry_failure(exc):
            raise
        # Surfaces that touch tangentially (a flat paddle sheath grazing the canal's
        # curved top, say) leave sliver faces that the volume mesher refuses. A fuzzy
        # boolean merges them; it is used only then, so every other mesh stays the same.
        logger.warning("meshing failed (%s); retrying with a %g mm boolean tolerance",
                       exc, RETRY_TOLERANCE_MM)
        return _build_mesh(shapes, length_mm, lead, sizes, outer, ellipsoid_radii_mm, threads,
                           RETRY_TOLERANCE_MM)


#: OCC boolean tolerance (mm) of the one retry after a failed mesh (far below any element).
RETRY_TOLERANCE_MM = 1e-3


def _geometry_failure(exc: Exception) -> bool:
    """Whether a gmsh error is one a fuzzy boolean can cure (overlapping or degenerate
    facets, a failed 3D mesh)."""
    text = str(exc).lower()
    return any(k in text for k in ("3d mesh failed", "overlapping facets", "invalid boundary"))


def _build_mesh(shapes, length_mm, lead, sizes, outer, ellipsoid_radii_mm, threads,
                tolerance_mm: float) -> MeshData:
    gmsh = _gmsh()
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", int(os.environ.get("NEURAXIS_GMSH_VERBOSE", "0")))
        gmsh.option.setNumber("General.NumThreads", threads)
        if tolerance_mm:
            gmsh.option.setNumber("Geometry.ToleranceBoolean", tolerance_mm)
        gmsh.model.add("neuraxis")
        occ = gmsh.model.occ
        tissue_vols, tissue_names, names = _tissue_volumes(occ, shapes, length_mm,
                                                           ellipsoid_radii_mm)
        lead_vols, lead_names = _lead_volumes(occ, lead)
        _out, out_map = occ.fragment(tissue_vols + lead_vols, [])
        occ.synchronize()
        n_t = len(tissue_vols)
        piece_tissue: dict[int, int] = {}
        piece_lead: dict[int, str] = {}
        in_sheath: set[int] = set()
        for i, pieces in enumerate(out_map):
            for dim, tag in pieces:
                if dim != 3:
                    continue
                if i >= n_t:
                    name = lead_names[i - n_t]
                    if name == SHEATH:
                        in_sheath.add(tag)
                    # a contact wins over the body where they overlap
                    elif piece_lead.get(tag) in (None, "body"):
                        piece_lead[tag] = name
                else:
                    # the innermost (latest) shape wins where shapes overlap
                    piece_tissue[tag] = max(piece_tissue.get(tag, -1), tissue_names[i][0])
        if in_sheath:
            # the sheath replaces the tissue it overlaps; the lead itself is removed
            names.append("encapsulation")
            for tag in in_sheath:
                piece_tissue[tag] = len(names) - 1
        for tag in piece_lead:
            piece_tissue.pop(tag, None)
        tissue_faces = set()
        for tag in piece_tissue:
            tissue_faces |= {t for _, t in gmsh.model.getBoundary([(3, tag)], oriented=False)}
        contact_faces: dict[str, list[int]] = {n: [] for n in lead.contact_names}
        for tag, name in piece_lead.items():
            if name == "body":
                continue
            for _, t in gmsh.model.getBoundary([(3, tag)], oriented=False):
                if t in tissue_faces:
                    contact_faces[name].append(t)
        for name, faces in contact_faces.items():
            if not faces:
                raise RuntimeError(f"contact {name!r} has no surface in contact with tissue")
        outer_faces = _outer_faces(gmsh, list(piece_tissue), length_mm, shapes[0],
                                   ellipsoid_radii_mm)
        occ.remove([(3, t) for t in piece_lead], recursive=True)
        occ.synchronize()
        for idx, name in enumerate(names):
            tags = [t for t, i in piece_tissue.items() if i == idx]
            if tags:
                gmsh.model.addPhysicalGroup(3, tags, tag=idx + 1, name=name)
        for k, (name, faces) in enumerate(contact_faces.items()):
            gmsh.model.addPhysicalGroup(2, faces, tag=1000 + k, name=f"contact:{name}")
        gmsh.model.addPhysicalGroup(2, outer_faces, tag=999, name="ground")
        _size_fields(gmsh, sizes, [f for fs in contact_faces.values() for f in fs])
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.model.mesh.generate(3)
        return _extract(gmsh, names, list(contact_faces))
    finally:
        gmsh.finalize()


def _tissue_volumes(occ, shapes, length_mm, ellipsoid):
    """Volumes, per volume (tissue index, tissue name), and the tissue names by index."""
    names_idx: dict[str, int] = {}
    for s in shapes:
        names_idx.setdefault(s.name, len(names_idx))
    if ellipsoid is not None:
        rx, ry, rz = ellipsoid
        tag = occ.addSphere(0, 0, 0, 1.0)
        occ.dilate([(3, tag)], 0, 0, 0, rx, ry, rz)
        return [(3, tag)], [(names_idx[shapes[0].name], shapes[0].name)], list(names_idx)
    surfs = [_surface(occ, s) for s in shapes]
    _out, out_map = occ.fragment([(2, s) for s in surfs], [])
    piece_owner: dict[int, int] = {}
    for i, pieces in enumerate(out_map):
        for _, tag in pieces:
            piece_owner[tag] = max(piece_owner.get(tag, -1), i)
    occ.translate([(2, t) for t in piece_owner], 0, 0, -0.5 * length_mm)
    tags = list(piece_owner)
    ext = occ.extrude([(2, t) for t in tags], 0, 0, length_mm)  # one call: shared faces
    new_vols = [e for e in ext if e[0] == 3]
    if len(new_vols) != len(tags):
        raise RuntimeError("extrusion did not give one volume per cross-section piece")
    owners = [(names_idx[shapes[piece_owner[t]].name], shapes[piece_owner[t]].name)
              for t in tags]
    return new_vols, owners, list(names_idx)


def _surface(occ, s: Shape2D) -> int:
    if s.kind == "ellipse":
        cx, cy, rx, ry = s.params
        if abs(rx - ry) < 1e-9:
            return occ.addDisk(cx, cy, 0, rx, rx)
        if rx >= ry:
            return occ.addDisk(cx, cy, 0, rx, ry)
        tag = occ.addDisk(cx, cy, 0, ry, rx)  # OCC wants the major axis along x
        occ.rotate([(2, tag)], cx, cy, 0, 0, 0, 1, np.pi / 2)
        return tag
    if s.kind == "polygon":
        pts = np.asarray(s.points_mm, dtype=float)
        # straight segments: extruded B-spline faces made gmsh's surface mesher loop
        tags = [occ.addPoint(x, y, 0) for x, y in pts]
        lines = [occ.addLine(tags[i], tags[(i + 1) % len(tags)]) for i in range(len(tags))]
        loop = occ.addCurveLoop(lines)
        return occ.addPlaneSurface([loop])
    raise ValueError(f"unknown shape kind {s.kind!r}")


def _lead_volumes(occ, lead: LeadGeometry):
    vols, names = [], []
    for s in lead.solids:
        if s.kind == "cylinder":
            (x, y, z), (dx, dy, dz), r = s.params
            tag = occ.addCylinder(x, y, z, dx, dy, dz, r)
        elif s.kind == "box":
            (x, y, z), (dx, dy, dz) = s.params
            tag = occ.addBox(x, y, z, dx, dy, dz)
        else:
            raise ValueError(f"unknown solid kind {s.kind!r}")
        vols.append((3, tag))
        names.append(s.name)
    if lead.rotation_deg_about_y:
        occ.rotate(vols, 0, 0, 0, 0, 1, 0, np.deg2rad(lead.rotation_deg_about_y))
    occ.translate(vols, *lead.origin_mm)
    return vols, names


def _outer_faces(gmsh, tissue_tags, length_mm, outer: Shape2D, ellipsoid) -> list[int]:
    faces = gmsh.model.getBoundary([(3, t) for t in tissue_tags], combined=True,
                                   oriented=False)
    out = []
    for _, tag in faces:
        xmin, _ymin, zmin, xmax, _ymax, zmax = gmsh.model.getBoundingBox(2, tag)
        if ellipsoid is not None:
            # the ellipsoid's own surface: its bounding box spans the whole domain
            if xmax - xmin > ellipsoid[0]:
                out.append(tag)
            continue
        on_cap = abs(zmin - zmax) < 1e-6 and abs(abs(zmin) - 0.5 * length_mm) < 1e-6
        rx, ry = outer.params[2], outer.params[3]
        on_side = (xmax - xmin) > 1.9 * min(rx, ry) and (zmax - zmin) > 0.99 * length_mm
        if on_cap or on_side:
            out.append(tag)
    return out


def _size_fields(gmsh, sizes: MeshSizes, contact_faces: list[int]) -> None:
    f = gmsh.model.mesh.field
    fields = []
    d = f.add("Distance")
    f.setNumbers(d, "SurfacesList", contact_faces)
    f.setNumber(d, "Sampling", 40)
    th = f.add("Threshold")
    f.setNumber(th, "InField", d)
    f.setNumber(th, "SizeMin", sizes.contact_mm)
    f.setNumber(th, "SizeMax", sizes.far_mm)
    f.setNumber(th, "DistMin", 2 * sizes.contact_mm)
    f.setNumber(th, "DistMax", sizes.grow_mm)
    fields.append(th)
    boxes = [(b, sizes.region_mm) for b in sizes.regions]
    if sizes.canal_box is not None:
        boxes.append((sizes.canal_box, sizes.canal_mm))
    for (x0, x1, y0, y1, z0, z1), h in boxes:
        b = f.add("Box")
        for k, v in zip(("XMin", "XMax", "YMin", "YMax", "ZMin", "ZMax"),
                        (x0, x1, y0, y1, z0, z1), strict=True):
            f.setNumber(b, k, v)
        f.setNumber(b, "VIn", h)
        f.setNumber(b, "VOut", sizes.far_mm)
        f.setNumber(b, "Thickness", 2.0)
        fields.append(b)
    mn = f.add("Min")
    f.setNumbers(mn, "FieldsList", fields)
    f.setAsBackgroundMesh(mn)


def _extract(gmsh, tissues: list[str], contacts: list[str]) -> MeshData:
    tags, coords, _ = gmsh.model.mesh.getNodes()
    order = np.argsort(tags)
    tags = tags[order]
    pts = coords.reshape(-1, 3)[order]
    index = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
    index[tags] = np.arange(tags.size)
    tets, labels = [], []
    for idx, _name in enumerate(tissues):
        try:
            ents = gmsh.model.getEntitiesForPhysicalGroup(3, idx + 1)
        except Exception:
            continue
        for e in ents:
            types, _, nodes = gmsh.model.mesh.getElements(3, e)
            for typ, nd in zip(types, nodes, strict=True):
                if typ != 4:
                    raise RuntimeError("expected linear tetrahedra")
                t = index[np.asarray(nd, dtype=np.int64)].reshape(-1, 4)
                tets.append(t)
                labels.append(np.full(len(t), idx))
    tets_a = np.concatenate(tets).T
    used = np.unique(tets_a)
    remap = np.full(tags.size, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)

    def tris(group: int) -> np.ndarray:
        out = []
        for e in gmsh.model.getEntitiesForPhysicalGroup(2, group):
            types, _, nodes = gmsh.model.mesh.getElements(2, e)
            for typ, nd in zip(types, nodes, strict=True):
                if typ == 2:
                    out.append(remap[index[np.asarray(nd, dtype=np.int64)]].reshape(-1, 3))
        return np.concatenate(out).T if out else np.zeros((3, 0), dtype=np.int64)

    contact_facets = {name: tris(1000 + k) for k, name in enumerate(contacts)}
    mesh = MeshData(points_mm=np.ascontiguousarray(pts[used].T), tets=remap[tets_a],
                    tissue_of_tet=np.concatenate(labels), tissues=tuple(tissues),
                    contact_facets=contact_facets, ground_facets=tris(999))
    logger.info("mesh: %d tetrahedra, %d points", mesh.tets.shape[1], mesh.points_mm.shape[1])
    return mesh
