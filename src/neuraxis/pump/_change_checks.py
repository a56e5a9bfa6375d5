"""Checks of what changes at this visit: a concentration change (bridge bolus on a
programmable pump, the window of a constant-flow pump), a previous prescription
that a constant-flow pump cannot have delivered, and a priming bolus.

Private to :mod:`neuraxis.pump.checks`, which runs them with the other checks; the
numbers come from :mod:`neuraxis.pump.dosing` and :mod:`neuraxis.pump.changes`, and
every volume taken from a table value that is not verified says so in the
finding's message and source.

* ``bridge_bolus`` (refuse): a concentration change without a bridge bolus on a pump
  that can give one (REFERENCE 3.4).
* ``constant_flow_change`` (warn): a concentration change on a constant-flow pump:
  the previous dose continues for V_ds / q days; no bridge is possible (REFERENCE
  3.3, 3.4); what can be done, each option with its source.
* ``constant_flow_previous`` (refuse, not overridable): ``previous`` records a dose
  other than the fixed rate x the previous concentration.
* ``priming`` (warn): a priming bolus after a catheter revision or pump implant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neuraxis.pump.changes import CONSTANT_FLOW_DOSE_RTOL, constant_flow_dose_mg_per_day
from neuraxis.pump.dosing import mixture_change, priming
from neuraxis.pump.findings import Finding
from neuraxis.pump.tables import load_drug, load_pump

if TYPE_CHECKING:
    from neuraxis.pump.changes import DeadSpace
    from neuraxis.pump.prescription import Prescription

_BRIDGE_SOURCE = "REFERENCE 3.4 (bridge bolus: flag any concentration change without one)"
_CONSTANT_FLOW_SOURCE = ("REFERENCE 3.3 (constant-flow pumps change the dose only through the "
                         "concentration, at a refill)")


def _with_dead_space(source: str, ds: DeadSpace | None) -> str:
    """``source``, plus the dead space's own source when a part of it is not verified."""
    if ds is None or ds.verified:
        return source
    return f"{source}; dead space [unverified]: {ds.source}"


def bridge_findings(rx: Prescription) -> list[Finding]:
    """``bridge_bolus``: a concentration change without a bridge bolus (not constant-flow)."""
    change = mixture_change(rx)
    if change is None or change.constant_flow is not None or rx.procedure.bridge_bolus:
        return []
    parts = []
    withdrawal = False
    for d in change.changed_drugs():
        spec = load_drug(d)
        want, got = change.intended_mg_per_day[d], change.window_mg_per_day[d]
        share = f" ({100 * got / want:.0f} %)" if want > 0 else ""
        kind = "under-dose" if got < want else "over-dose"
        withdrawal |= d == "baclofen" and got < want
        parts.append(f"{spec.name.lower()} {spec.fmt(got, 'day')} instead of "
                     f"{spec.fmt(want, 'day')}{share}, {kind}")
    ds = change.dead_space
    what = "given" if ds is None else ds.source
    bridge = change.bridge
    fix = "" if bridge is None else (
        f" Program a bridge bolus of {bridge.bridge_volume_ml:.3g} mL at "
        f"{bridge.bridge_rate_ml_per_day:.4g} mL/day for {bridge.bridge_days:.3g} days and set "
        "procedure.bridge_bolus: true,")
    return [Finding(
        "bridge_bolus", "refuse",
        f"Concentration change without a bridge bolus: the old mixture in the "
        f"{change.dead_space_ml:.3g} mL dead space ({what}) runs at the new rate "
        f"{change.new_rate_ml_per_day:.4g} mL/day for {change.window_days:.3g} days, delivering "
        f"{'; '.join(parts)}" + (" - baclofen withdrawal can be fatal" if withdrawal else "")
        + f".{fix} or add an override for 'bridge_bolus' with a reason ({_BRIDGE_SOURCE})",
        _with_dead_space(_BRIDGE_SOURCE, ds), None, change.window_days, "days", rx.dose_drug)]


def constant_flow_findings(rx: Prescription) -> list[Finding]:
    """``constant_flow_previous`` and ``constant_flow_change`` (constant-flow pumps only)."""
    pump = load_pump(rx.pump.model)
    if pump.kind != "constant_flow":
        return []
    return [*_previous_dose(rx), *_concentration_change(rx)]


