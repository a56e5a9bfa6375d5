"""Findings of the prescription checks: the check ids, one :class:`Finding` per result,
overrides applied to refusals, and the error raised for unresolved refusals.

A low module: :mod:`neuraxis.pump.io` reads the check ids from here to validate
``overrides[].check``, and :mod:`neuraxis.pump.checks` builds the findings.
"""

from __future__ import annotations

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
    """A prescription with refusals that no override lifts; ``findings`` lists them."""

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        self.findings = findings
        lines = "; ".join(f"[{f.check}] {f.message}" for f in findings)
        super().__init__(f"Prescription refused ({len(findings)} problem"
                         f"{'s' if len(findings) > 1 else ''}): {lines}")


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
            raise PrescriptionRefusedError(self.refusals)


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
