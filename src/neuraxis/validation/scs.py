"""Validation rows of the SCS chain (field -> fibers -> thresholds -> percept) against
published observations.

Every row is computed from SCS sessions of the current library (:mod:`.scs_runs`: the
coarse mesh, the default converged fiber sampling, one memo of runs shared by the rows).
PT, DT and the usable range are population counts of real fibers
(:mod:`neuraxis.perception.percept`); an ordering between two configurations counts as
*resolved* only when the values differ by more than the sampling tolerance
(:data:`.scs_runs.SAMPLING_TOLERANCE`, 5 %, the convergence bound), never as a pass
inside it.

Nothing here is fitted: every row has ``role='validation'``. A row the model is known to
fail names the reason in :data:`EXPECTED_FAILURES`; the tests in
``tests/validation/test_scs_published.py`` assert every row and mark those as strict
expected failures. ``docs/validation_scs.md`` explains the rows and their sources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from neuraxis.validation import ValidationRow
from neuraxis.validation.scs_runs import (
    DCSF_MM,
    GUARDED_CATHODE,
    LATERAL_OFFSET_MM,
    PADDLE_BIPOLE,
    PADDLE_MONOPOLE,
    PERC_BIPOLE,
    PERC_MONOPOLE,
    PT_MULTIPLE,
    PULSE_WIDTH_US,
    SAMPLING_TOLERANCE,
    T9,
    TRANSVERSE_TRIPOLE,
    Runs,
    above,
    below_dt_ma,
    dc_recruited,
    first_threshold_ma,
    weighted_quantile,
)

#: Pulse widths of the strength-duration row (us): Yearwood et al. tested 50-1000 us.
STRENGTH_DURATION_PW_US = (100.0, 300.0, 1000.0)
#: Feirabend et al.'s class of the largest dorsal-column fibers (um).
LARGE_FIBER_UM = 10.7
#: The ordering rule, as the rows state it.
RESOLVED = f"by more than the {100 * SAMPLING_TOLERANCE:g} % sampling tolerance"

CHECK_IDS = (
    "scs_pt_rises_with_dcsf",
    "scs_pt_lower_for_lateral_lead",
    "scs_lateral_lead_unilateral",
    "scs_longitudinal_configuration_coverage",
    "scs_transverse_tripole_current",
    "scs_transverse_tripole_usable_range",
    "scs_activation_depth",
    "scs_largest_fibers_first",
    "scs_pt_clinical_300us",
    "scs_strength_duration_clinical",
    "scs_paresthesia_t10_midline",
    "scs_paresthesia_t10_lateral",
    "scs_paddle_low_back_bilateral",
)

#: Rows on the percutaneous lead at T9 (the tests compute them on one worker, the rest on
#: the other).
PERCUTANEOUS_T9_ROWS = CHECK_IDS[:4]

#: Rows the model is known to fail today, and why (the tests mark them strict xfail).
EXPECTED_FAILURES: dict[str, str] = {
    "scs_pt_lower_for_lateral_lead":
        "the model's lateral PT is higher (1.96 vs 1.86 mA): 3 mm off the midline the lead "
        "rests on the curved sac over 4.3 mm of CSF against 3.5 mm on the midline, and the "
        "model's PT counts dorsal-column excitation only; clinically the first sensation of "
        "a lateral lead may be segmental (dorsal root), which the model counts in DT (its "
        "usable range falls from 2.19 to 1.62); He 1994's full text, which may say which "
        "sensation was reported, was not read",
    "scs_longitudinal_configuration_coverage":
        "the model's bipole E4-E5+ reaches its discomfort threshold early (PT 1.48, DT "
        "1.94 mA: a T11 root excited at its entry zone under the contact pair), so it "
        "recruits less of the dorsal columns below DT than the monopole (0.65 vs 4.17 %); "
        "Holsheimer & Wesselink's 1997 model had dorsal-root fibres without the long "
        "dorsal-column branches and first-fibre thresholds, which this model replaced",
    "scs_activation_depth":
        "95 % of the real fibres recruited at 1.5 x PT lie above 0.51 mm, not 0.25 mm: the "
        "dorsal-column density and diameter law are taken uniform with depth below the "
        "0.3 mm Feirabend measured (an extrapolation, docs/fibers.md), so many deeper fibres "
        "share in the recruitment; the source's 0.25 mm is the excitable depth of the "
        "largest fibres in its own model, not a population percentile",
    "scs_pt_clinical_300us":
        "the model's PT (1.85 mA) lies below the patients' bracket at 300 us (2.35-6.9 mA): "
        "its rheobase is too low (next row); the nominal anatomy (T8 mean canal, default "
        "dCSF, a midline lead in a 0.3 mm sheath) and the 20-fibre count are not fitted to "
        "any patient, and Yearwood's leads, levels and dCSF are unknown (full text not "
        "read); a count of 60 fibres would raise PT by about 16 %, not enough",
    "scs_strength_duration_clinical":
        "rheobase 0.75 mA (patients 1.3-3.3) and chronaxie 464 us (patients 242-326): the "
        "model's absolute thresholds are low (previous row), and its chronaxie is long, "
        "probably because the symmetric recharge phase cuts short pulses' excitation more "
        "than long ones' (not yet separated from other causes); Yearwood's waveform and "
        "recharge are not stated in the abstract",
}


def _row(check_id: str, **kw: Any) -> ValidationRow:
    return ValidationRow(area="scs", check_id=check_id, role="validation",
                         expected_failure=EXPECTED_FAILURES.get(check_id, ""), **kw)


def _runs(runs: Runs | None) -> Runs:
    return Runs() if runs is None else runs


def _f(v: float, fmt: str = ".2f") -> str:
    return format(float(v), fmt)


# ---------------------------------------------------------------- rows

def pt_rises_with_dcsf(runs: Runs | None = None) -> ValidationRow:
    """PT of the 1x8 guarded cathode at T9 rises with the dorsal CSF thickness."""
    runs = _runs(runs)
    pts = np.array([runs.result("percutaneous", (*T9, f"anatomy.dcsf_mm={d}"),
                                GUARDED_CATHODE).perception_threshold_ma for d in DCSF_MM])
    steps = [above(pts[i + 1], pts[i]) for i in range(len(DCSF_MM) - 1)]
    slope = np.polyfit(DCSF_MM, pts, 1)[0]
    return _row(
        "scs_pt_rises_with_dcsf",
        quantity="perception threshold (mA), 1x8 guarded cathode E3+E4-E5+ at T9, "
                 f"{PULSE_WIDTH_US:g} us, dCSF " + " / ".join(f"{d:g}" for d in DCSF_MM) +
                 " mm",
        source="He, Barolat, Holsheimer & Struijk 1994, Pain 59:55 (abstract: the PT "
               "depends on the vertebral level, 'mainly due to varying depths of the "
               "dorsal CSF layer'; per-level values in the full text [unverified, not "
               "read]); Holsheimer, den Boer, Struijk & Rozeboom 1994, AJNR 15:951 "
               "(abstract: dCSF 2.0-6.0 mm at T11 supine, 4.0-8.5 mm at T5-T6; anatomy, "
               "no thresholds)",
        reference="PT rises with dCSF (a direction; neither abstract gives a slope)",
        model="; ".join(f"{d:g} mm: {_f(p)}" for d, p in zip(DCSF_MM, pts, strict=True))
              + f" mA; slope {slope:.2f} mA/mm",
        tolerance=f"each step up in dCSF raises the PT {RESOLVED}; 2.5-4.5 mm (the T9 model "
                  "accepts up to 5.2 mm: above, the lead in its sheath no longer fits)",
        passed=all(steps))


def pt_lower_for_lateral_lead(runs: Runs | None = None) -> ValidationRow:
    """A lead 3 mm off the midline at T9 has a lower PT than a midline lead."""
    runs = _runs(runs)
    base = (*T9, "anatomy.dcsf_mm=3.5")
    mid = runs.result("percutaneous", base, GUARDED_CATHODE).perception_threshold_ma
    lat = runs.result("percutaneous", (*base, f"placement.offset_x_mm={LATERAL_OFFSET_MM}"),
                      GUARDED_CATHODE).perception_threshold_ma
    return _row(
        "scs_pt_lower_for_lateral_lead",
        quantity=f"perception threshold (mA), 1x8 guarded cathode at T9 (dCSF 3.5 mm): "
                 f"midline vs {LATERAL_OFFSET_MM:g} mm lateral",
        source="He, Barolat, Holsheimer & Struijk 1994, Pain 59:55 (abstract: 'medially "
               "placed electrodes caudal to the mid-cervical levels have a higher "
               "perception threshold than more laterally placed ones'; 136 patients)",
        reference="PT midline > PT lateral (a direction)",
        model=f"midline {_f(mid)} mA, lateral {_f(lat)} mA",
        tolerance=f"midline above lateral {RESOLVED}",
        passed=above(mid, lat))


def lateral_lead_unilateral(runs: Runs | None = None) -> ValidationRow:
    """A lateral lead's paresthesia is one-sided and segmental (roots recruited earlier)."""
    runs = _runs(runs)
    base = (*T9, "anatomy.dcsf_mm=3.5")
    mid = runs.result("percutaneous", base, GUARDED_CATHODE)
    lat = runs.result("percutaneous", (*base, f"placement.offset_x_mm={LATERAL_OFFSET_MM}"),
                      GUARDED_CATHODE)
    aff = lat.afferents
    fire = np.nan_to_num(aff.threshold_ma, nan=np.inf) <= PT_MULTIPLE * first_threshold_ma(lat)
    left = np.asarray(lat.fibers.side)[aff.row] == "left"
    share = float(aff.weight_fibers[fire & left].sum() / aff.weight_fibers[fire].sum())
    ur_mid, ur_lat = mid.usable_range, lat.usable_range
    return _row(
        "scs_lateral_lead_unilateral",
        quantity=f"1x8 guarded cathode at T9 (dCSF 3.5 mm), {LATERAL_OFFSET_MM:g} mm to the "
                 f"left: share of the real fibers recruited at {PT_MULTIPLE:g} x the first "
                 "threshold on the lead's side; usable range DT/PT, lateral vs midline",
        source="Holsheimer & Wesselink 1997, Neurosurgery 41:654 (abstract; computer "
               "model at T8-T9: 'an electrode placed laterally ... results in unilateral, "
               "usually segmentary, paresthesia')",
        reference="unilateral (all on the lead's side) and segmentary (dorsal roots "
                  "recruited relatively earlier: a smaller usable range)",
        model=f"lead side {100 * share:.0f} %; usable range lateral {_f(ur_lat)} vs "
              f"midline {_f(ur_mid)}",
        tolerance=">= 90 % of the recruited fibers on the lead's side, and the lateral "
                  f"usable range below the midline one {RESOLVED}",
        passed=bool(share >= 0.9 and above(ur_mid, ur_lat)))


def longitudinal_configuration_coverage(runs: Runs | None = None) -> ValidationRow:
    """Tripole and bipole on one midline lead recruit more of the DC than a monopole."""
    runs = _runs(runs)
    base = (*T9, "anatomy.dcsf_mm=3.5")
    frac = {}
    for name, c in (("tripole", GUARDED_CATHODE), ("bipole", PERC_BIPOLE),
                    ("monopole", PERC_MONOPOLE)):
        r = runs.result("percutaneous", base, c)
        frac[name] = r.at(below_dt_ma(r)).dc_recruited_fraction
    return _row(
        "scs_longitudinal_configuration_coverage",
        quantity="share of the real dorsal-column fibers (%) recruited just below the "
                 "discomfort threshold, 1x8 at T9 (dCSF 3.5 mm): guarded cathode E3+E4-E5+, "
                 "bipole E4-E5+, monopole E4-",
        source="Holsheimer & Wesselink 1997, Neurosurgery 41:654 (abstract; computer "
               "model at T8-T9: 'tripolar (or bipolar) stimulation by a single electrode, "
               "symmetrically placed over the dorsal columns, recruits the largest area and "
               "will give the widest paresthesia coverage')",
        reference="tripole and bipole > monopole (tripole vs bipole not ordered)",
        model=", ".join(f"{k} {100 * v:.2f} %" for k, v in frac.items()),
        tolerance=f"tripole and bipole each above the monopole {RESOLVED}",
        passed=above(frac["tripole"], frac["monopole"])
        and above(frac["bipole"], frac["monopole"]))


def _paddle(runs: Runs) -> dict[str, Any]:
    return {name: runs.result("paddle", (), c) for name, c in (
        ("transverse tripole", TRANSVERSE_TRIPOLE), ("bipole", PADDLE_BIPOLE),
        ("monopole", PADDLE_MONOPOLE))}


def transverse_tripole_current(runs: Runs | None = None) -> ValidationRow:
    """The transverse tripole needs more than twice the current of mono- and bipoles."""
    res = _paddle(_runs(runs))
    pt = {k: r.perception_threshold_ma for k, r in res.items()}
    ratio = {k: pt["transverse tripole"] / pt[k] for k in ("monopole", "bipole")}
    return _row(
        "scs_transverse_tripole_current",
        quantity="perception threshold of the transverse tripole over that of the "
                 "longitudinal bipole and of the monopole on the same cathode, 5-6-5 paddle "
                 "at T9 (dCSF 3 mm)",
        source="Struijk, Holsheimer, Spincemaille, Gielen & Hoekema 1998, IEEE Trans "
               "Rehabil Eng 6:277 (abstract: model and 2 patients at C4-C5, a new electrode "
               "with transversely oriented contact combinations: the transverse tripole "
               "gives higher selectivity than monopolar and longitudinal dipolar "
               "combinations 'at the cost of an "
               "increased current (more than twice)'; which current (perception or usage) "
               "[unverified, full text not read])",
        reference="> 2 vs monopole and vs longitudinal bipole",
        model=f"vs monopole {_f(ratio['monopole'])}, vs bipole {_f(ratio['bipole'])} "
              f"(PT tripole {_f(pt['transverse tripole'])}, monopole "
              f"{_f(pt['monopole'])}, bipole {_f(pt['bipole'])} mA)",
        tolerance="> 2 ('more than twice'; no upper bound stated)",
        passed=bool(ratio["monopole"] > 2 and ratio["bipole"] > 2))


def transverse_tripole_usable_range(runs: Runs | None = None) -> ValidationRow:
    """The transverse tripole is more selective (usable range) than mono- and bipole."""
    res = _paddle(_runs(runs))
    ur = {k: r.usable_range for k, r in res.items()}
    return _row(
        "scs_transverse_tripole_usable_range",
        quantity="usable range DT/PT of the transverse tripole vs the longitudinal bipole "
                 "and the monopole on the same cathode, 5-6-5 paddle at T9 (dCSF 3 mm)",
        source="Struijk et al. 1998, IEEE Trans Rehabil Eng 6:277 (abstract: 'higher "
               "selectivity of paresthesia than monopolar and longitudinal dipolar "
               "combinations'; selectivity read as the DR/DC threshold ratio, Holsheimer's "
               "usage range [unverified, full text not read])",
        reference="usable range: transverse tripole > monopole and > longitudinal bipole",
        model=", ".join(f"{k} {_f(v)}" for k, v in ur.items()),
        tolerance=f"tripole above each {RESOLVED}",
        passed=above(ur["transverse tripole"], ur["monopole"])
        and above(ur["transverse tripole"], ur["bipole"]))


def _t8(runs: Runs, pulse_width_us: float = PULSE_WIDTH_US) -> Any:
    """The bundled 1x8 guarded cathode at T8 (the README example's program)."""
    return runs.result("percutaneous", (), GUARDED_CATHODE, pulse_width_us=pulse_width_us)


def activation_depth(runs: Runs | None = None) -> ValidationRow:
    """Depth reached by the dorsal-column fibers recruited at 1.5 x PT (T8)."""
    r = _t8(_runs(runs))
    rec, w = dc_recruited(r, PT_MULTIPLE * r.perception_threshold_ma)
    depth = np.asarray(r.fibers.depth_mm)[r.afferents.row]
    deep95 = weighted_quantile(depth[rec], w[rec], 0.95)
    deepest = float(depth[rec].max())
    limit = 0.30
    return _row(
        "scs_activation_depth",
        quantity=f"depth (mm) above which 95 % of the real dorsal-column fibers recruited at "
                 f"{PT_MULTIPLE:g} x PT lie, 1x8 guarded cathode at T8 (default dCSF), "
                 f"{PULSE_WIDTH_US:g} us",
        source="Feirabend, Choufoer, Ploeger, Holsheimer & van Gool 2002, Brain 125:1137 "
               "(abstract: 'the largest A-beta fibres can be activated up to a maximum depth "
               "of about 0.25 mm in the DCs')",
        reference="about 0.25 mm (maximum)",
        model=f"{deep95:.2f} mm ({w[rec].sum():.0f} real fibers, {int(rec.sum())} sampled; "
              f"deepest sampled {deepest:.2f} mm)",
        tolerance=f"<= {limit:.2f} mm ('about' read as the next 0.05 mm step; no uncertainty "
                  "stated; the 95 % depth, as the deepest sampled fiber moves with sampling)",
        passed=deep95 <= limit)


def largest_fibers_first(runs: Runs | None = None) -> ValidationRow:
    """Most dorsal-column fibers recruited at 1.5 x PT are of the largest class."""
    r = _t8(_runs(runs))
    rec, w = dc_recruited(r, PT_MULTIPLE * r.perception_threshold_ma)
    diam = np.asarray(r.fibers.diameter_um)[r.afferents.row]
    dc = r.afferents.kind == "dc"
    share = 100 * float(w[rec & (diam > LARGE_FIBER_UM)].sum() / w[rec].sum())
    population = 100 * float(w[dc & (diam > LARGE_FIBER_UM)].sum() / w[dc].sum())
    return _row(
        "scs_largest_fibers_first",
        quantity=f"share (%) of the real dorsal-column fibers recruited at {PT_MULTIPLE:g} x "
                 f"PT that are larger than {LARGE_FIBER_UM:g} um (1x8 guarded cathode at T8)",
        source="Feirabend et al. 2002, Brain 125:1137 (abstract: fibres larger than 10.7 um "
               "are 0.5 % of the superficial DC at T10-T11, and the effect of SCS is "
               "'primarily attributed to activation of these largest fibres')",
        reference=f"recruited fibers primarily > {LARGE_FIBER_UM:g} um",
        model=f"{share:.0f} % of {w[rec].sum():.0f} real fibers ({int(rec.sum())} sampled); "
              f"{population:.1f} % of the modelled DC fibers (5.7-16 um) are that large",
        tolerance="> 50 % ('primarily')",
        passed=share > 50.0)


#: Yearwood et al. 2010's brackets: rheobase (mA) and chronaxie (us) of the perception
#: threshold (median and bracket, abstract).
YEARWOOD_RHEOBASE_MA = (2.5, 1.3, 3.3)
YEARWOOD_CHRONAXIE_US = (295.0, 242.0, 326.0)
YEARWOOD_SOURCE = ("Yearwood, Hershey, Bradley & Lee 2010, Pain Physician 13:321 (abstract: 19 "
                   "patients with implanted SCS > 3 months for low back and/or leg pain, pulse "
                   "widths 50-1000 us; lead type, level and whether the brackets are "
                   "quartiles or a range [unverified, full text not read])")


def pt_clinical_300us(runs: Runs | None = None) -> ValidationRow:
    """PT of the 1x8 guarded cathode at 300 us vs the patients' PT at 300 us."""
    r = _t8(_runs(runs))
    pt = r.perception_threshold_ma
    (rh, rh_lo, rh_hi), (ch, ch_lo, ch_hi) = YEARWOOD_RHEOBASE_MA, YEARWOOD_CHRONAXIE_US
    pw = 300.0
    lo, mid, hi = (rh_lo * (1 + ch_lo / pw), rh * (1 + ch / pw), rh_hi * (1 + ch_hi / pw))
    return _row(
        "scs_pt_clinical_300us",
        quantity="perception threshold (mA) at 300 us, 1x8 guarded cathode E3+E4-E5+ at T8 "
                 "(default dCSF), charge-balanced biphasic",
        source=YEARWOOD_SOURCE + "; the PT at 300 us follows from the reported rheobase and "
               "chronaxie by the Weiss law the paper fits, I = Irh (1 + c / PW). For context "
               "(not asserted): Abejon, Rueda & Vallejo 2016, Neuromodulation 19:276, mean "
               "PT 7.25 mA at 300 us, 40 Hz in 46 patients (as quoted from a congress "
               "abstract; no spread given [unverified])",
        reference=f"{mid:.2f} mA ({lo:.2f}-{hi:.2f}: the rheobase and chronaxie brackets "
                  "combined)",
        model=f"{pt:.2f} mA ({r.fiber_counts()['perception']['sampled_fibers_firing']} "
              "sampled DC fibers at PT)",
        tolerance="inside the bracket (the model is one nominal patient)",
        passed=bool(lo <= pt <= hi))


