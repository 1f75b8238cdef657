/*
 * env: see env.h.
 */
#include "env.h"
#include "build.h"
#include "gliad.h"
#include "index.h"
#include "log.h"
#include "os.h"
#include "proc.h"
#include "scan.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "work.h"

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
    watch_init(e);
    return e;
}

void env_add(struct gliad *g, struct env *e)
{
    g->envs = xgrow(g->envs, &g->envcap, g->nenvs + 1, sizeof(*g->envs));
    g->envs[g->nenvs++] = e;
    build_load_generation(e);
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

/* The last of e: libuv still writes to a handle until its close callback,
 * and e's timers live inside it. */
static void env_destroy(struct env *e)
{
    free(e);
}

static void env_free(struct env *e)
{
    static const char why[] = "the environment was removed";
    callq_fail(&e->waiting, PROTO_E_UNKNOWN_ENV, why);
    callq_fail(&e->lib_waiting, PROTO_E_UNKNOWN_ENV, why);
    build_cancel(e, why);
    generation_free(e->gen);
    build_report_free(e->report);
    index_free(e->index);
    strv_free(e->site, e->nsite);
    strv_free(e->aliases, e->naliases);
    free(e->name);
    watch_close(e, env_destroy);
}

static void env_reap(struct env *e)
{
    if (e->released && !e->scanning && !e->probing && !e->waking)
        env_free(e);
}

void env_release(struct env *e)
{
    e->released = 1;
    env_stop_scan(e); /* its result would be dropped anyway */
    env_reap(e);
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

/* Runs the parked calls whose scan has been published; the others (waiting
 * for the scan that has just started) stay. */
static void wake(struct env *e)
{
    struct call *c = e->waiting.head;
    struct callq orphans = {0};
    e->waiting.head = e->waiting.tail = NULL;
    e->waking = 1;
    while (c) {
        struct call *next = c->next;
        if (e->released) { /* by a call run before this one (env.forget) */
            callq_push(&orphans, c);
            c = next;
            continue;
        }
        /* A sync was promised every change made before it: one found only
         * now (in a dir watched since this scan) still counts. */
        if (c->wait_for <= e->scans && c->synced == 2 && watch_pending(e) && c->retargets < 3) {
            c->retargets++;
            c->wait_for = env_scan_covering(e);
        }
        if (c->wait_for <= e->scans)
            call_rerun(c);
        else
            callq_push(&e->waiting, c);
        c = next;
    }
    e->waking = 0;
    callq_fail(&orphans, PROTO_E_UNKNOWN_ENV, "the environment was removed");
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
    e->scanning = 0;
    e->scan_job = NULL;
    if (e->released || r->stopped) {
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
        if (e->scan_wanted)
            env_scan_changes(e);
        env_build_settled(e); /* no build follows: `library {wait}` is answered */
        wake(e);
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
        server_notify_change(e->g->server, TOPIC_INDEX, "index.changed", e->name,
                             (int64_t)e->version);
        /* Scripts that joined under another name listen for that one. */
        for (size_t i = 0; i < e->naliases; i++)
            server_notify_change(e->g->server, TOPIC_INDEX, "index.changed", e->aliases[i],
                                 (int64_t)e->version);
        e->last_scan_ms = j->ms;
        log_info("[%s] %zu packages, %zu mods indexed in %.1f ms", e->name,
                 idx->npkgs - (e->g->builtins != NULL),
                 idx->nmods, j->ms);
        if (e->scan_wanted)
            env_scan_changes(e);
        gliad_env_indexed(e->g);
        build_start(e, 0);
        wake(e);
    }
    scan_result_free(r);
    free(j->prev);
    watch_dirty_free(j->dirty);
    strv_free(j->site, j->nsite);
    free(j->state_dir);
    free(j->name);
    free(j);
    env_reap(e);
}

void env_scan(struct env *e)
{
    watch_dirty_all(e);
    env_scan_changes(e);
}

uint64_t env_scan_covering(struct env *e)
{
    if (watch_pending(e) || e->scan_wanted) {
        env_scan_changes(e); /* starts now, or once it can */
        return e->scan_wanted ? e->scans_started + 1 : e->scans_started;
    }
    /* A running scan took every change seen before it started. */
    return e->scanning ? e->scans_started : 0;
}

void env_scan_changes(struct env *e)
{
    struct gliad *g = e->g;
    /* Scans wait for what every index includes: the built-ins and the dirs. */
    if (e->scanning || e->probing || !g->builtins_ready || g->stopping) {
        e->scan_wanted = 1;
        return;
    }
    e->scan_wanted = 0;
    e->scanning = 1;
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

void env_stop_scan(struct env *e)
{
    if (e->scan_job)
        atomic_store(&e->scan_job->stop, 1);
}

enum call_state env_wait_scan(struct env *e, struct call *c)
{
    /* A scan already running may have read the disk before this request. */
    c->wait_for = e->scans_started + 1;
    callq_push(&e->waiting, c);
    env_scan(e);
    return CALL_WAIT;
}

int env_park_until_indexed(struct env *e, struct call *c)
{
    if (e->index)
        return 0;
    c->wait_for = 1; /* any published index will do */
    callq_push(&e->waiting, c);
    env_scan(e);
    return 1;
}

/* ---- The default environment: python3 on PATH ------------------------- */

static void probe_done(void *ud, struct proc_result *r)
{
    struct env *e = ud;
    e->probing = 0;
    if (e->released) {
        env_reap(e);
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
}

void env_probe_python(struct env *e)
{
    /* The site dirs where `python3 -m pip install` puts packages, including
     * the user's own (pip install --user). */
    static char *argv[] = {
        "python3", "-c",
        "import site, sys\n"
        "dirs = site.getsitepackages()\n"
        "if site.ENABLE_USER_SITE: dirs.append(site.getusersitepackages())\n"
        "sys.stdout.write(':'.join(dirs))\n",
        NULL};
    struct proc_opts o = {.timeout_ms = 20000};
    e->probing = 1;
    int rc = proc_run(e->g->loop, argv, &o, probe_done, e, NULL);
    if (rc < 0) {
        e->probing = 0;
        log_error("[%s] cannot run python3 to find its site-packages: %s; set [env:default] "
                  "site_packages in the config",
                  e->name, uv_strerror(rc));
        env_scan(e);
    }
}

int env_busy(const struct env *e)
{
    return e->scanning || e->scan_wanted || e->probing || e->build || e->build_wanted ||
           !e->index;
}

void env_build_settled(struct env *e)
{
    if (!env_busy(e))
        callq_wake(&e->lib_waiting);
}
