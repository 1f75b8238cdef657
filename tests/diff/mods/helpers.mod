TITLE SUFFIX nothing: a library of hoc functions and globals, no mechanism
NEURON {
    SUFFIX nothing
    USEION ca READ cai VALENCE 2
    GLOBAL base, offset
}

PARAMETER {
    base = 2
    offset = 0.5
    width = 3 (ms)
}

ASSIGNED {
    cai (mM)
}

FUNCTION twice(x) {
    twice = base * x + offset
}

FUNCTION lookup(x) {
    TABLE FROM 0 TO 10 WITH 100
    lookup = x * width
}

PROCEDURE reset() {
    base = 2
}

FUNCTION_TABLE tabulated(x)
