"""Volume-conductor descriptions: layered spine anatomy or a homogeneous medium.

Public API
----------
spine_anatomy : build a validated :class:`SpineAnatomy`
    (per-level defaults from ``neuraxis/data/anatomy_levels.yaml``) or a
    :class:`HomogeneousMedium`.
load_conductivities, Conductivities : tissue conductivities (S/m) with sources in
    ``neuraxis/data/conductivities.yaml``.
Ellipse : the axis-aligned ellipses the spine layers are made of (mm).
"""

from __future__ import annotations

from neuraxis.anatomy.ellipse import Ellipse
from neuraxis.anatomy.model import (
    HomogeneousMedium,
    SpineAnatomy,
    anatomy_from_dict,
    spine_anatomy,
)
from neuraxis.anatomy.tables import (
    LEVELS,
    Conductivities,
    conductivity_keys,
    level_defaults,
    load_conductivities,
    read_table,
)

__all__ = [
    "LEVELS", "Conductivities", "Ellipse", "HomogeneousMedium", "SpineAnatomy",
    "anatomy_from_dict", "conductivity_keys", "level_defaults",
    "load_conductivities", "read_table", "spine_anatomy",
]
