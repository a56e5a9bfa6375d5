"""Drug and pump tables: ``neuraxis/data/drugs.yaml`` and ``neuraxis/data/pumps.yaml``.

Every value in the tables is ``{value, source, verified}``; this module turns them
into frozen specs whose entries keep their source, so that a check can name the
limit it applies and where it comes from. Drug amounts are in mg throughout (also
for drugs dosed in micrograms; ``display_unit`` says how to show them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from neuraxis._validate import check_option

#: Pump kinds: programmable (peristaltic), valve-gated (accumulator), constant-flow.
PUMP_KINDS = ("programmable", "valve_gated", "constant_flow")
#: Routes of the opioid conversion table, from least to most potent per mg.
ROUTES = ("oral", "iv", "epidural", "intrathecal")

# Known value keys (units in the names). A table with another key is a bug in the data.
_DRUG_VALUE_KEYS = (
    "strengths_mg_per_ml", "compounded_strengths_mg_per_ml", "trial_bolus_range_mg",
    "start_dose_range_mg_per_day",
    "label_start_max_mg_per_day", "max_concentration_mg_per_ml", "max_daily_dose_mg",
    "caution_daily_dose_mg", "granuloma_concentration_mg_per_ml",
    "maintenance_range_spinal_mg_per_day", "maintenance_range_cerebral_mg_per_day",
    "titration_max_step_mg_per_day", "titration_max_steps_per_week",
    "titration_consensus_step_mg_per_week", "titration_max_step_percent",
    "titration_max_step_cerebral_or_child_percent", "titration_min_interval_days",
    "stability_days", "stability_undiluted_days", "stability_diluted_days",
    "stability_first_fill_days",
)
_DRUG_ATTRS = ("name", "drug_class", "indication", "display_unit")
_PUMP_VALUE_KEYS = (
    "reservoir_volume_ml", "low_reservoir_alarm_volume_ml", "min_flow_ml_per_day",
    "flow_accuracy_tolerance_percent", "accumulator_volume_ml", "tubing_volume_ml",
    "refill_discrepancy_limit_ml", "battery_life_years", "stops_after_eri_days",
    "replacement_planning_months", "nominal_flow_ml_per_day",
    "fever_flow_increase_percent_per_deg_c", "drug_max_concentration_mg_per_ml",
    "mri_max_field_t", "mri_max_spatial_gradient_g_per_cm", "mri_precautions",
)
_PUMP_ATTRS = ("name", "kind", "supports_boluses", "supports_flex")
_CATHETER_VALUE_KEYS = ("inner_diameter_mm",)

# Unit of a value, read from the end of its key (longest suffix first).
_SUFFIX_UNITS = (
    ("_percent_per_deg_c", "%/degC"), ("_g_per_cm", "G/cm"), ("_mg_per_ml", "mg/mL"),
    ("_mg_per_day", "mg/day"), ("_mg_per_week", "mg/day per week"),
    ("_ml_per_day", "mL/day"), ("_per_week", "per week"), ("_percent", "%"), ("_days", "days"),
    ("_years", "years"), ("_months", "months"), ("_ml", "mL"), ("_mm", "mm"), ("_mg", "mg"),
    ("_t", "T"),
)
# Keys whose suffix alone does not say it all: a daily dose stored as '_mg'.
_UNIT_EXCEPTIONS = {"max_daily_dose_mg": "mg/day", "caution_daily_dose_mg": "mg/day"}
# Labels that say more than the key: which strengths come in vials, which are compounded.
_LABEL_EXCEPTIONS = {"strengths_mg_per_ml": "commercial vial strengths",
                     "compounded_strengths_mg_per_ml": "compounded strengths (no vial)"}


@dataclass(frozen=True)
class Sourced:
    """One table value with its source.

    Attributes
    ----------
    value : object
        The number, ``[low, high]`` range, list, text or mapping (``None``: unknown).
    source : str
        Where the value comes from.
    verified : bool
        Whether it was confirmed in that source (``False``: check before release).
    """

    value: Any
    source: str
    verified: bool

    def cite(self) -> str:
        """The source, with ``[unverified]`` appended when not verified."""
        return self.source if self.verified else f"{self.source} [unverified]"


@dataclass(frozen=True)
class _Spec:
    key: str
    name: str
    entries: dict[str, Sourced] = field(repr=False)

    def entry(self, key: str) -> Sourced | None:
        """The table entry ``key`` (with its source), or ``None`` if absent or unknown."""
        e = self.entries.get(key)
        return e if e is not None and e.value is not None else None

    def value(self, key: str) -> Any:
        """The value of entry ``key``, or ``None`` if absent or unknown."""
        e = self.entry(key)
        return None if e is None else e.value

    def to_dict(self) -> dict[str, Any]:
        """Key, name, attributes, and each value with its unit, source and flag.

        Values are as stored (drug amounts in mg); ``value: None`` means unknown.
        """
        attrs = {f.name: getattr(self, f.name) for f in fields(self)
                 if f.name not in ("key", "name", "entries")}
        return {"key": self.key, "name": self.name, **attrs,
                "values": {k: {"value": e.value, "unit": value_unit(k)[1],
                               "source": e.source, "verified": e.verified}
                           for k, e in self.entries.items()}}


@dataclass(frozen=True)
class DrugSpec(_Spec):
    """An intrathecal drug: strengths (commercial and compounded), PACC doses, limits
    (all amounts in mg).

    Attributes
    ----------
    key : str
        Table key, e.g. ``'morphine'``.
    name, drug_class, indication : str
        Display name, pharmacological class, ``'pain'`` or ``'spasticity'``.
    display_unit : str
        ``'mg'`` or ``'ug'``: how doses of this drug are shown.
    """

    drug_class: str = ""
    indication: str = ""
    display_unit: str = "mg"

    def fmt(self, amount_mg: float, per: str = "") -> str:
        """Format an amount (mg) in the drug's display unit, e.g. ``'2.4 ug/day'``."""
        return format_mass(amount_mg, self.display_unit, per)

    def strengths(self) -> tuple[tuple[float, bool, Sourced], ...]:
        """Every known strength, commercial vials first, then compounded ones.

        Returns
        -------
        tuple of (mg/mL, compounded, Sourced)
            Each strength (mg/mL), whether it is compounded (no commercial vial), and
            the table entry it comes from (with its source and flag).
        """
        out: list[tuple[float, bool, Sourced]] = []
        for key, compounded in (("strengths_mg_per_ml", False),
                                ("compounded_strengths_mg_per_ml", True)):
            entry = self.entry(key)
            if entry is not None:
                out += [(float(v), compounded, entry) for v in entry.value]
        return tuple(out)

    def fmt_range(self, low_mg: float, high_mg: float, per: str = "") -> str:
        """Format a range (mg) in the display unit, e.g. ``'300-800 ug/day'``."""
        low = format_mass(low_mg, self.display_unit).split()[0]
        return f"{low}-{format_mass(high_mg, self.display_unit, per)}"


