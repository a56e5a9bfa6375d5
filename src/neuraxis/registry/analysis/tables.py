"""The column contracts of the registry's analysis tables, and their one validator.

The analyses read plain pandas tables. The database layer exports exactly these columns
(extra columns are allowed and ignored, except where an analysis names them, e.g. Cox
covariates). Every check failure is a :class:`~neuraxis._validate.NeuraxisInputError`
that names the table, the column and the row, never a traceback.

Tables
------
``visits``
    One row per patient and visit: ``patient_id``, ``visit`` (one of :data:`VISITS`),
    ``visit_date``, score columns (:data:`SCORES`) and the protocol flags ``implanted``
    and ``per_protocol`` (bool).
``implants``
    One row per patient (the first permanent device): ``patient_id``, ``implant_date``,
    ``event_date`` (date of the first explant or revision, else of the last follow-up),
    ``event`` (one of :data:`EVENTS`), ``cause`` (one of :data:`CAUSES`; empty for
    ``'none'``, and read as ``'unspecified'`` when an explant or revision has none).
``complications``
    One row per complication: ``patient_id``, ``onset_date``, ``category`` (one of
    :data:`COMPLICATION_CATEGORIES`), ``serious`` (bool).
``followup``
    One row per patient, the time at risk for person-time: ``patient_id``,
    ``start_date``, ``end_date``.

Time: durations are computed from dates in days and reported in months of
365.25 / 12 = 30.4375 days (:data:`DAYS_PER_MONTH`) or in Julian years of 365.25 days
(:data:`DAYS_PER_YEAR`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from neuraxis._soft_import import soft_import
from neuraxis._validate import NeuraxisInputError, check_option, check_range

if TYPE_CHECKING:
    import pandas as pd

#: Visit names in time order, and their nominal month after implant (baseline = 0).
VISITS = ("baseline", "m1", "m3", "m6", "m12", "m18", "m24")
VISIT_MONTHS = {"baseline": 0, "m1": 1, "m3": 3, "m6": 6, "m12": 12, "m18": 18, "m24": 24}
#: Outcome of the device by ``event_date`` in the implants table.
EVENTS = ("explant", "revision", "none")
#: Causes of an explant or revision. The complication causes are the subcategories of
#: Table 1 of the 2019 RAPM complication taxonomy (:data:`TAXONOMY_SOURCE`);
#: ``loss_of_efficacy``, the most common reason for explant in Pope et al. 2017
#: (Neuromodulation 20:543-552, doi:10.1111/ner.12634), and the planned reasons
#: (battery end of life, MRI, no longer needed) are added; ``'other'`` takes the rest.
CAUSES = (
    "infection", "loss_of_efficacy", "lead_migration", "lead_damage",
    "lead_connection_failure", "hardware_malfunction", "battery_end_of_life", "erosion",
    "ipg_site_pain", "unwanted_stimulation", "neurologic_symptoms", "hematoma",
    "dural_puncture", "mri_needed", "no_longer_needed", "other", "unspecified",
)
#: Source of :data:`COMPLICATION_CATEGORIES` (Table 1 there: "Definitions and examples of
#: complication categories"; authors and title to be confirmed against the article).
TAXONOMY_SOURCE = ("Reg Anesth Pain Med 2019;44(1):100-106, doi:10.1136/rapm-2018-000007 "
                   "(PMC6363531), Table 1")
#: Complication categories of the 2019 RAPM taxonomy (:data:`TAXONOMY_SOURCE`):
#: device-related (migration, erosion, lead damage, connection failure, hardware
#: malfunction, difficult insertion or removal), procedural (neurologic symptoms, dural
#: puncture, infection, hematoma), patient complaints (IPG site pain, unwanted
#: stimulation), surgically managed (explant, revision), serious adverse events
#: (epidural abscess, meningitis, seizure, cardiac arrest, stroke, death, neuraxial
#: hematoma, ...), and other.
COMPLICATION_CATEGORIES = ("device_related", "procedural", "patient_complaint",
                           "surgically_managed", "serious", "other")
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

OSTELO_2008 = ("Ostelo et al. 2008, Spine 33:90-94 (doi:10.1097/BRS.0b013e31815e3a10): "
               "minimal important change 2 points on the 0-10 NRS, 10 points on the ODI "
               "(0-100), or a 30 % improvement from baseline")


@dataclass(frozen=True)
class Score:
    """One score column of the visits table: its scale, direction and MCID.

    Attributes
    ----------
    column : str
        Column name.
    label : str
        Human name.
    unit : str
        Unit of the values (``'points'``, ``'%'``, ``'mg/day'``, ``''`` for an index).
    low, high : float | None
        Allowed range; ``None`` is open.
    better : str
        ``'lower'`` or ``'higher'``: which direction is improvement.
    mcid_points : float | None
        Minimal clinically important change in the score's unit, if published.
    mcid_pct : float | None
        Minimal clinically important change in % of baseline, if published.
    from_baseline : bool
        Whether change from baseline is defined (``False`` for ratings that are already
        relative to baseline: PGIC, percent relief).
    source : str
        Where the scale and the MCID come from.
    """

    column: str
    label: str
    unit: str
    low: float | None
    high: float | None
    better: str
    mcid_points: float | None
    mcid_pct: float | None
    from_baseline: bool
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


#: The score columns of the visits table.
SCORES = {s.column: s for s in (
    Score("nrs_back", "Back pain NRS", "points", 0, 10, "lower", 2.0, 30.0, True, OSTELO_2008),
    Score("nrs_leg", "Leg pain NRS", "points", 0, 10, "lower", 2.0, 30.0, True, OSTELO_2008),
    Score("odi_pct", "Oswestry Disability Index", "%", 0, 100, "lower", 10.0, 30.0, True,
          OSTELO_2008),
    Score("eq5d_index", "EQ-5D index", "", None, 1, "higher", None, None, True,
          "EQ-5D-5L index as scored by neuraxis.registry.instruments: 1 = full health, "
          "0 = dead, below 0 = worse than dead; the floor depends on the value set "
          "(England, Devlin et al. 2018: -0.285; US, Pickard et al. 2019: -0.573), so only "
          "values above 1 are refused. No MCID in Ostelo 2008: give one explicitly"),
    Score("pgic", "Patient Global Impression of Change", "", 1, 7, "lower", None, None, False,
          "7-point PGIC, 1 = very much improved, 4 = no change, 7 = very much worse "
          "(Hurst & Bolton 2004, J Manipulative Physiol Ther 27:26-35; IMMPACT, Dworkin "
          "et al. 2005, Pain 113:9-19)"),
    Score("percent_relief", "Percent pain relief", "%", -900, 100, "higher", None, None,
          False, "patient-rated relief 0-100 % (PAN registry, Deer et al. 2016, "
          "Neuromodulation 19:179), or (baseline - follow-up) / baseline NRS x 100, "
          "negative when pain is worse (down to -900 %), as neuraxis.registry.instruments "
          "scores it"),
    Score("opioid_mme_mg_per_day", "Opioid dose (morphine milligram equivalents)",
          "mg/day", 0, None, "lower", None, None, True,
          "MME per CDC guideline, Dowell et al. 2022, MMWR Recomm Rep 71(3):1-95"),
)}


@dataclass(frozen=True)
class Column:
    """One column of a table contract: name, kind, unit and meaning."""

    name: str
    kind: str
    unit: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


#: The column contracts: table name -> columns.
TABLES: dict[str, tuple[Column, ...]] = {
    "visits": (
        Column("patient_id", "id", "", "pseudonymised patient identifier"),
        Column("visit", "visit", "", "one of " + ", ".join(VISITS)),
        Column("visit_date", "date", "", "date of the visit"),
        *(Column(s.column, "score", s.unit, s.label) for s in SCORES.values()),
        Column("implanted", "bool", "", "a permanent device was implanted by this visit"),
        Column("per_protocol", "bool", "", "the visit was done per protocol"),
    ),
    "implants": (
        Column("patient_id", "id", "", "pseudonymised patient identifier"),
        Column("implant_date", "date", "", "date of the permanent implant"),
        Column("event_date", "date", "", "date of the explant or revision, else of the "
               "last follow-up"),
        Column("event", "event", "", "one of " + ", ".join(EVENTS)),
        Column("cause", "cause", "", "cause of the explant or revision, one of CAUSES"),
    ),
    "complications": (
        Column("patient_id", "id", "", "pseudonymised patient identifier"),
        Column("onset_date", "date", "", "date the complication began"),
        Column("category", "category", "", "one of " + ", ".join(COMPLICATION_CATEGORIES)),
        Column("serious", "bool", "", "a serious adverse event (any category)"),
    ),
    "followup": (
        Column("patient_id", "id", "", "pseudonymised patient identifier"),
        Column("start_date", "date", "", "start of the time at risk (implant)"),
        Column("end_date", "date", "", "end of the time at risk (explant, death, last "
               "follow-up)"),
    ),
}

_PURPOSE = "The registry analyses"


def pandas() -> Any:
    """Import pandas, or raise an error naming the extra ``neuraxis[registry]``."""
    return soft_import("pandas", "registry", _PURPOSE)


def lifelines() -> Any:
    """Import lifelines, or raise an error naming the extra ``neuraxis[registry]``."""
    return soft_import("lifelines", "registry", "The survival analyses")


def _kind(table: str, column: str) -> str:
    for col in TABLES[table]:
        if col.name == column:
            return col.kind
    return "number"


def row_label(idx: Any) -> str:
    """A row label for messages: ``0`` or ``'a'``, not ``np.int64(0)``."""
    return repr(idx.item() if hasattr(idx, "item") else idx)


def _where(df: pd.DataFrame, idx: Any) -> str:
    pid = df.at[idx, "patient_id"] if "patient_id" in df.columns else None
    who = f", patient_id {pid!r}" if pid is not None and pid == pid else ""
    return f" (row {row_label(idx)}{who})"


def table(df: object, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Check a table against its contract and return the named columns, typed.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as given.
    name : str
        Its contract: one of ``'visits'``, ``'implants'``, ``'complications'``,
        ``'followup'``.
    columns : sequence of str
        The columns this analysis needs.

    Returns
    -------
    pandas.DataFrame
        A copy with those columns: ids as text, dates as ``datetime64``, scores as float
        (NaN = missing), flags as bool; the original row labels are kept.

    Raises
    ------
    NeuraxisInputError
        Not a DataFrame, a missing column ("did you mean"), or a bad value (named with
        its column, row and patient).
    """
    require_columns(df, name, columns)
    out = df[list(columns)].copy()  # type: ignore[index]
    if not out.index.is_unique:  # row labels name rows in messages: make them unique
        out = out.reset_index(drop=True)
    for col in columns:
        out[col] = _typed(out, name, col, _kind(name, col))
    return out


