/*
 * build: the loop side of a build (see build.h): phases, the compile
 * queue's callbacks, cancellation, and what the env keeps of the result.
 */
#include "build_internal.h"
#include "compile.h"
#include "diag.h"
#include "env.h"
#include "gc.h"
#include "gliad.h"
#include "log.h"
#include "proc.h"
#include "sdnotify.h"
#include "server.h"
#include "store.h"
#include "toolchain.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void phase_link(struct build *b);

/* ---- Notifications ---- */

struct note {
    struct build *b;
    const char *event;
    int final;
};

static void pack_note(void *ud, struct conn *c)
{
    const struct note *n = ud;
    const struct build *b = n->b;
    msgpack_packer *pk = conn_packer(c);
    proto_pack_notification(pk, n->event);
    msgpack_pack_map(pk, n->final ? 9 : 4);
    proto_pack_kstr(pk, "env", b->env_name);
    proto_pack_kint(pk, "build", (int64_t)b->id);
    proto_pack_kint(pk, "done", (int64_t)(b->n - b->left));
    proto_pack_kint(pk, "total", (int64_t)b->n);
    if (!n->final)
        return;
    proto_pack_kbool(pk, "ok", b->error == NULL);
    proto_pack_kint(pk, "generation", b->generation);
    proto_pack_kint(pk, "compiled", (int64_t)b->compiled);
    proto_pack_kint(pk, "failed", (int64_t)b->failed);
    proto_pack_kstr(pk, "error", b->error);
}

static void notify(struct build *b, const char *event, int final)
{
    struct note n = {b, event, final};
    server_notify(b->g->server, TOPIC_BUILD, pack_note, &n);
    if (final)
        sdnotify_status("%s: generation %lld, %zu mods failed", b->env_name,
                        (long long)b->generation, b->failed);
    else
        sdnotify_status("%s: building %zu/%zu mods", b->env_name, b->n - b->left, b->n);
}

/* ---- Life of a build ---- */

static void add_item(struct build *b, struct strmap *seen, const struct index_mod *m)
{
    struct build_item *it = &b->items[b->n++];
    memset(it, 0, sizeof(*it));
    it->b = b;
    it->mod = m;
    const struct build_item *first = strmap_get(seen, m->full);
    if (!first) {
        strmap_put(seen, m->full, it);
        return;
    }
    /* NEURON refuses a library registering one name twice: keep the first
     * in the index's stable order and say where the clash is. */
    char *why = xprintf("duplicate mechanism name %s: %s defines it too; this one is left out",
                        m->full, first->mod->path);
    diag_plain(&it->diag, m->path, "duplicate", why, NULL);
    free(why);
    it->state = ITEM_DUPLICATE;
}

static struct build *build_new(struct env *e, int force)
{
    struct gliad *g = e->g;
    const struct index *idx = e->index;
    struct build *b = xcalloc(1, sizeof(*b));
    b->env = e;
    b->g = g;
    b->id = ++g->next_build_id;
    b->force = force;
    b->t0 = now_ms();
    b->cache_dir = xstrdup(g->cfg.cache_dir);
    b->state_dir = xstrdup(g->cfg.state_dir);
    b->toolchain_id = xstrdup(g->tc.id);
    b->env_name = xstrdup(e->name);
    b->nrnivmodl = e->backend == CONFIG_BACKEND_NRNIVMODL;
    /* Part of the library key: the direct backend's libraries are made of
     * isolated package objects, never the same as a plain link of mods. */
    b->backend = xstrdup(b->nrnivmodl ? "nrnivmodl" : "direct, packages isolated");
    b->pkgs = xcalloc(idx->npkgs + 1, sizeof(*b->pkgs));
    b->pkg_keys = xcalloc(idx->npkgs + 1, sizeof(*b->pkg_keys));
    b->items = xcalloc(idx->nmods + 1, sizeof(*b->items));
    struct strmap seen;
    strmap_init(&seen);
    for (size_t p = 0; p < idx->npkgs; p++) {
        struct index_pkg *pkg = idx->pkgs[p];
        if (pkg->layout == INDEX_BUILTIN)
            continue;
        index_pkg_ref(pkg);
        b->pkgs[b->npkgs++] = pkg;
        for (size_t i = 0; i < pkg->nmods; i++)
            add_item(b, &seen, &pkg->mods[i]);
    }
    strmap_free(&seen);
    return b;
}

