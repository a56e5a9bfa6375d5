"""The SCS main job: scenario -> field basis -> fiber thresholds -> paresthesia and coverage.

Definitions (stated once, used everywhere):

* perception threshold: the amplitude at which the first dorsal-column fiber fires;
* discomfort threshold: the amplitude at which the first dorsal-root fiber fires
  (segmental / radicular paresthesia, felt as uncomfortable: Holsheimer's usable
  range is the DR/DC threshold ratio). Ventral roots and motor effects are not
  modelled;
* usable range: discomfort / perception threshold;
* paresthesia strength of a dermatome: fraction of the fibers that carry it
  (:mod:`neuraxis.perception.somatotopy`) firing at the amplitude;
* pain coverage: % of the pain map's area whose dermatome has any paresthesia
  (:func:`neuraxis.perception.bodymap.coverage`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_int, check_option
from neuraxis.perception.program import Program, program_from_scenario
from neuraxis.perception.recruitment import (
    ProgramThresholds,
    program_thresholds,
    recruitment_curve,
)

FIBER_KEYS = ("dc", "dr_per_root", "seed", "overlap")
FIBER_DEFAULTS = {"dc": 240, "dr_per_root": 6, "seed": 0, "overlap": 0.5}


def fibers_from_scenario(section: Any) -> dict[str, Any]:
    """Validate the scenario's ``fibers`` section: ``{dc: count, dr_per_root: count,
    seed: int, overlap: lamina overlap in band widths}`` (all optional)."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise NeuraxisInputError(
            "Invalid scenario: 'fibers' must be a mapping such as {dc: 240, dr_per_root: 6, "
            "seed: 0}")
    for key in section:
        check_option("fibers key", str(key), FIBER_KEYS)
    out = {**FIBER_DEFAULTS, **section}
    out["dc"] = check_int("fibers.dc", out["dc"], 10, 5000)
    out["dr_per_root"] = check_int("fibers.dr_per_root", out["dr_per_root"], 1, 200)
    out["seed"] = check_int("fibers.seed", out["seed"], 0, 2**31 - 1)
    return out


@dataclass(frozen=True)
class ScsResult:
    """Everything ``scs run`` reports (see :meth:`to_dict` for results.json)."""

    scenario: dict
    program: Program
    fibers: Any
    dermatome: np.ndarray
    thresholds: ProgramThresholds
    pain: Any
    coverage: Any
    paresthesia: dict
    curve: dict
    timings_s: dict
    basis: Any = field(repr=False, default=None)
    anatomy: Any = field(repr=False, default=None)
    placed: Any = field(repr=False, default=None)

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
        p, d = self.perception_threshold_ma, self.discomfort_threshold_ma
        return None if p is None or d is None else d / p

    def recruited_fraction(self, kind: str, amplitude_ma: float | None = None) -> float:
        amp = self.program.amplitude_ma if amplitude_ma is None else amplitude_ma
        sel = self.kinds == kind
        return float(self.thresholds.recruited(amp)[sel].mean()) if np.any(sel) else 0.0

    def side_effects(self) -> list[dict]:
        """Dorsal roots recruited at the program amplitude (segmental paresthesia or
        radicular discomfort), strongest first."""
        rec = self.thresholds.recruited(self.program.amplitude_ma)
        out = []
        dr = self.kinds == "dr"
        for name in sorted(set(self.dermatome[dr])):
            sel = dr & (self.dermatome == name)
            frac = float(rec[sel].mean())
            if frac > 0:
                out.append({"root": str(name), "fraction_recruited": round(frac, 4),
                            "effect": "segmental paresthesia / radicular discomfort"})
        return sorted(out, key=lambda r: -r["fraction_recruited"])

    def to_dict(self) -> dict[str, Any]:
        """The results.json object (keys are a stable interface)."""
        def r(v: float | None, nd: int = 4) -> float | None:
            return None if v is None else round(float(v), nd)

        thr = self.thresholds.threshold_ma
        fibers = []
        for i, rec in enumerate(self.fibers.to_records()):
            fibers.append({**rec, "dermatome": str(self.dermatome[i]),
                           "threshold_ma": None if not np.isfinite(thr[i]) else r(thr[i]),
                           "n_nodes": int(self.thresholds.n_nodes[i])})
        return {
            "name": self.scenario.get("name"),
            "program": self.program.to_dict(),
            "perception_threshold_ma": r(self.perception_threshold_ma),
            "discomfort_threshold_ma": r(self.discomfort_threshold_ma),
            "usable_range": r(self.usable_range),
            "pain_map": list(self.pain.names) if self.pain is not None else [],
            "pain_coverage_pct": r(self.coverage.pain_coverage_pct, 2)
            if self.coverage is not None else None,
            "paresthesia_outside_pain_pct": r(self.coverage.paresthesia_outside_pain_pct, 2)
            if self.coverage is not None else None,
            "paresthesia": {k: r(v) for k, v in self.paresthesia.items()},
            "dc_recruited_fraction": r(self.recruited_fraction("dc")),
            "dr_recruited_fraction": r(self.recruited_fraction("dr")),
            "side_effects": self.side_effects(),
            "recruitment_curve": {k: [r(x) for x in v] for k, v in self.curve.items()},
            "fibers": fibers,
            "threshold_settings": self.thresholds.settings,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


def paresthesia_map(dermatome: np.ndarray, recruited: np.ndarray) -> dict[str, float]:
    """Fraction of each dermatome's fibers recruited (dermatomes with fibers only)."""
    out = {}
    for name in sorted(set(dermatome.tolist())):
        sel = dermatome == name
        out[name] = float(recruited[sel].mean())
    return out


def run_scs(scenario: dict, *, cache: bool = True,
            progress: Callable[[str, int, int], None] | None = None) -> ScsResult:
    """Run a scenario end to end (see the module docstring for the definitions).

    Parameters
    ----------
    scenario : dict
        As read by :func:`neuraxis.scenario.load_scenario` (after ``--set`` overrides).
    cache : bool
        Use the on-disk field-basis cache.
    progress : callable, optional
        ``progress(stage, done, total)``, stage in 'mesh', 'solve', 'thresholds'.
    """
    from neuraxis.field import build_field_basis
    from neuraxis.fibers import cord_segments, dorsal_column_fibers, dorsal_root_fibers
    from neuraxis.perception.bodymap import coverage, pain_map
    from neuraxis.perception.somatotopy import fiber_dermatomes
    from neuraxis.scenario import field_inputs

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    anatomy, placed, mesh = field_inputs(scenario)
    if getattr(anatomy, "kind", "spine") != "spine":
        raise NeuraxisInputError("Invalid scenario: 'scs run' needs a spine anatomy "
                                 "(anatomy.kind: spine)")
    program = program_from_scenario(scenario.get("program"), tuple(placed.lead.contact_names))
    pain = pain_map(scenario["pain_map"]) if scenario.get("pain_map") else None
    fib = fibers_from_scenario(scenario.get("fibers"))
    timings["validate"] = time.perf_counter() - t0

    t = time.perf_counter()
    basis = build_field_basis(anatomy, placed, mesh, cache=cache, progress=progress)
    timings["field_basis"] = time.perf_counter() - t

    t = time.perf_counter()
    centers = dict(zip(placed.lead.contact_names, placed.contact_centers_mm(), strict=True))
    cz = float(np.mean([centers[c][2] for c in program.cathodes]))
    fibers = dorsal_column_fibers(anatomy, fib["dc"], seed=fib["seed"]).concat(
        dorsal_root_fibers(anatomy, n_per_root=fib["dr_per_root"], seed=fib["seed"],
                           z_center_mm=cz))
    segments = cord_segments(anatomy)
    entries = np.array(sorted(segments))
    local = segments[float(entries[np.argmin(np.abs(entries - cz))])]
    dermatome = fiber_dermatomes(anatomy, fibers, local, overlap=fib["overlap"],
                                 seed=fib["seed"])
    timings["fibers"] = time.perf_counter() - t

    t = time.perf_counter()
    thr_progress = None if progress is None else (lambda d, n: progress("thresholds", d, n))
    thresholds = program_thresholds(basis, fibers, program,
                                     {k: float(v[2]) for k, v in centers.items()},
                                     progress=thr_progress)
    timings["thresholds"] = time.perf_counter() - t

    t = time.perf_counter()
    rec = thresholds.recruited(program.amplitude_ma)
    par = paresthesia_map(dermatome, rec)
    cov = coverage(pain, par) if pain is not None else None
    kinds = np.asarray(fibers.kind)
    finite = thresholds.threshold_ma[np.isfinite(thresholds.threshold_ma)]
    top = max(2.0 * program.amplitude_ma, float(finite.max()) if finite.size else 1.0)
    amps = np.linspace(0.0, min(top, thresholds.settings["max_ma"]), 61)
    curve = {"amplitude_ma": amps.tolist(),
             "dc_fraction": recruitment_curve(thresholds.threshold_ma[kinds == "dc"],
                                              amps).tolist(),
             "dr_fraction": recruitment_curve(thresholds.threshold_ma[kinds == "dr"],
                                              amps).tolist()}
    timings["perception"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return ScsResult(scenario, program, fibers, dermatome, thresholds, pain, cov, par, curve,
                     timings, basis=basis, anatomy=anatomy, placed=placed)
