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

#include "cache.h"
#include "diag.h"
#include "strmap.h"

struct index;
struct store;
struct store_writer;
struct compiler;
struct toolchain;
struct build_symbols;
struct build;
typedef struct uv_loop_s uv_loop_t;

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
    char *error;    /* why no library came out (link failure...), or NULL */
    int outside;    /* error is the environment's fault (fault.h): retried */
    struct build_failure *failures;
    size_t nfailures;
    struct strmap by_full; /* full -> struct build_failure* */
};

/* What to build, and with what; the pointers outlive the build. */
struct build_spec {
    uint64_t id;
    const char *env_name;      /* copied: for logs, the manifest and the store */
    const struct index *index; /* its packages are referenced, not copied */
    int force;                 /* ignore the object and failure caches */
    int nrnivmodl;             /* the installation's nrnivmodl links, not gliad */
    int jobs;                  /* compilers run at once ([daemon] jobs) */
    uv_loop_t *loop;
    struct store *store;         /* the loop's, for reads */
    struct store_writer *writer; /* the loop's writes */
    struct compiler *compiler;
    const struct toolchain *tc;
    struct build_symbols *symbols;
    const char *cache_dir, *state_dir;
};

/* Where a build is, as its notifications tell it (build.started,
 * build.progress, build.finished); final: the last one. */
struct build_note {
    const char *event;
    const char *env;
    uint64_t id;
    size_t done, total;
    int final;
    int ok;
    int64_t generation;
    size_t compiled, cached, failed;
    const char *error;
};

/* What a build asks and tells the one that started it; ud is theirs. */
struct build_hooks {
    void *ud;
    /* The library served now (NULL: none): a set equal to it is not
     * published again. */
    const struct generation *(*current)(void *ud);
    /* The env's name now: it changes when a config env takes it over. */
    const char *(*env_name)(void *ud);
    /* pkg is named by a global preference (kept first in a conflict). */
    int (*preferred)(void *ud, const char *pkg);
    void (*note)(void *ud, const struct build_note *n);
    /* The end: takes r, and gen when a new generation was published
     * (NULL: none, or the same as current). The build is gone after it. */
    void (*done)(void *ud, const struct build_note *n, struct build_report *r,
                 struct generation *gen);
};

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

/* Starts reading what NEURON's libraries define, which every link checks
 * the packages' objects against. Once per gliad, once the toolchain is
 * detected. */
struct build_symbols *build_symbols_load(uv_loop_t *loop, const struct toolchain *tc);
void build_symbols_free(struct build_symbols *s);

void generation_free(struct generation *g);
void build_report_free(struct build_report *r);

#endif
