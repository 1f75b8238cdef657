/*
 * sync: see sync.h.
 */
#include "sync.h"
#include "fswatch.h"
#include "log.h"
#include "os.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct syncer {
    struct fswatch *watch; /* NULL when broken */
    char *dir;
    uint64_t seq;
    struct sync_cookie *pending;
    int broken; /* no cookie watch: every sync is a full rescan */
};

static void on_cookie(void *ctx, const char *name, int events, int status)
{
    struct syncer *s = ctx;
    (void)events;
    if (status < 0 || !name)
        return;
    for (struct sync_cookie **pp = &s->pending; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) != 0)
            continue;
        struct sync_cookie *k = *pp;
        *pp = k->next;
        char *path = xprintf("%s/%s", s->dir, k->name);
        unlink(path);
        free(path);
        free(k->name);
        k->name = NULL;
        k->fn(k, 1);
        return;
    }
}

/* Cookies a previous run left. The dir itself stays: removing it would
 * blind any watch on it (the state_dir lock makes that another gliad's
 * only by mistake, but a dir is never deleted under a watch). */
static void remove_cookies(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "cookie-", 7) != 0)
            continue;
        char *path = xprintf("%s/%s", dir, de->d_name);
        unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
}

struct syncer *sync_open(uv_loop_t *loop, const char *state_dir)
{
    struct syncer *s = xcalloc(1, sizeof(*s));
    s->dir = xprintf("%s/cookies", state_dir);
    remove_cookies(s->dir);
    int rc = mkdir_p(s->dir, 0700) < 0 ? uv_translate_sys_error(errno)
                                       : fswatch_new(&s->watch, loop, s->dir, on_cookie, s);
    if (rc < 0) {
        s->broken = 1;
        log_warn("cannot watch %s (%s): sync falls back to full rescans", s->dir, uv_strerror(rc));
    }
    return s;
}

int sync_usable(const struct syncer *s)
{
    return s && !s->broken;
}

void sync_close(struct syncer *s)
{
    if (!s)
        return;
    while (s->pending) {
        struct sync_cookie *k = s->pending;
        s->pending = k->next;
        free(k->name);
        k->name = NULL;
        k->fn(k, 0);
    }
    /* The watch calls back no more: s may go before libuv has closed it. */
    fswatch_close(s->watch);
    free(s->dir);
    free(s);
}

int sync_cookie(struct syncer *s, struct sync_cookie *k, void (*fn)(struct sync_cookie *k, int ok))
{
    k->name = xprintf("cookie-%d-%llu", (int)getpid(), (unsigned long long)++s->seq);
    k->fn = fn;
    char *path = xprintf("%s/%s", s->dir, k->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0) {
        log_warn("cannot write a sync cookie in %s: %s; rescanning instead", s->dir,
                 strerror(errno));
        free(k->name);
        k->name = NULL;
        return -1;
    }
    close(fd);
    k->next = s->pending;
    s->pending = k;
    return 0;
}
