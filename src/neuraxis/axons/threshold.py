"""Threshold search as a pure, batched function of a "does it fire?" predicate.

The search knows nothing about axons: it calls ``fires(amplitudes_ma, which)``
where ``which`` are item indices and ``amplitudes_ma`` their trial amplitudes,
and gets a boolean per trial. Every round evaluates all undecided items
together (one batched simulation), so the predicate can advance many fibers
in lockstep. Test it with a lambda: ``fires = lambda a, i: a >= true_thr[i]``.

Algorithm per item: start from an initial guess; bracket by scaling the
amplitude by ``expand_factor`` (squared after every further step in the same
direction, up to x10, so a poor guess costs few rounds) until one trial fires
and one does not (or the amplitude leaves ``[min_ma, max_ma]``); or start from
a known bracket; then bisect geometrically until
``(upper - lower) / upper <= rel_tol``. The reported threshold is the upper
bound: the lowest amplitude seen to fire, within ``rel_tol`` of the true value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neuraxis._validate import check_range

FiresFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Status codes of a search result.
STATUS_OK = 0
STATUS_ABOVE_MAX = 1  # did not fire at max_ma
STATUS_BELOW_MIN = 2  # fired already at min_ma


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Outcome of a batched threshold search.

    Attributes
    ----------
    threshold_ma : ndarray
        Lowest amplitude that fired (upper bound of the final bracket), NaN
        where the item never fired in range.
    lower_ma : ndarray
        Highest amplitude that did not fire (NaN if none was tried).
    status : ndarray of int
        0 found, 1 never fired up to ``max_ma``, 2 fired at ``min_ma``.
    n_evaluations : ndarray of int
        Predicate evaluations (simulations) per item.
    n_rounds : int
        Batched rounds (calls to the predicate).
    """

    threshold_ma: np.ndarray
    lower_ma: np.ndarray
    status: np.ndarray
    n_evaluations: np.ndarray
    n_rounds: int


