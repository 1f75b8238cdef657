/*
 * gliad: what concerns the daemon as a whole — its environments, readiness,
 * the routing of their events to clients, reloading the config on SIGHUP,
 * and stopping.
 */
#include "build.h"
#include "env.h"
#include "gliad.h"
#include "log.h"
#include "os.h"
#include "sdnotify.h"
#include "server.h"
#include "store.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* python_default: the config names no env; this one asks python3 on PATH. */
static struct env *add_config_env(struct gliad *g, const struct config_env *ce, int python_default)
{
    struct env *e = env_new(g, ce->name, ce->site_packages, ce->nsite);
    e->backend = ce->backend;
    env_add(g, e);
    if (python_default)
        env_probe_python(e);
    else
        for (size_t k = 0; k < e->nsite; k++)
            log_info("[%s] site-packages: %s", e->name, e->site[k]);
    return e;
}

void gliad_stop(struct gliad *g, const char *why)
{
    if (g->stopping)
        return;
    g->stopping = 1;
    log_info("stopping: %s", why);
    server_stop_listening(g->server);
    sync_close(g->sync);
    g->sync = NULL;
    for (size_t i = 0; i < g->nenvs; i++)
        env_stop(g->envs[i]);
    compiler_shutdown(&g->compiler);
    env_build_retry_close(g);
    /* Replies already made are written before each connection closes. */
    server_close_all(g->server);
    uv_close((uv_handle_t *)&g->sigint, NULL);
    uv_close((uv_handle_t *)&g->sigterm, NULL);
    uv_close((uv_handle_t *)&g->sighup, NULL);
    uv_close((uv_handle_t *)&g->watchdog, NULL);
    uv_close((uv_handle_t *)&g->lease_timer, NULL);
    sdnotify("STOPPING=1");
}

void gliad_on_signal(uv_signal_t *h, int signum)
{
    struct gliad *g = h->data;
    if (signum == SIGHUP)
        gliad_reload(g);
    else
        gliad_stop(g, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

void gliad_apply_cli(const struct gliad *g, struct config *c)
{
    if (g->cli_socket) {
        free(c->socket);
        c->socket = xstrdup(g->cli_socket);
    }
    if (g->cli_log_level >= 0)
        c->log_level = g->cli_log_level;
}

/* At startup and on SIGHUP alike: a config env takes the place of a
 * registered one of the same name. */
static void log_config_wins(const char *name)
{
    log_warn("registered environment %s is also in the config; the config wins", name);
}

/* A stored registration's dirs (one per line), as a malloc'd vector. */
static void stored_dirs(const struct store_env *r, char ***site, size_t *nsite)
{
    char *copy = xstrdup(r->site ? r->site : ""), *save = NULL;
    size_t cap = 0;
    *site = NULL;
    *nsite = 0;
    for (char *d = strtok_r(copy, "\n", &save); d; d = strtok_r(NULL, "\n", &save))
        VEC_PUSH(*site, *nsite, cap, xstrdup(d));
    free(copy);
}

/* A stored registration (name, dirs) as an env of gliad's. */
static struct env *add_registration(struct gliad *g, const struct store_env *r)
{
    char **site;
    size_t nsite;
    stored_dirs(r, &site, &nsite);
    struct env *e = env_new(g, r->name, site, nsite);
    e->registered = 1;
    env_add(g, e);
    strv_free(site, nsite);
    return e;
}

/* A stored registration that a config env serves (envid.h's SAME) is
 * that env, known by one more name; 1 when so. */
static int joins_config_env(struct gliad *g, const struct store_env *r)
{
    char **site;
    size_t nsite;
    stored_dirs(r, &site, &nsite);
    struct env_id py;
    env_id_init(&py, r->name, site, nsite);
    struct env *overlap, *same = env_find_same(g, &py, &overlap);
    env_id_free(&py);
    strv_free(site, nsite);
    if (!same || same->registered)
        return 0;
    env_alias_add(same, r->name);
    return 1;
}

static void add_registered(void *ud, const struct store_env *r)
{
    struct gliad *g = ud;
    if (env_find(g, r->name))
        log_config_wins(r->name);
    else if (joins_config_env(g, r))
        log_info("[%s] serves %s, registered before", env_find(g, r->name)->name, r->name);
    else
        add_registration(g, r);
}

/* After a reload: a registered env the config had taken the place of comes
 * back once the config drops it, as it would at the next start. */
static void restore_registered(void *ud, const struct store_env *r)
{
    struct gliad *g = ud;
    if (env_find(g, r->name) || joins_config_env(g, r))
        return;
    log_info("[%s] back to its registered site-packages", r->name);
    env_scan(add_registration(g, r));
}

/* The store says nothing of its failures: this is where one is told. */
static void load_registered(struct gliad *g, store_env_fn fn)
{
    if (store_envs_load(g->store, fn, g) < 0)
        log_error("cannot read the environments clients registered from %s: %s; they are "
                  "served again once they register",
                  store_path(g->store), store_error(g->store));
}

void gliad_add_envs(struct gliad *g)
{
    for (size_t i = 0; i < g->cfg.nenvs; i++)
        add_config_env(g, &g->cfg.envs[i], g->cfg.python_default);
    load_registered(g, add_registered);
}

/* An env published an index: tells systemd READY=1 once all have. */
static void ready_check(struct gliad *g)
{
    if (g->ready)
        return;
    for (size_t i = 0; i < g->nenvs; i++)
        if (!g->envs[i]->index)
            return;
    g->ready = 1;
    sdnotify("READY=1\nSTATUS=serving");
    log_info("ready: %zu environment%s indexed", g->nenvs, g->nenvs == 1 ? "" : "s");
}

static int same_site(const struct env *e, const struct config_env *ce)
{
    if (e->nsite != ce->nsite)
        return 0;
    for (size_t i = 0; i < ce->nsite; i++)
        if (strcmp(e->site[i], ce->site_packages[i]) != 0)
            return 0;
    return 1;
}

static const struct config_env *config_env_named(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->nenvs; i++)
        if (strcmp(c->envs[i].name, name) == 0)
            return &c->envs[i];
    return NULL;
}

/* Settings a running daemon cannot take: where it lives and what it builds with. */
static void warn_fixed(const struct config *old, const struct config *now)
{
    const char *keys[] = {"socket", "state_dir", "cache_dir"};
    const char *a[] = {old->socket, old->state_dir, old->cache_dir};
    const char *b[] = {now->socket, now->state_dir, now->cache_dir};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(a[i], b[i]) != 0)
            log_warn("SIGHUP: [daemon] %s changed; it takes a restart", keys[i]);
}

