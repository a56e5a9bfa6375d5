"""Fiber populations: dorsal-column and dorsal-root fibers (trajectories, diameters,
compartment coordinates).

Public API
----------
dorsal_column_fibers : straight DC fibers, dense near the dorsal surface.
dorsal_root_fibers : curved DR fibers from the root sleeve into the dorsal column.
scs_fibers : both, as ``scs run`` evaluates them (DC then DR near the cathodes).
FiberSet : the population (kind, diameter, side, position, segment, paths, weights,
    afferent ids, DR branch and the arc lengths where a DR path's regions meet).
fiber_region_at_arc : 'root', 'drez' or 'dc' at arc lengths along a fiber.
compartment_points_mm : a cable's compartment centres laid along a path (mm).
max_nodes_on_path : how many nodes of Ranvier fit on a path.
cord_segments, cord_segment_at : cord segment names of the entry zones ('T11').
dc_diameter_law, dr_diameter_law, DiameterLaw : the diameter laws (um).
dc_depth_fraction : the DC depth law.
in_dorsal_columns, dorsal_column_depth_mm, dorsal_root_path_mm : the geometry.

Modules (imports flow down this list; none imports the package): ``paths`` (geometry),
``_table`` (the data table), ``diameters`` (laws), ``fiberset`` (the container),
``dorsal_column`` and ``dorsal_root`` (the samplers), ``population`` (both together).

Data and sources: ``neuraxis/data/fibers.yaml``; see ``docs/fibers.md``.
"""

from neuraxis.fibers._table import fiber_table
from neuraxis.fibers.collaterals import dc_collaterals
from neuraxis.fibers.diameters import DiameterLaw, dc_diameter_law, dr_diameter_law
from neuraxis.fibers.dorsal_column import dc_depth_fraction, dorsal_column_fibers
from neuraxis.fibers.dorsal_root import (
    SEGMENT_NAMES,
    cord_segment_at,
    cord_segments,
    dorsal_root_entries_mm,
    dorsal_root_fibers,
)
from neuraxis.fibers.fiberset import BRANCHES, REGIONS, FiberSet, fiber_region_at_arc
from neuraxis.fibers.paths import (
    RootPath,
    arc_length_mm,
    compartment_points_mm,
    dorsal_column_depth_mm,
    dorsal_root_path_mm,
    in_dorsal_columns,
    max_nodes_on_path,
)
from neuraxis.fibers.population import scs_fibers

__all__ = [
    "dc_collaterals",
    "BRANCHES", "REGIONS", "SEGMENT_NAMES", "DiameterLaw", "FiberSet", "RootPath", "arc_length_mm",
    "compartment_points_mm", "cord_segment_at", "cord_segments", "dc_depth_fraction",
    "dc_diameter_law", "dorsal_column_depth_mm", "dorsal_column_fibers",
    "dorsal_root_entries_mm", "dorsal_root_fibers", "dorsal_root_path_mm", "dr_diameter_law",
    "fiber_region_at_arc", "fiber_table", "in_dorsal_columns", "max_nodes_on_path", "scs_fibers",
]
