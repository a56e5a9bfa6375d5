"""The result of one program shape, and every amplitude-dependent metric from one place.

Definitions (stated once, used by the CLI, the report, the figures and the tests; the
percept model and its sources: :mod:`neuraxis.perception.percept`):

* recruited fiber: its threshold (mA of total cathodic current) is at or below the
  amplitude (:meth:`~neuraxis.perception.recruitment.ProgramThresholds.recruited`);
  counts are of real fibers (each sampled fiber stands for ``weight_fibers``);
* perception threshold (PT): the lowest amplitude at which the real fibers firing from
  a dorsal-column site reach the perception count;
* discomfort threshold (DT): the lowest amplitude at which the fibers of one dorsal root
  firing from a root or entry-zone site reach the discomfort count (segmental /
  radicular paresthesia, felt as uncomfortable). Ventral roots and motor effects are
  not modelled;
* usable range: DT / PT;
* paresthesia of a dermatome: felt at or above PT when at least the felt count of its
  real fibers fire; its strength is the fraction of its real fibers firing;
* pain coverage: % of the pain map's area whose dermatome is felt
  (:func:`neuraxis.perception.bodymap.coverage`);
* side effect: a dorsal root whose root- or entry-zone-initiated fibers reach the
  discomfort count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from neuraxis.perception.percept import (
    Afferents,
    PerceptCriteria,
    afferents,
    discomfort_thresholds_ma,
    felt_paresthesia,
    percept_criteria,
    perception_threshold_ma,
)
from neuraxis.perception.program import Program
from neuraxis.perception.recruitment import ProgramThresholds, recruitment_curve


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(float(v), nd)


def paresthesia_map(dermatome: np.ndarray, recruited: np.ndarray,
                    weight_fibers: np.ndarray | None = None) -> dict[str, float]:
    """Fraction of each dermatome's (real) fibers recruited, every dermatome with fibers.

    The raw recruitment per dermatome, felt or not; what is felt is
    :func:`neuraxis.perception.percept.felt_paresthesia`.
    """
    w = np.ones(len(dermatome)) if weight_fibers is None else np.asarray(weight_fibers, float)
    out = {}
    for name in sorted(set(dermatome.tolist()) - {""}):  # '': no dermatome (DLC fibers)
        sel = dermatome == name
        out[name] = float(w[sel & recruited].sum() / w[sel].sum()) if w[sel].sum() > 0 else 0.0
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
    criteria: PerceptCriteria = field(repr=False, default_factory=percept_criteria)

    @property
    def kinds(self) -> np.ndarray:
        return np.asarray(self.fibers.kind)

    @cached_property
    def afferents(self) -> Afferents:
        """One entry per afferent (lowest threshold over its cables, and its site)."""
        return afferents(self.fibers, self.thresholds.threshold_ma, self.thresholds.site,
                         self.dermatome)

    @cached_property
    def _perception(self) -> float | None:
        return perception_threshold_ma(self.afferents, self.criteria)

    @cached_property
    def discomfort_by_root_ma(self) -> dict[str, float]:
        """Discomfort (side-effect) threshold of each dorsal root (mA)
        (:func:`~neuraxis.perception.percept.discomfort_thresholds_ma`)."""
        return discomfort_thresholds_ma(self.afferents, self.criteria)

    @staticmethod
    def _lowest(by: dict[str, float]) -> tuple[str | None, float | None]:
        if not by:
            return None, None
        k = min(by, key=lambda n: (by[n], n))
        return k, by[k]

    @property
    def perception_threshold_ma(self) -> float | None:
        """Perception threshold (mA); None if not reached below the search limit
        (:func:`~neuraxis.perception.percept.perception_threshold_ma`)."""
        return self._perception

    @property
    def discomfort_threshold_ma(self) -> float | None:
        """Discomfort threshold (mA); None if no root reaches it below the search limit."""
        return self._lowest(self.discomfort_by_root_ma)[1]

    @cached_property
    def dorsolateral_threshold_ma(self) -> float | None:
        """Dorsolateral-column threshold (mA; not perceived): None without DLC fibers
        (:func:`~neuraxis.perception.percept.dorsolateral_threshold_ma`)."""
        from neuraxis.perception.percept import dorsolateral_threshold_ma

        return dorsolateral_threshold_ma(self.afferents, self.criteria)

    @property
    def usable_range(self) -> float | None:
        """Discomfort / perception threshold (dimensionless)."""
        p, d = self.perception_threshold_ma, self.discomfort_threshold_ma
        return None if p is None or d is None else d / p

    def fiber_counts(self) -> dict[str, Any]:
        """What the thresholds rest on: sampled fibers, the real fibers they stand for, and
        how many sampled fibers fire at each threshold in the group that sets it."""
        aff, kinds = self.afferents, self.kinds
        collateral = np.asarray(self.fibers.branch) == "collateral"
        out: dict[str, Any] = {
            "sampled_dc_fibers": int(np.sum((kinds == "dc") & ~collateral)),
            "sampled_dc_collaterals": int(np.sum(collateral)),
            "sampled_dr_cables": int(np.sum(kinds == "dr")),
            "sampled_dr_afferents": int(np.sum(aff.kind == "dr")),
            "real_dc_fibers": round(float(aff.weight_fibers[aff.kind == "dc"].sum()), 1),
            "real_dr_fibers": round(float(aff.weight_fibers[aff.kind == "dr"].sum()), 1),
            "perception_fibers": self.criteria.perception_fibers,
            "discomfort_fibers": self.criteria.discomfort_fibers,
        }
        if np.any(kinds == "dlc"):
            dlc = aff.kind == "dlc"
            out["sampled_dlc_fibers"] = int(np.sum(kinds == "dlc"))
            out["real_dlc_fibers"] = round(float(aff.weight_fibers[dlc].sum()), 1)
            t = self.dorsolateral_threshold_ma
            if t is not None:
                sel = dlc & (np.nan_to_num(aff.threshold_ma, nan=np.inf) <= t)
                out["dorsolateral"] = {"sampled_fibers_firing": int(sel.sum()),
                                       "real_fibers_firing": round(
                                           float(aff.weight_fibers[sel].sum()), 1)}
        pt = self.perception_threshold_ma
        root, dt = self._lowest(self.discomfort_by_root_ma)
        fire = np.nan_to_num(aff.threshold_ma, nan=np.inf)
        if pt is not None:
            sel = (aff.site == "dc") & (fire <= pt)
            out["perception"] = {"sampled_fibers_firing": int(sel.sum()),
                                 "real_fibers_firing": round(float(aff.weight_fibers[sel].sum()),
                                                             1)}
        if dt is not None:
            sel = (aff.root == root) & (np.nan_to_num(aff.root_threshold_ma, nan=np.inf) <= dt)
            out["discomfort"] = {"root": root, "sampled_afferents_firing": int(sel.sum()),
                                 "sampled_afferents_in_root": int(np.sum(aff.root == root)),
                                 "real_fibers_firing": round(float(aff.weight_fibers[sel].sum()),
                                                             1)}
        amp = self.program.amplitude_ma
        sel = fire <= amp
        out["at_program_amplitude"] = {
            "amplitude_ma": amp, "sampled_afferents_firing": int(sel.sum()),
            "real_fibers_firing": round(float(aff.weight_fibers[sel].sum()), 1),
            "dermatomes_felt": len(self.at(amp).paresthesia)}
        return out

    def at(self, amplitude_ma: float | None = None) -> AmplitudeMetrics:
        """Every amplitude-dependent metric (default: the program's amplitude)."""
        from neuraxis.perception.bodymap import coverage

        amp = self.program.amplitude_ma if amplitude_ma is None else float(amplitude_ma)
        rec = self.thresholds.recruited(amp)
        aff = self.afferents
        par = felt_paresthesia(aff, amp, self.criteria, self.perception_threshold_ma)
        fire = np.nan_to_num(aff.threshold_ma, nan=np.inf) <= amp
        frac = {}
        for k in ("dc", "dr"):
            w = aff.weight_fibers[aff.kind == k]
            frac[k] = float(w[fire[aff.kind == k]].sum() / w.sum()) if w.sum() > 0 else 0.0
        return AmplitudeMetrics(amp, rec, par,
                                coverage(self.pain, par) if self.pain is not None else None,
                                frac["dc"], frac["dr"], self._side_effects(amp))

    def _side_effects(self, amplitude_ma: float) -> list[dict]:
        aff = self.afferents
        out = []
        for root, t in self.discomfort_by_root_ma.items():
            if t > amplitude_ma:
                continue
            sel = aff.root == root
            hit = sel & (np.nan_to_num(aff.root_threshold_ma, nan=np.inf) <= amplitude_ma)
            out.append({"root": root, "threshold_ma": round(t, 4),
                        "real_fibers_firing": round(float(aff.weight_fibers[hit].sum()), 1),
                        "fraction_recruited": round(float(aff.weight_fibers[hit].sum()
                                                          / aff.weight_fibers[sel].sum()), 4),
                        "effect": "segmental paresthesia / radicular discomfort"})
        return sorted(out, key=lambda r: (r["threshold_ma"], r["root"]))

    @property
    def curve(self) -> dict[str, list[float]]:
        """Recruitment curves at 61 amplitudes (see :meth:`recruitment_curves`)."""
        return self.recruitment_curves()

    def recruitment_curves(self, n: int = 61) -> dict[str, list[float]]:
        """Recruitment curves: fraction of the real DC, DR (and DLC, if sampled) fibers
        recruited vs amplitude (mA), from 0 to twice the program amplitude (or the highest
        finite threshold)."""
        aff = self.afferents
        t = aff.threshold_ma
        finite = t[np.isfinite(t)]
        top = max(2.0 * self.program.amplitude_ma, float(finite.max()) if finite.size else 1.0)
        amps = np.linspace(0.0, min(top, self.thresholds.settings["max_ma"]), n)
        out = {"amplitude_ma": amps.tolist()}
        for k in ("dc", "dr", "dlc")[:3 if np.any(aff.kind == "dlc") else 2]:
            sel = aff.kind == k
            out[f"{k}_fraction"] = recruitment_curve(t[sel], amps,
                                                     aff.weight_fibers[sel]).tolist()
        return out

    def to_dict(self) -> dict[str, Any]:
        """The results.json object (keys are a stable interface)."""
        from neuraxis.perception.percept import fiber_weights

        thr = self.thresholds.threshold_ma
        w = fiber_weights(self.fibers)
        fibers = []
        for i, rec in enumerate(self.fibers.to_dict()["fibers"]):
            fibers.append({**rec, "dermatome": str(self.dermatome[i]),
                           "threshold_ma": None if not np.isfinite(thr[i]) else _r(thr[i]),
                           "initiation_site": str(self.thresholds.site[i]),
                           "weight_fibers": _r(w[i]),
                           "n_nodes": int(self.thresholds.n_nodes[i])})
        here = self.at().to_dict()
        here.pop("amplitude_ma")
        return {
            "name": self.name,
            "program": self.program.to_dict(),
            "perception_threshold_ma": _r(self.perception_threshold_ma),
            "discomfort_threshold_ma": _r(self.discomfort_threshold_ma),
            "usable_range": _r(self.usable_range),
            "dorsolateral_threshold_ma": _r(self.dorsolateral_threshold_ma),
            "fiber_counts": self.fiber_counts(),
            "percept": {"criteria": self.criteria.to_dict(),
                        "discomfort_by_root_ma": {k: _r(v) for k, v in
                                                  self.discomfort_by_root_ma.items()}},
            "pain_map": list(self.pain.names) if self.pain is not None else [],
            **here,
            "recruitment_curve": {k: [_r(x) for x in v] for k, v in self.curve.items()},
            "fibers": fibers,
            "threshold_settings": self.thresholds.settings,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }
