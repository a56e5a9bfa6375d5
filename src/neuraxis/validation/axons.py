"""Validation rows of the axon models against published observations.

Sources and tolerances are stated in each row; the tests in
``tests/validation/test_mrg_published.py`` assert them.
"""

from __future__ import annotations

import numpy as np

from neuraxis.validation import ValidationRow

#: Chronaxie range of large myelinated axons under extracellular stimulation (us).
CHRONAXIE_RANGE_US = (30.0, 200.0)
#: Conduction velocity per fiber diameter accepted for MRG ((m/s)/um).
CV_PER_DIAMETER_RANGE = (4.2, 6.0)
CHECK_IDS = ("mrg_threshold_vs_diameter", "mrg_chronaxie", "mrg_cv_per_diameter")


def threshold_vs_diameter() -> ValidationRow:
    """Larger MRG fibers have lower point-source thresholds (1 mm, 100 us, 0.2 S/m)."""
    from neuraxis.axons import find_thresholds
    from neuraxis.axons.models.mrg import DISCRETE_DIAMETERS_UM

    d = np.array(DISCRETE_DIAMETERS_UM)
    thr = find_thresholds(d, 1.0, 0.0, 100.0, 0.2, dt_us=5.0, rel_tol=0.002).threshold_ma
    return ValidationRow(
        area="axons", check_id=CHECK_IDS[0],
        quantity="threshold (mA) of the nine MRG diameters, point source 1 mm, 100 us",
        source="McIntyre, Richardson & Grill 2002, J Neurophysiol 87:995 "
               "(doi:10.1152/jn.00353.2001); a general property of myelinated fibers",
        reference="falls monotonically with diameter",
        model=f"{thr[0]:.3g} mA at {d[0]:g} um ... {thr[-1]:.3g} mA at {d[-1]:g} um",
        tolerance="strictly decreasing", passed=bool(np.all(np.diff(thr) < 0)))


def chronaxie() -> ValidationRow:
    """Chronaxie of a 10 um MRG fiber (rheobase: 2 ms pulse; log-log interpolation)."""
    from neuraxis.axons import find_thresholds

    pw = np.array([20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0])
    thr = find_thresholds(10.0, 1.0, 0.0, pw, 0.2, dt_us=5.0, rel_tol=0.002).threshold_ma
    chron = float(np.exp(np.interp(np.log(2 * thr[-1]), np.log(thr[::-1]), np.log(pw[::-1]))))
    lo, hi = CHRONAXIE_RANGE_US
    return ValidationRow(
        area="axons", check_id=CHECK_IDS[1],
        quantity="chronaxie (us), 10 um MRG fiber, point source 1 mm",
        source="Ranck 1975, Brain Res 98:417 (review; range as commonly quoted, "
               "[unverified] against the primary text)",
        reference=f"{lo:g}-{hi:g} us for myelinated axons", model=f"{chron:.0f} us",
        tolerance="inside the reviewed range; thresholds fall with pulse width",
        passed=bool(lo <= chron <= hi and np.all(np.diff(thr) < 0)))


def cv_per_diameter() -> ValidationRow:
    """Conduction velocity over diameter of 5.7, 10 and 16 um MRG fibers."""
    from neuraxis.axons import conduction_velocity

    d = np.array([5.7, 10.0, 16.0])
    ratio = np.array([conduction_velocity(x, dt_us=1.0) for x in d]) / d
    lo, hi = CV_PER_DIAMETER_RANGE
    return ValidationRow(
        area="axons", check_id=CHECK_IDS[2],
        quantity="conduction velocity / diameter ((m/s)/um) at 5.7, 10, 16 um",
        source="McIntyre et al. 2002 Fig. 2 (about 4.6 small to 5.7 large); Hursh 1939 "
               "(about 6)",
        reference="4.6-5.7, rising with diameter",
        model=", ".join(f"{r:.2f}" for r in ratio),
        tolerance=f"{lo:g}-{hi:g} and rising (reading of a published figure)",
        passed=bool(np.all((ratio > lo) & (ratio < hi)) and ratio[-1] > ratio[0]))


def rows() -> list[ValidationRow]:
    """Every axon row, in table order."""
    return [threshold_vs_diameter(), chronaxie(), cv_per_diameter()]
