/*
 * methods_resolve: resolve, asset, select, unselect, prefs — what an asset
 * name means, why, and the global preferences that steer it.
 */
#include "build.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "log.h"
#include "mechname.h"
#include "methods.h"
#include "params.h"
#include "prefs.h"
#include "resolve.h"
#include "scopes.h"
#include "server.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The asset and its candidates, or NULL after answering unknown_asset. */
static const struct index_asset *lookup(struct call *c, struct env *e, const char *asset)
{
    const struct index_asset *a = index_asset(e->index, asset);
    if (a)
        return a;
    /* A near miss is the usual mistake: say what was probably meant. */
    const char **names = xcalloc(e->index->assets.len + 1, sizeof(*names));
    size_t n = 0;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&e->index->assets, &i, &k, &v);)
        names[n++] = k;
    const char *hint = resolve_suggest(asset, names, n);
    call_error(c, PROTO_E_UNKNOWN_ASSET,
               "no asset named '%s' in environment '%s'%s%s%s (gliactl list shows them all)", asset,
               e->name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    free(names);
    return NULL;
}

static void pack_fulls(msgpack_packer *pk, const struct index_asset *a, const size_t *idx, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        proto_pack_str(pk, a->mods[idx ? idx[i] : i]->full);
}

/* "a, b, c" of the candidates' full names (idx NULL: all of them). */
static void join_fulls(char *buf, size_t len, const struct index_asset *a, const size_t *idx,
                       size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
                                a->mods[idx ? idx[i] : i]->full);
}

/* Resolves with the global preferences, the client's scopes and the call's
 * own pkg/variant. Returns -1 only after answering bad_request for
 * malformed prefs; the outcome is in *r. */
static int run_resolve(struct call *c, const struct index_asset *a, const char *asset,
                       const char *pkg, const char *variant, const msgpack_object *prefs,
                       struct resolve_result *r)
{
    struct resolve_scope *client;
    char err[200];
    int n = params_scopes(prefs, c->args.zone, &client, err, sizeof(err));
    if (n < 0) {
        call_error(c, PROTO_E_BAD_REQUEST, "%s", err);
        return -1;
    }
    const struct pref *gp = strmap_get(&c->g->prefs, asset);
    struct resolve_pref global = {gp ? gp->pkg : NULL, gp ? gp->variant : NULL};
    struct scopes s;
    scopes_build(&s, asset, gp ? &global : NULL, client, (size_t)n);
    struct resolve_query q = {asset, s.v, s.n, {pkg, variant}};
    resolve(a->cands, a->n, &q, r);
    return 0;
}

/* Options that select the first match and only it: its package when no
 * other match shares it, its variant when every match is of one package,
 * else both. */
static void example_pick(const struct index_asset *a, const struct resolve_result *r, char *out,
                         size_t len)
{
    const struct index_mod *first = a->mods[r->matches[0]];
    size_t known = r->nmatches < RESOLVE_MAX_MATCHES ? r->nmatches : RESOLVE_MAX_MATCHES;
    size_t same_pkg = 0;
    for (size_t i = 0; i < known; i++)
        same_pkg += strcmp(a->mods[r->matches[i]]->pkgname, first->pkgname) == 0;
    if (same_pkg == 1 && known == r->nmatches)
        snprintf(out, len, "--pkg=%s", first->pkgname);
    else if (same_pkg == r->nmatches)
        snprintf(out, len, "--variant=%s", first->variant);
    else
        snprintf(out, len, "--pkg=%s --variant=%s", first->pkgname, first->variant);
}

/* The words for a failed resolution; returns its error code. */
static const char *failure(const struct resolve_result *r, const struct index_asset *a,
                           const char *asset, const char *pkg, const char *variant, char *msg,
                           size_t len)
{
    char list[2048];
    if (r->status == RESOLVE_AMBIGUOUS) {
        size_t shown = r->nmatches < RESOLVE_MAX_MATCHES ? r->nmatches : RESOLVE_MAX_MATCHES;
        join_fulls(list, sizeof(list), a, r->matches, shown);
        char pick[300];
        example_pick(a, r, pick, sizeof(pick));
        snprintf(msg, len,
                 "'%s' is ambiguous: %zu candidates match (%s); pick one with a package or "
                 "variant, e.g. gliactl select %s %s",
                 asset, r->nmatches, list, asset, pick);
        return PROTO_E_AMBIGUOUS;
    }
    join_fulls(list, sizeof(list), a, NULL, a->n);
    snprintf(msg, len, "no candidate for '%s' has%s%s%s%s%s%s (candidates: %s)", asset,
             pkg ? " package '" : "", pkg ? pkg : "", pkg ? "'" : "",
             variant ? (pkg ? " and variant '" : " variant '") : "", variant ? variant : "",
             variant ? "'" : "", list);
    return PROTO_E_NO_MATCH;
}

