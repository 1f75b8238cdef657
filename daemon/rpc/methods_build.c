/*
 * methods_build: library, build, log, subscribe, loaded — the compiled
 * side of an environment.
 */
#include "build.h"
#include "diag.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "log.h"
#include "methods.h"
#include "os.h"
#include "server.h"
#include "store.h"
#include "store_writer.h"
#include "sync.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The lifecycle as `library` and `build` name it. */
static const char *state_of(const struct env *e)
{
    switch (env_state(e)) {
    case ENV_BUILDING:
    case ENV_PUBLISHING:
        return "building";
    case ENV_PROBING:
    case ENV_SCANNING:
        return "scanning";
    default:
        break;
    }
    if (!e->gen)
        return e->report && e->report->error ? "failed" : "none";
    return "ready";
}

static void pack_report(msgpack_packer *pk, const struct build_report *r)
{
    if (!r) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t map = proto_map_open(pk);
    proto_pack_kint(pk, "build", (int64_t)r->id);
    proto_pack_kbool(pk, "ok", r->ok);
    proto_pack_kbool(pk, "unchanged", r->unchanged);
    proto_pack_kint(pk, "total", (int64_t)r->total);
    proto_pack_kint(pk, "compiled", (int64_t)r->compiled);
    proto_pack_kint(pk, "cached", (int64_t)r->cached);
    proto_pack_kint(pk, "failed", (int64_t)r->failed);
    proto_pack_kdouble(pk, "ms", r->ms);
    proto_pack_kdouble(pk, "link_ms", r->link_ms);
    proto_pack_kstr(pk, "error", r->error);
    proto_pack_kbool(pk, "outside", r->outside);
    proto_map_close(pk, map);
}

/* The library served is older than what the last build was for: that
 * build failed. nil otherwise. A client told "here is the library" must
 * also be told it is not the newest, and why. */
static void pack_stale(msgpack_packer *pk, const struct env *e)
{
    proto_pack_key(pk, "stale");
    if (!e->gen || !e->report || e->report->ok) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "reason", e->report->error);
    proto_pack_kint(pk, "since", e->gen->created);
    proto_pack_key(pk, "retry_in_ms");
    double left = e->retry_at - now_ms();
    if (e->retry_at > 0)
        msgpack_pack_int64(pk, left > 0 ? (int64_t)left : 0);
    else
        msgpack_pack_nil(pk);
    proto_map_close(pk, map);
}

/* Each package's part of the library, for a client that loads only the
 * packages it uses (absent when the library has none). */
static void pack_parts(msgpack_packer *pk, const struct generation *g)
{
    proto_pack_key(pk, "parts");
    msgpack_pack_array(pk, g->nparts);
    for (size_t i = 0; i < g->nparts; i++) {
        const struct generation_part *pt = &g->parts[i];
        msgpack_pack_map(pk, 3);
        proto_pack_kstr(pk, "package", pt->pkg);
        proto_pack_kstr(pk, "path", pt->path);
        proto_pack_key(pk, "names");
        msgpack_pack_array(pk, pt->nnames);
        for (size_t j = 0; j < pt->nnames; j++)
            proto_pack_str(pk, pt->names[j]);
    }
}

/* library {env, wait, names, parts}: the newest good library; with wait,
 * once nothing known is still to be scanned or built. */
static enum call_state m_library(struct call *c)
{
    struct env *e = call_env(c);
    int wait = proto_args_bool(&c->args, "wait", 0);
    int names = proto_args_bool(&c->args, "names", 0);
    int parts = proto_args_bool(&c->args, "parts", 0);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    if (wait && call_sync(c))
        return CALL_WAIT;
    if (wait && env_state(e) != ENV_SETTLED) {
        call_wait_settled(c, e);
        return CALL_WAIT;
    }
    const struct generation *g = e->gen;
    parts = parts && g && g->nparts;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    if (parts)
        pack_parts(pk, g);
    if (names) { /* what a client that loads this library can insert */
        proto_pack_key(pk, "names");
        msgpack_pack_array(pk, g ? g->nnames : 0);
        for (size_t i = 0; g && i < g->nnames; i++)
            proto_pack_str(pk, g->names[i]);
    }
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_kstr(pk, "status", state_of(e));
    proto_pack_kstr(pk, "path", g ? g->path : NULL);
    proto_pack_kint(pk, "generation", g ? g->number : 0);
    proto_pack_kstr(pk, "key", g ? g->libkey : NULL);
    proto_pack_kint(pk, "mechanisms", g ? (int64_t)g->nnames : 0);
    proto_pack_kint(pk, "failed", e->report ? (int64_t)e->report->failed : 0);
    proto_pack_key(pk, "last_build");
    pack_report(pk, e->report);
    pack_stale(pk, e);
    proto_map_close(pk, map);
    return CALL_DONE;
}

