"""Quantities derived from a prescription: doses per drug, possible daily maxima,
stability limit, dead space, the effect of a concentration change, priming.

Shared by :mod:`neuraxis.pump.checks` (which judges them) and
:mod:`neuraxis.pump.plan` (which reports them). Drug amounts in mg, volumes in mL,
rates in mL/day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from neuraxis.pump.changes import (
    ConcentrationChange,
    ConstantFlowChange,
    DeadSpace,
    PrimingBolus,
    concentration_change,
    constant_flow_change,
    priming_bolus,
)
from neuraxis.pump.prescription import Component, Prescription
from neuraxis.pump.tables import (
    Sourced,
    load_catheter,
    load_drug,
    load_pump,
    mixture_stability,
)

#: Concentrations closer than this (relative) count as equal (e.g. to a vial strength).
_REL_EQ = 1e-6


def doses_mg_per_day(mixture: tuple[Component, ...], daily_volume_ml: float
                     ) -> dict[str, float]:
    """Daily dose of each drug for a daily volume: volume x concentration (mg/day)."""
    return {c.drug: daily_volume_ml * c.concentration_mg_per_ml for c in mixture}


def bolus_volume_per_day_ml(rx: Prescription) -> float:
    """Volume of all allowed boluses in 24 h, n_max x bolus volume (mL/day; 0 if none)."""
    return 0.0 if rx.bolus is None else rx.bolus.max_boluses_per_day * rx.bolus.volume_ml


def flow_tolerance_percent(rx: Prescription) -> Sourced | None:
    """The pump's flow-accuracy tolerance entry (percent), or ``None`` if unknown."""
    return load_pump(rx.pump.model).entry("flow_accuracy_tolerance_percent")


def daily_volume_periods(rx: Prescription, *, boluses: bool, tolerance: bool
                         ) -> tuple[tuple[dt.date, float], ...]:
    """Daily volume (mL/day) from each date on, for one scenario.

    Parameters
    ----------
    rx : Prescription
    boluses : bool
        Add every allowed bolus, each day.
    tolerance : bool
        Multiply by (1 + tolerance/100), the fastest flow the pump's accuracy allows.
    """
    extra = bolus_volume_per_day_ml(rx) if boluses else 0.0
    tol = flow_tolerance_percent(rx) if tolerance else None
    factor = 1.0 + (float(tol.value) / 100.0 if tol is not None else 0.0)
    return tuple((day, (v + extra) * factor) for day, v in rx.volume_timeline())


def max_possible_dose_mg_per_day(rx: Prescription) -> dict[str, tuple[float, dt.date]]:
    """Largest daily dose of each drug: basal at its highest step + all boluses.

    Returns
    -------
    dict
        ``{drug: (mg/day, date from which it is possible)}``.
    """
    extra = bolus_volume_per_day_ml(rx)
    day, vol = max(rx.volume_timeline(), key=lambda p: p[1])
    return {c.drug: ((vol + extra) * c.concentration_mg_per_ml, day) for c in rx.mixture}


def is_undiluted(rx: Prescription) -> bool:
    """A single drug from a vial at a vial strength (not compounded, not mixed)."""
    if len(rx.mixture) != 1 or rx.mixture[0].compounded:
        return False
    comp = rx.mixture[0]
    strengths = load_drug(comp.drug).value("strengths_mg_per_ml") or []
    return any(math.isclose(comp.concentration_mg_per_ml, float(s), rel_tol=_REL_EQ)
               for s in strengths)


@dataclass(frozen=True)
class Stability:
    """How long a fill may stay in the pump.

    Attributes
    ----------
    days : float | None
        The shortest known limit (days), ``None`` if none is known.
    source : str
        The entry that sets it (with its source).
    unknown : tuple of str
        Drugs of the mixture with no stability figure that no mixture entry covers.
    """

    days: float | None
    source: str
    unknown: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {"stability_days": self.days, "source": self.source,
                "unknown": list(self.unknown)}


def stability(rx: Prescription, *, first_fill: bool) -> Stability:
    """Stability limit of the mixture in the pump (days), from the drug table.

    Per drug: the first-fill limit for a first fill (ziconotide 14 d), else the
    undiluted or diluted limit where the table has one, else ``stability_days``. A
    mixture with an entry of its own (e.g. morphine + clonidine 90 d) adds that limit
    and covers its drugs. The result is the shortest limit.
    """
    undiluted = is_undiluted(rx)
    limits: list[tuple[float, str]] = []
    unknown: list[str] = []
    for comp in rx.mixture:
        spec = load_drug(comp.drug)
        keys = (["stability_first_fill_days"] if first_fill else []) + \
            (["stability_undiluted_days"] if undiluted else ["stability_diluted_days"]) + \
            ["stability_days"]
        entry = next((e for k in keys if (e := spec.entry(k)) is not None), None)
        if entry is None:
            unknown.append(comp.drug)
        else:
            limits.append((float(entry.value), entry.cite()))
    if len(rx.mixture) > 1:
        mix = mixture_stability(rx.drugs)
        if mix is not None and mix.value is not None:
            limits.append((float(mix.value), f"mixture: {mix.cite()}"))
            unknown = []
    if not limits:
        return Stability(None, "", tuple(unknown))
    days, source = min(limits)
    return Stability(days, source, tuple(unknown))


