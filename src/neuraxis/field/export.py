"""Export the field basis and fiber trajectories for other tools (ParaView, a spreadsheet).

* :func:`export_vtu`: the tetrahedral mesh as a VTK unstructured grid (``.vtu``, via
  meshio, the ``[fem]`` extra), with the tissue of every tetrahedron (cell data
  ``tissue_id``, an index into ``basis.tissues``) and one point-data array per contact,
  ``potential_<contact>_v_per_ma`` (V per mA through that contact, the others floating).
  The basis is P2 (quadratic); the file holds the linear tetrahedra and the values at
  their vertices only (the P2 edge values are not written), so ParaView interpolates
  linearly between vertices. At a vertex the exported value is exactly the basis's.
* :func:`export_fibers_csv`: one row per path point, columns :data:`FIBER_CSV_COLUMNS`.
* :func:`check_output_file`: the output-path rule both follow (the folder must exist).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError

if TYPE_CHECKING:
    from neuraxis.fibers.fiberset import FiberSet
    from neuraxis.field.basis import FieldBasis

#: Columns of :func:`export_fibers_csv` (one row per path point; lengths mm, diameter um).
FIBER_CSV_COLUMNS = ("fiber_id", "kind", "diameter_um", "x_mm", "y_mm", "z_mm")


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """``path`` as a Path if a file can be written there, else a clear error.

    The folder must already exist (no folders are created: a typo would otherwise
    scatter folders from the root down), and ``path`` must not be a folder.

    Raises
    ------
    NeuraxisInputError
        If ``path`` is a folder or its folder does not exist.
    """
    p = Path(path)
    if p.is_dir():
        raise NeuraxisInputError(f"Invalid {what} '{p}': it is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        missing = parent
        while not missing.parent.is_dir() and missing.parent != missing:
            missing = missing.parent
        raise NeuraxisInputError(
            f"Invalid {what} '{p}': the folder '{missing}' does not exist; create it first "
            "(no folders are created)")
    return p


def vertex_potentials_v_per_ma(basis: FieldBasis) -> np.ndarray:
    """Every contact's potential at the mesh vertices (the P2 vertex values).

    Parameters
    ----------
    basis : FieldBasis

    Returns
    -------
    numpy.ndarray
        (n_points, n_contacts), V per mA; NaN at a vertex of no tetrahedron (none in a
        mesh built by :func:`neuraxis.field.build_field_basis`).
    """
    n_points = basis.points_mm.shape[1]
    out = np.full((n_points, len(basis.contact_names)), np.nan)
    # element_dofs[:4] are the P2 DOFs of the tetrahedron's vertices, in tets' order
    out[basis.tets.reshape(-1)] = basis.potentials_v_per_ma[basis.element_dofs[:4].reshape(-1)]
    return out


def export_vtu(basis: FieldBasis, path: str | Path) -> Path:
    """Write the mesh, tissue labels and per-contact potentials as a ``.vtu`` file.

    Parameters
    ----------
    basis : FieldBasis
        From :func:`neuraxis.field.build_field_basis`.
    path : str or Path
        File to write (its folder must exist); VTU whatever the suffix.

    Returns
    -------
    Path
        ``path``. Points in mm; cell data ``tissue_id`` (int, index into
        ``basis.tissues``); point data ``potential_<contact>_v_per_ma`` per contact, the
        P2 solution's vertex values (see the module docstring).
    """
    meshio = soft_import("meshio", "fem", "Exporting the field to VTU")
    out = check_output_file(path, "VTU file")
    values = vertex_potentials_v_per_ma(basis)
    point_data = {vtu_array_name(name): np.ascontiguousarray(values[:, i])
                  for i, name in enumerate(basis.contact_names)}
    mesh = meshio.Mesh(np.ascontiguousarray(basis.points_mm.T, dtype=float),
                       [("tetra", np.ascontiguousarray(basis.tets.T, dtype=np.int64))],
                       point_data=point_data,
                       cell_data={"tissue_id": [np.asarray(basis.tissue_of_tet, dtype=np.int32)]})
    meshio.write(out, mesh, file_format="vtu")
    return out


def vtu_array_name(contact: str) -> str:
    """Point-data name of a contact's potential in the VTU file, e.g. 'potential_E4_v_per_ma'."""
    return f"potential_{contact}_v_per_ma"


def export_fibers_csv(fibers: FiberSet, path: str | Path) -> Path:
    """Write fiber trajectories as CSV, one row per path point.

    Parameters
    ----------
    fibers : FiberSet
    path : str or Path
        File to write (its folder must exist).

    Returns
    -------
    Path
        ``path``; columns ``fiber_id`` (the fiber's index in ``fibers``), ``kind``
        ('dc' or 'dr'), ``diameter_um``, ``x_mm``, ``y_mm``, ``z_mm``; points in the
        order of each path (DC caudal to rostral; DR from the root sleeve).
    """
    out = check_output_file(path, "fibers CSV file")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(FIBER_CSV_COLUMNS)
        for i, p in enumerate(fibers.paths_mm):
            kind, diam = str(fibers.kind[i]), repr(float(fibers.diameter_um[i]))
            w.writerows([i, kind, diam, repr(float(x)), repr(float(y)), repr(float(z))]
                        for x, y, z in p)
    return out
