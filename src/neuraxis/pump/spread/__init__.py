"""Intrathecal drug spread along the spinal canal: a 1D advection-dispersion-clearance model.

The drug leaves the catheter tip into the cerebrospinal fluid (CSF) of the spinal
subarachnoid space and spreads along the canal while it is cleared (REFERENCE 3.7)::

    d(A C)/dt + d(Q C)/dx = d/dx(A D_eff dC/dx) - k A C + mdot delta(x - x_tip)

with ``x`` the distance from the foramen magnum (mm, increasing caudally), ``A(x)`` the
CSF cross-section (``neuraxis/data/csf_transport.yaml``), ``D_eff`` the effective
dispersion of the pulsating CSF, ``Q`` the net volume flux (infusate plus an optional
drift), ``k = ln 2 / t1/2`` the clearance from the CSF half-life, and ``mdot`` the dose
rate. Without drift and with a uniform section the steady state is the exponential
``C = C0 exp(-|x - x_tip| / lambda)``, ``lambda = sqrt(D_eff / k)``,
``C0 = mdot / (2 A sqrt(D_eff k))`` (:func:`analytic_steady_state`).

Numerics (``docs/pump_spread.md``): cell-centred finite volumes with the catheter tip at
a cell centre; dispersion-advection fluxes by exponential fitting (Scharfetter-Gummel,
exact for steady 1D advection-dispersion, monotone for any cell Peclet number);
Crank-Nicolson in time after four backward-Euler half steps (Rannacher start-up), one
sparse LU factorisation per run; unconditionally stable. The scheme conserves mass
exactly: infused = in CSF + cleared + flowed out through the foramen magnum.

Validation (``tests/validation/test_pump_spread_validation.py``): the analytic steady
state, the half-widths of REFERENCE 3.7, and Bernards 2006 (Anesthesiology 105:169, pigs):
"drug concentration in CSF and spinal cord decreased rapidly as a function of distance
from the site of administration, with most drug found within a few centimeters".

Layout: :mod:`~neuraxis.pump.spread.geometry` (the canal and the data table),
:mod:`~neuraxis.pump.spread.model` (inputs and the finite-volume operator),
:mod:`~neuraxis.pump.spread.solver` (time course, steady state),
:mod:`~neuraxis.pump.spread.results` (result objects, half-widths),
:mod:`~neuraxis.pump.spread.analytic` (closed form). The figure is
:func:`neuraxis.viz.pump_spread.plot_spread`.

Example
-------
>>> from neuraxis.pump.spread import simulate_spread
>>> res = simulate_spread(tip_level="T10", dose_mg_per_day=1.0, flow_ml_per_day=0.1,
...                       drug="morphine")
>>> round(float(res.half_width_rostral_cm[-1]), 1)
2.9
"""

from neuraxis.pump.spread.analytic import analytic_half_width_cm, analytic_steady_state
from neuraxis.pump.spread.geometry import (
    LEVELS,
    CanalGeometry,
    drug_half_life_h,
    drug_names,
    load_canal_geometry,
    transport_defaults,
)
from neuraxis.pump.spread.model import SpreadParams
from neuraxis.pump.spread.results import (
    SpreadProfile,
    SpreadResult,
    SteadySpread,
    spread_half_width_cm,
)
from neuraxis.pump.spread.solver import simulate_spread, steady_state_spread

__all__ = [
    "LEVELS", "CanalGeometry", "SpreadParams", "SpreadProfile", "SpreadResult", "SteadySpread",
    "analytic_half_width_cm", "analytic_steady_state", "drug_half_life_h", "drug_names",
    "load_canal_geometry", "simulate_spread", "spread_half_width_cm", "steady_state_spread",
    "transport_defaults",
]