/* build {env, force}: starts a build now; answers at once. */
static enum call_state m_build(struct call *c)
{
    struct env *e = call_env(c);
    int force = proto_args_bool(&c->args, "force", 0);
    int clear = proto_args_bool(&c->args, "clear", 0);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    env_build(e, force || clear, clear);
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_kbool(pk, "started", e->build != NULL);
    proto_pack_kstr(pk, "status", state_of(e));
    proto_map_close(pk, map);
    return CALL_DONE;
}

/* name: an asset, a package or a full mechanism name. */
static int matches(const struct build_failure *f, const char *name)
{
    return !name || strcmp(f->asset, name) == 0 || strcmp(f->full, name) == 0 ||
           strcmp(f->pkg, name) == 0;
}

/* The path f's words were written with, when it is not f's own (malloc'd),
 * else NULL. A failure is cached by content, so it may have been met in
 * another env's copy of the same mod; its summary starts with that copy's
 * path ("<path>:<line>: ..." or "<path>: ..."), and a mod's path ends in
 * ".mod". */
static char *foreign_path(const struct build_failure *f)
{
    size_t n = strlen(f->path);
    if (!f->summary || (strncmp(f->summary, f->path, n) == 0 && f->summary[n] == ':'))
        return NULL;
    const char *end = strstr(f->summary, ".mod:");
    return end ? xstrndup(f->summary, (size_t)(end - f->summary) + strlen(".mod")) : NULL;
}

static char *replaced(const char *s, const char *from, const char *to)
{
    return s && from ? diag_replace(s, from, to) : xstrdup(s);
}

void build_failure_words(const struct build_failure *f, char **summary, char **detail)
{
    char *from = foreign_path(f);
    *summary = replaced(f->summary, from, f->path);
    *detail = replaced(f->detail, from, f->path);
    free(from);
}

struct build_failure build_failure_rejected(const struct index_mod *m)
{
    struct build_failure f = {.full = (char *)m->full,
                              .pkg = (char *)m->pkgname,
                              .asset = (char *)m->asset,
                              .variant = (char *)m->variant,
                              .path = (char *)m->path,
                              .line = m->reject_line};
    f.summary = m->reject_line ? xprintf("%s:%d: %s", m->path, m->reject_line, m->reject_reason)
                               : xprintf("%s: %s", m->path, m->reject_reason);
    f.detail = xstrdup(f.summary);
    return f;
}

/* Packs one failure of log's list. */
static void pack_failure(msgpack_packer *pk, const struct build_failure *f)
{
    char *summary, *detail;
    build_failure_words(f, &summary, &detail);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "full", f->full);
    proto_pack_kstr(pk, "pkg", f->pkg);
    proto_pack_kstr(pk, "asset", f->asset);
    proto_pack_kstr(pk, "variant", f->variant);
    proto_pack_kstr(pk, "file", f->path);
    proto_pack_kint(pk, "line", f->line);
    proto_pack_kstr(pk, "summary", summary);
    proto_pack_kstr(pk, "detail", detail);
    proto_map_close(pk, map);
    free(summary);
    free(detail);
}

/* The mods of e's index its parser rejected (never built, so in no build's
 * report), those matching name in v when not NULL; returns how many. */
static size_t rejected_mods(const struct env *e, const char *name, const struct index_mod **v)
{
    size_t n = 0;
    for (size_t i = 0; e->index && i < e->index->npkgs; i++) {
        const struct index_pkg *p = e->index->pkgs[i];
        for (size_t k = 0; k < p->nrejected; k++) {
            const struct index_mod *m = &p->rejected[k];
            if (name && strcmp(m->asset, name) != 0 && strcmp(m->full, name) != 0 &&
                strcmp(m->pkgname, name) != 0)
                continue;
            if (v)
                v[n] = m;
            n++;
        }
    }
    return n;
}

