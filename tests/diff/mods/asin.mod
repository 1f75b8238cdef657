: An old-style mod with no NEURON block: a table of functions. nocmodl
: makes it a density mechanism named after the file (asin), its FUNCTIONs
: hoc functions asinx_asin..., its PARAMETERs globals.
PARAMETER {
    scale = 1
    table_size = 100
}

FUNCTION asinx(x) {
    asinx = scale * x
}

PROCEDURE fill() {
}
