/*
 * build_internal: what build.c (the loop side) and its phases (build_prep.c,
 * build_link.c, build_load.c, build_parts.c, build_publish.c,
 * build_nrnivmodl.c, build_symbols.c) share about one build. Workers only
 * touch the fields their phase owns, never the env or the daemon.
 *
 * The calls go downwards only: build.c starts the phases; a phase calls
 * the phases below it (link: load, publish, symbols; load: parts, publish;
 * publish: parts; nrnivmodl: prep) and build_common.c, and hands the build
 * back to build.c through struct build_flow, never by calling build.c.
 */
#ifndef GLIA_BUILD_INTERNAL_H
#define GLIA_BUILD_INTERNAL_H

#include <stdatomic.h>
#include <uv.h>

#include "build_defs.h"
#include "index.h"
#include "proc.h"

enum item_state {
    ITEM_PENDING,   /* must be compiled */
    ITEM_READY,     /* its object is in the cache */
    ITEM_FAILED,    /* left out; diag says why */
    ITEM_DUPLICATE, /* another mod has its name; left out */
};

struct build_item {
    struct build *b;
    const struct index_mod *mod; /* the build holds its package */
    cache_key key;
    enum item_state state;
    int cached;    /* READY without compiling, or FAILED from the failure cache */
    int cacheable; /* a failure the same input would repeat: remember it */
    int outside;   /* FAILED for a reason outside the mod (fault.h): retried */
    int submitted;
    char *text; /* as built (renamed when plain); freed once compiled */
    char *work_dir;
    struct diag diag;
    int64_t obj_size;
};

enum build_phase { PHASE_PREPARE, PHASE_COMPILE, PHASE_LINK, PHASE_PUBLISH, PHASE_DONE };

/* build.c's steps that a phase hands the build on to (build.c sets them;
 * build_common.c's build_finish, build_publish, build_nrnivmodl_linked and
 * build_unref call them). */
struct build_flow {
    void (*finish)(struct build *b);
    void (*publish)(struct build *b);
    void (*nrnivmodl_linked)(struct build *b);
    void (*destroy)(struct build *b); /* the last reference is gone */
};

#define BUILD_STALE 1u    /* cancelled: the step in flight ends, nothing follows */
#define BUILD_FINISHED 2u /* its owner was told how it ended */

struct build {
    struct build_hooks hooks;
    const struct build_flow *flow;
    uv_loop_t *loop;
    struct store *store;
    struct store_writer *writer;
    struct compiler *compiler;
    const struct toolchain *tc;
    struct build_symbols *symbols;
    uint64_t id;
    int force;
    /* Lifetime (libuv's handle idiom): one reference for the owner, dropped
     * by build_finish or build_cancel, and one per step in flight (a worker,
     * a process, a file being placed); freed by the last. The flags are
     * read by the workers. */
    int refs;
    atomic_uint flags; /* BUILD_* */
    enum build_phase phase;
    double t0;
    double link_t0; /* the link phase started linking (0: it had nothing to link) */

    struct index_pkg **pkgs; /* references, so the items' mods stay */
    size_t npkgs;
    struct build_item *items;
    size_t n;
    size_t left, compiled, cached, failed;
    size_t outside;    /* items that failed for reasons outside them */
    char *outside_why; /* the first of those reasons */
    int error_outside; /* b->error is the environment's fault, not a mod's */

    /* Set on the loop before prepare; read by the workers. */
    char *cache_dir;
    char *state_dir;
    char *toolchain_id;
    char *env_name;
    char *backend;
    int nrnivmodl;
    int jobs;

    cache_key libkey;
    int lib_exists;     /* the cache already holds this library */
    char *link_dir;     /* tmp dir of the link */
    char *error;        /* the build as a whole failed */
    int64_t generation; /* published number */
    char *lib_path;

    struct build_link *link;   /* the direct backend's link phase */
    struct build_load *load;   /* its last step: link the library, load it */
    struct build_parts *parts; /* then each package's part */
    cache_key *pkg_keys;       /* per package: its isolated object's key, or "" */
    /* Per package: its part in the cache (a shared object of its isolated
     * object and its own registration file), or NULL when it has none. */
    char **part_objs;
    /* Per package: its part's path in the published library dir, once it
     * is there (publish). */
    char **part_paths;

    struct proc *proc;
};

/* The key of the item's mod as its files are now; -1 when they cannot be
 * read or no longer name the mechanism. After a failure: a verdict on a
 * text that is no longer there belongs to nobody. */
int build_item_rekey(const struct build *b, const struct build_item *it, cache_key out);
/* The library at b->lib_path exists and matches its seal (artifact.h), or
 * has none (then sealed on a worker); logs what is wrong when it does not.
 * Loop thread: the digest is read once per library as it is on disk. */
int build_library_sound(const struct build *b);
/* The same for any library path: 0, or -1 with the reason in why. */
int build_library_check(uv_loop_t *loop, const char *path, char *why, size_t whylen);
/* Worker (work.h, ctx: the build): fills items (keys, texts, cached
 * state, work dirs). */
