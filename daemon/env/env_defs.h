/*
 * env_defs: an environment's state (struct env) and its flags, types only.
 * env.c's functions (env.h, with the lifecycle written down) sit above the
 * files that read this state: env_build.c (its builds and collections) and
 * watch.c (its watches), which reach env.c only through the hooks it gives
 * them.
 */
#ifndef GLIA_ENV_DEFS_H
#define GLIA_ENV_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "envid.h"
#include "lifecycle.h" /* enum env_state, and the transitions as pure functions */
#include "watch.h"

struct gliad;
struct index;
struct build;
struct generation;
struct build_report;
struct scan_job;

/* What an env was asked to do and has not started yet (env->want). */
#define ENV_WANT_SCAN 1u  /* scan what the watcher marked dirty */
#define ENV_WANT_BUILD 2u /* build the current index */
#define ENV_WANT_FORCE 4u /* ... ignoring the object and failure caches */
#define ENV_WANT_CLEAR 8u /* the next collection keeps its newest generation only */

/* Its lifetime (env->flags). */
#define ENV_F_PROBING 1u  /* a python3 probe is in flight (holds a reference) */
#define ENV_F_STOPPING 2u /* gliad is stopping */
#define ENV_F_RELEASED 4u /* gone from gliad's list */

/* How a wait ended (env_waiter.fn). */
enum env_wait_end { ENV_WAIT_OK, ENV_WAIT_GONE, ENV_WAIT_STOPPING };

/*
 * A wait on an env, owned by the waiter (an RPC call embeds one); the env
 * only links it. fn runs once: when the env got there, or when it never
 * will (removed, or gliad stopping).
 */
struct env_waiter {
    struct env_waiter *next;
    uint64_t scan; /* indexed waits: until this many scans are published */
    int follow;    /* and then follow changes found meanwhile (a sync) */
    int followed;  /* times it did */
    void (*fn)(struct env_waiter *w, enum env_wait_end end);
};

struct env_waiters {
    struct env_waiter *head, *tail;
};

struct env {
    struct gliad *g;
    char *name;
    char **site;
    size_t nsite;
    int registered; /* added by env.register, not by the config */
    /* Names of the Pythons that registered as this env (envid.h's SAME)
     * under another name: clients may address it by them. */
    char **aliases;
    size_t naliases, aliascap;
    enum config_backend backend;

    /* The lifecycle (see above). */
    enum env_state state; /* as env_next() last saw it */
    unsigned want;        /* ENV_WANT_* */
    unsigned flags;       /* ENV_F_* */
    int refs;             /* gliad's list, and each job or wake in flight */

    struct index *index;       /* NULL until the first scan ends */
    uint64_t version;          /* bumped per published index */
    struct scan_job *scan_job; /* on the worker pool, or NULL */
    uint64_t scans_started;
    uint64_t scans; /* finished */
    double last_scan_ms;
    struct env_waiters indexed; /* waiting for a scan to be published */
    struct env_waiters settled; /* waiting for ENV_SETTLED */

    struct build *build;         /* running, or NULL */
    uint64_t builds;             /* finished */
    struct generation *gen;      /* newest published library, or NULL */
    struct build_report *report; /* what the last finished build found */
    /* After a build that failed for reasons outside the mods: when the next
     * is due (now_ms() time, 0: none) and the wait after that one. */
    double retry_at;
    unsigned retry_delay_ms;

    struct watcher watcher;
};

#endif
