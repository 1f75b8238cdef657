/*
 * env: one Python environment gliad serves: its site-packages dirs and the
 * index of what they hold.
 *
 * Scans run on libuv's worker pool; the loop only publishes their results.
 * A scan asked for while one runs is remembered and started after it, so
 * requests never wait on more than one scan and scans never overlap.
 */
#ifndef GLIA_ENV_H
#define GLIA_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "envid.h"
#include "methods.h"
#include "watch.h"

struct gliad;
struct index;
struct build;
struct generation;
struct build_report;
struct scan_job;

struct env {
    struct gliad *g;
    char *name;
    char **site;
    size_t nsite;
    int probing; /* site dirs still to come from python3 on PATH */

    struct index *index; /* NULL until the first scan ends */
    uint64_t version;    /* bumped per published index */
    int scanning;        /* a scan job is on the worker pool */
    struct scan_job *scan_job; /* that job, while it runs */
    int scan_wanted;     /* another scan was asked for meanwhile */
    uint64_t scans_started;
    uint64_t scans; /* finished */
    double last_scan_ms;
    struct callq waiting; /* calls waiting for the next published index */
    int released;         /* gone from g's list: freed once nothing in flight uses it */
    int waking;           /* running its parked calls (one may release it) */

    enum config_backend backend;
    struct build *build;          /* running, or NULL */
    uint64_t builds;              /* finished */
    int build_wanted;             /* start one when possible; 2: a forced one */
    int clear_wanted;             /* the next collection keeps its newest generation only */
    struct generation *gen;       /* newest published library, or NULL */
    struct build_report *report;  /* what the last finished build found */
    struct callq lib_waiting;     /* `library` calls waiting for builds to settle */
    /* After a build that failed for reasons outside the mods: when the next
     * is due (now_ms() time, 0: none) and the wait after that one. */
    double retry_at;
    unsigned retry_delay_ms;

    struct watcher watcher;
    int registered; /* added by env.register, not by the config */
    /* Names of the Pythons that registered as this env (envid.h's SAME)
     * under another name: clients may address it by them. */
    char **aliases;
    size_t naliases, aliascap;
};

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

struct env *env_new(struct gliad *g, const char *name, char *const *site, size_t nsite);
/* Adds e to g's environments (g owns it from then on), with the library a
 * previous run published for it; the caller starts its scan. */
void env_add(struct gliad *g, struct env *e);
/* Removes e from g's environments and releases it. */
void env_remove(struct gliad *g, struct env *e);
/* Gives e new site dirs and rescans. */
void env_set_site(struct env *e, char *const *site, size_t nsite);
/* Frees e once nothing in flight refers to it: its scan, its python3
 * probe, the calls it is running, its timers closing. */
void env_release(struct env *e);

/* Asks for a full rescan (coalesced with one already running). */
void env_scan(struct env *e);
/* Asks the running scan, if any, to end early (the daemon is stopping). */
void env_stop_scan(struct env *e);
/* Rescans what the watcher marked dirty (coalesced likewise). */
void env_scan_changes(struct env *e);
/* The number of the scan that will include every change seen so far
 * (starting it when none would); 0 when the index already does. */
uint64_t env_scan_covering(struct env *e);

/* Parks c until a scan that starts after this moment has been published
 * (so it reflects the disk as it is now), asking for one. The call runs
 * again afterwards with c->wait_for set. Returns CALL_WAIT. */
enum call_state env_wait_scan(struct env *e, struct call *c);

/* For methods that need an index: when the env has none yet, parks c and
 * returns 1; else 0. */
int env_park_until_indexed(struct env *e, struct call *c);

/* No build runs or is due: wakes the calls waiting for the library. */
void env_build_settled(struct env *e);
/* True while the library may still change because of what is known now
 * (a scan or build running or due). */
int env_busy(const struct env *e);

/* Finds the python3 on PATH and uses its site-packages dirs. */
void env_probe_python(struct env *e);

#endif
