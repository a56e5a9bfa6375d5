"""Shared fixtures of the unit tests.

Pump: ``pump_rx_dict`` and ``pump_plan_of`` build the reference prescription (morphine
3 mg/day at 20 mg/mL in a SynchroMed II 40 mL pump, filled 2025-03-03) with some of its
top-level sections replaced, for ``test_pump_checks.py`` and ``test_pump_plan.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

#: The reference prescription (a valid one: 0.15 mL/day, refill at 90-day stability).
_PUMP_RX = {"pump": {"model": "synchromed_ii_40ml", "fill_date": "2025-03-03",
                     "fill_volume_ml": 40},
            "catheter": {"model": "generic_0p53mm", "length_cm": 50, "tip_level": "T10"},
            "mixture": [{"drug": "morphine", "concentration_mg_per_ml": 20}],
            "basal": {"dose_mg_per_day": 3.0}}


def _pump_rx_dict(**top: Any) -> dict[str, Any]:
    rx = copy.deepcopy(_PUMP_RX)
    rx.update(copy.deepcopy(top))
    return rx


@pytest.fixture
def pump_rx_dict() -> Callable[..., dict[str, Any]]:
    """``pump_rx_dict(**sections)``: the reference prescription mapping, sections replaced."""
    return _pump_rx_dict


@pytest.fixture
def pump_plan_of() -> Callable[..., Any]:
    """``pump_plan_of(**sections)``: the checked plan of that prescription."""
    from neuraxis.pump import plan_prescription, prescription_from_dict

    return lambda **top: plan_prescription(prescription_from_dict(_pump_rx_dict(**top)))
