/*
 * fault_rules: see fault_rules.h.
 */
#include "fault_rules.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Signals a tool raises on itself over what it was given (a crash, an
 * assertion): its verdict on that input, the same every time. SIGKILL, the
 * OOM killer's and ours, and SIGTERM or SIGINT say nothing of the input. */
static int crash_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
}

const char *fault_of_exit(int64_t status, int term_signal, char *buf, size_t len)
{
    if (term_signal) {
        if (crash_signal(term_signal))
            return NULL;
        snprintf(buf, len, "killed by signal %d (%s)", term_signal, strsignal(term_signal));
        return buf;
    }
    if (status >= 126 && !(status > 128 && crash_signal((int)(status - 128)))) {
        snprintf(buf, len, "exited with status %lld, a tool that could not run or was killed",
                 (long long)status);
        return buf;
    }
    return NULL;
}

/* Texts tools print for errors of the machine, not of their input. A
 * missing file is not among them: a missing INCLUDE is the mod's error. */
static const char *const environmental[] = {
    "No space left on device",  "Disk quota exceeded",
    "Read-only file system",    "Input/output error",
    "Stale file handle",        "Cannot allocate memory",
    "virtual memory exhausted", "out of memory allocating",
    "Too many open files",      "Killed signal terminated program",
    "terminated with signal",
};
#define NPHRASES (sizeof(environmental) / sizeof(*environmental))

/* A line that quotes the mod rather than speaks for the tool: gcc's source
 * excerpts ("   12 | text", "      |   ^~~") and the text of an #error or
 * #warning. A mod must not make its own failure look like the machine's
 * (it would never be cached, and its env never publish). */
static int quotes_source(const char *line, size_t n)
{
    size_t i = strspn(line, " \t0123456789");
    return (i < n && line[i] == '|') || memmem(line, n, "#error", 6) ||
           memmem(line, n, "#warning", 8);
}

const char *fault_in_output(const char *out)
{
    for (const char *line = out; line && *line;) {
        size_t n = strcspn(line, "\n");
        size_t k = quotes_source(line, n) ? NPHRASES : 0;
        for (; k < NPHRASES; k++)
            if (memmem(line, n, environmental[k], strlen(environmental[k])))
                return environmental[k];
        line += n + (line[n] == '\n');
    }
    return NULL;
}

char *fault_of_fs(const char *dir, const struct fault_fs *fs)
{
    if (fs->read_only)
        return xprintf("the filesystem of %s is read-only", dir);
    if (fs->avail < FAULT_MIN_FREE_BYTES)
        return xprintf("the filesystem of %s is nearly full (%lld KiB free)", dir, fs->avail >> 10);
    if (fs->files > 0 && fs->files_avail == 0)
        return xprintf("the filesystem of %s has no free inodes", dir);
    return NULL;
}
