"""Build the MRG fiber in NEURON the way ``MRGaxon.hoc`` (ModelDB 3810) does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neuraxis.axons.models import mrg
from neuraxis.axons.neuron_ref._compile import SUFFIX, _h, compile_mechanisms

TEMPERATURE_C = 37.0


@dataclass(eq=False)
class MRGFiber:
    """An MRG fiber built in NEURON.

    Attributes
    ----------
    sections : list
        NEURON sections, one per compartment, node first.
    kinds : tuple of str
        'node', 'mysa', 'flut' or 'stin' per section.
    node_index : numpy.ndarray
        Section indices of the nodes.
    x_um : numpy.ndarray
        Section centres along the fiber (um), first node centre at 0, measured
        by NEURON (``h.distance``).
    geometry : MRGGeometry
        The geometry the fiber was built from.
    """

    sections: list[Any]
    kinds: tuple[str, ...]
    node_index: np.ndarray
    x_um: np.ndarray
    geometry: mrg.MRGGeometry

    @property
    def nodes(self) -> list[Any]:
        """The node sections."""
        return [self.sections[i] for i in self.node_index]

    @property
    def middle_node_x_um(self) -> float:
        """Position of the middle node along the fiber (um)."""
        return float(self.x_um[self.node_index[self.node_index.size // 2]])


def _periaxonal_mohm_per_cm(d_um: float, space_um: float) -> float:
    """Periaxonal longitudinal resistance per length (MOhm/cm), MRGaxon.hoc form."""
    rho_ohm_um = mrg.RHOA_OHM_CM * 1e4
    return rho_ohm_um * 0.01 / (np.pi * ((d_um / 2 + space_um) ** 2 - (d_um / 2) ** 2))


def build_mrg(diameter_um: float, n_nodes: int = 21, geometry: str = "auto") -> MRGFiber:
    """Build an MRG fiber in NEURON following ``MRGaxon.hoc``.

    Parameters
    ----------
    diameter_um : float
        Fiber diameter in um.
    n_nodes : int
        Number of nodes of Ranvier.
    geometry : {'auto', 'discrete', 'interpolated'}
        See :func:`neuraxis.axons.models.mrg.mrg_geometry`.

    Returns
    -------
    MRGFiber
        The fiber; its sections exist in NEURON as long as it is referenced.
    """
    compile_mechanisms()
    h = _h()
    h.celsius = TEMPERATURE_C
    geom = mrg.mrg_geometry(diameter_um, geometry)
    spec = mrg.mrg_sections(geom, n_nodes)
    secs: list[Any] = []
    counts: dict[str, int] = {}
    for s in spec:
        kind = str(s["kind"])
        counts[kind] = counts.get(kind, 0) + 1
        sec = h.Section(name=f"nx_{kind}[{counts[kind] - 1}]")
        sec.nseg = 1
        d, length = float(s["diameter_um"]), float(s["length_um"])
        rpx = _periaxonal_mohm_per_cm(d, float(s["space_um"]))
        sec.L = length
        sec.insert("extracellular")
        seg = sec(0.5)
        seg.xraxial[0] = rpx
        if kind == "node":
            sec.diam = d
            sec.Ra = mrg.RHOA_OHM_CM
            sec.cm = mrg.CM_UF_PER_CM2
            sec.insert(SUFFIX)
            seg.xg[0] = mrg.NODE_XG_S_PER_CM2
            seg.xc[0] = 0.0
        else:
            big_d = float(s["myelin_ref_diameter_um"])
            ratio = d / big_d
            sec.diam = big_d
            sec.Ra = mrg.RHOA_OHM_CM / ratio**2
            sec.cm = mrg.CM_UF_PER_CM2 * ratio
            sec.insert("pas")
            seg.pas.g = float(s["g_pas_s_per_cm2"]) * ratio
            seg.pas.e = mrg.E_PAS_MV
            seg.xg[0] = mrg.MYELIN_G_S_PER_CM2 / (2 * geom.n_lamellae)
            seg.xc[0] = mrg.MYELIN_CM_UF_PER_CM2 / (2 * geom.n_lamellae)
        if secs:
            sec.connect(secs[-1](1), 0)
        secs.append(sec)
    first = secs[0](0.5)
    x_um = np.array([h.distance(first, sec(0.5)) for sec in secs])
    kinds = tuple(str(s["kind"]) for s in spec)
    node_index = np.array([i for i, k in enumerate(kinds) if k == "node"])
    return MRGFiber(secs, kinds, node_index, x_um, geom)
