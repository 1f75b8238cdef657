/*
 * fault: telling a tool's verdict on its input from a failure of the
 * environment it ran in.
 *
 * A mod that does not compile fails the same way every time, so its
 * failure is cached by content. A compile that failed because the disk was
 * full, a dir was removed under it, the compiler was killed or could not
 * start, says nothing about the mod: it must never be cached nor reported
 * as the mod's error, and is tried again later.
 */
#ifndef GLIA_FAULT_H
#define GLIA_FAULT_H

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
 * terminated program"), or NULL. Pure. */
const char *fault_in_output(const char *out);

/* Why the filesystem of `dir` cannot be trusted with a compile now: dir is
 * gone, read-only, or (nearly) out of space or inodes. malloc'd, or NULL. */
char *fault_probe_dir(const char *dir);

/* All of the above for a tool run that failed (exit, words, then the state
 * of `dir`, its work dir): why it is the environment's fault, malloc'd, or
 * NULL when the failure is the tool's verdict on its input. */
char *fault_of_run(int64_t status, int term_signal, const char *out, const char *err,
                   const char *dir);

#endif
