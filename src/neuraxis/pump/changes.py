"""Dose changes: new rate for a percent change, concentration change with its bridge
bolus, the under- or over-dose window without one, priming bolus after a revision.

Formulas (REFERENCE 3.4; D dose/day, C concentration, q = D/C mL/day, V_ds the
dead space = pump tubing + catheter volume):

* after a concentration change the old drug left in the dead space runs at the new
  rate q_new = D/C_new, delivering D * C_old/C_new for V_ds/q_new days;
* a bridge bolus runs at q_old = D/C_old for V_ds/q_old days, so the old drug keeps
  delivering the intended dose until the new drug reaches the catheter tip;
* a priming bolus fills the empty tubing and catheter: V_tubing + V_catheter.

Pure functions on floats; volumes in mL, rates in mL/day, doses in mg/day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    """

    tubing_ml: float
    catheter_ml: float
    volume_ml: float
    drug_mg: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        """Plain dict with unit-suffixed keys."""
        return {"tubing_ml": self.tubing_ml, "catheter_ml": self.catheter_ml,
                "volume_ml": self.volume_ml, "drug_in_priming_volume_mg": dict(self.drug_mg)}


def priming_bolus(catheter_ml: float, tubing_ml: float = 0.0,
                  concentrations_mg_per_ml: dict[str, float] | None = None) -> PrimingBolus:
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
    """
    cat = float(check_positive("catheter_ml", catheter_ml, "mL"))
    tub = float(check_range("tubing_ml", tubing_ml, 0.0, None, "mL"))
    vol = cat + tub
    conc = concentrations_mg_per_ml or {}
    if any(not isinstance(v, (int, float)) or v < 0 for v in conc.values()):
        raise NeuraxisInputError("Invalid value for 'concentrations_mg_per_ml': expected "
                                 f"non-negative numbers (mg/mL), but got {conc!r}")
    return PrimingBolus(tub, cat, vol, {k: vol * float(v) for k, v in conc.items()})


def refill_discrepancy_ml(expected_residual_ml: float, measured_residual_ml: float) -> float:
    """Measured minus expected residual volume at a refill (mL; negative: less than expected)."""
    e = float(check_range("expected_residual_ml", expected_residual_ml, 0.0, None, "mL"))
    m = float(check_range("measured_residual_ml", measured_residual_ml, 0.0, None, "mL"))
    return m - e
