/*
 * util: see util.h.
 */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

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

