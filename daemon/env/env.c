/*
 * env: see env.h.
 */
#include "build.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "log.h"
#include "os.h"
#include "proc.h"
#include "scan.h"
#include "store.h"
#include "util.h"
#include "work.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What a worker needs and returns; the worker touches nothing else. */
struct scan_job {
    struct env *env;
    char **site; /* copies: the env may change its dirs meanwhile */
    size_t nsite;
    char *state_dir;
    char *name;
    struct index_pkg **prev; /* the current index's packages, read only; NULL-ended */
    size_t nprev;
    struct strmap *dirty; /* dist-infos to read again; NULL: all */
    struct scan_result result;
    double ms;
    atomic_int stop; /* set by the loop: the daemon is stopping */
};

struct env *env_new(struct gliad *g, const char *name, char *const *site, size_t nsite)
{
    struct env *e = xcalloc(1, sizeof(*e));
    e->g = g;
    e->name = xstrdup(name);
    e->site = xcalloc(nsite + 1, sizeof(*e->site));
    for (size_t i = 0; i < nsite; i++)
        e->site[i] = xstrdup(site[i]);
    e->nsite = nsite;
    e->refs = 1; /* gliad's list */
    e->state = env_state(e);
    watch_init(e, env_scan_changes);
    return e;
}

void env_add(struct gliad *g, struct env *e)
{
    g->envs = xgrow(g->envs, &g->envcap, g->nenvs + 1, sizeof(*g->envs));
    g->envs[g->nenvs++] = e;
    build_load_generation(g->loop, g->store, e->name, &e->gen, &e->report);
}

struct env *env_find(struct gliad *g, const char *name)
{
    if (!name || !*name)
        name = CONFIG_DEFAULT_ENV;
    for (size_t i = 0; i < g->nenvs; i++)
        if (strcmp(g->envs[i]->name, name) == 0)
            return g->envs[i];
    for (size_t i = 0; i < g->nenvs; i++)
        if (env_has_alias(g->envs[i], name))
            return g->envs[i];
    return NULL;
}

struct env *env_find_same(struct gliad *g, const struct env_id *py, struct env **overlap)
{
    struct env *same = NULL;
    *overlap = NULL;
    for (size_t i = 0; i < g->nenvs; i++) {
        struct env *e = g->envs[i];
        struct env_id id;
        env_id_of(&id, e);
        enum envid_relation r = envid_relate(&py->id, &id.id);
        env_id_free(&id);
        /* The config's, when a registered env is the same too: it is the
         * one the user set up (and chose a backend for). */
        if (r == ENVID_SAME && (!same || (same->registered && !e->registered)))
            same = e;
        else if (r == ENVID_OVERLAP && !*overlap)
            *overlap = e;
    }
    return same;
}

void env_builtins_ready(struct gliad *g)
{
    for (size_t i = 0; i < g->nenvs; i++)
        if (!g->envs[i]->index || (g->envs[i]->want & ENV_WANT_SCAN))
            env_scan(g->envs[i]);
}

void env_remove(struct gliad *g, struct env *e)
{
    for (size_t i = 0; i < g->nenvs; i++)
        if (g->envs[i] == e) {
            memmove(&g->envs[i], &g->envs[i + 1], (g->nenvs - i - 1) * sizeof(*g->envs));
            g->nenvs--;
            break;
        }
    env_release(e);
}

void env_set_site(struct env *e, char *const *site, size_t nsite)
{
    strv_free(e->site, e->nsite);
    e->site = xcalloc(nsite + 1, sizeof(*e->site));
    for (size_t i = 0; i < nsite; i++)
        e->site[i] = xstrdup(site[i]);
    e->nsite = nsite;
    env_scan(e);
}

void env_id_init(struct env_id *out, const char *prefix, char *const *site, size_t n)
{
    size_t nall = 0;
    out->all = xcalloc(n + 1, sizeof(*out->all));
    for (size_t i = 0; i < n; i++) {
        char buf[PATH_MAX];
        if (!realpath(site[i], buf))
            continue; /* gone, or never made: it serves nothing */
        size_t k = 0;
        while (k < nall && strcmp(out->all[k], buf) != 0)
            k++;
        if (k == nall)
            out->all[nall++] = xstrdup(buf);
    }
    /* The prefix resolved as the dirs are, so a symlinked venv owns its dirs. */
    char pbuf[PATH_MAX];
    const char *p = prefix && realpath(prefix, pbuf) ? pbuf : prefix;
    size_t nown;
    out->own = envid_own(p, out->all, nall, &nown);
    out->id = (struct envid){.all = out->all, .nall = nall, .own = out->own, .nown = nown};
}

