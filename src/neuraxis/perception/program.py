"""A stimulation program: signed contact fractions, amplitude, pulse width, rate.

Scenario section (``program``; read by :mod:`neuraxis.scenario`)::

    program:
      contacts: {E4: -1, E5: 1}   # contact name -> signed fraction; cathodes negative
      amplitude_ma: 3.0
      pulse_width_us: 300
      rate_hz: 50

Fractions sum to 0 (bipolar: the lead's anodes return all the current) or to -1
(monopolar: the implanted pulse generator's case is the anode). The program's
*shape* (fractions, pulse width) decides each fiber's threshold; the amplitude only
says which thresholds are reached.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option, check_range

#: Largest amplitude accepted (mA): the top of current pulse generators' range (e.g. 25.5 mA;
#: unverified against a manual).
MAX_AMPLITUDE_MA = 25.5
#: Allowed ranges (low, high) of the program's numbers.
AMPLITUDE_RANGE_MA = (0.0, MAX_AMPLITUDE_MA)
PULSE_WIDTH_RANGE_US = (20.0, 1000.0)
RATE_RANGE_HZ = (2.0, 1200.0)
DEFAULT_PULSE_WIDTH_US = 300.0
DEFAULT_RATE_HZ = 50.0
WAVEFORMS = ("mono", "biphasic")
#: Default waveform: clinical stimulators deliver charge-balanced pulses (a cathodic phase
#: and an equal, opposite recharge phase), never a net charge (Merrill, Bikson & Jefferys
#: 2005, J Neurosci Methods 141:171, on charge balance for safe stimulation).
DEFAULT_WAVEFORM = "biphasic"


@dataclass(frozen=True)
class Program:
    """A validated program.

    Attributes
    ----------
    contacts : dict of str -> float
        Signed current fraction per active contact (cathodes negative).
    amplitude_ma : float
        Total cathodic current (mA).
    pulse_width_us : float
        Width of the leading (cathodic) phase (us).
    rate_hz : float
        Pulse rate (Hz); reported, and used for charge per second, not for thresholds.
    waveform : {'mono', 'biphasic'}
        Leading phase alone, or a symmetric charge-balanced biphasic pulse.
    """

    contacts: dict
    amplitude_ma: float
    pulse_width_us: float
    rate_hz: float = 50.0
    waveform: str = DEFAULT_WAVEFORM

    @property
    def kind(self) -> str:
        """'bipolar' (fractions sum to 0) or 'monopolar' (case anode)."""
        return "bipolar" if abs(sum(self.contacts.values())) < 1e-6 else "monopolar"

    @property
    def cathodes(self) -> tuple[str, ...]:
        """Contacts with a negative fraction."""
        return tuple(k for k, v in self.contacts.items() if v < 0)

    def with_amplitude(self, amplitude_ma: float) -> Program:
        """The same program shape at another amplitude (mA, checked)."""
        amp = float(check_range("amplitude_ma", amplitude_ma, *AMPLITUDE_RANGE_MA, "mA",
                                low_inclusive=False))
        return replace(self, amplitude_ma=amp)

    @property
    def shape_key(self) -> tuple:
        """What decides the fibers' thresholds: fractions, pulse width, waveform."""
        return (tuple(sorted(self.contacts.items())), self.pulse_width_us, self.waveform)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (scenario form)."""
        return {"contacts": dict(self.contacts), "amplitude_ma": self.amplitude_ma,
                "pulse_width_us": self.pulse_width_us, "rate_hz": self.rate_hz,
                "waveform": self.waveform}


def make_program(contacts: Any, amplitude_ma: Any, pulse_width_us: Any = DEFAULT_PULSE_WIDTH_US,
                 rate_hz: Any = DEFAULT_RATE_HZ, waveform: Any = DEFAULT_WAVEFORM, *,
                 contact_names: tuple[str, ...], field: str = "program") -> Program:
    """A validated :class:`Program` for a lead with ``contact_names``.

    Parameters
    ----------
    contacts : mapping of str -> float
        Signed fractions (:func:`check_fractions`).
    amplitude_ma : float
        Total cathodic current (mA), in (0, :data:`MAX_AMPLITUDE_MA`].
    pulse_width_us : float
        Width of the leading phase (us), in :data:`PULSE_WIDTH_RANGE_US`.
    rate_hz : float
        Pulse rate (Hz), in :data:`RATE_RANGE_HZ`.
    waveform : {'mono', 'biphasic'}
    contact_names : tuple of str
        The lead's contacts.
    field : str
        Prefix of the names in messages.

    Raises
    ------
    NeuraxisInputError
        Bad fractions, or a number out of range (the message names the field and unit).
    """
    fractions = check_fractions(contacts, contact_names, f"{field}.contacts")
    if amplitude_ma is None:
        raise NeuraxisInputError(
            f"Invalid value for '{field}.amplitude_ma': it is required (total cathodic "
            f"current in mA, in (0, {MAX_AMPLITUDE_MA:g}])")
    amp = float(check_range(f"{field}.amplitude_ma", amplitude_ma, *AMPLITUDE_RANGE_MA, "mA",
                            low_inclusive=False))
    pw = float(check_range(f"{field}.pulse_width_us", pulse_width_us, *PULSE_WIDTH_RANGE_US,
                           "us"))
    rate = float(check_range(f"{field}.rate_hz", rate_hz, *RATE_RANGE_HZ, "Hz"))
    wave = check_option(f"{field}.waveform", str(waveform), WAVEFORMS)
    return Program(fractions, amp, pw, rate, wave)


def check_fractions(contacts: Any, contact_names: tuple[str, ...],
                    field: str = "program.contacts") -> dict[str, float]:
    """Validate signed contact fractions against a lead's contacts (the one check).

    Parameters
    ----------
    contacts : mapping of str -> float
        Contact name -> signed fraction (cathodes negative), e.g. ``{"E4": -1, "E5": 1}``.
    contact_names : tuple of str
        The lead's contacts.
    field : str
        Name used in messages (``'program.contacts'``, ``'--program'``).

    Returns
    -------
    dict of str -> float
        The non-zero fractions, in the given order.

    Raises
    ------
    NeuraxisInputError
        Not a mapping, unknown contacts, fractions outside [-1, 1], no cathode, fractions
        that sum to neither 0 nor -1, cathodes that do not sum to -1.
    """
    if not isinstance(contacts, dict) or not contacts:
        raise NeuraxisInputError(
            f"Invalid value for {field!r}: expected a mapping contact name -> signed "
            "fraction (cathodes negative), e.g. {E4: -1, E5: 1}")
    fractions: dict[str, float] = {}
    for name, value in contacts.items():
        if isinstance(name, str) and ":" in name and value is None:
            raise NeuraxisInputError(
                f"Invalid value for {field!r}: {name!r} is not a contact; in YAML put a space "
                "after each colon, e.g. {E4: -1, E5: 1}")
        name = check_option(f"{field} contact", str(name), contact_names)
        fractions[name] = float(check_range(f"{field}.{name}", value, -1.0, 1.0, ""))
    fractions = {k: v for k, v in fractions.items() if v != 0.0}
    if not any(v < 0 for v in fractions.values()):
        raise NeuraxisInputError(
            f"Invalid value for {field!r}: no cathode; give at least one contact a "
            "negative fraction")
    total = sum(fractions.values())
    if abs(total) > 1e-6 and abs(total + 1.0) > 1e-6:
        raise NeuraxisInputError(
            f"Invalid value for {field!r}: the fractions sum to {total:g}; they must "
            "sum to 0 (bipolar) or to -1 (monopolar, the case is the anode)")
    cathodic = -sum(v for v in fractions.values() if v < 0)
    if abs(cathodic - 1.0) > 1e-6:
        raise NeuraxisInputError(
            f"Invalid value for {field!r}: the cathodes' fractions sum to "
            f"{-cathodic:g}; they must sum to -1 (the amplitude is the total cathodic current)")
    return fractions
