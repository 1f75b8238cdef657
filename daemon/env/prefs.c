/*
 * prefs: see prefs.h.
 */
#include "prefs.h"
#include "gliad.h"
#include "log.h"
#include "os.h"
#include "proto.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void pref_free(struct pref *p)
{
    if (!p)
        return;
    free(p->asset);
    free(p->pkg);
    free(p->variant);
    free(p);
}

static void put(struct gliad *g, const char *asset, const char *pkg, const char *variant)
{
    struct pref *p = xcalloc(1, sizeof(*p));
    p->asset = xstrdup(asset);
    p->pkg = xstrdup(pkg);
    p->variant = xstrdup(variant);
    struct pref *old = strmap_del(&g->prefs, asset);
    strmap_put(&g->prefs, p->asset, p);
    pref_free(old);
    g->prefs_version++;
}

static void load_one(void *ud, const char *asset, const char *pkg, const char *variant)
{
    put(ud, asset, pkg, variant);
}

/*
 * The preferences are also kept as text beside the database, rewritten
 * whole (and atomically) on each change: a database lost or damaged must
 * not lose what the user chose, and the text can be read and mended by
 * hand. One line per asset: asset, package, variant, tab-separated, an
 * unset field empty (asset, package and variant names hold no tabs).
 */
static char *export_path(const struct gliad *g)
{
    return xprintf("%s/preferences.txt", g->cfg.state_dir);
}

static void export(struct gliad *g)
{
    char *path = export_path(g), *tmp = xprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f) {
        fputs("# gliad's global preferences (gliactl select), restored from here when its\n"
              "# database is lost. asset<TAB>package<TAB>variant; empty: unset.\n",
              f);
        const char *k;
        void *v;
        for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);) {
            const struct pref *p = v;
            fprintf(f, "%s\t%s\t%s\n", p->asset, p->pkg ? p->pkg : "",
                    p->variant ? p->variant : "");
        }
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
    }
    if (!ok || rename(tmp, path) < 0) {
        log_error("cannot write %s: %s; the preferences are only in the database", path,
                  strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(path);
}

/* Reads the text export back into the store and g->prefs. */
static void import(struct gliad *g)
{
    char *path = export_path(g);
    char *text = file_read(path, 16u << 20, NULL);
    size_t n = 0;
    for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *pkg = strchr(line, '\t'), *variant = pkg ? strchr(pkg + 1, '\t') : NULL;
        if (line[0] == '#' || !variant)
            continue;
        *pkg++ = '\0';
        *variant++ = '\0';
        const char *p = *pkg ? pkg : NULL, *v = *variant ? variant : NULL;
        if (!*line || (!p && !v) || store_pref_set(g->store, line, p, v) < 0)
            continue;
        put(g, line, p, v);
        n++;
    }
    if (text)
        log_warn("%s was new or damaged: %zu preference%s restored from %s",
                 store_path(g->store), n, n == 1 ? "" : "s", path);
    free(text);
    free(path);
}

int prefs_load(struct gliad *g)
{
    strmap_init(&g->prefs);
    if (store_fresh(g->store))
        import(g);
    if (store_prefs_load(g->store, load_one, g) < 0)
        return -1;
    export(g); /* a database of an older gliad had no copy yet */
    return 0;
}

int prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant)
{
    if (store_pref_set(g->store, asset, pkg, variant) < 0)
        return -1;
    put(g, asset, pkg, variant);
    export(g);
    return 0;
}

int prefs_del(struct gliad *g, const char *asset)
{
    if (store_pref_del(g->store, asset) < 0)
        return -1;
    pref_free(strmap_del(&g->prefs, asset));
    g->prefs_version++;
    export(g);
    return 0;
}

void prefs_free(struct gliad *g)
{
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);)
        pref_free(v);
    strmap_free(&g->prefs);
}

