"""The human data sets of the spread model, as model experiments, and the two fits.

Each ``*_experiment`` function sets the model up as the study was done (values and
readings from ``human_data`` in ``csf_transport.yaml``) and returns the quantity the
study measured, in the study's units and at its time points:

* :func:`kroin_1993_experiment` - continuous lumbar infusion of 111In-DTPA for 72 h;
  mean concentration over the T2 vertebral level / over T12 (Kroin et al. 1993).
  **Calibration** of the infusion mixing ratio (:func:`fit_infusion_mixing_ratio`).
* :func:`eisenach_2003_experiment` - lower-lumbar injection of morphine; time (min) of
  the peak concentration at the cephalad lumbar needle (Eisenach et al. 2003).
  **Calibration** of the bolus mixing ratio (:func:`fit_bolus_mixing_ratio`).
* :func:`chamberlain_1998_experiment` - lumbar injection of 111In-DTPA; time (min) the
  tracer appears at the thoracic, cervical and cisternal boundaries (Chamberlain 1998).
  **Held out** for validation.
* :func:`dyke_2020_experiment` - lumbar injection of gadolinium; time (h) of the peak
  concentration at the foramen magnum, the model's entry to the intracranial CSF
  (Dyke et al. 2020). **Held out** for validation.

The validation table (:mod:`neuraxis.validation.pump`) calls these functions; the fits
produced the table's ``infusion_mixing_ratio`` and ``bolus_mixing_ratio``.
"""

from __future__ import annotations

import math

import numpy as np

from neuraxis.pump.spread.geometry import (
    LEVELS,
    human_data,
    interspace_mm,
    load_canal_geometry,
    tracer_half_life_h,
)


def _injection_site(interspace: str) -> tuple[str, float]:
    """(tip_level, tip_offset_mm) of a needle at an interspace such as ``'L3-L4'``."""
    geo = load_canal_geometry()
    lower = interspace.partition("-")[2]
    i = LEVELS.index(lower)
    return lower, float(interspace_mm(interspace) - geo.center_mm[i])


def _lp_bolus(study: dict, *, half_life_h: float, duration_h: float, dt_s: float,
              bolus_mixing_ratio: float | None):
    from neuraxis.pump.spread.schedule import simulate_schedule

    level, offset = _injection_site(study["injection_interspace"])
    needle = human_data("chamberlain_1998")["needle_inner_diameter_mm"]
    return simulate_schedule(
        tip_level=level, tip_offset_mm=offset, target_segments=(), half_life_h=half_life_h,
        basal_dose_mg_per_day=0.0, basal_flow_ml_per_day=0.0, bolus_times_h=[0.0],
        bolus_doses_mg=[1.0], bolus_volumes_ml=[study["volume_ml"]],
        bolus_durations_min=[study["duration_s"] / 60.0], injector_inner_diameter_mm=needle,
        bolus_mixing_ratio=bolus_mixing_ratio, duration_h=duration_h, dt_s=dt_s,
        output_interval_h=dt_s / 3600.0)


def _peak_time(times: np.ndarray, c: np.ndarray) -> float:
    """Time of the maximum, refined by a parabola through the three samples around it."""
    i = int(np.argmax(c))
    if 0 < i < c.size - 1:
        y0, y1, y2 = c[i - 1], c[i], c[i + 1]
        denom = y0 - 2.0 * y1 + y2
        if denom < 0.0:
            return float(times[i] + 0.5 * (y0 - y2) / denom * (times[i + 1] - times[i]))
    return float(times[i])


def _crossing_time(times: np.ndarray, c: np.ndarray, level: float) -> float:
    """First time ``c`` reaches ``level`` (linear between outputs); nan if never."""
    above = np.flatnonzero(c >= level)
    if not above.size:
        return math.nan
    j = int(above[0])
    if j == 0:
        return float(times[0])
    frac = (level - c[j - 1]) / (c[j] - c[j - 1])
    return float(times[j - 1] + frac * (times[j] - times[j - 1]))


def kroin_1993_experiment(mixing_ratio: float | None = None) -> float:
    """Kroin et al. 1993: level-mean concentration at T2 / at T12 after 72 h of lumbar
    111In-DTPA infusion (the study: 0.43)."""
    from neuraxis.pump.spread.solver import simulate_spread

    study = human_data("kroin_1993")
    res = simulate_spread(tip_level=study["tip_level"], dose_mg_per_day=1.0,
                          flow_ml_per_day=study["flow_ml_per_day"],
                          half_life_h=tracer_half_life_h("indium_dtpa"),
                          duration_h=study["infusion_h"], dt_s=300.0,
                          output_interval_h=study["infusion_h"], mixing_ratio=mixing_ratio)
    means = res.level_concentration_ug_per_ml[-1]
    return float(means[LEVELS.index("T2")] / means[LEVELS.index("T12")])


