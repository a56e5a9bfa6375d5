"""The batched threshold search, driven by known-threshold predicates."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neuraxis._validate import NeuraxisInputError
from neuraxis.axons.threshold import (
    STATUS_ABOVE_MAX,
    STATUS_BELOW_MIN,
    STATUS_OK,
    search_thresholds,
    staged_search,
)


def _step(true_thr: np.ndarray):
    """Predicate of an ideal fiber: fires iff amplitude >= its threshold."""
    return lambda amp, which: amp >= true_thr[which]


class Recorder:
    """Predicate that logs every call (which items, at which amplitudes)."""

    def __init__(self, true_thr: np.ndarray) -> None:
        self.true = np.asarray(true_thr, float)
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(self, amp: np.ndarray, which: np.ndarray) -> np.ndarray:
        amp = np.array(amp, float)
        which = np.array(which)
        assert amp.shape == which.shape
        self.calls.append((which.copy(), amp.copy()))
        return amp >= self.true[which]


@pytest.mark.parametrize("rel_tol", [0.005, 0.001, 1e-4])
def test_recovers_known_thresholds(rel_tol):
    rng = np.random.default_rng(12)
    n = 400
    true = 10 ** rng.uniform(-3, 2, n)  # 1 uA .. 100 mA
    guess = 10 ** rng.uniform(-3, 2, n)  # unrelated guesses over the same span
    res = search_thresholds(_step(true), guess, rel_tol=rel_tol)
    assert np.all(res.status == STATUS_OK)
    found = res.threshold_ma
    # the reported value is the upper bound of the bracket: it fired ...
    assert np.all(found >= true)
    # ... and the documented criterion holds: (upper - lower) / upper <= rel_tol
    assert np.all(res.lower_ma < true)
    assert np.all((found - res.lower_ma) / found <= rel_tol * (1 + 1e-12))
    # hence within rel_tol of the truth (relative to the found value; relative to the
    # true value the bound is rel_tol / (1 - rel_tol))
    assert np.all(found <= true / (1 - rel_tol))
    assert np.all((found - true) / found <= rel_tol)
    # the bisection is not wastefully tight: the bracket is above rel_tol / 4
    width = (found - res.lower_ma) / found
    assert np.median(width) > rel_tol / 4


def test_found_value_within_one_plus_rel_tol_of_truth():
    rng = np.random.default_rng(5)
    true = 10 ** rng.uniform(-3, 2, 300)
    guess = true * 10 ** rng.uniform(-1, 1, 300)
    for rel_tol in (0.005, 0.001, 1e-4):
        res = search_thresholds(_step(true), guess, rel_tol=rel_tol)
        # (1 + rel_tol) up to the second-order term rel_tol**2 of 1 / (1 - rel_tol)
        assert np.all(res.threshold_ma <= true * (1 + rel_tol + 1.01 * rel_tol**2))


def test_exact_threshold_on_a_trial_is_found():
    # a predicate that fires exactly at the guess: the guess itself is an upper bound
    true = np.array([0.5, 2.0, 30.0])
    res = search_thresholds(_step(true), true.copy(), rel_tol=0.001)
    assert np.all(res.status == STATUS_OK)
    np.testing.assert_array_equal(res.threshold_ma, true)


def test_status_above_max():
    true = np.array([0.3, 5000.0, np.inf])
    res = search_thresholds(_step(true), np.ones(3), max_ma=1000.0)
    np.testing.assert_array_equal(res.status, [STATUS_OK, STATUS_ABOVE_MAX, STATUS_ABOVE_MAX])
    assert np.isfinite(res.threshold_ma[0])
    assert np.all(np.isnan(res.threshold_ma[1:]))
    # the highest amplitude tried without firing is max_ma
    np.testing.assert_array_equal(res.lower_ma[1:], 1000.0)


def test_status_below_min():
    true = np.array([1e-6, 0.0, 2.0])
    res = search_thresholds(_step(true), np.array([1.0, 50.0, 1.0]), min_ma=1e-4)
    np.testing.assert_array_equal(res.status, [STATUS_BELOW_MIN, STATUS_BELOW_MIN, STATUS_OK])
    np.testing.assert_array_equal(res.threshold_ma[:2], 1e-4)
    assert np.all(np.isnan(res.lower_ma[:2]))  # never failed to fire


def test_guess_outside_range_is_clipped():
    rec = Recorder(np.array([3.0, 3.0]))
    res = search_thresholds(rec, np.array([1e6, 1e-9]), min_ma=1e-3, max_ma=100.0)
    _first_which, first_amp = rec.calls[0]
    np.testing.assert_array_equal(first_amp, [100.0, 1e-3])
    assert np.all(res.status == STATUS_OK)
    assert np.all(rec.true <= res.threshold_ma)
    # every trial stays inside [min_ma, max_ma]
    all_amp = np.concatenate([a for _, a in rec.calls])
    assert all_amp.min() >= 1e-3 and all_amp.max() <= 100.0


def _decided(fired: list[float], failed: list[float], rel_tol: float, lo_ma: float,
             hi_ma: float) -> bool:
    """Whether an item's own trial history already decides it (independent re-derivation)."""
    up = min(fired) if fired else math.inf
    low = max(failed) if failed else -math.inf
    if fired and failed:
        return (up - low) / up <= rel_tol
    if not fired:
        return low >= hi_ma
    return up <= lo_ma