void env_id_of(struct env_id *out, const struct env *e)
{
    env_id_init(out, e->registered ? e->name : NULL, e->site, e->nsite);
}

void env_id_free(struct env_id *id)
{
    strv_free(id->all, id->id.nall);
    free(id->own);
}

int env_has_alias(const struct env *e, const char *name)
{
    for (size_t i = 0; i < e->naliases; i++)
        if (strcmp(e->aliases[i], name) == 0)
            return 1;
    return 0;
}

void env_alias_add(struct env *e, const char *name)
{
    if (strcmp(e->name, name) != 0 && !env_has_alias(e, name))
        VEC_PUSH(e->aliases, e->naliases, e->aliascap, xstrdup(name));
}

void env_alias_drop(struct env *e, const char *name)
{
    for (size_t i = 0; i < e->naliases; i++)
        if (strcmp(e->aliases[i], name) == 0) {
            free(e->aliases[i]);
            e->aliases[i] = e->aliases[--e->naliases];
            return;
        }
}

static void scan_start(struct env *e);

/* ---- Lifetime ---- */

/* The last of e: libuv still writes to a handle until its close callback,
 * and e's timers live inside it. */
static void env_destroy(struct env *e)
{
    free(e);
}

static void waiters_push(struct env_waiters *q, struct env_waiter *w)
{
    w->next = NULL;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

/* Ends every wait in q with `end`; a waiter may queue itself again. */
static void waiters_end(struct env_waiters *q, enum env_wait_end end)
{
    struct env_waiter *w = q->head;
    q->head = q->tail = NULL;
    while (w) {
        struct env_waiter *next = w->next;
        w->fn(w, end);
        w = next;
    }
}

static void env_free(struct env *e)
{
    assert(e->refs == 0 && (e->flags & ENV_F_RELEASED));
    assert(!e->scan_job && !e->build && !(e->flags & ENV_F_PROBING));
    assert(!e->indexed.head && !e->settled.head);
    generation_free(e->gen);
    build_report_free(e->report);
    index_free(e->index);
    strv_free(e->site, e->nsite);
    strv_free(e->aliases, e->naliases);
    free(e->name);
    watch_close(e, env_destroy);
}

static void env_ref(struct env *e)
{
    assert(e->refs > 0);
    e->refs++;
}

static void env_unref(struct env *e)
{
    assert(e->refs > 0);
    if (--e->refs == 0)
        env_free(e);
}

static void stop_scan(struct env *e)
{
    if (e->scan_job)
        atomic_store(&e->scan_job->stop, 1); /* its result would be dropped anyway */
}

void env_release(struct env *e)
{
    assert(!(e->flags & ENV_F_RELEASED));
    e->flags |= ENV_F_RELEASED;
    env_build_stop(e, "the environment was removed");
    stop_scan(e);
    waiters_end(&e->indexed, ENV_WAIT_GONE);
    waiters_end(&e->settled, ENV_WAIT_GONE);
    env_next(e);
    env_unref(e); /* gliad's list's */
}

void env_stop(struct env *e)
{
    e->flags |= ENV_F_STOPPING;
    env_build_stop(e, "gliad is shutting down");
    stop_scan(e);
    watch_close(e, NULL);
    waiters_end(&e->indexed, ENV_WAIT_STOPPING);
    waiters_end(&e->settled, ENV_WAIT_STOPPING);
    env_next(e);
}

/* ---- The lifecycle (see env.h) ---- */

enum env_state env_state(const struct env *e)
{
    struct lifecycle_facts f = {
        .released = (e->flags & ENV_F_RELEASED) != 0,
        .stopping = (e->flags & ENV_F_STOPPING) != 0,
        .publishing = e->build && build_publishing(e->build),
        .building = e->build != NULL,
        .build_wanted = (e->want & ENV_WANT_BUILD) != 0,
        .probing = (e->flags & ENV_F_PROBING) != 0,
        .scanning = e->scan_job != NULL,
        .scan_wanted = (e->want & ENV_WANT_SCAN) != 0,
        .indexed = e->index != NULL,
    };
    return lifecycle_state(&f);
}

/* Runs the settled waiters, which may ask for more (and park again). */
static void wake_settled(struct env *e)
{
    env_ref(e);
    waiters_end(&e->settled, ENV_WAIT_OK);
    env_unref(e);
}

void env_next(struct env *e)
{
    if (!(e->flags & (ENV_F_RELEASED | ENV_F_STOPPING))) {
        /* Scans wait for what every index includes: the built-ins and the dirs. */
        if ((e->want & ENV_WANT_SCAN) && !e->scan_job && !(e->flags & ENV_F_PROBING) &&
            e->g->builtins_ready)
            scan_start(e);
        env_build_next(e);
    }
    enum env_state now = env_state(e);
    assert(lifecycle_legal(e->state, now));
    if (now != e->state)
        log_debug("[%s] %s -> %s", e->name, lifecycle_name(e->state), lifecycle_name(now));
    e->state = now;
    if (now == ENV_SETTLED && e->settled.head)
        wake_settled(e);
}

void env_next_all(struct gliad *g)
{
    for (size_t i = 0; i < g->nenvs; i++)
        env_next(g->envs[i]);
    env_gc_next(g);
}

static void scan_work(void *ctx)
{
    struct scan_job *j = ctx;
    double t0 = now_ms();
    scan_env(j->site, j->nsite, j->prev, j->nprev, j->dirty, &j->stop, &j->result);
    j->ms = now_ms() - t0;
    if (j->result.stopped)
        return; /* partial: nothing of it is kept */
    /* Saved here, not on the loop: a thousand rows is a real write. */
    char err[256];
    struct store *s = store_open_worker(j->state_dir, err, sizeof(err));
    if (!s) {
        log_error("%s", err);
        return;
    }
    if (store_index_save(s, j->name, j->result.pkgs, j->result.npkgs) < 0)
        log_error("[%s] could not save the index in %s: %s; it is still served", j->name,
                  store_path(s), store_error(s));
    store_close(s);
}

/* Problems are logged when they first appear, not on every rescan. */
static int same_problem(const struct index_problem *a, const struct index_problem *b)
{
    return a->line == b->line && strcmp(a->reason, b->reason) == 0 &&
           (a->file && b->file ? strcmp(a->file, b->file) == 0 : a->file == b->file);
}

static int seen_before(const struct index *old, const struct index_problem *p)
{
    if (!old)
        return 0;
    for (size_t i = 0; i < old->npkgs; i++) {
        const struct index_pkg *op = old->pkgs[i];
        for (size_t k = 0; k < op->nproblems; k++)
            if (same_problem(&op->problems[k], p))
                return 1;
    }
    for (size_t k = 0; k < old->nproblems; k++)
        if (same_problem(&old->problems[k], p))
            return 1;
    return 0;
}

static void log_problems(const struct env *e, const struct index *old, const struct index *idx)
{
    for (size_t k = 0; k < idx->nproblems; k++) {
        const struct index_problem *pr = &idx->problems[k];
        if (seen_before(old, pr))
            continue;
        /* The file, unless the reason names it already (a site dir's). */
        if (pr->file && !strstr(pr->reason, pr->file))
            log_warn("[%s] %s: %s", e->name, pr->file, pr->reason);
        else
            log_warn("[%s] %s", e->name, pr->reason);
    }
    for (size_t i = 0; i < idx->npkgs; i++) {
        const struct index_pkg *p = idx->pkgs[i];
        for (size_t k = 0; k < p->nproblems; k++) {
            const struct index_problem *pr = &p->problems[k];
            if (seen_before(old, pr))
                continue;
            if (pr->line)
                log_warn("[%s] package %s: %s:%d: %s", e->name, p->name, pr->file, pr->line,
                         pr->reason);
            else
                log_warn("[%s] package %s: %s: %s", e->name, p->name, pr->file ? pr->file : "",
                         pr->reason);
        }
    }
}

/* Runs the waiters whose scan has been published; the others (waiting for
 * the scan that has just started) stay. */
static void wake_indexed(struct env *e)
{
    struct env_waiter *w = e->indexed.head;
    e->indexed.head = e->indexed.tail = NULL;
    env_ref(e);
    while (w) {
        struct env_waiter *next = w->next;
        if (e->flags & ENV_F_RELEASED) { /* by a call run before this one (env.forget) */
            w->fn(w, ENV_WAIT_GONE);
            w = next;
            continue;
        }
        /* A sync was promised every change made before it: one found only
         * now (in a dir watched since this scan) still counts. */
        if (w->scan <= e->scans && w->follow && watch_pending(e) && w->followed < 3) {
            w->followed++;
            w->scan = env_scan_covering(e);
        }
        if (w->scan <= e->scans) {
            w->fn(w, ENV_WAIT_OK);
        } else {
            waiters_push(&e->indexed, w);
        }
        w = next;
    }
    env_unref(e);
}

/* The scan kept every package of the current index, in order, and found
 * the same site-level problems. */
static int unchanged(const struct env *e, const struct scan_result *r)
{
    const struct index *idx = e->index;
    if (!idx || !index_problems_same(r->probs, r->nprobs, idx->problems, idx->nproblems))
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < idx->npkgs; i++) {
        if (idx->pkgs[i]->layout == INDEX_BUILTIN)
            continue;
        if (k >= r->npkgs || r->fresh[k] || r->pkgs[k] != idx->pkgs[i])
            return 0;
        k++;
    }
    return k == r->npkgs;
}

