/*
 * gliad: the daemon's context, passed to every subsystem that needs more
 * than its own state. There is no global daemon object: whatever is reached
 * goes through this struct.
 */
#ifndef GLIA_GLIAD_H
#define GLIA_GLIAD_H

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
    struct syncer *sync;

    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t watchdog;
    uv_timer_t lease_timer; /* renews this gliad's lease in the cache (lease.h) */
    uv_timer_t build_retry; /* due when the first env's retry is (build.c) */
    int ready; /* READY=1 sent: every env has an index */
    int stopping;
    double started_ms;
};

/* Starts shutting down: stop accepting, answer what is in flight, and let
 * the loop run dry. Safe to call twice. */
void gliad_stop(struct gliad *g, const char *why);

/* The environment named `name` (NULL: the default one), or known by it
 * (a Python that joined it), or NULL. */
struct env *gliad_env(struct gliad *g, const char *name);

/* The environment the Python `py` is (envid.h's SAME; a config env before
 * a registered one), or NULL; *overlap: one it overlaps in part, or NULL. */
struct env *gliad_env_same(struct gliad *g, const struct env_id *py, struct env **overlap);

/* Called when something every environment's index depends on changes
 * (the built-ins became known). */
void gliad_builtins_ready(struct gliad *g);

/* Puts the command line's overrides (cli_socket, cli_log_level) into c, a
 * config just read from the file. */
void gliad_apply_cli(const struct gliad *g, struct config *c);

/* The environments of the config, then those clients registered. */
void gliad_add_envs(struct gliad *g);
/* An env published an index: tells systemd READY=1 once all have. */
void gliad_env_indexed(struct gliad *g);
/* Makes the personal collection's dir ([daemon] collection) when missing. */
void gliad_make_collection(struct gliad *g);
/* SIGHUP: reads the config again; environments follow it. */
void gliad_reload(struct gliad *g);
void gliad_on_signal(uv_signal_t *h, int signum);

#endif