def test_lockstep_batching():
    rng = np.random.default_rng(7)
    n = 60
    true = 10 ** rng.uniform(-3, 2, n)
    true[:3] = [1e5, 1e-7, 1e5]  # a few items that end with a status
    guess = 10 ** rng.uniform(-3, 2, n)
    rel_tol = 0.002
    rec = Recorder(true)
    rounds_seen = []
    res = search_thresholds(rec, guess, rel_tol=rel_tol, min_ma=1e-4, max_ma=1e3,
                            on_round=lambda done, total: rounds_seen.append((done, total)))
    # one predicate call per round, every round reported
    assert len(rec.calls) == res.n_rounds == len(rounds_seen)
    # round 1 evaluates everybody, in order, once
    np.testing.assert_array_equal(rec.calls[0][0], np.arange(n))
    history: dict[int, tuple[list[float], list[float]]] = {i: ([], []) for i in range(n)}
    prev = set(range(n))
    for which, amp in rec.calls:
        ws = set(which.tolist())
        assert len(ws) == which.size  # no duplicates
        assert ws <= prev  # an item that left never comes back
        # every item left out is decided by its own history; every item still in is not
        for i in prev - ws:
            assert _decided(*history[i], rel_tol, 1e-4, 1e3)
        for i in ws:
            assert not _decided(*history[i], rel_tol, 1e-4, 1e3)
        for i, a in zip(which.tolist(), amp.tolist(), strict=True):
            (history[i][0] if a >= true[i] else history[i][1]).append(a)
        prev = ws
    # at the end, everything is decided, and the counts agree with the log
    for i in range(n):
        assert _decided(*history[i], rel_tol, 1e-4, 1e3)
        assert res.n_evaluations[i] == len(history[i][0]) + len(history[i][1])
    assert max(res.n_evaluations) == res.n_rounds
    # progress: monotone decided counts ending at n
    done = [d for d, _ in rounds_seen]
    assert all(t == n for _, t in rounds_seen)
    assert done == sorted(done) and done[-1] == n


def test_good_guess_needs_few_evaluations():
    rng = np.random.default_rng(9)
    n = 500
    true = 10 ** rng.uniform(-3, 2, n)
    guess = true * rng.uniform(1 / 1.1, 1.1, n)
    res = search_thresholds(_step(true), guess, rel_tol=0.005, expand_factor=1.2)
    assert np.all(res.status == STATUS_OK)
    # one trial at the guess, one step of x1.2 brackets it, then bisection of ln 1.2
    # down to -ln(1 - 0.005): ceil(log2(ln 1.2 / 0.005013)) = 6 halvings -> 8 in all
    bound = 2 + math.ceil(math.log2(math.log(1.2) / -math.log(1 - 0.005)))
    assert bound == 8
    assert res.n_evaluations.max() <= bound <= 9
    assert np.all(res.threshold_ma >= true)


def test_poor_guess_costs_only_a_few_bracketing_rounds():
    # A guess off by 1e4 must not cost ~log(1e4)/log(2) = 14 doublings: the
    # factor is squared each step (2, 4, 10, 10, ...).
    true = np.array([1e2, 1e-2])
    guess = np.array([1e-2, 1e2])
    res = search_thresholds(_step(true), guess, rel_tol=0.005)
    assert np.all(res.status == STATUS_OK)
    assert np.all(res.threshold_ma >= true)
    # bracketing: 1e-2 x 2 x 4 x 10 x 10 x 10 = 80 ... -> at most 7 steps; bisection of
    # a x10 bracket to 0.5 %: ceil(log2(ln 10 / 0.005013)) = 9
    assert res.n_evaluations.max() <= 7 + 9


def test_max_rounds_caps_the_search():
    true = np.array([5.0])
    res = search_thresholds(_step(true), np.array([1.0]), rel_tol=1e-6, max_rounds=3)
    assert res.n_rounds == 3 and res.n_evaluations[0] == 3


def test_empty_input():
    calls = []
    res = search_thresholds(lambda a, w: calls.append(1) or a > 0, np.array([]))
    assert res.n_rounds == 0 and not calls and res.threshold_ma.size == 0


