/*
 * gc: keeps the cache and the generation history bounded. Per environment
 * the newest keep_generations libraries stay, and so does every library a
 * live client reported loading (NEURON cannot unload one, so deleting it
 * would pull it from under a running simulation); compiled objects are kept
 * up to cache_max_mb, least recently used out first. Environments no longer
 * served keep only what live processes loaded; objects no published build
 * recorded go after an hour (with a cache_dir shared by two daemons, each
 * sees the other's as such: a cost in recompiles, never in libraries).
 *
 * `build {clear}` has the next collection keep an environment's newest
 * generation only (and, as ever, what live clients loaded).
 *
 * Runs on a worker. Its owner starts it only while no build runs (see
 * env_build.c), so it never races a build that is about to publish a
 * library it would delete.
 */
#ifndef GLIA_GC_H
#define GLIA_GC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct gc_spec {
    const char *state_dir, *cache_dir;
    int64_t max_bytes; /* of compiled objects */
    char *const *envs; /* the environments served, */
    const int *keep;   /* and how many generations each keeps */
    size_t nenvs;
};

/* Collects on a worker, then calls done(ud) on the loop. */
void gc_start(uv_loop_t *loop, const struct gc_spec *spec, void (*done)(void *ud), void *ud);

#endif