@dataclass(frozen=True)
class PumpSpec(_Spec):
    """An implantable pump model (volumes in mL, flows in mL/day).

    Attributes
    ----------
    kind : str
        One of :data:`PUMP_KINDS`.
    supports_boluses, supports_flex : bool
        Whether patient boluses and time-of-day (flex) schedules can be programmed.
    """

    kind: str = "programmable"
    supports_boluses: bool = False
    supports_flex: bool = False

    @property
    def reservoir_volume_ml(self) -> float:
        """Reservoir capacity (mL)."""
        return float(self.value("reservoir_volume_ml"))

    @property
    def low_reservoir_volume_ml(self) -> float:
        """Volume left when the low-reservoir alarm sounds or a refill is due (mL)."""
        return float(self.value("low_reservoir_alarm_volume_ml"))


@dataclass(frozen=True)
class CatheterSpec(_Spec):
    """An intrathecal catheter model; its internal volume follows from the bore."""

    @property
    def volume_ml_per_cm(self) -> float:
        """Internal volume per cm of length, pi r^2 x 1 cm (mL/cm)."""
        radius_cm = float(self.value("inner_diameter_mm")) / 20.0
        return math.pi * radius_cm**2

    def to_dict(self) -> dict[str, Any]:
        """The values with their sources, plus the internal volume per cm from the bore."""
        out = super().to_dict()
        bore = self.entries["inner_diameter_mm"]
        out["values"]["volume_ml_per_cm"] = {
            "value": self.volume_ml_per_cm, "unit": "mL/cm",
            "source": "computed: pi (inner_diameter_mm / 2)^2 x 1 cm", "verified": bore.verified}
        return out


def value_unit(key: str) -> tuple[str, str]:
    """Label and unit of a table value from its key.

    Parameters
    ----------
    key : str
        A value key of ``drugs.yaml`` / ``pumps.yaml``, e.g. ``'max_concentration_mg_per_ml'``.

    Returns
    -------
    (label, unit) : tuple of str
        E.g. ``('max concentration', 'mg/mL')``; the unit is ``''`` for text
        (``mri_precautions``). Drug amounts are in mg, as stored.
    """
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            label = _LABEL_EXCEPTIONS.get(key, key[:-len(suffix)].replace("_", " "))
            return label, _UNIT_EXCEPTIONS.get(key, unit)
    return key.replace("_", " "), ""


def format_mass(amount_mg: float, unit: str = "mg", per: str = "") -> str:
    """Format a drug amount given in mg as ``'<x> mg'`` or ``'<x> ug'`` (4 significant digits).

    Parameters
    ----------
    amount_mg : float
        Amount in mg.
    unit : str
        ``'mg'`` or ``'ug'``.
    per : str
        Optional denominator, e.g. ``'mL'`` or ``'day'``.
    """
    x = amount_mg * (1000.0 if unit == "ug" else 1.0)
    return f"{x:.4g} {unit}" + (f"/{per}" if per else "")