/* rm -r on a worker: a staging dir holds an object per mod. */
struct removal {
    uv_work_t req;
    char *dir;
};

static void removal_work(uv_work_t *req)
{
    remove_tree(((struct removal *)req->data)->dir);
}

static void removal_done(uv_work_t *req, int status)
{
    struct removal *r = req->data;
    (void)status;
    free(r->dir);
    free(r);
}

static void remove_later(uv_loop_t *loop, char *dir)
{
    struct removal *r = xcalloc(1, sizeof(*r));
    r->req.data = r;
    r->dir = dir;
    uv_queue_work(loop, &r->req, removal_work, removal_done);
}

void build_destroy(struct build *b)
{
    if (b->nrnivmodl) /* its staging dir is its own */
        remove_later(b->g->loop,
                     cache_tmp_path(b->cache_dir, "stage-%llu", (unsigned long long)b->id));
    if (b->link_dir) { /* left by a failed or cancelled link */
        remove_later(b->g->loop, b->link_dir);
        b->link_dir = NULL;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (it->submitted && it->state == ITEM_PENDING)
            compiler_withdraw(&b->g->compiler, it->key, it);
        free(it->text);
        free(it->work_dir);
        diag_free(&it->diag);
    }
    free(b->items);
    build_symbols_unwait(b);
    build_link_free(b->link);
    build_load_free(b->load);
    free(b->pkg_keys);
    for (size_t i = 0; i < b->npkgs; i++)
        index_pkg_unref(b->pkgs[i]);
    free(b->pkgs);
    free(b->cache_dir);
    free(b->state_dir);
    free(b->toolchain_id);
    free(b->env_name);
    free(b->backend);
    free(b->link_dir);
    free(b->error);
    free(b->lib_path);
    free(b);
}

/* A stale build whose step in flight has returned goes away. */
int build_gone(struct build *b)
{
    if (!b->stale)
        return 0;
    build_destroy(b);
    return 1;
}

static void progress(struct build *b)
{
    if (b->left == 0)
        phase_link(b);
    else
        notify(b, "build.progress", 0);
}

static void item_done(void *ud, const struct compile_result *r)
{
    struct build_item *it = ud;
    struct build *b = it->b;
    if (r->ok) {
        it->state = ITEM_READY;
        b->compiled++;
    } else {
        it->state = ITEM_FAILED;
        it->diag.line = r->diag.line;
        it->diag.summary = xstrdup(r->diag.summary);
        it->diag.detail = xstrdup(r->diag.detail);
        b->failed++;
        /* A tool's own verdict on this input is final; kills and I/O are not. */
        if (r->cacheable &&
            store_failure_put(b->g->store, it->key, it->diag.summary, it->diag.detail,
                              it->diag.line) < 0)
            log_warn("could not remember the failure of %s", it->mod->path);
        log_warn("[%s] %s", b->env_name, it->diag.summary);
    }
    free(it->text);
    it->text = NULL;
    b->left--;
    progress(b);
}

static void submit(struct build *b, struct build_item *it)
{
    char *dir = xstrndup(it->mod->path, strrchr(it->mod->path, '/') - it->mod->path);
    struct compile_req req = {.key = it->key, .stem = it->mod->full,
                              .orig_path = it->mod->path, .orig_dir = dir,
                              .mod_text = it->text};
    it->submitted = 1;
    compiler_submit(&b->g->compiler, &req, item_done, it);
    free(dir);
}

