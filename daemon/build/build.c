/*
 * build: the loop side of a build (see build.h): phases, the compile
 * queue's callbacks, cancellation, and the report handed to its owner.
 */
#include "artifact.h"
#include "build_internal.h"
#include "compile.h"
#include "diag.h"
#include "fault.h"
#include "log.h"
#include "os.h"
#include "proc.h"
#include "scratch.h"
#include "store.h"
#include "store_writer.h"
#include "toolchain.h"
#include "util.h"
#include "work.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void phase_link(struct build *b);
static void link_nrnivmodl_leased(struct build *b);
static void finish(struct build *b);
static void publish(struct build *b);
static void nrnivmodl_linked(struct build *b);
static void build_destroy(struct build *b);

/* What the phases hand the build back to (build_common.c). */
static const struct build_flow flow = {.finish = finish,
                                       .publish = publish,
                                       .nrnivmodl_linked = nrnivmodl_linked,
                                       .destroy = build_destroy};

/* ---- Notes to the owner ---- */

static struct build_note note_of(const struct build *b, const char *event, int final)
{
    return (struct build_note){.event = event,
                               .env = b->env_name,
                               .id = b->id,
                               .done = b->n - b->left,
                               .total = b->n,
                               .final = final,
                               .ok = b->error == NULL,
                               .generation = b->generation,
                               .compiled = b->compiled,
                               .cached = b->cached,
                               .failed = b->failed,
                               .error = b->error};
}

