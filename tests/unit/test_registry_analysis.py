"""Registry analyses (neuraxis.registry.analysis) on small hand-worked tables.

Every expected number below is worked out by hand in the comments, and the intervals
are also checked against an independent computation (statsmodels, scipy, or a partial
likelihood maximised here), so that a wrong formula fails.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("lifelines")
pytest.importorskip("statsmodels")

from neuraxis._soft_import import MissingDependencyError
from neuraxis._validate import NeuraxisInputError
from neuraxis.registry import analysis as ra

ROOT = Path(__file__).resolve().parents[2]
T975_8 = 2.306004135033371  # Student t, 0.975 quantile, 8 df
Z975 = 1.959963984540054

# ---------------------------------------------------------------------------- visits
# Ten patients, baseline and m3 (back NRS, leg NRS, opioid MME mg/day, flags at m3):
#
# pt   back b->m3  red%   leg b->m3  red%   MME b->m3  implanted per_protocol
# P01   8 -> 4     50.0    6 -> 2    66.7    30 -> 30   yes       yes
# P02   6 -> 3     50.0    4 -> 3    25.0     0 -> 0    yes       yes
# P03  10 -> 6     40.0    8 -> 2    75.0    60 -> 40   yes       yes
# P04   5 -> 1     80.0    5 -> 1    80.0    20 -> 45   yes       yes   (opioid up 25)
# P05   7 -> 7      0.0    7 -> 6    14.3     0 -> 0    yes       yes
# P06   9 -> 2     77.8    3 -> 0   100.0    90 -> 60   yes       yes
# P07   8 -> 5     37.5    8 -> 5    37.5     0 -> 0    yes       no    (deviation)
# P08   4 -> 2     50.0    2 -> 1    50.0    15 -> 15   yes       yes
# P09   6 -> (no m3 row: lost to follow-up)
# P10   7 -> 5     28.6    6 -> 6     0.0     0 -> 0    no        yes   (failed trial)
_ROWS = [
    ("P01", 8, 4, 6, 2, 30, 30, True, True), ("P02", 6, 3, 4, 3, 0, 0, True, True),
    ("P03", 10, 6, 8, 2, 60, 40, True, True), ("P04", 5, 1, 5, 1, 20, 45, True, True),
    ("P05", 7, 7, 7, 6, 0, 0, True, True), ("P06", 9, 2, 3, 0, 90, 60, True, True),
    ("P07", 8, 5, 8, 5, 0, 0, True, False), ("P08", 4, 2, 2, 1, 15, 15, True, True),
    ("P09", 6, None, 5, None, 0, None, None, None), ("P10", 7, 5, 6, 6, 0, 0, False, True),
]


def _visits() -> pd.DataFrame:
    rows = []
    for pid, b0, b3, l0, l3, m0, m3, imp, pp in _ROWS:
        rows.append({"patient_id": pid, "visit": "baseline", "visit_date": "2024-01-10",
                     "nrs_back": b0, "nrs_leg": l0, "opioid_mme_mg_per_day": m0,
                     "implanted": False, "per_protocol": True})
        if b3 is not None:
            rows.append({"patient_id": pid, "visit": "m3", "visit_date": "2024-04-10",
                         "nrs_back": b3, "nrs_leg": l3, "opioid_mme_mg_per_day": m3,
                         "implanted": imp, "per_protocol": pp})
    return pd.DataFrame(rows)


def _row(result, visit="m3"):
    return next(r for r in result.rows if r.visit == visit)


def test_responders_back_50_itt_and_per_protocol() -> None:
    r = ra.responder_rates(_visits(), threshold_pct=50, region="back")
    m3 = _row(r)
    # ITT: responders P01 P02 P04 P06 P08 = 5 of 10 enrolled; P09 missing -> non-responder
    assert (m3.responders_itt, m3.n_itt, m3.missing_itt) == (5, 10, 1)
    assert m3.rate_itt == pytest.approx(0.5)
    # PP: implanted & per protocol & evaluable = P01-P06, P08 (7); responders the same 5
    assert (m3.responders_pp, m3.n_pp) == (5, 7)
    # Wilson 5/10 by hand: centre (0.5 + 1.92073/10)/1.384146 = 0.5,
    # half = 1.959964/1.384146 * sqrt(0.025 + 0.0009604) = 0.228161 -> [0.2366, 0.7634]
    assert (m3.ci_low_itt, m3.ci_high_itt) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    from statsmodels.stats.proportion import proportion_confint

    assert (m3.ci_low_pp, m3.ci_high_pp) == pytest.approx(
        proportion_confint(5, 7, method="wilson"), abs=1e-12)


@pytest.mark.parametrize(("kwargs", "itt", "pp"), [
    ({"threshold_pct": 30}, 7, (6, 7)),  # + P03 (40 %) and P07 (37.5 %, not PP)
    ({"medication": "no_opioid_increase"}, 4, (4, 7)),  # P04 went 20 -> 45 mg/day
    ({"medication": "no_opioid_increase", "opioid_tolerance_mg_per_day": 30}, 5, (5, 7)),
    ({"region": "leg"}, 5, (5, 7)),  # P01 P03 P04 P06 P08
    ({"region": "worst"}, 4, (4, 7)),  # min(back, leg): P03 40 %, P02 25 % fail
    ({"region": "mean"}, 5, (5, 7)),  # P03 9 -> 4 = 55.6 % passes, P02 5 -> 3 = 40 % fails
])
def test_responder_definitions(kwargs: dict, itt: int, pp: tuple[int, int]) -> None:
    m3 = _row(ra.responder_rates(_visits(), **kwargs))
    assert m3.responders_itt == itt and m3.n_itt == 10
    assert (m3.responders_pp, m3.n_pp) == pp


def test_responders_by_patient_rated_relief() -> None:
    # relief at m3: P01 60, P02 50, P03 30, P04 90, P05 0, P06 80, P07 50, P08 40, P10 -20
    # (worse than before); >= 50 %: P01 P02 P04 P06 P07 = 5/10; PP drops P07: 4/7
    relief = {"P01": 60, "P02": 50, "P03": 30, "P04": 90, "P05": 0, "P06": 80, "P07": 50,
              "P08": 40, "P10": -20}
    v = _visits()
    v["percent_relief"] = [relief.get(p) if visit == "m3" else None
                           for p, visit in zip(v["patient_id"], v["visit"], strict=True)]
    r = ra.responder_rates(v, region="relief")
    m3 = _row(r)
    assert (m3.responders_itt, m3.n_itt, m3.responders_pp, m3.n_pp) == (5, 10, 4, 7)
    assert r.definition.describe() == ">= 50 % patient-rated pain relief"
    with pytest.raises(NeuraxisInputError, match="'baseline_min'.*region is 'relief'"):
        ra.responder_rates(v, region="relief", baseline_min=5)


def test_responders_baseline_min_excludes_low_baseline() -> None:
    # P08 (baseline 4) is excluded; 9 left, responders P01 P02 P04 P06; PP 6 (P01-P06)
    r = ra.responder_rates(_visits(), baseline_min=5)
    m3 = _row(r)
    assert (r.n_enrolled, r.n_excluded_baseline) == (10, 1)
    assert (m3.responders_itt, m3.n_itt, m3.responders_pp, m3.n_pp) == (4, 9, 4, 6)
    assert "baseline >= 5" in r.definition.describe()


def test_change_from_baseline_t_interval_and_mcid() -> None:
    from scipy import stats

    r = ra.change_from_baseline(_visits(), "nrs_back")
    m3 = _row(r)
    # Patients with both values: all but P09 (9). Changes -4 -3 -4 -4 0 -7 -3 -2 -2:
    # mean -29/9 = -3.2222; SS = 123 - 9 * 3.2222^2 = 29.5556, sd = sqrt(29.5556/8) = 1.92209;
    # half-width 2.306004 * 1.92209 / 3 = 1.47745 -> [-4.69967, -1.74477]
    assert m3.n == 9
    assert m3.change_mean == pytest.approx(-29 / 9)
    assert m3.change_sd == pytest.approx(1.92209, abs=1e-5)
    assert (m3.ci_low, m3.ci_high) == pytest.approx((-4.69967, -1.74477), abs=1e-5)
    ci = stats.ttest_1samp([-4, -3, -4, -4, 0, -7, -3, -2, -2], 0).confidence_interval(0.95)
    assert (m3.ci_low, m3.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    # MCID 2 points (Ostelo 2008): all but P05 (0) improve, P10 7 -> 5 just reaches 2: 8/9
    assert (m3.improved, r.mcid, r.mcid_rule) == (8, 2.0, "points")
    assert "Ostelo" in r.mcid_source
    # 30 %: P10 (28.6 %) and P05 fail: 7/9
    assert _row(ra.change_from_baseline(_visits(), "nrs_back", mcid_rule="percent")).improved == 7
    # per protocol: P01-P06, P08: changes -4 -3 -4 -4 0 -7 -2, mean -24/7
    pp = _row(ra.change_from_baseline(_visits(), "nrs_back", population="per_protocol"))
    assert (pp.n, pp.change_mean) == (7, pytest.approx(-24 / 7))


def test_change_without_published_mcid() -> None:
    v = _visits().assign(eq5d_index=0.5)
    r = ra.change_from_baseline(v, "eq5d_index")
    assert r.mcid is None and _row(r).improved is None
    assert _row(ra.change_from_baseline(v, "eq5d_index", mcid=0.07)).improved == 0


# ---------------------------------------------------------------------------- mixed model
# Four patients, complete and balanced (baseline, m3, m6):
#   P1 9 6 5 | P2 5 3 3 | P3 10 7 4 | P4 6 2 4
# visit means 7.5, 4.5, 4.0; grand mean 64/12 = 5.3333; sum of squares 406.
# Two-way ANOVA: SS_total = 406 - 64^2/12 = 64.6667; SS_visit = 4 * 7.16667 = 28.6667;
# SS_patient = 3 * 9.11111 = 27.3333; SS_resid = 8.6667 on (4-1)(3-1) = 6 df -> 1.44444.
# Balanced data: REML = ANOVA estimates, s_e^2 = 1.44444, s_u^2 = (9.11111 - 1.44444)/3 =
# 2.55556; change m3 = -3.0, m6 = -3.5, se = sqrt(2 * 1.44444 / 4) = 0.849837;
# baseline mean 7.5, se = sqrt((2.55556 + 1.44444) / 4) = 1.0.
_MIXED = {"P1": (9, 6, 5), "P2": (5, 3, 3), "P3": (10, 7, 4), "P4": (6, 2, 4)}


def _mixed_visits() -> pd.DataFrame:
    return pd.DataFrame([{"patient_id": p, "visit": v, "odi_pct": float(y), "implanted": True,
                          "per_protocol": True}
                         for p, ys in _MIXED.items()
                         for v, y in zip(("baseline", "m3", "m6"), ys, strict=True)])


def test_mixed_model_equals_anova_on_balanced_data() -> None:
    r = ra.mixed_model(_mixed_visits(), "odi_pct")
    base, m3, m6 = r.rows
    assert r.converged and (r.n_patients, r.n_obs) == (4, 12)
    assert r.residual_variance == pytest.approx(1.444444, abs=1e-4)
    assert r.patient_variance == pytest.approx(2.555556, abs=1e-3)
    assert (m3.change, m6.change) == pytest.approx((-3.0, -3.5), abs=1e-6)
    se = math.sqrt(2 * 1.444444 / 4)
    assert (m3.change_ci_low, m3.change_ci_high) == pytest.approx(
        (-3 - Z975 * se, -3 + Z975 * se), abs=1e-3)
    assert (base.mean, base.mean_ci_low) == pytest.approx((7.5, 7.5 - Z975 * 1.0), abs=1e-3)
    assert m6.mean == pytest.approx(4.0, abs=1e-6)
    assert math.isnan(base.change) and r.to_dict()["rows"][0]["change"] is None


def test_mixed_model_uses_incomplete_patients() -> None:
    v = _mixed_visits()
    v = v[~((v["patient_id"] == "P4") & (v["visit"] == "m6"))]  # P4 missed m6
    r = ra.mixed_model(v, "odi_pct")
    assert r.n_obs == 11 and [x.n_obs for x in r.rows] == [4, 4, 3]
    # P4 still informs the baseline and m3 means: the m3 estimate is the plain mean
    assert r.rows[1].mean == pytest.approx(4.5, abs=1e-3)


# ---------------------------------------------------------------------------- survival
# Ten implants (days from implant, event, cause):
#   A 60 explant infection | B 100 none | C 200 revision lead_migration |
#   D 200 explant infection | E 300 none | F 400 explant loss_of_efficacy | G 500 none |
#   H 600 explant loss_of_efficacy | I 700 none | J 800 none
# Product limit: 60 d: 9/10 = 0.9; 200 d: 0.9 * 6/8 = 0.675; 400 d: 0.675 * 4/5 = 0.54;
# 600 d: 0.54 * 2/3 = 0.36. 12 months (365.25 d) -> 0.675, 24 months (730.5 d) -> 0.36.
_IMPLANTS = [("A", 60, "explant", "infection"), ("B", 100, "none", None),
             ("C", 200, "revision", "lead_migration"), ("D", 200, "explant", "infection"),
             ("E", 300, "none", None), ("F", 400, "explant", "loss_of_efficacy"),
             ("G", 500, "none", None), ("H", 600, "explant", "loss_of_efficacy"),
             ("I", 700, "none", None), ("J", 800, "none", None)]


def _implants(**extra: list) -> pd.DataFrame:
    start = pd.Timestamp("2021-01-01")
    df = pd.DataFrame({"patient_id": [r[0] for r in _IMPLANTS], "implant_date": start,
                       "event_date": [start + pd.Timedelta(days=r[1]) for r in _IMPLANTS],
                       "event": [r[2] for r in _IMPLANTS], "cause": [r[3] for r in _IMPLANTS]})
    return df.assign(**extra)


def test_kaplan_meier_against_hand_product_limit() -> None:
    r = ra.kaplan_meier(_implants())
    at12, at24 = r.curves[0].at
    assert (at12.estimate, at24.estimate) == pytest.approx((0.675, 0.36))
    assert (at12.at_risk, at24.at_risk) == (5, 1)  # F G H I J; J (I left at 700 d)
    # exponential Greenwood by hand: v = sum d/(n(n-d)) / log(S)^2, S^exp(+-z sqrt(v))
    g = 1 / (10 * 9) + 2 / (8 * 6)
    v = g / math.log(0.675) ** 2
    lo, hi = 0.675 ** math.exp(Z975 * math.sqrt(v)), 0.675 ** math.exp(-Z975 * math.sqrt(v))
    assert (at12.ci_low, at12.ci_high) == pytest.approx((lo, hi), abs=1e-9)
    # median: the first time S <= 0.5 is 600 d (S 0.54 -> 0.36) = 19.71 months
    assert r.curves[0].n_events == 5
    assert r.curves[0].median_months == pytest.approx(600 / 30.4375)
    # explant only: C (revision) is censored at 200 d -> 200 d: 0.9 * 7/8 = 0.7875
    only = ra.kaplan_meier(_implants(), events=("explant",))
    assert only.curves[0].at[0].estimate == pytest.approx(0.7875)
    # stratified: site x = A-E (events A C D: 60 d 4/5, 200 d 0.8 * 1/3), site y = F-J;
    # site x is followed to 300 d only, so 12 months is beyond its data: NaN
    strata = ra.kaplan_meier(_implants(site=["x"] * 5 + ["y"] * 5), group="site")
    assert [(c.label, c.n, c.n_events) for c in strata.curves] == [("x", 5, 3), ("y", 5, 2)]
    x = strata.curve("x")
    assert x.steps[-1].month == pytest.approx(300 / 30.4375)
    assert x.steps[-1].estimate == pytest.approx(0.8 / 3) and math.isnan(x.at[0].estimate)


def test_kaplan_meier_by_cause_overstates_competing_causes() -> None:
    km = ra.kaplan_meier(_implants(), by="cause")
    aj = ra.cumulative_incidence(_implants())
    # loss of efficacy, others censored: 400 d 4/5, 600 d 2/3 -> 1 - 0.5333 = 0.4667 at 24 m,
    # against its Aalen-Johansen incidence 0.315 (below)
    assert 1 - km.curve("loss_of_efficacy").at[1].estimate == pytest.approx(1 - 8 / 15)
    assert aj.curve("loss_of_efficacy").at[1].estimate < 1 - km.curve(
        "loss_of_efficacy").at[1].estimate


def test_aalen_johansen_against_hand_values_with_tied_causes() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "tied event times ... jittered" warning
        r = ra.cumulative_incidence(_implants())
    # CIF_k(t) = sum S(t_j-) d_kj / n_j:
    # infection: 60 d 1/10 = 0.1; 200 d + 0.9 * 1/8 -> 0.2125 (tied with C's revision)
    # lead_migration: 200 d 0.9 * 1/8 = 0.1125
    # loss_of_efficacy: 400 d 0.675 * 1/5 = 0.135; 600 d + 0.54 * 1/3 -> 0.315
    inf, lead, loe = (r.curve(c).at for c in ("infection", "lead_migration",
                                               "loss_of_efficacy"))
    assert (inf[0].estimate, lead[0].estimate, loe[0].estimate) == pytest.approx(
        (0.2125, 0.1125, 0.0))
    assert (inf[1].estimate, lead[1].estimate, loe[1].estimate) == pytest.approx(
        (0.2125, 0.1125, 0.315))
    # together they are 1 - S(t) of all causes: 0.325 = 1 - 0.675, 0.64 = 1 - 0.36
    assert sum(c.at[1].estimate for c in r.curves) == pytest.approx(1 - 0.36)
    assert all(p.ci_low <= p.estimate <= p.ci_high for c in r.curves for p in c.at)
    assert loe[0].ci_low == loe[0].ci_high == 0.0
    by_event = ra.cumulative_incidence(_implants(), by="event")
    assert by_event.curve("revision").at[1].estimate == pytest.approx(0.1125)


def test_cox_matches_a_partial_likelihood_maximised_here() -> None:
    from scipy.optimize import minimize_scalar

    x = [1, 0, 1, 0, 1, 0, 1, 1, 0, 0]
    imp = _implants(paddle=[bool(v) for v in x])
    imp.loc[3, "event_date"] += pd.Timedelta(days=10)  # D at 210 d: no tied times
    days = [60, 100, 200, 210, 300, 400, 500, 600, 700, 800]
    event = [r[2] != "none" for r in _IMPLANTS]

    def neg_pl(b: float) -> float:  # Cox partial log-likelihood, no ties
        return -sum(b * x[i] - math.log(sum(math.exp(b * x[j]) for j in range(10)
                                             if days[j] >= days[i]))
                    for i in range(10) if event[i])

    best = minimize_scalar(neg_pl, bounds=(-10, 10), method="bounded",
                           options={"xatol": 1e-10}).x
    h = 1e-4
    info = (neg_pl(best + h) - 2 * neg_pl(best) + neg_pl(best - h)) / h ** 2
    r = ra.cox_ph(imp, "paddle")
    row = r.rows[0]
    assert row.term == "paddle" and (r.n, r.n_events) == (10, 5)
    assert row.coef == pytest.approx(best, abs=1e-5)
    assert row.se == pytest.approx(1 / math.sqrt(info), rel=1e-4)
    assert row.hazard_ratio == pytest.approx(math.exp(best), rel=1e-5)
    assert row.ci_low == pytest.approx(math.exp(best - Z975 / math.sqrt(info)), rel=1e-3)
    assert 0 <= row.ph_test_p <= 1


def test_cox_text_covariate_and_errors() -> None:
    imp = _implants(site=["a", "b", "c"] * 3 + ["a"], age=None)
    r = ra.cox_ph(imp, ["site"])
    assert [x.term for x in r.rows] == ["site[b]", "site[c]"]
    with pytest.raises(NeuraxisInputError, match=r"Missing value in 'implants.age'.*row 0"):
        ra.cox_ph(imp, ["age"])
    with pytest.raises(NeuraxisInputError, match="did you mean 'site'"):
        ra.cox_ph(imp, ["sight"])


# ---------------------------------------------------------------------------- complications
# Follow-up: P1 2020-01-01..2021-01-01 (366 d), P2 2020-01-01..2020-07-01 (182 d),
# P3 2021-01-01..2023-01-01 (730 d), P4 2021-01-01..2022-01-01 (365 d): 1643 d =
# 4.49829 patient-years. Complications: P1 device_related x2, P3 procedural (serious) and
# patient_complaint; P2 procedural on 2020-09-01, after its follow-up: left out.
# device_related: 2 / 4.49829 * 100 = 44.4613 per 100 PY; Garwood k = 2: chi2(0.025; 4)/2
# = 0.242209, chi2(0.975; 6)/2 = 7.224693 -> [5.3845, 160.6094]; k = 0: upper 3.688879.
def _complications() -> tuple[pd.DataFrame, pd.DataFrame]:
    fu = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4"],
                       "start_date": ["2020-01-01", "2020-01-01", "2021-01-01", "2021-01-01"],
                       "end_date": ["2021-01-01", "2020-07-01", "2023-01-01", "2022-01-01"]})
    c = pd.DataFrame({"patient_id": ["P1", "P1", "P3", "P3", "P2"],
                      "onset_date": ["2020-03-01", "2020-06-01", "2021-05-01", "2022-02-01",
                                     "2020-09-01"],
                      "category": ["device_related", "device_related", "procedural",
                                   "patient_complaint", "procedural"],
                      "serious": [False, False, True, False, False]})
    return c, fu


def test_complication_rates_exact_poisson() -> None:
    from statsmodels.stats.rates import confint_poisson

    r = ra.complication_rates(*_complications())
    rows = {x.category: x for x in r.rows}
    py = 1643 / 365.25
    assert r.patient_years == pytest.approx(py) and r.n_outside_followup == 1
    dev = rows["device_related"]
    assert (dev.events, dev.patients_with_event) == (2, 1)
    assert (dev.rate, dev.ci_low, dev.ci_high) == pytest.approx(
        (44.4613, 5.3845, 160.6094), abs=1e-3)
    for name, k in (("procedural", 1), ("all", 4), ("any_serious", 1),
                    ("surgically_managed", 0)):
        lo, hi = confint_poisson(k, py, method="exact-c")
        assert rows[name].events == k
        assert (rows[name].ci_low, rows[name].ci_high) == pytest.approx(
            (100 * lo, 100 * hi), rel=1e-9)
    assert rows["surgically_managed"].ci_high == pytest.approx(100 * 3.688879 / py, rel=1e-6)
    assert [x.category for x in r.rows] == [*ra.COMPLICATION_CATEGORIES, "all", "any_serious"]


# ---------------------------------------------------------------------------- intervals
def test_intervals_hand_values() -> None:
    # Wilson 7/10: centre 0.644488, half 0.247713 -> [0.39678, 0.89221]
    assert ra.wilson_interval(7, 10) == pytest.approx((0.396778, 0.892209), abs=1e-6)
    assert ra.wilson_interval(0, 10)[0] == 0.0
    assert all(math.isnan(v) for v in ra.wilson_interval(0, 0))
    # Garwood k = 3: [0.618672, 8.767273]
    assert ra.poisson_exact_interval(3) == pytest.approx((0.618672, 8.767273), abs=1e-6)
    mean, sd, lo, hi = ra.t_interval([1.0, 2.0, 3.0])  # sd 1, t(0.975, 2) = 4.302653
    assert (mean, sd) == (2.0, 1.0)
    assert (lo, hi) == pytest.approx((2 - 4.302653 / math.sqrt(3), 2 + 4.302653 / math.sqrt(3)))


# ---------------------------------------------------------------------------- outputs
def test_results_are_json_ready_and_tidy() -> None:
    results = [ra.responder_rates(_visits()), ra.change_from_baseline(_visits(), "nrs_leg"),
               ra.mixed_model(_mixed_visits(), "odi_pct"), ra.kaplan_meier(_implants()),
               ra.cumulative_incidence(_implants()),
               ra.complication_rates(*_complications())]
    for res in results:
        json.dumps(res.to_dict(), allow_nan=False)  # NaN -> None everywhere
        frame = res.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    steps = results[3].to_frame("steps")
    assert list(steps["month"])[:2] == [0.0, pytest.approx(60 / 30.4375)]
    assert list(results[0].to_frame().columns[:3]) == ["visit", "month", "n_itt"]


def test_database_types_are_read() -> None:
    # a database export gives Decimal numbers and datetime.date values
    import datetime as dt
    from decimal import Decimal

    v = _visits()
    v["nrs_back"] = [None if x != x else Decimal(str(x)) for x in v["nrs_back"]]
    assert _row(ra.responder_rates(v)).responders_itt == 5
    imp = _implants()
    imp["event_date"] = [d.date() for d in imp["event_date"]]
    imp["implant_date"] = dt.date(2021, 1, 1)
    assert ra.kaplan_meier(imp).curves[0].at[0].estimate == pytest.approx(0.675)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("change", "call", "pattern"), [
    (lambda v: v.rename(columns={"nrs_back": "nrs_bak"}), "responders",
     r"Table 'visits' has no column 'nrs_back' - did you mean 'nrs_bak'\?"),
    (lambda v: v.replace({"visit": {"m3": "m33"}}), "responders",
     r"'visits.visit'.*did you mean 'm3'\? \(row 1, patient_id 'P01'\)"),
    (lambda v: v.replace({"nrs_back": {4: 12}}), "responders",
     r"Allowed range is \[0, 10\] points, but got 12 points \(row 1, patient_id 'P01'\)"),
    (lambda v: v.astype({"nrs_back": object}).replace({"nrs_back": {8: "8"}}), "change",
     r"'visits.nrs_back'.*not a number"),
    (lambda v: pd.concat([v, v.iloc[[0]]]), "change",
     r"more than one row for patient_id='P01', visit='baseline'"),
    (lambda v: v.assign(implanted="yes"), "responders",
     r"'visits.implanted'.*Allowed values are True, False, but got 'yes'"),
    (lambda v: v.values.tolist(), "change", r"Expected a pandas DataFrame"),
])
def test_bad_tables_give_one_clear_message(change, call, pattern) -> None:
    bad = change(_visits())
    fn = {"responders": ra.responder_rates,
          "change": lambda v: ra.change_from_baseline(v, "nrs_back")}[call]
    with pytest.raises(NeuraxisInputError, match=pattern):
        fn(bad)


def test_bad_options_and_implants() -> None:
    with pytest.raises(NeuraxisInputError, match="did you mean 'back'"):
        ra.responder_rates(_visits(), region="bak")
    with pytest.raises(NeuraxisInputError, match=r"'threshold_pct'.*\(0, 100\] %"):
        ra.responder_rates(_visits(), threshold_pct=150)
    with pytest.raises(NeuraxisInputError, match="already rated against baseline"):
        ra.change_from_baseline(_visits().assign(pgic=2), "pgic")
    bad = _implants()
    bad.loc[0, "cause"] = "infecton"
    with pytest.raises(NeuraxisInputError, match="did you mean 'infection'.*row 0"):
        ra.kaplan_meier(bad)
    early = _implants()
    early.loc[2, "event_date"] = pd.Timestamp("2020-06-01")
    with pytest.raises(NeuraxisInputError, match="patient_id 'C'.*before implant_date"):
        ra.cumulative_incidence(early)
    c, fu = _complications()
    with pytest.raises(NeuraxisInputError, match="patient_id 'P9'.*no row in 'followup'"):
        ra.complication_rates(c.assign(patient_id="P9"), fu)
    with pytest.raises(NeuraxisInputError, match="did you mean 'device_related'"):
        ra.complication_rates(c.assign(category="device related"), fu)


def test_missing_extra_names_neuraxis_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lifelines", None)  # import lifelines -> ImportError
    with pytest.raises(MissingDependencyError, match=r"neuraxis\[registry\]"):
        ra.kaplan_meier(_implants())


def test_import_stays_light() -> None:
    code = ("import sys, neuraxis.registry.analysis\n"
            "print([m for m in ('pandas', 'scipy', 'statsmodels', 'lifelines') "
            "if m in sys.modules])")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_docs_name_every_column_and_function() -> None:
    doc = (ROOT / "docs" / "registry_analysis.md").read_text(encoding="utf-8")
    for name, columns in ra.TABLES.items():
        assert f"`{name}`" in doc, name
        for col in columns:
            assert f"`{col.name}`" in doc, (name, col.name)
    for fn in ("responder_rates", "change_from_baseline", "mixed_model", "kaplan_meier",
               "cumulative_incidence", "cox_ph", "complication_rates"):
        assert f"`{fn}(" in doc, fn
    for cat in ra.COMPLICATION_CATEGORIES:
        assert f"`{cat}`" in doc, cat
