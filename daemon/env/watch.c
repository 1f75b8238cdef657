/*
 * watch: see watch.h.
 */
#include "watch.h"
#include "env_defs.h"
#include "fswatch.h"
#include "gliad_defs.h"
#include "log.h"
#include "os.h"
#include "scan.h"
#include "timer.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One watched dir. */
struct watch {
    struct fswatch *handle;
    struct watcher *w;
    char *dir;
    char *owner; /* dist-info, or NULL for a site dir or a parent of one */
    ino_t ino;
    int seen;  /* still wanted by the last update */
    int stale; /* the dir was removed or replaced: restart on update */
};

static void on_debounce(void *ctx);
static void on_poll(void *ctx);
static void check_remote_fs(const struct env *e);

void watch_init(struct env *e, void (*changed)(struct env *e))
{
    struct watcher *w = &e->watcher;
    memset(w, 0, sizeof(*w));
    w->env = e;
    w->changed = changed;
    strmap_init(&w->dirs);
    strmap_init(&w->dirty);
    w->debounce = timer_new(e->g->loop, on_debounce, w);
    w->poll = timer_new(e->g->loop, on_poll, w);
    w->retry = timer_new(e->g->loop, on_poll, w);
    w->open = 3;
    check_remote_fs(e);
}

static int is_site(const struct env *e, const char *dir)
{
    for (size_t i = 0; i < e->nsite; i++)
        if (strcmp(e->site[i], dir) == 0)
            return 1;
    /* The personal collection is scanned as a site dir of every env. */
    const char *coll = e->g->cfg.collection;
    return coll && strcmp(coll, dir) == 0;
}

/* The dist-info a change in a site dir concerns, or NULL when it is none
 * of ours (other packages' files, caches, .pth files). */
static const char *site_change(const struct env *e, const char *dir, const char *name, char **made)
{
    *made = NULL;
    if (str_has_suffix(name, ".dist-info"))
        return *made = xprintf("%s/%s", dir, name);
    /* A module dir of one of our packages (removed by hand, say). */
    for (size_t i = 0; e->index && i < e->index->npkgs; i++) {
        const struct index_pkg *p = e->index->pkgs[i];
        const char *root = p->root;
        size_t dl = strlen(dir);
        if (root && strncmp(root, dir, dl) == 0 && root[dl] == '/' &&
            strcmp(root + dl + 1, name) == 0)
            return p->dist_info;
    }
    return NULL;
}

/* Is dir/name on the path of one of e's site dirs? */
static int leads_to_site(const struct env *e, const char *dir, const char *name)
{
    size_t dl = strcmp(dir, "/") == 0 ? 0 : strlen(dir), nl = strlen(name);
    for (size_t i = 0; i < e->nsite; i++) {
        const char *s = e->site[i];
        if (strncmp(s, dir, dl) == 0 && s[dl] == '/' && strncmp(s + dl + 1, name, nl) == 0 &&
            (s[dl + 1 + nl] == '/' || s[dl + 1 + nl] == '\0'))
            return 1;
    }
    return 0;
}

static void mark(struct watcher *w, const char *dist_info)
{
    if (!strmap_get(&w->dirty, dist_info)) {
        char *key = xstrdup(dist_info);
        strmap_put(&w->dirty, key, key);
    }
}

/*
 * The quiet period before a rescan. A burst that starts soon after the last
 * rescan means a series (a requirements file, a loop of pip installs): the
 * quiet period doubles for each such burst, up to 16x, so the series costs a
 * few rescans and builds rather than one per install; a quiet spell resets
 * it. Clients lose nothing by the wait: a sync scans what is pending at once.
 */
static void arm(struct watcher *w)
{
    double now = now_ms();
    int debounce = w->env->g->cfg.debounce_ms;
    /* A user's event during our own pending look starts a burst of theirs. */
    if (!w->first_event || w->rechecking) {
        if (!w->first_event)
            w->first_event = now;
        w->rechecking = 0;
        /* pip itself takes a second or two between its runs' writes. */
        double window = 10.0 * debounce > 2000 ? 10.0 * debounce : 2000;
        int series = w->last_rescan && now - w->last_rescan < window;
        w->streak = series ? (w->streak < 4 ? w->streak + 1 : 4) : 0;
    }
    debounce <<= w->streak;
    /* A steady stream of events must not postpone the rescan forever. */
    double left = w->first_event + 10.0 * debounce - now;
    uint64_t due = (uint64_t)(left < debounce ? (left > 0 ? left : 0) : debounce);
    timer_start(w->debounce, due, 0);
}

