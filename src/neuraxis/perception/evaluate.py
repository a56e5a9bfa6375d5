"""The SCS main job as one call: scenario -> session -> result (with provenance).

:func:`run_scs` is what ``neuraxis scs run`` calls; everything it reports is computed by
:class:`~neuraxis.perception.session.ScsSession` (thresholds) and
:class:`~neuraxis.perception.result.ScsResult` (every metric; definitions there).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from neuraxis.perception.result import ScsResult
from neuraxis.perception.session import ScsSession

#: Printed with every result: what the numbers are and are not.
RESEARCH_NOTICE = ("Research model, not a clinical device: these numbers come from a "
                   "computational model and must not be used to program a patient's stimulator.")


def run_scs(scenario: Any, *, cache: bool = True,
            progress: Callable[[str, int, int], None] | None = None) -> ScsResult:
    """Evaluate a scenario's program in a new session.

    Parameters
    ----------
    scenario : neuraxis.scenario.Scenario
        Validated scenario with a program.
    cache : bool
        Use the on-disk field-basis cache.
    progress : callable, optional
        ``progress(stage, done, total)``, stage in 'mesh', 'solve', 'thresholds'.
    """
    program = scenario.require_program()
    session = ScsSession(scenario, cache=cache, progress=progress)
    thr_progress = None if progress is None else (lambda d, n: progress("thresholds", d, n))
    return session.evaluate(program, progress=thr_progress)


def provenance(result: ScsResult) -> dict[str, Any]:
    """Version, date, inputs and field key of a result (for results.json and the report)."""
    import neuraxis

    sc = result.scenario
    return {
        "neuraxis_version": neuraxis.__version__,
        "date_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "scenario_file": getattr(sc, "source", ""),
        "overrides": list(getattr(sc, "overrides", ())),
        "field_key": result.basis.key if result.basis is not None else None,
        "contact_impedance_kohm": {k: round(v, 4) for k, v in
                                   result.basis.impedance_kohm.items()}
        if result.basis is not None else {},
        "notice": RESEARCH_NOTICE,
    }