/* The registered env a config env serves (envid.h's SAME), or NULL. */
static struct env *registered_same_as(struct gliad *g, const struct config_env *ce)
{
    struct env_id cid;
    env_id_init(&cid, NULL, ce->site_packages, ce->nsite);
    struct env *found = NULL;
    for (size_t i = 0; !found && i < g->nenvs; i++) {
        struct env *e = g->envs[i];
        if (!e->registered)
            continue;
        struct env_id py;
        env_id_of(&py, e);
        if (envid_relate(&py.id, &cid.id) == ENVID_SAME)
            found = e;
        env_id_free(&py);
    }
    env_id_free(&cid);
    return found;
}

/* A registered env the config now lists under a name of its own becomes
 * that config env: its index, library and the records of who loaded which
 * generation go with it, its old name stays an alias for the scripts that
 * use it, and it builds once more only if its backend changed. */
static void merge_into_config(struct gliad *g, struct env *e, const struct config_env *ce)
{
    log_info("[%s] added by the config: it is registered environment %s, which it takes over",
             ce->name, e->name);
    int64_t offset = store_env_rename(g->store, e->name, ce->name);
    if (offset < 0)
        log_error("[%s] could not file %s's generations under it; scripts that loaded them keep "
                  "them all the same",
                  ce->name, e->name);
    else if (e->gen)
        e->gen->number += offset;
    char *old = e->name;
    e->name = xstrdup(ce->name);
    env_alias_add(e, old);
    free(old);
    e->registered = 0;
    /* A build under way would publish under the old name: it starts over. */
    int rebuild = e->backend != ce->backend || e->build;
    e->backend = ce->backend;
    if (!same_site(e, ce))
        env_set_site(e, ce->site_packages, ce->nsite);
    if (rebuild)
        env_build(e, 0, 0);
}

