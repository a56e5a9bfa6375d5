"""The spread model's inputs and its finite-volume operator.

:func:`assemble` validates the inputs (clear errors naming the argument, its range
and unit) and builds ``V dC/dt = -K C + S`` on cells of the canal, with the
catheter tip at a cell centre and Scharfetter-Gummel dispersion-advection fluxes
(``docs/pump_spread.md``). The dispersion is uniform when ``d_eff_m2_per_s`` is
given, else the oscillatory law of :mod:`~neuraxis.pump.spread.dispersion` with the
table's infusion mixing ratio; :func:`operator` rebuilds ``K`` for another mixing
ratio on the same cells (a bolus's phase).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neuraxis._validate import (
    NeuraxisInputError,
    check_option,
    check_positive,
    check_range,
)
from neuraxis.pump.spread.dispersion import oscillatory_dispersion_m2_per_s
from neuraxis.pump.spread.geometry import (
    LEVELS,
    MM3_PER_ML,
    S_PER_DAY,
    CanalGeometry,
    drug_half_life_h,
    drug_names,
    load_canal_geometry,
    oscillation_defaults,
    shear_dispersion_m2_per_s,
    transport_defaults,
)

#: Dispersion models: one value everywhere, or the oscillatory law D(x).
DISPERSIONS = ("uniform", "oscillatory")

# At 1.5 cells per decay length the discrete steady decay length is within 2 % and the
# peak within 6 % of the analytic ones (second-order scheme; docs/pump_spread.md).
_CELLS_PER_DECAY_LENGTH = 1.5


@dataclass(frozen=True)
class SpreadParams:
    """Transport parameters and discretisation of one spread computation.

    Attributes
    ----------
    d_eff_m2_per_s : float
        Effective axial dispersion of the drug in CSF at the catheter tip (m^2/s); the
        same everywhere when ``dispersion`` is ``'uniform'``.
    drift_um_per_s : float
        Net drift velocity at the tip level (um/s), positive rostral (toward the head).
    half_life_h : float
        CSF clearance half-life (h); the clearance rate is ``ln 2 / half_life``.
    grid_mm : float
        Cell size (mm); the two end cells may be up to 1.5x longer or 0.5x shorter.
    dt_s : float
        Time step (s) actually used (the duration divided into whole steps); 0 for a
        steady-state solve.
    dispersion : {'uniform', 'oscillatory'}
        ``'oscillatory'``: ``D(x) = D_shear + kappa f (SV(x)/A(x))^2``
        (:mod:`~neuraxis.pump.spread.dispersion`), fitted to human data.
    mixing_ratio : float
        kappa of the oscillatory law (0 for uniform dispersion).
    """

    d_eff_m2_per_s: float
    drift_um_per_s: float
    half_life_h: float
    grid_mm: float
    dt_s: float
    dispersion: str = "uniform"
    mixing_ratio: float = 0.0

    @property
    def clearance_per_s(self) -> float:
        """Clearance rate constant k = ln 2 / t1/2 (1/s)."""
        return math.log(2.0) / (self.half_life_h * 3600.0)

    @property
    def decay_length_mm(self) -> float:
        """Steady-state decay length lambda = sqrt(D_eff / k) without drift (mm)."""
        return math.sqrt(self.d_eff_m2_per_s * 1e6 / self.clearance_per_s)


@dataclass(frozen=True)
class SpreadProblem:
    """A validated spread problem: parameters, cells and the operator (internal)."""

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
    q_face_mm3_per_s: np.ndarray  # net volume flux at each face, positive caudal
    area_face_mm2: np.ndarray
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


def face_dispersion_m2_per_s(geo: CanalGeometry, faces_mm: np.ndarray,
                             area_face_mm2: np.ndarray, mixing_ratio: float) -> np.ndarray:
    """The oscillatory law's dispersion at cell faces (m^2/s) for a mixing ratio."""
    osc = oscillation_defaults()
    return oscillatory_dispersion_m2_per_s(
        faces_mm, area_face_mm2, end_mm=geo.end_mm,
        cervical_ml=osc["cervical_stroke_volume_ml"],
        sac_end_ml=osc["sac_end_stroke_volume_ml"], frequency_hz=osc["cardiac_frequency_hz"],
        mixing_ratio=mixing_ratio, base_m2_per_s=shear_dispersion_m2_per_s())


