/*
 * methods_index: packages, package, assets, rescan — what an environment
 * holds, as its index says.
 */
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "methods.h"

#include <stdlib.h>
#include <string.h>

static void pack_problems(msgpack_packer *pk, const struct index_problem *v, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "file", v[i].file);
        proto_pack_kint(pk, "line", v[i].line);
        proto_pack_kstr(pk, "reason", v[i].reason);
        proto_map_close(pk, map);
    }
}

/* The global hoc names a library (SUFFIX nothing) gives every script and
 * mod: its FUNCTIONs and PROCEDUREs, then its variables. Empty otherwise:
 * a mechanism's names carry its suffix. */
static void pack_provides(msgpack_packer *pk, const struct modfile_info *info)
{
    int lib = info->kind == MODFILE_LIBRARY;
    proto_pack_key(pk, "provides");
    size_t names = proto_array_open(pk);
    for (size_t i = 0; lib && i < info->nfunctions; i++)
        proto_pack_str(pk, info->functions[i]);
    for (size_t i = 0; lib && i < info->nhoc_globals; i++)
        proto_pack_str(pk, info->hoc_globals[i]);
    proto_array_close(pk, names);
}

/* What `gliactl show-package` adds to a package's summary. */
static void pack_pkg_details(msgpack_packer *pk, const struct index_pkg *p)
{
    proto_pack_kstr(pk, "entry", p->entry);
    proto_pack_kstr(pk, "module", p->module);
    proto_pack_kstr(pk, "dist_info", p->dist_info);
    proto_pack_kstr(pk, "site", p->site);
    proto_pack_key(pk, "mechanisms");
    msgpack_pack_array(pk, p->nmods);
    for (size_t i = 0; i < p->nmods; i++) {
        const struct index_mod *m = &p->mods[i];
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "full", m->full);
        proto_pack_kstr(pk, "asset", m->asset);
        proto_pack_kstr(pk, "variant", m->variant);
        proto_pack_kstr(pk, "kind", modfile_kind_name(m->info.kind));
        proto_pack_kstr(pk, "file", m->relpath);
        proto_pack_kbool(pk, "renamed", m->renamed);
        pack_provides(pk, &m->info);
        proto_map_close(pk, map);
    }
    proto_pack_key(pk, "problem_list");
    pack_problems(pk, p->problems, p->nproblems);
}

static void pack_pkg_summary(msgpack_packer *pk, const struct index_pkg *p, int long_form)
{
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", p->name);
    proto_pack_kstr(pk, "version", p->version);
    proto_pack_kstr(pk, "layout", index_layout_name(p->layout));
    proto_pack_kint(pk, "mods", (int64_t)p->nmods);
    proto_pack_kint(pk, "problems", (int64_t)p->nproblems);
    proto_pack_kbool(pk, "editable", p->editable);
    proto_pack_kstr(pk, "root", p->root);
    if (long_form)
        pack_pkg_details(pk, p);
    proto_map_close(pk, map);
}

/* packages {env, builtins}: NEURON's own package only when asked. */
static enum call_state m_packages(struct call *c)
{
    struct env *e = call_env(c);
    int builtins = proto_args_bool(&c->args, "builtins", 0);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    if (call_wait_index(c, e))
        return CALL_WAIT;
    const struct index *idx = e->index;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_key(pk, "packages");
    size_t pkgs = proto_array_open(pk);
    for (size_t i = 0; i < idx->npkgs; i++)
        if (builtins || idx->pkgs[i]->layout != INDEX_BUILTIN)
            pack_pkg_summary(pk, idx->pkgs[i], 0);
    proto_array_close(pk, pkgs);
    proto_pack_key(pk, "problems");
    pack_problems(pk, idx->problems, idx->nproblems);
    proto_map_close(pk, map);
    return CALL_DONE;
}

static enum call_state m_package(struct call *c)
{
    struct env *e = call_env(c);
    const char *name = proto_args_str(&c->args, "name", 1);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    if (call_wait_index(c, e))
        return CALL_WAIT;
    const struct index_pkg *p = index_pkg_by_name(e->index, name);
    if (!p) {
        call_error(c, PROTO_E_UNKNOWN_PACKAGE,
                   "no Glia package named '%s' in environment '%s' (gliactl packages lists them)",
                   name, e->name);
        return CALL_DONE;
    }
    pack_pkg_summary(call_result(c), p, 1);
    return CALL_DONE;
}

static int cmp_asset(const void *a, const void *b)
{
    return strcmp((*(const struct index_asset *const *)a)->name,
                  (*(const struct index_asset *const *)b)->name);
}

/* assets {env, builtins}: every asset with its candidates, sorted. */
static enum call_state m_assets(struct call *c)
{
    struct env *e = call_env(c);
    int builtins = proto_args_bool(&c->args, "builtins", 0);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    if (call_wait_index(c, e))
        return CALL_WAIT;
    const struct index *idx = e->index;
    const struct index_asset **v = malloc((idx->assets.len + 1) * sizeof(*v));
    size_t n = 0;
    const char *k;
    void *val;
    for (size_t i = 0; strmap_next(&idx->assets, &i, &k, &val);) {
        const struct index_asset *a = val;
        int only_builtin = 1;
        for (size_t j = 0; j < a->n; j++)
            only_builtin &= a->mods[j]->pkg->layout == INDEX_BUILTIN;
        if (builtins || !only_builtin)
            v[n++] = a;
    }
    qsort(v, n, sizeof(*v), cmp_asset);
    msgpack_packer *pk = call_result(c);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "asset", v[i]->name);
        proto_pack_key(pk, "candidates");
        msgpack_pack_array(pk, v[i]->n);
        for (size_t j = 0; j < v[i]->n; j++) {
            const struct index_mod *m = v[i]->mods[j];
            size_t cand = proto_map_open(pk);
            proto_pack_kstr(pk, "full", m->full);
            proto_pack_kstr(pk, "pkg", m->pkgname);
            proto_pack_kstr(pk, "variant", m->variant);
            proto_pack_kstr(pk, "kind", modfile_kind_name(m->info.kind));
            proto_map_close(pk, cand);
        }
        proto_map_close(pk, map);
    }
    free(v);
    return CALL_DONE;
}

/* rescan {env}: answers once a scan started after this request is done,
 * so what was on disk when it was sent is in the answer. */
static enum call_state m_rescan(struct call *c)
{
    struct env *e = call_env(c);
    if (!e)
        return CALL_DONE;
    /* First run: park for a fresh scan; run again after it: answer. */
    if (c->step < CALL_RESCANNED) {
        c->step = CALL_RESCANNED;
        call_wait_rescan(c, e);
        return CALL_WAIT;
    }
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_kint(pk, "packages", (int64_t)e->index->npkgs - (c->g->builtins != NULL));
    proto_pack_kint(pk, "mods", (int64_t)e->index->nmods);
    proto_pack_kdouble(pk, "ms", e->last_scan_ms);
    proto_map_close(pk, map);
    return CALL_DONE;
}

const struct method methods_index[] = {
    {"packages", m_packages}, {"package", m_package}, {"assets", m_assets},
    {"rescan", m_rescan},     {NULL, NULL},
};
