"""The scenario layer: the only place that reads scenario files.

``schema`` declares every key once (unit, default, range, help, source); ``load`` turns
YAML plus ``--set`` overrides into a frozen :class:`Scenario`. Everything below
(field, fibers, axons, perception) receives typed objects from it.
"""

from neuraxis.scenario.load import (
    Scenario,
    anatomy_from_section,
    apply_overrides,
    lead_from_section,
    load_scenario,
    parse_yaml,
    placement_from_section,
    program_from_section,
    read_scenario,
    scenario_from_dict,
)
from neuraxis.scenario.schema import SECTIONS, Key, keys, schema_markdown

__all__ = ["SECTIONS", "Key", "Scenario", "anatomy_from_section", "apply_overrides", "keys",
           "lead_from_section", "load_scenario", "parse_yaml", "placement_from_section",
           "program_from_section", "read_scenario", "scenario_from_dict",
           "schema_markdown"]
