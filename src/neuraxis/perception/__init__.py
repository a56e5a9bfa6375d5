"""Perception: what an SCS program is felt as.

Public API
----------
ScsSession : field basis, fibers, cables and potentials of a scenario, reused by programs.
ScsResult, AmplitudeMetrics : thresholds of one program shape; ``result.at(amplitude_ma)``.
run_scs : one scenario's program in a new session (the ``scs run`` job).
Program, make_program, check_fractions : a validated stimulation program.
pain_map, coverage, list_regions : the body map and coverage of the pain map.
fiber_dermatomes : somatotopy (which dermatome each fiber carries).
ProgramThresholds, recruitment_curve : thresholds and recruitment curves.
"""

from neuraxis.perception.bodymap import coverage, list_regions, pain_map
from neuraxis.perception.evaluate import RESEARCH_NOTICE, provenance, run_scs
from neuraxis.perception.program import Program, check_fractions, make_program
from neuraxis.perception.recruitment import ProgramThresholds, recruitment_curve
from neuraxis.perception.result import AmplitudeMetrics, ScsResult, paresthesia_map
from neuraxis.perception.session import ScsSession
from neuraxis.perception.somatotopy import fiber_dermatomes

__all__ = ["RESEARCH_NOTICE", "AmplitudeMetrics", "Program", "ProgramThresholds",
           "ScsResult", "ScsSession", "check_fractions", "coverage", "fiber_dermatomes",
           "list_regions", "make_program", "pain_map", "paresthesia_map", "provenance",
           "recruitment_curve", "run_scs"]