def require_columns(df: object, name: str, columns: Sequence[str]) -> None:
    """Refuse anything but a DataFrame with ``columns`` (a missing one: "did you mean")."""
    pd = pandas()
    if not isinstance(df, pd.DataFrame):
        raise NeuraxisInputError(
            f"Invalid value for {name!r}. Expected a pandas DataFrame with columns "
            f"{', '.join(repr(c) for c in columns)}, but got {type(df).__name__}")
    have = [str(c) for c in df.columns]
    for col in columns:
        if col not in df.columns:
            close = difflib.get_close_matches(col, have, n=1, cutoff=0.6)
            hint = f" - did you mean {close[0]!r}?" if close else ""
            raise NeuraxisInputError(
                f"Table {name!r} has no column {col!r}{hint} (columns found: "
                f"{', '.join(repr(c) for c in have) or 'none'})")


def _first(mask: pd.Series) -> Any:
    """Label of the first True of a boolean Series, or None."""
    hits = mask[mask.to_numpy(dtype=bool)]
    return hits.index[0] if len(hits) else None


def _raise_at(df: pd.DataFrame, idx: Any, check: Any, *args: Any) -> None:
    """Run the house check that fails for this value, adding the row and patient."""
    try:
        check(*args)
    except NeuraxisInputError as exc:
        raise NeuraxisInputError(f"{exc}{_where(df, idx)}") from None
    raise NeuraxisInputError(f"Invalid value for {args[0]!r}{_where(df, idx)}: {args[1]!r}")


