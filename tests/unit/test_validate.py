"""Input validation, optional-dependency import and the package logger."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuraxis._logging import logger, progress_enabled, set_log_level, use_log_level
from neuraxis._soft_import import MissingDependencyError, soft_import
from neuraxis._validate import (
    NeuraxisInputError,
    check_int,
    check_option,
    check_positive,
    check_range,
    check_same_length,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def test_error_is_a_value_error():
    # Callers that catch ValueError must also catch neuraxis' input errors.
    assert issubclass(NeuraxisInputError, ValueError)


# --------------------------------------------------------------------------- check_option


def test_check_option_returns_allowed_value():
    assert check_option("polarity", "anodic", ("cathodic", "anodic")) == "anodic"


def test_check_option_full_message_with_hint():
    expected = ("Invalid value for 'polarity'. Allowed values are 'cathodic', 'anodic', "
                "but got 'cathodal' - did you mean 'cathodic'?")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        check_option("polarity", "cathodal", ("cathodic", "anodic"))


def test_check_option_no_hint_when_nothing_is_close():
    expected = ("Invalid value for 'shape'. Allowed values are 'mono', 'biphasic', "
                "but got 'zzzzzz'")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        check_option("shape", "zzzzzz", ("mono", "biphasic"))


@pytest.mark.parametrize("value", [3, None, b"mono", ["mono"]])
def test_check_option_refuses_non_strings(value):
    # A non-string is never an allowed option, even if it looks like one.
    with pytest.raises(NeuraxisInputError, match=re.escape(f"but got {value!r}") + "$"):
        check_option("shape", value, ("mono", "biphasic"))


def test_check_option_is_case_sensitive_but_hints():
    with pytest.raises(NeuraxisInputError, match="did you mean 'mono'"):
        check_option("shape", "Mono", ("mono", "biphasic"))


# --------------------------------------------------------------------------- check_range


def test_check_range_scalar_returns_float():
    out = check_range("diameter_um", 5, 2.0, 16.0, "um")
    assert isinstance(out, float) and out == 5.0


def test_check_range_array_returns_float_array():
    out = check_range("diameter_um", [2, 3, 16], 2.0, 16.0, "um")
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [2.0, 3.0, 16.0])


def test_check_range_inclusive_bounds_accept_the_bounds():
    assert check_range("x", 2.0, 2.0, 16.0) == 2.0
    assert check_range("x", 16.0, 2.0, 16.0) == 16.0


def test_check_range_scalar_message():
    expected = ("Invalid value for 'diameter_um'. Allowed range is [2, 16] um, "
                "but got 17 um")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        check_range("diameter_um", 17.0, 2.0, 16.0, "um")


def test_check_range_array_message_names_first_bad_element():
    expected = ("Invalid value for 'diameter_um' (element 2). Allowed range is [2, 16] um, "
                "but got 1.5 um")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        check_range("diameter_um", [5.7, 16.0, 1.5, 30.0], 2.0, 16.0, "um")


def test_check_range_2d_array_uses_flat_index():
    arr = np.array([[1.0, 2.0], [3.0, -1.0]])
    with pytest.raises(NeuraxisInputError, match=re.escape("(element 3)") + r".*got -1$"):
        check_range("x", arr, 0.0, None)


@pytest.mark.parametrize(
    "value, shown", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_check_range_refuses_nan_and_inf_even_unbounded(value, shown):
    with pytest.raises(NeuraxisInputError,
                       match=re.escape(f"Allowed range is [-inf, inf] mA, but got {shown} mA")):
        check_range("amplitude_ma", value, unit="mA")


def test_check_range_nan_inside_array():
    with pytest.raises(NeuraxisInputError, match=re.escape("(element 1)") + ".*got nan"):
        check_range("x", [1.0, np.nan, 2.0], 0.0, 10.0)


@pytest.mark.parametrize("value", ["abc", "5", True, None, [1.0, "2"], [1.0, None], {"a": 1},
                                   object()])
def test_check_range_refuses_non_numbers(value):
    with pytest.raises(NeuraxisInputError,
                       match=re.escape(f"Allowed range is [0, 1], but got {value!r} "
                                       "(not a number)")):
        check_range("fraction", value, 0.0, 1.0)


def test_check_range_exclusive_low_bound():
    assert check_range("x", 1e-12, 0.0, 1.0, low_inclusive=False) == 1e-12
    with pytest.raises(NeuraxisInputError,
                       match=re.escape("Allowed range is (0, 1], but got 0")):
        check_range("x", 0.0, 0.0, 1.0, low_inclusive=False)


def test_check_range_exclusive_high_bound():
    assert check_range("x", 0.999, 0.0, 1.0, high_inclusive=False) == 0.999
    with pytest.raises(NeuraxisInputError,
                       match=re.escape("Allowed range is [0, 1) Hz, but got 1 Hz")):
        check_range("x", 1.0, 0.0, 1.0, "Hz", high_inclusive=False)


def test_check_range_one_sided_bounds_show_infinity():
    with pytest.raises(NeuraxisInputError, match=re.escape("Allowed range is [-inf, 3]")):
        check_range("x", 4.0, None, 3.0)
    with pytest.raises(NeuraxisInputError, match=re.escape("Allowed range is [3, inf]")):
        check_range("x", 2.0, 3.0, None)


def test_check_positive_refuses_zero_and_negative():
    assert check_positive("sigma", 0.2, "S/m") == 0.2
    for bad in (0.0, -0.2):
        with pytest.raises(NeuraxisInputError,
                           match=re.escape("Allowed range is (0, inf] S/m")):
            check_positive("sigma", bad, "S/m")


# --------------------------------------------------------------------------- check_int


@pytest.mark.parametrize("value", [7, np.int64(7), np.int32(7), 7.0])
def test_check_int_accepts_integers_and_integral_floats(value):
    out = check_int("n_nodes", value, 5, 11)
    assert out == 7 and type(out) is int


@pytest.mark.parametrize("value", [7.5, "7", True, None, float("nan"), float("inf")])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(NeuraxisInputError,
                       match=re.escape("Invalid value for 'n_nodes'. Allowed values are "
                                       "integers in [5, 11], but got")):
        check_int("n_nodes", value, 5, 11)


@pytest.mark.parametrize("value", [4, 12])
def test_check_int_range(value):
    expected = (f"Invalid value for 'n_nodes'. Allowed values are integers in [5, 11], "
                f"but got {value}")
    with pytest.raises(NeuraxisInputError, match="^" + re.escape(expected) + "$"):
        check_int("n_nodes", value, 5, 11)


def test_check_int_one_sided_and_unbounded():
    assert check_int("n", 10**9, 1) == 10**9
    with pytest.raises(NeuraxisInputError, match=re.escape("integers in [1, inf], but got 0")):
        check_int("n", 0, 1)
    with pytest.raises(NeuraxisInputError, match=re.escape("Allowed values are integers, but")):
        check_int("n", 0.5)


# --------------------------------------------------------------------------- check_same_length


def test_check_same_length_returns_common_length_and_broadcasts_length_one():
    assert check_same_length({"a": [1, 2, 3], "b": np.zeros(3), "c": 5.0, "d": [1]}) == 3
    assert check_same_length({"a": [1], "b": 2.0}) == 1
    assert check_same_length({}) == 0


def test_check_same_length_message_lists_every_length():
    with pytest.raises(NeuraxisInputError,
                       match=re.escape("got diameter_um=3, x_um=2, amp=1")):
        check_same_length({"diameter_um": [1, 2, 3], "x_um": [1, 2], "amp": 1.0})


def test_check_same_length_empty_does_not_broadcast():
    with pytest.raises(NeuraxisInputError, match="a=0, b=2"):
        check_same_length({"a": [], "b": [1, 2]})


# --------------------------------------------------------------------------- soft_import


def test_soft_import_returns_existing_module():
    import json

    assert soft_import("json", "x", "Testing") is json


def test_soft_import_missing_module_names_the_extra():
    with pytest.raises(MissingDependencyError) as info:
        soft_import("neuraxis_no_such_module_xyz", "neuron", "The NEURON reference")
    msg = str(info.value)
    assert "pip install 'neuraxis[neuron]'" in msg
    assert msg.startswith("The NEURON reference needs the optional dependency "
                          "'neuraxis_no_such_module_xyz'")
    # still an ImportError, chained to the original failure
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_soft_import_missing_submodule():
    with pytest.raises(MissingDependencyError, match=re.escape("pip install 'neuraxis[plot]'")):
        soft_import("json.no_such_submodule", "plot", "Plotting")


# --------------------------------------------------------------------------- logging


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=True)


def test_logger_is_quiet_by_default_and_set_log_level_enables_output():
    code = (
        "import logging, neuraxis\n"
        "from neuraxis._logging import logger, progress_enabled, set_log_level, use_log_level\n"
        "print(logger.name, logger.level, progress_enabled())\n"
        "logger.info('hidden-info')\n"
        "logger.warning('hidden-warning')\n"  # no handler but a NullHandler: silent
        "old = set_log_level(True)\n"
        "print(old, logger.level, progress_enabled())\n"
        "logger.info('shown-info')\n"
        "logger.debug('hidden-debug')\n"
        "set_log_level('info')\n"  # a second call must not add a second handler
        "with use_log_level(False):\n"
        "    logger.info('hidden-in-context')\n"
        "logger.info('shown-after')\n"
    )
    res = _run(code)
    lines = res.stdout.splitlines()
    assert lines[0] == f"neuraxis {logging.WARNING} False"
    assert lines[1] == f"{logging.WARNING} {logging.INFO} True"
    assert "hidden" not in res.stderr
    err = res.stderr.splitlines()
    assert err == ["INFO [neuraxis] shown-info", "INFO [neuraxis] shown-after"]


def test_set_log_level_values_and_restore():
    old = logger.level
    try:
        assert set_log_level(False) == old
        assert logger.level == logging.WARNING and not progress_enabled()
        assert set_log_level("DEBUG") == logging.WARNING
        assert logger.level == logging.DEBUG and progress_enabled()
        set_log_level(logging.ERROR)
        assert logger.level == logging.ERROR
        set_log_level(None)  # keeps the level
        assert logger.level == logging.ERROR
        with pytest.raises(NeuraxisInputError,
                           match=re.escape("Invalid value for 'verbose'") + ".*'loud'"):
            set_log_level("loud")
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(old)


def test_use_log_level_restores_even_on_error():
    old = logger.level
    try:
        logger.setLevel(logging.WARNING)
        with pytest.raises(RuntimeError):
            with use_log_level(True):
                assert logger.level == logging.INFO
                raise RuntimeError("boom")
        assert logger.level == logging.WARNING
        with use_log_level(None):
            assert logger.level == logging.WARNING
        with use_log_level("debug"):
            assert logger.level == logging.DEBUG
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(old)
