TITLE an artificial cell with methods
NEURON {
    ARTIFICIAL_CELL NetCellDiff
    RANGE tau
    GLOBAL refrac
}

PARAMETER {
    tau = 10 (ms)
    refrac = 2 (ms)
}

ASSIGNED { m }

FUNCTION firetime() {
    firetime = tau
}

NET_RECEIVE (w) {
    m = m + w
}