/* A {pkg, variant} map; both optional. */
static int read_pair(const msgpack_object *o, msgpack_zone *zone, struct resolve_pref *out,
                     const char *where, char *err, size_t errlen)
{
    out->pkg = out->variant = NULL;
    if (o->type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errlen, "%s must be a map", where);
        return -1;
    }
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        const char **slot = proto_str_eq(k, "pkg")       ? &out->pkg
                            : proto_str_eq(k, "variant") ? &out->variant
                                                         : NULL;
        if (!slot)
            continue; /* "assets" and "name" in a scope; room to grow */
        if (v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (v->type != MSGPACK_OBJECT_STR || proto_str_has_nul(v)) {
            snprintf(err, errlen, "%s: %.*s must be a string%s", where, (int)k->via.str.size,
                     k->via.str.ptr, v->type == MSGPACK_OBJECT_STR ? " without NUL bytes" : "");
            return -1;
        }
        *slot = proto_zone_str(zone, v);
    }
    return 0;
}

static int read_scope(const msgpack_object *o, const char *asset, msgpack_zone *zone,
                      struct resolve_scope *s, struct resolve_asset_pref *ap, char *err,
                      size_t errlen)
{
    if (read_pair(o, zone, &s->general, "a preference scope", err, errlen) < 0)
        return -1;
    s->assets = NULL;
    s->nassets = 0;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (!proto_str_eq(k, "assets") || v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (v->type != MSGPACK_OBJECT_MAP) {
            snprintf(err, errlen, "a scope's assets must be a map of asset -> {pkg, variant}");
            return -1;
        }
        for (uint32_t j = 0; j < v->via.map.size; j++) {
            const msgpack_object_kv *kv = &v->via.map.ptr[j];
            if (kv->key.type != MSGPACK_OBJECT_STR) {
                snprintf(err, errlen, "asset names in a scope must be strings");
                return -1;
            }
            struct resolve_pref p;
            if (read_pair(&kv->val, zone, &p, "an asset preference", err, errlen) < 0)
                return -1;
            if (!proto_str_eq(&kv->key, asset))
                continue;
            /* Named twice in one scope: the later entry wins for each field
             * it sets, as for every other pair of preferences. */
            if (!s->nassets) {
                ap->asset = asset;
                ap->pref.pkg = ap->pref.variant = NULL;
                s->assets = ap;
                s->nassets = 1;
            }
            if (p.pkg)
                ap->pref.pkg = p.pkg;
            if (p.variant)
                ap->pref.variant = p.variant;
        }
    }
    return 0;
}

int prefs_scopes(struct gliad *g, const msgpack_object *client, const char *asset,
                 msgpack_zone *zone, struct resolve_scope *scopes,
                 struct resolve_asset_pref *asset_prefs, char *err, size_t errlen)
{
    size_t n = 0;
    struct pref *gp = strmap_get(&g->prefs, asset);
    scopes[n] = (struct resolve_scope){.name = "global"};
    if (gp) {
        asset_prefs[n] = (struct resolve_asset_pref){gp->asset, {gp->pkg, gp->variant}};
        scopes[n].assets = &asset_prefs[n];
        scopes[n].nassets = 1;
    }
    n++;
    if (!client)
        return (int)n;
    if (client->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(err, errlen, "prefs must be an array of scopes, lowest first");
        return -1;
    }
    if (client->via.array.size > PREFS_MAX_SCOPES) {
        snprintf(err, errlen, "prefs: at most %d scopes", PREFS_MAX_SCOPES);
        return -1;
    }
    for (uint32_t i = 0; i < client->via.array.size; i++, n++) {
        if (read_scope(&client->via.array.ptr[i], asset, zone, &scopes[n], &asset_prefs[n], err,
                       errlen) < 0)
            return -1;
        /* Names explain a choice; unnamed, the lowest a client sends is its
         * script scope and the rest are contexts, outermost first. */
        const msgpack_object *sc = &client->via.array.ptr[i];
        const char *name = NULL;
        for (uint32_t k = 0; k < sc->via.map.size; k++)
            if (proto_str_eq(&sc->via.map.ptr[k].key, "name"))
                name = proto_zone_str(zone, &sc->via.map.ptr[k].val);
        if (!name) {
            char *buf = msgpack_zone_malloc(zone, 24);
            snprintf(buf, 24, i == 0 ? "script" : "context %u", i);
            name = buf;
        }
        scopes[n].name = name;
    }
    return (int)n;
}