def dead_space_ml(rx: Prescription) -> float | None:
    """Pump tubing + catheter volume (mL); ``None`` if the tubing volume is unknown."""
    ds = dead_space(rx)
    return ds.volume_ml if ds.complete else None


def _catheter_part(rx: Prescription, length_cm: float | None = None) -> tuple[float, str, bool]:
    """Volume (mL) of ``length_cm`` of the catheter (default: all of it), its source, flag."""
    cat = rx.catheter
    length = cat.length_cm if length_cm is None else length_cm
    if cat.volume_given:
        return (cat.volume_ml * length / cat.length_cm,
                f"catheter {cat.volume_ml * length / cat.length_cm:.3g} mL (from "
                "catheter.volume_ml, given)", True)
    spec = load_catheter(cat.model)
    bore = spec.entries["inner_diameter_mm"]
    vol = spec.volume_ml_per_cm * length
    return (vol, f"catheter {vol:.3g} mL ({length:g} cm x {spec.volume_ml_per_cm:.4g} mL/cm, "
                 f"{bore.value:g} mm bore: {bore.cite()})", bore.verified)


def _tubing_part(rx: Prescription) -> tuple[float | None, str, bool]:
    """Pump tubing volume (mL, ``None`` if unknown), its source, flag."""
    entry = load_pump(rx.pump.model).entries.get("tubing_volume_ml")
    if entry is None or entry.value is None:
        why = entry.source if entry is not None else "no tubing_volume_ml in pumps.yaml"
        return None, f"pump tubing not included, volume unknown ({why})", False
    return (float(entry.value), f"pump tubing {float(entry.value):.3g} mL ({entry.cite()})",
            entry.verified)


def dead_space(rx: Prescription) -> DeadSpace:
    """Pump tubing + catheter volume of this prescription, with the source of each part.

    The catheter part is ``catheter.volume_ml`` when given, else pi r^2 L from the
    catheter table. An unknown tubing volume (``null`` in ``pumps.yaml``) leaves the
    catheter alone, marked incomplete (a lower bound); a placeholder tubing volume
    is marked unverified.
    """
    tub, tub_src, tub_ok = _tubing_part(rx)
    cat, cat_src, cat_ok = _catheter_part(rx)
    return DeadSpace((tub or 0.0) + cat, f"{tub_src} + {cat_src}",
                     tub is not None and tub_ok and cat_ok, tub is not None, tub, cat)


def previous_doses_mg_per_day(rx: Prescription) -> dict[str, float] | None:
    """Basal dose of each drug before this fill (mg/day), ``None`` if not known.

    On a constant-flow pump that stays in place (a refill or a catheter revision) the
    previous dose is the fixed rate x the previous concentration, whatever was
    recorded (:mod:`neuraxis.pump.checks` refuses a record that differs); otherwise
    it is ``previous.dose`` at ``previous.mixture``.
    """
    prev = rx.previous
    if prev is None:
        return None
    if load_pump(rx.pump.model).kind == "constant_flow" and rx.procedure.kind != "pump_implant":
        return doses_mg_per_day(prev.mixture, rx.basal_daily_volume_ml)
    if prev.daily_volume_ml is None:
        return None
    return doses_mg_per_day(prev.mixture, prev.daily_volume_ml)