def operator(prob: SpreadProblem, mixing_ratio: float | None = None):
    """The operator K of ``prob``'s cells, or of the same cells with another mixing ratio.

    Scharfetter-Gummel flux through interior face f (cells f-1 | f), positive caudal:
    ``F = g [B(-Pe) C_{f-1} - B(Pe) C_f]``, ``g = A_f D_f / dx``, ``Pe = Q_f / g``; the
    clearance ``k V`` on the diagonal; the rostral outflow through the foramen magnum
    (upwind) on the first cell; no flux through the closed caudal end.
    """
    import scipy.sparse as sp

    if mixing_ratio is None:
        return prob.K
    d_face = face_dispersion_m2_per_s(prob.geometry, prob.faces_mm, prob.area_face_mm2,
                                      mixing_ratio)
    return _sg_operator(prob.x_mm, prob.area_face_mm2, d_face * 1e6, prob.q_face_mm3_per_s,
                        prob.params.clearance_per_s, prob.volume_mm3, sp)


def _sg_operator(x, area_f, d_face_mm2_s, q_face, k, vol, sp):
    dist = np.diff(x)
    g = area_f[1:-1] * d_face_mm2_s[1:-1] / dist
    pe = q_face[1:-1] / g
    a = g * _bernoulli(-pe)
    b = g * _bernoulli(pe)
    n = x.size
    diag = np.zeros(n)
    diag[:-1] += a
    diag[1:] += b
    diag += k * vol
    diag[0] += max(-float(q_face[0]), 0.0)  # rostral outflow; closed caudal end
    return sp.diags([-a, diag, -b], [-1, 0, 1], shape=(n, n), format="csr")


def assemble(*, tip_level, tip_offset_mm, dose_mg_per_day, flow_ml_per_day, drug,
             half_life_h, d_eff_m2_per_s, drift_um_per_s, grid_mm, area_mm2,
             dt_s, mixing_ratio=None, allow_zero_dose=False) -> SpreadProblem:
    """Validate the inputs (clear errors) and assemble the finite-volume operator.

    ``d_eff_m2_per_s`` given: uniform dispersion; else the oscillatory law with
    ``mixing_ratio`` (default: the table's infusion mixing ratio).
    """
    import scipy.sparse as sp

    geo = load_canal_geometry()
    level = tip_level
    if isinstance(level, str):  # 't10', 'Th10' (common clinical spelling) -> 'T10'
        level = level.strip().upper()
        level = "T" + level[2:] if level.startswith("TH") and level[2:].isdigit() else level
    level = check_option("tip_level", level, LEVELS)
    offset = check_range("tip_offset_mm", tip_offset_mm, unit="mm")
    dose = (check_range("dose_mg_per_day", dose_mg_per_day, 0.0, None, "mg/day")
            if allow_zero_dose else check_positive("dose_mg_per_day", dose_mg_per_day,
                                                   "mg/day"))
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
    uniform = d_eff_m2_per_s is not None
    if uniform:
        d_uniform = check_range("d_eff_m2_per_s", d_eff_m2_per_s, 1e-12, 1e-5, "m2/s")
        kappa = 0.0
    else:
        kappa = check_range("mixing_ratio",
                            oscillation_defaults()["infusion_mixing_ratio"]
                            if mixing_ratio is None else mixing_ratio, 0.0, 100.0, "")
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

    if uniform:
        d_eff = d_uniform
    else:
        d_eff = float(face_dispersion_m2_per_s(geo, np.array([tip_mm]),
                                               geo.area_at([tip_mm]), kappa)[0])
    params = SpreadParams(d_eff, drift, half_life, h, 0.0 if dt_s is None else dt_s,
                          "uniform" if uniform else "oscillatory", kappa)
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
    q_inf = flow * MM3_PER_ML / S_PER_DAY
    q_drift = -drift * 1e-3 * float(area_c[tip_cell])
    q_face = np.where(faces < tip_mm, -q_inf, 0.0) + q_drift
    d_face = (np.full(n + 1, d_eff) if uniform
              else face_dispersion_m2_per_s(geo, faces, area_f, kappa))
    K = _sg_operator(x, area_f, d_face * 1e6, q_face, params.clearance_per_s, vol, sp)
    outflow = max(-float(q_face[0]), 0.0)  # rostral outflow through the foramen magnum
    source = np.zeros(n)
    source[tip_cell] = dose / S_PER_DAY
    return SpreadProblem(params, drug, level, tip_mm, dose, flow, x, faces, area_c, vol, K,
                         q_face, area_f, source, outflow, tip_cell, geo)
