"""Oswestry Disability Index v2.1a (Fairbank & Pynsent 2000, Spine 25:2940).

Ten sections answered 0-5; ODI % = sum / (5 x answered sections) x 100. A missing (or
not applicable) section takes 5 off the denominator; the source shows only one missed
section, so at most one may be missing (``odi.yaml``: ``max_missing_sections``, marked
unverified). Rule, bands and sources: ``neuraxis/data/instruments/odi.yaml``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from neuraxis.registry.instruments._core import (
    InstrumentSpec,
    Score,
    Scorer,
    cite,
    entry,
    id_list,
    refuse,
    scale_score,
    unverified_warning,
)

NAME = "odi"
VERSION = "1"


def odi_percent(section_scores: list[int] | tuple[int, ...]) -> Fraction:
    """ODI (%) of the answered sections: ``sum / (5 x len) x 100``, exact.

    Parameters
    ----------
    section_scores : sequence of int
        The answered sections' scores (0-5 each; missing ones left out).

    Returns
    -------
    fractions.Fraction
        The index in percent, e.g. ``Fraction(32)`` for 16 points over 10 sections.

    Examples
    --------
    >>> odi_percent([2, 2, 2, 2, 2, 2, 2, 2, 0, 0])
    Fraction(32, 1)
    >>> odi_percent([2, 2, 2, 2, 2, 2, 2, 2, 0])  # one section missing: 16 / 45
    Fraction(320, 9)
    """
    return Fraction(100 * sum(section_scores), 5 * len(section_scores))


def band(percent: Fraction, bands: list[list[Any]]) -> str:
    """The disability band of an ODI (%): the first band whose upper bound it does not exceed."""
    for upper, name in bands:
        if percent <= upper:
            return str(name)
    return str(bands[-1][1])


def _compute(answers: dict[str, Any], missing: tuple[str, ...], spec: InstrumentSpec,
             table: dict[str, Any], value_set: str | None) -> Score:
    tol = entry(table, "parameters", "max_missing_sections")
    n_items = len(spec.items)
    if len(missing) > tol["value"]:
        raise refuse(NAME, (
            f"At most {tol['value']} of {n_items} sections may be missing "
            f"({cite(tol)}), but {len(missing)} are missing: {id_list(missing)}"))
    used = tuple(i.id for i in spec.items if i.id in answers)
    percent = odi_percent([answers[i] for i in used])
    bands = entry(table, "parameters", "bands")
    warnings: tuple[str, ...] = ()
    rule = f"{spec.rule}: {sum(answers.values())} / (5 x {len(used)}) x 100"
    if missing:
        rule += f"; missing section {id_list(missing)} left out of the denominator"
        warnings = (f"section {id_list(missing)} missing: scored over {len(used)} sections "
                    f"(denominator {5 * len(used)}, Fairbank & Pynsent 2000)",
                    *unverified_warning("the tolerance of one missing section", tol))
    return Score(instrument=NAME, version=VERSION, total=scale_score(spec, "total", percent),
                 items_used=used, items_missing=missing, rule=rule,
                 source=cite(entry(table, "rule")),
                 warnings=warnings + unverified_warning("the disability bands", bands),
                 details={"band": band(percent, bands["value"])},
                 data_table=spec.data_table)


SCORER = Scorer(NAME, VERSION, "odi.yaml", _compute)
