/*
 * builtin_list: NEURON's own mechanisms (pas, hh, ExpSyn, IClamp,
 * NetStim...) as the index's package NEURON, from the listing nrniv prints
 * when it runs builtin_list_argv, or from the (name, kind) rows a cache kept
 * of one. env/builtins.c runs nrniv and keeps the cache.
 */
#ifndef GLIA_BUILTIN_LIST_H
#define GLIA_BUILTIN_LIST_H

#include "modfile.h"

struct index_pkg;

/* nrniv's command line that lists the mechanisms, one
 * "glia-builtin <type> <artificial> <name>" line each. */
extern char *const builtin_list_argv[];

/* The package NEURON, without mechanisms. */
struct index_pkg *builtin_list_pkg(void);

/* Adds a mechanism of that plain name and kind. */
void builtin_list_add(struct index_pkg *p, const char *name, enum modfile_kind kind);

/* The package of nrniv's output; other lines (a banner, warnings) are
 * left out. Empty when nrniv listed nothing. */
struct index_pkg *builtin_list_parse(const char *out);

/* A kind as modfile_kind_name writes it ("density", "point", ...): 0 and
 * *kind set, or -1 for a word that names no kind a built-in has. */
int builtin_list_kind(const char *word, enum modfile_kind *kind);

#endif
