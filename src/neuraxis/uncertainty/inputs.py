"""The uncertain inputs of the SCS model, read from ``data/uncertainty.yaml``.

Each :class:`UncertainInput` is one scenario ``--set`` path (``anatomy.dcsf_mm``), a
distribution over a range with its source, and whether it changes the mesh (geometry) or
only the FEM solve (conductivity). :func:`resolve_inputs` fixes the ranges for one
scenario: the dCSF range of its vertebral level, offsets around the scenario's own value
(``relative``), ranges clipped to what the anatomy and placement layers accept, and inputs
that cannot change the result left out (the encapsulation conductivity of an acute lead).
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_option

DISTRIBUTIONS = ("uniform", "loguniform")
KINDS = ("conductivity", "geometry")


@dataclass(frozen=True)
class UncertainInput:
    """One sampled input.

    Attributes
    ----------
    name : str
        Short name, e.g. ``'dcsf'`` (the Sobol' tables use it).
    path : str
        Scenario ``--set`` path, e.g. ``'anatomy.dcsf_mm'``.
    kind : {'conductivity', 'geometry'}
        Geometry inputs change the mesh; conductivities only the solve.
    distribution : {'uniform', 'loguniform'}
    low, high : float
        Range of the value written to the scenario (after adding the nominal value for a
        relative input), in ``unit``.
    unit : str
    source : str
    verified : bool
    nominal : float | None
        The scenario's own value (relative inputs), else None.
    note : str
        What was changed when resolving (clipping), '' if nothing.
    """

    name: str
    path: str
    kind: str
    distribution: str
    low: float
    high: float
    unit: str
    source: str
    verified: bool
    nominal: float | None = None
    note: str = ""

    @property
    def salib_bounds(self) -> list[float]:
        """Bounds of the variable SALib samples (log of the value for loguniform)."""
        if self.distribution == "loguniform":
            return [math.log(self.low), math.log(self.high)]
        return [self.low, self.high]

    def value_of(self, u: float) -> float:
        """The scenario value for SALib's sampled variable ``u``."""
        return float(math.exp(u)) if self.distribution == "loguniform" else float(u)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "kind": self.kind,
                "distribution": self.distribution, "low": self.low, "high": self.high,
                "unit": self.unit, "nominal": self.nominal, "source": self.source,
                "verified": self.verified, "note": self.note}


def input_table() -> dict[str, dict[str, Any]]:
    """The raw ``inputs`` mapping of ``data/uncertainty.yaml`` (a fresh copy)."""
    from neuraxis.anatomy.tables import read_table

    return read_table("uncertainty.yaml")["inputs"]


def input_names() -> tuple[str, ...]:
    """Names of every input in the data table, in table order."""
    return tuple(input_table())


def _accepted_range(path: str) -> tuple[float | None, float | None]:
    """The range the layer that enforces ``path`` accepts, read at run time (so a range the
    anatomy or placement layer widens is followed)."""
    section, _, name = path.partition(".")
    if section == "anatomy" and name.startswith("conductivities."):
        return 0.0, None
    if section == "anatomy":
        from neuraxis.anatomy.model import SPINE_RANGES_MM

        lo, hi = SPINE_RANGES_MM[name]
        return lo, hi
    if section == "placement":
        from neuraxis.leads.placement import PLACEMENT_RANGES

        lo, hi, _ = PLACEMENT_RANGES[name]
        return lo, hi
    raise NeuraxisInputError(f"Invalid uncertainty table: {path!r} is not a sampled key")


def _published(entry: dict[str, Any], level: str) -> tuple[float, float, str, bool] | None:
    """The range from ``neuraxis.anatomy.tables.<range_from>`` if the anatomy package has
    that function, else None (the table's own numbers are used)."""
    from neuraxis.anatomy import tables

    fn = getattr(tables, str(entry.get("range_from", "")), None)
    if fn is None:
        return None
    r = fn(level) if entry["range_from"] == "dcsf_range" else fn()
    src = f"{level}: {r.source}" if entry["range_from"] == "dcsf_range" else r.source
    return float(r.low_mm), float(r.high_mm), src, bool(r.verified)


