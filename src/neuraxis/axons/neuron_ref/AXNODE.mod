COMMENT
neuraxis reference node membrane of the MRG myelinated axon model.

Written for neuraxis from the published equations of
  McIntyre CC, Richardson AG, Grill WM (2002). Modeling the excitability of
  mammalian nerve fibers: influence of afterpotentials on the recovery cycle.
  J Neurophysiol 87:995-1006. doi:10.1152/jn.00353.2001

Four currents at the node of Ranvier (all nonspecific, mA/cm2):
  fast sodium        inaf = gnabar  * m^3 * h * (v - ena)
  persistent sodium  inap = gnapbar * p^3     * (v - ena)
  slow potassium     iks  = gkbar   * s       * (v - ek)
  leak               il   = gl                * (v - el)
Gates follow x' = (xinf - x) / xtau with xinf = a / (a + b), xtau = 1 / (a + b).
Temperature factors: m and p 2.2^((T-20)/10), h 2.9^((T-20)/10),
s 3.0^((T-36)/10).

The suffix is nxaxnode so that it can be loaded next to other MRG node
mechanisms without a name clash.
ENDCOMMENT

NEURON {
    SUFFIX nxaxnode
    NONSPECIFIC_CURRENT inaf
    NONSPECIFIC_CURRENT inap
    NONSPECIFIC_CURRENT iks
    NONSPECIFIC_CURRENT il
    RANGE gnapbar, gnabar, gkbar, gl, ena, ek, el
    RANGE minf, hinf, pinf, sinf, mtau, htau, ptau, stau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gnapbar = 0.01   (S/cm2)
    gnabar  = 3.0    (S/cm2)
    gkbar   = 0.08   (S/cm2)
    gl      = 0.007  (S/cm2)
    ena     = 50.0   (mV)
    ek      = -90.0  (mV)
    el      = -90.0  (mV)
    celsius          (degC)
}

STATE {
    m h p s
}

ASSIGNED {
    v     (mV)
    inaf  (mA/cm2)
    inap  (mA/cm2)
    iks   (mA/cm2)
    il    (mA/cm2)
    minf hinf pinf sinf
    mtau  (ms)
    htau  (ms)
    ptau  (ms)
    stau  (ms)
}

BREAKPOINT {
    SOLVE gates METHOD cnexp
    inaf = gnabar * m * m * m * h * (v - ena)
    inap = gnapbar * p * p * p * (v - ena)
    iks  = gkbar * s * (v - ek)
    il   = gl * (v - el)
}

DERIVATIVE gates {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
    p' = (pinf - p) / ptau
    s' = (sinf - s) / stau
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    p = pinf
    s = sinf
}

FUNCTION lin_exp(u (mV), c (mV)) (mV) {
    : u / (1 - exp(-u/c)); near u = 0 use the first-order limit c + u/2
    if (fabs(u / c) < 1e-7) {
        lin_exp = c * (1 + u / (2 * c))
    } else {
        lin_exp = u / (1 - exp(-u / c))
    }
}

PROCEDURE rates(v (mV)) {
    LOCAL qa, qb, qc, a, b
    UNITSOFF
    qa = 2.2 ^ ((celsius - 20) / 10)
    qb = 2.9 ^ ((celsius - 20) / 10)
    qc = 3.0 ^ ((celsius - 36) / 10)

    a = qa * 1.86 * lin_exp(v + 21.4, 10.3)
    b = qa * 0.086 * lin_exp(-(v + 25.7), 9.16)
    mtau = 1 / (a + b)
    minf = a * mtau

    a = qa * 0.01 * lin_exp(v + 27, 10.2)
    b = qa * 0.00025 * lin_exp(-(v + 34), 10)
    ptau = 1 / (a + b)
    pinf = a * ptau

    a = qb * 0.062 * lin_exp(-(v + 114), 11)
    b = qb * 2.3 / (1 + exp(-(v + 31.8) / 13.4))
    htau = 1 / (a + b)
    hinf = a * htau

    a = qc * 0.3 / (1 + exp((v + 53) / -5))
    b = qc * 0.03 / (1 + exp((v + 90) / -1))
    stau = 1 / (a + b)
    sinf = a * stau
    UNITSON
}
