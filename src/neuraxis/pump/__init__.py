"""Intrathecal drug delivery: prescriptions, pump refill planning, safety checks, CSF spread.

Public API
----------
load_prescription, prescription_from_dict (``pump.io``), Prescription : read and
    validate a prescription (pump, catheter and tip level, mixture, basal schedule,
    boluses, titration, previous prescription, procedure); format in ``docs/pump.md``.
plan_prescription, PumpPlan : daily volume and doses, days to the low-reservoir alarm
    (nominal, all boluses, worst case), refill date and volume, refill calendar;
    refuses a prescription with an unresolved refusal (``PrescriptionRefusedError``,
    whose ``to_dict()`` is its JSON).
refill_calendar, RefillEvent, refill_calendar_ics (``pump.calendar``), WorkingCalendar
    (``rx.working_calendar``) : refill dates moved onto working days (weekends,
    holidays), and the iCalendar text.
check_prescription, review_prescription, Finding, PrescriptionRefusedError : the
    safety checks (refuse or warn, each naming its limit and source) and overrides.
rate_for_percent_change, concentration_change, priming_bolus, catheter_volume_ml :
    dose changes, bridge bolus and under/over-dose window, priming after a revision.
constant_flow_change, ConstantFlowChange, DeadSpace : a concentration change on a
    constant-flow pump (the old dose continues for V_ds / q days; no bridge possible)
    and the dead space with the source of each part (``docs/pump_constant_flow.md``).
convert_morphine : direction-aware oral/IV/epidural/intrathecal morphine conversion.
load_drug, load_pump, load_catheter, drug_names, pump_names, catheter_names : the
    data tables ``drugs.yaml`` and ``pumps.yaml`` (every value with its source).
simulate_spread, steady_state_spread, SpreadResult, SteadySpread : drug spread in the
    spinal CSF from the catheter tip (1D advection-dispersion-clearance; data in
    ``csf_transport.yaml``; ``docs/pump_spread.md``; subpackage ``pump.spread``).
    Figure: :func:`neuraxis.viz.pump_spread.plot_spread`.

Imports flow one way: tables -> prescription (dataclasses) -> findings, dosing,
changes -> checks, calendar -> plan; ``io`` reads the file and builds the prescription. No
submodule imports this package's ``__init__``.

Drug amounts are in mg throughout (ug-dosed drugs too; keys say ``_mg``), volumes in
mL, rates in mL/day. Importing this package loads NumPy only (PyYAML, SciPy and
matplotlib load when used).
"""

from neuraxis.pump.calendar import RefillEvent, refill_calendar, refill_calendar_ics
from neuraxis.pump.changes import (
    ConcentrationChange,
    ConstantFlowChange,
    DeadSpace,
    PrimingBolus,
    catheter_volume_ml,
    concentration_change,
    constant_flow_change,
    priming_bolus,
    rate_for_percent_change,
)
from neuraxis.pump.checks import check_prescription, review_prescription
from neuraxis.pump.conversions import OpioidConversion, convert_morphine
from neuraxis.pump.findings import CHECK_IDS, Finding, PrescriptionRefusedError
from neuraxis.pump.io import load_prescription, prescription_from_dict
from neuraxis.pump.plan import PumpPlan, plan_prescription
from neuraxis.pump.prescription import VERTEBRAL_LEVELS, Prescription, WorkingCalendar
from neuraxis.pump.spread import (
    SpreadResult,
    SteadySpread,
    simulate_spread,
    steady_state_spread,
)
from neuraxis.pump.tables import (
    catheter_names,
    drug_names,
    load_catheter,
    load_drug,
    load_pump,
    pump_names,
)

__all__ = [
    "CHECK_IDS", "VERTEBRAL_LEVELS", "ConcentrationChange", "ConstantFlowChange", "DeadSpace",
    "Finding", "OpioidConversion", "Prescription", "PrescriptionRefusedError", "PrimingBolus",
    "PumpPlan", "RefillEvent", "SpreadResult", "SteadySpread", "WorkingCalendar",
    "simulate_spread", "steady_state_spread",
    "catheter_names", "catheter_volume_ml", "check_prescription", "concentration_change",
    "constant_flow_change", "convert_morphine", "drug_names", "load_catheter", "load_drug",
    "load_prescription", "load_pump", "plan_prescription", "prescription_from_dict",
    "priming_bolus", "pump_names", "rate_for_percent_change", "refill_calendar",
    "refill_calendar_ics", "review_prescription",
]