def _nominal(scenario: Any, path: str) -> float:
    if path == "placement.offset_x_mm":
        return float(scenario.placed.placement.offset_x_mm)
    section, _, name = path.partition(".")
    if section == "anatomy" and not name.startswith("conductivities."):
        return float(getattr(scenario.anatomy, name))
    raise NeuraxisInputError(f"Invalid uncertainty table: no nominal value for {path!r}")


def resolve_inputs(scenario: Any, names: list[str] | tuple[str, ...] | None = None
                   ) -> tuple[tuple[UncertainInput, ...], list[str]]:
    """The inputs to sample for one scenario, and notes on what was left out.

    Parameters
    ----------
    scenario : neuraxis.scenario.Scenario
        Validated scenario with a spine anatomy (its level picks the dCSF range).
    names : sequence of str, optional
        Inputs to sample (default: every input of the table that can change the result).

    Returns
    -------
    inputs : tuple of UncertainInput
    notes : list of str
        One line per input left out or clipped.

    Raises
    ------
    NeuraxisInputError
        For an unknown name, a non-spine anatomy, or fewer than one input left.
    """
    table = input_table()
    if getattr(scenario.anatomy, "kind", "spine") != "spine":
        raise NeuraxisInputError("Invalid scenario: the uncertainty sweep needs a spine anatomy "
                                 "(anatomy.kind: spine)")
    explicit = names is not None
    chosen = list(table) if names is None else [check_option("input", n, tuple(table))
                                                 for n in names]
    if len(set(chosen)) != len(chosen):
        raise NeuraxisInputError(f"Invalid value for '--inputs': a name is given twice in "
                                 f"{', '.join(chosen)}")
    out: list[UncertainInput] = []
    notes: list[str] = []
    for name in chosen:
        e = table[name]
        kind = check_option(f"{name}.kind", e["kind"], KINDS)
        dist = check_option(f"{name}.distribution", e["distribution"], DISTRIBUTIONS)
        if name == "sigma_encapsulation" and scenario.anatomy.encapsulation_thickness_mm <= 0:
            msg = (f"{name}: not sampled, anatomy.encapsulation_thickness_mm is 0 in this "
                   "scenario (an acute lead has no encapsulation, so it cannot change the "
                   "result)")
            if explicit:
                raise NeuraxisInputError(f"Invalid value for '--inputs': {msg}")
            notes.append(msg)
            continue
        published = _published(e, scenario.anatomy.level) if "range_from" in e else None
        if published is not None:
            low, high, source, verified = published
        elif "per_level" in e:
            level = scenario.anatomy.level
            if level not in e["per_level"]:
                raise NeuraxisInputError(
                    f"Invalid uncertainty table: no {name} range for level {level}")
            rng = e["per_level"][level]
            low, high = float(rng["low"]), float(rng["high"])
            source, verified = f"{level}: {rng['source']}", bool(rng["verified"])
        else:
            low, high = float(e["low"]), float(e["high"])
            source, verified = str(e["source"]), bool(e["verified"])
        nominal = None
        if e.get("relative", False):
            nominal = _nominal(scenario, e["path"])
            low, high = nominal + low, nominal + high
        note = ""
        acc_lo, acc_hi = _accepted_range(e["path"])
        c_lo = low if acc_lo is None else max(low, float(acc_lo))
        c_hi = high if acc_hi is None else min(high, float(acc_hi))
        if (c_lo, c_hi) != (low, high):
            note = (f"{name}: range {low:g}-{high:g} {e['unit']} clipped to {c_lo:g}-{c_hi:g} "
                    f"(what {e['path']} accepts)")
            notes.append(note)
        if not c_hi > c_lo:
            raise NeuraxisInputError(f"Invalid uncertainty range for {name}: {c_lo:g} to "
                                     f"{c_hi:g} {e['unit']} is empty after clipping")
        out.append(UncertainInput(name, e["path"], kind, dist, c_lo, c_hi, str(e["unit"]),
                                  source, verified, nominal, note))
    if not out:
        raise NeuraxisInputError("Invalid value for '--inputs': no input left to sample")
    out = jointly_feasible(scenario, out, notes)
    return tuple(out), notes