static void after_prepare(uv_work_t *req, int status)
{
    struct build *b = req->data;
    (void)status;
    b->busy = 0;
    if (build_gone(b))
        return;
    b->phase = PHASE_COMPILE;
    b->left = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (it->state == ITEM_READY)
            b->cached++;
        else if (it->state != ITEM_PENDING)
            b->failed++;
        else
            b->left++;
    }
    notify(b, "build.started", 0);
    if (b->left == 0 || b->nrnivmodl) {
        b->left = b->nrnivmodl ? b->left : 0;
        phase_link(b);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_PENDING)
            submit(b, &b->items[i]);
}

/* ---- Link ---- */

int build_cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void build_compute_libkey(struct build *b)
{
    char **keys = xcalloc(b->n + 1, sizeof(*keys));
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (build_item_linked(&b->items[i]))
            keys[n++] = b->items[i].key;
    qsort(keys, n, sizeof(*keys), build_cmp_key);
    cache_library_key(b->toolchain_id, b->backend, keys, n, b->libkey);
    free(keys);
    free(b->lib_path);
    b->lib_path = cache_library_path(b->cache_dir, b->libkey);
}

static void after_publish(uv_work_t *req, int status)
{
    struct build *b = req->data;
    (void)status;
    b->busy = 0;
    if (build_gone(b))
        return;
    /* The env was merged into a config env while this published. */
    if (b->generation > 0 && strcmp(b->env_name, b->env->name) != 0) {
        int64_t offset = store_env_rename(b->g->store, b->env_name, b->env->name);
        if (offset > 0)
            b->generation += offset;
    }
    build_finish(b);
}

void build_publish(struct build *b)
{
    b->phase = PHASE_PUBLISH;
    b->busy = 1;
    b->work.data = b;
    uv_queue_work(b->g->loop, &b->work, build_publish_work, after_publish);
}

void build_nrnivmodl_linked(struct build *b)
{
    if (b->error) {
        build_finish(b);
        return;
    }
    build_compute_libkey(b); /* over what nrnivmodl managed to build */
    build_load_verify(b);
}

/* nrnivmodl builds everything pending in one go; a set linked before is
 * recognised by the key it would have if all of it builds. */
static void link_nrnivmodl(struct build *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_PENDING)
            b->items[i].state = ITEM_READY;
    build_compute_libkey(b);
    build_lease(b);
    const struct generation *cur = b->env->gen;
    struct stat st;
    int same = cur && strcmp(cur->libkey, b->libkey) == 0 && !b->force;
    if (same || (!b->force && stat(b->lib_path, &st) == 0)) {
        b->lib_exists = 1;
        if (same) {
            b->generation = cur->number;
            build_finish(b);
        } else {
            build_publish(b);
        }
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_READY)
            b->items[i].state = ITEM_PENDING;
    free(b->lib_path);
    b->lib_path = NULL;
    build_nrnivmodl(b);
}

static void phase_link(struct build *b)
{
    b->phase = PHASE_LINK;
    if (b->g->tc.problem) { /* every mod failed with it already */
        b->error = xstrdup(b->g->tc.problem);
        build_finish(b);
        return;
    }
    if (b->nrnivmodl) {
        link_nrnivmodl(b);
        return;
    }
    build_compute_libkey(b);
    const struct generation *cur = b->env->gen;
    if (cur && strcmp(cur->libkey, b->libkey) == 0 && !b->force) {
        b->generation = cur->number; /* the same set: nothing to do */
        build_finish(b);
        return;
    }
    b->link_t0 = now_ms();
    build_link_start(b);
}

/* ---- The end ---- */