/* Answers a failed resolution, with the candidates a person chooses from. */
static void answer_failure(struct call *c, const struct resolve_result *r,
                           const struct index_asset *a, const char *asset, const char *pkg,
                           const char *variant)
{
    char msg[2600];
    const char *code = failure(r, a, asset, pkg, variant, msg, sizeof(msg));
    msgpack_packer *pk = call_error_begin(c, code, msg);
    proto_pack_key(pk, "candidates");
    if (r->status == RESOLVE_AMBIGUOUS)
        pack_fulls(pk, a, r->matches,
                   r->nmatches < RESOLVE_MAX_MATCHES ? r->nmatches : RESOLVE_MAX_MATCHES);
    else
        pack_fulls(pk, a, NULL, a->n);
    call_error_end(c);
}

/* Why the choice fell where it did, in words. */
static void explain(const struct resolve_result *r, char *buf, size_t len)
{
    size_t off = 0;
    if (r->wanted.pkg)
        off += (size_t)snprintf(buf + off, len - off, "package '%s' from the %s scope; ",
                                r->wanted.pkg, r->pkg_from);
    if (r->wanted.variant && off < len)
        off += (size_t)snprintf(buf + off, len - off, "variant '%s' from the %s scope; ",
                                r->wanted.variant, r->variant_from);
    if (r->fell_back && off < len)
        off += (size_t)snprintf(buf + off, len - off,
                                "no candidate matched the preferences, so they were ignored; ");
    if (off < len)
        off += (size_t)snprintf(buf + off, len - off, "%s",
                                r->tie_break      ? "several matched, all from one package: its "
                                                    "variant 0 wins"
                                : r->nmatches > 1 ? "several matched"
                                                  : "the only match");
}

/* Answers build_failed for the chosen m, in env's own words, with the
 * command that shows the rest (naming the env unless it is the default). */
static void answer_build_failed(struct call *c, struct env *e, const struct index_mod *m,
                                const struct build_failure *f)
{
    char *summary, *detail;
    build_failure_words(f, &summary, &detail);
    int other = e != env_find(c->g, NULL);
    char msg[2048];
    snprintf(msg, sizeof(msg), "%s did not compile: %s (gliactl %s%s%slog %s shows the rest)",
             m->full, summary, other ? "--env " : "", other ? e->name : "", other ? " " : "",
             m->asset);
    msgpack_packer *pk = call_error_begin(c, PROTO_E_BUILD_FAILED, msg);
    proto_pack_kstr(pk, "full", m->full);
    proto_pack_kstr(pk, "detail", detail);
    call_error_end(c);
    free(summary);
    free(detail);
}

/* What resolve and asset share: the request, read and resolved. */
struct resolve_req {
    struct env *e;
    const char *asset, *pkg, *variant;
    const struct index_asset *a;
    struct resolve_result r;
};

/* Reads {env, asset, pkg, variant, prefs}, waits for the index and
 * resolves. Returns -1 when the call is answered already (bad request,
 * unknown asset), CALL_WAIT when it is parked, CALL_DONE to go on. */
static int begin_resolve(struct call *c, struct resolve_req *rq)
{
    rq->e = call_env(c);
    if (!rq->e)
        return -1;
    rq->asset = proto_args_str(&c->args, "asset", 1);
    rq->pkg = proto_args_str(&c->args, "pkg", 0);
    rq->variant = proto_args_str(&c->args, "variant", 0);
    const msgpack_object *prefs = proto_args_get(&c->args, "prefs");
    if (call_bad_args(c))
        return -1;
    if (call_wait_index(c, rq->e))
        return CALL_WAIT;
    rq->a = lookup(c, rq->e, rq->asset);
    if (!rq->a || run_resolve(c, rq->a, rq->asset, rq->pkg, rq->variant, prefs, &rq->r) < 0)
        return -1;
    return CALL_DONE;
}

