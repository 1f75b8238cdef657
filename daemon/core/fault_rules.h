/*
 * fault_rules: telling a tool's verdict on its input from a failure of the
 * environment it ran in, on plain data (an exit, the tool's words, what
 * statvfs says of a dir). build/fault.c asks the filesystem.
 *
 * A mod that does not compile fails the same way every time, so its
 * failure is cached by content. A compile that failed because the disk was
 * full, a dir was removed under it, the compiler was killed or could not
 * start, says nothing about the mod: it must never be cached nor reported
 * as the mod's error, and is tried again later.
 */
#ifndef GLIA_FAULT_RULES_H
#define GLIA_FAULT_RULES_H

#include <stddef.h>
#include <stdint.h>

/* Below this much free space, a failure on the filesystem is its fault:
 * a compile's temporary files alone can take megabytes. */
#define FAULT_MIN_FREE_BYTES (16ll << 20)

/*
 * Why an exit is the environment's doing, or NULL: a signal (the OOM
 * killer, a kill by hand), or a status of 126 and above (the shell's
 * "cannot execute", "not found" and 128+N for a child killed by N;
 * gliad-child's 127 when it cannot exec). A tool that crashed (SIGSEGV,
 * SIGABRT, SIGBUS, SIGFPE, SIGILL, or 128+N for them) gave its verdict on
 * its input: NULL, the mod's failure. Writes into buf.
 */
const char *fault_of_exit(int64_t status, int term_signal, char *buf, size_t len);

/* The phrase of a tool's output that names an environmental error (errno
 * texts such as "No space left on device", gcc's "Killed signal
 * terminated program"), or NULL. */
const char *fault_in_output(const char *out);

/* What statvfs(3) says of a dir's filesystem. */
struct fault_fs {
    int read_only;
    long long avail;                /* bytes an unprivileged process may still write */
    unsigned long long files;       /* inodes in all (0: the filesystem counts none) */
    unsigned long long files_avail; /* inodes an unprivileged process may still take */
};

/* Why the filesystem of `dir` cannot be trusted with a compile now: it is
 * read-only, or (nearly) out of space or inodes. malloc'd, or NULL. */
char *fault_of_fs(const char *dir, const struct fault_fs *fs);

#endif
