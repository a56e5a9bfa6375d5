"""Somatotopy: which dermatome each fiber carries.

Dorsal-column fibers (Smith & Deacon 1984, Brain 107:671; REFERENCE 2.4): the
gracile fasciculus is laminated by segment, with overlap. The laminae run parallel
to the medial border of the dorsal horn and each newly entering (more rostral) root
is added laterally, so at the lead's level the most caudal (sacral) dermatomes lie
next to the midline and the segment entering at the lead lies laterally, by the
dorsal root entry zone. Here a fiber's lamina coordinate is its distance from the
midline over the distance from the midline to the dorsal horn's medial border at
the fiber's depth (``u`` in [0, 1]); the dermatomes from S5 (medial) up to the
segment under the lead (lateral) get equal bands of ``u`` (an assumption: the
source gives the order and the overlap, not the widths), and the overlap is a
Gaussian jitter of ``u`` of ``overlap`` band widths (seeded). Straight
dorsal-column fibers are assigned the lamination at the lead's segment over their
whole length (fibers entering inside the modelled length are not tracked).

Dorsal-root fibers carry their own segment's dermatome on their side.

Names are ``<segment>_<side>``, e.g. ``L5_left`` (the patient's left, x > 0).
"""

from __future__ import annotations

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range
from neuraxis.anatomy.levels import DERMATOMES

#: Spinal segments in rostro-caudal order (dermatome names).
SEGMENTS = DERMATOMES


def caudal_segments(segment: str) -> tuple[str, ...]:
    """The segments from ``segment`` down to S5, rostral first."""
    segment = check_option("segment", segment, SEGMENTS)
    return SEGMENTS[SEGMENTS.index(segment):]


def dorsal_horn_border_mm(anatomy, y_mm: np.ndarray) -> np.ndarray:
    """Half-width (mm) of the dorsal funiculus at heights ``y_mm``: the distance from
    the midline to the dorsal horn's medial border, or to the cord surface above the
    dorsal horns' tips."""
    cord = anatomy.cord_ellipse
    poly = np.asarray(anatomy.grey_matter_outline_mm(96), dtype=float)
    y = np.atleast_1d(np.asarray(y_mm, dtype=float))
    rel = np.clip((y - cord.center_y_mm) / cord.semi_y_mm, -1.0, 1.0)
    half = cord.semi_x_mm * np.sqrt(1.0 - rel ** 2)  # cord surface
    a, b = poly, np.roll(poly, -1, axis=0)
    for i, yy in enumerate(y):
        cross = (a[:, 1] - yy) * (b[:, 1] - yy) <= 0
        cross &= a[:, 1] != b[:, 1]
        if not np.any(cross):
            continue
        t = (yy - a[cross, 1]) / (b[cross, 1] - a[cross, 1])
        xs = np.abs(a[cross, 0] + t * (b[cross, 0] - a[cross, 0]) - cord.center_x_mm)
        half[i] = min(half[i], float(xs.min()))
    return half


def dc_dermatomes(anatomy, x_mm: np.ndarray, y_mm: np.ndarray, local_segment: str, *,
                  overlap: float = 0.5, seed: int = 0) -> np.ndarray:
    """Dermatome (``<segment>_<side>``) of dorsal-column fibers at (x, y).

    Parameters
    ----------
    anatomy : SpineAnatomy
    x_mm, y_mm : ndarray
        Fiber positions in the cross-section (mm).
    local_segment : str
        Cord segment under the lead (the most rostral dermatome in the columns).
    overlap : float
        Standard deviation of the lamina jitter in band widths (0: sharp bands).
    seed : int
    """
    overlap = float(check_range("overlap", overlap, 0.0, 5.0, "band widths"))
    bands = caudal_segments(local_segment)[::-1]  # medial (S5) ... lateral (local)
    x = np.asarray(x_mm, dtype=float)
    y = np.asarray(y_mm, dtype=float)
    if x.shape != y.shape:
        raise NeuraxisInputError("Invalid fibers: x_mm and y_mm differ in length")
    half = dorsal_horn_border_mm(anatomy, y)
    u = np.abs(x - anatomy.cord_ellipse.center_x_mm) / half
    rng = np.random.default_rng(seed)
    u = u + rng.normal(0.0, overlap / len(bands), size=u.shape)
    idx = np.clip((u * len(bands)).astype(int), 0, len(bands) - 1)
    side = np.where(x - anatomy.cord_ellipse.center_x_mm > 0, "left", "right")
    return np.array([f"{bands[i]}_{s}" for i, s in zip(idx, side, strict=True)])


def fiber_dermatomes(anatomy, fibers, local_segment: str, *, overlap: float = 0.5,
                     seed: int = 0) -> np.ndarray:
    """Dermatome of every fiber of a FiberSet (DC by lamination, DR by own segment,
    dorsolateral-column fibers none: ``''``)."""
    out = np.empty(len(fibers), dtype=object)
    dc = np.asarray(fibers.kind) == "dc"
    if np.any(dc):
        out[dc] = dc_dermatomes(anatomy, np.asarray(fibers.x_mm)[dc],
                                np.asarray(fibers.y_mm)[dc], local_segment, overlap=overlap,
                                seed=seed)
    for i in np.flatnonzero(np.asarray(fibers.kind) == "dr"):
        out[i] = f"{check_option('segment', str(fibers.segment[i]), SEGMENTS)}_{fibers.side[i]}"
    out[np.asarray(fibers.kind) == "dlc"] = ""  # the spinocerebellar tract: no dermatome
    return out.astype(str)
