"""Extracellular stimulation input: potentials per mA times a waveform.

The potential at compartment k of fiber f at time step n is
``ve[k, f] * amplitude_ma[f] * waveform[n]`` (mV), where ``ve`` is in mV per mA
of electrode current. The waveform is in units of the amplitude: a cathodic
monophasic pulse is -1 during the pulse (negative electrode current), an
anodic one +1.

Point source in an infinite homogeneous medium (current I in mA, sigma in S/m,
distances in m): V = I / (4 pi sqrt(sx sy sz) sqrt(x^2/sx + y^2/sy + z^2/sz));
isotropic: V = I / (4 pi sigma r).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_option,
    check_positive,
    check_range,
)


def point_source_mv_per_ma(
    points_um: np.ndarray,
    source_um: np.ndarray,
    sigma_s_per_m: float | tuple[float, float, float],
) -> np.ndarray:
    """Potential (mV per mA) of a point current source in a homogeneous medium.

    Parameters
    ----------
    points_um : array, shape (..., 3)
        Observation points (x, y, z) in um.
    source_um : array, shape (3,) or broadcastable to ``points_um``
        Source position in um.
    sigma_s_per_m : float or (sx, sy, sz)
        Isotropic conductivity, or the three principal conductivities along
        x, y, z in S/m (anisotropic medium, axes aligned).

    Returns
    -------
    numpy.ndarray
        Potential in mV per mA, shape ``points_um.shape[:-1]``.
    """
    sig = np.broadcast_to(np.asarray(sigma_s_per_m, dtype=float), (3,))
    check_positive("sigma_s_per_m", sig, "S/m")
    d_m = (np.asarray(points_um, float) - np.asarray(source_um, float)) * 1e-6
    r_eff = np.sqrt(np.sum(d_m**2 / sig, axis=-1))
    r_eff = np.maximum(r_eff, 1e-9)  # 1 nm floor: a point on the source is a user error upstream
    # 1 mA -> 1e-3 A; volts -> mV x 1e3: the factors cancel
    return 1.0 / (4.0 * np.pi * np.sqrt(np.prod(sig)) * r_eff)


def fiber_point_source_mv_per_ma(
    x_um: np.ndarray, middle_x_um: float, distance_mm: float, offset_mm: float,
    sigma_s_per_m: float | tuple[float, float, float],
) -> np.ndarray:
    """Potentials (mV/mA) along a straight fiber from a point source.

    The fiber runs along z; the source sits ``distance_mm`` away (along x)
    from the fiber axis, ``offset_mm`` along the fiber from the middle node.
    """
    z = np.asarray(x_um, float) - middle_x_um
    pts = np.stack([np.zeros_like(z), np.zeros_like(z), z], axis=-1)
    src = np.array([distance_mm * 1e3, 0.0, offset_mm * 1e3])
    return point_source_mv_per_ma(pts, src, sigma_s_per_m)


@dataclass(frozen=True)
class Waveform:
    """A pulse (train) in units of the stimulus amplitude.

    Parameters
    ----------
    pulse_width_us : float
        Duration of the first (leading) phase in us.
    shape : {'mono', 'biphasic'}
        Monophasic, or charge-balanced biphasic (second phase of opposite sign
        with equal charge: duration ``pulse_width_us * recovery_ratio`` and
        amplitude ``1 / recovery_ratio``).
    polarity : {'cathodic', 'anodic'}
        Sign of the leading phase (cathodic = negative electrode current).
    interphase_gap_us : float
        Gap between the phases (biphasic only).
    recovery_ratio : float
        Duration of the recovery phase over the leading one (1 = symmetric).
    delay_us : float
        Time before the first pulse.
    rate_hz : float
        Pulse rate for trains (only used when ``n_pulses > 1``).
    n_pulses : int
        Number of pulses.
    """

    pulse_width_us: float
    shape: str = "mono"
    polarity: str = "cathodic"
    interphase_gap_us: float = 0.0
    recovery_ratio: float = 1.0
    delay_us: float = 20.0
    rate_hz: float = 50.0
    n_pulses: int = 1

    def __post_init__(self) -> None:
        check_range("pulse_width_us", self.pulse_width_us, 1.0, 100000.0, "us")
        check_option("shape", self.shape, ("mono", "biphasic"))
        check_option("polarity", self.polarity, ("cathodic", "anodic"))
        check_range("interphase_gap_us", self.interphase_gap_us, 0.0, 100000.0, "us")
        check_range("recovery_ratio", self.recovery_ratio, 0.1, 100.0, "")
        check_range("delay_us", self.delay_us, 0.0, 1e6, "us")
        check_int("n_pulses", self.n_pulses, 1, 100000)
        if self.n_pulses > 1:
            check_range("rate_hz", self.rate_hz, 0.0, 1e6, "Hz", low_inclusive=False)
            if 1e6 / self.rate_hz < self.pulse_duration_us:
                raise NeuraxisInputError(
                    f"Invalid value for 'rate_hz'. Allowed range is (0, "
                    f"{1e6 / self.pulse_duration_us:g}] Hz for this pulse "
                    f"({self.pulse_duration_us:g} us long), but got {self.rate_hz:g} Hz")

    @property
    def pulse_duration_us(self) -> float:
        """Duration of one pulse, all phases and gap included (us)."""
        if self.shape == "mono":
            return self.pulse_width_us
        return self.pulse_width_us * (1 + self.recovery_ratio) + self.interphase_gap_us

    @property
    def end_us(self) -> float:
        """Time at which the last pulse ends (us)."""
        period = 1e6 / self.rate_hz if self.n_pulses > 1 else 0.0
        return self.delay_us + (self.n_pulses - 1) * period + self.pulse_duration_us

    def value_at(self, t_us: np.ndarray) -> np.ndarray:
        """Waveform value at times ``t_us`` (piecewise constant)."""
        t = np.asarray(t_us, float) - self.delay_us
        lead = -1.0 if self.polarity == "cathodic" else 1.0
        out = np.zeros_like(t)
        period = 1e6 / self.rate_hz if self.n_pulses > 1 else np.inf
        for i in range(self.n_pulses):
            tt = t - (i * period if self.n_pulses > 1 else 0.0)
            out[(tt >= 0) & (tt < self.pulse_width_us)] = lead
            if self.shape == "biphasic":
                t2 = self.pulse_width_us + self.interphase_gap_us
                dur2 = self.pulse_width_us * self.recovery_ratio
                out[(tt >= t2) & (tt < t2 + dur2)] = -lead / self.recovery_ratio
        return out

    def samples(self, dt_us: float, n_steps: int) -> np.ndarray:
        """Value used during each time step n (sampled at the step midpoint).

        Phase edges are thereby rounded to the step grid; choose a dt that
        divides the pulse width for exact timing.
        """
        return self.value_at((np.arange(n_steps) + 0.5) * dt_us)