static void scan_done(void *ctx)
{
    struct scan_job *j = ctx;
    struct env *e = j->env;
    struct scan_result *r = &j->result;
    e->scan_job = NULL;
    if ((e->flags & (ENV_F_RELEASED | ENV_F_STOPPING)) || r->stopped) {
        for (size_t i = 0; i < r->npkgs; i++)
            if (r->fresh[i])
                index_pkg_unref(r->pkgs[i]);
        index_problems_free(r->probs, r->nprobs);
    } else if (unchanged(e, r)) {
        /* Nothing new (a recheck, or an event that changed nothing): the index,
         * its version and the library stay as they are. */
        index_problems_free(r->probs, r->nprobs);
        watch_update(e, r->watch, r->nwatch, r->incomplete);
        watch_retry(e, r->incomplete);
        e->scans++;
        e->last_scan_ms = j->ms;
    } else {
        struct index *idx = index_build(r->pkgs, r->npkgs, e->g->builtins, r->probs, r->nprobs);
        for (size_t i = 0; i < r->npkgs; i++)
            if (r->fresh[i])
                index_pkg_unref(r->pkgs[i]); /* the index holds them now */
        watch_update(e, r->watch, r->nwatch, r->incomplete);
        watch_retry(e, r->incomplete);
        log_problems(e, e->index, idx);
        index_free(e->index);
        e->index = idx;
        e->version++;
        e->scans++;
        e->last_scan_ms = j->ms;
        log_info("[%s] %zu packages, %zu mods indexed in %.1f ms", e->name,
                 idx->npkgs - (e->g->builtins != NULL), idx->nmods, j->ms);
        if (e->g->events.indexed)
            e->g->events.indexed(e->g->events.ud, e);
        e->want |= ENV_WANT_BUILD;
    }
    env_next(e);
    wake_indexed(e);
    scan_result_free(r);
    free(j->prev);
    watch_dirty_free(j->dirty);
    strv_free(j->site, j->nsite);
    free(j->state_dir);
    free(j->name);
    free(j);
    env_unref(e);
}