def strength_duration_clinical(runs: Runs | None = None) -> ValidationRow:
    """Rheobase and chronaxie of the PT (Weiss fit) vs a clinical series."""
    runs = _runs(runs)
    pw = np.array(STRENGTH_DURATION_PW_US)
    pt = np.array([_t8(runs, p).perception_threshold_ma for p in pw])
    # Weiss: I = Irh (1 + c / PW)  <=>  charge I*PW = Irh*PW + Irh*c (linear in PW)
    slope, intercept = np.polyfit(pw, pt * pw, 1)
    rheobase, chronaxie = float(slope), float(intercept / slope)
    (rh, rh_lo, rh_hi), (ch, ch_lo, ch_hi) = YEARWOOD_RHEOBASE_MA, YEARWOOD_CHRONAXIE_US
    return _row(
        "scs_strength_duration_clinical",
        quantity="rheobase (mA) and chronaxie (us) of the perception threshold, Weiss fit "
                 "to the PT at " + "/".join(f"{p:g}" for p in pw) + " us (1x8 guarded "
                 "cathode at T8, default dCSF, charge-balanced biphasic)",
        source=YEARWOOD_SOURCE,
        reference=f"rheobase {rh:g} ({rh_lo:g}-{rh_hi:g}) mA; chronaxie {ch:g} "
                  f"({ch_lo:g}-{ch_hi:g}) us",
        model=f"rheobase {rheobase:.2f} mA, chronaxie {chronaxie:.0f} us (PT "
              + " / ".join(f"{x:.2f}" for x in pt) + " mA)",
        tolerance="both inside the reported brackets (the model is one nominal patient)",
        passed=bool(rh_lo <= rheobase <= rh_hi and ch_lo <= chronaxie <= ch_hi))


#: Body-map regions (without side) of the lower limb and of the trunk.
LOWER_LIMB = {"thigh": ("thigh_anterior", "thigh_posterior"),
              "leg": ("leg_anterior", "leg_posterior"), "foot": ("foot",)}
TRUNK = ("low_back", "flank", "abdomen_lower", "groin", "thoracic_back")
T10 = ("anatomy.level=T10", "placement.level=T10", "anatomy.dcsf_mm=3.0")
T10_SOURCE = ("'Analysis of parameters for epidural spinal cord stimulation', Stereotact Funct "
              "Neurosurg 61:146 (abstract: 266 contact combinations at mid-cervical and "
              "low-thoracic levels, significant paresthesia spread by level and mediolateral "
              "position; authors, year (1993) and figures [unverified, only the abstract "
              "read])")


def _regions(r: Any) -> set[str]:
    """Body regions (side dropped) felt at 1.5 x the first threshold (percept model)."""
    from neuraxis.perception.painmap import paresthesia_by_region

    amp = PT_MULTIPLE * first_threshold_ma(r)
    return {name.removesuffix("_left").removesuffix("_right")
            for name in paresthesia_by_region(r.at(amp).paresthesia)}


def _describe(found: set[str], wanted: Sequence[str], regions: set[str]) -> str:
    """Wanted regions found, and the trunk regions."""
    out = ", ".join(w for w in wanted if w in found) or "none"
    trunk = sorted(regions & (set(TRUNK) - set(wanted)))
    return out + (f" (trunk: {', '.join(trunk)})" if trunk else "")


def paresthesia_t10_midline(runs: Runs | None = None) -> ValidationRow:
    """A midline unipolar lead at T10 gives paresthesia in the thigh, leg and foot."""
    regions = _regions(_runs(runs).result("percutaneous", T10, PERC_MONOPOLE))
    found = {k for k, v in LOWER_LIMB.items() if regions & set(v)}
    return _row(
        "scs_paresthesia_t10_midline",
        quantity=f"body regions with paresthesia at {PT_MULTIPLE:g} x the first threshold "
                 "(DC or DR), 1x8 monopole E4- on the midline at T10 (dCSF 3 mm)",
        source=T10_SOURCE + ": 'T10 - midline, unipolar combinations: the anterior and "
                            "posterior of thigh, leg, knee, ankle and foot'",
        reference="thigh, leg and foot",
        model=_describe(found, tuple(LOWER_LIMB), regions),
        tolerance="paresthesia in each of thigh, leg and foot (either side)",
        passed=found == set(LOWER_LIMB))


