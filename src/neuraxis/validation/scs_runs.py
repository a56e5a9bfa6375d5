"""The SCS sessions the validation rows compare, and how a comparison is decided.

Every row (:mod:`neuraxis.validation.scs`) is computed from SCS sessions of the current
library on the coarse mesh with the default, converged fiber sampling
(:class:`~neuraxis.perception.population.FiberSpec`); one :class:`Runs` memo is shared
by all rows, so a field basis, a fiber population or a program shape is computed once.

Sampling noise. PT, DT and the usable range are population counts that move by less
than :data:`SAMPLING_TOLERANCE` when the sampling doubles, and by less than that between
the default and the fine mesh (``tests/validation/test_scs_convergence.py``; the coarse
mesh gave the same three numbers within 0.3 % on the bundled 1x8 example). An ordering
between two configurations therefore counts as *resolved* only when the two values
differ by more than that tolerance; an ordering inside it is reported as "not
resolved", never as a pass.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Overrides of every run: the coarse mesh (default fibers).
BASE_SETS = ("mesh=coarse",)
#: Relative change of PT, DT or UR that sampling and mesh may cause (the convergence bound).
SAMPLING_TOLERANCE = 0.05
#: Pulse width of every program unless a row varies it (us).
PULSE_WIDTH_US = 300.0
#: Vertebral level of the dCSF, lateral-lead and configuration rows.
T9 = ("anatomy.level=T9", "placement.level=T9")
#: Dorsal CSF thicknesses of the PT-vs-dCSF row (mm): inside the published T11 supine
#: range 2.0-6.0 mm and what the T9 model accepts (up to 5.2 mm with the lead's sheath).
DCSF_MM = (2.5, 3.5, 4.5)
#: Lateral offset of the lead in the lateral-lead rows (mm, to the patient's left).
LATERAL_OFFSET_MM = 3.0
#: Amplitude, in multiples of the perception threshold, of the depth and side rows.
PT_MULTIPLE = 1.5

#: The midline percutaneous 1x8 lead at T8 (as ``examples/scs_1x8_t8_low_back.yaml``).
PERCUTANEOUS = {
    "name": "validation_1x8",
    "anatomy": {"kind": "spine", "level": "T8"},
    "lead": {"model": "percutaneous_1x8"},
    "placement": {"level": "T8", "offset_x_mm": 0.0, "offset_z_mm": -5.0},
    "mesh": "default",
    "program": {"contacts": {"E3": 0.5, "E4": -1.0, "E5": 0.5}, "amplitude_ma": 3.0,
                "pulse_width_us": PULSE_WIDTH_US, "rate_hz": 50},
    "pain_map": ["low_back", "buttock_left", "buttock_right"],
}
#: The 5-6-5 paddle at T9, dCSF 3 mm (as ``examples/scs_paddle_565_t9_tripole.yaml``);
#: contacts: right column E1-E5, middle E6-E11, left E12-E16, rostral first.
PADDLE = {
    "name": "validation_paddle_565",
    "anatomy": {"kind": "spine", "level": "T9", "dcsf_mm": 3.0},
    "lead": {"model": "paddle_5_6_5"},
    "placement": {"level": "T9", "offset_x_mm": 0.0, "offset_z_mm": 0.0},
    "mesh": "default",
    "program": {"contacts": {"E3": 0.25, "E4": 0.25, "E9": -1.0, "E14": 0.25, "E15": 0.25},
                "amplitude_ma": 4.0, "pulse_width_us": PULSE_WIDTH_US, "rate_hz": 50},
    "pain_map": ["low_back", "buttock_left", "buttock_right"],
}
BASES = {"percutaneous": PERCUTANEOUS, "paddle": PADDLE}

#: Programs (signed contact fractions) of the 1x8 lead.
GUARDED_CATHODE = {"E3": 0.5, "E4": -1.0, "E5": 0.5}
PERC_BIPOLE = {"E4": -1.0, "E5": 1.0}
PERC_MONOPOLE = {"E4": -1.0}
#: Programs of the paddle: transverse tripole (cathode E9 in the middle column, anodes in
#: both lateral columns), longitudinal bipole and monopole on the same cathode.
TRANSVERSE_TRIPOLE = {"E3": 0.25, "E4": 0.25, "E9": -1.0, "E14": 0.25, "E15": 0.25}
PADDLE_BIPOLE = {"E9": -1.0, "E10": 1.0}
PADDLE_MONOPOLE = {"E9": -1.0}


class Runs:
    """Memo of SCS sessions and program results, shared by the rows.

    One :class:`~neuraxis.perception.ScsSession` per lead and list of overrides (its
    field basis is also cached on disk, ``NEURAXIS_CACHE_DIR``), one result per program
    shape in it.
    """

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, tuple[str, ...]], Any] = {}

    def session(self, lead: str, sets: Sequence[str] = ()) -> Any:
        """The session of ``BASES[lead]`` with :data:`BASE_SETS` and then ``sets`` applied.

        Parameters
        ----------
        lead : {'percutaneous', 'paddle'}
            Key of :data:`BASES`.
        sets : sequence of str
            ``key.path=value`` overrides (as ``--set``), after :data:`BASE_SETS`.
        """
        from neuraxis.perception import ScsSession
        from neuraxis.scenario import apply_overrides, scenario_from_dict

        key = (lead, tuple(sets))
        if key not in self._sessions:
            raw = apply_overrides(copy.deepcopy(BASES[lead]), [*BASE_SETS, *sets])
            self._sessions[key] = ScsSession(scenario_from_dict(raw, source="validation"))
        return self._sessions[key]

    def result(self, lead: str, sets: Sequence[str], contacts: dict[str, float], *,
               pulse_width_us: float = PULSE_WIDTH_US) -> Any:
        """The :class:`~neuraxis.perception.ScsResult` of a program in that session
        (the default, charge-balanced biphasic waveform).

        Parameters
        ----------
        lead, sets
            As for :meth:`session`.
        contacts : dict of str -> float
            Signed contact fractions (cathodes negative).
        pulse_width_us : float
            Pulse width (us).
        """
        from neuraxis.perception import make_program

        session = self.session(lead, sets)
        program = make_program(contacts, 3.0, pulse_width_us,
                               contact_names=tuple(session.placed.lead.contact_names))
        return session.evaluate(program)


def above(high: float, low: float) -> bool:
    """``high`` exceeds ``low`` by more than :data:`SAMPLING_TOLERANCE` (resolved)."""
    return bool(high > low * (1.0 + SAMPLING_TOLERANCE))


def first_threshold_ma(r: Any) -> float:
    """The lower of the perception and discomfort thresholds (mA): what is felt first."""
    return min(t for t in (r.perception_threshold_ma, r.discomfort_threshold_ma)
               if t is not None)


def below_dt_ma(r: Any) -> float:
    """Just below the discomfort threshold (mA); the search limit if no root reaches it."""
    dt = r.discomfort_threshold_ma
    return 0.999 * dt if dt is not None else float(r.thresholds.settings["max_ma"])


def dc_recruited(r: Any, amplitude_ma: float) -> tuple[np.ndarray, np.ndarray]:
    """Dorsal-column afferents firing at ``amplitude_ma``: (mask over afferents, weights)."""
    aff = r.afferents
    fire = np.nan_to_num(aff.threshold_ma, nan=np.inf) <= amplitude_ma
    return fire & (aff.kind == "dc"), aff.weight_fibers


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile (0-1) of ``values`` weighted by ``weights`` (real fibers)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cum = np.cumsum(w) - 0.5 * w
    return float(np.interp(q * w.sum(), cum, v))
