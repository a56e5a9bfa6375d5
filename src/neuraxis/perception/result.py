"""The result of one program shape, and every amplitude-dependent metric from one place.

Definitions (stated once, used by the CLI, the report, the figures and the tests):

* recruited fiber: its threshold (mA of total cathodic current) is at or below the
  amplitude (:meth:`~neuraxis.perception.recruitment.ProgramThresholds.recruited`);
* perception threshold: the amplitude at which the first dorsal-column fiber fires;
* discomfort threshold: the amplitude at which the first dorsal-root fiber fires
  (segmental / radicular paresthesia, felt as uncomfortable: Holsheimer's usable range is
  the DR/DC threshold ratio). Ventral roots and motor effects are not modelled;
* usable range: discomfort / perception threshold;
* paresthesia strength of a dermatome: fraction of the fibers that carry it
  (:mod:`neuraxis.perception.somatotopy`) firing at the amplitude;
* pain coverage: % of the pain map's area whose dermatome has any paresthesia
  (:func:`neuraxis.perception.bodymap.coverage`);
* side effect: a dorsal root with any recruited fiber (segmental paresthesia or
  radicular discomfort).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis.perception.program import Program
from neuraxis.perception.recruitment import ProgramThresholds, recruitment_curve


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(float(v), nd)


def paresthesia_map(dermatome: np.ndarray, recruited: np.ndarray) -> dict[str, float]:
    """Fraction of each dermatome's fibers recruited (dermatomes with fibers only)."""
    out = {}
    for name in sorted(set(dermatome.tolist())):
        sel = dermatome == name
        out[name] = float(recruited[sel].mean())
    return out


@dataclass(frozen=True)
class AmplitudeMetrics:
    """Every metric of one program shape at one amplitude (see the module docstring).

    Attributes
    ----------
    amplitude_ma : float
    recruited : ndarray of bool (n_fibers,)
    paresthesia : dict of str -> float
        Dermatome (``'T10_left'``) -> fraction of its fibers recruited.
    coverage : CoverageResult | None
        None without a pain map.
    dc_recruited_fraction, dr_recruited_fraction : float
    side_effects : list of dict
        Dorsal roots recruited, strongest first.
    """

    amplitude_ma: float
    recruited: np.ndarray = field(repr=False)
    paresthesia: dict
    coverage: Any
    dc_recruited_fraction: float
    dr_recruited_fraction: float
    side_effects: list

    @property
    def pain_coverage_pct(self) -> float | None:
        return None if self.coverage is None else float(self.coverage.pain_coverage_pct)

    @property
    def paresthesia_outside_pain_pct(self) -> float | None:
        return None if self.coverage is None else \
            float(self.coverage.paresthesia_outside_pain_pct)

    def to_dict(self) -> dict[str, Any]:
        return {"amplitude_ma": _r(self.amplitude_ma),
                "pain_coverage_pct": _r(self.pain_coverage_pct, 2),
                "paresthesia_outside_pain_pct": _r(self.paresthesia_outside_pain_pct, 2),
                "paresthesia": {k: _r(v) for k, v in self.paresthesia.items()},
                "dc_recruited_fraction": _r(self.dc_recruited_fraction),
                "dr_recruited_fraction": _r(self.dr_recruited_fraction),
                "side_effects": self.side_effects}