#: Steps of the joint shrink of the geometry ranges, and the share of each range's
#: distance from the scenario's value removed per step.
_SHRINK_STEPS, _SHRINK = 40, 0.1


def jointly_feasible(scenario: Any, inputs: list[UncertainInput],
                     notes: list[str]) -> list[UncertainInput]:
    """Geometry ranges shrunk together until every combination of their ends places.

    Each geometry range is accepted alone, but the anatomy and placement refuse some
    combinations (a thick dorsal CSF with a displaced cord, a lead that no longer fits).
    Every corner of the geometry box is built as a scenario; while one is refused, the
    end of the first input whose move to the scenario's own value lets that corner place
    moves, by bisection, to where the corner just places (if no input does alone, every
    end of that corner moves 10 % of the way towards the scenario's value).
    Refusals are monotone in these inputs, so the box's corners bound it. A note says
    what was shrunk.
    """
    from dataclasses import replace

    from neuraxis.scenario import apply_overrides, scenario_from_dict

    geo = [i for i, inp in enumerate(inputs) if inp.kind == "geometry"]
    if not geo:
        return inputs
    raw = scenario.raw
    centre = {i: _value(scenario, inputs[i]) for i in geo}
    box = {i: (inputs[i].low, inputs[i].high) for i in geo}

    def places(values: dict[int, float]) -> str | None:
        sets = [f"{inputs[i].path}={v!r}" for i, v in values.items()]
        try:
            scenario_from_dict(apply_overrides(copy.deepcopy(raw), sets))
        except NeuraxisInputError as exc:
            return str(exc)
        return None

    def refused() -> tuple[dict[int, int], str] | None:
        for ends in itertools.product((0, 1), repeat=len(geo)):
            corner = dict(zip(geo, ends, strict=True))
            why = places({i: box[i][e] for i, e in corner.items()})
            if why is not None:
                return corner, why
        return None

    found = refused()
    first = None if found is None else found[1]
    steps = 0
    while found is not None and steps < _SHRINK_STEPS:
        steps += 1
        corner, _ = found
        at = {i: box[i][e] for i, e in corner.items()}
        # the inputs whose own move to the scenario's value lets this corner place
        culprits = [i for i in geo if places({**at, i: centre[i]}) is None]
        if not culprits:  # no one input alone: pull every end of this corner in
            for i in geo:
                lo, hi = box[i]
                box[i] = (lo + _SHRINK * (centre[i] - lo), hi) if corner[i] == 0 else \
                    (lo, hi - _SHRINK * (hi - centre[i]))
        else:  # the first culprit's end moves to where the corner just places (bisection)
            i = culprits[0]
            good, bad = centre[i], at[i]
            for _ in range(8):
                mid = 0.5 * (good + bad)
                if places({**at, i: mid}) is None:
                    good = mid
                else:
                    bad = mid
            box[i] = (good, box[i][1]) if corner[i] == 0 else (box[i][0], good)
        found = refused()
    why = None if found is None else found[1]
    if why is not None:
        raise NeuraxisInputError(
            f"Invalid uncertainty ranges: no box of the geometry inputs around the "
            f"scenario's values places every combination ({why})")
    if steps:
        shrunk = ", ".join(f"{inputs[i].name} {box[i][0]:.3g}-{box[i][1]:.3g} {inputs[i].unit}"
                           for i in geo)
        notes.append(f"geometry ranges shrunk together towards the scenario's values so that "
                     f"every combination places: {shrunk} (first refusal: {first})")
        inputs = list(inputs)
        for i in geo:
            inputs[i] = replace(inputs[i], low=box[i][0], high=box[i][1],
                                note=(inputs[i].note + "; " if inputs[i].note else "")
                                + "shrunk with the other geometry inputs (joint fit)")
    return inputs


def _value(scenario: Any, inp: UncertainInput) -> float:
    """The scenario's own value of a geometry input (clipped into its range)."""
    v = _nominal(scenario, inp.path)
    return min(max(v, inp.low), inp.high)