void env_scan(struct env *e)
{
    watch_dirty_all(e);
    env_scan_changes(e);
}

uint64_t env_scan_covering(struct env *e)
{
    if (watch_pending(e) || (e->want & ENV_WANT_SCAN)) {
        env_scan_changes(e); /* starts now, or once it can */
        return (e->want & ENV_WANT_SCAN) ? e->scans_started + 1 : e->scans_started;
    }
    /* A running scan took every change seen before it started. */
    return e->scan_job ? e->scans_started : 0;
}

void env_scan_changes(struct env *e)
{
    e->want |= ENV_WANT_SCAN;
    env_next(e);
}

/* env_next() decided: the scan starts. */
static void scan_start(struct env *e)
{
    struct gliad *g = e->g;
    assert(!e->scan_job && (e->want & ENV_WANT_SCAN));
    e->want &= ~ENV_WANT_SCAN;
    env_ref(e);
    e->scans_started++;
    struct scan_job *j = xcalloc(1, sizeof(*j));
    e->scan_job = j;
    j->env = e;
    /* The user's collection is one more site dir of every env: it is laid
     * out as an installed package, so it is read and watched as one. */
    const char *coll = g->cfg.collection;
    j->site = xcalloc(e->nsite + 2, sizeof(*j->site));
    for (size_t i = 0; i < e->nsite; i++)
        j->site[i] = xstrdup(e->site[i]);
    j->nsite = e->nsite;
    if (coll && *coll)
        j->site[j->nsite++] = xstrdup(coll);
    j->state_dir = xstrdup(g->cfg.state_dir);
    j->name = xstrdup(e->name);
    /* Before the first index every package is new anyway. */
    j->dirty = e->index ? watch_take_dirty(e) : (watch_dirty_free(watch_take_dirty(e)), NULL);
    j->prev = xcalloc((e->index ? e->index->npkgs : 0) + 1, sizeof(*j->prev));
    for (size_t i = 0; e->index && i < e->index->npkgs; i++)
        if (e->index->pkgs[i]->layout != INDEX_BUILTIN)
            j->prev[j->nprev++] = e->index->pkgs[i];
    work_submit(g->loop, scan_work, scan_done, j);
}

