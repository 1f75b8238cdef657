/*
 * scan: finds the Glia packages of a site-packages dir and reads their mods.
 *
 * Blocking file I/O: gliad runs these on libuv's worker threads, never on
 * the loop. Nothing here touches shared state; results are new packages the
 * loop publishes in an index (see index.h).
 */
#ifndef GLIA_SCAN_H
#define GLIA_SCAN_H

#include "index.h"

#include <stdatomic.h>

#define SCAN_MAX_MOD_BYTES MODFILE_MAX_BYTES

/* A dir to watch, and the dist-info whose package it belongs to (NULL: a
 * site-packages dir, or the nearest existing parent of a missing one;
 * SCAN_WATCH_SHARED: more than one of those, so a change rescans all). */
#define SCAN_WATCH_SHARED "*"
struct scan_watch {
    char *dir;
    char *owner;
};

struct scan_result {
    struct index_pkg **pkgs; /* in index order */
    unsigned char *fresh;    /* 1: made by this scan (holds a reference); 0: reused */
    size_t npkgs;
    struct index_problem *probs;
    size_t nprobs;
    struct scan_watch *watch;
    size_t nwatch;
    /* Something could not be read for a reason of the moment (no file
     * descriptor left, say): what it held last time is kept in pkgs, the
     * watch list may lack dirs, and the scan should be tried again. */
    int incomplete;
    int stopped; /* *stop was set: the result is partial and must be dropped */
};

/*
 * Scans an environment's site-packages dirs. Packages of `prev` (a previous
 * scan's, only read here) are reused as they are unless their dist-info is
 * in `dirty` (a set of dist-info paths); dirty NULL rescans everything.
 * Also lists the dirs to watch for the next change. A dir that cannot be
 * read is never taken for an empty one: prev's packages from it are kept.
 * The scan ends early once *stop (when not NULL) becomes nonzero.
 */
void scan_env(char *const *sites, size_t nsite, struct index_pkg *const *prev, size_t nprev,
              const struct strmap *dirty, const atomic_int *stop, struct scan_result *out);
void scan_result_free(struct scan_result *r); /* frees watch list and arrays, not packages */

#endif
