TITLE declarations that decide which names are hoc globals ! after the bang
NEURON {
    SUFFIX odds
    USEION k READ ek, ki WRITE ik
    USEION ca READ cai REPRESENTS CHEBI:29108
    RANGE both, gk
    GLOBAL both, declared, vec
    ELECTRODE_CURRENT ie
    POINTER target
    EXTERNAL ext_thing
}

DEFINE NV 3
LOCAL file_local

CONSTANT { twice = 2 }

PARAMETER {
    gk = 0.01 (S/cm2) <0, 1e9>
    both = 1
    ek (mV)
    ki (mM)
    cai (mM)
    nai (mM)
    arr[NV] (1)
    dt (ms)
    celsius = 6.3 (degC)
    ie (nA)
    target
}

ASSIGNED {
    v (mV)
    ik (mA/cm2)
    declared (ms)
    vec[NV]
    undeclared_by_global
}

BREAKPOINT {
    ik = gk * (v - ek)
}
