/*
 * os: the operating system's services gliad and its clients share: whole
 * files, directory trees, durable renames, the filesystem's kind, a clock.
 * Everything here may block; the loop thread calls only the cheap ones.
 */
#ifndef GLIA_OS_H
#define GLIA_OS_H

#include <stddef.h>

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
