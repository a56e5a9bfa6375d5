"""One validation helper: every bad input gets the same clear message.

The message names the field, the allowed values or range, the unit, and what
was given, e.g. ``Invalid value for 'polarity'. Allowed values are 'cathodic',
'anodic', but got 'cathodal' - did you mean 'cathodic'?``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


class NeuraxisInputError(ValueError):
    """Raised for invalid user input; the message says what is allowed."""


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_option(field: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise a clear error."""
    if isinstance(value, str) and value in allowed:
        return value
    allowed_txt = ", ".join(repr(a) for a in allowed)
    hint = ""
    if isinstance(value, str):
        lowered = {a.lower(): a for a in allowed}
        close = difflib.get_close_matches(value.lower(), list(lowered), n=1)
        if close:
            hint = f" - did you mean {lowered[close[0]]!r}?"
    raise NeuraxisInputError(
        f"Invalid value for {field!r}. Allowed values are {allowed_txt}, but got {value!r}{hint}"
    )


def check_range(
    field: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float | np.ndarray:
    """Check that a number (or every element of an array) lies in a range.

    Parameters
    ----------
    field : str
        Name of the input, with its unit suffix (e.g. ``'diameter_um'``).
    value : float | array-like
        The value(s) to check. NaN and infinity are always refused.
    low, high : float | None
        Bounds; ``None`` means unbounded.
    unit : str
        Unit shown in the message (e.g. ``'um'``).

    Returns
    -------
    float | numpy.ndarray
        The value as float (scalar input) or float64 array.
    """
    u = f" {unit}" if unit else ""
    lo_br = "[" if low_inclusive else "("
    hi_br = "]" if high_inclusive else ")"
    rng = f"{lo_br}{_fmt(low) if low is not None else '-inf'}, " \
          f"{_fmt(high) if high is not None else 'inf'}{hi_br}{u}"
    try:
        raw = np.asarray(value)
        if raw.dtype.kind in "USbO" and not (raw.dtype.kind == "O" and all(
                isinstance(x, (int, float, np.number)) and not isinstance(x, bool)
                for x in raw.reshape(-1))):
            raise TypeError  # text, booleans and None are not numbers, even '5'
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise NeuraxisInputError(
            f"Invalid value for {field!r}. Allowed range is {rng}, but got {value!r} "
            "(not a number)"
        ) from None
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr < low) if low_inclusive else (arr <= low)
    if high is not None:
        bad |= (arr > high) if high_inclusive else (arr >= high)
    if np.any(bad):
        flat = arr.reshape(-1)
        idx = int(np.flatnonzero(bad.reshape(-1))[0])
        where = f" (element {idx})" if arr.ndim else ""
        raise NeuraxisInputError(
            f"Invalid value for {field!r}{where}. Allowed range is {rng}, "
            f"but got {flat[idx]:g}{u}"
        )
    return float(arr) if arr.ndim == 0 else arr


def check_positive(field: str, value: object, unit: str = "") -> float | np.ndarray:
    """Check that a value is finite and strictly positive."""
    return check_range(field, value, 0.0, None, unit, low_inclusive=False)


def check_int(field: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Check that a value is an integer within an optional range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, float) and math.isfinite(value) and value.is_integer()):
            raise NeuraxisInputError(
                f"Invalid value for {field!r}. Allowed values are integers"
                f"{_int_range(low, high)}, but got {value!r}"
            )
    v = int(value)  # type: ignore[arg-type]
    if (low is not None and v < low) or (high is not None and v > high):
        raise NeuraxisInputError(
            f"Invalid value for {field!r}. Allowed values are integers{_int_range(low, high)}, "
            f"but got {v}"
        )
    return v


def _int_range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    return f" in [{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"


def check_same_length(fields: dict[str, Iterable]) -> int:
    """Check that arrays that describe the same items have one length; return it."""
    lengths = {k: np.size(v) for k, v in fields.items()}
    distinct = {n for n in lengths.values() if n != 1}
    if len(distinct) > 1:
        desc = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise NeuraxisInputError(
            f"Invalid input: arrays must have one length (or length 1 to broadcast), got {desc}"
        )
    return max(lengths.values()) if lengths else 0


def check_keys(field: str, mapping: object, allowed: Sequence[str]) -> dict:
    """Check that ``mapping`` is a mapping whose keys are all in ``allowed``.

    The one unknown-key check of every input section (scenario sections, custom
    leads, placement, program, fibers). An unknown key gets the closest allowed
    names ("did you mean"), not the whole list when it is long.

    Parameters
    ----------
    field : str
        Name of the section in messages, e.g. ``'anatomy'``.
    mapping : object
        The section as read (``None`` counts as empty).
    allowed : sequence of str
        Allowed keys.

    Returns
    -------
    dict
        The mapping (a new empty dict for ``None``).

    Raises
    ------
    NeuraxisInputError
        If ``mapping`` is not a mapping or has a key not in ``allowed``.

    Examples
    --------
    >>> check_keys("fibers", {"dc": 240}, ("dc", "dr_per_root", "seed"))
    {'dc': 240}
    """
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise NeuraxisInputError(
            f"Invalid value for {field!r}. Expected a mapping with keys "
            f"{', '.join(repr(a) for a in allowed)}, but got {mapping!r}")
    for key in mapping:
        if isinstance(key, str) and key in allowed:
            continue
        close = difflib.get_close_matches(str(key), list(allowed), n=3, cutoff=0.5)
        hint = (f" - did you mean {' or '.join(repr(c) for c in close)}?" if close else "")
        listing = (f"Allowed keys are {', '.join(repr(a) for a in allowed)}"
                   if len(allowed) <= 20 else f"{len(allowed)} keys are allowed")
        raise NeuraxisInputError(
            f"Invalid key {key!r} in {field!r}. {listing}, but got {key!r}{hint}")
    return mapping


def read_text_file(path: str | Path, what: str = "input file") -> str:
    """Read a UTF-8 text file, refusing folders and binary files with a clear message.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    NeuraxisInputError
        A folder, or a file that is not UTF-8 text (an image, a spreadsheet).
    """
    p = Path(path)
    if p.is_dir():
        raise NeuraxisInputError(f"Invalid {what} '{p}': it is a folder, not a file")
    if not p.exists():
        raise FileNotFoundError(2, f"File not found: '{p}'", str(p))
    data = p.read_bytes()
    if b"\x00" in data[:8192]:
        raise NeuraxisInputError(f"Invalid {what} '{p}': a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NeuraxisInputError(f"Invalid {what} '{p}': not UTF-8 text") from None
