/*
 * build: an environment's mechanism library, made in the background from its
 * index. Phases, each on the loop or a worker as its I/O demands:
 *
 *   prepare (worker)  read each mod and its INCLUDEs, rename it if plain, key
 *                     it, and find what the cache already holds
 *   compile (loop)    the rest through the shared compile queue
 *   link    (loop)    one shared library of every object that exists; reused
 *                     as is when the same set was linked before
 *   publish (worker)  the library and its manifest in place atomically, then
 *                     the generation in SQLite: the commit point
 *
 * A mod that fails is left out with its diagnostic; the rest still loads. A
 * build overtaken by a newer index is cancelled (as is one whose env goes,
 * or when gliad stops): it compiles nothing more and never publishes.
 *
 * A build is a service: it takes a spec (what to build, with which tools)
 * and hooks (what it asks and tells its owner), and knows nothing of
 * environments, the daemon or its clients. Whoever starts it decides what
 * follows it (env_build.c).
 */
#ifndef GLIA_BUILD_H
#define GLIA_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "build_defs.h"
#include "build_symbols.h"

/* Starts a build; it runs until done, or until cancelled. */
struct build *build_start(const struct build_spec *spec, const struct build_hooks *hooks);
/* Stops b: it compiles nothing more, never publishes and never calls a
 * hook again; `why` ends the log line ("build N cancelled: <why>"). */
void build_cancel(struct build *b, const char *why);
/* b is committing its generation: cancelling it could lose a published one. */
int build_publishing(const struct build *b);

/* Where a failed mod was left out: "compile" (nocmodl, cc, or before),
 * "link" (it needs a symbol nothing defines) or "load" (NEURON refused its
 * package). Read from the summary, which is all a restart keeps. */
const char *build_failure_stage(const struct build_failure *f);

/* The failure of m in the last build (r, over gen), or NULL: also NULL when
 * the failure was of other content than m's file has now (it changed or was
 * replaced since), which has not failed, or not yet. */
struct index_mod;
const struct build_failure *build_failure_of(const struct build_report *r,
                                             const struct generation *gen,
                                             const struct index_mod *m);

/* Reads env's newest sound generation (and its failures) from SQLite at
 * startup into *gen and *report (left NULL when there is none). */
void build_load_generation(uv_loop_t *loop, struct store *s, const char *env,
                           struct generation **gen, struct build_report **report);

void generation_free(struct generation *g);
void build_report_free(struct build_report *r);

#endif
