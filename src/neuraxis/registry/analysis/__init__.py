"""The analyses an outcomes registry publishes, over plain pandas tables.

Every function takes tables with the documented columns
(:mod:`~neuraxis.registry.analysis.tables`: visits, implants, complications,
followup), so it works the same on a database export, a CSV file or a hand-made test
table, and returns a frozen result with ``to_dict()`` (JSON-ready, NaN -> None) and
``to_frame()`` (a tidy DataFrame for CSV export).

==============================  =====================================================
function                        what it reports
==============================  =====================================================
:func:`responder_rates`         responders by visit, ITT and per protocol, Wilson CI
:func:`change_from_baseline`    mean change with t CI, share improved by the MCID
:func:`mixed_model`             random-intercept model means and changes by visit
:func:`kaplan_meier`            device survival free of explant/revision, by cause
:func:`cumulative_incidence`    Aalen-Johansen incidence of competing causes
:func:`cox_ph`                  Cox hazard ratios of covariates
:func:`complication_rates`      complications per 100 patient-years, exact Poisson CI
==============================  =====================================================

pandas, SciPy, statsmodels and lifelines load on first use (``pip install
'neuraxis[registry]'``); importing this package loads none of them. Methods and
sources: ``docs/registry_analysis.md``.
"""

from __future__ import annotations

from neuraxis.registry.analysis.change import ChangeResult, ChangeRow, change_from_baseline
from neuraxis.registry.analysis.complications import (
    ComplicationRatesResult,
    RateRow,
    complication_rates,
)
from neuraxis.registry.analysis.cox import CoxResult, CoxRow, cox_ph
from neuraxis.registry.analysis.intervals import (
    poisson_exact_interval,
    t_interval,
    wilson_interval,
)
from neuraxis.registry.analysis.mixed import MixedModelResult, MixedRow, mixed_model
from neuraxis.registry.analysis.responders import (
    ResponderDefinition,
    ResponderResult,
    ResponderRow,
    responder_rates,
)
from neuraxis.registry.analysis.survival import (
    Curve,
    CurvePoint,
    CurvesResult,
    cumulative_incidence,
    kaplan_meier,
)
from neuraxis.registry.analysis.tables import (
    CAUSES,
    COMPLICATION_CATEGORIES,
    EVENTS,
    SCORES,
    TABLES,
    VISITS,
)

__all__ = [
    "CAUSES", "COMPLICATION_CATEGORIES", "EVENTS", "SCORES", "TABLES", "VISITS",
    "ChangeResult", "ChangeRow", "ComplicationRatesResult", "CoxResult", "CoxRow", "Curve",
    "CurvePoint", "CurvesResult", "MixedModelResult", "MixedRow", "RateRow",
    "ResponderDefinition", "ResponderResult", "ResponderRow", "change_from_baseline",
    "complication_rates", "cox_ph", "cumulative_incidence", "kaplan_meier", "mixed_model",
    "poisson_exact_interval", "responder_rates", "t_interval", "wilson_interval",
]
