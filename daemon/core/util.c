/*
 * util: see util.h.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("gliad: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

/* As strndup: at most n bytes, stopping at a NUL, so a short string may be
 * cut "at 400" without reading past its end. */
char *xstrndup(const char *s, size_t n)
{
    n = strnlen(s, n);
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xvprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    return s;
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvprintf(fmt, ap);
    va_end(ap);
    return s;
}

void *xgrow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    size_t c = *cap ? *cap : 4;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(v, c * size);
}

int str_has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int fs_type_next(const char **p, unsigned long *type, char *tok, size_t cap)
{
    const char *s = *p + strspn(*p, ":, ");
    size_t n = strcspn(s, ":, ");
    if (n == 0)
        return 0;
    *p = s + n;
    snprintf(tok, cap, "%.*s", (int)n, s);
    char *end;
    errno = 0;
    *type = strtoul(tok, &end, 16);
    return n < cap && isxdigit((unsigned char)tok[0]) && errno == 0 && *end == '\0' ? 1 : -1;
}

void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

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

char *str_utf8(const char *s, size_t n, size_t *len)
{
    static const char fffd[] = "\xef\xbf\xbd";
    const unsigned char *u = (const unsigned char *)s;
    char *out = xmalloc(n * 3 + 1); /* each bad byte may become 3 */
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int k = utf8_sequence(u + i, n - i);
        if (k < 0) {
            memcpy(out + o, fffd, 3);
            o += 3;
            i += (size_t)-k;
        } else {
            memcpy(out + o, u + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}