static enum call_state m_resolve(struct call *c)
{
    struct resolve_req rq;
    int st = begin_resolve(c, &rq);
    if (st != CALL_DONE)
        return st == CALL_WAIT ? CALL_WAIT : CALL_DONE;
    struct env *e = rq.e;
    const struct index_asset *a = rq.a;
    struct resolve_result r = rq.r;
    if (r.status != RESOLVE_OK) {
        answer_failure(c, &r, a, rq.asset, rq.pkg, rq.variant);
        return CALL_DONE;
    }
    const struct index_mod *m = a->mods[r.chosen];
    if (m->reject_reason) {
        struct build_failure rf = build_failure_rejected(m);
        answer_build_failed(c, e, m, &rf);
        free(rf.summary);
        free(rf.detail);
        return CALL_DONE;
    }
    const struct build_failure *f = build_failure_of(e->report, e->gen, m);
    if (f) {
        answer_build_failed(c, e, m, f);
        return CALL_DONE;
    }
    /* Which published library holds it: a client that loaded an older one
     * must be told to restart rather than fail inside NEURON. */
    int built =
        m->pkg->layout == INDEX_BUILTIN || (e->gen && strmap_get(&e->gen->fulls, m->full) != NULL);
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "full", m->full);
    proto_pack_kstr(pk, "asset", m->asset);
    proto_pack_kstr(pk, "pkg", m->pkgname);
    proto_pack_kstr(pk, "variant", m->variant);
    proto_pack_kstr(pk, "kind", modfile_kind_name(m->info.kind));
    proto_pack_kint(pk, "index_version", (int64_t)e->version);
    proto_pack_key(pk, "generation");
    if (built && e->gen)
        msgpack_pack_int64(pk, e->gen->number);
    else
        msgpack_pack_nil(pk);
    proto_pack_kbool(pk, "built", built);
    proto_map_close(pk, map);
    return CALL_DONE;
}

static void pack_strv(msgpack_packer *pk, const char *key, char *const *v, size_t n)
{
    proto_pack_key(pk, key);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        proto_pack_str(pk, v[i]);
}

/* Everything `gliactl show` prints about one candidate. */
static void pack_candidate(msgpack_packer *pk, const struct index_mod *m)
{
    const struct modfile_info *in = &m->info;
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "full", m->full);
    proto_pack_kstr(pk, "pkg", m->pkgname);
    proto_pack_kstr(pk, "variant", m->variant);
    proto_pack_kstr(pk, "kind", modfile_kind_name(in->kind));
    proto_pack_kstr(pk, "file", m->path);
    proto_pack_kstr(pk, "title", in->title);
    proto_pack_kbool(pk, "renamed", m->renamed);
    pack_strv(pk, "ranges", in->ranges, in->nranges);
    pack_strv(pk, "globals", in->globals, in->nglobals);
    pack_strv(pk, "pointers", in->pointers, in->npointers);
    pack_strv(pk, "nonspecific", in->nonspecific, in->nnonspecific);
    proto_pack_key(pk, "ions");
    msgpack_pack_array(pk, in->nions);
    for (size_t i = 0; i < in->nions; i++) {
        size_t ion = proto_map_open(pk);
        proto_pack_kstr(pk, "name", in->ions[i].name);
        pack_strv(pk, "read", in->ions[i].read, in->ions[i].nread);
        pack_strv(pk, "write", in->ions[i].write, in->ions[i].nwrite);
        proto_pack_kstr(pk, "valence", in->ions[i].valence);
        proto_map_close(pk, ion);
    }
    pack_mod_params(pk, "params", in);
    proto_map_close(pk, map);
}

void pack_mod_params(msgpack_packer *pk, const char *key, const struct modfile_info *in)
{
    proto_pack_key(pk, key);
    msgpack_pack_array(pk, in->nparams);
    for (size_t i = 0; i < in->nparams; i++) {
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "name", in->params[i].name);
        proto_pack_kstr(pk, "value", in->params[i].value);
        proto_pack_kstr(pk, "units", in->params[i].units);
        proto_map_close(pk, map);
    }
}

/* asset {asset, env, pkg, variant, prefs}: the candidates, and which one
 * resolves now and why (or why none does). */
static enum call_state m_asset(struct call *c)
{
    struct resolve_req rq;
    int st = begin_resolve(c, &rq);
    if (st != CALL_DONE)
        return st == CALL_WAIT ? CALL_WAIT : CALL_DONE;
    const char *asset = rq.asset, *pkg = rq.pkg, *variant = rq.variant;
    const struct index_asset *a = rq.a;
    struct resolve_result r = rq.r;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "asset", asset);
    proto_pack_key(pk, "candidates");
    msgpack_pack_array(pk, a->n);
    for (size_t i = 0; i < a->n; i++)
        pack_candidate(pk, a->mods[i]);
    proto_pack_key(pk, "resolved");
    char why[1024];
    size_t resolved = proto_map_open(pk);
    if (r.status == RESOLVE_OK) {
        explain(&r, why, sizeof(why));
        proto_pack_kstr(pk, "full", a->mods[r.chosen]->full);
        proto_pack_kstr(pk, "why", why);
        proto_pack_kstr(pk, "code", "ok");
    } else {
        const char *code = failure(&r, a, asset, pkg, variant, why, sizeof(why));
        proto_pack_kstr(pk, "full", NULL);
        proto_pack_kstr(pk, "why", why);
        proto_pack_kstr(pk, "code", code);
    }
    proto_map_close(pk, resolved);
    proto_map_close(pk, map);
    return CALL_DONE;
}

/* A select waiting for its preference to be durable. */
struct selecting {
    struct call *c;
    size_t hits;
};

