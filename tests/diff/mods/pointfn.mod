TITLE a point process with a FUNCTION and a PROCEDURE
NEURON {
    POINT_PROCESS PointFnDiff
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

PARAMETER {
    g = 0.001 (uS)
    e = 0 (mV)
    shared = 4
}

ASSIGNED {
    v (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - e)
}

FUNCTION conductance() {
    conductance = g * shared
}

PROCEDURE set_g(x) {
    g = x
}
