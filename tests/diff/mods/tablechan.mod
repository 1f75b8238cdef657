TITLE a channel with a TABLE, a custom ion and globals declared in ASSIGNED
NEURON {
    SUFFIX tablechan
    USEION na READ ena WRITE ina
    USEION xca READ xcai WRITE ixca VALENCE 2
    USEION k READ ek VALENCE -1
    RANGE gbar, ina
    GLOBAL minf, mtau, q10
    NONSPECIFIC_CURRENT il
    THREADSAFE
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gbar = 0.1 (S/cm2)
    q10 = 3
    kslope = 9 (mV)
    el = -70 (mV)
    nai (mM)
    ena (mV)
}

ASSIGNED {
    v (mV)
    ina (mA/cm2)
    il (mA/cm2)
    ixca (mA/cm2)
    xcai (mM)
    ek (mV)
    minf
    mtau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar * m * (v - ena)
    il = 0.001 * (v - el)
    ixca = 0
}

INITIAL {
    rates(v)
    m = minf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
}

PROCEDURE rates(v (mV)) {
    TABLE minf, mtau FROM -100 TO 100 WITH 200
    minf = 1 / (1 + exp(-(v + 40) / kslope))
    mtau = 1 / q10
}