def _typed(df: pd.DataFrame, name: str, col: str, kind: str) -> pd.Series:
    pd = pandas()
    s = df[col]
    field = f"{name}.{col}"
    if kind in ("id", "visit", "event", "category"):
        idx = _first(s.isna())
        if idx is not None:
            raise NeuraxisInputError(f"Missing value in {field!r}{_where(df, idx)}")
        allowed = {"visit": VISITS, "event": EVENTS, "category": COMPLICATION_CATEGORIES}
        if kind in allowed:
            idx = _first(~s.map(lambda x: isinstance(x, str) and x in allowed[kind]))
            if idx is not None:
                _raise_at(df, idx, check_option, field, s[idx], allowed[kind])
        return s.astype(str)
    if kind == "cause":
        out = s.astype(object).where(s.notna(), None)
        idx = _first(out.map(lambda x: x is not None and not (isinstance(x, str)
                                                              and x in CAUSES)))
        if idx is not None:
            _raise_at(df, idx, check_option, field, out[idx], CAUSES)
        return out
    if kind == "date":
        parsed = pd.to_datetime(s, errors="coerce")
        idx = _first(parsed.isna())
        if idx is not None:
            what = "Missing value" if pd.isna(s[idx]) else f"Invalid date {s[idx]!r}"
            raise NeuraxisInputError(
                f"{what} in {field!r}{_where(df, idx)}; expected a date YYYY-MM-DD")
        return parsed.dt.normalize()
    if kind == "bool":
        ok = s.map(lambda v: isinstance(v, bool) or type(v).__name__ == "bool_"
                   or (isinstance(v, (int, float)) and not isinstance(v, bool) and v in (0, 1)))
        idx = _first(~ok)
        if idx is not None:
            raise NeuraxisInputError(
                f"Invalid value for {field!r}{_where(df, idx)}. Allowed values are True, "
                f"False, but got {s[idx]!r}")
        return s.astype(bool)
    # scores and other numbers: NaN means missing, anything else must be in range
    plain = s.map(lambda x: float(x) if isinstance(x, Decimal) else x)
    text = plain.map(lambda x: isinstance(x, (str, bool)) or type(x).__name__ == "bool_")
    num = pd.to_numeric(plain.where(~text), errors="coerce").astype(float)
    spec = SCORES.get(col)
    low, high, unit = (spec.low, spec.high, spec.unit) if spec else (None, None, "")
    bad = text | (plain.notna() & num.isna()) | ~(num.isna() | num.abs().lt(float("inf")))
    if low is not None:
        bad |= num.lt(low)
    if high is not None:
        bad |= num.gt(high)
    idx = _first(bad)
    if idx is not None:
        value = plain[idx] if text[idx] or pd.isna(num[idx]) else num[idx]
        _raise_at(df, idx, check_range, field, value, low, high, unit)
    return num


