"""Fiber-diameter laws (um): truncated lognormal (dorsal columns) and normal (dorsal roots).

Numbers and sources: ``neuraxis/data/fibers.yaml``; both laws are truncated to a range
inside the MRG model's diameters (:data:`MRG_RANGE_UM`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.axons.models.mrg import INTERP_RANGE_UM as MRG_RANGE_UM
from neuraxis.fibers._table import float_pair, table_values


@dataclass(frozen=True)
class DiameterLaw:
    """A fiber-diameter law truncated to ``[low_um, high_um]``.

    ``kind`` 'lognormal': ln(D / 1 um) is normal with mean ``loc`` and sd ``scale``;
    'normal': D is normal with mean ``loc`` um and sd ``scale`` um. With
    ``low_um == high_um`` every fiber has that diameter.
    """

    kind: str
    loc: float
    scale: float
    low_um: float
    high_um: float

    def __post_init__(self) -> None:
        check_option("kind", self.kind, ("lognormal", "normal"))
        check_range("scale", self.scale, 0.0, None, low_inclusive=False)
        lo = check_range("low_um", self.low_um, *MRG_RANGE_UM, "um")
        hi = check_range("high_um", self.high_um, *MRG_RANGE_UM, "um")
        if hi < lo:
            raise NeuraxisInputError(
                f"Invalid value for 'diameter_range_um'. Expected (low, high) with low <= high "
                f"in [{MRG_RANGE_UM[0]:g}, {MRG_RANGE_UM[1]:g}] um, but got ({lo:g}, {hi:g})")

    def _z(self, d_um: np.ndarray | float) -> np.ndarray:
        d = np.asarray(d_um, dtype=float)
        t = np.log(d) if self.kind == "lognormal" else d
        return (t - self.loc) / self.scale

    def _mass(self) -> float:
        from scipy.special import ndtr

        return float(ndtr(self._z(self.high_um)) - ndtr(self._z(self.low_um)))

    def cdf(self, d_um: np.ndarray | float) -> np.ndarray:
        """Fraction of the (truncated) population with diameter <= ``d_um``."""
        from scipy.special import ndtr

        d = np.asarray(d_um, dtype=float)
        if self.low_um == self.high_um:
            return (d >= self.low_um).astype(float)
        dc = np.clip(d, self.low_um, self.high_um)
        return np.clip((ndtr(self._z(dc)) - ndtr(self._z(self.low_um))) / self._mass(), 0, 1)

    def fraction_above(self, d_um: float) -> float:
        """Fraction of the (truncated) population with diameter > ``d_um``."""
        return float(1.0 - self.cdf(d_um))

    @property
    def mean_um(self) -> float:
        """Mean diameter of the truncated law, um (closed form)."""
        from scipy.special import ndtr

        if self.low_um == self.high_um:
            return float(self.low_um)
        a, b, s = float(self._z(self.low_um)), float(self._z(self.high_um)), self.scale
        if self.kind == "lognormal":
            return float(math.exp(self.loc + 0.5 * s * s) * (ndtr(b - s) - ndtr(a - s))
                         / self._mass())
        def pdf(z):
            return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return float(self.loc + s * (pdf(a) - pdf(b)) / self._mass())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` diameters (um) by inverse-CDF sampling with the generator ``rng``."""
        return self.ppf(rng.random(n))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Diameters (um) at the quantiles ``u`` (0-1) of the truncated law."""
        from scipy.special import ndtr, ndtri

        u = np.asarray(u, dtype=float)
        n = u.shape
        if self.low_um == self.high_um:
            return np.full(n, float(self.low_um))
        a, b = float(self._z(self.low_um)), float(self._z(self.high_um))
        if a > 0:  # upper tail: work with the mirrored law for accuracy
            z = -ndtri(ndtr(-a) - u * (ndtr(-a) - ndtr(-b)))
        else:
            z = ndtri(ndtr(a) + u * (ndtr(b) - ndtr(a)))
        t = self.loc + self.scale * z
        d = np.exp(t) if self.kind == "lognormal" else t
        return np.clip(d, self.low_um, self.high_um)


_DIAM = f"(low, high) in um within [{MRG_RANGE_UM[0]:g}, {MRG_RANGE_UM[1]:g}]"


def dc_diameter_law(diameter_range_um: tuple[float, float] | None = None) -> DiameterLaw:
    """Dorsal-column diameter law: lognormal pinned to Feirabend et al. 2002.

    ln D is normal with median ``median_um`` (3.0 um, assumed) and the sd that puts
    0.5 % of the whole population above 10.7 um (Feirabend et al. 2002, Brain
    125:1137), truncated to ``diameter_range_um`` (default 5.7-16 um, the MRG discrete
    table; there about 4.8 % of the fibers exceed 10.7 um and the mean is 7.3 um).

    Parameters
    ----------
    diameter_range_um : (float, float), optional
        (low, high) in um within 2-16 um (the MRG range); low == high gives one size.
    """
    from scipy.special import ndtri

    v = table_values("dc_diameter")
    lo, hi = float_pair("diameter_range_um", diameter_range_um, v["default_range_um"], _DIAM)
    mu = math.log(float(v["median_um"]))
    sd = (math.log(float(v["anchor_diameter_um"])) - mu) / float(
        ndtri(1.0 - float(v["anchor_fraction_above"])))
    return DiameterLaw("lognormal", mu, sd, lo, hi)


def mrg_diameter_for_cv_um(cv_m_per_s: np.ndarray | float) -> np.ndarray:
    """MRG fiber diameter (um) that conducts at ``cv_m_per_s``.

    Linear interpolation of the measured MRG table ``dr_diameter.mrg_cv_table`` in
    ``fibers.yaml`` (``neuraxis.axons.conduction_velocity``, 5.7-16 um: 25-92 m/s);
    velocities outside it are refused.
    """
    table = table_values("dr_diameter")["mrg_cv_table"]
    d = np.array(sorted(float(k) for k in table))
    v = np.array([float(table[k]) for k in sorted(table, key=float)])
    cv = check_range("cv_m_per_s", cv_m_per_s, float(v[0]), float(v[-1]), "m/s")
    return np.interp(np.asarray(cv, dtype=float), v, d)


def dr_diameter_law(diameter_range_um: tuple[float, float] | None = None) -> DiameterLaw:
    """Dorsal-root (large afferent) diameter law, as MRG diameters of measured velocities.

    Human dorsal-root touch afferents conduct at 31-49 m/s (Schalow's group velocities,
    ``fibers.yaml``); velocity is taken as normal, 41 +- 7 m/s cut to 28-55 m/s, and
    mapped to the MRG diameter that conducts at it (:func:`mrg_diameter_for_cv_um`):
    a normal of mean ~8.0 um and sd ~1.07 um cut to ~6.0-10.0 um. (The same fibres'
    histological diameters, 9-13 um, would conduct ~1.5x too fast in the MRG model.)

    Parameters
    ----------
    diameter_range_um : (float, float), optional
        (low, high) in um within 2-16 um; default the velocity range's diameters.
    """
    v = table_values("dr_diameter")
    mean, sd = float(v["mean_cv_m_per_s"]), float(v["sd_cv_m_per_s"])
    d_mean, d_lo_sd, d_hi_sd, d_lo, d_hi = (float(x) for x in mrg_diameter_for_cv_um(
        [mean, mean - sd, mean + sd, *v["cv_range_m_per_s"]]))
    lo, hi = float_pair("diameter_range_um", diameter_range_um, (round(d_lo, 3),
                                                                round(d_hi, 3)), _DIAM)
    return DiameterLaw("normal", d_mean, 0.5 * (d_hi_sd - d_lo_sd), lo, hi)


__all__ = ["MRG_RANGE_UM", "DiameterLaw", "dc_diameter_law", "dr_diameter_law",
           "mrg_diameter_for_cv_um"]
