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
 * SMB2, FUSE, 9p, Ceph, and those FS_REMOTE_VAR names): inotify misses
 * their changes, and SQLite's WAL (shared memory between the processes of
 * one host) is unsafe there. */
int fs_is_remote(const char *dir);

/* $GLIAD_REMOTE_FS names more such filesystem types, as statfs(2) numbers
 * them, in hex as `stat -f -c %t DIR` prints them, separated by ':' or ',':
 * a cluster filesystem (Lustre bd00bd0, GPFS 47504653), or the filesystem
 * of a test's temp dir. */
#define FS_REMOTE_VAR "GLIAD_REMOTE_FS"
/* The next entry of an FS_REMOTE_VAR list at *p: 1 with its type, 0 at the
 * end, -1 when it is no hex number (the entry is in tok either way). */
int fs_type_next(const char **p, unsigned long *type, char *tok, size_t cap);
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
