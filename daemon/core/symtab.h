/*
 * symtab: what the binutils say about symbols, read as plain text.
 *
 * A build links each package's objects into one relocatable object and
 * checks that whatever it still needs is defined by NEURON's libraries
 * (libnrniv and every library it loads, as `ldd` lists them). These
 * functions read `ldd` and `nm -A -P` output; running the tools is the
 * caller's business. Pure string work.
 */
#ifndef GLIA_SYMTAB_H
#define GLIA_SYMTAB_H

#include <stddef.h>

/* Each library path `ldd` resolved (lines "name => /path (addr)" and
 * "/path (addr)"), in order. malloc'd vector of malloc'd strings. */
char **symtab_ldd_paths(const char *ldd_out, size_t *n);

/* Calls fn for every line of `nm -A -P` output: the file, the symbol
 * (without its @VERSION) and its type letter. Only 'U' is a symbol the
 * file needs; 'w' and 'v' (weak) may stay undefined. */
typedef void (*symtab_fn)(void *ud, const char *file, const char *name, char type);
void symtab_each(const char *nm_out, symtab_fn fn, void *ud);

/* Symbols the static linker or the loader provides to every shared
 * object: never a mod's fault that they are undefined in an object. */
int symtab_linker_provided(const char *name);

#endif
