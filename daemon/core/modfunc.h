/*
 * modfunc: the registration file of a mechanism library, as nrnivmodl's
 * mod_func.c: NEURON's nrn_load_dll dlopens a library and calls its
 * `modl_reg`, which calls each mechanism's `_<name>_reg`. One generator
 * serves the environment's library and each package's part, so that both
 * register their mechanisms alike.
 */
#ifndef GLIA_MODFUNC_H
#define GLIA_MODFUNC_H

#include <stddef.h>

/* The C text of a registration file for the mechanisms named by fulls (as
 * built: their registration functions are _<full>_reg), in that order;
 * `what` goes in its top comment. malloc'd. */
char *modfunc_text(const char *what, char *const *fulls, size_t n);

#endif
