"""What fiber population an SCS evaluation samples (the scenario's ``fibers`` section)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int, check_range

#: Allowed values of each field: (low, high, type).
FIBER_RANGES: dict[str, tuple[float, float, str]] = {
    "dc": (10, 5000, "int"),
    "dr_per_root": (1, 200, "int"),
    "seed": (0, 2**31 - 1, "int"),
    "overlap": (0.0, 5.0, "float"),
    "dlc": (0, 5000, "int"),
}


@dataclass(frozen=True)
class FiberSpec:
    """The fiber population of an SCS evaluation.

    Attributes
    ----------
    dc : int
        Dorsal-column fibers sampled (default 480: PT, DT and the usable range move by
        less than 5 % when the sampling doubles, tests/validation/test_scs_convergence.py).
    dr_per_root : int
        Afferents per dorsal root (each side; default 12, same reason).
    seed : int
        Random seed of the sampling (and of the dermatome assignment).
    overlap : float
        Overlap of neighbouring dermatome bands in the dorsal columns, in band widths.
    dlc : int
        Superficial dorsolateral-column fibers sampled (default 0: none; they carry no
        paresthesia and get a threshold of their own, :mod:`neuraxis.fibers.dorsolateral`;
        worth sampling for a lateral lead).
    dc_collaterals : bool
        Simulate each dorsal-column fiber's collateral nearest each cathode as well
        (:func:`neuraxis.fibers.dc_collaterals`; off by default, docs/fibers.md).
    """

    dc: int = 480
    dr_per_root: int = 12
    seed: int = 0
    overlap: float = 0.5
    dc_collaterals: bool = False
    dlc: int = 0

    def __post_init__(self) -> None:
        for name, (lo, hi, typ) in FIBER_RANGES.items():
            value = getattr(self, name)
            if typ == "int":
                object.__setattr__(self, name, check_int(f"fibers.{name}", value, int(lo),
                                                         int(hi)))
            else:
                object.__setattr__(self, name, float(check_range(f"fibers.{name}", value, lo,
                                                                 hi, "band widths")))
        if not isinstance(self.dc_collaterals, bool):
            raise NeuraxisInputError(
                "Invalid value for 'fibers.dc_collaterals'. Expected true or false, but got "
                f"{self.dc_collaterals!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