static struct build_report *make_report(struct build *b)
{
    struct build_report *r = xcalloc(1, sizeof(*r));
    r->id = b->id;
    r->ok = b->error == NULL;
    r->unchanged = b->error == NULL && b->env->gen && b->generation == b->env->gen->number;
    r->total = b->n;
    r->compiled = b->compiled;
    r->cached = b->cached;
    r->failed = b->failed;
    r->ms = now_ms() - b->t0;
    r->link_ms = b->link_t0 ? now_ms() - b->link_t0 : 0;
    r->error = xstrdup(b->error);
    strmap_init(&r->by_full);
    r->failures = xcalloc(b->n + 1, sizeof(*r->failures));
    for (size_t i = 0; i < b->n; i++) {
        const struct build_item *it = &b->items[i];
        if (it->state != ITEM_FAILED && it->state != ITEM_DUPLICATE)
            continue; /* built, or never reached: the build's error says why */
        const struct index_mod *m = it->mod;
        struct build_failure *f = &r->failures[r->nfailures++];
        f->full = xstrdup(m->full), f->pkg = xstrdup(m->pkgname), f->asset = xstrdup(m->asset);
        f->variant = xstrdup(m->variant), f->path = xstrdup(m->path), f->line = it->diag.line;
        f->summary = xstrdup(it->diag.summary ? it->diag.summary : "not built");
        f->detail = xstrdup(it->diag.detail);
        if (it->state != ITEM_DUPLICATE)
            strmap_put(&r->by_full, f->full, f);
    }
    return r;
}

static struct generation *generation_of(struct build *b)
{
    struct generation *g = xcalloc(1, sizeof(*g));
    g->number = b->generation;
    memcpy(g->libkey, b->libkey, sizeof(g->libkey));
    g->path = xstrdup(b->lib_path);
    strmap_init(&g->fulls);
    g->names = xcalloc(b->n + 1, sizeof(*g->names));
    for (size_t i = 0; i < b->n; i++)
        if (build_item_linked(&b->items[i])) {
            g->names[g->nnames] = xstrdup(b->items[i].mod->full);
            strmap_put(&g->fulls, g->names[g->nnames++], (void *)1);
        }
    return g;
}

void build_finish(struct build *b)
{
    struct env *e = b->env;
    b->phase = PHASE_DONE;
    struct build_report *r = make_report(b);
    int fresh = !b->error && !r->unchanged;
    if (fresh) {
        generation_free(e->gen);
        e->gen = generation_of(b);
    }
    if (b->error)
        log_error("[%s] build %llu failed: %s", e->name, (unsigned long long)b->id, b->error);
    else
        log_info("[%s] build %llu: %zu mechanisms (%zu compiled, %zu cached, %zu failed) in "
                 "%.0f ms (link and load check %.0f ms): %s generation %lld",
                 e->name, (unsigned long long)b->id, b->n - b->failed, b->compiled, b->cached,
                 b->failed, r->ms, r->link_ms, fresh ? "new" : "unchanged",
                 (long long)b->generation);
    build_report_free(e->report);
    e->report = r;
    e->builds++;
    notify(b, "build.finished", 1);
    e->build = NULL;
    build_destroy(b);
    if (e->build_wanted)
        build_start(e, e->build_wanted == 2);
    else
        env_build_settled(e);
    if (fresh || e->g->gc_wanted)
        gc_request(e->g);
}

/* ---- Entry points ---- */

void build_start(struct env *e, int force)
{
    struct gliad *g = e->g;
    /* Started once the toolchain and index are known, and once a running
     * GC is over (it could delete a library this build would reuse). */
    int publishing = e->build && e->build->phase == PHASE_PUBLISH;
    /* A publishing build is not cancelled: its generation may be committed
     * already. The next starts when it is through. */
    if (!g->tc.ready || !e->index || g->stopping || g->gc_running || publishing) {
        e->build_wanted = force ? 2 : (e->build_wanted ? e->build_wanted : 1);
        return;
    }
    e->build_wanted = 0;
    build_cancel(e, "overtaken by a newer change");
    struct build *b = build_new(e, force);
    e->build = b;
    b->busy = 1;
    b->work.data = b;
    uv_queue_work(g->loop, &b->work, build_prepare_work, after_prepare);
}

void build_cancel(struct env *e, const char *why)
{
    struct build *b = e->build;
    if (!b)
        return;
    e->build = NULL;
    b->stale = 1;
    log_debug("[%s] build %llu cancelled: %s", e->name, (unsigned long long)b->id, why);
    if (b->proc)
        proc_kill(b->proc);
    if (!b->busy)
        build_destroy(b); /* withdraws what it had queued */
}

