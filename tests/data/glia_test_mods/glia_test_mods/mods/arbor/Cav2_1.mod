TITLE P-type calcium channel, for Arbor only

COMMENT
Written for gliad's tests. Glia 4 keeps Arbor-only mods under mods/arbor/:
gliad must neither index nor build them for NEURON, though the NEURON block
below is an ordinary one with a plain name. Gating after the Hodgkin-Huxley
sodium channel of NEURON's demo (nachan.mod); the current is the
Goldman-Hodgkin-Katz flux.
ENDCOMMENT

NEURON {
    SUFFIX Cav2_1
    USEION ca READ cai, cao WRITE ica
    RANGE pcabar, ica, vhalfm, km, vshift, taum, minf
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    v (mV)
    celsius (degC)
    vhalfm = -25.5 (mV)
    km = 5.8 (mV)
    vshift = 0 (mV)
    pcabar = 1.8e-4 (cm/s)
    taum = 0.4 (ms)
}

ASSIGNED {
    ica (mA/cm2)
    cai (mM)
    cao (mM)
    minf
}

STATE {
    m
}

INITIAL {
    minf = 1/(1 + exp(-(v - vhalfm - vshift)/km))
    m = minf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = pcabar*m*ghk(v, cai, cao)
}

DERIVATIVE states {
    minf = 1/(1 + exp(-(v - vhalfm - vshift)/km))
    m' = (minf - m)/taum
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (.001 coul/cm3) {
    LOCAL z, eco, eci
    z = (1e-3)*2*FARADAY*v/(R*(celsius + 273.15))
    eco = co*efun(z)
    eci = ci*efun(-z)
    ghk = (.001)*2*FARADAY*(eci - eco)
}

FUNCTION efun(z) {
    IF (fabs(z) < 1e-4) {
        efun = 1 - z/2
    } ELSE {
        efun = z/(exp(z) - 1)
    }
}
