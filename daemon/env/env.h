/*
 * env: one Python environment gliad serves: its site-packages dirs, the
 * index of what they hold, and the library built from it.
 *
 * Scans run on libuv's worker pool; the loop only publishes their results.
 * A scan asked for while one runs is remembered and started after it, so
 * requests never wait on more than one scan and scans never overlap. Builds
 * (build.h) and collections (gc.h) are services the env starts; what runs
 * next is decided in one place, env_next().
 *
 * THE LIFECYCLE
 *
 * An env is in exactly one of these states, a function of what it is doing
 * and what it was asked to do (env_state()); env_next() re-reads it after
 * every event and asserts that the change is one of those listed here.
 *
 *   ENV_PROBING     python3 on PATH is being asked for its site dirs: no
 *                   scan can start before it answers.
 *   ENV_SCANNING    a scan runs or is due (changes are pending, or there is
 *                   no index yet). Scans wait for the built-ins.
 *   ENV_BUILDING    a build runs (prepare, compile, link) or is due; a due
 *                   one waits for the toolchain, an index, and a running GC
 *                   (which could delete a library it would reuse). A scan
 *                   may run meanwhile: its new index overtakes the build.
 *   ENV_PUBLISHING  the build commits its generation: it is never
 *                   cancelled by a newer one, which waits for it.
 *   ENV_SETTLED     nothing runs or is due: the library is what the index
 *                   gives (or the last build's failure; a retry may be
 *                   timed). `library {wait}` is answered.
 *   ENV_STOPPING    gliad is stopping: nothing starts; what runs ends early.
 *   ENV_RELEASED    gone from gliad's list; freed once nothing in flight
 *                   refers to it (its scan, its probe, its waiters' run).
 *
 * Transitions (lifecycle_legal() in core/lifecycle.c; env_next() asserts
 * each one, so any other is caught where it happens):
 *
 *   BUILDING    -> PUBLISHING: only a running build commits
 *   PUBLISHING  -> BUILDING (the next one, that waited), SCANNING, SETTLED,
 *                  PROBING
 *   SETTLED     -> PROBING (SIGHUP asks python3 again), SCANNING, BUILDING
 *   PROBING, SCANNING, BUILDING -> one another, and SETTLED
 *   any of them -> STOPPING (gliad_stop), RELEASED (env_release)
 *   STOPPING    -> RELEASED
 *   RELEASED    -> (none: the end)
 *
 * Which precedes which when several hold: RELEASED, STOPPING, PUBLISHING,
 * BUILDING, PROBING, SCANNING, SETTLED (a build due while a scan runs is
 * BUILDING: its library is the next thing a client can have).
 */
#ifndef GLIA_ENV_H
#define GLIA_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "env_build.h"
#include "env_defs.h" /* struct env: the state the lifecycle below is about */

/* Dirs as an identity (envid.h): the existing ones, resolved. */
struct env_id {
    struct envid id;
    char **all; /* owned */
    char **own; /* into all */
};

/* prefix: the Python's (a registration's name), or NULL for dirs that are
 * all their own (a config env's). */
void env_id_init(struct env_id *out, const char *prefix, char *const *site, size_t n);
/* e's identity: a registered env's prefix is its name. */
void env_id_of(struct env_id *out, const struct env *e);
void env_id_free(struct env_id *id);

/* Remembers that the Python `name` joined e (no-op if known). */
void env_alias_add(struct env *e, const char *name);
int env_has_alias(const struct env *e, const char *name);
void env_alias_drop(struct env *e, const char *name);

/* The environment named `name` (NULL: the default one), or known by it
 * (a Python that joined it), or NULL. */
struct env *env_find(struct gliad *g, const char *name);
/* The environment the Python `py` is (envid.h's SAME; a config env before
 * a registered one), or NULL; *overlap: one it overlaps in part, or NULL. */
struct env *env_find_same(struct gliad *g, const struct env_id *py, struct env **overlap);

struct env *env_new(struct gliad *g, const char *name, char *const *site, size_t nsite);
/* Adds e to g's environments (g owns it from then on), with the library a
 * previous run published for it; the caller starts its scan. */
void env_add(struct gliad *g, struct env *e);
/* Removes e from g's environments and releases it. */
void env_remove(struct gliad *g, struct env *e);
/* Gives e new site dirs and rescans. */
void env_set_site(struct env *e, char *const *site, size_t nsite);
/* ENV_RELEASED: e's waiters end, its build is cancelled, its scan asked to
 * end; freed once nothing in flight refers to it. */
void env_release(struct env *e);
/* ENV_STOPPING (gliad is stopping): nothing starts any more, what runs is
 * cancelled or asked to end, the waiters end, the watches close. */
void env_stop(struct env *e);

/* The state, from what e is doing and was asked to do. */
enum env_state env_state(const struct env *e);
/* THE decision: starts what e was asked for and may start now (a scan, a
 * build), wakes the waiters whose wait is over, frees a released env that
 * nothing refers to any more. Called after every event. */
void env_next(struct env *e);
/* The same for every env, then starts a collection when one is due and no
 * build runs. */
void env_next_all(struct gliad *g);

/* Asks for a full rescan (coalesced with one already running). */
void env_scan(struct env *e);
/* Rescans what the watcher marked dirty (coalesced likewise). */
void env_scan_changes(struct env *e);
/* The number of the scan that will include every change seen so far
 * (starting it when none would); 0 when the index already does. */
uint64_t env_scan_covering(struct env *e);
/* The built-ins (part of every index) became known: envs scan. */
void env_builtins_ready(struct gliad *g);

/* Waits: w->fn runs once the env has an index (returns 0 without waiting
 * when it has one); once a scan that starts after now is published (so
 * the index reflects the disk as it is now, asking for one); once every
 * change seen so far is in the index, and those met meanwhile (a sync;
 * returns 0 without waiting when they are); once the env is settled. */
int env_wait_index(struct env *e, struct env_waiter *w);
void env_wait_rescan(struct env *e, struct env_waiter *w);
int env_wait_covered(struct env *e, struct env_waiter *w);
void env_wait_settled(struct env *e, struct env_waiter *w);

/* Finds the python3 on PATH and uses its site-packages dirs. */
void env_probe_python(struct env *e);

#endif