def paresthesia_t10_lateral(runs: Runs | None = None) -> ValidationRow:
    """A lateral unipolar lead at T10 gives paresthesia in the abdomen and the front of
    the thigh and leg."""
    wanted = ("abdomen_lower", "thigh_anterior", "leg_anterior")
    regions = _regions(_runs(runs).result(
        "percutaneous", (*T10, f"placement.offset_x_mm={LATERAL_OFFSET_MM}"), PERC_MONOPOLE))
    found = regions & set(wanted)
    return _row(
        "scs_paresthesia_t10_lateral",
        quantity=f"body regions with paresthesia at {PT_MULTIPLE:g} x the first threshold "
                 f"(DC or DR), 1x8 monopole E4- {LATERAL_OFFSET_MM:g} mm left of the midline "
                 "at T10 (dCSF 3 mm)",
        source=T10_SOURCE + ": 'T10 - lateral, unipolar combinations: the abdomen, anterior "
                            "leg, knee and anterior thigh'",
        reference="abdomen, anterior thigh and anterior leg",
        model=_describe(found, wanted, regions),
        tolerance="paresthesia in each of the three regions",
        passed=found == set(wanted))


def paddle_low_back_bilateral(runs: Runs | None = None) -> ValidationRow:
    """The 5-6-5 paddle's transverse tripole gives bilateral low-back paresthesia."""
    r = _paddle(_runs(runs))["transverse tripole"]
    amp = below_dt_ma(r)
    here = r.at(amp)
    lumbar = [f"L{i}" for i in range(1, 6)]
    both = all(any(here.paresthesia.get(f"{seg}_{side}", 0) > 0 for seg in lumbar)
               for side in ("left", "right"))
    cover = float(here.pain_coverage_pct)
    return _row(
        "scs_paddle_low_back_bilateral",
        quantity="paresthesia in the lumbar dermatomes L1-L5, left and right, just below "
                 "the discomfort threshold: transverse tripole on the 5-6-5 paddle at T9",
        source="Rigoard et al., Neurosurgery (pilot study: 11 patients with failed back "
               "surgery syndrome, Specify 5-6-5 paddle at the lower thoracic spine; bilateral "
               "lumbar paresthesia with at least one of 43 configurations in 9 of 11), as "
               "summarised by Spinal News International; the paper, its year (2012) and "
               "pages [unverified, not read]",
        reference="bilateral lumbar paresthesia is reachable with a 5-6-5 paddle",
        model=f"bilateral: {'yes' if both else 'no'}; pain-map coverage {cover:.0f} %",
        tolerance="lumbar paresthesia felt on both sides",
        passed=both)


ROW_FUNCTIONS: dict[str, Callable[[Runs | None], ValidationRow]] = {
    "scs_pt_rises_with_dcsf": pt_rises_with_dcsf,
    "scs_pt_lower_for_lateral_lead": pt_lower_for_lateral_lead,
    "scs_lateral_lead_unilateral": lateral_lead_unilateral,
    "scs_longitudinal_configuration_coverage": longitudinal_configuration_coverage,
    "scs_transverse_tripole_current": transverse_tripole_current,
    "scs_transverse_tripole_usable_range": transverse_tripole_usable_range,
    "scs_activation_depth": activation_depth,
    "scs_largest_fibers_first": largest_fibers_first,
    "scs_pt_clinical_300us": pt_clinical_300us,
    "scs_strength_duration_clinical": strength_duration_clinical,
    "scs_paresthesia_t10_midline": paresthesia_t10_midline,
    "scs_paresthesia_t10_lateral": paresthesia_t10_lateral,
    "scs_paddle_low_back_bilateral": paddle_low_back_bilateral,
}


def rows(runs: Runs | None = None) -> list[ValidationRow]:
    """Every SCS row, in table order, from one memo of runs.

    Parameters
    ----------
    runs : Runs, optional
        Memo to use (and fill); a new one by default. Every row function takes the same
        optional argument.

    Returns
    -------
    list of ValidationRow
        About 5 minutes on 2 cores with an empty field-basis cache.
    """
    runs = _runs(runs)
    return [ROW_FUNCTIONS[cid](runs) for cid in CHECK_IDS]