def one_row_per(df: pd.DataFrame, name: str, keys: Sequence[str]) -> None:
    """Refuse duplicate rows for ``keys`` (e.g. patient and visit), naming the first."""
    dup = df.duplicated(list(keys), keep=False)
    if dup.any():
        idx = dup[dup].index[:2]
        key = ", ".join(f"{k}={df.at[idx[0], k]!r}" for k in keys)
        raise NeuraxisInputError(
            f"Table {name!r} has more than one row for {key} (rows {row_label(idx[0])} and "
            f"{row_label(idx[1])}); the contract is one row per {' and '.join(keys)}")


def visits_table(df: object, scores: Sequence[str]) -> pd.DataFrame:
    """The visits table an analysis reads: checked, typed, one row per patient and visit.

    Parameters
    ----------
    df : pandas.DataFrame
        The visits table as given.
    scores : sequence of str
        The score columns this analysis needs, after ``patient_id``, ``visit``,
        ``implanted`` and ``per_protocol`` (the first missing column is the one named).

    Returns
    -------
    pandas.DataFrame
        Those columns, typed as by :func:`table`.

    Raises
    ------
    NeuraxisInputError
        As :func:`table`, or two rows for one patient and visit (:func:`one_row_per`).
    """
    v = table(df, "visits", ["patient_id", "visit", "implanted", "per_protocol", *scores])
    one_row_per(v, "visits", ("patient_id", "visit"))
    return v


def check_score(score: object, *, from_baseline: bool = False) -> Score:
    """The :class:`Score` for a column name, refusing unknown names ("did you mean")."""
    name = check_option("score", score, tuple(SCORES))
    spec = SCORES[name]
    if from_baseline and not spec.from_baseline:
        raise NeuraxisInputError(
            f"Invalid value for 'score'. {name!r} is already rated against baseline, so "
            "change from baseline is not defined for it; use a score with a baseline value "
            f"({', '.join(repr(s) for s, v in SCORES.items() if v.from_baseline)})")
    return spec


def check_confidence(confidence: object) -> float:
    """The confidence level as a float in (0, 1)."""
    return float(check_range("confidence", confidence, 0.0, 1.0, low_inclusive=False,
                             high_inclusive=False))


def check_visits(visits: object) -> tuple[str, ...] | None:
    """Follow-up visits to report (``None`` = every follow-up visit in the data)."""
    if visits is None:
        return None
    if isinstance(visits, str):
        visits = (visits,)
    return tuple(check_option("visits", v, VISITS[1:]) for v in visits)  # type: ignore[union-attr]


def follow_up_visits(v: pd.DataFrame, wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    """The follow-up visits to report, in time order."""
    if wanted is not None:
        return tuple(x for x in VISITS[1:] if x in wanted)
    present = set(v["visit"])
    return tuple(x for x in VISITS[1:] if x in present)


def check_population(population: object) -> str:
    """``'available'`` (every patient with data) or ``'per_protocol'``."""
    return check_option("population", population, ("available", "per_protocol"))


def per_protocol_mask(rows: pd.DataFrame) -> pd.Series:
    """Follow-up rows that count as per protocol: implanted and per protocol (a missing
    row, NaN after reindexing, does not count)."""
    return rows["implanted"].eq(True) & rows["per_protocol"].eq(True)
