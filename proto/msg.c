/*
 * Messages: decoding a framed message into its msgpack-RPC parts, typed
 * access to a params map, and the packing helpers both sides use.
 */
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whylen, const char *what)
{
    snprintf(why, whylen, "%s", what);
    return -1;
}

static int get_u32(const msgpack_object *o, uint32_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
        return -1;
    *out = (uint32_t)o->via.u64;
    return 0;
}

int proto_str_has_nul(const msgpack_object *str)
{
    return str->via.str.size > 0 && memchr(str->via.str.ptr, '\0', str->via.str.size);
}

/* params: an array holding one map (or nil), or an empty array. */
static int get_params(const msgpack_object *o, const msgpack_object **out)
{
    *out = NULL;
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > 1)
        return -1;
    if (o->via.array.size == 0)
        return 0;
    const msgpack_object *p = &o->via.array.ptr[0];
    if (p->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (p->type != MSGPACK_OBJECT_MAP)
        return -1;
    *out = p;
    return 0;
}

int proto_msg_decode(const char *data, size_t len, struct proto_msg *m, char *why, size_t whylen,
                     int *has_id)
{
    memset(m, 0, sizeof(*m));
    msgpack_unpacked_init(&m->unpacked);
    *has_id = 0;
    size_t off = 0;
    /* Decoded strings point into the buffer they came from, and a parked
     * call outlives the reader's buffer: decode from a copy it owns. */
    m->frame = malloc(len ? len : 1);
    if (!m->frame)
        return fail(why, whylen, "out of memory");
    memcpy(m->frame, data, len);
    if (msgpack_unpack_next(&m->unpacked, m->frame, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != len)
        return fail(why, whylen, "invalid msgpack");

    const msgpack_object *o = &m->unpacked.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2)
        return fail(why, whylen, "expected an array [type, msgid, method, params]");
    const msgpack_object *v = o->via.array.ptr;
    size_t n = o->via.array.size;
    if (v[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || v[0].via.u64 > 2)
        return fail(why, whylen, "message type must be 0, 1 or 2");
    m->type = (enum proto_type)v[0].via.u64;
    /* A request of the wrong length is still answered when its msgid reads. */
    if (m->type == PROTO_REQUEST && get_u32(&v[1], &m->msgid) == 0)
        *has_id = 1;
    if (n < 3)
        return fail(why, whylen, "expected an array [type, msgid, method, params]");

    switch (m->type) {
    case PROTO_REQUEST:
        if (n != 4)
            return fail(why, whylen, "a request is [0, msgid, method, params]");
        if (get_u32(&v[1], &m->msgid) < 0)
            return fail(why, whylen, "msgid must be an unsigned 32-bit integer");
        *has_id = 1;
        if (v[2].type != MSGPACK_OBJECT_STR)
            return fail(why, whylen, "method must be a string");
        m->method = proto_zone_str(m->unpacked.zone, &v[2]);
        if (proto_str_has_nul(&v[2]))
            return fail(why, whylen, "method must not hold a NUL byte");
        if (get_params(&v[3], &m->params) < 0)
            return fail(why, whylen, "params must be an array holding one map");
        return 0;
    case PROTO_RESPONSE:
        if (n != 4)
            return fail(why, whylen, "a response is [1, msgid, error, result]");
        if (get_u32(&v[1], &m->msgid) < 0)
            return fail(why, whylen, "msgid must be an unsigned 32-bit integer");
        *has_id = 1;
        m->error = v[2].type == MSGPACK_OBJECT_NIL ? NULL : &v[2];
        m->result = &v[3];
        return 0;
    case PROTO_NOTIFICATION:
        if (n != 3)
            return fail(why, whylen, "a notification is [2, method, params]");
        if (v[1].type != MSGPACK_OBJECT_STR)
            return fail(why, whylen, "method must be a string");
        m->method = proto_zone_str(m->unpacked.zone, &v[1]);
        if (proto_str_has_nul(&v[1]))
            return fail(why, whylen, "method must not hold a NUL byte");
        if (get_params(&v[2], &m->params) < 0)
            return fail(why, whylen, "params must be an array holding one map");
        return 0;
    }
    return fail(why, whylen, "unreachable");
}

void proto_msg_free(struct proto_msg *m)
{
    msgpack_unpacked_destroy(&m->unpacked);
    free(m->frame);
    m->frame = NULL;
}

/* ---- Reading params --------------------------------------------------- */

const char *proto_zone_str(msgpack_zone *zone, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = msgpack_zone_malloc(zone, o->via.str.size + 1);
    if (!s)
        return NULL;
    if (o->via.str.size) /* an empty string's ptr may be NULL */
        memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    return s;
}

int proto_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

void proto_args_init(struct proto_args *a, struct proto_msg *m)
{
    a->map = m->params;
    a->zone = m->unpacked.zone;
    a->err[0] = '\0';
}

void proto_args_fail(struct proto_args *a, const char *fmt, ...)
{
    if (a->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->err, sizeof(a->err), fmt, ap);
    va_end(ap);
}

int proto_args_ok(const struct proto_args *a)
{
    return a->err[0] == '\0';
}

const msgpack_object *proto_args_get(const struct proto_args *a, const char *key)
{
    if (!a->map)
        return NULL;
    const msgpack_object_kv *kv = a->map->via.map.ptr;
    for (uint32_t i = 0; i < a->map->via.map.size; i++)
        if (proto_str_eq(&kv[i].key, key))
            return kv[i].val.type == MSGPACK_OBJECT_NIL ? NULL : &kv[i].val;
    return NULL;
}

const char *proto_args_str(struct proto_args *a, const char *key, int required)
{
    const msgpack_object *o = proto_args_get(a, key);
    if (!o) {
        if (required)
            proto_args_fail(a, "missing parameter '%s'", key);
        return NULL;
    }
    if (o->type != MSGPACK_OBJECT_STR) {
        proto_args_fail(a, "parameter '%s' must be a string", key);
        return NULL;
    }
    const char *s = proto_zone_str(a->zone, o);
    if (s && strlen(s) != o->via.str.size) {
        proto_args_fail(a, "parameter '%s' holds a NUL byte", key);
        return NULL;
    }
    return s;
}

int64_t proto_args_int(struct proto_args *a, const char *key, int64_t fallback)
{
    const msgpack_object *o = proto_args_get(a, key);
    if (!o)
        return fallback;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        return (int64_t)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    proto_args_fail(a, "parameter '%s' must be an integer", key);
    return fallback;
}

int proto_args_bool(struct proto_args *a, const char *key, int fallback)
{
    const msgpack_object *o = proto_args_get(a, key);
    if (!o)
        return fallback;
    if (o->type != MSGPACK_OBJECT_BOOLEAN) {
        proto_args_fail(a, "parameter '%s' must be true or false", key);
        return fallback;
    }
    return o->via.boolean;
}

const char **proto_args_strv(struct proto_args *a, const char *key, size_t *n)
{
    *n = 0;
    const msgpack_object *o = proto_args_get(a, key);
    if (!o)
        return NULL;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        proto_args_fail(a, "parameter '%s' must be an array of strings", key);
        return NULL;
    }
    uint32_t size = o->via.array.size;
    const char **v = msgpack_zone_malloc(a->zone, (size + 1) * sizeof(*v));
    if (!v) {
        proto_args_fail(a, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < size; i++) {
        v[i] = proto_zone_str(a->zone, &o->via.array.ptr[i]);
        if (!v[i]) {
            proto_args_fail(a, "parameter '%s' must be an array of strings", key);
            return NULL;
        }
        if (proto_str_has_nul(&o->via.array.ptr[i])) {
            proto_args_fail(a, "parameter '%s' holds a NUL byte", key);
            return NULL;
        }
    }
    v[size] = NULL;
    *n = size;
    return v;
}

const msgpack_object *proto_args_map(struct proto_args *a, const char *key)
{
    const msgpack_object *o = proto_args_get(a, key);
    if (o && o->type != MSGPACK_OBJECT_MAP) {
        proto_args_fail(a, "parameter '%s' must be a map", key);
        return NULL;
    }
    return o;
}

/* ---- Encoding --------------------------------------------------------- */

void proto_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void proto_pack_str(msgpack_packer *pk, const char *s)
{
    if (s)
        proto_pack_strn(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

void proto_pack_key(msgpack_packer *pk, const char *key)
{
    proto_pack_strn(pk, key, strlen(key));
}

void proto_pack_kstr(msgpack_packer *pk, const char *key, const char *val)
{
    proto_pack_key(pk, key);
    proto_pack_str(pk, val);
}

void proto_pack_kint(msgpack_packer *pk, const char *key, int64_t val)
{
    proto_pack_key(pk, key);
    msgpack_pack_int64(pk, val);
}

void proto_pack_kbool(msgpack_packer *pk, const char *key, int val)
{
    proto_pack_key(pk, key);
    if (val)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void proto_pack_kdouble(msgpack_packer *pk, const char *key, double val)
{
    proto_pack_key(pk, key);
    msgpack_pack_double(pk, val);
}

void proto_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method, int with_params)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, PROTO_REQUEST);
    msgpack_pack_uint32(pk, msgid);
    proto_pack_str(pk, method);
    msgpack_pack_array(pk, with_params ? 1 : 0);
}

void proto_pack_notification(msgpack_packer *pk, const char *method)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, PROTO_NOTIFICATION);
    proto_pack_str(pk, method);
    msgpack_pack_array(pk, 1);
}

void proto_pack_result_header(msgpack_packer *pk, uint32_t msgid)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, PROTO_RESPONSE);
    msgpack_pack_uint32(pk, msgid);
    msgpack_pack_nil(pk);
}

size_t proto_pack_error_begin(msgpack_packer *pk, uint32_t msgid, const char *code,
                              const char *message)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, PROTO_RESPONSE);
    msgpack_pack_uint32(pk, msgid);
    size_t mark = proto_map_open(pk);
    proto_pack_kstr(pk, "code", code);
    proto_pack_kstr(pk, "message", message);
    return mark;
}

void proto_pack_error_end(msgpack_packer *pk, size_t mark)
{
    proto_map_close(pk, mark);
    msgpack_pack_nil(pk);
}

void proto_pack_error(msgpack_packer *pk, uint32_t msgid, const char *code, const char *message)
{
    proto_pack_error_end(pk, proto_pack_error_begin(pk, msgid, code, message));
}

void proto_pack_error_note(msgpack_packer *pk, const char *code, const char *message)
{
    proto_pack_notification(pk, "error");
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "code", code);
    proto_pack_kstr(pk, "message", message);
    proto_map_close(pk, map);
}