void env_wait_rescan(struct env *e, struct env_waiter *w)
{
    /* A scan already running may have read the disk before this request. */
    w->scan = e->scans_started + 1;
    waiters_push(&e->indexed, w);
    env_scan(e);
}

int env_wait_index(struct env *e, struct env_waiter *w)
{
    if (e->index)
        return 0;
    w->scan = 1; /* any published index will do */
    waiters_push(&e->indexed, w);
    env_scan(e);
    return 1;
}

int env_wait_covered(struct env *e, struct env_waiter *w)
{
    uint64_t target = env_scan_covering(e);
    if (target <= e->scans)
        return 0;
    w->scan = target;
    w->follow = 1;
    waiters_push(&e->indexed, w);
    return 1;
}

void env_wait_settled(struct env *e, struct env_waiter *w)
{
    waiters_push(&e->settled, w);
}

/* ---- The default environment: python3 on PATH ------------------------- */

static void probe_done(void *ud, struct proc_result *r)
{
    struct env *e = ud;
    e->flags &= ~ENV_F_PROBING;
    if (e->flags & (ENV_F_RELEASED | ENV_F_STOPPING)) {
        env_next(e);
        env_unref(e);
        return;
    }
    if (r->exit_status != 0 || r->term_signal) {
        log_error("[%s] could not ask python3 for its site-packages (exit %lld): %s; "
                  "set [env:default] site_packages in the config",
                  e->name, (long long)r->exit_status, r->err);
    } else {
        strv_free(e->site, e->nsite);
        e->site = config_split_path(r->out, &e->nsite);
        for (size_t i = 0; i < e->nsite; i++) {
            char *nl = strchr(e->site[i], '\n');
            if (nl)
                *nl = '\0';
            log_info("[%s] site-packages: %s", e->name, e->site[i]);
        }
    }
    env_scan(e);
    env_unref(e);
}

void env_probe_python(struct env *e)
{
    /* The site dirs where `python3 -m pip install` puts packages, including
     * the user's own (pip install --user). */
    static char *argv[] = {"python3", "-c",
                           "import site, sys\n"
                           "dirs = site.getsitepackages()\n"
                           "if site.ENABLE_USER_SITE: dirs.append(site.getusersitepackages())\n"
                           "sys.stdout.write(':'.join(dirs))\n",
                           NULL};
    struct proc_opts o = {.timeout_ms = 20000};
    e->flags |= ENV_F_PROBING;
    env_ref(e);
    int rc = proc_run(e->g->loop, argv, &o, probe_done, e, NULL);
    if (rc < 0) {
        e->flags &= ~ENV_F_PROBING;
        env_unref(e); /* the probe's: the list still holds e */
        log_error("[%s] cannot run python3 to find its site-packages: %s; set [env:default] "
                  "site_packages in the config",
                  e->name, uv_strerror(rc));
        env_scan(e);
    }
}
