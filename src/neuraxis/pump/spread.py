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

Example
-------
>>> from neuraxis.pump.spread import simulate_spread
>>> res = simulate_spread(tip_level="T10", dose_mg_per_day=1.0, flow_ml_per_day=0.1,
...                       drug="morphine")
>>> round(float(res.half_width_rostral_cm[-1]), 1)
2.9
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from neuraxis._logging import logger, use_log_level
from neuraxis._validate import (
    NeuraxisInputError,
    check_option,
    check_positive,
    check_range,
)

#: Vertebral levels of the table, rostral to caudal.
LEVELS = tuple([f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
               + [f"L{i}" for i in range(1, 6)] + ["S1", "S2"])

_TABLE = "csf_transport.yaml"
_MM3_PER_ML = 1000.0
_S_PER_DAY = 86400.0
_UG_PER_ML_PER_MG_PER_MM3 = 1e6  # 1 mg/mm^3 = 1e3 mg/mL = 1e6 ug/mL
_FRACTION = 0.1  # half-width to 10 % of peak
# At 1.5 cells per decay length the discrete steady decay length is within 2 % and the
# peak within 6 % of the analytic ones (second-order scheme; docs/pump_spread.md).
_CELLS_PER_DECAY_LENGTH = 1.5


# --------------------------------------------------------------------------- data table


@dataclass(frozen=True)
class CanalGeometry:
    """The spinal subarachnoid space by vertebral level (from the data table).

    Attributes
    ----------
    levels : tuple of str
        ``'C1'`` ... ``'S2'``, rostral to caudal.
    top_mm, length_mm : numpy.ndarray
        Rostral boundary of each level (mm from the foramen magnum) and its length (mm).
    area_mm2 : numpy.ndarray
        CSF cross-section of each level (mm^2), taken at the level's centre.
    """

    levels: tuple[str, ...]
    top_mm: np.ndarray
    length_mm: np.ndarray
    area_mm2: np.ndarray

    @property
    def end_mm(self) -> float:
        """Caudal end of the dural sac (lower border of S2), mm from the foramen magnum."""
        return float(self.top_mm[-1] + self.length_mm[-1])

    @property
    def center_mm(self) -> np.ndarray:
        """Centre of each level (mm)."""
        return self.top_mm + 0.5 * self.length_mm

    @property
    def boundaries_mm(self) -> np.ndarray:
        """Level boundaries (mm), ``len(levels) + 1`` values from 0 to :attr:`end_mm`."""
        return np.append(self.top_mm, self.end_mm)

    @property
    def volume_ml(self) -> float:
        """Spinal CSF volume of the table, sum of area x length (mL)."""
        return float(np.sum(self.area_mm2 * self.length_mm) / _MM3_PER_ML)

    def area_at(self, x_mm: np.ndarray) -> np.ndarray:
        """CSF cross-section (mm^2): linear between level centres, constant beyond the ends."""
        return np.interp(np.asarray(x_mm, dtype=float), self.center_mm, self.area_mm2)

    def level_index(self, x_mm: np.ndarray) -> np.ndarray:
        """Index into :attr:`levels` of the level containing each position."""
        idx = np.searchsorted(self.top_mm, np.asarray(x_mm, dtype=float), side="right") - 1
        return np.clip(idx, 0, len(self.levels) - 1)


def _table() -> dict:
    from neuraxis.anatomy.tables import read_table

    return read_table(_TABLE)


@cache
def load_canal_geometry() -> CanalGeometry:
    """The canal geometry of ``neuraxis/data/csf_transport.yaml`` (checked for contiguity)."""
    levels = _table()["levels"]
    if tuple(levels) != LEVELS:
        raise RuntimeError(f"{_TABLE}: levels must be {LEVELS}, got {tuple(levels)}")
    top = np.array([levels[n]["top_mm"]["value"] for n in LEVELS], dtype=float)
    length = np.array([levels[n]["length_mm"]["value"] for n in LEVELS], dtype=float)
    area = np.array([levels[n]["area_mm2"]["value"] for n in LEVELS], dtype=float)
    if abs(top[0]) > 1e-9 or np.any(np.abs(top[1:] - (top[:-1] + length[:-1])) > 0.01):
        raise RuntimeError(f"{_TABLE}: levels are not contiguous from the foramen magnum")
    for arr in (top, length, area):
        arr.setflags(write=False)
    return CanalGeometry(LEVELS, top, length, area)


def transport_defaults() -> dict[str, float]:
    """Transport values of the data table, ``{key_with_unit: value}``.

    Keys: ``molecular_diffusivity_m2_per_s``, ``shear_dispersion_ratio``,
    ``d_eff_m2_per_s`` (default effective dispersion), ``steady_streaming_velocity_um_per_s``,
    ``drift_um_per_s`` (default net drift, positive rostral).
    """
    return {k: float(v["value"]) for k, v in _table()["transport"].items()}


def drug_names() -> tuple[str, ...]:
    """Drugs with a CSF half-life in the data table."""
    return tuple(_table()["drugs"])


def drug_half_life_h(drug: str) -> float:
    """CSF clearance half-life of a drug (h), from the data table.

    Parameters
    ----------
    drug : str
        One of :func:`drug_names` (case-insensitive), e.g. ``'morphine'``.
    """
    names = drug_names()
    key = drug.lower() if isinstance(drug, str) else drug
    check_option("drug", key, names)
    return float(_table()["drugs"][key]["half_life_h"]["value"])


# ----------------------------------------------------------------------- the model inputs


@dataclass(frozen=True)
class SpreadParams:
    """Transport parameters and discretisation of one spread computation.

    Attributes
    ----------
    d_eff_m2_per_s : float
        Effective axial dispersion of the drug in CSF (m^2/s).
    drift_um_per_s : float
        Net drift velocity at the tip level (um/s), positive rostral (toward the head).
    half_life_h : float
        CSF clearance half-life (h); the clearance rate is ``ln 2 / half_life``.
    grid_mm : float
        Cell size (mm); the two end cells may be up to 1.5x longer or 0.5x shorter.
    dt_s : float
        Time step (s) actually used (the duration divided into whole steps); 0 for a
        steady-state solve.
    """

    d_eff_m2_per_s: float
    drift_um_per_s: float
    half_life_h: float
    grid_mm: float
    dt_s: float

    @property
    def clearance_per_s(self) -> float:
        """Clearance rate constant k = ln 2 / t1/2 (1/s)."""
        return math.log(2.0) / (self.half_life_h * 3600.0)

    @property
    def decay_length_mm(self) -> float:
        """Steady-state decay length lambda = sqrt(D_eff / k) without drift (mm)."""
        return math.sqrt(self.d_eff_m2_per_s * 1e6 / self.clearance_per_s)


@dataclass(frozen=True)
class _Problem:
    params: SpreadParams
    drug: str | None
    tip_level: str
    tip_mm: float
    dose_mg_per_day: float
    flow_ml_per_day: float
    x_mm: np.ndarray       # cell centres
    faces_mm: np.ndarray   # cell faces, n + 1
    area_mm2: np.ndarray   # at cell centres
    volume_mm3: np.ndarray
    K: object              # scipy.sparse CSR, V dC/dt = -K C + S (mg/mm^3, s)
    source_mg_per_s: np.ndarray
    outflow_mm3_per_s: float  # volume flux leaving through the foramen magnum (>= 0)
    tip_cell: int
    geometry: CanalGeometry


def _bernoulli(z: np.ndarray) -> np.ndarray:
    """B(z) = z / (exp(z) - 1), B(0) = 1, evaluated without overflow."""
    z = np.clip(np.asarray(z, dtype=float), -700.0, 700.0)
    out = np.ones_like(z)
    nz = np.abs(z) > 1e-12
    out[nz] = z[nz] / np.expm1(z[nz])
    return out


def _cell_faces(tip_mm: float, end_mm: float, h: float) -> np.ndarray:
    """Faces of cells of size h with the tip at a cell centre; end cells in [h/2, 3h/2)."""
    k_lo = math.ceil((0.0 - tip_mm) / h - 0.5)
    k_hi = math.floor((end_mm - tip_mm) / h - 0.5)
    inner = tip_mm + (np.arange(k_lo, k_hi + 1) + 0.5) * h
    inner = inner[(inner > 0.0) & (inner < end_mm)]
    if inner.size and inner[0] < 0.5 * h:
        inner = inner[1:]
    if inner.size and end_mm - inner[-1] < 0.5 * h:
        inner = inner[:-1]
    return np.concatenate([[0.0], inner, [end_mm]])


def _resolve(*, tip_level, tip_offset_mm, dose_mg_per_day, flow_ml_per_day, drug,
             half_life_h, d_eff_m2_per_s, drift_um_per_s, grid_mm, area_mm2,
             dt_s) -> _Problem:
    """Validate the inputs (clear errors) and assemble the finite-volume operator."""
    import scipy.sparse as sp

    geo = load_canal_geometry()
    level = tip_level
    if isinstance(level, str):  # 't10', 'Th10' (common clinical spelling) -> 'T10'
        level = level.strip().upper()
        level = "T" + level[2:] if level.startswith("TH") and level[2:].isdigit() else level
    level = check_option("tip_level", level, LEVELS)
    offset = check_range("tip_offset_mm", tip_offset_mm, unit="mm")
    dose = check_positive("dose_mg_per_day", dose_mg_per_day, "mg/day")
    flow = check_range("flow_ml_per_day", flow_ml_per_day, 0.0, 100.0, "mL/day")
    if drug is not None:
        drug = drug.lower() if isinstance(drug, str) else drug
        table_half_life = drug_half_life_h(drug)
    if half_life_h is not None:
        half_life = check_range("half_life_h", half_life_h, 0.01, 1000.0, "h")
    elif drug is not None:
        half_life = table_half_life
    else:
        raise NeuraxisInputError(
            "Invalid input: give 'drug' (one of " + ", ".join(repr(d) for d in drug_names())
            + ") or 'half_life_h' (CSF clearance half-life, h)")
    defaults = transport_defaults()
    d_eff = check_range("d_eff_m2_per_s",
                        defaults["d_eff_m2_per_s"] if d_eff_m2_per_s is None else d_eff_m2_per_s,
                        1e-12, 1e-5, "m2/s")
    drift = check_range("drift_um_per_s",
                        defaults["drift_um_per_s"] if drift_um_per_s is None else drift_um_per_s,
                        -1000.0, 1000.0, "um/s")
    h = check_range("grid_mm", grid_mm, 0.05, 10.0, "mm")
    if area_mm2 is not None:
        area_mm2 = check_range("area_mm2", area_mm2, 1.0, 2000.0, "mm2")

    tip_mm = float(geo.center_mm[LEVELS.index(level)] + offset)
    if not 0.0 < tip_mm < geo.end_mm:
        raise NeuraxisInputError(
            f"Invalid value for 'tip_offset_mm'. The catheter tip at {tip_mm:g} mm ({level} "
            f"centre {geo.center_mm[LEVELS.index(level)]:.1f} mm + {offset:g} mm) lies outside "
            f"the spinal canal, which runs from 0 (foramen magnum) to {geo.end_mm:g} mm (S2)")

    params = SpreadParams(d_eff, drift, half_life, h, 0.0 if dt_s is None else dt_s)
    lam = params.decay_length_mm
    if h > lam / _CELLS_PER_DECAY_LENGTH:
        raise NeuraxisInputError(
            f"Invalid value for 'grid_mm'. The grid is too coarse for the requested spread: "
            f"the decay length sqrt(D_eff/k) = {lam:.3g} mm needs at least "
            f"{_CELLS_PER_DECAY_LENGTH:g} cells, so the allowed range is "
            f"[0.05, {lam / _CELLS_PER_DECAY_LENGTH:.3g}] mm, but got {h:g} mm")

    faces = _cell_faces(tip_mm, geo.end_mm, h)
    x = 0.5 * (faces[:-1] + faces[1:])
    n = x.size
    tip_cell = int(np.argmin(np.abs(x - tip_mm)))
    area_c = np.full(n, area_mm2) if area_mm2 is not None else geo.area_at(x)
    area_f = np.full(n + 1, area_mm2) if area_mm2 is not None else geo.area_at(faces)
    vol = area_c * np.diff(faces)

    # Net volume flux Q at each face (mm^3/s, positive caudal): the infusate leaves
    # rostrally (the caudal sac is closed), plus a uniform-flux drift set at the tip.
    d_mm2_s = d_eff * 1e6
    q_inf = flow * _MM3_PER_ML / _S_PER_DAY
    q_drift = -drift * 1e-3 * float(area_c[tip_cell])
    q_face = np.where(faces < tip_mm, -q_inf, 0.0) + q_drift

    # Scharfetter-Gummel flux through interior face f (cells f-1 | f), positive caudal:
    # F = g [B(-Pe) C_{f-1} - B(Pe) C_f], g = A_f D / dx, Pe = Q_f / g.
    dist = np.diff(x)
    g = area_f[1:-1] * d_mm2_s / dist
    pe = q_face[1:-1] / g
    a = g * _bernoulli(-pe)
    b = g * _bernoulli(pe)
    k = params.clearance_per_s
    diag = np.zeros(n)
    diag[:-1] += a
    diag[1:] += b
    diag += k * vol
    outflow = max(-float(q_face[0]), 0.0)  # rostral outflow through the foramen magnum
    diag[0] += outflow                        # closed caudal end: no flux at faces[-1]
    K = sp.diags([-a, diag, -b], [-1, 0, 1], shape=(n, n), format="csr")
    source = np.zeros(n)
    source[tip_cell] = dose / _S_PER_DAY
    return _Problem(params, drug, level, tip_mm, dose, flow, x, faces, area_c, vol, K,
                    source, outflow, tip_cell, geo)


# ---------------------------------------------------------------------------- diagnostics


def spread_half_width_cm(x_mm: np.ndarray, concentration: np.ndarray, tip_mm: float, *,
                         fraction: float = _FRACTION) -> tuple[float, float]:
    """Distance from the tip to where the profile falls to ``fraction`` of its peak (cm).

    Parameters
    ----------
    x_mm : numpy.ndarray
        Cell centres (mm from the foramen magnum), increasing.
    concentration : numpy.ndarray
        Profile at those cells (any unit).
    tip_mm : float
        Catheter tip (mm).
    fraction : float
        Threshold as a fraction of the peak (default 0.1).

    Returns
    -------
    (rostral_cm, caudal_cm) : tuple of float
        Log-linear interpolation between cells (exact for an exponential tail). A side
        whose profile stays above the threshold up to the canal end returns the distance
        to that end.
    """
    c = np.asarray(concentration, dtype=float)
    peak_i = int(np.argmax(c))
    peak = c[peak_i]
    if not peak > 0.0:
        return 0.0, 0.0
    thr = fraction * peak
    out = []
    for step in (-1, 1):
        j = peak_i
        while 0 <= j + step < c.size and c[j + step] >= thr:
            j += step
        if not 0 <= j + step < c.size:
            # Above the threshold to the last cell: report the distance to the canal end.
            edge = x_mm[j] + step * 0.5 * abs(x_mm[j] - x_mm[j - step])
            out.append(abs(edge - tip_mm) / 10.0)
            continue
        c_in, c_out = c[j], c[j + step]
        if c_out > 0.0:
            frac = math.log(c_in / thr) / math.log(c_in / c_out)
        else:
            frac = (c_in - thr) / (c_in - c_out)
        xc = x_mm[j] + frac * (x_mm[j + step] - x_mm[j])
        out.append(max(step * (xc - tip_mm), 0.0) / 10.0)
    return out[0], out[1]


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
    c0 = (dose_mg_per_day / _S_PER_DAY) / (2.0 * area_mm2 * math.sqrt(d * k))
    x = np.asarray(x_mm, dtype=float)
    return c0 * np.exp(-np.abs(x - tip_mm) / lam) * _UG_PER_ML_PER_MG_PER_MM3


def analytic_half_width_cm(*, d_eff_m2_per_s: float, half_life_h: float) -> float:
    """Steady half-width to 10 % of peak without drift, lambda ln 10 (cm)."""
    k = math.log(2.0) / (half_life_h * 3600.0)
    return math.sqrt(d_eff_m2_per_s * 1e6 / k) * math.log(10.0) / 10.0


# --------------------------------------------------------------------------------- results


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=float)
    a.setflags(write=False)
    return a