/* log {env, name}: diagnostics of what the last build left out, and of
 * the mods the index could not parse. */
static enum call_state m_log(struct call *c)
{
    struct env *e = call_env(c);
    const char *name = proto_args_str(&c->args, "name", 0);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    const struct build_report *r = e->report;
    size_t nrej = rejected_mods(e, name, NULL);
    const struct index_mod **rej = xcalloc(nrej + 1, sizeof(*rej));
    rejected_mods(e, name, rej);
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_kstr(pk, "error", r ? r->error : NULL);
    proto_pack_key(pk, "failures");
    size_t failures = proto_array_open(pk);
    for (size_t i = 0; r && i < r->nfailures; i++) {
        if (matches(&r->failures[i], name))
            pack_failure(pk, &r->failures[i]);
    }
    for (size_t i = 0; i < nrej; i++) {
        struct build_failure f = build_failure_rejected(rej[i]);
        pack_failure(pk, &f);
        free(f.summary);
        free(f.detail);
    }
    proto_array_close(pk, failures);
    proto_map_close(pk, map);
    free(rej);
    return CALL_DONE;
}

/* subscribe {topics: ["build", "prefs", "index"]}: notifications wanted. */
static enum call_state m_subscribe(struct call *c)
{
    size_t n;
    const char **topics = proto_args_strv(&c->args, "topics", &n);
    if (call_bad_args(c))
        return CALL_DONE;
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(topics[i], "build") == 0)
            mask |= TOPIC_BUILD;
        else if (strcmp(topics[i], "prefs") == 0)
            mask |= TOPIC_PREFS;
        else if (strcmp(topics[i], "index") == 0)
            mask |= TOPIC_INDEX;
        else {
            call_error(c, PROTO_E_BAD_REQUEST, "unknown topic '%s' (known: build, prefs, index)",
                       topics[i]);
            return CALL_DONE;
        }
    }
    conn_subscribe(c->conn, mask);
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kint(pk, "topics", mask);
    proto_map_close(pk, map);
    return CALL_DONE;
}

/* A load on its way to the store; the strings are the writer's. */
struct loading {
    struct call *c;
    char *env;
    int64_t gen;
    int pid;
};

/* Writer thread. */
static int loaded_write(struct store *s, void *ctx)
{
    struct loading *l = ctx;
    return store_loaded_add(s, l->env, l->gen, l->pid);
}

static void loaded_written(void *ctx, int rc, const char *err)
{
    struct loading *l = ctx;
    struct call *c = l->c;
    if (rc < 0) {
        call_error(c, PROTO_E_INTERNAL, "could not record the load: %s", err);
    } else {
        msgpack_packer *pk = call_result(c);
        size_t map = proto_map_open(pk);
        proto_pack_kint(pk, "generation", l->gen);
        proto_pack_kint(pk, "pid", l->pid);
        proto_map_close(pk, map);
    }
    free(l->env);
    free(l);
    call_complete(c);
}

/* loaded {env, generation}: the client loaded that generation's library;
 * it is kept while the client's process lives. Answered once that is
 * durable: a collection that starts after the answer keeps the library. */
static enum call_state m_loaded(struct call *c)
{
    struct env *e = call_env(c);
    int64_t gen = proto_args_int(&c->args, "generation", -1);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    int pid = conn_peer_pid(c->conn);
    if (gen <= 0 || pid <= 0) {
        call_error(c, PROTO_E_BAD_REQUEST, "loaded needs a generation number from library");
        return CALL_DONE;
    }
    struct loading *l = xcalloc(1, sizeof(*l));
    *l = (struct loading){c, xstrdup(e->name), gen, pid};
    store_writer_submit(c->g->writer, loaded_write, loaded_written, l);
    return CALL_WAIT;
}

const struct method methods_build[] = {
    {"loaded", m_loaded}, {"library", m_library},     {"build", m_build},
    {"log", m_log},       {"subscribe", m_subscribe}, {NULL, NULL},
};
