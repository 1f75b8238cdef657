/*
 * scratch: this process's work dirs in a cache, <cache>/tmp/<host id>-<pid>
 * (cache.h says why each gliad has its own).
 */
#ifndef GLIA_SCRATCH_H
#define GLIA_SCRATCH_H

char *cache_tmp_dir(const char *cache_dir);
/* A path in this gliad's work dir: cache_tmp_path(dir, "stage-%llu", id). */
char *cache_tmp_path(const char *cache_dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
