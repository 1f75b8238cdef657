/*
 * builtins: see builtins.h.
 */
#include "builtins.h"
#include "gliad.h"
#include "index.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG "glia-builtin "

/* MechanismType(0) lists density mechanisms, (1) point processes. */
static char *const hoc_argv[] = {
    "nrniv", "-nobanner", "-nogui", "-c", "objref mt", "-c", "strdef s", "-c",
    "for t = 0, 1 { mt = new MechanismType(t) for i = 0, mt.count() - 1 { mt.select(i) "
    "mt.selected(s) printf(\"" TAG "%d %d %s\\n\", t, mt.is_artificial(i), s) } }",
    "-c", "quit()", NULL};

static const char *kind_word(enum modfile_kind k)
{
    return modfile_kind_name(k);
}

static int kind_of(const char *word, enum modfile_kind *k)
{
    for (int i = MODFILE_DENSITY; i <= MODFILE_ARTIFICIAL; i++)
        if (strcmp(word, modfile_kind_name((enum modfile_kind)i)) == 0) {
            *k = (enum modfile_kind)i;
            return 0;
        }
    return -1;
}

static struct index_pkg *new_pkg(void)
{
    struct index_pkg *p = index_pkg_new();
    p->name = xstrdup(INDEX_NEURON_PKG);
    p->entry = xstrdup(INDEX_NEURON_PKG);
    p->module = xstrdup("neuron");
    p->layout = INDEX_BUILTIN;
    return p;
}

static void add(struct index_pkg *p, const char *name, enum modfile_kind kind)
{
    p->mods = xrealloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
    struct index_mod *m = &p->mods[p->nmods++];
    memset(m, 0, sizeof(*m));
    m->pkg = p;
    m->full = xstrdup(name);
    m->asset = xstrdup(name);
    m->variant = xstrdup("0");
    m->pkgname = xstrdup(INDEX_NEURON_PKG);
    m->info.kind = kind;
    m->info.name = xstrdup(name);
}

struct index_pkg *builtins_parse(const char *out)
{
    struct index_pkg *p = new_pkg();
    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        int type, art;
        char name[128];
        if (len > strlen(TAG) && len < 200 && strncmp(line, TAG, strlen(TAG)) == 0) {
            char buf[200];
            memcpy(buf, line, len);
            buf[len] = '\0';
            if (sscanf(buf + strlen(TAG), "%d %d %127s", &type, &art, name) == 3)
                add(p, name, type == 0 ? MODFILE_DENSITY : art ? MODFILE_ARTIFICIAL : MODFILE_POINT);
        }
        line = nl ? nl + 1 : NULL;
    }
    return p;
}

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
    gliad_builtins_ready(g);
}

static void save(struct gliad *g, const char *id, const struct index_pkg *p)
{
    const char **names = xcalloc(p->nmods, sizeof(*names));
    const char **kinds = xcalloc(p->nmods, sizeof(*kinds));
    for (size_t i = 0; i < p->nmods; i++) {
        names[i] = p->mods[i].full;
        kinds[i] = kind_word(p->mods[i].info.kind);
    }
    if (store_builtins_save(g->store, id, names, kinds, p->nmods) < 0)
        log_warn("could not cache NEURON's built-in mechanisms; they will be asked again");
    free(names);
    free(kinds);
}

static void probe_done(void *ud, struct proc_result *r)
{
    struct probe *pr = ud;
    struct index_pkg *p = builtins_parse(r->out);
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
    if (name && kind && kind_of(kind, &k) == 0)
        add(ud, name, k);
}

void builtins_load(struct gliad *g)
{
    char *id = neuron_identity();
    if (!id) {
        log_warn("nrniv is not on PATH: NEURON's built-in mechanisms (pas, hh, ...) are not "
                 "indexed; install NEURON (apt-get install neuron)");
        ready(g, new_pkg());
        return;
    }
    struct index_pkg *p = new_pkg();
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
    int rc = proc_run(g->loop, hoc_argv, &o, probe_done, pr, NULL);
    if (rc < 0) {
        log_warn("cannot run nrniv: %s; NEURON's built-ins are not indexed", uv_strerror(rc));
        free(pr->id);
        free(pr);
        ready(g, new_pkg());
    }
}