static void notify(struct build *b, const char *event)
{
    struct build_note n = note_of(b, event, 0);
    if (b->hooks.note)
        b->hooks.note(b->hooks.ud, &n);
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

static struct build *build_new(const struct build_spec *spec, const struct build_hooks *hooks)
{
    const struct index *idx = spec->index;
    struct build *b = xcalloc(1, sizeof(*b));
    b->hooks = *hooks;
    b->flow = &flow;
    b->loop = spec->loop;
    b->store = spec->store;
    b->writer = spec->writer;
    b->compiler = spec->compiler;
    b->tc = spec->tc;
    b->symbols = spec->symbols;
    b->id = spec->id;
    b->force = spec->force;
    b->t0 = now_ms();
    b->cache_dir = xstrdup(spec->cache_dir);
    b->state_dir = xstrdup(spec->state_dir);
    b->toolchain_id = xstrdup(spec->tc->id);
    b->env_name = xstrdup(spec->env_name);
    b->nrnivmodl = spec->nrnivmodl;
    b->jobs = spec->jobs;
    /* Part of the library key: the direct backend's libraries are made of
     * isolated package objects, never the same as a plain link of mods, and
     * their dirs hold the packages' parts (a dir published before parts
     * existed has none: linked again, once). */
    b->backend = xstrdup(b->nrnivmodl ? "nrnivmodl" : "direct, packages isolated, with parts");
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

/* rm -r on a worker (a staging dir holds an object per mod); takes dir. */
static void removal_work(void *dir)
{
    remove_tree(dir);
}

static void remove_later(uv_loop_t *loop, char *dir)
{
    work_submit(loop, removal_work, free, dir);
}

static void build_destroy(struct build *b)
{
    assert(b->refs == 0 && (b->flags & (BUILD_STALE | BUILD_FINISHED)));
    assert(!b->proc);
    if (b->nrnivmodl) /* its staging dir is its own */
        remove_later(b->loop,
                     cache_tmp_path(b->cache_dir, "stage-%llu", (unsigned long long)b->id));
    if (b->link_dir) { /* left by a failed or cancelled link */
        remove_later(b->loop, b->link_dir);
        b->link_dir = NULL;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (it->submitted && it->state == ITEM_PENDING)
            compiler_withdraw(b->compiler, it->key, it);
        free(it->text);
        free(it->work_dir);
        diag_free(&it->diag);
    }
    free(b->items);
    build_symbols_unwait(b);
    build_link_free(b->link);
    build_load_free(b->load);
    build_parts_free(b);
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
    free(b->outside_why);
    free(b->lib_path);
    free(b);
}

/* Every mod is through. A library without the mods that failed for
 * reasons outside them would drop mechanisms for no fault of theirs: the
 * last good one is served instead, and the build is tried again later. */
static void progress(struct build *b)
{
    if (b->left > 0) {
        notify(b, "build.progress");
    } else if (b->outside) {
        b->error =
            xprintf("%zu mod%s not compiled for reasons outside %s: %s", b->outside,
                    b->outside == 1 ? "" : "s", b->outside == 1 ? "it" : "them", b->outside_why);
        b->error_outside = 1;
        finish(b);
    } else {
        phase_link(b);
    }
}

/* Why a verdict on it->key is not one on the mod as it is now (it changed
 * or went while it compiled), malloc'd, or NULL when it stands. */
static char *changed_since(const struct build *b, const struct build_item *it)
{
    cache_key now;
    if (build_item_rekey(b, it, now) < 0)
        return xprintf("%s changed or went while it compiled", it->mod->path);
    if (strcmp(now, it->key) != 0)
        return xprintf("%s changed while it compiled", it->mod->path);
    return NULL;
}

static void item_failed(struct build *b, struct build_item *it, const struct compile_result *r)
{
    it->state = ITEM_FAILED;
    it->diag.line = r->diag.line;
    it->diag.summary = xstrdup(r->diag.summary);
    it->diag.detail = xstrdup(r->diag.detail);
    char *outside = r->environmental ? xstrdup(r->diag.summary)
                    : r->cacheable   ? changed_since(b, it)
                                     : NULL;
    if (outside) {
        /* Neither cached nor the mod's: not in the report's failures. */
        it->outside = 1;
        b->outside++;
        log_warn("[%s] %s", b->env_name, outside);
        if (!b->outside_why)
            b->outside_why = outside;
        else
            free(outside);
        return;
    }
    b->failed++;
    /* A tool's own verdict on this input is final; a time limit is not. */
    if (r->cacheable)
        build_failure_remember(b, it);
    log_warn("[%s] %s", b->env_name, it->diag.summary);
}

static void item_done(void *ud, const struct compile_result *r)
{
    struct build_item *it = ud;
    struct build *b = it->b;
    if (r->ok) {
        it->state = ITEM_READY;
        b->compiled++;
    } else {
        item_failed(b, it, r);
    }
    free(it->text);
    it->text = NULL;
    b->left--;
    progress(b);
}

static void submit(struct build *b, struct build_item *it)
{
    char *dir = xstrndup(it->mod->path, strrchr(it->mod->path, '/') - it->mod->path);
    struct compile_req req = {.key = it->key,
                              .stem = it->mod->full,
                              .orig_path = it->mod->path,
                              .orig_dir = dir,
                              .mod_text = it->text};
    it->submitted = 1;
    compiler_submit(b->compiler, &req, item_done, it);
    free(dir);
}

static void after_prepare(void *ctx)
{
    struct build *b = ctx;
    if (build_step_end(b))
        return;
    b->phase = PHASE_COMPILE;
    b->left = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (it->state == ITEM_READY) {
            b->cached++;
        } else if (it->outside) {
            b->outside++;
            if (!b->outside_why)
                b->outside_why = xstrdup(it->diag.summary);
        } else if (it->state != ITEM_PENDING) {
            b->failed++;
        } else {
            b->left++;
        }
    }
    notify(b, "build.started");
    if (b->outside) { /* nothing is compiled for a build that cannot publish */
        b->left = 0;
        progress(b);
        return;
    }
    if (b->left == 0 || b->nrnivmodl) {
        phase_link(b); /* nrnivmodl compiles the pending ones itself */
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_PENDING)
            submit(b, &b->items[i]);
}

/* ---- Link ---- */

/* A generation published under a name its env no longer has, on its way
 * to the new one (store_writer.h). */
struct refiling {
    struct build *b;
    char *from, *to;
    int64_t offset;
};

/* Writer thread. */
static int refile_write(struct store *s, void *ctx)
{
    struct refiling *r = ctx;
    r->offset = store_env_rename(s, r->from, r->to);
    return r->offset < 0 ? -1 : 0;
}

static void refiled(void *ctx, int rc, const char *err)
{
    struct refiling *r = ctx;
    struct build *b = r->b;
    if (rc < 0) {
        free(b->error);
        b->error = xprintf("generation %lld was published under %s, which %s took over "
                           "meanwhile, and cannot be filed under %s in the database: %s",
                           (long long)b->generation, r->from, r->to, r->to, err);
        b->generation = 0;
    } else {
        b->generation += r->offset;
    }
    free(r->from);
    free(r->to);
    free(r);
    if (build_step_end(b))
        return;
    b->error_outside = b->error != NULL; /* I/O: the disk, the database */
    finish(b);
}

static void after_publish(void *ctx)
{
    struct build *b = ctx;
    if (build_step_end(b))
        return;
    /* The env was merged into a config env while this published. Its
     * number under the new name is known only once it is filed there: when
     * that fails, the build fails (and is tried again) rather than report
     * a number the new name does not have. */
    const char *now = b->hooks.env_name ? b->hooks.env_name(b->hooks.ud) : b->env_name;
    if (b->generation > 0 && strcmp(b->env_name, now) != 0) {
        struct refiling *r = xcalloc(1, sizeof(*r));
        *r = (struct refiling){b, xstrdup(b->env_name), xstrdup(now), 0};
        build_step_begin(b);
        store_writer_submit(b->writer, refile_write, refiled, r);
        return;
    }
    b->error_outside = b->error != NULL; /* I/O: the disk, the database */
    finish(b);
}

static void publish(struct build *b)
{
    b->phase = PHASE_PUBLISH;
    build_step_begin(b);
    work_submit(b->loop, build_publish_work, after_publish, b);
}

static void nrnivmodl_linked(struct build *b)
{
    if (b->error) {
        finish(b);
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
    build_lease(b, link_nrnivmodl_leased);
}

static void link_nrnivmodl_leased(struct build *b)
{
    const struct generation *cur = build_current(b);
    int sound = !b->force && build_library_sound(b);
    int same = sound && cur && strcmp(cur->libkey, b->libkey) == 0;
    if (sound) {
        b->lib_exists = 1;
        if (same) {
            b->generation = cur->number;
            finish(b);
        } else {
            publish(b);
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
    if (b->tc->problem) { /* every mod failed with it already */
        b->error = xstrdup(b->tc->problem);
        finish(b);
        return;
    }
    if (b->nrnivmodl) {
        link_nrnivmodl(b);
        return;
    }
    build_compute_libkey(b);
    const struct generation *cur = build_current(b);
    /* The current library is checked before it is kept: a file damaged in
     * the cache is linked again, never served on and on. */
    if (cur && strcmp(cur->libkey, b->libkey) == 0 && !b->force && build_library_sound(b)) {
        b->generation = cur->number; /* the same set: nothing to do */
        finish(b);
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
    const struct generation *cur = build_current(b);
    r->unchanged = b->error == NULL && cur && b->generation == cur->number;
    r->total = b->n;
    r->compiled = b->compiled;
    r->cached = b->cached;
    r->failed = b->failed;
    r->ms = now_ms() - b->t0;
    r->link_ms = b->link_t0 ? now_ms() - b->link_t0 : 0;
    r->error = xstrdup(b->error);
    r->outside = b->error_outside;
    strmap_init(&r->by_full);
    r->failures = xcalloc(b->n + 1, sizeof(*r->failures));
    for (size_t i = 0; i < b->n; i++) {
        const struct build_item *it = &b->items[i];
        if ((it->state != ITEM_FAILED && it->state != ITEM_DUPLICATE) || it->outside)
            continue; /* built, never reached, or not its fault: the error says why */
        const struct index_mod *m = it->mod;
        struct build_failure *f = &r->failures[r->nfailures++];
        f->full = xstrdup(m->full), f->pkg = xstrdup(m->pkgname), f->asset = xstrdup(m->asset);
        f->variant = xstrdup(m->variant), f->path = xstrdup(m->path), f->line = it->diag.line;
        f->summary = xstrdup(it->diag.summary ? it->diag.summary : "not built");
        f->detail = xstrdup(it->diag.detail);
        f->known = 1;
        f->mtime_ns = m->mtime_ns, f->size = m->size, f->ino = m->ino, f->inc_sig = m->inc_sig;
        if (it->state != ITEM_DUPLICATE)
            strmap_put(&r->by_full, f->full, f);
    }
    return r;
}

static void generation_parts_free(struct generation *g)
{
    for (size_t i = 0; i < g->nparts; i++) {
        free(g->parts[i].pkg);
        free(g->parts[i].path);
        strv_free(g->parts[i].names, g->parts[i].nnames);
    }
    free(g->parts);
    g->parts = NULL;
    g->nparts = 0;
}

/* full belongs to the part of package pkg at path. */
static void generation_part_add(struct generation *g, const char *pkg, const char *path,
                                const char *full)
{
    size_t i = g->nparts;
    while (i > 0 && strcmp(g->parts[i - 1].path, path) != 0)
        i--;
    struct generation_part *pt;
    if (i > 0) {
        pt = &g->parts[i - 1];
    } else {
        g->parts = xrealloc(g->parts, (g->nparts + 1) * sizeof(*g->parts));
        pt = memset(&g->parts[g->nparts++], 0, sizeof(*pt));
        pt->pkg = xstrdup(pkg);
        pt->path = xstrdup(path);
    }
    pt->names = xrealloc(pt->names, (pt->nnames + 1) * sizeof(*pt->names));
    pt->names[pt->nnames++] = xstrdup(full);
}

static struct generation *generation_of(struct build *b)
{
    struct generation *g = xcalloc(1, sizeof(*g));
    g->number = b->generation;
    memcpy(g->libkey, b->libkey, sizeof(g->libkey));
    g->path = xstrdup(b->lib_path);
    g->created = (int64_t)time(NULL);
    strmap_init(&g->fulls);
    g->names = xcalloc(b->n + 1, sizeof(*g->names));
    for (size_t i = 0; i < b->n; i++)
        if (build_item_linked(&b->items[i])) {
            g->names[g->nnames] = xstrdup(b->items[i].mod->full);
            strmap_put(&g->fulls, g->names[g->nnames++], (void *)1);
        }
    for (size_t p = 0; b->part_paths && p < b->npkgs; p++)
        for (size_t i = 0; b->part_paths[p] && i < b->n; i++)
            if (build_in_pkg(b, &b->items[i], p))
                generation_part_add(g, b->pkgs[p]->name, b->part_paths[p], b->items[i].mod->full);
    return g;
}

/* A build that failed as a whole (a link, the load check, publishing) did
 * so because of the machine when the tools' words or the state of its
 * work dir say so: then it is tried again like a compile that did. */
static void classify_error(struct build *b)
{
    if (!b->error || b->error_outside || b->tc->problem)
        return;
    const char *phrase = fault_in_output(b->error);
    char *probe = phrase || !b->link_dir ? NULL : fault_probe_dir(b->link_dir);
    if (phrase || probe) {
        char *why =
            xprintf("%s (a reason outside the mods: %s)", b->error, phrase ? phrase : probe);
        free(b->error);
        b->error = why;
        b->error_outside = 1;
    }
    free(probe);
}

static void finish(struct build *b)
{
    classify_error(b);
    b->phase = PHASE_DONE;
    struct build_report *r = make_report(b);
    struct generation *gen = !b->error && !r->unchanged ? generation_of(b) : NULL;
    struct build_note n = note_of(b, "build.finished", 1);
    assert(b->refs == 1 && !b->flags); /* no step in flight */
    b->flags |= BUILD_FINISHED;
    b->hooks.done(b->hooks.ud, &n, r, gen);
    build_unref(b);
}

/* ---- Entry points ---- */

struct build *build_start(const struct build_spec *spec, const struct build_hooks *hooks)
{
    struct build *b = build_new(spec, hooks);
    b->refs = 1; /* the owner's */
    build_step_begin(b);
    work_submit(b->loop, build_prepare_work, after_prepare, b);
    return b;
}

int build_publishing(const struct build *b)
{
    return b->phase == PHASE_PUBLISH;
}

void build_cancel(struct build *b, const char *why)
{
    assert(!(b->flags & (BUILD_STALE | BUILD_FINISHED)));
    b->flags |= BUILD_STALE;
    log_debug("[%s] build %llu cancelled: %s", b->env_name, (unsigned long long)b->id, why);
    if (b->proc)
        proc_kill(b->proc);
    build_unref(b); /* the owner's: gone now unless a step is in flight */
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

const struct build_failure *build_failure_of(const struct build_report *r,
                                             const struct generation *gen,
                                             const struct index_mod *m)
{
    const struct build_failure *f = r ? strmap_get(&r->by_full, m->full) : NULL;
    if (!f)
        return NULL;
    if (!f->known) /* read back at startup: a file changed since is not the one that failed */
        return gen && gen->created > 0 && m->mtime_ns / 1000000000 > gen->created ? NULL : f;
    int same = strcmp(f->path, m->path) == 0 && f->mtime_ns == m->mtime_ns && f->size == m->size &&
               f->ino == m->ino && f->inc_sig == m->inc_sig;
    return same ? f : NULL;
}

void generation_free(struct generation *g)
{
    if (!g)
        return;
    strmap_free(&g->fulls);
    strv_free(g->names, g->nnames);
    generation_parts_free(g);
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

static void load_name(void *ud, const struct store_gen_mod *m)
{
    struct generation *g = ud;
    g->names = xrealloc(g->names, (g->nnames + 1) * sizeof(*g->names));
    g->names[g->nnames] = xstrdup(m->full);
    strmap_put(&g->fulls, g->names[g->nnames++], (void *)1);
}

static void load_part(void *ud, const struct store_gen_part *pt)
{
    if (pt->full && pt->pkg && pt->path)
        generation_part_add(ud, pt->pkg, pt->path, pt->full);
}

/* Parts are all there or none is served (a client told of parts finds
 * every mechanism in one): a cache trimmed by hand may have lost some. */
static void generation_parts_check(struct generation *g, const char *env)
{
    for (size_t i = 0; i < g->nparts; i++)
        if (access(g->parts[i].path, R_OK) < 0) {
            log_warn("[%s] generation %lld is served without its parts: %s: %s", env,
                     (long long)g->number, g->parts[i].path, strerror(errno));
            generation_parts_free(g);
            return;
        }
}

static void load_failure(void *ud, const struct store_gen_failure *sf)
{
    struct build_report *r = ud;
    r->failures = xrealloc(r->failures, (r->nfailures + 1) * sizeof(*r->failures));
    struct build_failure *f = &r->failures[r->nfailures++];
    f->full = xstrdup(sf->full), f->pkg = xstrdup(sf->pkg), f->asset = xstrdup(sf->asset);
    f->variant = xstrdup(sf->variant), f->path = xstrdup(sf->path), f->line = sf->line;
    f->summary = xstrdup(sf->summary), f->detail = xstrdup(sf->detail);
    r->failed++;
}

void build_load_generation(uv_loop_t *loop, struct store *s, const char *env,
                           struct generation **gen, struct build_report **report)
{
    int64_t before = 0, number;
    char *libkey, *path;
    int found;
    /* The newest whose library is still there and sound (a cache wiped by
     * hand is not an error: the next build makes a new one). */
    while ((found = store_generation_latest(s, env, before, &number, &libkey, &path)) == 1) {
        char why[256] = "";
        if (strlen(libkey) == HASH_HEX_LEN &&
            build_library_check(loop, path, why, sizeof(why)) == 0) {
            struct generation *g = xcalloc(1, sizeof(*g));
            g->number = number;
            memcpy(g->libkey, libkey, sizeof(g->libkey));
            g->path = path;
            g->created = store_generation_created(s, env, number);
            strmap_init(&g->fulls);
            store_generation_mods(s, env, number, load_name, g);
            store_generation_parts(s, env, number, load_part, g);
            generation_parts_check(g, env);
            struct build_report *r = xcalloc(1, sizeof(*r));
            r->ok = 1;
            r->unchanged = 1;
            strmap_init(&r->by_full);
            store_generation_failures(s, env, number, load_failure, r);
            /* A duplicate's name is also the kept mechanism's: not a failure of it. */
            for (size_t i = 0; i < r->nfailures; i++)
                if (!strmap_get(&g->fulls, r->failures[i].full))
                    strmap_put(&r->by_full, r->failures[i].full, &r->failures[i]);
            *gen = g;
            *report = r;
            free(libkey);
            log_info("[%s] serving generation %lld (%zu mechanisms) until a build says otherwise",
                     env, (long long)number, g->nnames);
            return;
        }
        log_warn("[%s] generation %lld's library %s is gone or damaged (%s); trying an older "
                 "one",
                 env, (long long)number, path, why);
        before = number;
        free(libkey);
        free(path);
    }
    if (found < 0)
        log_error("[%s] cannot read its generations from %s: %s; the next build makes one", env,
                  store_path(s), store_error(s));
}