@dataclass(frozen=True)
class ScsResult:
    """Thresholds of every fiber for one program shape, and what follows from them.

    ``result.at(amplitude_ma)`` gives every amplitude-dependent metric; the program's own
    amplitude is ``result.at()``. See :meth:`to_dict` for results.json.
    """

    name: str
    program: Program
    fibers: Any
    dermatome: np.ndarray
    thresholds: ProgramThresholds
    pain: Any
    timings_s: dict
    basis: Any = field(repr=False, default=None)
    anatomy: Any = field(repr=False, default=None)
    placed: Any = field(repr=False, default=None)
    scenario: Any = field(repr=False, default=None)

    @property
    def kinds(self) -> np.ndarray:
        return np.asarray(self.fibers.kind)

    def _first(self, kind: str) -> float | None:
        t = self.thresholds.threshold_ma[self.kinds == kind]
        t = t[np.isfinite(t)]
        return float(t.min()) if t.size else None

    @property
    def perception_threshold_ma(self) -> float | None:
        """First dorsal-column fiber (mA); None if none fires below the search limit."""
        return self._first("dc")

    @property
    def discomfort_threshold_ma(self) -> float | None:
        """First dorsal-root fiber (mA); None if none fires below the search limit."""
        return self._first("dr")

    @property
    def usable_range(self) -> float | None:
        """Discomfort / perception threshold (dimensionless)."""
        p, d = self.perception_threshold_ma, self.discomfort_threshold_ma
        return None if p is None or d is None else d / p

    def at(self, amplitude_ma: float | None = None) -> AmplitudeMetrics:
        """Every amplitude-dependent metric (default: the program's amplitude)."""
        from neuraxis.perception.bodymap import coverage

        amp = self.program.amplitude_ma if amplitude_ma is None else float(amplitude_ma)
        rec = self.thresholds.recruited(amp)
        par = paresthesia_map(self.dermatome, rec)
        kinds = self.kinds
        frac = {k: float(rec[kinds == k].mean()) if np.any(kinds == k) else 0.0
                for k in ("dc", "dr")}
        return AmplitudeMetrics(amp, rec, par,
                                coverage(self.pain, par) if self.pain is not None else None,
                                frac["dc"], frac["dr"], self._side_effects(rec))

    def _side_effects(self, rec: np.ndarray) -> list[dict]:
        out = []
        dr = self.kinds == "dr"
        for name in sorted(set(self.dermatome[dr])):
            sel = dr & (self.dermatome == name)
            frac = float(rec[sel].mean())
            if frac > 0:
                out.append({"root": str(name), "fraction_recruited": round(frac, 4),
                            "effect": "segmental paresthesia / radicular discomfort"})
        return sorted(out, key=lambda r: -r["fraction_recruited"])

    @property
    def curve(self) -> dict[str, list[float]]:
        """Recruitment curves at 61 amplitudes (see :meth:`recruitment_curves`)."""
        return self.recruitment_curves()

    def recruitment_curves(self, n: int = 61) -> dict[str, list[float]]:
        """Recruitment curves: fraction of DC and DR fibers recruited vs amplitude (mA),
        from 0 to twice the program amplitude (or the highest finite threshold)."""
        t = self.thresholds.threshold_ma
        finite = t[np.isfinite(t)]
        top = max(2.0 * self.program.amplitude_ma, float(finite.max()) if finite.size else 1.0)
        amps = np.linspace(0.0, min(top, self.thresholds.settings["max_ma"]), n)
        kinds = self.kinds
        return {"amplitude_ma": amps.tolist(),
                "dc_fraction": recruitment_curve(t[kinds == "dc"], amps).tolist(),
                "dr_fraction": recruitment_curve(t[kinds == "dr"], amps).tolist()}

    def to_dict(self) -> dict[str, Any]:
        """The results.json object (keys are a stable interface)."""
        thr = self.thresholds.threshold_ma
        fibers = []
        for i, rec in enumerate(self.fibers.to_dict()["fibers"]):
            fibers.append({**rec, "dermatome": str(self.dermatome[i]),
                           "threshold_ma": None if not np.isfinite(thr[i]) else _r(thr[i]),
                           "n_nodes": int(self.thresholds.n_nodes[i])})
        here = self.at().to_dict()
        here.pop("amplitude_ma")
        return {
            "name": self.name,
            "program": self.program.to_dict(),
            "perception_threshold_ma": _r(self.perception_threshold_ma),
            "discomfort_threshold_ma": _r(self.discomfort_threshold_ma),
            "usable_range": _r(self.usable_range),
            "pain_map": list(self.pain.names) if self.pain is not None else [],
            **here,
            "recruitment_curve": {k: [_r(x) for x in v] for k, v in self.curve.items()},
            "fibers": fibers,
            "threshold_settings": self.thresholds.settings,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }
