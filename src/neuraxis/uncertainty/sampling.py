"""The Saltelli/Sobol' design of an uncertainty sweep, and each sample's overrides.

:func:`sobol_design` asks SALib (``SALib.sample.sobol``, first and total order, no
second order) for ``N (D + 2)`` rows: for each base row j, ``A_j``, then ``AB_ij`` (``A_j``
with input i from ``B_j``) for every input i, then ``B_j``. :func:`make_samples` turns
each row into a :class:`Sample`: its input values and the scenario ``--set`` overrides,
and a geometry group (samples that differ only in conductivities share a mesh).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError
from neuraxis.uncertainty import EXTRA
from neuraxis.uncertainty.inputs import UncertainInput

#: Digits kept in the override values (also what the sample keys hash).
VALUE_DIGITS = 10


@dataclass(frozen=True)
class Sample:
    """One row of the design.

    Attributes
    ----------
    index : int
        Row in the design (SALib's order).
    values : tuple of float
        Value of each input (scenario units), in the order of the inputs.
    overrides : tuple of str
        ``path=value`` assignments for :func:`neuraxis.scenario.load_scenario`.
    group : str
        Geometry group: the geometry overrides joined (equal for samples that share a mesh).
    """

    index: int
    values: tuple[float, ...]
    overrides: tuple[str, ...]
    group: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "values": list(self.values),
                "overrides": list(self.overrides), "group": self.group}


def salib_problem(inputs: tuple[UncertainInput, ...]) -> dict[str, Any]:
    """SALib's problem dict (loguniform inputs are sampled as their logarithm)."""
    return {"num_vars": len(inputs), "names": [i.name for i in inputs],
            "bounds": [i.salib_bounds for i in inputs]}


def check_samples(n_base: Any) -> int:
    """Validate the base sample count N (``--samples``): an integer >= 1."""
    if isinstance(n_base, bool) or not isinstance(n_base, (int, np.integer)) or n_base < 1:
        raise NeuraxisInputError(
            f"Invalid value for '--samples'. Expected an integer >= 1 (the base sample count "
            f"N; the sweep runs N x (inputs + 2) samples), but got {n_base!r}")
    return int(n_base)


def sobol_design(inputs: tuple[UncertainInput, ...], n_base: int, *, seed: int = 0
                 ) -> np.ndarray:
    """The design matrix in SALib's variables, shape ``(N (D + 2), D)``.

    Parameters
    ----------
    inputs : tuple of UncertainInput
    n_base : int
        Base sample count N (a power of 2 keeps the Sobol' sequence balanced; others work
        and SALib warns).
    seed : int
        Scrambling seed of the Sobol' sequence.
    """
    import warnings

    n_base = check_samples(n_base)
    sobol = soft_import("SALib.sample.sobol", EXTRA, "The uncertainty sweep's design")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*power of 2.*")
        x = sobol.sample(salib_problem(inputs), n_base, calc_second_order=False,
                         scramble=True, seed=int(seed))
    return np.asarray(x, dtype=float)


def _fmt(v: float) -> str:
    return repr(round(float(v), VALUE_DIGITS))


def make_samples(inputs: tuple[UncertainInput, ...], design: np.ndarray) -> list[Sample]:
    """Each design row as a :class:`Sample` (values in scenario units, overrides, group)."""
    design = np.asarray(design, dtype=float)
    if design.ndim != 2 or design.shape[1] != len(inputs):
        raise NeuraxisInputError(f"Invalid design: expected (n, {len(inputs)}), got "
                                 f"{design.shape}")
    out = []
    for k, row in enumerate(design):
        values = tuple(round(inp.value_of(u), VALUE_DIGITS)
                       for inp, u in zip(inputs, row, strict=True))
        if not all(math.isfinite(v) for v in values):
            raise NeuraxisInputError(f"Invalid design row {k}: {values}")
        ov = tuple(f"{inp.path}={_fmt(v)}" for inp, v in zip(inputs, values, strict=True))
        group = ";".join(o for o, inp in zip(ov, inputs, strict=True) if inp.kind == "geometry")
        out.append(Sample(k, values, ov, group))
    return out


def block_size(n_inputs: int) -> int:
    """Rows per base sample in the design (first and total order): D + 2."""
    return n_inputs + 2