@dataclass(frozen=True)
class MixtureChange:
    """A concentration change at this fill, while the old mixture clears the dead space.

    Attributes
    ----------
    dead_space_ml : float
        Old mixture between the reservoir and the catheter tip (mL).
    new_rate_ml_per_day : float
        Basal rate of the new prescription (mL/day; a flex schedule's daily mean).
    window_days : float
        Time the old mixture takes to clear at that rate, V_ds / q_new (days).
    intended_mg_per_day, window_mg_per_day : dict
        Per drug: the intended dose (q_new x C_new) and the dose during the window
        without a bridge (q_new x C_old).
    bridge : ConcentrationChange | None
        Bridge bolus for the dose drug (``None`` if it is new in this mixture, or on
        a constant-flow pump, which cannot give one).
    dead_space : DeadSpace | None
        The dead space with the source of each part (unverified parts marked).
    constant_flow : ConstantFlowChange | None
        On a constant-flow pump: the window at the fixed rate, the doses and what
        can be done (``None`` on other pumps).
    """

    dead_space_ml: float
    new_rate_ml_per_day: float
    window_days: float
    intended_mg_per_day: dict[str, float]
    window_mg_per_day: dict[str, float]
    bridge: ConcentrationChange | None
    dead_space: DeadSpace | None = None
    constant_flow: ConstantFlowChange | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output (the bridge as :meth:`ConcentrationChange.to_dict`,
        the constant-flow procedure as :meth:`ConstantFlowChange.to_dict`)."""
        ds = self.dead_space
        return {"dead_space_ml": self.dead_space_ml, "window_days": self.window_days,
                "dead_space_source": "given" if ds is None else ds.source,
                "dead_space_verified": True if ds is None else ds.verified,
                "dead_space_complete": True if ds is None else ds.complete,
                "intended_mg_per_day": dict(self.intended_mg_per_day),
                "window_mg_per_day": dict(self.window_mg_per_day),
                "bridge": None if self.bridge is None else self.bridge.to_dict(),
                "constant_flow": None if self.constant_flow is None
                else self.constant_flow.to_dict()}

    def changed_drugs(self) -> tuple[str, ...]:
        """Drugs whose dose during the window differs from the intended dose."""
        return tuple(d for d in self.intended_mg_per_day if not math.isclose(
            self.intended_mg_per_day[d], self.window_mg_per_day[d], rel_tol=_REL_EQ))


def mixture_change(rx: Prescription) -> MixtureChange | None:
    """The concentration change of this refill, or ``None`` if the mixture is unchanged.

    Only for ``procedure.kind: refill`` with a ``previous.mixture``; after a catheter
    revision or pump implant the catheter is primed instead. Raises nothing: an
    unknown tubing volume makes the dead space the catheter volume alone (marked
    incomplete). On a constant-flow pump the rate is the fixed rate, there is no
    bridge, and ``constant_flow`` holds the window, the doses and the options.
    """
    if rx.previous is None or rx.procedure.kind != "refill":
        return None
    old = {c.drug: c.concentration_mg_per_ml for c in rx.previous.mixture}
    new = {c.drug: c.concentration_mg_per_ml for c in rx.mixture}
    drugs = list(dict.fromkeys([*new, *old]))
    if all(math.isclose(old.get(d, 0.0), new.get(d, 0.0), rel_tol=_REL_EQ) for d in drugs):
        return None
    ds = dead_space(rx)
    v_ds = ds.volume_ml
    q_new = rx.basal_daily_volume_ml
    bridge = constant = None
    if load_pump(rx.pump.model).kind == "constant_flow":
        constant = constant_flow_change(q_new, old, new, ds)
    elif rx.dose_drug in old:
        bridge = concentration_change(q_new * new[rx.dose_drug], old[rx.dose_drug],
                                      new[rx.dose_drug], v_ds)
    return MixtureChange(
        dead_space_ml=v_ds, new_rate_ml_per_day=q_new, window_days=v_ds / q_new,
        intended_mg_per_day={d: q_new * new.get(d, 0.0) for d in drugs},
        window_mg_per_day={d: q_new * old.get(d, 0.0) for d in drugs}, bridge=bridge,
        dead_space=ds, constant_flow=constant)


def priming(rx: Prescription) -> PrimingBolus | None:
    """Priming bolus of a catheter revision or pump implant, else ``None``.

    A catheter revision fills the empty catheter (``empty_catheter_length_cm``, by
    default its whole length); a pump implant also fills the pump tubing.
    """
    kind = rx.procedure.kind
    if kind == "refill":
        return None
    length = rx.procedure.empty_catheter_length_cm or rx.catheter.length_cm
    catheter_ml, source, verified = _catheter_part(rx, length)
    tubing = 0.0
    if kind == "pump_implant":
        tub, tub_src, tub_ok = _tubing_part(rx)
        tubing, source = tub or 0.0, f"{tub_src} + {source}"
        verified = verified and tub is not None and tub_ok
    return priming_bolus(catheter_ml, tubing,
                         {c.drug: c.concentration_mg_per_ml for c in rx.mixture},
                         volume_source=source, volume_verified=verified)


def extra_volume_at_fill_ml(rx: Prescription) -> float:
    """Reservoir volume used at the fill beyond the basal rate (mL).

    A priming bolus draws its whole volume from the reservoir; a programmed bridge
    bolus runs the dead space at q_old instead of q_new for V_ds / q_old days, using
    V_ds x (1 - C_old / C_new) more (less, if the concentration falls).
    """
    extra = 0.0
    prime = priming(rx)
    if prime is not None:
        extra += prime.volume_ml
    change = mixture_change(rx)
    if change is not None and change.bridge is not None and rx.procedure.bridge_bolus:
        b = change.bridge
        extra += b.bridge_volume_ml - b.new_rate_ml_per_day * b.bridge_days
    return extra


def valve_interval_min(rate_ml_per_day: float, accumulator_volume_ml: float) -> float:
    """Minutes between valve strokes of a valve-gated pump, 1440 / (q / V_acc).

    Parameters
    ----------
    rate_ml_per_day : float
        Flow (mL/day), > 0.
    accumulator_volume_ml : float
        Volume per stroke (mL).

    Examples
    --------
    0.5 mg/day at 20 mg/mL with a 0.0025 mL accumulator: a stroke every 144 min.

    >>> round(valve_interval_min(0.5 / 20, 0.0025), 6)
    144.0
    """
    return 1440.0 / (rate_ml_per_day / accumulator_volume_ml)