def _level_means(prob: _Problem, c: np.ndarray) -> np.ndarray:
    """Volume-weighted mean of profile(s) ``c`` (..., n_x) over each vertebral level."""
    idx = prob.geometry.level_index(prob.x_mm)
    n_lv = len(LEVELS)
    w = np.bincount(idx, weights=prob.volume_mm3, minlength=n_lv)
    c2 = np.atleast_2d(c)
    sums = np.stack([np.bincount(idx, weights=row * prob.volume_mm3, minlength=n_lv)
                     for row in c2])
    means = sums / np.where(w > 0, w, np.nan)
    return means if np.ndim(c) > 1 else means[0]


def _edge_notes(prob: _Problem, c: np.ndarray) -> list[str]:
    notes = []
    peak = float(np.max(c))
    if peak > 0 and c[0] >= _FRACTION * peak:
        notes.append("The drug reaches the foramen magnum at >= 10 % of its peak: the rostral "
                     "half-width is clipped there, and the open boundary is only a crude model "
                     "of the cranial CSF.")
    if peak > 0 and c[-1] >= _FRACTION * peak:
        notes.append("The drug reaches the end of the dural sac (S2) at >= 10 % of its peak: "
                     "the caudal half-width is clipped there.")
    return notes


@dataclass(frozen=True)
class SpreadResult:
    """Drug concentration in the spinal CSF over time (:func:`simulate_spread`).

    Concentrations are in ug/mL for every drug (1 ug/mL = 1 mg/L; ziconotide levels are
    of order 0.01-0.1 ug/mL, morphine of order 1-100 ug/mL).

    Attributes
    ----------
    params : SpreadParams
        Transport parameters, grid and time step used.
    drug : str or None
        Drug name from the table, if one was given.
    tip_level : str
        Vertebral level of the catheter tip.
    tip_mm : float
        Tip position, mm from the foramen magnum.
    dose_mg_per_day, flow_ml_per_day : float
        Dose rate (mg/day) and infusate flow (mL/day).
    x_mm, area_mm2, cell_volume_ml : numpy.ndarray, shape (n_x,)
        Cell centres (mm from the foramen magnum), CSF cross-section there (mm^2) and the
        CSF volume of each cell (mL).
    times_h : numpy.ndarray, shape (n_t,)
        Output times (h); the first is 0 (no drug), the last the requested duration.
    concentration_ug_per_ml : numpy.ndarray, shape (n_t, n_x)
        Cell-mean concentration.
    level_names : tuple of str
        ``'C1'`` ... ``'S2'``.
    level_boundaries_mm : numpy.ndarray, shape (n_levels + 1,)
        Level boundaries (mm).
    level_concentration_ug_per_ml : numpy.ndarray, shape (n_t, n_levels)
        Volume-weighted mean concentration over each vertebral level.
    peak_ug_per_ml : numpy.ndarray, shape (n_t,)
        Highest cell concentration.
    half_width_rostral_cm, half_width_caudal_cm : numpy.ndarray, shape (n_t,)
        Distance from the tip to 10 % of the peak, toward the head and toward the sacrum.
    infused_mg, in_csf_mg, cleared_mg, outflow_mg : numpy.ndarray, shape (n_t,)
        Mass balance: drug infused so far, present in the spinal CSF, cleared from it, and
        carried out through the foramen magnum. ``infused = in_csf + cleared + outflow``.
    steady_concentration_ug_per_ml : numpy.ndarray, shape (n_x,)
        The steady state of the same problem (what the profile tends to).
    notes : tuple of str
        Warnings about the run (drug reaching a canal end, steady state not reached).
    """

    params: SpreadParams
    drug: str | None
    tip_level: str
    tip_mm: float
    dose_mg_per_day: float
    flow_ml_per_day: float
    x_mm: np.ndarray
    area_mm2: np.ndarray
    cell_volume_ml: np.ndarray
    times_h: np.ndarray
    concentration_ug_per_ml: np.ndarray
    level_names: tuple[str, ...]
    level_boundaries_mm: np.ndarray
    level_concentration_ug_per_ml: np.ndarray
    peak_ug_per_ml: np.ndarray
    half_width_rostral_cm: np.ndarray
    half_width_caudal_cm: np.ndarray
    infused_mg: np.ndarray
    in_csf_mg: np.ndarray
    cleared_mg: np.ndarray
    outflow_mg: np.ndarray
    steady_concentration_ug_per_ml: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def mass_balance_error(self) -> float:
        """Largest |infused - (in CSF + cleared + outflow)| / infused over the outputs."""
        resid = self.infused_mg - (self.in_csf_mg + self.cleared_mg + self.outflow_mg)
        return float(np.max(np.abs(resid[1:]) / self.infused_mg[1:])) if resid.size > 1 else 0.0

    def fraction_within(self, distance_cm: float, index: int = -1) -> float:
        """Fraction of the drug in the spinal CSF lying within ``distance_cm`` of the tip.

        Parameters
        ----------
        distance_cm : float
            Distance along the canal on either side of the tip (cm).
        index : int
            Output time index (default: the last).
        """
        dist = check_range("distance_cm", distance_cm, 0.0, None, "cm")
        mass = self.concentration_ug_per_ml[index] * self.cell_volume_ml
        total = float(mass.sum())
        near = np.abs(self.x_mm - self.tip_mm) <= 10.0 * dist
        return float(mass[near].sum()) / total if total > 0 else 0.0

    def summary(self) -> dict:
        """JSON-ready scalars at the final time, and the per-level concentrations."""
        rostral, caudal = spread_half_width_cm(self.x_mm, self.steady_concentration_ug_per_ml,
                                               self.tip_mm)
        return {
            "drug": self.drug, "tip_level": self.tip_level, "tip_mm": self.tip_mm,
            "dose_mg_per_day": self.dose_mg_per_day, "flow_ml_per_day": self.flow_ml_per_day,
            **asdict(self.params),
            "decay_length_mm": self.params.decay_length_mm,
            "duration_h": float(self.times_h[-1]),
            "peak_ug_per_ml": float(self.peak_ug_per_ml[-1]),
            "half_width_rostral_cm": float(self.half_width_rostral_cm[-1]),
            "half_width_caudal_cm": float(self.half_width_caudal_cm[-1]),
            "steady_half_width_rostral_cm": rostral, "steady_half_width_caudal_cm": caudal,
            "infused_mg": float(self.infused_mg[-1]), "in_csf_mg": float(self.in_csf_mg[-1]),
            "cleared_mg": float(self.cleared_mg[-1]), "outflow_mg": float(self.outflow_mg[-1]),
            "mass_balance_error": self.mass_balance_error,
            "level_concentration_ug_per_ml": {
                name: float(v) for name, v in zip(self.level_names,
                                                  self.level_concentration_ug_per_ml[-1])},
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class SteadySpread:
    """Steady-state drug concentration in the spinal CSF (:func:`steady_state_spread`).

    Attributes mirror :class:`SpreadResult` for one profile; the mass balance is in rates:
    ``infusion_mg_per_day = cleared_mg_per_day + outflow_mg_per_day``.
    """

    params: SpreadParams
    drug: str | None
    tip_level: str
    tip_mm: float
    dose_mg_per_day: float
    flow_ml_per_day: float
    x_mm: np.ndarray
    area_mm2: np.ndarray
    cell_volume_ml: np.ndarray
    concentration_ug_per_ml: np.ndarray
    level_names: tuple[str, ...]
    level_boundaries_mm: np.ndarray
    level_concentration_ug_per_ml: np.ndarray
    peak_ug_per_ml: float
    half_width_rostral_cm: float
    half_width_caudal_cm: float
    in_csf_mg: float
    cleared_mg_per_day: float
    outflow_mg_per_day: float
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ solvers


def steady_state_spread(*, tip_level: str, dose_mg_per_day: float, flow_ml_per_day: float,
                        drug: str | None = None, half_life_h: float | None = None,
                        d_eff_m2_per_s: float | None = None,
                        drift_um_per_s: float | None = None, grid_mm: float = 1.0,
                        tip_offset_mm: float = 0.0,
                        area_mm2: float | None = None) -> SteadySpread:
    """Solve the steady state of the spread model directly (one sparse solve).

    Parameters are those of :func:`simulate_spread` (no duration or time step).

    Returns
    -------
    SteadySpread
    """
    from scipy.sparse.linalg import spsolve

    prob = _resolve(tip_level=tip_level, tip_offset_mm=tip_offset_mm,
                    dose_mg_per_day=dose_mg_per_day, flow_ml_per_day=flow_ml_per_day,
                    drug=drug, half_life_h=half_life_h, d_eff_m2_per_s=d_eff_m2_per_s,
                    drift_um_per_s=drift_um_per_s, grid_mm=grid_mm, area_mm2=area_mm2,
                    dt_s=None)
    c = spsolve(prob.K.tocsc(), prob.source_mg_per_s)
    mass = float(prob.volume_mm3 @ c)
    conc = c * _UG_PER_ML_PER_MG_PER_MM3
    rostral, caudal = spread_half_width_cm(prob.x_mm, conc, prob.tip_mm)
    return SteadySpread(
        params=prob.params, drug=prob.drug, tip_level=prob.tip_level, tip_mm=prob.tip_mm,
        dose_mg_per_day=prob.dose_mg_per_day, flow_ml_per_day=prob.flow_ml_per_day,
        x_mm=_ro(prob.x_mm), area_mm2=_ro(prob.area_mm2),
        cell_volume_ml=_ro(prob.volume_mm3 / _MM3_PER_ML), concentration_ug_per_ml=_ro(conc),
        level_names=LEVELS, level_boundaries_mm=_ro(prob.geometry.boundaries_mm),
        level_concentration_ug_per_ml=_ro(_level_means(prob, conc)),
        peak_ug_per_ml=float(conc.max()), half_width_rostral_cm=rostral,
        half_width_caudal_cm=caudal, in_csf_mg=mass,
        cleared_mg_per_day=prob.params.clearance_per_s * mass * _S_PER_DAY,
        outflow_mg_per_day=prob.outflow_mm3_per_s * float(c[0]) * _S_PER_DAY,
        notes=tuple(_edge_notes(prob, conc)))


def simulate_spread(*, tip_level: str, dose_mg_per_day: float, flow_ml_per_day: float,
                    drug: str | None = None, half_life_h: float | None = None,
                    duration_h: float = 24.0, d_eff_m2_per_s: float | None = None,
                    drift_um_per_s: float | None = None, grid_mm: float = 1.0,
                    dt_s: float = 60.0, output_interval_h: float | None = None,
                    tip_offset_mm: float = 0.0, area_mm2: float | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    verbose: bool | str | int | None = None) -> SpreadResult:
    """Drug concentration along the spinal canal during a constant intrathecal infusion.

    Starts from drug-free CSF at t = 0 and infuses at a constant rate from the catheter
    tip. Model and numerics: module docstring and ``docs/pump_spread.md``.

    Parameters
    ----------
    tip_level : str
        Vertebral level of the catheter tip, ``'C1'`` ... ``'S2'`` (case-insensitive;
        ``'Th10'`` is read as ``'T10'``). The tip sits at the level's centre, moved by
        ``tip_offset_mm``.
    dose_mg_per_day : float
        Daily dose (mg/day; 2.4 ug/day of ziconotide is 0.0024), > 0.
    flow_ml_per_day : float
        Pump flow (mL/day), >= 0. The infusate volume leaves rostrally (the caudal sac is
        closed), adding a small bulk flow; 0 treats the infusion as a pure mass source.
    drug : str, optional
        Drug whose CSF half-life is taken from the table (:func:`drug_names`).
    half_life_h : float, optional
        CSF clearance half-life (h); overrides the drug's. One of ``drug`` or
        ``half_life_h`` is required.
    duration_h : float
        Simulated time (h), default 24.
    d_eff_m2_per_s : float, optional
        Effective dispersion (m^2/s); default from the table (1e-8, unverified).
    drift_um_per_s : float, optional
        Net drift at the tip level (um/s), positive rostral; default from the table (0).
    grid_mm : float
        Cell size (mm), default 1; at most sqrt(D_eff/k) / 1.5 (the decay length).
    dt_s : float
        Time step (s), default 60 (shortened so that whole steps fill the duration).
    output_interval_h : float, optional
        Spacing of the stored profiles (h); default ``duration_h / 96``.
    tip_offset_mm : float
        Tip position relative to the centre of ``tip_level`` (mm, positive caudal).
    area_mm2 : float, optional
        Uniform CSF cross-section (mm^2) instead of the per-level table (for validation).
    progress : callable, optional
        Called as ``progress(steps_done, steps_total)`` about 100 times during the run.
    verbose : bool | str | int | None
        Log level for this call (``True`` = INFO).

    Returns
    -------
    SpreadResult

    Raises
    ------
    NeuraxisInputError
        Unknown level or drug (with a did-you-mean), a non-positive dose, a tip outside
        the canal, a grid too coarse for the spread, or any value out of range.
    """
    from scipy.sparse import diags
    from scipy.sparse.linalg import splu, spsolve

    with use_log_level(verbose):
        dur = check_range("duration_h", duration_h, 0.0, 24.0 * 365, "h", low_inclusive=False)
        dt_req = check_range("dt_s", dt_s, 0.01, 3600.0, "s")
        n_steps = max(1, math.ceil(dur * 3600.0 / dt_req - 1e-9))
        dt = dur * 3600.0 / n_steps
        interval = dur / 96 if output_interval_h is None else check_range(
            "output_interval_h", output_interval_h, 0.0, dur, "h", low_inclusive=False)
        every = max(1, round(interval * 3600.0 / dt))
        prob = _resolve(tip_level=tip_level, tip_offset_mm=tip_offset_mm,
                        dose_mg_per_day=dose_mg_per_day, flow_ml_per_day=flow_ml_per_day,
                        drug=drug, half_life_h=half_life_h, d_eff_m2_per_s=d_eff_m2_per_s,
                        drift_um_per_s=drift_um_per_s, grid_mm=grid_mm, area_mm2=area_mm2,
                        dt_s=dt)
        K, vol, src = prob.K, prob.volume_mm3, prob.source_mg_per_s
        k, q_out = prob.params.clearance_per_s, prob.outflow_mm3_per_s
        mdot = float(src.sum())
        half = 0.5 * dt
        lu_be = splu((diags(vol / half) + K).tocsc())        # backward Euler, dt/2
        lu_cn = splu((diags(vol / dt) + 0.5 * K).tocsc())    # Crank-Nicolson, dt
        vol_dt, vol_half = vol / dt, vol / half

        c = np.zeros_like(vol)
        snaps, times = [c.copy()], [0.0]
        infused, cleared, outflow = 0.0, 0.0, 0.0
        ledger = [(0.0, 0.0, 0.0, 0.0)]
        mass = 0.0
        report = max(1, n_steps // 100)
        for step in range(1, n_steps + 1):
            if step <= 2:  # Rannacher start-up: two backward-Euler half steps
                for _ in range(2):
                    c = lu_be.solve(vol_half * c + src)
                    mass = float(vol @ c)
                    cleared += half * k * mass
                    outflow += half * q_out * c[0]
            else:
                c_new = lu_cn.solve(vol_dt * c - 0.5 * (K @ c) + src)
                mass_new = float(vol @ c_new)
                cleared += half * k * (mass + mass_new)
                outflow += half * q_out * (c[0] + c_new[0])
                c, mass = c_new, mass_new
            infused += mdot * dt
            if step % every == 0 or step == n_steps:
                snaps.append(c.copy())
                times.append(step * dt / 3600.0)
                ledger.append((infused, mass, cleared, outflow))
            if progress is not None and (step % report == 0 or step == n_steps):
                progress(step, n_steps)

        conc = np.array(snaps) * _UG_PER_ML_PER_MG_PER_MM3
        widths = np.array([spread_half_width_cm(prob.x_mm, row, prob.tip_mm) for row in conc])
        steady = spsolve(K.tocsc(), src) * _UG_PER_ML_PER_MG_PER_MM3
        led = np.array(ledger)
        notes = _edge_notes(prob, conc[-1])
        if dur < 3.0 * prob.params.half_life_h:
            notes.append(f"The run ({dur:g} h) is shorter than 3 CSF half-lives "
                         f"({3 * prob.params.half_life_h:g} h): not yet at steady state.")
        res = SpreadResult(
            params=prob.params, drug=prob.drug, tip_level=prob.tip_level, tip_mm=prob.tip_mm,
            dose_mg_per_day=prob.dose_mg_per_day, flow_ml_per_day=prob.flow_ml_per_day,
            x_mm=_ro(prob.x_mm), area_mm2=_ro(prob.area_mm2),
            cell_volume_ml=_ro(prob.volume_mm3 / _MM3_PER_ML), times_h=_ro(times),
            concentration_ug_per_ml=_ro(conc), level_names=LEVELS,
            level_boundaries_mm=_ro(prob.geometry.boundaries_mm),
            level_concentration_ug_per_ml=_ro(_level_means(prob, conc)),
            peak_ug_per_ml=_ro(conc.max(axis=1)),
            half_width_rostral_cm=_ro(widths[:, 0]), half_width_caudal_cm=_ro(widths[:, 1]),
            infused_mg=_ro(led[:, 0]), in_csf_mg=_ro(led[:, 1]), cleared_mg=_ro(led[:, 2]),
            outflow_mg=_ro(led[:, 3]), steady_concentration_ug_per_ml=_ro(steady),
            notes=tuple(notes))
        logger.info("spread: %s at %s, %d cells of %.3g mm, %d steps of %.3g s; peak %.3g ug/mL, "
                    "half-width %.2f cm rostral / %.2f cm caudal after %g h",
                    prob.drug or f"t1/2 {prob.params.half_life_h:g} h", prob.tip_level,
                    prob.x_mm.size, prob.params.grid_mm, n_steps, dt, res.peak_ug_per_ml[-1],
                    res.half_width_rostral_cm[-1], res.half_width_caudal_cm[-1], dur)
        return res
