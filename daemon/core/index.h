/*
 * index: what one environment offers, asset name -> candidate mechanisms.
 *
 * An index is built whole (by a scan, on a worker thread) and then published
 * to the loop, where it is only read: requests never see a half-built one.
 * Packages are reference counted so that a rescan of one package can build a
 * new index sharing every other package with the old one.
 */
#ifndef GLIA_INDEX_H
#define GLIA_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "modfile.h"
#include "resolve.h"
#include "strmap.h"

#define INDEX_NEURON_PKG "NEURON"

enum index_layout {
    INDEX_GLIA0,  /* <module>/mod/glia__<pkg>__<asset>__<variant>.mod */
    INDEX_GLIA4,  /* <module>/mods/ (any depth) <asset>__<variant>.mod */
    INDEX_BUILTIN /* NEURON's own mechanisms */
};

/* Something a scan could not use, kept for status, log and show-package. */
struct index_problem {
    char *file; /* path, or NULL */
    int line;   /* 0 when not about a line */
    char *reason;
};

struct index_pkg;

struct index_mod {
    struct index_pkg *pkg;
    char *path;    /* absolute path of the .mod (NULL for built-ins) */
    char *relpath; /* relative to the package's module dir, for messages */
    char *full;    /* NEURON name as built: glia__<pkg>__<asset>__<variant> */
    char *asset;
    char *variant;
    char *pkgname; /* the package part of `full` */
    int renamed;   /* the file's own name is plain; the build rewrites it */
    /* The file's identity when it was parsed, to skip reparsing it. */
    int64_t mtime_ns;
    int64_t size;
    uint64_t ino;
    uint64_t inc_sig; /* the same, of every file it includes (0: none) */
    struct modfile_info info;
    /* A mod gliad's parser rejected, named from its file: a candidate all
     * the same (so that asking for it says why it fails), never built. */
    char *reject_reason;
    int reject_line;
};

struct index_pkg {
    int refs;
    char *name;      /* package name (as in the mechanism names) */
    char *entry;     /* entry point name */
    char *module;    /* dotted module */
    char *version;   /* from the dist-info name, or NULL */
    char *dist_info; /* absolute path of the *.dist-info dir */
    char *site;      /* the site-packages dir it was found in */
    char *root;      /* the module's directory (source dir for editable installs) */
    int editable;
    enum index_layout layout;
    struct index_mod *mods;
    size_t nmods;
    struct index_mod *rejected; /* see index_mod.reject_reason */
    size_t nrejected;
    struct index_problem *problems;
    size_t nproblems;
};

/* Every candidate of one asset, in a stable order. */
struct index_asset {
    const char *name;
    struct index_mod **mods;
    struct resolve_cand *cands; /* parallel to mods, for resolve() */
    size_t n;
};

struct index {
    struct index_pkg **pkgs; /* sorted by name, then site order */
    size_t npkgs;
    struct strmap assets;           /* asset name -> struct index_asset* */
    struct strmap fulls;            /* full name -> struct index_mod* */
    struct index_problem *problems; /* site-level problems (missing dir, ...) */
    size_t nproblems;
    size_t nmods; /* excluding built-ins */
};

/* Takes a reference on each package (and on `builtins` when not NULL) and
 * builds the lookup tables. Site-level problems are moved in. */
struct index *index_build(struct index_pkg **pkgs, size_t npkgs, struct index_pkg *builtins,
                          struct index_problem *problems, size_t nproblems);
void index_free(struct index *idx);

const struct index_asset *index_asset(const struct index *idx, const char *asset);
const struct index_mod *index_mod_by_full(const struct index *idx, const char *full);
struct index_pkg *index_pkg_by_name(const struct index *idx, const char *name);

struct index_pkg *index_pkg_new(void);
void index_pkg_ref(struct index_pkg *p);
void index_pkg_unref(struct index_pkg *p);
void index_pkg_problem(struct index_pkg *p, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void index_problem_add(struct index_problem **v, size_t *n, const char *file, int line,
                       const char *reason);
void index_problems_free(struct index_problem *v, size_t n);

const char *index_layout_name(enum index_layout l);

/* Same package as far as the index and the build can tell (same files,
 * same stat identity, same problems): a rescan found nothing new. */
int index_pkg_same(const struct index_pkg *a, const struct index_pkg *b);
int index_problems_same(const struct index_problem *a, size_t na, const struct index_problem *b,
                        size_t nb);

#endif
