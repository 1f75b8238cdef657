/*
 * lease: see lease.h.
 */
#include "lease.h"
#include "hostid.h"
#include "os.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The biggest lease read: 64 Ki keys. */
#define LEASE_MAX_BYTES (65u << 16)

static char *own_name(void)
{
    return xprintf("%s-%ld", hostid(), (long)getpid());
}

static char *lease_path(const char *cache_dir, const char *name)
{
    return xprintf("%s/leases/%s", cache_dir, name);
}

static char *own_path(const char *cache_dir)
{
    char *name = own_name();
    char *path = lease_path(cache_dir, name);
    free(name);
    return path;
}

int lease_write(const char *cache_dir, char *const *keys)
{
    char *dir = xprintf("%s/leases", cache_dir), *path = own_path(cache_dir);
    char *tmp = xprintf("%s.tmp", path);
    FILE *f = mkdir_p(dir, 0755) == 0 ? fopen(tmp, "w") : NULL;
    int ok = f != NULL;
    for (size_t i = 0; ok && keys && keys[i]; i++)
        ok = fprintf(f, "%s\n", keys[i]) > 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    free(dir);
    free(path);
    free(tmp);
    return ok ? 0 : -1;
}

int lease_add(const char *cache_dir, const char *key)
{
    char *dir = xprintf("%s/leases", cache_dir), *path = own_path(cache_dir);
    int fd =
        mkdir_p(dir, 0755) == 0 ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    char *line = xprintf("%s\n", key);
    int ok = fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line);
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    free(line);
    free(dir);
    free(path);
    return ok ? 0 : -1;
}

void lease_renew(const char *cache_dir)
{
    char *path = own_path(cache_dir);
    utimensat(AT_FDCWD, path, NULL, 0);
    free(path);
}

void lease_drop(const char *cache_dir)
{
    char *path = own_path(cache_dir);
    unlink(path);
    free(path);
}

enum lease_state { LEASE_LIVE, LEASE_EXPIRED, LEASE_GONE };

/* The state of the lease `name` (its file's status in st): LIVE, its gliad
 * may still serve what it names; GONE, its gliad is known to be gone (this
 * host's, or another's silent for ten times the TTL); EXPIRED, neither. */
static enum lease_state state_of(const char *name, const struct stat *st)
{
    const char *me = hostid();
    size_t idlen;
    long pid;
    time_t now = time(NULL);
    if (hostid_parse(name, &idlen, &pid) < 0)
        return LEASE_GONE;
    if (idlen == strlen(me) && strncmp(name, me, idlen) == 0)
        return pid <= INT_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM) ? LEASE_LIVE
                                                                              : LEASE_GONE;
    if (st->st_mtime > now - LEASE_TTL_S)
        return LEASE_LIVE;
    return st->st_mtime < now - 10 * LEASE_TTL_S ? LEASE_GONE : LEASE_EXPIRED;
}

static int names(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = text; (p = strstr(p, key)); p += n)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

int lease_held(const char *cache_dir, const char *key)
{
    char *dir = xprintf("%s/leases", cache_dir), *mine = own_name();
    DIR *d = opendir(dir);
    struct dirent *de;
    int held = 0;
    while (!held && d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, mine) == 0 ||
            str_has_suffix(de->d_name, ".tmp"))
            continue;
        char *path = lease_path(cache_dir, de->d_name);
        struct stat st;
        enum lease_state ls = stat(path, &st) == 0 ? state_of(de->d_name, &st) : LEASE_EXPIRED;
        if (ls == LEASE_LIVE) {
            char *text = file_read(path, LEASE_MAX_BYTES, NULL);
            held = !text || names(text, key); /* unreadable: assume it does */
            free(text);
        } else if (ls == LEASE_GONE) {
            unlink(path);
        }
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
    free(mine);
    return held;
}
