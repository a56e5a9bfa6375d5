"""Sweeney node-only myelinated axon model (fast screening model).

Source
------
Sweeney JD, Mortimer JT, Durand D (1987). Modeling of mammalian myelinated nerve
for functional neuromuscular stimulation. Proc 9th Annu Conf IEEE EMBS,
pp. 1577-1578. Rabbit node kinetics of Chiu, Ritchie, Rogart & Stagg (1979,
J Physiol 292:149, doi:10.1113/jphysiol.1979.sp012843) at 37 C ("CRRSS").
Parameter values as used by PyFibers (Marshall et al. 2025,
doi:10.1371/journal.pcbi.1013764, ``models/sweeney.py`` and ``sweeney.mod``),
read as facts; implementation is neuraxis's own.

Nodes only: each compartment is a node of Ranvier (diameter 0.6 D, length
1.5 um); the internode (100 D node to node) is a perfectly insulated axial
resistor. Sodium current gNa m^2 h (V - ENa) plus leak.
"""

from __future__ import annotations

DOI = "10.1113/jphysiol.1979.sp012843"

NODE_DIAMETER_RATIO = 0.6
NODE_LENGTH_UM = 1.5
NODE_SPACING_PER_D = 100.0  # internode length = 100 x fiber diameter
CM_UF_PER_CM2 = 2.5
RA_OHM_CM = 54.7
V_REST_MV = -80.0

SWEENEY = {
    "g_na_s_per_cm2": 1.445,
    "g_l_s_per_cm2": 0.128,
    "e_na_mv": 35.64,
    "e_l_mv": -80.01,
}

#: Rate constants (1/ms at 37 C), V in mV:
#: alpha_m = (126 + 0.363 V) / (1 + exp(-(V + 49) / 5.3))
#: beta_m  = alpha_m / exp((V + 56.2) / 4.17)
#: beta_h  = 15.6 / (1 + exp(-(V + 56) / 10))
#: alpha_h = beta_h / exp((V + 74.5) / 5)
SWEENEY_RATES = {
    "am": (126.0, 0.363, 49.0, 5.3),
    "bm": (56.2, 4.17),
    "bh": (15.6, 56.0, 10.0),
    "ah": (74.5, 5.0),
}
