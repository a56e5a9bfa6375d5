"""The answers of ``neuraxis registry add-visit`` (private): a file and single pairs.

``--responses FILE`` (YAML or JSON: instrument -> {item: answer}) and ``--response
INSTRUMENT={JSON items}`` (repeatable) are read into one mapping; a pair replaces the
file's entry of the same instrument. The answers are checked and scored by
:func:`neuraxis.registry.records.add_visit`, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

from neuraxis._validate import NeuraxisInputError


def read_responses(path: Path | None, pairs: list[str] | None) -> dict[str, dict]:
    """The raw answers of a visit, by instrument.

    Parameters
    ----------
    path : Path or None
        The ``--responses`` file: a YAML (or JSON) mapping instrument -> {item: answer}.
    pairs : list of str or None
        The ``--response`` options, each ``INSTRUMENT={JSON object of items}``; a pair
        replaces the file's entry of the same instrument.

    Returns
    -------
    dict of str to dict
        Instrument -> {item id: answer}, unchecked.

    Raises
    ------
    NeuraxisInputError
        The file is not valid YAML (its line named) or not a mapping; a pair is not
        ``NAME=`` followed by a JSON object.
    """
    from neuraxis._validate import read_text_file

    out: dict[str, dict] = {}
    if path is not None:
        import yaml

        try:
            raw = yaml.safe_load(read_text_file(path, "--responses file"))
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" (line {where.line + 1})" if where is not None else ""
            raise NeuraxisInputError(
                f"Invalid value for '--responses': {path} is not valid YAML{line}") from None
        if not isinstance(raw, dict):
            raise NeuraxisInputError(
                "Invalid value for '--responses': expected a mapping instrument -> items")
        out.update(raw)
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        try:
            items = json.loads(text) if sep else None
        except json.JSONDecodeError as exc:
            raise NeuraxisInputError(
                f"Invalid value for '--response {name}': not JSON ({exc.msg})") from None
        if not sep or not isinstance(items, dict):
            raise NeuraxisInputError(
                f"Invalid value for '--response'. Expected INSTRUMENT={{JSON object}}, got "
                f"{pair!r}")
        out[name] = items
    return out
