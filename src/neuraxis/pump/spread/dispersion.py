"""Mixing in the spinal CSF: oscillation-driven dispersion and the spread of an injection.

**Oscillatory dispersion.** The cardiac pulsation moves the CSF up and down the canal by
a tidal volume (stroke volume) that is largest at the foramen magnum and fades to almost
nothing at the end of the dural sac (REFERENCE 3.7; Enzmann & Pelc 1991, 1993). The
local tidal displacement is ``delta(x) = SV(x) / A(x)``, and the effective axial
dispersion is a mixing-length law::

    D(x) = D_shear + kappa * f * delta(x)^2

with ``D_shear`` the molecular diffusivity times the shear-dispersion ratio (Sharp et al.
2019), ``f`` the cardiac frequency and ``kappa`` a dimensionless mixing ratio: the part
of each cycle's displacement that is not undone on the way back (trapping behind nerve
roots and trabeculae, steady streaming). ``kappa`` is fitted to human data: one value for
a slow infusion (Kroin et al. 1993) and one for the first hour after a bolus injection
(Eisenach et al. 2003) - ``docs/pump_spread.md``.

**Initial spread of an injection.** A bolus of volume ``V`` displaces the CSF over
``V / A`` at the tip; its momentum carries it further. A laminar round jet's centreline
velocity falls as ``u_c(s) = 3 K / (8 pi nu s)`` (``K`` the kinematic momentum flux
``u_j^2 a``; Schlichting's similarity solution), so the jet keeps its identity until
``u_c`` falls to the CSF's own oscillation velocity ``pi f delta``. The canal confines
it: a jet spreading at about 0.1 of its length fills the canal's hydraulic radius ``R``
within ``R / 0.1``, the cap of the jet length. The injected drug starts spread uniformly
over ``V / A + jet length`` centred on the tip, and its bolus phase mixes with
``kappa_bolus`` in proportion ``jet length / cap`` (a pump's slow bolus barely stirs the
CSF and mixes like the infusion; a syringe injection stirs it fully).

Pure functions on floats and arrays (SI units inside, unit-suffixed names outside).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MM2_PER_M2 = 1e6


def stroke_volume_ml(x_mm: np.ndarray, *, end_mm: float, cervical_ml: float,
                     sac_end_ml: float = 0.0) -> np.ndarray:
    """CSF tidal (stroke) volume per cardiac cycle along the canal (mL).

    Linear from ``cervical_ml`` at the foramen magnum (x = 0) to ``sac_end_ml`` at the
    end of the dural sac (``end_mm``): the oscillation fades caudally (REFERENCE 3.7).

    Parameters
    ----------
    x_mm : array-like
        Positions, mm from the foramen magnum.
    end_mm : float
        End of the dural sac (mm).
    cervical_ml, sac_end_ml : float
        Stroke volume at the two ends (mL per cycle).
    """
    frac = np.clip(np.asarray(x_mm, dtype=float) / end_mm, 0.0, 1.0)
    return cervical_ml + (sac_end_ml - cervical_ml) * frac


def oscillatory_dispersion_m2_per_s(x_mm: np.ndarray, area_mm2: np.ndarray, *,
                                    end_mm: float, cervical_ml: float, sac_end_ml: float,
                                    frequency_hz: float, mixing_ratio: float,
                                    base_m2_per_s: float) -> np.ndarray:
    """Effective dispersion ``D_shear + kappa f (SV/A)^2`` at positions ``x_mm`` (m^2/s).

    Parameters
    ----------
    x_mm, area_mm2 : array-like
        Positions (mm from the foramen magnum) and the CSF cross-section there (mm^2).
    end_mm, cervical_ml, sac_end_ml : float
        Stroke-volume profile (:func:`stroke_volume_ml`).
    frequency_hz : float
        Cardiac frequency f (Hz).
    mixing_ratio : float
        Dimensionless mixing ratio kappa (>= 0).
    base_m2_per_s : float
        Dispersion without the oscillation's mixing, D_shear (m^2/s).
    """
    sv_mm3 = stroke_volume_ml(x_mm, end_mm=end_mm, cervical_ml=cervical_ml,
                              sac_end_ml=sac_end_ml) * 1000.0
    delta_mm = sv_mm3 / np.asarray(area_mm2, dtype=float)
    return base_m2_per_s + mixing_ratio * frequency_hz * delta_mm ** 2 / MM2_PER_M2


@dataclass(frozen=True)
class InjectionSpread:
    """How far one injection carries its drug before the CSF's own mixing takes over.

    Attributes
    ----------
    volume_length_mm : float
        Canal length the injected volume displaces, V / A (mm).
    jet_length_mm : float
        Distance the injection's jet keeps its identity (laminar round jet, capped by
        the canal; mm).
    jet_cap_mm : float
        The cap: canal hydraulic radius / jet spreading ratio (mm).
    initial_length_mm : float
        Length the drug starts spread over, centred on the tip (mm).
    stirring_fraction : float
        ``jet_length / jet_cap`` in [0, 1]: the weight of the bolus-phase mixing ratio.
    jet_velocity_m_per_s : float
        Mean velocity in the catheter or needle lumen (m/s).
    """

    volume_length_mm: float
    jet_length_mm: float
    jet_cap_mm: float
    initial_length_mm: float
    stirring_fraction: float
    jet_velocity_m_per_s: float

    def to_dict(self) -> dict[str, float]:
        """Plain dict with unit-suffixed keys."""
        return {"volume_length_mm": float(self.volume_length_mm),
                "jet_length_mm": float(self.jet_length_mm),
                "jet_cap_mm": float(self.jet_cap_mm),
                "initial_length_mm": float(self.initial_length_mm),
                "stirring_fraction": float(self.stirring_fraction),
                "jet_velocity_m_per_s": float(self.jet_velocity_m_per_s)}


def injection_spread(*, volume_ml: float, duration_s: float, area_mm2: float,
                     stroke_volume_ml: float, inner_diameter_mm: float,
                     frequency_hz: float, kinematic_viscosity_m2_per_s: float,
                     jet_spreading_ratio: float) -> InjectionSpread:
    """Initial spread of an injection of ``volume_ml`` over ``duration_s`` at the tip.

    Parameters
    ----------
    volume_ml : float
        Injected volume (mL), >= 0.
    duration_s : float
        Injection time (s), > 0.
    area_mm2 : float
        CSF cross-section at the tip (mm^2).
    stroke_volume_ml : float
        CSF stroke volume at the tip (mL per cycle); sets the ambient velocity.
    inner_diameter_mm : float
        Lumen of the catheter or needle (mm).
    frequency_hz : float
        Cardiac frequency (Hz).
    kinematic_viscosity_m2_per_s : float
        CSF kinematic viscosity (m^2/s).
    jet_spreading_ratio : float
        Growth of a jet's radius per unit length (about 0.1).

    Returns
    -------
    InjectionSpread
    """
    lumen_m2 = math.pi * (inner_diameter_mm * 1e-3) ** 2 / 4.0
    flow_m3_per_s = volume_ml * 1e-6 / duration_s
    u_jet = flow_m3_per_s / lumen_m2
    momentum_flux = u_jet ** 2 * lumen_m2                       # K, m^4/s^2
    delta_m = stroke_volume_ml * 1e-6 / (area_mm2 * 1e-6)
    u_ambient = max(math.pi * frequency_hz * delta_m, 1e-6)     # floor: 1 um/s
    laminar_m = 3.0 * momentum_flux / (8.0 * math.pi * kinematic_viscosity_m2_per_s
                                       * u_ambient)
    cap_mm = math.sqrt(area_mm2 / math.pi) / jet_spreading_ratio
    jet_mm = min(laminar_m * 1e3, cap_mm)
    volume_mm = volume_ml * 1000.0 / area_mm2
    return InjectionSpread(volume_length_mm=float(volume_mm), jet_length_mm=float(jet_mm),
                           jet_cap_mm=float(cap_mm), initial_length_mm=float(volume_mm + jet_mm),
                           stirring_fraction=float(jet_mm / cap_mm),
                           jet_velocity_m_per_s=float(u_jet))