const char *build_failure_stage(const struct build_failure *f)
{
    static const char *const later[] = {"link", "load"};
    size_t n = strlen(f->path);
    for (size_t i = 0; i < 2; i++)
        if (strncmp(f->summary, f->path, n) == 0 && strncmp(f->summary + n, ": ", 2) == 0 &&
            strncmp(f->summary + n + 2, later[i], 4) == 0 && f->summary[n + 6] == ':')
            return later[i];
    return "compile";
}

const struct build_failure *build_failure_of(const struct env *e, const char *full)
{
    return e->report ? strmap_get(&e->report->by_full, full) : NULL;
}

void generation_free(struct generation *g)
{
    if (!g)
        return;
    strmap_free(&g->fulls);
    strv_free(g->names, g->nnames);
    free(g->path);
    free(g);
}

void build_report_free(struct build_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfailures; i++) {
        struct build_failure *f = &r->failures[i];
        free(f->full), free(f->pkg), free(f->asset), free(f->variant), free(f->path);
        free(f->summary), free(f->detail);
    }
    free(r->failures);
    strmap_free(&r->by_full);
    free(r->error);
    free(r);
}

/* ---- Startup: the generation a previous run published ---- */

static void load_name(void *ud, const char *const *cells, size_t n)
{
    struct generation *g = ud;
    (void)n;
    g->names = xrealloc(g->names, (g->nnames + 1) * sizeof(*g->names));
    g->names[g->nnames] = xstrdup(cells[0]);
    strmap_put(&g->fulls, g->names[g->nnames++], (void *)1);
}

static void load_failure(void *ud, const char *const *c, size_t n)
{
    struct build_report *r = ud;
    (void)n;
    r->failures = xrealloc(r->failures, (r->nfailures + 1) * sizeof(*r->failures));
    struct build_failure *f = &r->failures[r->nfailures++];
    f->full = xstrdup(c[0]), f->pkg = xstrdup(c[1]), f->asset = xstrdup(c[2]);
    f->variant = xstrdup(c[3]), f->path = xstrdup(c[4]), f->line = c[5] ? atoi(c[5]) : 0;
    f->summary = xstrdup(c[6]), f->detail = xstrdup(c[7]);
    r->failed++;
}

void build_load_generation(struct env *e)
{
    struct store *s = e->g->store;
    int64_t before = 0, number;
    char *libkey, *path;
    /* The newest whose library is still there (a cache wiped by hand is not
     * an error: the next build makes a new one). */
    while (store_generation_latest(s, e->name, before, &number, &libkey, &path) == 1) {
        struct stat st;
        if (stat(path, &st) == 0 && strlen(libkey) == HASH_HEX_LEN) {
            struct generation *g = xcalloc(1, sizeof(*g));
            g->number = number;
            memcpy(g->libkey, libkey, sizeof(g->libkey));
            g->path = path;
            strmap_init(&g->fulls);
            store_generation_mods(s, e->name, number, load_name, g);
            struct build_report *r = xcalloc(1, sizeof(*r));
            r->ok = 1;
            r->unchanged = 1;
            strmap_init(&r->by_full);
            store_generation_failures(s, e->name, number, load_failure, r);
            /* A duplicate's name is also the kept mechanism's: not a failure of it. */
            for (size_t i = 0; i < r->nfailures; i++)
                if (!strmap_get(&g->fulls, r->failures[i].full))
                    strmap_put(&r->by_full, r->failures[i].full, &r->failures[i]);
            e->gen = g;
            e->report = r;
            free(libkey);
            log_info("[%s] serving generation %lld (%zu mechanisms) until a build says otherwise",
                     e->name, (long long)number, g->nnames);
            return;
        }
        log_warn("[%s] generation %lld's library %s is gone; trying an older one", e->name,
                 (long long)number, path);
        before = number;
        free(libkey);
        free(path);
    }
}
