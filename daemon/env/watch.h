/*
 * watch: sees an environment change on disk (inotify, through libuv's
 * uv_fs_event) and turns the burst of events of one `pip install` into one
 * incremental rescan.
 *
 * Watched: each site-packages dir (dist-info dirs appearing, disappearing,
 * renamed), or the nearest existing parent of one that does not exist yet;
 * each package's module dir and mod dirs (editors save by rename-over); the
 * source dirs of editable installs. The dirs come from each scan, so they
 * follow what is installed.
 *
 * Events mark dist-infos dirty; debounce_ms after the last event (and at
 * most 10x that after the first) the env rescans only those. Bursts that
 * follow each other closely (a loop of pip installs) stretch the quiet
 * period, so a series gives a few rescans, not one per install. Where inotify
 * cannot serve (no watches left, a network filesystem) the env falls back
 * to periodic full rescans, logged once and shown in status.
 */
#ifndef GLIA_WATCH_H
#define GLIA_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "strmap.h"

struct env;
struct scan_watch;

struct watcher {
    struct env *env;
    struct strmap dirs;     /* dir -> struct watch* */
    struct timer *debounce; /* NULL once closed (so are the others) */
    struct timer *poll;
    struct timer *retry; /* a scan that could not read everything, tried again */
    unsigned retry_ms;   /* the next wait before that (doubles); 0: none due */
    double first_event;  /* of the pending burst; 0 when none */
    double last_rescan;  /* when the last debounced rescan started */
    int streak;          /* bursts in a row, each soon after the last rescan */
    int rechecking;      /* the pending rescan is ours (new watches), not the user's */
    struct strmap dirty; /* dist-info paths to rescan (keys owned) */
    int dirty_all;
    char *fallback; /* why this env is polled, or NULL */
    uint64_t events, bursts;
    int open; /* timers not yet closed */
    void (*closed)(struct env *e);
    void (*changed)(struct env *e); /* from watch_init */
};

/* changed(e) runs when the changes seen are due for a rescan (env.c's
 * env_scan_changes: the watcher marks, its env scans). */
void watch_init(struct env *e, void (*changed)(struct env *e));
/* After a scan: watch exactly these dirs, or when `partial` (the scan could
 * not read every dir) these and every dir watched already. */
void watch_update(struct env *e, const struct scan_watch *w, size_t n, int partial);
/* After a scan: when it was incomplete, a full rescan is tried again later,
 * waiting longer each time (up to a minute); a complete one resets that. */
void watch_retry(struct env *e, int incomplete);
/* Closes every handle (the env is going away or the daemon stops); calls
 * closed(e), when not NULL, once the timers inside e have closed. */
void watch_close(struct env *e, void (*closed)(struct env *e));

/* Marks everything dirty (a full rescan is due). */
void watch_dirty_all(struct env *e);
/* True when changes are waiting for a rescan. */
int watch_pending(const struct env *e);
/* Hands the dirty set to a scan (NULL: everything), clears it and stops
 * the debounce; the caller owns the map (free with watch_dirty_free). */
struct strmap *watch_take_dirty(struct env *e);
void watch_dirty_free(struct strmap *dirty);

#endif
