"""Axon engine: axon models as data, batched implicit integrators, threshold search.

Public API
----------
find_thresholds : thresholds of many fibers in batched simulations.
conduction_velocity : conduction velocity of a fiber.
search_thresholds : the pure batched search over a "does it fire?" predicate.
build_cable, Cable : compartmental description of a fiber (MRG, Sweeney).
Waveform, point_source_mv_per_ma : stimulus input.
simulate : one batched simulation.
"""

from neuraxis.axons.api import ThresholdResult, conduction_velocity, find_thresholds
from neuraxis.axons.cable import Cable, CableBatch, build_cable, stack_cables
from neuraxis.axons.integrate import SimulationResult, simulate
from neuraxis.axons.stimulus import (
    Waveform,
    fiber_point_source_mv_per_ma,
    point_source_mv_per_ma,
)
from neuraxis.axons.threshold import SearchResult, search_thresholds

__all__ = [
    "Cable", "CableBatch", "SearchResult", "SimulationResult", "ThresholdResult", "Waveform",
    "build_cable", "conduction_velocity", "fiber_point_source_mv_per_ma", "find_thresholds",
    "point_source_mv_per_ma", "search_thresholds", "simulate", "stack_cables",
]
