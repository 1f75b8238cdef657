/*
 * output: reading values out of a reply, JSON, and aligned tables.
 */
#include "gliactl.h"

#include <stdarg.h>
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

const char *obj_cstr(const msgpack_object *o, char *buf, size_t len)
{
    if (!o || o->type != MSGPACK_OBJECT_STR || len == 0) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    size_t n = o->via.str.size < len - 1 ? o->via.str.size : len - 1;
    if (n) /* an empty string's ptr may be NULL */
        memcpy(buf, o->via.str.ptr, n);
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

static void json_string(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void json_value(FILE *f, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        fputs("null", f);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        fputs(o->via.boolean ? "true" : "false", f);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf(f, "%llu", (unsigned long long)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf(f, "%lld", (long long)o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf(f, "%.17g", o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        json_string(f, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        fputc('[', f);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                fputs(", ", f);
            json_value(f, &o->via.array.ptr[i]);
        }
        fputc(']', f);
        break;
    case MSGPACK_OBJECT_MAP:
        fputc('{', f);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (i)
                fputs(", ", f);
            if (k->type == MSGPACK_OBJECT_STR)
                json_value(f, k);
            else {
                fputc('"', f);
                json_value(f, k);
                fputc('"', f);
            }
            fputs(": ", f);
            json_value(f, &o->via.map.ptr[i].val);
        }
        fputc('}', f);
        break;
    default:
        fputs("null", f); /* bin and ext never appear in gliad's answers */
    }
}

void json_print(FILE *f, const msgpack_object *o)
{
    json_value(f, o);
    fputc('\n', f);
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