def eisenach_2003_sampling_mm() -> tuple[float, float]:
    """(injection, cephalad needle) positions of the Eisenach et al. 2003 reading (mm)."""
    study = human_data("eisenach_2003")
    upper = study["injection_interspace"].partition("-")[0]
    i = LEVELS.index(upper) - int(study["sampling_distance_interspaces"])
    return (interspace_mm(study["injection_interspace"]),
            interspace_mm(f"{LEVELS[i]}-{LEVELS[i + 1]}"))


def eisenach_2003_experiment(bolus_mixing_ratio: float | None = None) -> float:
    """Eisenach et al. 2003: minutes from a lower-lumbar morphine injection to the peak
    concentration at the cephalad lumbar needle (the study: 57 +/- 12 min)."""
    from neuraxis.pump.spread.geometry import drug_half_life_h

    res = _lp_bolus(human_data("eisenach_2003"), half_life_h=drug_half_life_h("morphine"),
                    duration_h=4.0, dt_s=15.0, bolus_mixing_ratio=bolus_mixing_ratio)
    needle_mm = eisenach_2003_sampling_mm()[1]
    return 60.0 * _peak_time(res.times_h, res.concentration_at_mm(needle_mm))


#: Chamberlain 1998's regions and the canal position where each first appears (mm).
CHAMBERLAIN_BOUNDARIES = (("thoracic", "L1"), ("cervical", "T1"), ("cisterna", None))


def chamberlain_1998_experiment(bolus_mixing_ratio: float | None = None
                                ) -> dict[str, float]:
    """Chamberlain 1998: minutes from a lumbar 111In-DTPA injection to its appearance
    at the thoracic (T12/L1), cervical (C7/T1) and cisternal (foramen magnum) boundaries
    (the study: 22.5, 32.5, 37.5 min). Appearance: the concentration there reaches
    ``appearance_fraction_ratio`` of the injection site's just after the injection."""
    study = human_data("chamberlain_1998")
    res = _lp_bolus(study, half_life_h=tracer_half_life_h("indium_dtpa"), duration_h=3.0,
                    dt_s=15.0, bolus_mixing_ratio=bolus_mixing_ratio)
    geo = load_canal_geometry()
    end_inj = int(np.searchsorted(res.times_h, study["duration_s"] / 3600.0 - 1e-12))
    ref = float(res.concentration_ug_per_ml[end_inj].max())
    out = {}
    for region, level in CHAMBERLAIN_BOUNDARIES:
        pos = float(res.x_mm[0]) if level is None else float(geo.top_mm[LEVELS.index(level)])
        c = res.concentration_at_mm(pos)
        out[region] = 60.0 * _crossing_time(res.times_h, c,
                                            study["appearance_fraction_ratio"] * ref)
    return out


def dyke_2020_experiment(bolus_mixing_ratio: float | None = None) -> float:
    """Dyke et al. 2020: hours from a lumbar gadolinium injection to the peak
    concentration at the foramen magnum (the study: intracranial CSF peaked in 1-3 h)."""
    study = human_data("dyke_2020")
    res = _lp_bolus(study, half_life_h=study["tracer_half_life_h"], duration_h=11.0,
                    dt_s=60.0, bolus_mixing_ratio=bolus_mixing_ratio)
    return _peak_time(res.times_h, res.concentration_ug_per_ml[:, 0])


def _fit(func, target: float, lo: float, hi: float) -> float:
    from scipy.optimize import brentq

    return float(math.exp(brentq(lambda lk: func(math.exp(lk)) - target, math.log(lo),
                                 math.log(hi), xtol=1e-4)))


def fit_infusion_mixing_ratio() -> float:
    """The infusion mixing ratio that reproduces Kroin et al. 1993's T2/T12 = 0.43."""
    return _fit(kroin_1993_experiment, human_data("kroin_1993")["t2_to_t12_ratio"],
                1e-3, 1.0)


def fit_bolus_mixing_ratio() -> float:
    """The bolus mixing ratio that puts Eisenach et al. 2003's peak at 57 min."""
    return _fit(eisenach_2003_experiment, human_data("eisenach_2003")["morphine_peak_min"],
                0.02, 20.0)