/* The preference is stored (or the store refused it): the answer. */
static void selected(void *ud, const char *err)
{
    struct selecting *s = ud;
    struct call *c = s->c;
    const char *asset = proto_args_str(&c->args, "asset", 1);
    const char *pkg = proto_args_str(&c->args, "pkg", 0);
    const char *variant = proto_args_str(&c->args, "variant", 0);
    if (err) {
        call_error(c, PROTO_E_INTERNAL, "could not store the preference: %s", err);
    } else {
        log_info("global preference: %s -> package %s, variant %s", asset, pkg ? pkg : "(any)",
                 variant ? variant : "(any)");
        server_notify_change(c->g->server, TOPIC_PREFS, "prefs.changed", NULL,
                             (int64_t)c->g->prefs_version);
        msgpack_packer *pk = call_result(c);
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "asset", asset);
        proto_pack_kstr(pk, "pkg", pkg);
        proto_pack_kstr(pk, "variant", variant);
        proto_pack_kint(pk, "matches", (int64_t)s->hits);
        proto_map_close(pk, map);
    }
    free(s);
    call_complete(c);
}

/* select {asset, pkg, variant, env}: a global preference. It is checked
 * against the env's index first, so a typo is an error now rather than a
 * silently ignored preference later. Answered once it is durable. */
static enum call_state m_select(struct call *c)
{
    struct env *e = call_env(c);
    if (!e)
        return CALL_DONE;
    const char *asset = proto_args_str(&c->args, "asset", 1);
    const char *pkg = proto_args_str(&c->args, "pkg", 0);
    const char *variant = proto_args_str(&c->args, "variant", 0);
    if (call_bad_args(c))
        return CALL_DONE;
    if (!pkg && !variant) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "select needs pkg, variant or both (to remove a preference: unselect)");
        return CALL_DONE;
    }
    if (call_wait_index(c, e))
        return CALL_WAIT;
    const struct index_asset *a = lookup(c, e, asset);
    if (!a)
        return CALL_DONE;
    /* Only a preference nothing could satisfy is refused: one that leaves
     * several candidates may be narrowed by the scripts' own choices. */
    size_t hits = 0;
    for (size_t i = 0; i < a->n; i++)
        hits += (!pkg || strcmp(a->cands[i].pkg, pkg) == 0) &&
                (!variant || strcmp(a->cands[i].variant, variant) == 0);
    if (hits == 0) {
        struct resolve_result r = {.status = RESOLVE_NO_MATCH};
        answer_failure(c, &r, a, asset, pkg, variant);
        return CALL_DONE;
    }
    struct selecting *s = xcalloc(1, sizeof(*s));
    *s = (struct selecting){c, hits};
    prefs_set(c->g, asset, pkg, variant, selected, s);
    return CALL_WAIT;
}

static void unselect_answer(struct call *c, int removed)
{
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "asset", proto_args_str(&c->args, "asset", 1));
    proto_pack_kbool(pk, "removed", removed);
    proto_map_close(pk, map);
}

static void unselected(void *ud, const char *err)
{
    struct call *c = ud;
    const char *asset = proto_args_str(&c->args, "asset", 1);
    if (err) {
        call_error(c, PROTO_E_INTERNAL, "could not remove the preference: %s", err);
    } else {
        log_info("global preference for %s removed", asset);
        server_notify_change(c->g->server, TOPIC_PREFS, "prefs.changed", NULL,
                             (int64_t)c->g->prefs_version);
        unselect_answer(c, 1);
    }
    call_complete(c);
}

/* unselect {asset}: answered once the removal is durable. */
static enum call_state m_unselect(struct call *c)
{
    const char *asset = proto_args_str(&c->args, "asset", 1);
    if (call_bad_args(c))
        return CALL_DONE;
    if (!strmap_get(&c->g->prefs, asset)) {
        unselect_answer(c, 0);
        return CALL_DONE;
    }
    prefs_del(c->g, asset, unselected, c);
    return CALL_WAIT;
}

void pack_global_prefs(msgpack_packer *pk, const char *key, const struct gliad *g)
{
    proto_pack_key(pk, key);
    size_t assets = proto_map_open(pk);
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);) {
        const struct pref *p = v;
        proto_pack_str(pk, p->asset);
        size_t pair = proto_map_open(pk);
        proto_pack_kstr(pk, "pkg", p->pkg);
        proto_pack_kstr(pk, "variant", p->variant);
        proto_map_close(pk, pair);
    }
    proto_map_close(pk, assets);
}

static enum call_state m_prefs(struct call *c)
{
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    pack_global_prefs(pk, "assets", c->g);
    proto_map_close(pk, map);
    return CALL_DONE;
}

const struct method methods_resolve[] = {
    {"resolve", m_resolve},   {"asset", m_asset}, {"select", m_select},
    {"unselect", m_unselect}, {"prefs", m_prefs}, {NULL, NULL},
};