def search_thresholds(
    fires: FiresFn,
    initial_ma: np.ndarray,
    *,
    rel_tol: float = 0.005,
    expand_factor: float = 2.0,
    min_ma: float = 1e-4,
    max_ma: float = 1e3,
    max_rounds: int = 200,
    on_round: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Find, for each item, the smallest amplitude for which ``fires`` is true.

    Parameters
    ----------
    fires : callable
        ``fires(amplitudes_ma, which) -> bool array`` for the items ``which``.
    initial_ma : array
        Initial guess per item (mA); a good guess saves rounds, a bad one
        only costs bracketing rounds.
    rel_tol : float
        Relative width of the final bracket, (upper - lower) / upper.
    expand_factor : float
        First factor by which the amplitude is scaled while bracketing (> 1);
        squared at each further bracketing step (capped at 10).
    min_ma, max_ma : float
        Search range (mA); items outside it get a status instead of a value.
    max_rounds : int
        Safety cap on the number of rounds.
    on_round : callable, optional
        ``on_round(n_decided, n_total)`` after each round (progress bars).

    Returns
    -------
    SearchResult
    """
    check_range("rel_tol", rel_tol, 1e-6, 0.5, "")
    check_range("expand_factor", expand_factor, 1.0, 100.0, "", low_inclusive=False)
    init = np.asarray(initial_ma, dtype=float).reshape(-1)
    check_range("initial_ma", init, 0.0, None, "mA", low_inclusive=False)
    n = init.size
    lo = np.full(n, np.nan)  # highest non-firing amplitude
    hi = np.full(n, np.nan)  # lowest firing amplitude
    status = np.zeros(n, dtype=int)
    n_eval = np.zeros(n, dtype=int)
    trial = np.clip(init, min_ma, max_ma)
    factor = np.full(n, float(expand_factor))
    active = np.ones(n, dtype=bool)
    rounds = 0
    while active.any() and rounds < max_rounds:
        which = np.flatnonzero(active)
        result = np.asarray(fires(trial[which], which), dtype=bool)
        rounds += 1
        n_eval[which] += 1
        amp = trial[which]
        hi[which] = np.where(result, np.fmin(hi[which], amp), hi[which])
        lo[which] = np.where(~result, np.fmax(lo[which], amp), lo[which])
        # next trial per item
        h, lw = hi[which], lo[which]
        have_both = np.isfinite(h) & np.isfinite(lw)
        done = have_both & ((h - lw) / h <= rel_tol)
        up = ~np.isfinite(h)  # nothing fired yet: go up
        down = ~np.isfinite(lw) & ~up  # everything fired: go down
        nxt = np.sqrt(np.where(have_both, h * lw, 1.0))
        fac = factor[which]
        nxt = np.where(up, np.minimum(amp * fac, max_ma), nxt)
        nxt = np.where(down, np.maximum(amp / fac, min_ma), nxt)
        factor[which] = np.where(up | down, np.minimum(fac * fac, 10.0), fac)
        above = up & (amp >= max_ma)
        below = down & (amp <= min_ma)
        status[which[above]] = STATUS_ABOVE_MAX
        status[which[below]] = STATUS_BELOW_MIN
        finished = done | above | below
        active[which[finished]] = False
        trial[which] = nxt
        if on_round is not None:
            on_round(int(n - active.sum()), n)
    threshold = np.where(status == STATUS_OK, hi, np.nan)
    threshold = np.where(status == STATUS_BELOW_MIN, min_ma, threshold)
    return SearchResult(threshold, lo, status, n_eval, rounds)


#: Bracketing stage of :func:`staged_search`: coarse step (us) and tolerance.
COARSE_DT_US = 5.0
COARSE_REL_TOL = 0.01
#: First, cheaper bracketing stage: the largest of these steps (us) that divides every
#: pulse width, searched to ``PRESTAGE_REL_TOL`` (the near-threshold bisection rounds
#: that dominate the cost move to a step 3-5x coarser; -17 % compartment-steps on the
#: SCS benchmark, benchmarks/RESULTS.md).
PRESTAGE_DT_US = (25.0, 20.0, 15.0, 10.0)
PRESTAGE_REL_TOL = 0.02
#: Backward Euler thresholds fall ~0.36 % per us of step (docs/numerics.md);
#: used only to centre each following stage's first trial.
BE_BIAS_PER_US = 0.0036


def staged_search(
    make_fires: Callable[[float], FiresFn],
    initial_ma: np.ndarray,
    pulse_width_us: np.ndarray,
    dt_us: float,
    *,
    rel_tol: float = 0.005,
    max_ma: float = 1e3,
    on_round: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Threshold search in stages: cheap coarse-step brackets, then ``dt_us``.

    When ``dt_us`` is finer than :data:`COARSE_DT_US` (and every pulse width
    is a multiple of it), a search at a step of 10-25 us to 2 %
    (:data:`PRESTAGE_DT_US`, when one divides every pulse width) and then at
    the coarse step to 1 % gives a starting point; each stage starts next to
    the previous one's threshold (shifted by the backward-Euler bias) with a
    small expansion factor. Only the final stage's simulations decide the
    result: the coarse stages change how many simulations are needed, never
    the bound the answer satisfies.

    Parameters
    ----------
    make_fires : callable
        ``make_fires(dt_us) -> fires`` builds the predicate for a time step.
    initial_ma : array
        Hint per item (mA).
    pulse_width_us : array
        Leading-phase width per item (us), to check that the coarse step
        resolves it.
    dt_us : float
        Time step of the final stage (us).
    rel_tol, max_ma, on_round
        As in :func:`search_thresholds` (``on_round`` reports the final stage).

    Returns
    -------
    SearchResult
        The final stage's result; ``n_evaluations`` counts every stage.
    """
    pw = np.asarray(pulse_width_us, dtype=float)
    guess = np.asarray(initial_ma, dtype=float)
    evals = np.zeros(guess.size, dtype=int)
    expand = 1.4
    prev_dt = None
    for stage_dt, stage_tol in _coarse_stages(pw, dt_us):
        if prev_dt is not None:
            guess = guess * (1.0 - BE_BIAS_PER_US * (prev_dt - stage_dt))
        res_c = search_thresholds(make_fires(stage_dt), guess, rel_tol=stage_tol,
                                  max_ma=max_ma, expand_factor=expand)
        evals += res_c.n_evaluations
        guess = np.where(np.isfinite(res_c.threshold_ma), res_c.threshold_ma, guess)
        guess = np.where(res_c.status == STATUS_ABOVE_MAX, max_ma, guess)  # one trial decides
        expand = 1.0 + stage_tol
        prev_dt = stage_dt
    if prev_dt is not None:
        guess = guess * (1.0 - BE_BIAS_PER_US * (prev_dt - dt_us))
        expand = 1.01
    res = search_thresholds(make_fires(dt_us), guess, rel_tol=rel_tol, max_ma=max_ma,
                            expand_factor=expand, on_round=on_round)
    return SearchResult(res.threshold_ma, res.lower_ma, res.status,
                        res.n_evaluations + evals, res.n_rounds)


def _coarse_stages(pulse_width_us: np.ndarray, dt_us: float) -> list[tuple[float, float]]:
    """(time step us, tolerance) of each coarse stage before the final one at ``dt_us``.

    A stage is used only if its step divides every pulse width (phase edges on the grid).
    """
    def divides(step_us: float) -> bool:
        r = pulse_width_us / step_us
        return bool(np.all(np.abs(r - np.round(r)) < 1e-9))

    stages = []
    if dt_us < COARSE_DT_US and divides(COARSE_DT_US):
        pre = [d for d in PRESTAGE_DT_US if divides(d)]
        if pre:
            stages.append((pre[0], PRESTAGE_REL_TOL))
        stages.append((COARSE_DT_US, COARSE_REL_TOL))
    return stages
