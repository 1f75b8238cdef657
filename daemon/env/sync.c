/*
 * sync: see sync.h.
 */
#include "sync.h"
#include "env.h"
#include "gliad.h"
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

struct cookie {
    char *name;
    struct call *call;
    struct cookie *next;
};

struct syncer {
    uv_fs_event_t handle;
    char *dir;
    uint64_t seq;
    struct cookie *pending;
    int broken; /* no cookie watch: every sync is a full rescan */
};

/* After the cookie: scan what is pending now; park until it is published. */
static int cover(struct call *c)
{
    c->synced = 2;
    struct env *e = gliad_env(c->g, proto_args_str(&c->args, "env", 0));
    if (!e)
        return 0; /* the method answers unknown_env */
    /* Without events to go by (no cookie watch, or the env's dirs are polled)
     * only a rescan can tell what changed. */
    if (!c->g->sync || c->g->sync->broken || e->watcher.fallback)
        watch_dirty_all(e);
    uint64_t target = env_scan_covering(e);
    if (target <= e->scans)
        return 0;
    c->wait_for = target;
    callq_push(&e->waiting, c);
    return 1;
}

static void on_cookie(uv_fs_event_t *h, const char *name, int events, int status)
{
    struct syncer *s = h->data;
    (void)events;
    if (status < 0 || !name)
        return;
    for (struct cookie **pp = &s->pending; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) != 0)
            continue;
        struct cookie *k = *pp;
        *pp = k->next;
        char *path = xprintf("%s/%s", s->dir, k->name);
        unlink(path);
        free(path);
        k->call->synced = 1;
        call_rerun(k->call);
        free(k->name);
        free(k);
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

int sync_init(struct gliad *g)
{
    struct syncer *s = xcalloc(1, sizeof(*s));
    g->sync = s;
    s->dir = xprintf("%s/cookies", g->cfg.state_dir);
    remove_cookies(s->dir);
    uv_fs_event_init(g->loop, &s->handle);
    s->handle.data = s;
    int rc = mkdir_p(s->dir, 0700) < 0 ? uv_translate_sys_error(errno)
                                       : uv_fs_event_start(&s->handle, on_cookie, s->dir, 0);
    if (rc < 0) {
        s->broken = 1;
        log_warn("cannot watch %s (%s): sync falls back to full rescans", s->dir,
                 uv_strerror(rc));
        return -1;
    }
    return 0;
}

static void closed(uv_handle_t *h)
{
    struct syncer *s = h->data;
    free(s->dir);
    free(s);
}

void sync_close(struct gliad *g)
{
    struct syncer *s = g->sync;
    if (!s)
        return;
    struct callq waiting = {0};
    while (s->pending) {
        struct cookie *k = s->pending;
        s->pending = k->next;
        callq_push(&waiting, k->call);
        free(k->name);
        free(k);
    }
    callq_fail(&waiting, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
    uv_close((uv_handle_t *)&s->handle, closed);
    g->sync = NULL;
}

int sync_gate(struct call *c)
{
    struct syncer *s = c->g->sync;
    if (c->synced == 2)
        return 0;
    if (c->synced == 1 || !s || s->broken)
        return cover(c);
    struct cookie *k = xcalloc(1, sizeof(*k));
    k->name = xprintf("cookie-%d-%llu", (int)getpid(), (unsigned long long)++s->seq);
    k->call = c;
    char *path = xprintf("%s/%s", s->dir, k->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0) {
        log_warn("cannot write a sync cookie in %s: %s; rescanning instead", s->dir,
                 strerror(errno));
        free(k->name);
        free(k);
        return cover(c);
    }
    close(fd);
    k->next = s->pending;
    s->pending = k;
    return 1;
}
