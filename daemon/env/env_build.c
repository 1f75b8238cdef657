/*
 * env_build: an environment's side of its builds and of the collections
 * that follow them. The build (build.h) and the GC (gc.h) are services:
 * this file gives them their spec, takes their results into the env, and
 * retries a build that failed for reasons outside the mods.
 */
#include "build.h"
#include "env_build.h"
#include "env_defs.h"
#include "gc.h"
#include "gliad_defs.h"
#include "log.h"
#include "os.h"
#include "timer.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void retry_arm(struct gliad *g);

/* ---- What a build asks and tells ---- */

static const struct generation *hook_current(void *ud)
{
    return ((const struct env *)ud)->gen;
}

static const char *hook_name(void *ud)
{
    return ((const struct env *)ud)->name;
}

/* Named by a global preference (gliactl select ... --pkg=P). */
static int hook_preferred(void *ud, const char *pkg)
{
    const struct env *e = ud;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&e->g->prefs, &i, &k, &v);) {
        const struct pref *pr = v;
        if (pr->pkg && strcmp(pr->pkg, pkg) == 0)
            return 1;
    }
    return 0;
}

static void hook_note(void *ud, const struct build_note *n)
{
    const struct env *e = ud;
    if (e->g->events.build)
        e->g->events.build(e->g->events.ud, e, n);
}

#define RETRY_FIRST_MS 1000u
#define RETRY_MAX_MS 60000u

/* A build that failed for reasons outside the mods is tried again after
 * 1 s, then after twice as long each time up to a minute; any other
 * outcome resets the wait. */
static void retry_after(struct env *e, int outside)
{
    if (!outside) {
        e->retry_delay_ms = 0;
        e->retry_at = 0;
        return;
    }
    unsigned delay = e->retry_delay_ms ? e->retry_delay_ms : RETRY_FIRST_MS;
    e->retry_at = now_ms() + delay;
    e->retry_delay_ms = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
    log_warn("[%s] the build failed for reasons outside the mods; trying again in %u s", e->name,
             (delay + 999) / 1000);
    retry_arm(e->g);
}

static void hook_done(void *ud, const struct build_note *n, struct build_report *r,
                      struct generation *gen)
{
    struct env *e = ud;
    if (gen) {
        generation_free(e->gen);
        e->gen = gen;
    }
    if (r->error)
        log_error("[%s] build %llu failed: %s", e->name, (unsigned long long)r->id, r->error);
    else
        log_info("[%s] build %llu: %zu mechanisms (%zu compiled, %zu cached, %zu failed) in "
                 "%.0f ms (link and load check %.0f ms): %s generation %lld",
                 e->name, (unsigned long long)r->id, r->total - r->failed, r->compiled, r->cached,
                 r->failed, r->ms, r->link_ms, gen ? "new" : "unchanged", (long long)n->generation);
    build_report_free(e->report);
    e->report = r;
    e->builds++;
    retry_after(e, r->outside);
    hook_note(e, n);
    e->build = NULL;
    if (gen) /* a new library: an old one may go */
        e->g->gc_wanted = 1;
    e->g->env_next_all(e->g);
}

/* ---- Starting and stopping ---- */

void env_build_next(struct env *e)
{
    struct gliad *g = e->g;
    if (!(e->want & ENV_WANT_BUILD))
        return;
    /* Started once the toolchain and index are known, and once a running
     * GC is over (it could delete a library this build would reuse). A
     * publishing build is not cancelled: its generation may be committed
     * already. The next starts when it is through. */
    if (!g->tc.ready || !e->index || g->gc_running || (e->build && build_publishing(e->build)))
        return;
    int force = (e->want & ENV_WANT_FORCE) != 0;
    e->want &= ~(ENV_WANT_BUILD | ENV_WANT_FORCE);
    e->retry_at = 0; /* this one is the retry */
    env_build_stop(e, "overtaken by a newer change");
    struct build_spec spec = {.id = ++g->next_build_id,
                              .env_name = e->name,
                              .index = e->index,
                              .force = force,
                              .nrnivmodl = e->backend == CONFIG_BACKEND_NRNIVMODL,
                              .jobs = g->cfg.jobs,
                              .loop = g->loop,
                              .store = g->store,
                              .writer = g->writer,
                              .compiler = &g->compiler,
                              .tc = &g->tc,
                              .symbols = g->neuron_symbols,
                              .cache_dir = g->cfg.cache_dir,
                              .state_dir = g->cfg.state_dir};
    struct build_hooks hooks = {.ud = e,
                                .current = hook_current,
                                .env_name = hook_name,
                                .preferred = hook_preferred,
                                .note = hook_note,
                                .done = hook_done};
    e->build = build_start(&spec, &hooks);
}

