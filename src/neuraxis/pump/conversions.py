"""Direction-aware morphine conversions between oral, IV, epidural and intrathecal routes.

The published ratios spread widely (oral:intrathecal 10:1 to 300:1, REFERENCE 3.5),
so the direction decides which end is safe:

* **towards intrathecal** the high ratios are used (Krames 300 : 100 : 10 : 1), giving
  the smaller intrathecal dose, and the result is reduced a further 25-50 %; the
  suggested dose is the 50 % reduction, and it is compared with the PACC starting
  range, which PACC prefers;
* **away from intrathecal** the low ratios are used (oral 10:1), giving the smaller
  systemic dose, with a warning of what 300:1 would give: in this direction it
  overdoses; titrate up from the suggestion;
* between two systemic or epidural routes only Krames' ratios are known.

Ratios come from ``drugs.yaml`` (``conversions``) with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from neuraxis._validate import NeuraxisInputError, check_option, check_positive
from neuraxis.pump.tables import ROUTES, conversion_ratios, format_mass, load_drug


@dataclass(frozen=True)
class OpioidConversion:
    """A morphine dose converted between routes (mg/day).

    Attributes
    ----------
    from_route, to_route : str
        Routes (see :data:`~neuraxis.pump.tables.ROUTES`).
    dose_mg_per_day : float
        Dose by ``from_route`` (mg/day).
    direction : str
        ``'toward_intrathecal'``, ``'away_from_intrathecal'`` or ``'between_routes'``.
    ratio : float
        mg by ``from_route`` per mg by ``to_route`` that was used.
    ratio_set : str
        ``'high'`` (Krames) or ``'low'``.
    equianalgesic_mg_per_day : float
        dose / ratio, before any reduction.
    suggested_mg_per_day : float
        The conservative dose to start with.
    range_mg_per_day : tuple of float
        (low, high) after the 50 % and 25 % reductions towards intrathecal; the
        suggestion twice otherwise.
    warnings : tuple of str
        What to watch; every line names its source.
    sources : tuple of str
        Sources of the ratios and reduction used.
    """

    from_route: str
    to_route: str
    dose_mg_per_day: float
    direction: str
    ratio: float
    ratio_set: str
    equianalgesic_mg_per_day: float
    suggested_mg_per_day: float
    range_mg_per_day: tuple[float, float]
    warnings: tuple[str, ...]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain dict with unit-suffixed keys."""
        return {"from_route": self.from_route, "to_route": self.to_route,
                "dose_mg_per_day": self.dose_mg_per_day, "direction": self.direction,
                "ratio": self.ratio, "ratio_set": self.ratio_set,
                "equianalgesic_mg_per_day": self.equianalgesic_mg_per_day,
                "suggested_mg_per_day": self.suggested_mg_per_day,
                "range_mg_per_day": list(self.range_mg_per_day),
                "warnings": list(self.warnings), "sources": list(self.sources)}


def _factor(table: dict, ratio_set: str, route: str) -> tuple[float, str]:
    """mg of morphine by ``route`` per mg intrathecal, and its source."""
    if route == "intrathecal":
        return 1.0, ""
    entry = table[ratio_set][route]
    return float(entry.value), entry.cite()


def convert_morphine(dose_mg_per_day: float, from_route: str, to_route: str
                     ) -> OpioidConversion:
    """Convert a daily morphine dose between routes, conservatively for the direction.

    Parameters
    ----------
    dose_mg_per_day : float
        Daily morphine dose by ``from_route`` (mg/day), > 0.
    from_route, to_route : str
        ``'oral'``, ``'iv'``, ``'epidural'`` or ``'intrathecal'`` (different).

    Returns
    -------
    OpioidConversion

    Examples
    --------
    300 mg/day oral morphine -> 1 mg/day intrathecal by 300:1, reduced 25-50 %:
    start at 0.5 mg/day.

    >>> c = convert_morphine(300, "oral", "intrathecal")
    >>> c.equianalgesic_mg_per_day, c.suggested_mg_per_day, c.range_mg_per_day
    (1.0, 0.5, (0.5, 0.75))
    """
    dose = float(check_positive("dose_mg_per_day", dose_mg_per_day, "mg/day"))
    src = check_option("from_route", from_route, ROUTES)
    dst = check_option("to_route", to_route, ROUTES)
    if src == dst:
        raise NeuraxisInputError(f"Invalid value for 'to_route': it equals from_route "
                                 f"({src!r}); nothing to convert")
    table = conversion_ratios()
    warnings: list[str] = []
    if dst == "intrathecal":
        f_src, s_src = _factor(table, "high", src)
        ratio, ratio_set, direction = f_src, "high", "toward_intrathecal"
        equi = dose / ratio
        red = table["reduction"]
        lo_pct, hi_pct = min(red.value), max(red.value)
        rng = (equi * (1 - hi_pct / 100), equi * (1 - lo_pct / 100))
        suggested = rng[0]
        sources = (s_src, red.cite())
        spec = load_drug("morphine")
        start = spec.entry("start_dose_range_mg_per_day")
        if start is not None and suggested > float(start.value[1]):
            warnings.append(
                f"The suggestion {format_mass(suggested, 'mg', 'day')} is above the PACC "
                f"starting range {float(start.value[0]):g}-"
                f"{format_mass(start.value[1], 'mg', 'day')} ({start.cite()}); PACC prefers "
                "starting low and titrating")
        warnings.append(f"Reduced {hi_pct:g} % below the {ratio:g}:1 equivalent ({red.cite()}); "
                        "observe the patient for at least 6 h after an opioid start "
                        "(PACC 2016; REFERENCE 3.2)")
    elif src == "intrathecal":
        f_dst, s_dst = _factor(table, "low", dst)
        f_high, s_high = _factor(table, "high", dst)
        ratio, ratio_set, direction = 1.0 / f_dst, "low", "away_from_intrathecal"
        equi = suggested = dose * f_dst
        rng = (suggested, suggested)
        sources = (s_dst,)
        high_dose = dose * f_high
        if high_dose > suggested:
            warnings.append(
                f"Converting back with {f_high:g}:1 ({s_high}) would give "
                f"{format_mass(high_dose, 'mg', 'day')}, {high_dose / suggested:.3g} times "
                f"more: in this direction that ratio overdoses (REFERENCE 3.5). Start at "
                f"{format_mass(suggested, 'mg', 'day')} ({f_dst:g}:1) and titrate up against "
                "pain and withdrawal")
        else:
            warnings.append(f"No lower {dst} ratio is known ({s_dst}); titrate to effect and "
                            "watch for overdose")
    else:
        f_src, s_src = _factor(table, "high", src)
        f_dst, s_dst = _factor(table, "high", dst)
        ratio, ratio_set, direction = f_src / f_dst, "high", "between_routes"
        equi = suggested = dose / ratio
        rng = (suggested, suggested)
        sources = (s_src, s_dst)
        warnings.append("Only Krames' ratios are known between these routes; no "
                        "direction-specific data: titrate to effect")
    return OpioidConversion(src, dst, dose, direction, ratio, ratio_set, equi, suggested,
                            rng, tuple(warnings), tuple(s for s in sources if s))