/* Environments: added, removed or changed as the new config says. */
static void reload_envs(struct gliad *g, const struct config *now)
{
    for (size_t i = 0; i < g->nenvs;) {
        struct env *e = g->envs[i];
        const struct config_env *ce = config_env_named(now, e->name);
        if (e->registered && ce) {
            /* From now on a config env, changed below like any other. The
             * store keeps the registration, as it does at startup. */
            log_config_wins(e->name);
            e->registered = 0;
        }
        if (e->registered || (ce && now->python_default && g->cfg.python_default)) {
            i++;
            continue;
        }
        if (!ce) {
            log_info("[%s] removed from the config", e->name);
            env_remove(g, e);
            continue;
        }
        if (now->python_default) {
            log_info("[%s] no longer in the config; asking python3 on PATH", e->name);
            env_probe_python(e);
        } else if (!same_site(e, ce)) {
            log_info("[%s] site-packages changed in the config", e->name);
            env_set_site(e, ce->site_packages, ce->nsite);
        }
        e->backend = ce->backend;
        i++;
    }
    for (size_t i = 0; i < now->nenvs; i++) {
        const struct config_env *ce = &now->envs[i];
        if (env_find(g, ce->name))
            continue;
        struct env *same = now->python_default ? NULL : registered_same_as(g, ce);
        if (same) {
            merge_into_config(g, same, ce);
            continue;
        }
        log_info("[%s] added by the config", ce->name);
        env_scan(add_config_env(g, ce, now->python_default));
    }
    load_registered(g, restore_registered);
}

void gliad_make_collection(struct gliad *g)
{
    /* Made here, empty, so that every env can watch it from the start and
     * see the package gliactl writes into it on first use. */
    if (g->cfg.collection && mkdir_p(g->cfg.collection, 0700) < 0)
        log_warn("cannot make the mod collection dir %s: %s; `gliactl add` will fail",
                 g->cfg.collection, strerror(errno));
}

void gliad_reload(struct gliad *g)
{
    struct config now;
    char err[512];
    if (config_load(&now, g->config_path, err, sizeof(err)) < 0) {
        log_error("SIGHUP: %s; keeping the running configuration", err);
        config_free(&now);
        return;
    }
    log_info("SIGHUP: reloading %s", g->config_path);
    gliad_apply_cli(g, &now);
    warn_fixed(&g->cfg, &now);
    /* Kept as they are: the paths, the socket and the toolchain. */
    struct config old = g->cfg;
    char *keep[] = {now.socket, now.state_dir, now.cache_dir};
    now.socket = old.socket, now.state_dir = old.state_dir, now.cache_dir = old.cache_dir;
    old.socket = keep[0], old.state_dir = keep[1], old.cache_dir = keep[2];
    struct config_neuron n = now.neuron;
    now.neuron = old.neuron;
    old.neuron = n;
    reload_envs(g, &now);
    g->cfg = now;
    config_free(&old);
    gliad_make_collection(g);
    g->compiler.jobs = g->cfg.jobs;
    log_set_level((enum log_level)g->cfg.log_level);
    for (size_t i = 0; i < g->nenvs; i++)
        env_scan(g->envs[i]);
}

/* ---- The environments' events, to the clients that subscribed ---- */

static void on_indexed(void *ud, const struct env *e)
{
    struct gliad *g = ud;
    server_notify_change(g->server, TOPIC_INDEX, "index.changed", e->name, (int64_t)e->version);
    /* Scripts that joined under another name listen for that one. */
    for (size_t i = 0; i < e->naliases; i++)
        server_notify_change(g->server, TOPIC_INDEX, "index.changed", e->aliases[i],
                             (int64_t)e->version);
    ready_check(g);
}

static void on_build(void *ud, const struct env *e, const struct build_note *n)
{
    struct gliad *g = ud;
    (void)e;
    server_notify_build(g->server, n);
    if (n->final)
        sdnotify_status("%s: generation %lld, %zu mods failed", n->env, (long long)n->generation,
                        n->failed);
    else
        sdnotify_status("%s: building %zu/%zu mods", n->env, n->done, n->total);
}

void gliad_route_events(struct gliad *g)
{
    g->events = (struct env_events){.ud = g, .indexed = on_indexed, .build = on_build};
}