void env_build_stop(struct env *e, const char *why)
{
    if (!e->build)
        return;
    build_cancel(e->build, why);
    e->build = NULL;
}

void env_build(struct env *e, int force, int clear)
{
    e->want |= ENV_WANT_BUILD | (force ? ENV_WANT_FORCE : 0);
    if (clear) {
        /* Collected once the build is through (gc waits for builds). */
        e->want |= ENV_WANT_CLEAR;
        e->g->gc_wanted = 1;
    }
    e->g->env_next_all(e->g);
}

/* ---- Collections ---- */

static void gc_done(void *ud)
{
    struct gliad *g = ud;
    g->gc_running = 0;
    g->env_next_all(g); /* the builds that waited, then maybe another collection */
}

void env_gc_next(struct gliad *g)
{
    int building = 0;
    for (size_t i = 0; i < g->nenvs; i++)
        building |= g->envs[i]->build != NULL;
    if (g->stopping)
        g->gc_wanted = 0;
    if (!g->gc_wanted || g->gc_running || building)
        return;
    g->gc_wanted = 0;
    g->gc_running = 1;
    char **names = xcalloc(g->nenvs + 1, sizeof(*names));
    int *keep = xcalloc(g->nenvs + 1, sizeof(*keep));
    for (size_t i = 0; i < g->nenvs; i++) {
        struct env *e = g->envs[i];
        keep[i] = (e->want & ENV_WANT_CLEAR) ? 1 : g->cfg.keep_generations;
        e->want &= ~ENV_WANT_CLEAR;
        names[i] = e->name;
    }
    struct gc_spec spec = {.state_dir = g->cfg.state_dir,
                           .cache_dir = g->cfg.cache_dir,
                           .max_bytes = (int64_t)g->cfg.cache_max_mb << 20,
                           .envs = names,
                           .keep = keep,
                           .nenvs = g->nenvs};
    gc_start(g->loop, &spec, gc_done, g);
    free(names);
    free(keep);
}

/* ---- Retries ---- */

static void retry_fire(void *ctx);

/* One timer for the daemon, due at the earliest env's retry. */
static void retry_arm(struct gliad *g)
{
    double first = 0;
    for (size_t i = 0; i < g->nenvs; i++) {
        double at = g->envs[i]->retry_at;
        if (at > 0 && (first == 0 || at < first))
            first = at;
    }
    if (first == 0 || g->stopping) {
        timer_stop(g->build_retry);
        return;
    }
    double wait = first - now_ms();
    timer_start(g->build_retry, wait > 0 ? (uint64_t)wait : 0, 0);
}

static void retry_fire(void *ctx)
{
    struct gliad *g = ctx;
    double now = now_ms();
    for (size_t i = 0; i < g->nenvs; i++) {
        struct env *e = g->envs[i];
        if (e->retry_at > 0 && e->build) {
            e->retry_at = 0; /* the running build is the retry */
        } else if (e->retry_at > 0 && e->retry_at <= now + 1) {
            log_info("[%s] trying the build that failed for reasons outside the mods again",
                     e->name);
            env_build(e, 0, 0); /* clears retry_at */
            e->retry_at = 0;    /* also when it had to be deferred */
        }
    }
    retry_arm(g);
}

void env_build_init(struct gliad *g, void (*next_all)(struct gliad *g))
{
    g->env_next_all = next_all;
    g->build_retry = timer_new(g->loop, retry_fire, g);
}

void env_build_retry_close(struct gliad *g)
{
    timer_close(g->build_retry);
    g->build_retry = NULL;
}
