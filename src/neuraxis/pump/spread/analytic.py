"""Closed-form steady state of the spread model (REFERENCE 3.7), for validation.

Uniform CSF section, no drift, infinite canal: ``C = C0 exp(-|x - x_tip| / lambda)``.
"""

from __future__ import annotations

import math

import numpy as np

from neuraxis.pump.spread.geometry import S_PER_DAY, UG_PER_ML_PER_MG_PER_MM3


def analytic_steady_state(x_mm: np.ndarray, *, tip_mm: float, dose_mg_per_day: float,
                          area_mm2: float, d_eff_m2_per_s: float,
                          half_life_h: float) -> np.ndarray:
    """Steady state of the uniform-section, drift-free model on an infinite canal (ug/mL).

    ``C = C0 exp(-|x - x_tip| / lambda)``, ``lambda = sqrt(D_eff/k)``,
    ``C0 = mdot / (2 A sqrt(D_eff k))``, ``k = ln 2 / t1/2`` (REFERENCE 3.7).

    Parameters
    ----------
    x_mm : array-like
        Positions (mm).
    tip_mm : float
        Catheter tip (mm).
    dose_mg_per_day : float
        Dose rate mdot (mg/day).
    area_mm2 : float
        CSF cross-section A (mm^2).
    d_eff_m2_per_s : float
        Effective dispersion (m^2/s).
    half_life_h : float
        CSF clearance half-life (h).
    """
    k = math.log(2.0) / (half_life_h * 3600.0)
    d = d_eff_m2_per_s * 1e6
    lam = math.sqrt(d / k)
    c0 = (dose_mg_per_day / S_PER_DAY) / (2.0 * area_mm2 * math.sqrt(d * k))
    x = np.asarray(x_mm, dtype=float)
    return c0 * np.exp(-np.abs(x - tip_mm) / lam) * UG_PER_ML_PER_MG_PER_MM3


def analytic_half_width_cm(*, d_eff_m2_per_s: float, half_life_h: float) -> float:
    """Steady half-width to 10 % of peak without drift, lambda ln 10 (cm)."""
    k = math.log(2.0) / (half_life_h * 3600.0)
    return math.sqrt(d_eff_m2_per_s * 1e6 / k) * math.log(10.0) / 10.0
