"""Validation rows of the intrathecal drug-spread model.

Analytic: the steady state of the 1-D transport equation in a uniform section without
drift (an exponential, ``docs/pump_spread.md``). Published: Bernards 2006 (pigs), the
data set the effective dispersion was chosen from, so its rows are ``calibration``.
"""

from __future__ import annotations

import numpy as np

from neuraxis.validation import ValidationRow

T_HALF_H = 1.5  # any clearance: the analytic rows hold for every half-life
AREA_MM2 = 100.0
#: D_eff (m^2/s) -> relative tolerance: 1 mm grid, >= 4 cells per decay length -> 1 %,
#: 2 cells (5e-10) -> 4 % (a kink inside the source cell).
ANALYTIC_CASES = {5e-10: 0.04, 3e-9: 0.01, 1e-8: 0.01, 1e-7: 0.01}
#: "A few centimetres" read as at most 5 cm either side of the tip.
FEW_CM = 5.0
BERNARDS_FLOWS_UL_PER_H = (20.0, 1000.0)
BERNARDS_SOURCE = ("Bernards 2006, Anesthesiology 105:169 (pigs; bupivacaine and baclofen, "
                   "20 or 1,000 uL/h for 8 h)")


def analytic_steady_state(d_eff_m2_per_s: float, tol: float) -> ValidationRow:
    """Steady state vs the exponential C0 exp(-|x| / lambda) on a 1 mm grid."""
    from neuraxis.pump.spread import analytic_steady_state as exact_profile
    from neuraxis.pump.spread import steady_state_spread

    res = steady_state_spread(tip_level="T7", dose_mg_per_day=1.0, flow_ml_per_day=0.0,
                              half_life_h=T_HALF_H, d_eff_m2_per_s=d_eff_m2_per_s,
                              area_mm2=AREA_MM2, grid_mm=1.0)
    exact = exact_profile(res.x_mm, tip_mm=res.tip_mm, dose_mg_per_day=1.0,
                          area_mm2=AREA_MM2, d_eff_m2_per_s=d_eff_m2_per_s,
                          half_life_h=T_HALF_H)
    dist = np.abs(res.x_mm - res.tip_mm)
    away = (dist > 0.5) & (dist <= 5 * res.params.decay_length_mm)
    err = float(np.max(np.abs(res.concentration_ug_per_ml[away] / exact[away] - 1)))
    peak = abs(res.peak_ug_per_ml / exact.max() - 1)
    worst = max(err, peak)
    return ValidationRow(
        area="pump", check_id=f"spread_analytic_steady_{d_eff_m2_per_s:.0e}",
        quantity=f"steady concentration profile, D_eff {d_eff_m2_per_s:.0e} m^2/s, "
                 f"t1/2 {T_HALF_H:g} h (max relative error to 5 decay lengths)",
        source="analytic: C0 exp(-|x - x_tip| / lambda), lambda = sqrt(D_eff / k)",
        reference="0", model=f"{worst * 100:.2f} %",
        tolerance=f"{tol * 100:g} % (1 mm grid, "
                  f"{res.params.decay_length_mm:.1f} mm decay length)",
        passed=bool(worst < tol), role="analytic")


def bernards_few_centimetres(drug: str) -> ValidationRow:
    """Share of the drug within 5 cm of the tip after 8 h at 20 and 1,000 uL/h."""
    from neuraxis.pump.spread import simulate_spread

    share, widths = [], []
    for rate in BERNARDS_FLOWS_UL_PER_H:
        res = simulate_spread(tip_level="L1", drug=drug, dose_mg_per_day=1.0,
                              flow_ml_per_day=rate * 24 / 1000, duration_h=8.0)
        share.append(res.fraction_within(FEW_CM))
        widths.append(max(res.half_width_rostral_cm[-1], res.half_width_caudal_cm[-1]))
    ok = min(share) > 0.5 and widths[0] < FEW_CM and widths[0] <= widths[1]
    return ValidationRow(
        area="pump", check_id=f"spread_bernards_2006_{drug}",
        quantity=f"{drug}: share of drug within {FEW_CM:g} cm of the tip after 8 h; "
                 "half-width to 10 % of peak (cm), 20 vs 1,000 uL/h",
        source=BERNARDS_SOURCE,
        reference="'most drug within a few centimetres', narrowest at 20 uL/h",
        model=f"{share[0] * 100:.0f} % / {share[1] * 100:.0f} %; "
              f"{widths[0]:.1f} / {widths[1]:.1f} cm",
        tolerance="> 50 % within 5 cm at both rates; 20 uL/h narrower, < 5 cm",
        passed=bool(ok), role="calibration")


def rows() -> list[ValidationRow]:
    """Every pump row, in table order."""
    out = [analytic_steady_state(d, tol) for d, tol in ANALYTIC_CASES.items()]
    out += [bernards_few_centimetres(drug) for drug in ("bupivacaine", "baclofen")]
    return out
