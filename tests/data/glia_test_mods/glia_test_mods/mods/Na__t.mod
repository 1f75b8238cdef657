TITLE Fixture sodium channel, five-state kinetic scheme, fast inactivation
: Written for gliad's tests. A Glia 4 mod: its NEURON block already
: carries the full name. The kinetic scheme makes nocmodl emit the sparse
: solver, the largest code a density mechanism gets.
NEURON {
    SUFFIX glia__glia_test_mods__Na__t
    USEION na READ ena WRITE ina
    RANGE gnabar, ina, g
    RANGE Aalfa, Valfa, Abeta, Vbeta, Ainact, Arecov, Vrecov
    : the Q10 and the rates at the cell's temperature
    RANGE qfac, q10, kC1, kC2, kC3, kO
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    v (mV)
    celsius = 32 (degC)
    gnabar = 0.013 (mho/cm2)
    Aalfa = 12.5 ( /ms)
    Valfa = 18.2 (mV)
    Abeta = 0.95 ( /ms)
    Vbeta = 17.6 (mV)
    Ainact = 6.0 ( /ms)
    Arecov = 0.05 ( /ms)
    Vrecov = 11
    qfac = 2.7
}

ASSIGNED {
    ena (mV)
    ina (mA/cm2)
    g (mho/cm2)
    q10
    kC1 ( /ms)
    kC2 ( /ms)
    kC3 ( /ms)
    kO ( /ms)
}

STATE {
    C1
    C2
    C3
    O
    I
}

INITIAL {
    q10 = qfac^((celsius - 22 (degC))/10 (degC))
    C1 = 1
    C2 = 0
    C3 = 0
    O = 0
    I = 0
    SOLVE kin STEADYSTATE sparse
}

BREAKPOINT {
    SOLVE kin METHOD sparse
    g = gnabar*O
    ina = g*(v - ena)
}

FUNCTION alfa(v (mV)) ( /ms) {
    alfa = q10*Aalfa*exp(v/Valfa)
}

FUNCTION beta(v (mV)) ( /ms) {
    beta = q10*Abeta*exp(-v/Vbeta)
}

KINETIC kin {
    kC1 = 3*alfa(v)
    kC2 = 2*alfa(v)
    kC3 = alfa(v)
    kO = q10*Ainact
    ~ C1 <-> C2 (kC1, beta(v))
    ~ C2 <-> C3 (kC2, 2*beta(v))
    ~ C3 <-> O (kC3, 3*beta(v))
    ~ O <-> I (kO, q10*Arecov*exp(-(v + 70)/Vrecov))
    CONSERVE C1 + C2 + C3 + O + I = 1
}
