"""Dose changes: new rate for a percent change, concentration change with its bridge
bolus, the under- or over-dose window without one, the same change on a constant-flow
pump, priming bolus after a revision.

Formulas (REFERENCE 3.4; D dose/day, C concentration, q = D/C mL/day, V_ds the
dead space = pump tubing + catheter volume):

* after a concentration change the old drug left in the dead space runs at the new
  rate q_new = D/C_new, delivering D * C_old/C_new for V_ds/q_new days;
* a bridge bolus runs at q_old = D/C_old for V_ds/q_old days, so the old drug keeps
  delivering the intended dose until the new drug reaches the catheter tip;
* a constant-flow pump runs at one fixed rate q (REFERENCE 3.3): the dose is q * C,
  so a new concentration is the only way to a new dose, and it starts only when the
  new drug reaches the catheter tip, V_ds/q days after the refill; until then the
  old dose q * C_old continues (no bridge bolus is possible);
* a priming bolus fills the empty tubing and catheter: V_tubing + V_catheter.

Pure functions on floats; volumes in mL, rates in mL/day, doses in mg/day. Where a
volume comes from a table value, :class:`DeadSpace` keeps its source and whether it
is verified, so that every output built on it can say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_positive, check_range


def rate_for_percent_change(rate_ml_per_day: float, percent: float) -> float:
    """New pump rate for a dose change of ``percent`` at an unchanged concentration.

    Parameters
    ----------
    rate_ml_per_day : float
        Current rate (mL/day), > 0.
    percent : float
        Dose change in percent (> -100); +20 raises the dose by a fifth.

    Returns
    -------
    float
        New rate (mL/day) = rate * (1 + percent/100).
    """
    rate = float(check_positive("rate_ml_per_day", rate_ml_per_day, "mL/day"))
    pct = float(check_range("percent", percent, -100.0, None, "%", low_inclusive=False))
    return rate * (1.0 + pct / 100.0)


def percent_change(old: float, new: float) -> float:
    """Change from ``old`` to ``new`` in percent of ``old`` (``old`` > 0)."""
    return (new / old - 1.0) * 100.0


@dataclass(frozen=True)
class ConcentrationChange:
    """What a concentration change does while the old drug clears the dead space.

    Attributes
    ----------
    dose_mg_per_day : float
        Intended daily dose D of the drug (mg/day).
    old_concentration_mg_per_ml, new_concentration_mg_per_ml : float
        C_old and C_new (mg/mL).
    dead_space_ml : float
        V_ds, old drug between the reservoir and the catheter tip (mL).
    new_rate_ml_per_day : float
        q_new = D / C_new (mL/day).
    window_days : float
        Without a bridge, the old drug runs at q_new for V_ds / q_new days.
    window_dose_mg_per_day : float
        Dose delivered during that window, D * C_old / C_new (mg/day).
    window_dose_fraction : float
        C_old / C_new: below 1 an under-dose, above 1 an over-dose.
    bridge_rate_ml_per_day : float
        Bridge bolus rate q_old = D / C_old (mL/day).
    bridge_days : float
        Bridge duration V_ds / q_old (days).
    """

    dose_mg_per_day: float
    old_concentration_mg_per_ml: float
    new_concentration_mg_per_ml: float
    dead_space_ml: float
    new_rate_ml_per_day: float
    window_days: float
    window_dose_mg_per_day: float
    window_dose_fraction: float
    bridge_rate_ml_per_day: float
    bridge_days: float

    @property
    def direction(self) -> str:
        """``'under-dose'``, ``'over-dose'`` or ``'none'`` during the window without a bridge."""
        if math.isclose(self.window_dose_fraction, 1.0):
            return "none"
        return "under-dose" if self.window_dose_fraction < 1.0 else "over-dose"

    @property
    def bridge_volume_ml(self) -> float:
        """Volume the bridge delivers: the dead space (mL)."""
        return self.dead_space_ml

    def to_dict(self) -> dict[str, float | str]:
        """Plain dict with unit-suffixed keys."""
        return {
            "dose_mg_per_day": self.dose_mg_per_day,
            "old_concentration_mg_per_ml": self.old_concentration_mg_per_ml,
            "new_concentration_mg_per_ml": self.new_concentration_mg_per_ml,
            "dead_space_ml": self.dead_space_ml,
            "new_rate_ml_per_day": self.new_rate_ml_per_day,
            "window_days": self.window_days,
            "window_dose_mg_per_day": self.window_dose_mg_per_day,
            "window_dose_percent": 100.0 * self.window_dose_fraction,
            "direction": self.direction,
            "bridge_rate_ml_per_day": self.bridge_rate_ml_per_day,
            "bridge_days": self.bridge_days,
            "bridge_volume_ml": self.bridge_volume_ml,
        }


def concentration_change(dose_mg_per_day: float, old_concentration_mg_per_ml: float,
                         new_concentration_mg_per_ml: float, dead_space_ml: float,
                         ) -> ConcentrationChange:
    """Window and bridge bolus of a change from C_old to C_new at the same daily dose.

    Parameters
    ----------
    dose_mg_per_day : float
        Intended daily dose D (mg/day), > 0.
    old_concentration_mg_per_ml, new_concentration_mg_per_ml : float
        Concentrations before and after (mg/mL), > 0.
    dead_space_ml : float
        Pump tubing + catheter volume holding the old drug (mL), > 0.

    Returns
    -------
    ConcentrationChange

    Examples
    --------
    10 -> 20 mg/mL, 0.25 mL dead space, 3 mg/day: 50 % dose for 1.7 days without a
    bridge; a bridge runs at 0.3 mL/day for 0.83 days.

    >>> c = concentration_change(3.0, 10.0, 20.0, 0.25)
    >>> round(c.window_days, 2), c.window_dose_fraction, round(c.bridge_days, 2)
    (1.67, 0.5, 0.83)
    """
    d = float(check_positive("dose_mg_per_day", dose_mg_per_day, "mg/day"))
    c_old = float(check_positive("old_concentration_mg_per_ml", old_concentration_mg_per_ml,
                                 "mg/mL"))
    c_new = float(check_positive("new_concentration_mg_per_ml", new_concentration_mg_per_ml,
                                 "mg/mL"))
    v_ds = float(check_positive("dead_space_ml", dead_space_ml, "mL"))
    q_new = d / c_new
    q_old = d / c_old
    return ConcentrationChange(
        dose_mg_per_day=d, old_concentration_mg_per_ml=c_old, new_concentration_mg_per_ml=c_new,
        dead_space_ml=v_ds, new_rate_ml_per_day=q_new, window_days=v_ds / q_new,
        window_dose_mg_per_day=d * c_old / c_new, window_dose_fraction=c_old / c_new,
        bridge_rate_ml_per_day=q_old, bridge_days=v_ds / q_old)


def dead_space_ml(tubing_volume_ml: float, catheter_volume_ml: float) -> float:
    """Volume between the reservoir and the catheter tip: tubing + catheter (mL)."""
    return float(check_range("tubing_volume_ml", tubing_volume_ml, 0.0, None, "mL")) + \
        float(check_positive("catheter_volume_ml", catheter_volume_ml, "mL"))


def catheter_volume_ml(inner_diameter_mm: float, length_cm: float) -> float:
    """Internal volume of a catheter, pi r^2 L (mL).

    Parameters
    ----------
    inner_diameter_mm : float
        Inner diameter (mm).
    length_cm : float
        Length (cm).

    Examples
    --------
    >>> round(catheter_volume_ml(0.53, 50.0), 2)
    0.11
    """
    r_cm = float(check_positive("inner_diameter_mm", inner_diameter_mm, "mm")) / 20.0
    return math.pi * r_cm**2 * float(check_positive("length_cm", length_cm, "cm"))


@dataclass(frozen=True)
class PrimingBolus:
    """Priming bolus after a catheter revision or a pump implant (volumes in mL).

    Attributes
    ----------
    tubing_ml, catheter_ml : float
        Empty pump tubing and empty catheter to fill.
    volume_ml : float
        Priming volume, tubing + catheter.
    drug_mg : dict[str, float]
        Drug (mg) contained in the priming volume, per drug of the mixture.
    volume_source : str
        Where the tubing and catheter volumes come from (``[unverified]`` marks a
        table value not confirmed in its source); ``''`` when given as numbers.
    volume_verified : bool
        Whether every volume it adds up was confirmed in its source.
    """

    tubing_ml: float
    catheter_ml: float
    volume_ml: float
    drug_mg: dict[str, float]
    volume_source: str = ""
    volume_verified: bool = True

    def to_dict(self) -> dict[str, object]:
        """Plain dict with unit-suffixed keys (and the volumes' source and flag)."""
        return {"tubing_ml": self.tubing_ml, "catheter_ml": self.catheter_ml,
                "volume_ml": self.volume_ml, "drug_in_priming_volume_mg": dict(self.drug_mg),
                "volume_source": self.volume_source, "volume_verified": self.volume_verified}


def priming_bolus(catheter_ml: float, tubing_ml: float = 0.0,
                  concentrations_mg_per_ml: dict[str, float] | None = None, *,
                  volume_source: str = "", volume_verified: bool = True) -> PrimingBolus:
    """Priming bolus = empty pump tubing + empty catheter (REFERENCE 3.4).

    After a catheter revision only the new (empty) catheter is primed; after a pump
    implant the pump tubing as well. The volume moves drug up to the catheter tip;
    at priming flow it mixes with water or CSF, so some drug arrives early and an
    under-dose window follows (Medtronic priming-bolus labelling).

    Parameters
    ----------
    catheter_ml : float
        Empty catheter volume (mL), > 0.
    tubing_ml : float
        Empty pump tubing volume (mL), >= 0.
    concentrations_mg_per_ml : dict | None
        ``{drug: mg/mL}`` of the mixture, to report the drug in the priming volume.
    volume_source : str
        Where the volumes come from, kept on the result (``[unverified]`` marked).
    volume_verified : bool
        Whether those volumes were confirmed in their source.
    """
    cat = float(check_positive("catheter_ml", catheter_ml, "mL"))
    tub = float(check_range("tubing_ml", tubing_ml, 0.0, None, "mL"))
    vol = cat + tub
    conc = concentrations_mg_per_ml or {}
    if any(not isinstance(v, (int, float)) or v < 0 for v in conc.values()):
        raise NeuraxisInputError("Invalid value for 'concentrations_mg_per_ml': expected "
                                 f"non-negative numbers (mg/mL), but got {conc!r}")
    return PrimingBolus(tub, cat, vol, {k: vol * float(v) for k, v in conc.items()},
                        volume_source, bool(volume_verified))


def refill_discrepancy_ml(expected_residual_ml: float, measured_residual_ml: float) -> float:
    """Measured minus expected residual volume at a refill (mL; negative: less than expected)."""
    e = float(check_range("expected_residual_ml", expected_residual_ml, 0.0, None, "mL"))
    m = float(check_range("measured_residual_ml", measured_residual_ml, 0.0, None, "mL"))
    return m - e


# --------------------------------------------------------------------------- dead space

@dataclass(frozen=True)
class DeadSpace:
    """The volume between the reservoir and the catheter tip, and where it comes from.

    Attributes
    ----------
    volume_ml : float
        Pump tubing + catheter (mL); the catheter alone when the tubing is unknown.
    source : str
        Its parts, each with its source (``[unverified]`` marks a table value not
        confirmed there); ``'given'`` for a number given directly.
    verified, complete : bool
        Every part known and confirmed; the tubing volume known (if not, the volume
        and every window computed from it are lower bounds).
    tubing_ml, catheter_ml : float | None
        The two parts (mL), where known.
    """

    volume_ml: float
    source: str = "given"
    verified: bool = True
    complete: bool = True
    tubing_ml: float | None = None
    catheter_ml: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with unit-suffixed keys."""
        return {"dead_space_ml": self.volume_ml, "tubing_ml": self.tubing_ml,
                "catheter_ml": self.catheter_ml, "source": self.source,
                "verified": self.verified, "complete": self.complete}


def _as_dead_space(dead_space: DeadSpace | float) -> DeadSpace:
    if isinstance(dead_space, DeadSpace):
        check_positive("dead_space.volume_ml", dead_space.volume_ml, "mL")
        return dead_space
    return DeadSpace(float(check_positive("dead_space_ml", dead_space, "mL")))


# --------------------------------------------------------------------------- constant flow

#: A recorded dose within this fraction of fixed rate x concentration is consistent.
CONSTANT_FLOW_DOSE_RTOL = 0.005

_REFERENCE_CONSTANT_FLOW = ("REFERENCE 3.3 (constant-flow pumps: no battery, the dose changes "
                            "only through the concentration)")
_REFERENCE_DEAD_SPACE = ("REFERENCE 3.4 (dead space = pump tubing + catheter volume; the old "
                         "drug clears it in V_ds / q)")


def constant_flow_dose_mg_per_day(flow_rate_ml_per_day: float,
                                  concentration_mg_per_ml: float) -> float:
    """Dose a constant-flow pump delivers: its fixed rate x the concentration (mg/day).

    Parameters
    ----------
    flow_rate_ml_per_day : float
        The pump's fixed rate, from its label (mL/day), > 0.
    concentration_mg_per_ml : float
        Concentration of the drug (mg/mL), >= 0.
    """
    q = float(check_positive("flow_rate_ml_per_day", flow_rate_ml_per_day, "mL/day"))
    c = float(check_range("concentration_mg_per_ml", concentration_mg_per_ml, 0.0, None,
                          "mg/mL"))
    return q * c


@dataclass(frozen=True)
class ChangeOption:
    """One thing a clinician can do about the window of a constant-flow concentration change.

    ``action`` is a short id (``'accept_window'``, ``'empty_reservoir'``,
    ``'aspirate_catheter'``), ``text`` what to do, ``source`` where it comes from,
    ``verified`` whether the source confirms it for this use (if not: check the
    pump's labelling first).
    """

    action: str
    text: str
    source: str
    verified: bool

    def cite(self) -> str:
        """The source, with ``[unverified]`` appended when not verified."""
        return self.source if self.verified else f"{self.source} [unverified]"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {"action": self.action, "text": self.text, "source": self.source,
                "verified": self.verified}


#: What can be done about the window, each with its source (docs/pump_constant_flow.md).
CONSTANT_FLOW_OPTIONS = (
    ChangeOption(
        "accept_window",
        "Accept the window: the previous dose continues until the new mixture reaches the "
        "catheter tip; plan a review for the day the window ends",
        f"{_REFERENCE_CONSTANT_FLOW}; {_REFERENCE_DEAD_SPACE}", True),
    ChangeOption(
        "empty_reservoir",
        "Empty the reservoir completely (withdraw and measure the residual) before filling, "
        "so that old mixture left in it does not dilute the new concentration; a volume "
        "that cannot be withdrawn may stay behind",
        "REFERENCE 3.4 (non-retrievable volume about 2.4 mL, pump not named)", False),
    ChangeOption(
        "aspirate_catheter",
        "Only where the pump's labelling provides an access port into the catheter and "
        "allows it: aspirate the old mixture from the catheter, which shortens the window "
        "to the pump's internal volume over the fixed rate. Never inject drug into the "
        "catheter or an access port to push the old mixture out (under- or overdose)",
        "Codman pump catheter REF 60-2914 instructions for use (never inject into the pump "
        "catheter: drug under- or overdose); Medtronic 8540 catheter access port kit "
        "instructions (do not inject through the access port to advance drug to the "
        "catheter tip); aspiration to clear the dead space was not found in a constant-flow "
        "pump's labelling", False),
)


def _concentrations(field: str, raw: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(raw, Mapping) or not raw:
        raise NeuraxisInputError(f"Invalid value for {field!r}: expected a mapping "
                                 f"{{drug: mg/mL}} with at least one drug, but got {raw!r}")
    return {str(k): float(check_range(f"{field}.{k}", v, 0.0, None, "mg/mL"))
            for k, v in raw.items()}


@dataclass(frozen=True)
class ConstantFlowChange:
    """A concentration change on a constant-flow pump: for V_ds / q days the previous
    dose q x C_old continues, then q x C_new starts (no bridge bolus is possible).

    Attributes
    ----------
    flow_rate_ml_per_day : float
        The pump's fixed rate q (mL/day).
    dead_space : DeadSpace
        V_ds with its source; when not complete, the window is a lower bound.
    window_days : float
        V_ds / q (days).
    old_concentration_mg_per_ml, new_concentration_mg_per_ml : dict[str, float]
        C_old and C_new per drug (mg/mL; 0 for a drug absent before or after).
    options : tuple of ChangeOption
        What the clinician can do, each with its source.
    """

    flow_rate_ml_per_day: float
    dead_space: DeadSpace
    window_days: float
    old_concentration_mg_per_ml: dict[str, float]
    new_concentration_mg_per_ml: dict[str, float]
    options: tuple[ChangeOption, ...] = CONSTANT_FLOW_OPTIONS

    @property
    def window_dose_mg_per_day(self) -> dict[str, float]:
        """Dose during the window, q x C_old, per drug (mg/day): the previous dose."""
        return {d: self.flow_rate_ml_per_day * c
                for d, c in self.old_concentration_mg_per_ml.items()}

    @property
    def new_dose_mg_per_day(self) -> dict[str, float]:
        """Dose after the window, q x C_new, per drug (mg/day)."""
        return {d: self.flow_rate_ml_per_day * c
                for d, c in self.new_concentration_mg_per_ml.items()}

    @property
    def window_drug_mg(self) -> dict[str, float]:
        """Old drug delivered during the window, V_ds x C_old, per drug (mg)."""
        v_ds = self.dead_space.volume_ml
        return {d: v_ds * c for d, c in self.old_concentration_mg_per_ml.items()}

    def changed_drugs(self) -> tuple[str, ...]:
        """Drugs whose dose changes when the window ends."""
        old, new = self.old_concentration_mg_per_ml, self.new_concentration_mg_per_ml
        return tuple(d for d in new if not math.isclose(old[d], new[d], rel_tol=1e-6))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with unit-suffixed keys, the dead space's source and the options."""
        return {"flow_rate_ml_per_day": self.flow_rate_ml_per_day,
                "dead_space_ml": self.dead_space.volume_ml,
                "dead_space_source": self.dead_space.source,
                "dead_space_verified": self.dead_space.verified,
                "dead_space_complete": self.dead_space.complete,
                "window_days": self.window_days,
                "window_is_lower_bound": not self.dead_space.complete,
                "old_concentration_mg_per_ml": dict(self.old_concentration_mg_per_ml),
                "new_concentration_mg_per_ml": dict(self.new_concentration_mg_per_ml),
                "window_dose_mg_per_day": self.window_dose_mg_per_day,
                "new_dose_mg_per_day": self.new_dose_mg_per_day,
                "window_drug_mg": self.window_drug_mg,
                "options": [o.to_dict() for o in self.options]}


def constant_flow_change(flow_rate_ml_per_day: float,
                         old_concentrations_mg_per_ml: Mapping[str, float],
                         new_concentrations_mg_per_ml: Mapping[str, float],
                         dead_space: DeadSpace | float) -> ConstantFlowChange:
    """Window and doses of a concentration change on a constant-flow pump.

    Parameters
    ----------
    flow_rate_ml_per_day : float
        The pump's fixed rate q, from its label (mL/day), > 0.
    old_concentrations_mg_per_ml, new_concentrations_mg_per_ml : mapping
        ``{drug: mg/mL}`` before and after the refill (>= 0); a drug missing on one
        side counts as 0 there.
    dead_space : DeadSpace | float
        Pump tubing + catheter volume (mL, > 0), or a :class:`DeadSpace` that keeps
        its source (see :func:`neuraxis.pump.dosing.dead_space`).

    Returns
    -------
    ConstantFlowChange

    Examples
    --------
    Morphine 8 -> 10 mg/mL on a 0.5 mL/day pump with a 0.3 mL dead space: 4 mg/day
    for 0.6 days (2.4 mg of old drug), then 5 mg/day.

    >>> c = constant_flow_change(0.5, {"morphine": 8.0}, {"morphine": 10.0}, 0.3)
    >>> round(c.window_days, 3), c.window_dose_mg_per_day, c.new_dose_mg_per_day
    (0.6, {'morphine': 4.0}, {'morphine': 5.0})
    >>> round(c.window_drug_mg["morphine"], 3)
    2.4
    """
    q = float(check_positive("flow_rate_ml_per_day", flow_rate_ml_per_day, "mL/day"))
    old = _concentrations("old_concentrations_mg_per_ml", old_concentrations_mg_per_ml)
    new = _concentrations("new_concentrations_mg_per_ml", new_concentrations_mg_per_ml)
    ds = _as_dead_space(dead_space)
    drugs = list(dict.fromkeys([*new, *old]))
    return ConstantFlowChange(
        flow_rate_ml_per_day=q, dead_space=ds, window_days=ds.volume_ml / q,
        old_concentration_mg_per_ml={d: old.get(d, 0.0) for d in drugs},
        new_concentration_mg_per_ml={d: new.get(d, 0.0) for d in drugs})
