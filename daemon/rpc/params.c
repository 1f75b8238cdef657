/*
 * params: see params.h.
 */
#include "params.h"
#include "proto.h"
#include "scopes.h"

#include <stdio.h>
#include <string.h>

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

/* The scope's `assets` maps (nil ones skipped), each checked to be a map;
 * their entries are counted into *n. */
static int count_asset_prefs(const msgpack_object *scope, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    for (uint32_t i = 0; i < scope->via.map.size; i++) {
        const msgpack_object *k = &scope->via.map.ptr[i].key, *v = &scope->via.map.ptr[i].val;
        if (!proto_str_eq(k, "assets") || v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (v->type != MSGPACK_OBJECT_MAP) {
            snprintf(err, errlen, "a scope's assets must be a map of asset -> {pkg, variant}");
            return -1;
        }
        *n += v->via.map.size;
    }
    return 0;
}

/* One `assets` map's entries, appended to s->assets. An asset name holding
 * a NUL byte names no asset (asset parameters hold none): skipped. */
static int read_asset_prefs(const msgpack_object *assets, msgpack_zone *zone,
                            struct resolve_scope *s, struct resolve_asset_pref *v, char *err,
                            size_t errlen)
{
    for (uint32_t j = 0; j < assets->via.map.size; j++) {
        const msgpack_object_kv *kv = &assets->via.map.ptr[j];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            snprintf(err, errlen, "asset names in a scope must be strings");
            return -1;
        }
        struct resolve_pref p;
        if (read_pair(&kv->val, zone, &p, "an asset preference", err, errlen) < 0)
            return -1;
        if (proto_str_has_nul(&kv->key))
            continue;
        v[s->nassets++] = (struct resolve_asset_pref){proto_zone_str(zone, &kv->key), p};
    }
    return 0;
}

static int read_scope(const msgpack_object *o, msgpack_zone *zone, struct resolve_scope *s,
                      char *err, size_t errlen)
{
    *s = (struct resolve_scope){0};
    size_t n;
    if (read_pair(o, zone, &s->general, "a preference scope", err, errlen) < 0 ||
        count_asset_prefs(o, &n, err, errlen) < 0)
        return -1;
    struct resolve_asset_pref *v = n ? msgpack_zone_malloc(zone, n * sizeof(*v)) : NULL;
    if (n && !v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->assets = v;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *val = &o->via.map.ptr[i].val;
        if (proto_str_eq(k, "name"))
            s->name = proto_zone_str(zone, val); /* not a string: unnamed */
        else if (proto_str_eq(k, "assets") && val->type == MSGPACK_OBJECT_MAP &&
                 read_asset_prefs(val, zone, s, v, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int params_scopes(const msgpack_object *o, msgpack_zone *zone, struct resolve_scope **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    if (!o)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(err, errlen, "prefs must be an array of scopes, lowest first");
        return -1;
    }
    uint32_t n = o->via.array.size;
    if (n > SCOPES_MAX_CLIENT) {
        snprintf(err, errlen, "prefs: at most %d scopes", SCOPES_MAX_CLIENT);
        return -1;
    }
    struct resolve_scope *v = n ? msgpack_zone_malloc(zone, n * sizeof(*v)) : NULL;
    if (n && !v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        if (read_scope(&o->via.array.ptr[i], zone, &v[i], err, errlen) < 0)
            return -1;
    *out = v;
    return (int)n;
}