static void on_event(void *ctx, const char *name, int events, int status)
{
    struct watch *wa = ctx;
    struct watcher *w = wa->w;
    struct env *e = w->env;
    w->events++;
    struct stat st;
    /* The dir itself went (IN_DELETE_SELF, IN_IGNORED: libuv names it by its
     * own basename) or was replaced. The inode alone cannot tell: a dir made
     * anew at once often gets the freed inode back, behind a dead watch. */
    const char *base = strrchr(wa->dir, '/');
    int self = name && base && strcmp(name, base + 1) == 0 && (events & UV_RENAME);
    if (status < 0 || self || stat(wa->dir, &st) < 0 || st.st_ino != wa->ino) {
        wa->stale = 1; /* deleted or replaced: what is there now is unknown */
        w->dirty_all = 1;
    } else if (wa->owner && strcmp(wa->owner, SCAN_WATCH_SHARED) == 0) {
        w->dirty_all = 1;
    } else if (wa->owner) {
        mark(w, wa->owner);
    } else if (!is_site(e, wa->dir)) {
        /* A parent of a missing site dir: only the way down to it matters. */
        if (!name || !leads_to_site(e, wa->dir, name))
            return;
        w->dirty_all = 1;
    } else if (name) {
        char *made;
        const char *di = site_change(e, wa->dir, name, &made);
        if (di)
            mark(w, di);
        free(made);
        if (!di)
            return;
    }
    log_debug("[%s] change in %s/%s", e->name, wa->dir, name ? name : "");
    arm(w);
}

static void fire(struct watcher *w)
{
    w->rechecking = 0;
    w->first_event = 0;
    w->changed(w->env);
}

static void on_debounce(void *ctx)
{
    struct watcher *w = ctx;
    if (!w->rechecking) { /* only the user's bursts make a series */
        w->last_rescan = now_ms();
        w->bursts++;
    }
    fire(w);
}

/* The poll of a fallback, or the retry of an incomplete scan. */
static void on_poll(void *ctx)
{
    struct watcher *w = ctx;
    w->dirty_all = 1;
    fire(w);
}

static void watch_free(struct watch *wa)
{
    free(wa->dir);
    free(wa->owner);
    free(wa);
}

/* The watch calls back no more once closed: wa may go at once. */
static void drop(struct watcher *w, struct watch *wa)
{
    strmap_del(&w->dirs, wa->dir);
    fswatch_close(wa->handle);
    watch_free(wa);
}

/* Says once per environment which entries of FS_REMOTE_VAR mean nothing. */
static void check_remote_fs(const struct env *e)
{
    const char *p = getenv(FS_REMOTE_VAR);
    unsigned long type;
    char tok[32];
    int rc;
    while (p && (rc = fs_type_next(&p, &type, tok, sizeof(tok))) != 0)
        if (rc < 0)
            log_warn("[%s] %s: '%s' is not a filesystem type (hex, as `stat -f -c %%t DIR` "
                     "prints it); ignored",
                     e->name, FS_REMOTE_VAR, tok);
}

static void fall_back(struct watcher *w, const char *why)
{
    if (w->fallback)
        return;
    struct env *e = w->env;
    unsigned every =
        (unsigned)(e->g->cfg.debounce_ms * 10 > 2000 ? e->g->cfg.debounce_ms * 10 : 2000);
    w->fallback = xstrdup(why);
    log_warn("[%s] %s; rescanning every %u ms instead", e->name, why, every);
    timer_start(w->poll, every, every);
}

/* Returns 0 when the dir is watched now. */
static int start(struct watcher *w, const char *dir, const char *owner)
{
    struct watch *wa = xcalloc(1, sizeof(*wa));
    wa->w = w;
    wa->dir = xstrdup(dir);
    wa->owner = xstrdup(owner);
    wa->seen = 1;
    struct stat st;
    wa->ino = stat(dir, &st) == 0 ? st.st_ino : 0;
    /* Changes made on another host, inotify never hears of. */
    int rc = fs_is_remote(dir) ? UV_ENOTSUP
                               : fswatch_new(&wa->handle, w->env->g->loop, dir, on_event, wa);
    if (rc < 0) {
        char *why = rc == UV_ENOSPC    ? xprintf("inotify watches ran out at %s (raise "
                                                    "fs.inotify.max_user_watches)",
                                                 dir)
                    : rc == UV_ENOTSUP ? xprintf("%s is on a network filesystem", dir)
                                       : xprintf("cannot watch %s: %s", dir, uv_strerror(rc));
        fall_back(w, why);
        free(why);
        watch_free(wa);
        return -1;
    }
    strmap_put(&w->dirs, wa->dir, wa);
    return 0;
}

