/*
 * methods_info: hello, status, envs — who the daemon is and how it is doing.
 */
#include "build.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "methods.h"
#include "os.h"
#include "server.h"
#include "util.h"

#include <unistd.h>

static enum call_state m_hello(struct call *c)
{
    struct gliad *g = c->g;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "server", "gliad");
    proto_pack_kstr(pk, "version", GLIAD_VERSION);
    proto_pack_kint(pk, "protocol", GLIAD_PROTOCOL);
    proto_pack_kint(pk, "pid", getpid());
    proto_pack_key(pk, "envs");
    msgpack_pack_array(pk, g->nenvs);
    for (size_t i = 0; i < g->nenvs; i++)
        proto_pack_str(pk, g->envs[i]->name);
    proto_map_close(pk, map);
    return CALL_DONE;
}

static size_t problem_count(const struct index *idx)
{
    size_t n = idx->nproblems;
    for (size_t i = 0; i < idx->npkgs; i++)
        n += idx->pkgs[i]->nproblems;
    return n;
}

/* Mods of the last build left out at `stage` (see build_failure_stage). */
static int64_t left_out(const struct env *e, const char *stage)
{
    int64_t n = 0;
    for (size_t i = 0; e->report && i < e->report->nfailures; i++)
        n += strcmp(build_failure_stage(&e->report->failures[i]), stage) == 0;
    return n;
}

static void pack_env(msgpack_packer *pk, const struct env *e, int has_builtins)
{
    const struct index *idx = e->index;
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", e->name);
    proto_pack_key(pk, "joined_by");
    msgpack_pack_array(pk, e->naliases);
    for (size_t i = 0; i < e->naliases; i++)
        proto_pack_str(pk, e->aliases[i]);
    proto_pack_kint(pk, "scans", (int64_t)e->version); /* scans that changed the index */
    proto_pack_kint(pk, "scan_jobs", (int64_t)e->scans);
    proto_pack_kint(pk, "builds", (int64_t)e->builds);
    proto_pack_kint(pk, "events", (int64_t)e->watcher.events);
    proto_pack_kint(pk, "bursts", (int64_t)e->watcher.bursts);
    proto_pack_kint(pk, "watched_dirs", (int64_t)e->watcher.dirs.len);
    proto_pack_kstr(pk, "watch_fallback", e->watcher.fallback);
    proto_pack_kstr(pk, "backend", e->backend == CONFIG_BACKEND_NRNIVMODL ? "nrnivmodl" : "direct");
    proto_pack_kbool(pk, "building", e->build != NULL || (e->want & ENV_WANT_BUILD));
    proto_pack_kint(pk, "generation", e->gen ? e->gen->number : 0);
    proto_pack_kint(pk, "built_failed", e->report ? (int64_t)e->report->failed : 0);
    proto_pack_kint(pk, "left_out_link", left_out(e, "link"));
    proto_pack_kint(pk, "left_out_load", left_out(e, "load"));
    proto_pack_key(pk, "site_packages");
    msgpack_pack_array(pk, e->nsite);
    for (size_t i = 0; i < e->nsite; i++)
        proto_pack_str(pk, e->site[i]);
    proto_pack_kbool(pk, "ready", idx != NULL);
    proto_pack_kbool(pk, "scanning", e->scan_job != NULL || (e->flags & ENV_F_PROBING));
    proto_pack_kint(pk, "packages", idx ? (int64_t)(idx->npkgs - (size_t)has_builtins) : 0);
    proto_pack_kint(pk, "mods", idx ? (int64_t)idx->nmods : 0);
    proto_pack_kint(pk, "assets", idx ? (int64_t)idx->assets.len : 0);
    proto_pack_kint(pk, "problems", idx ? (int64_t)problem_count(idx) : 0);
    proto_pack_kdouble(pk, "last_scan_ms", e->last_scan_ms);
    proto_map_close(pk, map);
}

static enum call_state m_status(struct call *c)
{
    struct gliad *g = c->g;
    int has_builtins = g->builtins != NULL;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "version", GLIAD_VERSION);
    proto_pack_kstr(pk, "toolchain", g->tc.problem ? g->tc.problem : g->tc.describe);
    proto_pack_kint(pk, "compile_queue", (int64_t)compiler_queued(&g->compiler));
    proto_pack_kint(pk, "compiler_processes", (int64_t)g->compiler.processes);
    proto_pack_kint(pk, "pid", getpid());
    proto_pack_kdouble(pk, "uptime_s", (now_ms() - g->started_ms) / 1000.0);
    proto_pack_kstr(pk, "socket", g->cfg.socket);
    proto_pack_kstr(pk, "config", g->cfg.path);
    proto_pack_kstr(pk, "state_dir", g->cfg.state_dir);
    proto_pack_kstr(pk, "cache_dir", g->cfg.cache_dir);
    proto_pack_kstr(pk, "collection", g->cfg.collection);
    proto_pack_kint(pk, "clients", (int64_t)server_nclients(g->server));
    proto_pack_kint(pk, "builtins", has_builtins ? (int64_t)g->builtins->nmods : 0);
    proto_pack_key(pk, "envs");
    msgpack_pack_array(pk, g->nenvs);
    for (size_t i = 0; i < g->nenvs; i++)
        pack_env(pk, g->envs[i], has_builtins);
    proto_map_close(pk, map);
    return CALL_DONE;
}

static enum call_state m_envs(struct call *c)
{
    struct gliad *g = c->g;
    msgpack_packer *pk = call_result(c);
    msgpack_pack_array(pk, g->nenvs);
    for (size_t i = 0; i < g->nenvs; i++)
        pack_env(pk, g->envs[i], g->builtins != NULL);
    return CALL_DONE;
}

const struct method methods_info[] = {
    {"hello", m_hello},
    {"status", m_status},
    {"envs", m_envs},
    {NULL, NULL},
};
