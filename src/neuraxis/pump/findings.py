"""Findings of the prescription checks: the check ids, one :class:`Finding` per result,
overrides applied to refusals, and the error raised for unresolved refusals (with its
JSON form, :meth:`PrescriptionRefusedError.to_dict`).

A low module: :mod:`neuraxis.pump.io` reads the check ids from here to validate
``overrides[].check``, and :mod:`neuraxis.pump.checks` builds the findings.
:func:`tidy_json` (re-exported by :mod:`neuraxis.pump.plan`) cleans every JSON output
of the pump commands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neuraxis._validate import NeuraxisInputError

if TYPE_CHECKING:
    from neuraxis.pump.prescription import Override

REFUSING = ("max_concentration", "max_daily_dose", "pump_drug_concentration",
            "titration_step", "titration_frequency", "bridge_bolus", "refill_discrepancy")
#: Refusals no override can lift: device limits and device facts (a constant-flow
#: pump's dose is its fixed rate x the concentration, whatever was recorded).
NON_OVERRIDABLE = ("min_flow", "mri_field", "constant_flow_previous")
WARN_ONLY = ("caution_daily_dose", "start_dose", "maintenance_range", "granuloma_risk",
             "titration_consensus", "withdrawal_risk", "stability_unknown", "flow_tolerance",
             "mri_precautions", "battery", "priming", "constant_flow_change",
             "override_unused")
#: Every check id, as used in ``overrides[].check``.
CHECK_IDS = REFUSING + NON_OVERRIDABLE + WARN_ONLY


@dataclass(frozen=True)
class Finding:
    """One result of a check.

    Attributes
    ----------
    check : str
        Check id (see :data:`CHECK_IDS`).
    severity : str
        ``'refuse'`` or ``'warn'``.
    message : str
        What is wrong, the limit, its source and what to do.
    source : str
        Source of the limit (``[unverified]`` appended when not verified).
    limit, value : float | None
        The limit and the prescribed value, in ``unit``.
    unit : str
        Unit of ``limit`` and ``value`` (drug amounts in mg).
    drug : str | None
        The drug concerned, if any.
    """

    check: str
    severity: str
    message: str
    source: str = ""
    limit: float | None = None
    value: float | None = None
    unit: str = ""
    drug: str | None = None

    @property
    def overridable(self) -> bool:
        """Whether an override with a reason can lift this refusal."""
        return self.severity == "refuse" and self.check not in NON_OVERRIDABLE

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {"check": self.check, "severity": self.severity, "drug": self.drug,
                "message": self.message, "limit": self.limit, "value": self.value,
                "unit": self.unit, "source": self.source}


@dataclass(frozen=True)
class AppliedOverride:
    """A refusal lifted by an override; both are kept for the record."""

    finding: Finding
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The finding's fields plus ``reason``."""
        return {**self.finding.to_dict(), "severity": "overridden", "reason": self.reason}


class PrescriptionRefusedError(NeuraxisInputError):
    """A prescription with refusals that no override lifts.

    Parameters
    ----------
    findings : tuple of Finding
        The refusals left (each with ``severity='refuse'``).
    review : Review | None
        The whole review they come from (its warnings and applied overrides too), as
        :meth:`Review.raise_if_refused` passes it; by default one with the refusals only.

    Attributes
    ----------
    findings : tuple of Finding
    review : Review
    """

    def __init__(self, findings: tuple[Finding, ...], review: Review | None = None) -> None:
        self.findings = tuple(findings)
        self.review = review if review is not None else Review(self.findings, (), ())
        lines = "; ".join(f"[{f.check}] {f.message}" for f in self.findings)
        super().__init__(f"Prescription refused ({len(self.findings)} problem"
                         f"{'s' if len(self.findings) > 1 else ''}): {lines}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``status`` ``'refused'``, the one-line ``message``, every refusal,
        and the review's ``warnings`` and applied ``overrides`` (each as its
        ``to_dict()``: check, severity, drug, message, limit, value, unit, source; an
        override adds its reason). Floats tidied by :func:`tidy_json`.

        Examples
        --------
        >>> err = PrescriptionRefusedError((Finding("max_concentration", "refuse",
        ...     "too strong", "PACC 2017 [unverified]", 20.0, 25.0, "mg/mL", "morphine"),))
        >>> d = err.to_dict()
        >>> d["status"], d["refusals"][0]["check"], d["refusals"][0]["limit"], d["warnings"]
        ('refused', 'max_concentration', 20.0, [])
        """
        return tidy_json({"status": "refused", "message": str(self),
                          "refusals": [f.to_dict() for f in self.findings],
                          "warnings": [f.to_dict() for f in self.review.warnings],
                          "overrides": [o.to_dict() for o in self.review.overrides]})


@dataclass(frozen=True)
class Review:
    """The findings of a prescription after its overrides are applied."""

    refusals: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    overrides: tuple[AppliedOverride, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output: refusals, warnings, overrides applied."""
        return {"refusals": [f.to_dict() for f in self.refusals],
                "warnings": [f.to_dict() for f in self.warnings],
                "overrides": [o.to_dict() for o in self.overrides]}

    def raise_if_refused(self) -> None:
        """Raise :class:`PrescriptionRefusedError` if any refusal is left."""
        if self.refusals:
            raise PrescriptionRefusedError(self.refusals, self)


def apply_overrides(findings: tuple[Finding, ...], overrides: tuple[Override, ...]) -> Review:
    """Lift the refusals that an override names (check, and drug when given).

    An override that lifts nothing becomes an ``override_unused`` warning, so that a
    stale override never hides silently.
    """
    refusals, warnings, applied = [], [], []
    used: set[int] = set()
    for f in findings:
        if f.severity != "refuse":
            warnings.append(f)
            continue
        hit = next((i for i, o in enumerate(overrides) if f.overridable and o.check == f.check
                    and (o.drug is None or o.drug == f.drug)), None)
        if hit is None:
            refusals.append(f)
        else:
            used.add(hit)
            applied.append(AppliedOverride(f, overrides[hit].reason))
    for i, o in enumerate(overrides):
        if i not in used:
            warnings.append(Finding(
                "override_unused", "warn",
                f"The override for '{o.check}'" + (f" ({o.drug})" if o.drug else "")
                + " lifts nothing: no such refusal in this prescription; remove it"))
    return Review(tuple(refusals), tuple(warnings), tuple(applied))


def tidy_json(obj: Any) -> Any:
    """Round floats to 10 significant digits (drops 0.15000000000000002 noise); infinity
    and NaN become None. For every JSON output of the pump commands.

    Examples
    --------
    >>> tidy_json({"q_ml_per_day": 0.1 + 0.2, "days": [float("inf"), 2]})
    {'q_ml_per_day': 0.3, 'days': [None, 2]}
    """
    if isinstance(obj, float):
        return float(f"{obj:.10g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: tidy_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [tidy_json(v) for v in obj]
    return obj
