: A synapse whose conductance jumps by the event's weight and decays
: exponentially.
NEURON {
    POINT_PROCESS glia__glia_example__Syn__0
    NONSPECIFIC_CURRENT i
    RANGE tau, e, i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 2 (ms) <1e-9, 1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g * (v - e)
}

DERIVATIVE state {
    g' = -g / tau
}

NET_RECEIVE(weight (uS)) {
    g = g + weight
}
