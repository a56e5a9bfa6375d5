"""Body map of the SCS perception stage: dermatomes, pain maps and paresthesia coverage.

The names others import, in one place. The code lives in three modules, imported one
way (no cycle):

* :mod:`neuraxis.perception.regions`: the drawing (``neuraxis/data/bodymap.yaml``), its
  raster and :func:`list_regions`;
* :mod:`neuraxis.perception.painmap`: :func:`pain_map`, :func:`coverage`,
  :func:`pain_area_by_dermatome`, :func:`paresthesia_by_region`;
* :mod:`neuraxis.viz.bodymap`: the figure, ``plot_body_map(paresthesia, path, *, ...)``.

Example
-------
>>> from neuraxis.perception.bodymap import coverage, pain_map
>>> pain = pain_map(["low_back", "buttock_left"])
>>> result = coverage(pain, {"L1_left": 1.0, "L2_left": 0.8})
>>> 0.0 < result.pain_coverage_pct < 100.0
True
"""

from __future__ import annotations

from neuraxis.perception.painmap import (
    CoverageResult,
    PainMap,
    RegionParesthesia,
    coverage,
    pain_area_by_dermatome,
    pain_map,
    paresthesia_by_region,
)
from neuraxis.perception.regions import (
    DERMATOMES,
    EXTENT,
    PIXEL_SIZE,
    SIDES,
    VIEWS,
    dermatome_map_source,
    dermatome_side_names,
    list_regions,
)

__all__ = ["DERMATOMES", "EXTENT", "PIXEL_SIZE", "SIDES", "VIEWS", "CoverageResult",
           "PainMap", "RegionParesthesia", "coverage", "dermatome_map_source",
           "dermatome_side_names", "list_regions", "pain_area_by_dermatome", "pain_map",
           "paresthesia_by_region"]
