/*
 * methods_bundle: bundle — everything a bundle's manifest records about an
 * environment's library, in one answer taken from one moment of the loop:
 * the library, the toolchain, every package and every candidate mechanism
 * (with where its source and INCLUDEs are), and the global preferences.
 *
 * gliactl bundle copies the files it names and hashes them; the Python
 * module under MPI serves a node's ranks from it. Both resolve over it by
 * the rules of resolve.c, so the candidates of an asset come in the
 * index's order, the order resolve() sees them in.
 */
#include "build.h"
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "methods.h"
#include "sync.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void pack_package(msgpack_packer *pk, const struct index_pkg *p)
{
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", p->name);
    proto_pack_kstr(pk, "version", p->version);
    proto_pack_kstr(pk, "layout", index_layout_name(p->layout));
    proto_pack_kstr(pk, "entry", p->entry);
    proto_pack_kstr(pk, "module", p->module);
    proto_pack_kstr(pk, "dist_info", p->dist_info);
    proto_pack_kstr(pk, "root", p->root);
    proto_map_close(pk, map);
}

/* The files the build reads besides the mod, found where the tools find
 * them (next to the mod); one that is missing has a nil path. */
static void pack_includes(msgpack_packer *pk, const struct index_mod *m)
{
    const struct modfile_info *info = &m->info;
    size_t n = m->path ? info->nincludes + info->nc_includes : 0;
    char *dir = m->path ? xstrdup(m->path) : NULL;
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    proto_pack_key(pk, "includes");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const char *name =
            i < info->nincludes ? info->includes[i] : info->c_includes[i - info->nincludes];
        char *path = name[0] == '/' ? xstrdup(name) : xprintf("%s/%s", dir, name);
        size_t map = proto_map_open(pk);
        proto_pack_kstr(pk, "name", name);
        proto_pack_kstr(pk, "path", access(path, R_OK) == 0 ? path : NULL);
        proto_map_close(pk, map);
        free(path);
    }
    free(dir);
}

/* Where m's package stands in the answer's `packages`: a mod's `package`
 * is the package part of its name, which need not be its package's name
 * (a package is named after its first namespaced mod), and two packages
 * may share a name (one project in the user site and in the venv). */
static int64_t package_index(const struct index *idx, const struct index_mod *m)
{
    for (size_t i = 0; i < idx->npkgs; i++)
        if (idx->pkgs[i] == m->pkg)
            return (int64_t)i;
    return -1;
}

/* One candidate: `built` says the library holds it; `failure` is the
 * compiler's one-line summary when its mod did not compile. */
static void pack_mod(msgpack_packer *pk, const struct env *e, const struct index_mod *m)
{
    int builtin = m->pkg->layout == INDEX_BUILTIN;
    const struct build_failure *f = builtin ? NULL : build_failure_of(e->report, e->gen, m);
    char *summary = NULL, *detail = NULL;
    if (f)
        build_failure_words(f, &summary, &detail);
    int64_t pi = package_index(e->index, m);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "full", m->full);
    proto_pack_kstr(pk, "asset", m->asset);
    proto_pack_kstr(pk, "variant", m->variant);
    proto_pack_kstr(pk, "package", m->pkgname);
    if (pi >= 0)
        proto_pack_kint(pk, "package_index", pi);
    proto_pack_kstr(pk, "kind", modfile_kind_name(m->info.kind));
    proto_pack_kbool(pk, "built", builtin || strmap_get(&e->gen->fulls, m->full) != NULL);
    proto_pack_kstr(pk, "failure", summary);
    proto_pack_kstr(pk, "detail", detail);
    proto_pack_kstr(pk, "path", m->path);
    proto_pack_kstr(pk, "relpath", m->relpath);
    pack_mod_params(pk, "parameters", &m->info);
    pack_includes(pk, m);
    proto_map_close(pk, map);
    free(summary);
    free(detail);
}

static void pack_mods(msgpack_packer *pk, const struct env *e)
{
    const struct index *idx = e->index;
    const char *k;
    void *v;
    proto_pack_key(pk, "mods");
    size_t mods = proto_array_open(pk);
    for (size_t i = 0; strmap_next(&idx->assets, &i, &k, &v);) {
        const struct index_asset *a = v;
        for (size_t j = 0; j < a->n; j++)
            pack_mod(pk, e, a->mods[j]);
    }
    proto_array_close(pk, mods);
}

/* bundle {env}: waits as `library {wait}` does, then answers
 * {gliad, env, toolchain: {id, describe}, library: {path, generation, key},
 * packages, mods, prefs}; not_built when there is no library. */
static enum call_state m_bundle(struct call *c)
{
    struct env *e = call_env(c);
    if (!e || call_bad_args(c))
        return CALL_DONE;
    if (call_sync(c))
        return CALL_WAIT;
    if (env_state(e) != ENV_SETTLED) {
        call_wait_settled(c, e);
        return CALL_WAIT;
    }
    const struct generation *gen = e->gen;
    if (!gen || !e->index) {
        const char *why = e->report && e->report->error ? e->report->error : "nothing was built";
        call_error(c, PROTO_E_NOT_BUILT, "environment '%s' has no library to bundle: %s", e->name,
                   why);
        return CALL_DONE;
    }
    const struct gliad *g = c->g;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "gliad", GLIAD_VERSION);
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_key(pk, "toolchain");
    size_t tc = proto_map_open(pk);
    proto_pack_kstr(pk, "id", g->tc.ready ? g->tc.id : NULL);
    proto_pack_kstr(pk, "describe", g->tc.describe);
    proto_pack_kstr(pk, "neuron", g->tc.neuron_version);
    proto_map_close(pk, tc);
    proto_pack_key(pk, "library");
    size_t lib = proto_map_open(pk);
    proto_pack_kstr(pk, "path", gen->path);
    proto_pack_kint(pk, "generation", gen->number);
    proto_pack_kstr(pk, "key", gen->libkey);
    proto_map_close(pk, lib);
    proto_pack_key(pk, "packages");
    msgpack_pack_array(pk, e->index->npkgs);
    for (size_t i = 0; i < e->index->npkgs; i++)
        pack_package(pk, e->index->pkgs[i]);
    pack_mods(pk, e);
    pack_global_prefs(pk, "prefs", g);
    proto_map_close(pk, map);
    return CALL_DONE;
}

const struct method methods_bundle[] = {
    {"bundle", m_bundle},
    {NULL, NULL},
};
