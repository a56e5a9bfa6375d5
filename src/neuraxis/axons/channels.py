"""Node membrane kinetics, written once for arrays (NumPy) and scalars (numba).

Every function here uses only arithmetic and ``np.exp``/``np.expm1`` so that the
NumPy reference integrator calls it on arrays and the numba backend compiles the
very same source for scalars. Parameters come from the model files
(:mod:`neuraxis.axons.models.mrg`, :mod:`neuraxis.axons.models.sweeney`).

Gate state layout (``GATES[mechanism]``): AXNODE m, h, p, s; Sweeney m, h.
"""

from __future__ import annotations

import numpy as np

from neuraxis.axons.models import mrg, sweeney

GATES = {"axnode": ("m", "h", "p", "s"), "sweeney": ("m", "h")}


def _vtrap(u, c):  # array or scalar
    """u / (1 - exp(-u / c)), continuous at u = 0 (limit c)."""
    x = u / c
    small = np.abs(x) < 1e-7
    # x + small avoids 0/0 at x == 0; the 'small' branch replaces that value
    return np.where(small, c * (1.0 + 0.5 * x), u / -np.expm1(-(x + small * 1e-30)))


def _vtrap_s(u, c):  # scalar-only twin used under numba
    x = u / c
    if abs(x) < 1e-7:
        return c * (1.0 + 0.5 * x)
    return u / -np.expm1(-x)


def axnode_q10(temperature_c: float) -> np.ndarray:
    """Q10 factors (m, h, p, s) for AXNODE at a temperature in deg C."""
    out = []
    for g in ("m", "h", "p", "s"):
        base, t_ref = mrg.AXNODE_Q10[g]
        out.append(base ** ((temperature_c - t_ref) / 10.0))
    return np.array(out)


def mechanism_params(mechanism: str, temperature_c: float | None = None) -> np.ndarray:
    """Flat parameter vector for a mechanism (the kernels index it by position).

    AXNODE: [gNaf, gNaP, gKs, gL, ENa, EK, EL, q10_m, q10_h, q10_p, q10_s].
    Sweeney: [gNa, gL, ENa, EL].
    """
    if mechanism == "axnode":
        p = mrg.AXNODE
        t = p["temperature_c"] if temperature_c is None else temperature_c
        return np.concatenate([
            [p["g_naf_s_per_cm2"], p["g_nap_s_per_cm2"], p["g_ks_s_per_cm2"],
             p["g_l_s_per_cm2"], p["e_na_mv"], p["e_k_mv"], p["e_l_mv"]],
            axnode_q10(t)])
    p = sweeney.SWEENEY
    return np.array([p["g_na_s_per_cm2"], p["g_l_s_per_cm2"], p["e_na_mv"], p["e_l_mv"]])


# Rate constants as module-level tuples (numba freezes global tuples as constants).
_AM, _BM = mrg.AXNODE_RATES["am"], mrg.AXNODE_RATES["bm"]
_AH, _BH = mrg.AXNODE_RATES["ah"], mrg.AXNODE_RATES["bh"]
_AP, _BP = mrg.AXNODE_RATES["ap"], mrg.AXNODE_RATES["bp"]
_AS, _BS = mrg.AXNODE_RATES["as"], mrg.AXNODE_RATES["bs"]
_SAM, _SBM = sweeney.SWEENEY_RATES["am"], sweeney.SWEENEY_RATES["bm"]
_SAH, _SBH = sweeney.SWEENEY_RATES["ah"], sweeney.SWEENEY_RATES["bh"]


def make_axnode_rates(vtrap):
    """Build the AXNODE rate function around a vtrap (array or scalar form)."""

    def axnode_rates(v, q10):
        """Alpha and beta (1/ms) of m, h, p, s at membrane potential v (mV).

        ``q10`` holds the factors for (m, h, p, s).
        """
        am = q10[0] * _AM[0] * vtrap(v + _AM[1], _AM[2])
        bm = q10[0] * _BM[0] * vtrap(-(v + _BM[1]), _BM[2])
        ah = q10[1] * _AH[0] * vtrap(-(v + _AH[1]), _AH[2])
        bh = q10[1] * _BH[0] / (1.0 + np.exp(-(v + _BH[1]) / _BH[2]))
        ap = q10[2] * _AP[0] * vtrap(v + _AP[1], _AP[2])
        bp = q10[2] * _BP[0] * vtrap(-(v + _BP[1]), _BP[2])
        as_ = q10[3] * _AS[0] / (1.0 + np.exp((v + _AS[1]) / _AS[2]))
        bs = q10[3] * _BS[0] / (1.0 + np.exp((v + _BS[1]) / _BS[2]))
        return am, bm, ah, bh, ap, bp, as_, bs

    return axnode_rates


