"""The selection checklist for an SCS or intrathecal trial, and what counts as a successful
trial: a decision aid, not a decision.

:func:`evaluate_screening` reads a screening (therapy, indications, contraindications,
psychological evaluation outcome) against the criteria of ``neuraxis/data/
nacc_criteria.yaml`` and says ``'eligible'``, ``'not_eligible'`` or ``'needs_review'``,
with every finding, its source and whether that source was read (``verified``). It lists
what the sources say about the patient's recorded findings; the clinical team decides.

The criteria come from the Neuromodulation Appropriateness Consensus Committee (NACC,
Deer et al. Neuromodulation 2014;17:515-550) and the 2006 SCS Practice Parameters it
consulted, and, for intrathecal drug delivery, the Polyanalgesic Consensus Conference
(PACC, Deer et al. Neuromodulation 2017;20:96-132 and its trialing paper). Which of them
were read and which were not is written in the data file and in
``docs/registry_selection.md``.

The rules, in order:

1. An absolute contraindication, or a psychological evaluation that advises against the
   trial, gives ``'not_eligible'`` (defer the trial).
2. Otherwise a relative contraindication, a psychological evaluation with conditions or
   not done, or no recorded indication that a read (verified) source supports, gives
   ``'needs_review'``. An indication no read source supports is noted; it holds the
   status back only when no other indication is supported.
3. Otherwise ``'eligible'``: at least one indication a read (verified) source supports,
   no contraindication, psychological evaluation cleared.

:func:`trial_success` applies a stated success rule (``'relief>=50%'`` by default) to a
trial's outcome: ``True``, ``False`` or ``None`` when a value the rule needs was not
recorded.

>>> r = evaluate_screening("scs", indications=["FBSS"], contraindications=[],
...                        psych_outcome="cleared")
>>> r.status
'eligible'
>>> evaluate_screening("scs", indications=["FBSS"], contraindications=["pregnancy"],
...                    psych_outcome="cleared").status
'needs_review'
>>> trial_success(50.0).success, trial_success(49.9).success, trial_success(None).success
(True, False, None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int, check_option, check_range

DATA_FILE = "nacc_criteria.yaml"
THERAPIES = ("scs", "itdd")
STATUSES = ("eligible", "not_eligible", "needs_review")
#: What a finding does to the status: 'note' informs only, 'review' and 'excludes' decide.
EFFECTS = ("supports", "note", "review", "excludes")
#: Said with every result: what the checklist is and is not.
DECISION_AID = ("Decision aid: lists what the cited sources say about the recorded "
                "findings; it does not select patients. The decision is the clinical team's.")
DEFAULT_RULE = "relief>=50%"


# ---------------------------------------------------------------- data tables


def read_table(filename: str) -> dict[str, Any]:
    """Read one of the registry's sourced data tables (``neuraxis/data/<filename>``).

    Parameters
    ----------
    filename : str
        ``'nacc_criteria.yaml'`` or ``'complication_taxonomy.yaml'``.

    Returns
    -------
    dict
        The parsed table (cached; do not modify it).

    Raises
    ------
    RuntimeError
        If the table has no integer ``version`` or an entry (a mapping with a ``value``)
        lacks its source or a boolean ``verified``: a bug in the data, not in the input.
    """
    return _read_cached(filename)


@cache
def _read_cached(filename: str) -> dict[str, Any]:
    import yaml

    text = resources.files("neuraxis.data").joinpath(filename).read_text(encoding="utf-8")
    table = yaml.safe_load(text)
    if not isinstance(table, dict) or not isinstance(table.get("version"), int):
        raise RuntimeError(f"data table {filename!r} has no integer top-level 'version'")
    bad = [path for path, e in _entries(table)
           if set(e) != {"value", "source", "verified"} or not isinstance(e["source"], str)
           or not e["source"].strip() or not isinstance(e["verified"], bool)]
    if bad:
        raise RuntimeError(f"data table {filename!r}: entries without a source or a boolean "
                           f"'verified': {', '.join(bad)}")
    return table


def _entries(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{value, source, verified}`` entry (a mapping with ``value``) and its path."""
    if isinstance(node, dict):
        if "value" in node:
            return [(path, node)]
        return [hit for key, sub in node.items()
                for hit in _entries(sub, f"{path}.{key}" if path else str(key))]
    return []


def unverified_entries(filename: str) -> tuple[str, ...]:
    """``'path: source'`` of every entry of a table marked ``verified: false``."""
    return tuple(f"{path}: {e['source']}" for path, e in _entries(read_table(filename))
                 if not e["verified"])


def _therapy_table(therapy: str) -> dict[str, Any]:
    check_option("therapy", therapy, THERAPIES)
    return read_table(DATA_FILE)["therapies"][therapy]