def _previous_dose(rx: Prescription) -> list[Finding]:
    prev = rx.previous
    if prev is None or prev.daily_volume_ml is None or rx.procedure.kind == "pump_implant":
        return []  # a new pump: the previous one may have run at another rate
    pump = load_pump(rx.pump.model)
    spec = load_drug(rx.dose_drug)
    q = rx.basal_daily_volume_ml
    conc = next(c.concentration_mg_per_ml for c in prev.mixture if c.drug == rx.dose_drug)
    recorded = prev.daily_volume_ml * conc
    implied = constant_flow_dose_mg_per_day(q, conc)
    if abs(recorded - implied) <= CONSTANT_FLOW_DOSE_RTOL * implied:
        return []
    source = f"{_CONSTANT_FLOW_SOURCE}; fixed rate: pump.flow_rate_ml_per_day (the pump's label)"
    return [Finding(
        "constant_flow_previous", "refuse",
        f"previous: the {pump.name} runs at its fixed {q:g} mL/day, so {spec.name.lower()} at "
        f"{spec.fmt(conc, 'mL')} delivered {spec.fmt(implied, 'day')}, not the recorded "
        f"{spec.fmt(recorded, 'day')} (that would take {prev.daily_volume_ml:.4g} mL/day). On a "
        "constant-flow pump the dose follows the concentration: correct the previous dose "
        f"to {spec.fmt(implied, 'day')}, or previous.mixture to the concentration that was in "
        "the pump (REFERENCE 3.3). A device fact: cannot be overridden",
        source, implied, recorded, "mg/day", rx.dose_drug)]


def _concentration_change(rx: Prescription) -> list[Finding]:
    change = mixture_change(rx)
    if change is None or change.constant_flow is None:
        return []
    cf = change.constant_flow
    pump = load_pump(rx.pump.model)
    q, ds = cf.flow_rate_ml_per_day, cf.dead_space
    parts = []
    for d in cf.changed_drugs():
        spec = load_drug(d)
        parts.append(f"{spec.name.lower()} {spec.fmt(cf.window_dose_mg_per_day[d], 'day')} "
                     f"({spec.fmt(cf.old_concentration_mg_per_ml[d], 'mL')} x {q:g} mL/day), "
                     f"then {spec.fmt(cf.new_dose_mg_per_day[d], 'day')}")
    bound = "" if ds.complete else "at least "
    ignored = " (procedure.bridge_bolus is ignored)" if rx.procedure.bridge_bolus else ""
    options = "; ".join(f"({i}) {o.text} ({o.cite()})" for i, o in enumerate(cf.options, 1))
    source = _with_dead_space(cf.options[0].source, ds)
    return [Finding(
        "constant_flow_change", "warn",
        f"Concentration change on the {pump.name} (fixed {q:g} mL/day): the new mixture "
        f"reaches the catheter tip only when the {ds.volume_ml:.3g} mL dead space ({ds.source}) "
        f"has run out, {bound}{cf.window_days:.3g} days after the refill. Until then the "
        f"previous dose continues: {'; '.join(parts)}. A constant-flow pump cannot give a "
        f"bridge bolus{ignored}. What can be done: {options}",
        source, None, cf.window_days, "days", rx.dose_drug)]


def priming_findings(rx: Prescription) -> list[Finding]:
    """``priming``: the priming bolus of a catheter revision or pump implant."""
    prime = priming(rx)
    if prime is None:
        return []
    source = "REFERENCE 3.4 (priming)"
    unverified = ""
    if not prime.volume_verified:
        source += f"; volumes [unverified]: {prime.volume_source}"
        unverified = f"; the volume is not verified: {prime.volume_source}"
    return [Finding(
        "priming", "warn",
        f"Priming bolus {prime.volume_ml:.3g} mL (tubing {prime.tubing_ml:.3g} + catheter "
        f"{prime.catheter_ml:.3g} mL{unverified}): at priming flow the drug mixes with water "
        "or CSF, so some arrives early and an under-dose window follows; start it under "
        "medical supervision (Medtronic priming-bolus labelling; REFERENCE 3.4)",
        source, None, prime.volume_ml, "mL")]