axnode_rates = make_axnode_rates(_vtrap)


def sweeney_rates(v):
    """Alpha and beta (1/ms) of m, h for the Sweeney node at v (mV)."""
    am = (_SAM[0] + _SAM[1] * v) / (1.0 + np.exp(-(v + _SAM[2]) / _SAM[3]))
    bm = am / np.exp((v + _SBM[0]) / _SBM[1])
    bh = _SBH[0] / (1.0 + np.exp(-(v + _SBH[1]) / _SBH[2]))
    ah = bh / np.exp((v + _SAH[0]) / _SAH[1])
    return am, bm, ah, bh


def steady_gates(mechanism: str, v_mv: float, params: np.ndarray) -> np.ndarray:
    """Steady-state gate values at a holding potential (the INITIAL block)."""
    v = np.asarray(v_mv, dtype=float)
    if mechanism == "axnode":
        am, bm, ah, bh, ap, bp, as_, bs = axnode_rates(v, params[7:11])
        return np.array([am / (am + bm), ah / (ah + bh), ap / (ap + bp), as_ / (as_ + bs)])
    am, bm, ah, bh = sweeney_rates(v)
    return np.array([am / (am + bm), ah / (ah + bh)])


def step_gates(mechanism: str, v, gates, params, dt_ms):
    """Advance gates by dt with v held (exact exponential, NEURON's cnexp), in place."""
    if mechanism == "axnode":
        rates = axnode_rates(v, params[7:11])
    else:
        rates = sweeney_rates(v)
    for i in range(len(gates)):
        a, b = rates[2 * i], rates[2 * i + 1]
        tau = 1.0 / (a + b)
        inf = a * tau
        gates[i] = inf + (gates[i] - inf) * np.exp(-dt_ms * (a + b))
    return gates


def conductances(mechanism: str, v, gates, params):
    """Total conductance (S/cm2) and sum of g*E (mA/cm2) of the node channels.

    With gates frozen over a step the ionic current is linear in v:
    I = gsum * v - gE, which is what the implicit step uses.
    """
    if mechanism == "axnode":
        m, h, p, s = gates[0], gates[1], gates[2], gates[3]
        gna = params[0] * m * m * m * h
        gnap = params[1] * p * p * p
        gk = params[2] * s
        gl = params[3]
        gsum = gna + gnap + gk + gl
        ge = (gna + gnap) * params[4] + gk * params[5] + gl * params[6]
        return gsum, ge
    m, h = gates[0], gates[1]
    gna = params[0] * m * m * h
    gsum = gna + params[1]
    ge = gna * params[2] + params[1] * params[3]
    return gsum, ge


#: Voltage grid of the gate tables used by the compiled integrator (mV). Outside
#: it the kernel falls back to the exact rate functions.
GATE_TABLE_V_MIN_MV = -160.0
GATE_TABLE_V_MAX_MV = 140.0
GATE_TABLE_STEP_MV = 0.02


def gate_table(mechanism: str, params: np.ndarray, dt_ms: float) -> np.ndarray:
    """Tabulated cnexp update: steady state and decay factor per gate vs voltage.

    Column ``2 g`` holds ``inf_g(v) = a / (a + b)`` and column ``2 g + 1`` holds
    ``exp(-dt (a + b))`` for gate ``g`` (order of :data:`GATES`), on the grid
    ``GATE_TABLE_V_MIN_MV + i * GATE_TABLE_STEP_MV``. Linear interpolation in
    it replaces ~12 exponentials per node and step by 8 table reads (as
    NEURON's ``TABLE`` statement does); the interpolation error is below
    1e-4 relative even for the steepest AXNODE rate (beta_s, 1 mV slope), and
    the thresholds it gives are checked against the exact rates in
    ``tests/unit/test_integrators.py``.
    """
    n = round((GATE_TABLE_V_MAX_MV - GATE_TABLE_V_MIN_MV) / GATE_TABLE_STEP_MV) + 1
    v = GATE_TABLE_V_MIN_MV + GATE_TABLE_STEP_MV * np.arange(n)
    rates = axnode_rates(v, params[7:11]) if mechanism == "axnode" else sweeney_rates(v)
    cols = []
    for i in range(len(rates) // 2):
        a, b = rates[2 * i], rates[2 * i + 1]
        cols += [a / (a + b), np.exp(-dt_ms * (a + b))]
    return np.ascontiguousarray(np.stack(cols, axis=1))