void watch_update(struct env *e, const struct scan_watch *list, size_t n, int partial)
{
    struct watcher *w = &e->watcher;
    /* A scan that ends after SIGTERM is dropped: no watch keeps the loop alive. */
    assert(!(e->flags & (ENV_F_STOPPING | ENV_F_RELEASED)));
    const char *k;
    void *v;
    /* A dir a partial scan did not list may still be there: keep it. */
    for (size_t i = 0; strmap_next(&w->dirs, &i, &k, &v);)
        ((struct watch *)v)->seen = partial;
    int recheck = 0;
    for (size_t i = 0; i < n; i++) {
        struct watch *wa = strmap_get(&w->dirs, list[i].dir);
        int same_owner = wa && (wa->owner && list[i].owner ? strcmp(wa->owner, list[i].owner) == 0
                                                           : wa->owner == list[i].owner);
        if (wa && !wa->stale && same_owner) {
            wa->seen = 1;
            continue;
        }
        if (wa)
            drop(w, wa);
        /* What was made in the dir between the scan reading it and the watch
         * starting (or restarting, on a dir made anew) raised no event: look
         * at it once more. */
        if (start(w, list[i].dir, list[i].owner) == 0 && e->index) {
            if (list[i].owner && strcmp(list[i].owner, SCAN_WATCH_SHARED) != 0)
                mark(w, list[i].owner);
            else
                w->dirty_all = 1;
            recheck = 1;
        }
    }
    /* Not a burst of the user's: no stretching of the quiet period for it. */
    if (recheck && !w->first_event) {
        w->first_event = now_ms();
        w->rechecking = 1;
        timer_start(w->debounce, (uint64_t)e->g->cfg.debounce_ms, 0);
    }
    /* Collect first: dropping while iterating would move the slots. */
    struct watch **gone = xcalloc(w->dirs.len + 1, sizeof(*gone));
    size_t ng = 0;
    for (size_t i = 0; strmap_next(&w->dirs, &i, &k, &v);)
        if (!((struct watch *)v)->seen)
            gone[ng++] = v;
    for (size_t i = 0; i < ng; i++)
        drop(w, gone[i]);
    free(gone);
}

#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 60000

void watch_retry(struct env *e, int incomplete)
{
    struct watcher *w = &e->watcher;
    assert(!(e->flags & (ENV_F_STOPPING | ENV_F_RELEASED)));
    if (!incomplete) {
        if (w->retry_ms)
            log_info("[%s] everything could be read again", e->name);
        w->retry_ms = 0;
        timer_stop(w->retry);
        return;
    }
    w->retry_ms = w->retry_ms ? w->retry_ms * 2 : RETRY_FIRST_MS;
    if (w->retry_ms > RETRY_MAX_MS)
        w->retry_ms = RETRY_MAX_MS;
    log_debug("[%s] the scan could not read everything; again in %u ms", e->name, w->retry_ms);
    timer_start(w->retry, w->retry_ms, 0);
}

static void timer_closed(void *ctx)
{
    struct watcher *w = ctx;
    if (--w->open == 0 && w->closed)
        w->closed(w->env);
}

void watch_close(struct env *e, void (*closed)(struct env *e))
{
    struct watcher *w = &e->watcher;
    const char *k;
    void *v;
    struct watch **all = xcalloc(w->dirs.len + 1, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; strmap_next(&w->dirs, &i, &k, &v);)
        all[n++] = v;
    for (size_t i = 0; i < n; i++)
        drop(w, all[i]);
    free(all);
    strmap_free(&w->dirs);
    watch_dirty_free(watch_take_dirty(e));
    free(w->fallback);
    w->fallback = NULL;
    w->closed = closed;
    if (w->debounce) {
        timer_close_then(w->debounce, timer_closed);
        timer_close_then(w->poll, timer_closed);
        timer_close_then(w->retry, timer_closed);
        w->debounce = w->poll = w->retry = NULL;
    } else if (w->open == 0 && closed) {
        closed(e);
    }
}

void watch_dirty_all(struct env *e)
{
    e->watcher.dirty_all = 1;
}

int watch_pending(const struct env *e)
{
    const struct watcher *w = &e->watcher;
    return w->dirty_all || w->dirty.len > 0;
}

struct strmap *watch_take_dirty(struct env *e)
{
    struct watcher *w = &e->watcher;
    struct strmap *m = NULL;
    /* The scan taking the changes makes a pending debounce pointless; a burst
     * of the user's it cuts short (a sync) still counts as one. */
    timer_stop(w->debounce);
    if (w->first_event && !w->rechecking) {
        w->last_rescan = now_ms();
        w->bursts++;
    }
    w->first_event = 0;
    w->rechecking = 0;
    if (!w->dirty_all) {
        m = xmalloc(sizeof(*m));
        *m = w->dirty;
    } else {
        const char *k;
        void *v;
        for (size_t i = 0; strmap_next(&w->dirty, &i, &k, &v);)
            free(v);
        strmap_free(&w->dirty);
    }
    strmap_init(&w->dirty);
    w->dirty_all = 0;
    return m;
}

void watch_dirty_free(struct strmap *dirty)
{
    if (!dirty)
        return;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(dirty, &i, &k, &v);)
        free(v);
    strmap_free(dirty);
    free(dirty);
}
