/*
 * util: allocation that cannot fail (gliad aborts on out-of-memory rather
 * than carry a half-built state), growable arrays and small string helpers.
 */
#ifndef GLIA_UTIL_H
#define GLIA_UTIL_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grows *v (of *cap elements of `size` bytes) so that index `need - 1` fits. */
void *xgrow(void *v, size_t *cap, size_t need, size_t size);
#define VEC_PUSH(v, n, cap, x)                                                                     \
    do {                                                                                           \
        (v) = xgrow((v), &(cap), (n) + 1, sizeof(*(v)));                                           \
        (v)[(n)++] = (x);                                                                          \
    } while (0)

int str_has_suffix(const char *s, const char *suffix);

/* The n bytes at s as valid UTF-8, so JSON can carry them (a path can be
 * any bytes): what is not UTF-8 becomes U+FFFD, one for each maximal
 * subpart of a sequence, as Python decodes with "replace". malloc'd and
 * NUL-terminated; *len is its length (a NUL byte of s is kept). */
char *str_utf8(const char *s, size_t n, size_t *len);

/* The next entry of an FS_REMOTE_VAR list at *p: 1 with its type, 0 at the
 * end, -1 when it is no hex number (the entry is in tok either way). */
int fs_type_next(const char **p, unsigned long *type, char *tok, size_t cap);
void strv_free(char **v, size_t n);

#endif
