"""Validation rows of the intrathecal drug-spread model.

Analytic: the steady state of the 1-D transport equation in a uniform section without
drift (an exponential, ``docs/pump_spread.md``). Human data
(:mod:`neuraxis.pump.spread.calibration`): Kroin et al. 1993 (infusion) and Eisenach et
al. 2003 (bolus) are the data the two mixing ratios were fitted to (``calibration``);
Chamberlain 1998 and Dyke et al. 2020 (boluses) are held out (``validation``), and so
is Bernards 2006 (pigs), which no longer sets a parameter.
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
BERNARDS_DISAGREES = (
    "the dispersion is now fitted to human tracer data (Kroin 1993), which spread "
    "further than Bernards' anaesthetised, prone pigs with their smaller canal; the "
    "pig and human data disagree, and the model follows the human data")
#: Chamberlain 1998's appearance times are medians without a spread, read at a detection
#: threshold the study does not state (0.1 % instead of 1 % shortens the model's times
#: by about half): agreement within a factor of 2.
APPEARANCE_FACTOR = 2.0
CHAMBERLAIN_DISAGREES = (
    "the model's rostral transport slows in the thoracic canal; the study saw the tracer "
    "cross the thoracic canal (T12/L1 to C7/T1) in about 10 min. Sensitive to the "
    "Eisenach reading: with the needles 3 interspaces apart the fitted bolus ratio doubles "
    "and the model's times are 41 and 47 min (docs/pump_spread.md)")
DYKE_DISAGREES = (
    "the model has no intracranial compartment: the foramen magnum passes the infusate's "
    "outflow but no dispersive flux, so the concentration there keeps rising for hours")


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
        passed=bool(ok), role="validation", expected_failure=BERNARDS_DISAGREES)


def kroin_1993() -> ValidationRow:
    """Human infusion: T2/T12 tracer ratio after 72 h (the infusion mixing ratio's fit)."""
    from neuraxis.pump.spread.calibration import kroin_1993_experiment
    from neuraxis.pump.spread.geometry import human_data, oscillation_defaults

    study = human_data("kroin_1993")
    ratio = kroin_1993_experiment()
    ref = study["t2_to_t12_ratio"]
    return ValidationRow(
        area="pump", check_id="spread_kroin_1993_t2_t12",
        quantity="111In-DTPA level-mean concentration at T2 / at T12 after 72 h of lumbar "
                 "infusion (tip L2 read, 0.5 mL/day assumed, CSF t1/2 31.7 h)",
        source="Kroin, Ali, York & Penn 1993, Neurosurgery 33:226 (5 patients with pumps)",
        reference=f"{ref:.2f} (T2 = 43 % of T12, four patients)",
        model=f"{ratio:.3f} (infusion mixing ratio "
              f"{oscillation_defaults()['infusion_mixing_ratio']:g})",
        tolerance="+-0.01: the infusion mixing ratio is fitted to this value",
        passed=bool(abs(ratio - ref) <= 0.01), role="calibration")


def eisenach_2003() -> ValidationRow:
    """Human bolus: peak time at the cephalad lumbar needle (the bolus ratio's fit)."""
    from neuraxis.pump.spread.calibration import eisenach_2003_experiment
    from neuraxis.pump.spread.geometry import human_data, oscillation_defaults

    study = human_data("eisenach_2003")
    peak = eisenach_2003_experiment()
    ref, sd = study["morphine_peak_min"], study["morphine_peak_sd_min"]
    return ValidationRow(
        area="pump", check_id="spread_eisenach_2003_peak",
        quantity="minutes from a lower-lumbar morphine injection to its peak at the cephalad "
                 "lumbar needle (L3-L4 to L1-L2 read, 1 mL in 20 s assumed)",
        source="Eisenach, Hood, Curry & Shafer 2003, Anesthesiology 99:166 "
               "(8 healthy volunteers)",
        reference=f"{ref:g} +- {sd:g} min (mean +- SD)",
        model=f"{peak:.1f} min (bolus mixing ratio "
              f"{oscillation_defaults()['bolus_mixing_ratio']:g})",
        tolerance="+-1 min: the bolus mixing ratio is fitted to the mean",
        passed=bool(abs(peak - ref) <= 1.0), role="calibration")


def chamberlain_1998(times: dict[str, float], region: str) -> ValidationRow:
    """Held-out human bolus: appearance time of 111In-DTPA at one boundary."""
    from neuraxis.pump.spread.geometry import human_data

    study = human_data("chamberlain_1998")
    ref = study[f"{region}_appearance_min"]
    model = times[region]
    where = {"thoracic": "T12/L1", "cervical": "C7/T1", "cisterna": "the foramen magnum"}
    ok = bool(np.isfinite(model) and 1 / APPEARANCE_FACTOR <= model / ref <= APPEARANCE_FACTOR)
    return ValidationRow(
        area="pump", check_id=f"spread_chamberlain_1998_{region}",
        quantity=f"minutes from a lumbar 111In-DTPA injection to its appearance at "
                 f"{where[region]} (1 % of the injection site's concentration; L3-L4, "
                 "1 mL in 60 s assumed)",
        source="Chamberlain 1998, J Neurooncol 38:135 (normal radionuclide CSF flow "
               "studies)",
        reference=f"{ref:g} min (median)",
        model="not reached in 3 h" if not np.isfinite(model) else f"{model:.1f} min",
        tolerance=f"factor {APPEARANCE_FACTOR:g} (the scintigram's detection threshold is "
                  "not stated)",
        passed=ok, role="validation",
        expected_failure="" if region == "thoracic" else CHAMBERLAIN_DISAGREES)


def dyke_2020() -> ValidationRow:
    """Held-out human bolus: time of the intracranial peak after a lumbar injection."""
    from neuraxis.pump.spread.calibration import dyke_2020_experiment
    from neuraxis.pump.spread.geometry import human_data

    study = human_data("dyke_2020")
    lo, hi = study["intracranial_peak_earliest_h"], study["intracranial_peak_latest_h"]
    peak = dyke_2020_experiment()
    return ValidationRow(
        area="pump", check_id="spread_dyke_2020_intracranial_peak",
        quantity="hours from a lumbar gadolinium injection to the peak concentration at the "
                 "foramen magnum (the model's entry to the intracranial CSF)",
        source="Dyke, Xu, Verma, Voss & Chazen 2020, Clin Imaging 68:1 (8 healthy "
               "volunteers)",
        reference=f"{lo:g}-{hi:g} h",
        model=f"{peak:.1f} h" + (" (still rising at the end of the 11-h run)"
                                 if peak >= 10.99 else ""),
        tolerance="inside the reported range",
        passed=bool(lo <= peak <= hi), role="validation", expected_failure=DYKE_DISAGREES)


def rows() -> list[ValidationRow]:
    """Every pump row, in table order."""
    from neuraxis.pump.spread.calibration import chamberlain_1998_experiment

    out = [analytic_steady_state(d, tol) for d, tol in ANALYTIC_CASES.items()]
    out += [kroin_1993(), eisenach_2003()]
    times = chamberlain_1998_experiment()
    out += [chamberlain_1998(times, region) for region in ("thoracic", "cervical", "cisterna")]
    out.append(dyke_2020())
    out += [bernards_few_centimetres(drug) for drug in ("bupivacaine", "baclofen")]
    return out
