"""Compartmental description of a fiber: the input every integrator runs.

A :class:`Cable` is a chain of compartments (one per NEURON section with
nseg = 1). Each compartment has two unknowns: the intracellular potential
``vi`` and the periaxonal potential ``vp`` (the space between axolemma and
myelin, NEURON's ``vext[0]``). Membrane potential is ``vm = vi - vp``. The
periaxonal space leaks to the extracellular potential ``ve`` through the
myelin (``g_my``, ``c_my``). A node-only model is the special case with the
periaxonal layer shorted to the outside (huge ``g_my``) everywhere.

Units inside a cable: lengths um, capacitance nF, conductance uS, potential mV,
time ms (so nF * mV / ms = nA = uS * mV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuraxis._validate import check_int, check_option
from neuraxis.axons.models import mrg, sweeney

MECHANISMS = ("axnode", "sweeney")


def _area_um2(d_um: np.ndarray, l_um: np.ndarray) -> np.ndarray:
    return np.pi * d_um * l_um


def _c_nf(cm_uf_per_cm2: np.ndarray | float, area_um2: np.ndarray) -> np.ndarray:
    return np.asarray(cm_uf_per_cm2) * area_um2 * 1e-5


def _g_us(g_s_per_cm2: np.ndarray | float, area_um2: np.ndarray) -> np.ndarray:
    return np.asarray(g_s_per_cm2) * area_um2 * 1e-2


def _series_us(r_ohm: np.ndarray) -> np.ndarray:
    """Conductance (uS) between neighbouring compartment centres (half + half)."""
    return 1e6 / (0.5 * r_ohm[:-1] + 0.5 * r_ohm[1:])


@dataclass(frozen=True, eq=False)
class Cable:
    """One fiber as a chain of compartments (see module docstring for units)."""

    model: str
    diameter_um: float
    mechanism: str
    x_um: np.ndarray  # compartment centres along the fiber, first node centre at 0
    c_m_nf: np.ndarray
    g_pas_us: np.ndarray
    e_pas_mv: float
    g_i_us: np.ndarray  # (n-1,) intracellular axial conductance k <-> k+1
    g_p_us: np.ndarray  # (n-1,) periaxonal axial conductance k <-> k+1
    c_my_nf: np.ndarray
    g_my_us: np.ndarray
    node_index: np.ndarray  # compartments with active channels (the nodes)
    node_area_um2: np.ndarray
    v_rest_mv: float

    @property
    def n_compartments(self) -> int:
        """Number of compartments."""
        return int(self.x_um.size)

    @property
    def n_nodes(self) -> int:
        """Number of nodes of Ranvier."""
        return int(self.node_index.size)

    @property
    def node_spacing_um(self) -> float:
        """Node-to-node distance (um)."""
        return float(self.x_um[self.node_index[1]] - self.x_um[self.node_index[0]])

    @property
    def middle_node_x_um(self) -> float:
        """Position of the middle node along the fiber (um)."""
        return float(self.x_um[self.node_index[self.n_nodes // 2]])


def build_mrg_cable(diameter_um: float, n_nodes: int = 21, geometry: str = "auto") -> Cable:
    """Cable of an MRG fiber (McIntyre, Richardson & Grill 2002).

    Parameters
    ----------
    diameter_um : float
        Fiber diameter in um (2-16 um interpolated; the nine published
        diameters 5.7-16 um use the discrete table with ``geometry='auto'``).
    n_nodes : int
        Number of nodes of Ranvier (odd, so that there is a middle node).
    geometry : {'auto', 'discrete', 'interpolated'}
        See :func:`neuraxis.axons.models.mrg.mrg_geometry`.
    """
    n_nodes = check_int("n_nodes", n_nodes, 5, 1001)
    geom = mrg.mrg_geometry(diameter_um, geometry)
    secs = mrg.mrg_sections(geom, n_nodes)
    for s in secs:
        s["n_lamellae"] = geom.n_lamellae
    return _mrg_cable_from_sections(secs, float(diameter_um))


def build_mrg_branch_cable(parent_diameter_um: float, n_parent_nodes: int,
                           branch_diameter_um: float, n_branch_nodes: int,
                           geometry: str = "auto") -> Cable:
    """Cable of an MRG fiber that continues as a thinner MRG branch (a collateral).

    The first ``n_parent_nodes`` nodes (and the internodes between them) have the
    parent's geometry; the last of them is the branch point, after which come
    ``n_branch_nodes`` internode + node periods of the branch's geometry. Every
    compartment keeps its own section's geometry, and the axial conductance across the
    junction is that of the two half-compartments in series (as NEURON joins sections of
    different diameters). The cable has the compartment layout of an MRG cable of
    ``n_parent_nodes + n_branch_nodes`` nodes, so it batches with those.

    This is a chain: the parent's continuation beyond the branch point is not part of
    it (the SCS session simulates the unbranched parent as a cable of its own and takes
    the lower threshold; :mod:`neuraxis.fibers.collaterals`).

    Parameters
    ----------
    parent_diameter_um, branch_diameter_um : float
        Fiber diameters, um (2-16 um; see :func:`build_mrg_cable`).
    n_parent_nodes : int
        Parent nodes, the branch point included (>= 2).
    n_branch_nodes : int
        Nodes of the branch after the branch point (>= 1).
    geometry : {'auto', 'discrete', 'interpolated'}
        See :func:`neuraxis.axons.models.mrg.mrg_geometry`.

    Returns
    -------
    Cable
        ``diameter_um`` is the parent's.
    """
    n_p = check_int("n_parent_nodes", n_parent_nodes, 2, 1000)
    n_b = check_int("n_branch_nodes", n_branch_nodes, 1, 1000)
    check_int("n_parent_nodes + n_branch_nodes", n_p + n_b, 5, 1001)
    secs = []
    for d, n, drop_first in ((parent_diameter_um, n_p, False),
                             (branch_diameter_um, n_b + 1, True)):
        geom = mrg.mrg_geometry(d, geometry)
        part = mrg.mrg_sections(geom, n)
        for s in part:
            s["n_lamellae"] = geom.n_lamellae
        secs.extend(part[1:] if drop_first else part)
    return _mrg_cable_from_sections(secs, float(parent_diameter_um))


def _mrg_cable_from_sections(secs: list[dict], diameter_um: float) -> Cable:
    """The cable of an MRG section list (each section carries its own geometry)."""
    kind = np.array([s["kind"] for s in secs])
    length = np.array([s["length_um"] for s in secs], dtype=float)
    diam = np.array([s["diameter_um"] for s in secs], dtype=float)
    space = np.array([s["space_um"] for s in secs], dtype=float)
    g_pas = np.array([s["g_pas_s_per_cm2"] for s in secs], dtype=float)
    fiber_d = np.array([s["myelin_ref_diameter_um"] for s in secs], dtype=float)
    lamellae = np.array([s["n_lamellae"] for s in secs], dtype=float)
    is_node = kind == "node"
    x = np.cumsum(length) - 0.5 * length
    x = x - x[0]
    area = _area_um2(diam, length)
    rho_ohm_um = mrg.RHOA_OHM_CM * 1e4
    r_i = rho_ohm_um * length / (np.pi * (diam / 2) ** 2)
    peri_area = np.pi * ((diam / 2 + space) ** 2 - (diam / 2) ** 2)
    r_p = rho_ohm_um * length / peri_area
    myelin_area = _area_um2(fiber_d, length)
    per_lamella = 1.0 / (2.0 * lamellae)
    c_my = np.where(is_node, 0.0, _c_nf(mrg.MYELIN_CM_UF_PER_CM2 * per_lamella, myelin_area))
    g_my = np.where(is_node, _g_us(mrg.NODE_XG_S_PER_CM2, area),
                    _g_us(mrg.MYELIN_G_S_PER_CM2 * per_lamella, myelin_area))
    node_index = np.flatnonzero(is_node)
    return Cable(
        model="mrg",
        diameter_um=diameter_um,
        mechanism="axnode",
        x_um=x,
        c_m_nf=_c_nf(mrg.CM_UF_PER_CM2, area),
        g_pas_us=_g_us(g_pas, area),
        e_pas_mv=mrg.E_PAS_MV,
        g_i_us=_series_us(r_i),
        g_p_us=_series_us(r_p),
        c_my_nf=c_my,
        g_my_us=g_my,
        node_index=node_index,
        node_area_um2=area[node_index],
        v_rest_mv=mrg.V_REST_MV,
    )


def build_sweeney_cable(diameter_um: float, n_nodes: int = 21) -> Cable:
    """Cable of the node-only Sweeney model (one compartment per node)."""
    n_nodes = check_int("n_nodes", n_nodes, 5, 1001)
    d_node = sweeney.NODE_DIAMETER_RATIO * float(diameter_um)
    spacing = sweeney.NODE_SPACING_PER_D * float(diameter_um)
    area = np.full(n_nodes, np.pi * d_node * sweeney.NODE_LENGTH_UM)
    r_node_to_node = sweeney.RA_OHM_CM * 1e4 * spacing / (np.pi * (d_node / 2) ** 2)
    return Cable(
        model="sweeney",
        diameter_um=float(diameter_um),
        mechanism="sweeney",
        x_um=np.arange(n_nodes) * spacing,
        c_m_nf=_c_nf(sweeney.CM_UF_PER_CM2, area),
        g_pas_us=np.zeros(n_nodes),
        e_pas_mv=sweeney.V_REST_MV,
        g_i_us=np.full(n_nodes - 1, 1e6 / r_node_to_node),
        g_p_us=np.zeros(n_nodes - 1),
        c_my_nf=np.zeros(n_nodes),
        g_my_us=_g_us(1e10, area),
        node_index=np.arange(n_nodes),
        node_area_um2=area,
        v_rest_mv=sweeney.V_REST_MV,
    )


def build_cable(model: str, diameter_um: float, n_nodes: int = 21, **kwargs: str) -> Cable:
    """Build the cable of a registered axon model ('mrg' or 'sweeney')."""
    check_option("model", model, ("mrg", "sweeney"))
    if model == "mrg":
        return build_mrg_cable(diameter_um, n_nodes, **kwargs)
    from neuraxis._validate import check_range

    check_range("diameter_um", diameter_um, 1.0, 30.0, "um")
    return build_sweeney_cable(diameter_um, n_nodes)


@dataclass(frozen=True, eq=False)
class CableBatch:
    """Cables of one structure stacked with fibers on the last axis (SoA).

    Per-compartment arrays have shape ``(n_compartments, n_fibers)``; node
    arrays ``(n_nodes, n_fibers)``.
    """

    mechanism: str
    c_m_nf: np.ndarray
    g_pas_us: np.ndarray
    e_pas_mv: float
    g_i_us: np.ndarray
    g_p_us: np.ndarray
    c_my_nf: np.ndarray
    g_my_us: np.ndarray
    node_index: np.ndarray
    node_area_um2: np.ndarray
    v_rest_mv: float

    @property
    def n_fibers(self) -> int:
        """Number of fibers in the batch."""
        return int(self.c_m_nf.shape[1])

    @property
    def n_compartments(self) -> int:
        """Number of compartments per fiber."""
        return int(self.c_m_nf.shape[0])

    def take(self, which: np.ndarray) -> CableBatch:
        """A batch with the fibers ``which`` (indices), in that order."""
        def t(a):
            return np.ascontiguousarray(a[:, which])
        return CableBatch(self.mechanism, t(self.c_m_nf), t(self.g_pas_us), self.e_pas_mv,
                          t(self.g_i_us), t(self.g_p_us), t(self.c_my_nf), t(self.g_my_us),
                          self.node_index, t(self.node_area_um2), self.v_rest_mv)


def stack_cables(cables: list[Cable]) -> CableBatch:
    """Stack cables with identical structure (model, node count) into a batch."""
    first = cables[0]
    for c in cables[1:]:
        if c.mechanism != first.mechanism or c.n_compartments != first.n_compartments:
            raise ValueError("stack_cables needs cables of one model and one node count")
    def s(name):
        return np.ascontiguousarray(
            np.stack([getattr(c, name) for c in cables], axis=-1))
    return CableBatch(first.mechanism, s("c_m_nf"), s("g_pas_us"), first.e_pas_mv,
                      s("g_i_us"), s("g_p_us"), s("c_my_nf"), s("g_my_us"),
                      first.node_index, s("node_area_um2"), first.v_rest_mv)
