/*
 * toolchain: how mods become a library on this machine — NEURON's nocmodl,
 * its units file, its headers and libnrniv, and the C compiler — and the
 * identity of all that, which is part of every cache key: a new compiler or
 * NEURON never reuses objects built by the old one.
 *
 * Detected from the installed NEURON (the nocmodl on PATH and the tree
 * around it) unless [neuron] in the config says otherwise.
 */
#ifndef GLIA_TOOLCHAIN_H
#define GLIA_TOOLCHAIN_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "hash.h"

struct toolchain {
    char *nocmodl;
    char *nrnunits; /* MODLUNIT for nocmodl */
    char *cc;
    char **cflags; /* compile flags, include dirs as -I... last */
    size_t ncflags;
    char *lib_dir; /* holds libnrniv.so */
    char *nrnivmodl;
    char *makefile; /* nrnmech_makefile, for the nrnivmodl backend's NRNHOME */
    unsigned timeout_ms;

    int ready;     /* probed: id and describe are set */
    char *problem; /* why nothing can be built, or NULL */
    char id[HASH_HEX_LEN + 1];
    char *describe;       /* "nocmodl 7.7.0; cc (Debian 12.2.0-14) 12.2.0; /usr/lib/nrn" */
    char *neuron_version; /* "8.2.2" from the nrniv beside nocmodl, or "unknown" */
};

/* Finds the tools (file checks only). On a missing piece tc->problem says
 * which and how to fix it; builds then fail with that message. */
void toolchain_detect(const struct config_neuron *cfg, struct toolchain *tc);

/* Asks nocmodl and cc for their versions (in the background) and computes
 * the identity; then calls done. */
void toolchain_probe(uv_loop_t *loop, struct toolchain *tc, void (*done)(void *ud), void *ud);

void toolchain_free(struct toolchain *tc);

/* Looks `name` up on PATH (or takes it as is when it holds a '/').
 * malloc'd path, or NULL. */
char *toolchain_which(const char *name);

#endif
