/*
 * scratch: see scratch.h.
 */
#include "scratch.h"
#include "hostid.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

char *cache_tmp_dir(const char *cache_dir)
{
    return xprintf("%s/tmp/%s-%ld", cache_dir, hostid(), (long)getpid());
}

char *cache_tmp_path(const char *cache_dir, const char *fmt, ...)
{
    char *dir = cache_tmp_dir(cache_dir);
    va_list ap;
    va_start(ap, fmt);
    char *leaf = xvprintf(fmt, ap);
    va_end(ap);
    char *path = xprintf("%s/%s", dir, leaf);
    free(leaf);
    free(dir);
    return path;
}
