/*
 * gliad_defs: the daemon's context, passed to every subsystem that needs
 * more than its own state. There is no global daemon object: whatever is
 * reached goes through this struct. Types only: the functions of the
 * daemon as a whole (gliad.h) sit above every layer that reads this.
 */
#ifndef GLIA_GLIAD_DEFS_H
#define GLIA_GLIAD_DEFS_H

#include <stdint.h>
#include <uv.h>

#include "compile.h"
#include "config.h"
#include "strmap.h"
#include "toolchain.h"

#define GLIAD_VERSION "0.1.0"
#define GLIAD_PROTOCOL 1

struct store;
struct store_writer;
struct server;
struct env;
struct env_id;
struct index_pkg;
struct syncer;
struct build_note;

/* What the environments tell the daemon (gliad.c routes it to clients). */
struct env_events {
    void *ud;
    void (*indexed)(void *ud, const struct env *e); /* published a new index */
    void (*build)(void *ud, const struct env *e, const struct build_note *n);
};

/* One global preference: what `gliactl select` stored. */
struct pref {
    char *asset;
    char *pkg;     /* NULL: unset */
    char *variant; /* NULL: unset */
};

struct gliad {
    uv_loop_t *loop;
    struct config cfg; /* the config file's, with the command line's overrides */
    char *config_path;
    /* The command line's --socket and --log-level (NULL, -1: not given).
     * They override the config file at startup and at every SIGHUP. */
    const char *cli_socket; /* in argv */
    int cli_log_level;
    struct store *store;         /* the loop's: reads at startup, cheap reads */
    struct store_writer *writer; /* the loop's writes (store_writer.h) */
    struct server *server;

    struct env **envs;
    size_t nenvs, envcap;

    /* NEURON's own mechanisms as a package; NULL until known. */
    struct index_pkg *builtins;
    int builtins_ready;

    struct strmap prefs; /* asset -> struct pref* */
    uint64_t prefs_version;

    struct toolchain tc;
    struct compiler compiler;
    /* What NEURON's libraries define, read in the background from startup
     * on (see build_symbols.c). */
    struct build_symbols *neuron_symbols;
    uint64_t next_build_id;
    int gc_running, gc_wanted;
    /* env.c's env_next_all, which env_build.c calls when a build or a
     * collection ends: set by env_build_init(). */
    void (*env_next_all)(struct gliad *g);
    struct syncer *sync;
    struct env_events events;

    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t watchdog;
    uv_timer_t lease_timer;    /* renews this gliad's lease in the cache (lease.h) */
    struct timer *build_retry; /* due when the first env's retry is (build.c) */
    int ready;                 /* READY=1 sent: every env has an index */
    int stopping;              /* gliad_stop ran: every env is ENV_STOPPING */
    double started_ms;
};

#endif
