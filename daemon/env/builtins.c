/*
 * builtins: see builtins.h.
 */
#include "builtins.h"
#include "builtin_list.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "store_writer.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Which NEURON: the nrniv on PATH, by path, size and mtime. An upgrade
 * changes at least one of them. NULL when there is none. */
static char *neuron_identity(void)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char *copy = xstrdup(path), *save = NULL;
    char *id = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !id; dir = strtok_r(NULL, ":", &save)) {
        char *cand = xprintf("%s/nrniv", dir);
        char real[PATH_MAX];
        struct stat st;
        if (access(cand, X_OK) == 0 && realpath(cand, real) && stat(real, &st) == 0)
            id = xprintf("%s:%lld:%lld", real, (long long)st.st_size, (long long)st.st_mtime);
        free(cand);
    }
    free(copy);
    return id;
}

struct probe {
    struct gliad *g;
    char *id;
};

static void ready(struct gliad *g, struct index_pkg *p)
{
    g->builtins = p;
    g->builtins_ready = 1;
    env_builtins_ready(g);
}

/* The list on its way to the store: the writer thread reads only this. */
struct builtins_note {
    char *id;
    struct index_pkg *pkg; /* a reference; read only while it is held */
    const char **names, **kinds;
};

/* Writer thread. */
static int save_write(struct store *s, void *ctx)
{
    struct builtins_note *n = ctx;
    return store_builtins_save(s, n->id, n->names, n->kinds, n->pkg->nmods);
}

static void save_written(void *ctx, int rc, const char *err)
{
    struct builtins_note *n = ctx;
    if (rc < 0)
        log_warn("could not cache NEURON's built-in mechanisms (they will be asked again): %s",
                 err);
    index_pkg_unref(n->pkg);
    free(n->names);
    free(n->kinds);
    free(n->id);
    free(n);
}

static void save(struct gliad *g, const char *id, struct index_pkg *p)
{
    struct builtins_note *n = xcalloc(1, sizeof(*n));
    n->id = xstrdup(id);
    index_pkg_ref(p);
    n->pkg = p;
    n->names = xcalloc(p->nmods, sizeof(*n->names));
    n->kinds = xcalloc(p->nmods, sizeof(*n->kinds));
    for (size_t i = 0; i < p->nmods; i++) {
        n->names[i] = p->mods[i].full;
        n->kinds[i] = modfile_kind_name(p->mods[i].info.kind);
    }
    store_writer_submit(g->writer, save_write, save_written, n);
}

static void probe_done(void *ud, struct proc_result *r)
{
    struct probe *pr = ud;
    struct index_pkg *p = builtin_list_parse(r->out);
    if (p->nmods == 0)
        log_warn("nrniv listed no built-in mechanisms (exit %lld%s): %.300s",
                 (long long)r->exit_status, r->timed_out ? ", timed out" : "", r->err);
    else {
        log_info("NEURON has %zu built-in mechanisms (asked nrniv in %.0f ms)", p->nmods, r->ms);
        save(pr->g, pr->id, p);
    }
    ready(pr->g, p);
    free(pr->id);
    free(pr);
}

static void add_cached(void *ud, const char *name, const char *kind)
{
    enum modfile_kind k;
    if (name && kind && builtin_list_kind(kind, &k) == 0)
        builtin_list_add(ud, name, k);
}

void builtins_load(struct gliad *g)
{
    char *id = neuron_identity();
    if (!id) {
        log_warn("nrniv is not on PATH: NEURON's built-in mechanisms (pas, hh, ...) are not "
                 "indexed; install NEURON (apt-get install neuron)");
        ready(g, builtin_list_pkg());
        return;
    }
    struct index_pkg *p = builtin_list_pkg();
    if (store_builtins_load(g->store, id, add_cached, p) > 0) {
        log_debug("NEURON built-ins from the cache (%zu)", p->nmods);
        free(id);
        ready(g, p);
        return;
    }
    index_pkg_unref(p);
    struct probe *pr = xcalloc(1, sizeof(*pr));
    pr->g = g;
    pr->id = id;
    struct proc_opts o = {.timeout_ms = 60000};
    int rc = proc_run(g->loop, builtin_list_argv, &o, probe_done, pr, NULL);
    if (rc < 0) {
        log_warn("cannot run nrniv: %s; NEURON's built-ins are not indexed", uv_strerror(rc));
        free(pr->id);
        free(pr);
        ready(g, builtin_list_pkg());
    }
}
