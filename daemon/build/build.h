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
 */
#ifndef GLIA_BUILD_H
#define GLIA_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "diag.h"
#include "strmap.h"

struct env;
struct gliad;

/* A failed mechanism, as `gliactl log` shows it. */
struct build_failure {
    char *full, *pkg, *asset, *variant, *path;
    int line;
    char *summary;
    char *detail;
    /* The file as the build saw it (index_mod's identity); known = 0 when
     * read back from SQLite at startup. */
    int known;
    int64_t mtime_ns, size;
    uint64_t ino, inc_sig;
};

/* One package's part of a library: its mechanisms alone, in a shared
 * object of their own (build_parts.c). */
struct generation_part {
    char *pkg;
    char *path;
    char **names; /* full names it registers */
    size_t nnames;
};

/* A published library. */
struct generation {
    int64_t number;
    cache_key libkey;
    char *path;
    int64_t created;     /* Unix time it was published, 0 if unknown */
    struct strmap fulls; /* full names it holds -> (void *)1 */
    char **names;        /* owns the keys of `fulls` */
    size_t nnames;
    /* Every mechanism of names in exactly one part; none (0) when the
     * library has no parts (nrnivmodl's, or one made before parts). */
    struct generation_part *parts;
    size_t nparts;
};

/* What the last finished build of an env found. */
struct build_report {
    uint64_t id;
    int ok;        /* a library is published (or unchanged) */
    int unchanged; /* the same set as the current generation */
    size_t total, compiled, cached, failed;
    double ms;
    double link_ms; /* of ms, linking packages and library and loading it (0: none) */
    char *error; /* why no library came out (link failure...), or NULL */
    int outside; /* error is the environment's fault (fault.h): retried */
    struct build_failure *failures;
    size_t nfailures;
    struct strmap by_full; /* full -> struct build_failure* */
};

/* Starts a build of env's current index, replacing (cancelling) one that
 * runs. force: ignore the object and failure caches. */
void build_start(struct env *e, int force);
/* Stops env's build, if any; `why` ends the log line ("build N cancelled:
 * <why>"). */
void build_cancel(struct env *e, const char *why);

/* Where a failed mod was left out: "compile" (nocmodl, cc, or before),
 * "link" (it needs a symbol nothing defines) or "load" (NEURON refused its
 * package). Read from the summary, which is all a restart keeps. */
const char *build_failure_stage(const struct build_failure *f);

/* The failure of m in env's last build, or NULL: also NULL when the
 * failure was of other content than m's file has now (it changed or was
 * replaced since), which has not failed, or not yet. */
struct index_mod;
const struct build_failure *build_failure_of(const struct env *e, const struct index_mod *m);

/* The daemon's retry timer (see build.c): initialised at startup, closed
 * when gliad stops. */
void build_retry_init(struct gliad *g);
void build_retry_close(struct gliad *g);

/* Reads env's newest generation (and its failures) from SQLite at startup. */
void build_load_generation(struct env *e);

/* Starts reading what NEURON's libraries define (g->neuron_symbols), which
 * every link checks the packages' objects against. Once per gliad, once
 * the toolchain is detected. */
struct build_symbols;
void build_symbols_load(struct gliad *g);
void build_symbols_free(struct build_symbols *s);

void generation_free(struct generation *g);
void build_report_free(struct build_report *r);

#endif
