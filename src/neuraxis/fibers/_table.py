"""The fiber data table (``neuraxis/data/fibers.yaml``) and checks shared by the samplers."""

from __future__ import annotations

from typing import Any

from neuraxis._validate import NeuraxisInputError


def fiber_table() -> dict[str, Any]:
    """The data table ``neuraxis/data/fibers.yaml`` (a fresh copy)."""
    from neuraxis.anatomy.tables import read_table

    return read_table("fibers.yaml")


def table_values(section: str) -> dict[str, Any]:
    """``{key: value}`` of one section of ``fibers.yaml`` (sources dropped)."""
    return {k: v["value"] for k, v in fiber_table()[section].items()}


def check_spine(anatomy: object):
    """``anatomy`` if it is a SpineAnatomy, else a clear error."""
    from neuraxis.anatomy.model import SpineAnatomy

    if not isinstance(anatomy, SpineAnatomy):
        raise NeuraxisInputError(
            "Invalid value for 'anatomy'. Fiber populations need a SpineAnatomy (a cord, "
            f"dorsal columns and roots), but got {type(anatomy).__name__}")
    return anatomy


def float_pair(name: str, value: object, default: object, what: str) -> tuple[float, float]:
    """Two floats from ``value`` (or ``default`` if None), else a clear error."""
    try:
        lo, hi = (float(v) for v in (default if value is None else value))  # type: ignore
    except (TypeError, ValueError):
        raise NeuraxisInputError(
            f"Invalid value for {name!r}. Expected {what}, but got {value!r}") from None
    return lo, hi