void build_prepare_work(void *ctx);
/* Worker (ctx: the build): library and manifest in place, generation
 * recorded. */
void build_publish_work(void *ctx);
/* Loop: the failure cache keeps its verdict (a tool's own on this input:
 * the same input fails the same way), written on the store's writer. */
void build_failure_remember(struct build *b, const struct build_item *it);

/* build_nrnivmodl.c: the link phase by the installation's nrnivmodl; ends
 * in build_nrnivmodl_linked. */
void build_nrnivmodl(struct build *b);

/* build_common.c: back to build.c (through b->flow). */
void build_finish(struct build *b);  /* report, keep or drop the result */
void build_publish(struct build *b); /* b->lib_path's library becomes a generation */
/* After nrnivmodl: publish what it made, or finish with b->error. */
void build_nrnivmodl_linked(struct build *b);

/* build_common.c: what the phases share. */
/* A step in flight holds the build: begin before it starts, end when it
 * is back (1: the build was cancelled meanwhile and may be gone: stop
 * touching it). */
void build_step_begin(struct build *b);
int build_step_end(struct build *b);
void build_unref(struct build *b); /* the last one frees b (flow->destroy) */
/* The items linked into the library, in link order: ready ones. */
int build_item_linked(const struct build_item *it);
void build_compute_libkey(struct build *b);      /* libkey and lib_path of the linked items */
int build_cmp_key(const void *a, const void *b); /* qsort of char * keys */
/* The library its owner serves now (hooks.current), or NULL. */
const struct generation *build_current(const struct build *b);
/* Runs argv in the link dir; done(b, ...) follows unless it cannot start,
 * in which case the build ends with the reason (and -1 is returned). */
int build_run(struct build *b, char **argv, proc_done_fn done, size_t max_output);
int build_run_in(struct build *b, const char *cwd, char **argv, proc_done_fn done,
                 size_t max_output);
int build_resumed(struct build *b); /* in a step's callback: 0 if the build went away */
int build_proc_failed(const struct proc_result *r);
/* The tool's output, its paths of cached objects named by mod file and
 * package; malloc'd, clipped. */
char *build_tool_words(const struct build *b, const char *tool, const struct proc_result *r);
int build_in_pkg(const struct build *b, const struct build_item *it, size_t p); /* linked */
void build_leave_out(struct build_item *it, const char *stage, const char *msg, const char *detail);

/* The environment's registration file for the packages chosen (by index). */
int build_write_mod_func(const struct build *b, const unsigned char *chosen, const char *path);
/* The command line of a shared link against libnrniv, before its own
 * `-o out src objs`, with room for `more` after it (n filled); owned[0..1]
 * are to be freed with it. */
char **build_shared_argv(const struct build *b, size_t more, size_t *n, char *owned[2]);

/* build_publish.c: leases the library b->libkey names before it is published or reused, so
 * that another gliad's collection on a shared cache leaves it alone; on a
 * worker, then(b) follows on the loop unless the build went away. */
void build_lease(struct build *b, void (*then)(struct build *b));

/* build_link.c: the direct backend's link phase (see there); ends in
 * build_publish or build_finish. */
void build_link_start(struct build *b);
void build_link_free(struct build_link *lk);

/* build_load.c: links the packages whose objects are given (NULL: none)
 * into the library, loads it in nrniv, and leaves out what NEURON refuses;
 * ends in build_publish or build_finish. */
void build_load_start(struct build *b, char *const *pkg_objs);
/* The nrnivmodl backend's link_dir/libglia.so, loaded by nrniv: published
 * if NEURON loads it, else the build fails with NEURON's words. */
void build_load_verify(struct build *b);
void build_load_free(struct build_load *ld);

/* build_parts.c: after the library loaded, each package's part (from the
 * cache, else linked now); ends in build_publish, with the parts in
 * b->part_objs (NULL: none could be made). */
void build_parts_start(struct build *b);
/* Worker, publishing: the parts hard-linked into the staged library dir
 * `dir`, each sealed; when they cannot all be, none is (logged). */
void build_parts_place(struct build *b, const char *dir);
/* Worker, once the library is in its dir `dir` (published now or before):
 * b->part_paths, when every package of the library has its part there. */
void build_parts_found(struct build *b, const char *dir);
void build_parts_free(struct build *b);
/* Package p's part's key in the cache (p has a package object). */
void build_part_key(const struct build *b, size_t p, cache_key out);

/* build_symbols.c: NEURON's symbols, for the link. */
int build_symbols_usable(const struct build_symbols *s); /* read, and complete */
int build_symbols_defined(const struct build_symbols *s, const char *name);
/* Calls resume(b) once they are read (now, if they are). */
void build_symbols_wait(struct build *b, void (*resume)(struct build *));
void build_symbols_unwait(struct build *b); /* b goes away */

#endif