@pytest.mark.parametrize("kwargs, pattern", [
    ({"rel_tol": 0.0}, "Invalid value for 'rel_tol'. Allowed range is [1e-06, 0.5], but got 0"),
    ({"rel_tol": 0.9}, "Invalid value for 'rel_tol'. Allowed range is [1e-06, 0.5], but got 0.9"),
    ({"rel_tol": np.nan}, "Invalid value for 'rel_tol'"),
    ({"expand_factor": 1.0}, "Invalid value for 'expand_factor'. Allowed range is (1, 100]"),
])
def test_bad_options_raise(kwargs, pattern):
    with pytest.raises(NeuraxisInputError, match=re.escape(pattern)):
        search_thresholds(_step(np.ones(2)), np.ones(2), **kwargs)


@pytest.mark.parametrize("initial, idx, shown", [
    ([1.0, 0.0], 1, "0"), ([-1.0, 1.0], 0, "-1"), ([1.0, 1.0, np.nan], 2, "nan"),
    ([np.inf], 0, "inf")])
def test_bad_initial_guesses_raise(initial, idx, shown):
    with pytest.raises(NeuraxisInputError, match=re.escape(
            f"Invalid value for 'initial_ma' (element {idx}). Allowed range is (0, inf] mA, "
            f"but got {shown} mA")):
        search_thresholds(_step(np.ones(len(initial))), np.array(initial))


@pytest.mark.parametrize(("pulse_width_us", "stages_us"), [
    (300.0, [25.0, 5.0, 1.0]), (210.0, [15.0, 5.0, 1.0]), (90.0, [15.0, 5.0, 1.0]),
    (7.0, [1.0])])
def test_staged_search_keeps_the_bound_of_the_final_step(pulse_width_us, stages_us):
    """Coarse stages (a 10-25 us prestage when one divides the pulse width, then 5 us)
    only move the starting point: the result is within rel_tol above the threshold at
    the final step, even when the coarse steps' thresholds are biased (here +0.4 %/us,
    with a per-item scatter the bias model does not know)."""
    rng = np.random.default_rng(11)
    true_1us = rng.uniform(0.05, 20.0, 200)
    scatter = rng.uniform(-0.01, 0.01, 200)
    steps = []

    def make_fires(dt_us):
        steps.append(dt_us)
        thr = true_1us * (1 + (0.004 + scatter) * (dt_us - 1.0))
        return lambda a, w: a >= thr[w]

    hint = true_1us * rng.uniform(0.3, 3.0, 200)
    res = staged_search(make_fires, hint, np.full(200, pulse_width_us), 1.0, rel_tol=0.01,
                        max_ma=100.0)
    assert steps == stages_us
    assert np.all(res.status == 0)
    assert np.all(res.threshold_ma >= true_1us)
    assert np.all(res.threshold_ma <= true_1us / (1 - 0.01))


def test_find_thresholds_takes_a_hint_that_never_moves_the_bound():
    from neuraxis.axons import find_thresholds

    kw = {"distance_mm": 1.0, "pulse_width_us": 100.0, "n_nodes": 21, "dt_us": 5.0,
          "rel_tol": 0.002}
    ref = find_thresholds(np.array([8.0, 12.0]), **kw)
    hinted = find_thresholds(np.array([8.0, 12.0]), initial_ma=ref.threshold_ma * 3.0, **kw)
    np.testing.assert_allclose(hinted.threshold_ma, ref.threshold_ma, rtol=0.0021)
    with pytest.raises(NeuraxisInputError, match=re.escape("'initial_ma' (element 1)")):
        find_thresholds(np.array([8.0, 12.0]), initial_ma=[0.1, -1.0], **kw)
    with pytest.raises(NeuraxisInputError, match="Expected one value or 2"):
        find_thresholds(np.array([8.0, 12.0]), initial_ma=[0.1, 0.2, 0.3], **kw)


def test_prebuilt_cables_give_the_same_thresholds() -> None:
    """find_thresholds(cables=...) uses the caller's cables (an SCS session builds each
    once) and gives the thresholds it would give building them itself."""
    from neuraxis import NeuraxisInputError
    from neuraxis.axons import build_cable, find_thresholds
    from neuraxis.axons.stimulus import fiber_point_source_mv_per_ma

    diam = np.array([8.0, 10.0, 12.0])
    cabs = [build_cable("mrg", float(d), 21) for d in diam]
    ves = [fiber_point_source_mv_per_ma(c.x_um, c.middle_node_x_um, 1.0, 0.0, 0.2)
           for c in cabs]
    own = find_thresholds(diam, ve_mv_per_ma=ves, n_nodes=21)
    given = find_thresholds(diam, ve_mv_per_ma=ves, n_nodes=21, cables=cabs)
    np.testing.assert_array_equal(own.threshold_ma, given.threshold_ma)
    with pytest.raises(NeuraxisInputError, match="'cables'"):
        find_thresholds(diam, ve_mv_per_ma=ves, n_nodes=21, cables=cabs[::-1])
    assert set(given.to_dict()) == {"fibers", "settings"}
