/*
 * gc: see gc.h.
 */
#include "gc.h"
#include "cache.h"
#include "lease.h"
#include "log.h"
#include "os.h"
#include "store.h"
#include "strmap.h"
#include "util.h"
#include "work.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How old an object no build recorded must be before it goes. */
#define UNRECORDED_TTL_S 3600

struct gc_job {
    void (*done)(void *ud);
    void *ud;
    char *state_dir, *cache_dir;
    char **envs;
    int *keep; /* per env: generations kept */
    size_t nenvs;
    int64_t max_bytes;
    size_t libs, objects; /* removed */
};

static int alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void drop_generations(struct gc_job *j, struct store *s, const char *env, int keep)
{
    char **libkeys = NULL, **manifests = NULL;
    if (store_gc_generations(s, env, keep, &libkeys, &manifests) < 0)
        log_warn("gc: cannot drop the old generations of %s: %s", env, store_error(s));
    else {
        for (size_t i = 0; libkeys && libkeys[i]; i++) {
            if (lease_held(j->cache_dir, libkeys[i])) {
                log_debug("gc: library %s stays: another gliad sharing the cache leases it",
                          libkeys[i]);
                continue;
            }
            char *dir = cache_library_dir(j->cache_dir, libkeys[i]);
            remove_tree(dir);
            free(dir);
            j->libs++;
        }
        for (size_t i = 0; manifests && manifests[i]; i++)
            unlink(manifests[i]);
    }
    free_list(libkeys);
    free_list(manifests);
}

/* Envs gliad no longer serves (forgotten, or gone from the config) keep
 * only what a live process loaded. */
static void drop_unserved(struct gc_job *j, struct store *s)
{
    char **envs = store_generation_envs(s);
    for (size_t i = 0; envs && envs[i]; i++) {
        size_t k = 0;
        while (k < j->nenvs && strcmp(j->envs[k], envs[i]) != 0)
            k++;
        if (k == j->nenvs)
            drop_generations(j, s, envs[i], 0);
    }
    free_list(envs);
}

/* Objects no build recorded (it was cancelled, or failed to link) are
 * outside the LRU bound: they go once they are an hour old, which no
 * build in flight can be (none runs during a collection). */
static void sweep_unrecorded(struct gc_job *j, struct store *s)
{
    char **keys = store_object_keys(s);
    if (!keys)
        return;
    struct strmap known;
    strmap_init(&known);
    for (size_t i = 0; keys[i]; i++)
        strmap_put(&known, keys[i], keys);
    char *top = cache_objects_dir(j->cache_dir);
    DIR *d = opendir(top);
    struct dirent *de;
    time_t old = time(NULL) - UNRECORDED_TTL_S;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = xprintf("%s/%s", top, de->d_name);
        DIR *sd = opendir(sub);
        struct dirent *oe;
        while (sd && (oe = readdir(sd))) {
            size_t n = strlen(oe->d_name);
            if (n != HASH_HEX_LEN + 2 || !str_has_suffix(oe->d_name, ".o"))
                continue;
            char key[HASH_HEX_LEN + 1];
            memcpy(key, oe->d_name, HASH_HEX_LEN);
            key[HASH_HEX_LEN] = '\0';
            char *path = xprintf("%s/%s", sub, oe->d_name);
            struct stat st;
            if (!strmap_get(&known, key) && lstat(path, &st) == 0 && st.st_mtime < old &&
                unlink(path) == 0)
                j->objects++;
            free(path);
        }
        if (sd)
            closedir(sd);
        free(sub);
    }
    if (d)
        closedir(d);
    free(top);
    strmap_free(&known);
    free_list(keys);
}

static void gc_work(void *ctx)
{
    struct gc_job *j = ctx;
    char err[256];
    struct store *s = store_open_worker(j->state_dir, err, sizeof(err));
    if (!s) {
        log_warn("gc: %s", err);
        return;
    }
    if (store_loaded_prune(s, alive) < 0)
        log_warn("gc: cannot forget the loads of exited processes: %s", store_error(s));
    for (size_t i = 0; i < j->nenvs; i++)
        drop_generations(j, s, j->envs[i], j->keep[i]);
    drop_unserved(j, s);
    char **keys = NULL;
    if (store_gc_objects(s, j->max_bytes, &keys) < 0)
        log_warn("gc: cannot choose the objects beyond cache_max_mb: %s", store_error(s));
    else
        for (size_t i = 0; keys && keys[i]; i++) {
            char *obj = cache_object_path(j->cache_dir, keys[i]);
            unlink(obj);
            free(obj);
            j->objects++;
        }
    free_list(keys);
    sweep_unrecorded(j, s);
    /* What this gliad no longer keeps, it no longer leases. */
    if ((keys = store_generation_libkeys(s)) != NULL)
        lease_write(j->cache_dir, keys);
    free_list(keys);
    store_close(s);
}

static void gc_done(void *ctx)
{
    struct gc_job *j = ctx;
    if (j->libs || j->objects)
        log_info("gc: removed %zu libraries and %zu objects", j->libs, j->objects);
    strv_free(j->envs, j->nenvs);
    free(j->keep);
    free(j->state_dir);
    free(j->cache_dir);
    j->done(j->ud);
    free(j);
}

void gc_start(uv_loop_t *loop, const struct gc_spec *spec, void (*done)(void *ud), void *ud)
{
    struct gc_job *j = xcalloc(1, sizeof(*j));
    j->done = done;
    j->ud = ud;
    j->state_dir = xstrdup(spec->state_dir);
    j->cache_dir = xstrdup(spec->cache_dir);
    j->max_bytes = spec->max_bytes;
    j->envs = xcalloc(spec->nenvs + 1, sizeof(*j->envs));
    j->keep = xcalloc(spec->nenvs + 1, sizeof(*j->keep));
    for (size_t i = 0; i < spec->nenvs; i++) {
        j->keep[i] = spec->keep[i];
        j->envs[i] = xstrdup(spec->envs[i]);
    }
    j->nenvs = spec->nenvs;
    work_submit(loop, gc_work, gc_done, j);
}
