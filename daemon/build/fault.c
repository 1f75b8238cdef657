/*
 * fault: see fault.h. The rules are core/fault_rules.c's; here is what
 * asks the filesystem.
 */
#include "fault.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

char *fault_probe_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return xprintf("%s is gone (%s)", dir, strerror(errno));
    struct statvfs vfs;
    if (statvfs(dir, &vfs) < 0)
        return NULL; /* nothing to say: the caller's own reason stands */
    struct fault_fs fs = {.read_only = (vfs.f_flag & ST_RDONLY) != 0,
                          .avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize,
                          .files = vfs.f_files,
                          .files_avail = vfs.f_favail};
    return fault_of_fs(dir, &fs);
}

char *fault_of_run(int64_t status, int term_signal, const char *out, const char *err,
                   const char *dir)
{
    char buf[160];
    const char *why = fault_of_exit(status, term_signal, buf, sizeof(buf));
    if (why)
        return xstrdup(why);
    const char *phrase = fault_in_output(err);
    if (!phrase)
        phrase = fault_in_output(out);
    if (phrase)
        return xprintf("it said \"%s\"", phrase);
    return fault_probe_dir(dir);
}
