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

/* Whether dir is on a filesystem other hosts may write too (NFS, CIFS,
 * SMB2, FUSE, 9p, Ceph): inotify misses their changes, and SQLite's WAL
 * (shared memory between the processes of one host) is unsafe there. */
int fs_is_remote(const char *dir);
void strv_free(char **v, size_t n);

/* Reads a whole file (at most `limit` bytes) into a malloc'd, NUL-terminated
 * buffer. Returns it, or NULL with errno set (EFBIG when over the limit). */
char *file_read(const char *path, size_t limit, size_t *len);

/* mkdir -p with `mode` for every directory it creates. 0 or -1 with errno. */
int mkdir_p(const char *path, unsigned mode);

/* fsync of a file, or of a directory (dir != 0) so a rename in it lasts. */
int fsync_path(const char *path, int dir);

/* rm -r: removes dir and everything under it (symlinks are not followed).
 * Best effort: what cannot be removed stays. */
void remove_tree(const char *dir);

/* Milliseconds on a monotonic clock. */
double now_ms(void);

#endif
