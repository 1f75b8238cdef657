/*
 * builtins: NEURON's own mechanisms (pas, hh, ExpSyn, IClamp, NetStim...),
 * offered in every environment as package NEURON under their plain names.
 *
 * The list comes from the installed NEURON itself (nrniv running a few lines
 * of hoc over MechanismType, read by core/builtin_list.c), once per NEURON
 * installation: it is cached in SQLite under the installation's identity
 * and asked again only when that changes.
 */
#ifndef GLIA_BUILTINS_H
#define GLIA_BUILTINS_H

#include <stddef.h>

struct gliad;

/* Makes g->builtins known (from the cache, or by running nrniv in the
 * background) and then calls gliad_builtins_ready. */
void builtins_load(struct gliad *g);

#endif
