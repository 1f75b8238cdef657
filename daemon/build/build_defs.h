/*
 * build_defs: what a build is given and gives back (spec, hooks, notes,
 * reports, generations), types only. build.h's functions sit above the
 * build's phases, which read these types (build_internal.h).
 */
#ifndef GLIA_BUILD_DEFS_H
#define GLIA_BUILD_DEFS_H

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

#endif