def criteria(therapy: str) -> dict[str, tuple[str, ...]]:
    """The codes of the checklist for one therapy.

    Returns
    -------
    dict
        ``indications``, ``absolute_contraindications``, ``relative_contraindications``,
        ``contraindications`` (both) and ``psych_outcomes``, each a tuple of codes.
    """
    t = _therapy_table(therapy)
    absolute = tuple(t["contraindications"]["absolute"])
    relative = tuple(t["contraindications"]["relative"])
    return {"indications": tuple(t["indications"]), "absolute_contraindications": absolute,
            "relative_contraindications": relative, "contraindications": absolute + relative,
            "psych_outcomes": tuple(t["psych_outcomes"])}


# ---------------------------------------------------------------- selection


@dataclass(frozen=True)
class Finding:
    """One item of the checklist as it applies to a patient.

    ``kind`` is ``'indication'``, ``'absolute_contraindication'``,
    ``'relative_contraindication'``, ``'psychology'`` or ``'checklist'`` (a finding of the
    checklist itself, such as no supported indication); ``effect`` is ``'supports'``,
    ``'note'`` (an indication no read source supports: it does not change the status by
    itself), ``'review'`` or ``'excludes'``.
    """

    code: str
    kind: str
    effect: str
    text: str
    source: str
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"code": self.code, "kind": self.kind, "effect": self.effect,
                "text": self.text, "source": self.source, "verified": self.verified}


@dataclass(frozen=True)
class SelectionResult:
    """The checklist's result for one screening: status, findings, sources."""

    therapy: str
    status: str
    findings: tuple[Finding, ...]
    criteria_table: str
    decision_aid: str = DECISION_AID

    @property
    def unverified(self) -> tuple[str, ...]:
        """Codes of the findings whose source was not read (check before relying on them)."""
        return tuple(f.code for f in self.findings if not f.verified)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"therapy": self.therapy, "status": self.status,
                "findings": [f.to_dict() for f in self.findings],
                "unverified": list(self.unverified), "criteria_table": self.criteria_table,
                "decision_aid": self.decision_aid}


def _codes(field: str, values: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise NeuraxisInputError(
            f"Invalid value for {field!r}. Expected a list of codes, got {values!r}")
    for v in values:
        check_option(field, v, allowed)
    return tuple(dict.fromkeys(values))


_EVIDENCE_TEXT = {"supported": "supported by the source",
                  "insufficient": "the source says more evidence is needed",
                  "not_assessed": "not addressed by the source read"}


def evaluate_screening(therapy: str, *, indications: Sequence[str],
                       contraindications: Sequence[str], psych_outcome: str
                       ) -> SelectionResult:
    """Read a screening against the selection checklist (a decision aid).

    Parameters
    ----------
    therapy : {'scs', 'itdd'}
        The trial considered.
    indications : sequence of str
        Indication codes (:func:`criteria` lists them, e.g. ``'FBSS'``, ``'CRPS1'``,
        ``'cancer_pain'``).
    contraindications : sequence of str
        Contraindication codes present in the patient, absolute or relative (empty: none).
    psych_outcome : str
        Outcome of the psychological evaluation: ``'cleared'``,
        ``'cleared_with_conditions'``, ``'not_cleared'`` or ``'not_done'``.

    Returns
    -------
    SelectionResult
        ``status`` ``'eligible'``, ``'not_eligible'`` or ``'needs_review'`` and every
        finding with its source and ``verified`` flag.

    Raises
    ------
    NeuraxisInputError
        An unknown therapy or code (the message lists the allowed codes and the closest).
    """
    codes = criteria(therapy)
    ind = _codes("indications", indications, codes["indications"])
    contra = _codes("contraindications", contraindications, codes["contraindications"])
    check_option("psych_outcome", psych_outcome, codes["psych_outcomes"])
    t = _therapy_table(therapy)
    findings: list[Finding] = []
    for code in ind:
        e = t["indications"][code]
        evidence = e["value"]["evidence"]
        effect = "supports" if evidence == "supported" and e["verified"] else "note"
        findings.append(Finding(code, "indication", effect,
                                f"{e['value']['label']}: {_EVIDENCE_TEXT[evidence]}",
                                e["source"], e["verified"]))
    if not any(f.effect == "supports" for f in findings):
        findings.append(Finding(
            "no_supported_indication", "checklist", "review",
            "no recorded indication is supported by a source that was read",
            "checklist rule 2 (docs/registry_selection.md)", True))
    for code in contra:
        absolute = code in t["contraindications"]["absolute"]
        e = t["contraindications"]["absolute" if absolute else "relative"][code]
        findings.append(Finding(
            code, "absolute_contraindication" if absolute else "relative_contraindication",
            "excludes" if absolute else "review", str(e["value"]), e["source"], e["verified"]))
    e = t["psych_outcomes"][psych_outcome]
    findings.append(Finding(psych_outcome, "psychology", e["value"]["effect"],
                            e["value"]["text"], e["source"], e["verified"]))
    effects = {f.effect for f in findings}
    status = ("not_eligible" if "excludes" in effects
              else "needs_review" if "review" in effects else "eligible")
    return SelectionResult(therapy, status, tuple(findings),
                           f"{DATA_FILE} v{read_table(DATA_FILE)['version']}")


# ---------------------------------------------------------------- trial success


@dataclass(frozen=True)
class TrialCriterion:
    """One condition of a success rule: what it needs, what was observed, whether met
    (``None``: not recorded)."""

    name: str
    required: str
    observed: float | str | None
    met: bool | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"name": self.name, "required": self.required, "observed": self.observed,
                "met": self.met}


