"""Recruitment and perception: thresholds of a program, recruitment curves, somatotopy,
body map and coverage of the pain map; the SCS main job (:func:`run_scs`).

Public API
----------
run_scs, ScsResult : scenario -> field basis -> fiber thresholds -> paresthesia, coverage.
Program, program_from_scenario : the validated ``program`` section.
program_thresholds, ProgramThresholds, recruitment_curve : thresholds of a fiber
    population for one program shape, and recruitment at any amplitude.
fiber_dermatomes : somatotopy (Smith & Deacon 1984 lamination; DR by segment).
pain_map, coverage, list_regions, plot_body_map : the body map (``bodymap``).
"""

from neuraxis.perception.bodymap import coverage, list_regions, pain_map, plot_body_map
from neuraxis.perception.evaluate import ScsResult, paresthesia_map, run_scs
from neuraxis.perception.program import Program, program_from_scenario
from neuraxis.perception.recruitment import (
    ProgramThresholds,
    program_thresholds,
    recruitment_curve,
)
from neuraxis.perception.somatotopy import fiber_dermatomes

__all__ = ["Program", "ProgramThresholds", "ScsResult", "coverage", "fiber_dermatomes",
           "list_regions", "pain_map", "paresthesia_map", "plot_body_map",
           "program_from_scenario", "program_thresholds", "recruitment_curve", "run_scs"]
