/*
 * gc: see gc.h.
 */
#include "gc.h"
#include "build.h"
#include "cache.h"
#include "env.h"
#include "gliad.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gc_job {
    uv_work_t req;
    struct gliad *g;
    char *state_dir, *cache_dir;
    char **envs;
    size_t nenvs;
    int keep;
    int64_t max_bytes;
    size_t libs, objects; /* removed */
};

static int alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void drop_generations(struct gc_job *j, struct store *s, const char *env)
{
    char **libkeys = NULL, **manifests = NULL;
    if (store_gc_generations(s, env, j->keep, &libkeys, &manifests) == 0) {
        for (size_t i = 0; libkeys && libkeys[i]; i++) {
            char *dir = cache_library_dir(j->cache_dir, libkeys[i]);
            remove_tree(dir);
            free(dir);
            j->libs++;
        }
        for (size_t i = 0; manifests && manifests[i]; i++)
            unlink(manifests[i]);
    }
    for (size_t i = 0; libkeys && libkeys[i]; i++)
        free(libkeys[i]);
    for (size_t i = 0; manifests && manifests[i]; i++)
        free(manifests[i]);
    free(libkeys);
    free(manifests);
}

static void gc_work(uv_work_t *req)
{
    struct gc_job *j = req->data;
    char err[256];
    struct store *s = store_open_worker(j->state_dir, err, sizeof(err));
    if (!s) {
        log_warn("gc: %s", err);
        return;
    }
    store_loaded_prune(s, alive);
    for (size_t i = 0; i < j->nenvs; i++)
        drop_generations(j, s, j->envs[i]);
    char **keys = NULL;
    if (store_gc_objects(s, j->max_bytes, &keys) == 0)
        for (size_t i = 0; keys && keys[i]; i++) {
            char *obj = cache_object_path(j->cache_dir, keys[i]);
            unlink(obj);
            free(obj);
            j->objects++;
        }
    for (size_t i = 0; keys && keys[i]; i++)
        free(keys[i]);
    free(keys);
    store_close(s);
}

static void gc_done(uv_work_t *req, int status)
{
    struct gc_job *j = req->data;
    struct gliad *g = j->g;
    (void)status;
    if (j->libs || j->objects)
        log_info("gc: removed %zu libraries and %zu objects", j->libs, j->objects);
    g->gc_running = 0;
    for (size_t i = 0; i < g->nenvs; i++)
        if (g->envs[i]->build_wanted)
            build_start(g->envs[i], 0);
    strv_free(j->envs, j->nenvs);
    free(j->state_dir);
    free(j->cache_dir);
    free(j);
    if (g->gc_wanted)
        gc_request(g);
}

void gc_request(struct gliad *g)
{
    int building = 0;
    for (size_t i = 0; i < g->nenvs; i++)
        building |= g->envs[i]->build != NULL;
    if (g->gc_running || building || g->stopping) {
        g->gc_wanted = !g->stopping;
        return;
    }
    g->gc_wanted = 0;
    g->gc_running = 1;
    struct gc_job *j = xcalloc(1, sizeof(*j));
    j->req.data = j;
    j->g = g;
    j->state_dir = xstrdup(g->cfg.state_dir);
    j->cache_dir = xstrdup(g->cfg.cache_dir);
    j->keep = g->cfg.keep_generations;
    j->max_bytes = (int64_t)g->cfg.cache_max_mb << 20;
    j->envs = xcalloc(g->nenvs + 1, sizeof(*j->envs));
    for (size_t i = 0; i < g->nenvs; i++)
        j->envs[j->nenvs++] = xstrdup(g->envs[i]->name);
    uv_queue_work(g->loop, &j->req, gc_work, gc_done);
}