@dataclass(frozen=True)
class TrialSuccess:
    """A trial judged by a stated success rule."""

    rule: str
    success: bool | None
    criteria: tuple[TrialCriterion, ...]
    source: str
    verified: bool
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"rule": self.rule, "success": self.success,
                "criteria": [c.to_dict() for c in self.criteria], "source": self.source,
                "verified": self.verified, "warnings": list(self.warnings)}


def success_rules() -> tuple[str, ...]:
    """Names of the trial success rules (``trials.success_rule``)."""
    return tuple(read_table(DATA_FILE)["trial_success"]["rules"])


def analgesic_changes() -> tuple[str, ...]:
    """Allowed values of a trial's ``analgesic_change``."""
    return tuple(read_table(DATA_FILE)["trial_success"]["analgesic_changes"]["value"])


def trial_success(percent_relief: float | None, *, rule: str = DEFAULT_RULE,
                  paresthesia_overlap_pct: float | None = None,
                  analgesic_change: str | None = None, satisfaction: int | None = None,
                  therapy: str = "scs") -> TrialSuccess:
    """Judge a trial by a stated success rule.

    Parameters
    ----------
    percent_relief : float or None
        Pain relief during the trial, % (-100 to 100; negative: worse). ``None``: not
        recorded, and success is unknown unless another condition already fails.
    rule : str
        A rule of :func:`success_rules`: ``'relief>=50%'`` (default),
        ``'relief>=30%'``, ``'relief>=50%+analgesics+satisfied'``,
        ``'relief>=50%+overlap>=80%'``.
    paresthesia_overlap_pct : float, optional
        Share of the pain area covered by paresthesia, % (0-100).
    analgesic_change : {'stopped', 'decreased', 'unchanged', 'increased'}, optional
        Analgesic use during the trial compared with before it.
    satisfaction : int, optional
        Patient satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    therapy : {'scs', 'itdd'}
        The therapy trialled (an intrathecal trial adds a warning: the rules were not
        confirmed for it).

    Returns
    -------
    TrialSuccess
        ``success`` is ``False`` when any condition fails, ``None`` when none fails but
        one was not recorded, else ``True``.
    """
    check_option("therapy", therapy, THERAPIES)
    table = read_table(DATA_FILE)["trial_success"]
    check_option("success_rule", rule, tuple(table["rules"]))
    relief = None if percent_relief is None else check_range(
        "percent_relief", percent_relief, -100, 100, "%")
    overlap = None if paresthesia_overlap_pct is None else check_range(
        "paresthesia_overlap_pct", paresthesia_overlap_pct, 0, 100, "%")
    if analgesic_change is not None:
        check_option("analgesic_change", analgesic_change, tuple(
            table["analgesic_changes"]["value"]))
    scale = table["satisfaction_scale"]
    if satisfaction is not None:
        satisfaction = check_int("satisfaction", satisfaction, scale["value"]["low"],
                                 scale["value"]["high"])
    entry = table["rules"][rule]
    need = entry["value"]
    out: list[TrialCriterion] = []
    warnings: list[str] = []
    if "min_relief_pct" in need:
        lo = need["min_relief_pct"]
        out.append(TrialCriterion("percent_relief", f">= {lo} %", relief,
                                  None if relief is None else relief >= lo))
    if "min_paresthesia_overlap_pct" in need:
        lo = need["min_paresthesia_overlap_pct"]
        out.append(TrialCriterion("paresthesia_overlap_pct", f">= {lo} %", overlap,
                                  None if overlap is None else overlap >= lo))
    if "analgesic_change" in need:
        ok = need["analgesic_change"]
        out.append(TrialCriterion("analgesic_change", " or ".join(ok), analgesic_change,
                                  None if analgesic_change is None
                                  else analgesic_change in ok))
    if "min_satisfaction" in need:
        lo, hi = need["min_satisfaction"], scale["value"]["high"]
        out.append(TrialCriterion("satisfaction", f">= {lo} of {hi}", satisfaction,
                                  None if satisfaction is None else satisfaction >= lo))
        if not scale["verified"]:
            warnings.append(f"the satisfaction threshold is unverified ({scale['source']})")
    mets = [c.met for c in out]
    success = False if False in mets else None if None in mets else True
    if success is None:
        missing = ", ".join(c.name for c in out if c.met is None)
        warnings.append(f"success unknown: {missing} not recorded")
    if not entry["verified"]:
        warnings.append(f"rule {rule!r} is unverified (source: {entry['source']}); check "
                        "before clinical use")
    if therapy == "itdd" and not table["itdd"]["verified"]:
        warnings.append(f"intrathecal trial: {table['itdd']['value']}")
    return TrialSuccess(rule, success, tuple(out), entry["source"], entry["verified"],
                        tuple(warnings))
