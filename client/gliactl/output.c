/*
 * output: reading values out of a reply, JSON, and aligned tables.
 */
#include "gliactl.h"

#include <math.h>
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

/*
 * The length of the UTF-8 sequence at s (n bytes left) when it is valid;
 * else minus the bytes to replace with one U+FFFD: the longest start of a
 * valid sequence, at least 1 (the "maximal subpart" Unicode recommends,
 * and Python's decoder follows). Overlong forms, surrogates and code points
 * past U+10FFFF are invalid: the ranges of the second byte exclude them.
 */
static int utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    int len;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80;
        hi = s[0] == 0xed ? 0x9f : 0xbf;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    } else
        return -1;
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || s[i] < lo || s[i] > hi)
            return -i;
        lo = 0x80;
        hi = 0xbf;
    }
    return len;
}

/* A JSON string of the bytes; bytes that are not UTF-8 (a path can be
 * anything) become U+FFFD, so that the output always parses. */
static void json_string(FILE *f, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        int len = utf8_sequence(u + i, n - i);
        if (len < 0) {
            fputs("\\ufffd", f);
            i += (size_t)-len;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fwrite(u + i, 1, (size_t)len, f);
        i += (size_t)len;
    }
    fputc('"', f);
}

/* JSON keys are strings: a key of another type is written as the string
 * of its JSON text (1 becomes "1", ["a"] becomes "[\"a\"]"). */
static void json_key(FILE *f, const msgpack_object *k)
{
    if (k->type == MSGPACK_OBJECT_STR) {
        json_value(f, k);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        json_value(m, k);
        if (fclose(m) == 0) {
            json_string(f, text, len);
            free(text);
            return;
        }
    }
    free(text);
    fputs("\"?\"", f); /* out of memory: still valid JSON */
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
        /* JSON has no NaN or infinity. */
        if (isfinite(o->via.f64))
            fprintf(f, "%.17g", o->via.f64);
        else
            fputs("null", f);
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
            if (i)
                fputs(", ", f);
            json_key(f, &o->via.map.ptr[i].key);
            fputs(": ", f);
            json_value(f, &o->via.map.ptr[i].val);
        }
        fputc('}', f);
        break;
    default:
        fputs("null", f); /* bin and ext never appear in gliad's answers */
    }
}

void json_cstr(FILE *f, const char *s)
{
    json_string(f, s, strlen(s));
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
