"""MRG double-cable myelinated axon model: parameters as data.

Source
------
McIntyre CC, Richardson AG, Grill WM (2002). Modeling the excitability of
mammalian nerve fibers: influence of afterpotentials on the recovery cycle.
J Neurophysiol 87:995-1006. doi:10.1152/jn.00353.2001. Model code: ModelDB 3810
(``MRGaxon.hoc`` geometry and passive parameters, ``AXNODE.mod`` node channels).
The numbers below were taken from the paper's tables and the ModelDB files as
facts; the implementation is neuraxis's own.

Interpolated geometry (any diameter in 2-16 um): quadratic fits of the discrete
table used by ASCENT (Musselman et al. 2021, doi:10.1371/journal.pcbi.1009285,
``config/system/fiber_z.json``) and PyFibers (Marshall et al. 2025,
doi:10.1371/journal.pcbi.1013764, ``MRG_INTERPOLATION``).

Compartments (one per NEURON section, nseg = 1), repeating per internode:
node - MYSA - FLUT - 6 x STIN - FLUT - MYSA, so N nodes -> 11 (N - 1) + 1
compartments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuraxis._validate import NeuraxisInputError, check_option, check_range

DOI = "10.1152/jn.00353.2001"
MODELDB = "ModelDB 3810 (MRGaxon.hoc, AXNODE.mod)"

#: The nine published discrete diameters (um) and their geometry (MRGaxon.hoc).
#: columns: fiber_d, axon_d (= FLUT/STIN diameter), node_d (= MYSA diameter),
#: node-to-node spacing deltax, FLUT length, number of myelin lamellae.
DISCRETE_TABLE_UM = np.array(
    [
        # fiberD axonD nodeD deltax  flut  nl
        [5.7, 3.4, 1.9, 500.0, 35.0, 80],
        [7.3, 4.6, 2.4, 750.0, 38.0, 100],
        [8.7, 5.8, 2.8, 1000.0, 40.0, 110],
        [10.0, 6.9, 3.3, 1150.0, 46.0, 120],
        [11.5, 8.1, 3.7, 1250.0, 50.0, 130],
        [12.8, 9.2, 4.2, 1350.0, 54.0, 135],
        [14.0, 10.4, 4.7, 1400.0, 56.0, 140],
        [15.0, 11.5, 5.0, 1450.0, 58.0, 145],
        [16.0, 12.7, 5.5, 1500.0, 60.0, 150],
    ]
)
DISCRETE_DIAMETERS_UM = tuple(float(d) for d in DISCRETE_TABLE_UM[:, 0])

# Fixed geometry (MRGaxon.hoc)
NODE_LENGTH_UM = 1.0
MYSA_LENGTH_UM = 3.0
SPACE_NODE_MYSA_UM = 0.002  # periaxonal space at node and MYSA
SPACE_FLUT_STIN_UM = 0.004  # periaxonal space at FLUT and STIN
N_STIN = 6

# Passive electrical parameters (MRGaxon.hoc)
RHOA_OHM_CM = 70.0  # axoplasmic (and periaxonal) resistivity
CM_UF_PER_CM2 = 2.0  # axolemma capacitance
MYELIN_CM_UF_PER_CM2 = 0.1  # per lamella membrane
MYELIN_G_S_PER_CM2 = 0.001  # per lamella membrane
G_PAS_MYSA_S_PER_CM2 = 0.001
G_PAS_FLUT_S_PER_CM2 = 0.0001
G_PAS_STIN_S_PER_CM2 = 0.0001
E_PAS_MV = -80.0  # Pelot 2014 correction recorded in the ModelDB 3810 README
V_REST_MV = -80.0
NODE_XG_S_PER_CM2 = 1e10  # node periaxonal layer shorted to the outside (MRGaxon.hoc)

#: AXNODE.mod channel parameters (conductances S/cm2, reversal potentials mV).
AXNODE = {
    "g_naf_s_per_cm2": 3.0,
    "g_nap_s_per_cm2": 0.01,
    "g_ks_s_per_cm2": 0.08,
    "g_l_s_per_cm2": 0.007,
    "e_na_mv": 50.0,
    "e_k_mv": -90.0,
    "e_l_mv": -90.0,
    "temperature_c": 37.0,
}

#: AXNODE.mod rate constants. Each rate is A * u / (1 - exp(-u / C)) with
#: u = sign * (V + B) ("vtrap" form) or a sigmoid A / (1 + exp((V + B) / C)).
AXNODE_RATES = {
    "am": (1.86, 21.4, 10.3),  # alpha_m: A, B, C, u = +(V+B)
    "bm": (0.086, 25.7, 9.16),  # beta_m: u = -(V+B)
    "ap": (0.01, 27.0, 10.2),  # alpha_p: u = +(V+B)
    "bp": (0.00025, 34.0, 10.0),  # beta_p: u = -(V+B)
    "ah": (0.062, 114.0, 11.0),  # alpha_h: u = -(V+B)
    "bh": (2.3, 31.8, 13.4),  # beta_h = A / (1 + exp(-(V+B)/C))
    "as": (0.3, 53.0, -5.0),  # alpha_s = A / (1 + exp((V+B)/C))
    "bs": (0.03, 90.0, -1.0),  # beta_s = A / (1 + exp((V+B)/C))
}
#: Q10 factors (multiply alpha and beta): base and reference temperature.
AXNODE_Q10 = {"m": (2.2, 20.0), "p": (2.2, 20.0), "h": (2.9, 20.0), "s": (3.0, 36.0)}

#: Quadratic fits for the interpolated geometry, D in um (ASCENT/PyFibers).
INTERP = {
    "flut_length_um": (-0.1652, 6.354, -0.2862),
    "deltax_um_large": (-8.215, 272.4, -780.2),  # D >= 5.643 um
    "deltax_um_small": (0.0, 81.08, 37.84),  # D < 5.643 um
    "n_lamellae": (-0.4749, 16.85, -0.7648),
    "node_d_um": (0.01093, 0.1008, 1.099),
    "axon_d_um": (0.02361, 0.3673, 0.7122),
}
INTERP_RANGE_UM = (2.0, 16.0)
DELTAX_BRANCH_UM = 5.643


@dataclass(frozen=True)
class MRGGeometry:
    """Geometry of one MRG fiber (all lengths and diameters in um)."""

    fiber_diameter_um: float
    axon_diameter_um: float
    node_diameter_um: float
    node_spacing_um: float
    flut_length_um: float
    n_lamellae: float
    source: str  # 'discrete' or 'interpolated'

    @property
    def stin_length_um(self) -> float:
        """Length of each of the six STIN segments (um)."""
        return (self.node_spacing_um - NODE_LENGTH_UM - 2 * MYSA_LENGTH_UM
                - 2 * self.flut_length_um) / N_STIN


def _quad(coef: tuple[float, float, float], d: float) -> float:
    a, b, c = coef
    return a * d * d + b * d + c


def mrg_geometry(diameter_um: float, geometry: str = "auto") -> MRGGeometry:
    """Geometry of an MRG fiber.

    Parameters
    ----------
    diameter_um : float
        Fiber (outer myelin) diameter in um.
    geometry : {'auto', 'discrete', 'interpolated'}
        'discrete' uses the nine published diameters (5.7-16 um) only;
        'interpolated' the quadratic fits (2-16 um); 'auto' the discrete row
        when the diameter is one of the nine, else the fits.

    Returns
    -------
    MRGGeometry
    """
    check_option("geometry", geometry, ("auto", "discrete", "interpolated"))
    d = float(diameter_um)
    idx = np.flatnonzero(np.isclose(DISCRETE_TABLE_UM[:, 0], d, rtol=0, atol=1e-9))
    if geometry == "discrete" and idx.size == 0:
        allowed = ", ".join(f"{x:g}" for x in DISCRETE_DIAMETERS_UM)
        raise NeuraxisInputError(
            f"Invalid value for 'diameter_um'. Allowed values for geometry='discrete' are "
            f"{allowed} um, but got {d:g} um - use geometry='interpolated' for other diameters"
        )
    if geometry != "interpolated" and idx.size:
        row = DISCRETE_TABLE_UM[idx[0]]
        return MRGGeometry(row[0], row[1], row[2], row[3], row[4], row[5], "discrete")
    check_range("diameter_um", d, *INTERP_RANGE_UM, unit="um")
    key = "deltax_um_large" if d >= DELTAX_BRANCH_UM else "deltax_um_small"
    return MRGGeometry(
        fiber_diameter_um=d,
        axon_diameter_um=_quad(INTERP["axon_d_um"], d),
        node_diameter_um=_quad(INTERP["node_d_um"], d),
        node_spacing_um=_quad(INTERP[key], d),
        flut_length_um=_quad(INTERP["flut_length_um"], d),
        n_lamellae=_quad(INTERP["n_lamellae"], d),
        source="interpolated",
    )


def mrg_sections(geom: MRGGeometry, n_nodes: int) -> list[dict[str, float | str]]:
    """The NEURON-style section list of an MRG fiber, node first.

    Each entry has ``kind`` ('node', 'mysa', 'flut', 'stin'), ``length_um``,
    ``diameter_um`` (true diameter used for axial resistance and membrane),
    ``space_um`` (periaxonal space), ``g_pas_s_per_cm2`` and, for myelinated
    sections, ``myelin_ref_diameter_um`` (= fiber diameter: MRGaxon.hoc builds
    these sections with diam = fiberD, so myelin xg/xc act on that area).
    Used by both the neuraxis cable builder and the NEURON reference.
    """
    node = {"kind": "node", "length_um": NODE_LENGTH_UM, "diameter_um": geom.node_diameter_um,
            "space_um": SPACE_NODE_MYSA_UM, "g_pas_s_per_cm2": 0.0}
    mysa = {"kind": "mysa", "length_um": MYSA_LENGTH_UM, "diameter_um": geom.node_diameter_um,
            "space_um": SPACE_NODE_MYSA_UM, "g_pas_s_per_cm2": G_PAS_MYSA_S_PER_CM2}
    flut = {"kind": "flut", "length_um": geom.flut_length_um,
            "diameter_um": geom.axon_diameter_um, "space_um": SPACE_FLUT_STIN_UM,
            "g_pas_s_per_cm2": G_PAS_FLUT_S_PER_CM2}
    stin = {"kind": "stin", "length_um": geom.stin_length_um,
            "diameter_um": geom.axon_diameter_um, "space_um": SPACE_FLUT_STIN_UM,
            "g_pas_s_per_cm2": G_PAS_STIN_S_PER_CM2}
    period = [mysa, flut] + [stin] * N_STIN + [flut, mysa]
    out: list[dict[str, float | str]] = [dict(node)]
    for _ in range(n_nodes - 1):
        out.extend(dict(s) for s in period)
        out.append(dict(node))
    for s in out:
        s["myelin_ref_diameter_um"] = geom.fiber_diameter_um
    return out
