/*
 * output: reading values out of a reply, JSON, and aligned tables.
 */
#include "gliactl.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const msgpack_object *obj_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (proto_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

/* How a byte of a package's string is shown on a terminal: a control
 * character (an escape sequence's ESC, a BEL, a newline in a table cell)
 * could retitle the window, clear it or break the layout, so it becomes
 * '?'. Bytes from 0x80 up pass: they are UTF-8 text. */
static char shown(char c)
{
    unsigned char u = (unsigned char)c;
    return u < 0x20 || u == 0x7f ? '?' : c;
}

const char *obj_cstr(const msgpack_object *o, char *buf, size_t len)
{
    if (!o || o->type != MSGPACK_OBJECT_STR || len == 0) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    size_t n = o->via.str.size < len - 1 ? o->via.str.size : len - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = shown(o->via.str.ptr[i]);
    buf[n] = '\0';
    return buf;
}

const char *obj_str(const msgpack_object *map, const char *key, const char *fallback)
{
    static char ring[16][4096];
    static unsigned next;
    const msgpack_object *o = obj_get(map, key);
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return fallback;
    return obj_cstr(o, ring[next++ % 16], sizeof(ring[0]));
}

void obj_print_lines(FILE *f, const msgpack_object *o, const char *prefix)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return;
    const char *s = o->via.str.ptr, *end = s + o->via.str.size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *eol = nl ? nl : end;
        if (eol > s) {
            fputs(prefix, f);
            for (const char *c = s; c < eol; c++)
                fputc(shown(*c), f);
            fputc('\n', f);
        }
        s = eol + 1;
    }
}

long long obj_int(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = obj_get(map, key);
    if (!o)
        return 0;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (long long)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 0;
}

double obj_double(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = obj_get(map, key);
    if (!o)
        return 0;
    if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
        return o->via.f64;
    return (double)obj_int(map, key);
}

int obj_bool(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = obj_get(map, key);
    return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* ---- JSON ---- */

json_t *json_text(const char *s, size_t n)
{
    size_t len;
    char *u = str_utf8(s, n, &len);
    json_t *j = json_stringn(u, len);
    free(u);
    return j;
}

json_t *json_cstr(const char *s)
{
    return s ? json_text(s, strlen(s)) : json_null();
}

/* JSON keys are strings: a key of another type is the string of its JSON
 * text (1 becomes "1", ["a"] becomes "[\"a\"]"). malloc'd. */
static char *json_key(const msgpack_object *k, size_t *len)
{
    if (k->type == MSGPACK_OBJECT_STR)
        return str_utf8(k->via.str.ptr, k->via.str.size, len);
    json_t *j = json_of_msgpack(k);
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    json_decref(j);
    *len = text ? strlen(text) : 1;
    return text ? text : xstrdup("?");
}

static json_t *json_map(const msgpack_object *o)
{
    json_t *m = json_object();
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        size_t len;
        char *key = json_key(&o->via.map.ptr[i].key, &len);
        json_object_setn_new(m, key, len, json_of_msgpack(&o->via.map.ptr[i].val));
        free(key);
    }
    return m;
}

json_t *json_of_msgpack(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        /* json_int_t is signed: past its range, the nearest double. */
        return o->via.u64 > (uint64_t)INT64_MAX ? json_real((double)o->via.u64)
                                                : json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        /* JSON has no NaN or infinity. */
        return isfinite(o->via.f64) ? json_real(o->via.f64) : json_null();
    case MSGPACK_OBJECT_STR:
        return json_text(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(a, json_of_msgpack(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP:
        return json_map(o);
    default:
        return json_null(); /* bin and ext never appear in gliad's answers */
    }
}

void json_emit(FILE *f, json_t *v)
{
    /* Out of memory on the way leaves a NULL somewhere: still one
     * document, "null" for the whole. */
    if (!v || json_dumpf(v, f, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17)) < 0)
        fputs("null", f);
    fputc('\n', f);
    json_decref(v);
}

void json_print(FILE *f, const msgpack_object *o)
{
    json_emit(f, json_of_msgpack(o));
}

/* ---- Tables ---- */

struct table {
    int ncols;
    char **cells; /* row-major, header first */
    size_t nrows;
};

static void add_row(struct table *t, va_list ap)
{
    t->cells = realloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(*t->cells));
    for (int i = 0; i < t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(s ? s : "-");
    }
    t->nrows++;
}

struct table *table_new(int ncols, ...)
{
    struct table *t = calloc(1, sizeof(*t));
    t->ncols = ncols;
    va_list ap;
    va_start(ap, ncols);
    add_row(t, ap);
    va_end(ap);
    return t;
}

void table_add(struct table *t, ...)
{
    va_list ap;
    va_start(ap, t);
    add_row(t, ap);
    va_end(ap);
}

void table_print(struct table *t, FILE *f)
{
    size_t width[16] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols && c < 16; c++) {
            size_t w = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                fprintf(f, "%s\n", cell);
            else
                fprintf(f, "%-*s  ", (int)width[c], cell);
        }
    }
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
