/*
 * store: gliad's durable state in SQLite (WAL) under state_dir.
 *
 * The loop owns one connection for small, fast statements (preferences,
 * built-ins). Workers that write in bulk (a scan's package index) open their
 * own connection with store_open_worker; WAL lets them write while the loop
 * reads, and every write is one transaction, so a crash loses at most the
 * write in progress and never leaves a half-written index. The loop's own
 * writes go through one writer thread (store_writer.h) and never wait here.
 *
 * Errors: a function that fails returns -1 (or NULL) and logs nothing;
 * store_error then says what SQLite said and what a person can do about
 * it, for the caller, which knows what was attempted, to report once.
 *
 * Every table's row is a struct below, bound and read by one helper each
 * in store.c: no caller counts columns.
 */
#ifndef GLIA_STORE_H
#define GLIA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

struct store;

/* Opens (creating and migrating) state_dir/gliad.db. NULL with err. */
struct store *store_open(const char *state_dir, char *err, size_t errlen);
/* A connection for a worker thread; same schema, no migration. */
struct store *store_open_worker(const char *state_dir, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_path(const struct store *s);
/* The database held nothing when store_open opened it: new, a 0-byte file,
 * or a damaged one store_open set aside (gliad.db.corrupt-<time>) and
 * replaced. What only the database knew (preferences) must come back from
 * elsewhere. */
int store_fresh(const struct store *s);

/* ---- Global preferences ---- */
typedef void (*store_pref_fn)(void *ud, const char *asset, const char *pkg, const char *variant);
int store_prefs_load(struct store *s, store_pref_fn fn, void *ud);
int store_pref_set(struct store *s, const char *asset, const char *pkg, const char *variant);
int store_pref_del(struct store *s, const char *asset);

/* ---- NEURON built-ins, cached per NEURON installation ---- */
typedef void (*store_builtin_fn)(void *ud, const char *name, const char *kind);
/* Returns how many were found for `neuron_id` (0: not cached), or -1. */
int store_builtins_load(struct store *s, const char *neuron_id, store_builtin_fn fn, void *ud);
int store_builtins_save(struct store *s, const char *neuron_id, const char *const *names,
                        const char *const *kinds, size_t n);

/* ---- Package index ---- */
/* Replaces everything stored for env with these packages, in one transaction. */
int store_index_save(struct store *s, const char *env, struct index_pkg *const *pkgs, size_t n);
/* Counts stored for env (for status after a restart). -1 on error. */
int store_index_count(struct store *s, const char *env, int *npkgs, int *nmods);

/* ---- Compile failures, by object key ---- */
/* 1 with malloc'd summary/detail when known, 0 when not, -1 on error. */
int store_failure_get(struct store *s, const char *key, char **summary, char **detail, int *line);
int store_failure_put(struct store *s, const char *key, const char *summary, const char *detail,
                      int line);

/* ---- Generations ---- */
/* A mechanism a generation's library holds. */
struct store_gen_mod {
    const char *full, *kind, *pkg, *asset, *variant, *path, *objkey;
};
/* A mod a generation left out, and why. */
struct store_gen_failure {
    const char *full, *pkg, *asset, *variant, *path;
    int line;
    const char *summary, *detail;
};
/* A mechanism's part: its package's own shared object (see build_parts.c). */
struct store_gen_part {
    const char *full, *pkg, *path;
};
struct store_generation {
    const char *env;
    const char *libkey;
    const char *path;
    const char *manifest;
    const struct store_gen_mod *mods;
    size_t nmods;
    const struct store_gen_failure *fails;
    size_t nfails;
    const struct store_gen_part *parts; /* none: the library has no parts */
    size_t nparts;
};
/* Records a published library as env's next generation, in one
 * transaction. Returns its number, or -1. */
int64_t store_generation_add(struct store *s, const struct store_generation *g);
/* The newest generation of env numbered below `before` (0: any). 1 when
 * found (malloc'd libkey and path), 0 when none, -1 on error. */
int store_generation_latest(struct store *s, const char *env, int64_t before, int64_t *gen,
                            char **libkey, char **path);
/* When env's generation gen was recorded (Unix time), 0 if unknown. */
int64_t store_generation_created(struct store *s, const char *env, int64_t gen);
/* Each row in the order recorded; the strings live during the call. */
typedef void (*store_gen_mod_fn)(void *ud, const struct store_gen_mod *m);
typedef void (*store_gen_failure_fn)(void *ud, const struct store_gen_failure *f);
int store_generation_mods(struct store *s, const char *env, int64_t gen, store_gen_mod_fn fn,
                          void *ud);
int store_generation_failures(struct store *s, const char *env, int64_t gen,
                              store_gen_failure_fn fn, void *ud);
typedef void (*store_gen_part_fn)(void *ud, const struct store_gen_part *pt);
int store_generation_parts(struct store *s, const char *env, int64_t gen, store_gen_part_fn fn,
                           void *ud);
/* Marks objects used now (for the size-bounded cache's LRU order). */
int store_objects_touch(struct store *s, char *const *keys, const int64_t *sizes, size_t n);

/* ---- Garbage collection ---- */
/* Records that process `pid` loaded env's generation `gen`. */
int store_loaded_add(struct store *s, const char *env, int64_t gen, int pid);
/* Forgets the loads of processes for which alive(pid) is false. */
int store_loaded_prune(struct store *s, int (*alive)(int pid));
/*
 * Drops env's generations beyond the newest `keep`, except those a live
 * client loaded. Returns (malloc'd, NULL-terminated) the library keys and
 * manifests no remaining generation of any env refers to, for the caller
 * to delete. -1 on error.
 */
int store_gc_generations(struct store *s, const char *env, int keep, char ***libkeys,
                         char ***manifests);
/* Least recently used objects to delete so the rest fit in max_bytes. */
int store_gc_objects(struct store *s, int64_t max_bytes, char ***keys);
/* Every env with generations, and every object key recorded (malloc'd,
 * NULL-terminated; NULL on error). */
char **store_generation_envs(struct store *s);
/* Every library key a generation names (what this gliad may still serve). */
char **store_generation_libkeys(struct store *s);
char **store_object_keys(struct store *s);

/* ---- Environments registered at runtime ---- */
int store_env_put(struct store *s, const char *name, char *const *site, size_t n);
int store_env_del(struct store *s, const char *name);
/* Files env `from`'s generations and the records of who loaded them
 * under `to` (an environment merged into another), numbered after those
 * `to` has. Returns the number added to each generation's, or -1. */
int64_t store_env_rename(struct store *s, const char *from, const char *to);
/* An environment a client registered. */
struct store_env {
    const char *name;
    const char *site; /* its site dirs, joined by newlines */
};
typedef void (*store_env_fn)(void *ud, const struct store_env *e);
int store_envs_load(struct store *s, store_env_fn fn, void *ud);

/* Why the last call that failed on this connection failed, with what to do
 * about it when there is something (a damaged database, a read-only state
 * dir, a full disk). */
const char *store_error(struct store *s);

#endif
