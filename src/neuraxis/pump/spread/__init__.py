"""Intrathecal drug spread along the spinal canal: a 1D advection-dispersion-clearance model.

The drug leaves the catheter tip into the cerebrospinal fluid (CSF) of the spinal
subarachnoid space and spreads along the canal while it is cleared (REFERENCE 3.7)::

    d(A C)/dt + d(Q C)/dx = d/dx(A D(x) dC/dx) - k A C + mdot delta(x - x_tip)

with ``x`` the distance from the foramen magnum (mm, increasing caudally), ``A(x)`` the
CSF cross-section (``neuraxis/data/csf_transport.yaml``), ``Q`` the net volume flux
(infusate plus an optional drift), ``k = ln 2 / t1/2`` the clearance from the CSF
half-life, and ``mdot`` the dose rate. The dispersion follows the cardiac oscillation,
``D(x) = D_shear + kappa f (SV(x)/A(x))^2`` with the stroke volume SV fading from the
neck to the end of the sac (:mod:`~neuraxis.pump.spread.dispersion`); ``kappa`` is fitted
to human data: a slow infusion (Kroin et al. 1993) and, for a bolus, its own ratio
(Eisenach et al. 2003), weighted by how much the injection's jet stirs the CSF. A uniform
``d_eff_m2_per_s`` replaces the law (the analytic checks use it): the steady state is then
``C0 exp(-|x - x_tip| / lambda)``, ``lambda = sqrt(D/k)`` (:func:`analytic_steady_state`).

Numerics (``docs/pump_spread.md``): cell-centred finite volumes with the catheter tip at
a cell centre; dispersion-advection fluxes by exponential fitting (Scharfetter-Gummel);
Crank-Nicolson after four backward-Euler half steps (Rannacher), sparse LU; the mass
ledger closes to round-off: infused = in CSF + cleared + out through the foramen magnum.

Validation (``neuraxis validate pump``, ``docs/validation.md``): the analytic steady
state; the two fitted human data sets (calibration); held out, Chamberlain 1998's tracer
appearance times and Dyke et al. 2020's intracranial peak after lumbar boluses, and
Bernards 2006 (pigs) - the known disagreements are stated in the table.

Layout: :mod:`~neuraxis.pump.spread.geometry` (the canal, cord segments, the data
table), :mod:`~neuraxis.pump.spread.dispersion` (oscillatory mixing, injection spread),
:mod:`~neuraxis.pump.spread.model` (inputs and the finite-volume operator),
:mod:`~neuraxis.pump.spread.solver` (constant infusion, steady state),
:mod:`~neuraxis.pump.spread.schedule` (basal plus boluses vs basal alone),
:mod:`~neuraxis.pump.spread.results` (result objects, half-widths),
:mod:`~neuraxis.pump.spread.calibration` (the human experiments and fits),
:mod:`~neuraxis.pump.spread.analytic` (closed form). Figures:
:func:`neuraxis.viz.pump_spread.plot_spread`, :func:`neuraxis.viz.pump_spread.plot_schedule`.

Example
-------
>>> from neuraxis.pump.spread import simulate_schedule, simulate_spread
>>> res = simulate_spread(tip_level="T10", dose_mg_per_day=1.0, flow_ml_per_day=0.1,
...                       drug="morphine")
>>> round(float(res.half_width_rostral_cm[-1]))
23
>>> day = simulate_schedule(tip_level="T10", drug="morphine", target_segments=("T12",),
...                         basal_dose_mg_per_day=3.0, basal_flow_ml_per_day=0.15,
...                         bolus_times_h=[2.0], bolus_doses_mg=[0.2],
...                         bolus_volumes_ml=[0.01], bolus_durations_min=[10.0])
>>> t12 = day.to_dict()["targets"]["T12"]
>>> t12["peak_ug_per_ml"] > 2 * t12["basal_peak_ug_per_ml"]
True
"""

from neuraxis.pump.spread.analytic import analytic_half_width_cm, analytic_steady_state
from neuraxis.pump.spread.dispersion import (
    InjectionSpread,
    injection_spread,
    oscillatory_dispersion_m2_per_s,
    stroke_volume_ml,
)
from neuraxis.pump.spread.geometry import (
    LEVELS,
    SEGMENTS,
    CanalGeometry,
    drug_half_life_h,
    drug_names,
    injection_defaults,
    load_canal_geometry,
    oscillation_defaults,
    segment_position_mm,
    transport_defaults,
)
from neuraxis.pump.spread.model import SpreadParams
from neuraxis.pump.spread.results import (
    ScheduleSpread,
    SpreadProfile,
    SpreadResult,
    SteadySpread,
    spread_half_width_cm,
)
from neuraxis.pump.spread.schedule import simulate_schedule
from neuraxis.pump.spread.solver import simulate_spread, steady_state_spread

__all__ = [
    "LEVELS", "SEGMENTS", "CanalGeometry", "InjectionSpread", "ScheduleSpread", "SpreadParams",
    "SpreadProfile", "SpreadResult", "SteadySpread", "analytic_half_width_cm",
    "analytic_steady_state", "drug_half_life_h", "drug_names", "injection_defaults",
    "injection_spread", "load_canal_geometry", "oscillation_defaults",
    "oscillatory_dispersion_m2_per_s", "segment_position_mm", "simulate_schedule",
    "simulate_spread", "spread_half_width_cm", "steady_state_spread", "stroke_volume_ml",
    "transport_defaults",
]