def _read(filename: str) -> dict[str, Any]:
    from neuraxis.anatomy.tables import read_table

    return read_table(filename)


def _entries(where: str, raw: dict[str, Any], known: tuple[str, ...],
             attrs: tuple[str, ...]) -> dict[str, Sourced]:
    out: dict[str, Sourced] = {}
    for key, entry in raw.items():
        if key in attrs:
            continue
        if key not in known or not isinstance(entry, dict) or \
                set(entry) != {"value", "source", "verified"}:
            raise RuntimeError(f"data table: bad entry {where}.{key}: {entry!r}")
        out[key] = Sourced(entry["value"], str(entry["source"]), bool(entry["verified"]))
    return out


def drug_names() -> tuple[str, ...]:
    """Keys of the drugs in ``drugs.yaml``, e.g. ``('morphine', 'hydromorphone', ...)``."""
    return tuple(_read("drugs.yaml")["drugs"])


def pump_names() -> tuple[str, ...]:
    """Keys of the pump models in ``pumps.yaml``."""
    return tuple(_read("pumps.yaml")["pumps"])


def catheter_names() -> tuple[str, ...]:
    """Keys of the catheter models in ``pumps.yaml``."""
    return tuple(_read("pumps.yaml")["catheters"])


def load_drug(name: str) -> DrugSpec:
    """One drug from ``drugs.yaml``.

    Parameters
    ----------
    name : str
        Table key, e.g. ``'morphine'``, ``'ziconotide'`` (see :func:`drug_names`).

    Returns
    -------
    DrugSpec
    """
    drugs = _read("drugs.yaml")["drugs"]
    check_option("drug", name, tuple(drugs))
    raw = drugs[name]
    return DrugSpec(key=name, name=str(raw["name"]),
                    entries=_entries(f"drugs.{name}", raw, _DRUG_VALUE_KEYS, _DRUG_ATTRS),
                    drug_class=str(raw["drug_class"]), indication=str(raw["indication"]),
                    display_unit=check_option("display_unit", raw["display_unit"], ("mg", "ug")))


def load_pump(name: str) -> PumpSpec:
    """One pump model from ``pumps.yaml`` (see :func:`pump_names`)."""
    pumps = _read("pumps.yaml")["pumps"]
    check_option("pump.model", name, tuple(pumps))
    raw = pumps[name]
    spec = PumpSpec(key=name, name=str(raw["name"]),
                    entries=_entries(f"pumps.{name}", raw, _PUMP_VALUE_KEYS, _PUMP_ATTRS),
                    kind=check_option("kind", raw["kind"], PUMP_KINDS),
                    supports_boluses=bool(raw["supports_boluses"]),
                    supports_flex=bool(raw["supports_flex"]))
    for required in ("reservoir_volume_ml", "low_reservoir_alarm_volume_ml"):
        if spec.value(required) is None:
            raise RuntimeError(f"data table: pump {name!r} has no {required}")
    return spec


def load_catheter(name: str) -> CatheterSpec:
    """One catheter model from ``pumps.yaml`` (see :func:`catheter_names`)."""
    catheters = _read("pumps.yaml")["catheters"]
    check_option("catheter.model", name, tuple(catheters))
    raw = catheters[name]
    return CatheterSpec(key=name, name=str(raw["name"]),
                        entries=_entries(f"catheters.{name}", raw, _CATHETER_VALUE_KEYS,
                                         ("name",)))


def mixture_stability(drugs: tuple[str, ...] | list[str]) -> Sourced | None:
    """Stability of a mixture whose exact set of drugs has its own table entry.

    Parameters
    ----------
    drugs : sequence of str
        Drug keys in the pump (order does not matter).

    Returns
    -------
    Sourced | None
        ``stability_days`` of the matching ``mixtures`` entry, or ``None``.
    """
    wanted = set(drugs)
    for entry in _read("drugs.yaml").get("mixtures", []):
        if set(entry["drugs"]) == wanted:
            e = entry["stability_days"]
            return Sourced(e["value"], str(e["source"]), bool(e["verified"]))
    return None


def conversion_ratios() -> dict[str, Any]:
    """The opioid route-conversion table of ``drugs.yaml`` as :class:`Sourced` entries.

    Returns
    -------
    dict
        ``{'high': {route: Sourced}, 'low': {route: Sourced}, 'reduction': Sourced}``;
        ratios are mg of morphine by that route per mg intrathecal.
    """
    conv = _read("drugs.yaml")["conversions"]

    def block(name: str) -> dict[str, Sourced]:
        return {r: Sourced(float(e["value"]), str(e["source"]), bool(e["verified"]))
                for r, e in conv[name].items()}

    red = conv["toward_intrathecal_reduction_percent"]
    return {"high": block("morphine_per_mg_intrathecal_high"),
            "low": block("morphine_per_mg_intrathecal_low"),
            "reduction": Sourced([float(x) for x in red["value"]], str(red["source"]),
                                 bool(red["verified"]))}
