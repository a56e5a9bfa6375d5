"""The result and catalogue types of the instrument scorers (frozen, one ``to_dict()`` each).

:class:`Score` is what :func:`neuraxis.registry.instruments.score` returns;
:class:`InstrumentSpec` (with its :class:`ItemSpec` and :class:`ScaleSpec`) is one
catalogue entry, what a form or a CLI needs to ask an instrument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Kinds of item answer: a whole-number code, any number in a range, or a text option.
ITEM_KINDS = ("integer", "number", "option")


@dataclass(frozen=True)
class ScaleScore:
    """One score on its scale (a total or a subscale).

    Attributes
    ----------
    name : str
        ``'total'`` or the subscale's name (``'rumination'``, ``'back'``, ``'vas'``).
    value : float
        The score (the float nearest to the exact value).
    exact : str
        The exact value: a terminating decimal (``'0.942'``, ``'35.5'``) or a fraction
        (``'320/9'`` for 35.55... %).
    low, high : float
        Range of the scale, in ``unit``.
    unit : str
        ``'points'``, ``'%'``, ``'index'`` (EQ-5D: 1 = full health, 0 = dead) or
        ``'code'`` (a category code, PGIC).
    """

    name: str
    value: float
    exact: str
    low: float
    high: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        """Name, value, exact value, range and unit (JSON-ready)."""
        return {"name": self.name, "value": self.value, "exact": self.exact,
                "low": self.low, "high": self.high, "unit": self.unit}


@dataclass(frozen=True)
class Score:
    """A scored instrument response.

    Attributes
    ----------
    instrument : str
        Instrument name, e.g. ``'odi'``.
    version : str
        Version of the scorer that computed it (``'1'``).
    total : ScaleScore | None
        The instrument's main score (``None`` where it has none, e.g. the NRS, scored
        per site, or an EQ-5D response with a dimension missing).
    subscales : dict of str to ScaleScore
        Further scores (PCS subscales, NRS sites, EQ VAS).
    items_used : tuple of str
        Ids of the answered items the score used.
    items_missing : tuple of str
        Ids of the items not answered.
    rule : str
        The scoring rule applied, in words (with the missing-item rule where one applied).
    source : str
        Where the rule comes from.
    warnings : tuple of str
        What the reader must know: an unverified value used, a missing item handled.
    details : dict
        Instrument-specific descriptors: the NRS recall window, the EQ-5D health state
        and value set, the ODI disability band, the PGIC category.
    data_table : str
        The data table and its version, e.g. ``'odi.yaml v1'``.
    """

    instrument: str
    version: str
    total: ScaleScore | None
    subscales: dict[str, ScaleScore] = field(default_factory=dict)
    items_used: tuple[str, ...] = ()
    items_missing: tuple[str, ...] = ()
    rule: str = ""
    source: str = ""
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    data_table: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Every field, scores as dicts (JSON-ready)."""
        return {"instrument": self.instrument, "version": self.version,
                "total": None if self.total is None else self.total.to_dict(),
                "subscales": {k: v.to_dict() for k, v in self.subscales.items()},
                "items_used": list(self.items_used), "items_missing": list(self.items_missing),
                "rule": self.rule, "source": self.source, "warnings": list(self.warnings),
                "details": dict(self.details), "data_table": self.data_table}


@dataclass(frozen=True)
class ItemSpec:
    """One item of an instrument, as a form must ask it (identifiers, not wording).

    Attributes
    ----------
    id : str
        Key of the answer in a response (``'q3'``, ``'mobility'``, ``'recall'``).
    label : str
        Short identifier of what the item is about (``'lifting'``); the questionnaire's
        wording is not stored (often copyrighted).
    kind : str
        One of :data:`ITEM_KINDS`.
    low, high : float | None
        Allowed range of an ``'integer'`` or ``'number'`` answer.
    unit : str
        Unit of the answer (``'points'``, ``'%'``, ``'level'``, ``'code'``).
    options : tuple of str
        Allowed answers of an ``'option'`` item.
    anchors : dict of int to str
        Labels of some codes (``{0: 'no_pain', 10: 'worst_pain_imaginable'}``).
    required : bool
        Whether no score is given without this item.
    """

    id: str
    label: str
    kind: str = "integer"
    low: float | None = None
    high: float | None = None
    unit: str = ""
    options: tuple[str, ...] = ()
    anchors: dict[int, str] = field(default_factory=dict)
    required: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Every field (JSON-ready; anchor codes as text keys)."""
        return {"id": self.id, "label": self.label, "kind": self.kind, "low": self.low,
                "high": self.high, "unit": self.unit, "options": list(self.options),
                "anchors": {str(k): v for k, v in self.anchors.items()},
                "required": self.required}


@dataclass(frozen=True)
class ScaleSpec:
    """A scale an instrument reports: name, range and unit (see :class:`ScaleScore`)."""

    name: str
    low: float
    high: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        """Name, range and unit."""
        return {"name": self.name, "low": self.low, "high": self.high, "unit": self.unit}


@dataclass(frozen=True)
class InstrumentSpec:
    """Catalogue entry of one scorer: what to ask, what comes out, and from where.

    Attributes
    ----------
    name, version : str
        Instrument name and scorer version.
    title : str
        Human-readable name.
    items : tuple of ItemSpec
        The items, in questionnaire order.
    scales : tuple of ScaleSpec
        The scores it reports (for EQ-5D the index range is that of each value set).
    value_sets : tuple of str
        Value sets to choose from (``score(..., value_set=...)``); empty for most.
    rule, missing_rule : str
        The scoring rule and the missing-item rule, in words.
    sources : tuple of str
        The references of the instrument and its rules.
    unverified : tuple of str
        Every value of the data table not confirmed in a source: ``'path: source'``.
    data_table : str
        The data table and its version.
    """

    name: str
    version: str
    title: str
    items: tuple[ItemSpec, ...]
    scales: tuple[ScaleSpec, ...]
    value_sets: tuple[str, ...]
    rule: str
    missing_rule: str
    sources: tuple[str, ...]
    unverified: tuple[str, ...]
    data_table: str

    def item(self, item_id: str) -> ItemSpec:
        """The item ``item_id``."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def scale(self, name: str) -> ScaleSpec:
        """The scale ``name``."""
        for sc in self.scales:
            if sc.name == name:
                return sc
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Every field, items and scales as dicts (JSON-ready)."""
        return {"name": self.name, "version": self.version, "title": self.title,
                "items": [i.to_dict() for i in self.items],
                "scales": [s.to_dict() for s in self.scales],
                "value_sets": list(self.value_sets), "rule": self.rule,
                "missing_rule": self.missing_rule, "sources": list(self.sources),
                "unverified": list(self.unverified), "data_table": self.data_table}
