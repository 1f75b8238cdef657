/*
 * nrnmake: what gliad takes from NEURON's nrnmech_makefile, the makefile
 * nrnivmodl builds with, on its text: the include dirs of the MPI NEURON
 * was built against, which its headers need.
 */
#ifndef GLIA_NRNMAKE_H
#define GLIA_NRNMAKE_H

#include <stddef.h>

/* The dirs of every "INCLUDES += $(if A;B, -I$(subst ;, -I,A;B),)" line,
 * in order (A, B); whether they exist here is the caller's to check.
 * A vector of *n malloc'd strings (strv_free), NULL when none. */
char **nrnmake_include_dirs(const char *text, size_t *n);

#endif
