/*
 * sync: the answer to "has gliad seen every change made before I asked?",
 * by watchman's cookie technique.
 *
 * gliad writes a uniquely named cookie file into a dir of its own, watched
 * by the same loop as every other dir. libuv serves all of a loop's
 * uv_fs_events from one inotify instance, whose events arrive in the order
 * they happened: once the cookie's event is in, every event of a change
 * made before the cookie was written is in too, in any watched dir. Then
 * the env's pending changes are scanned at once (no debounce) and the call
 * runs when the index covers them (env_wait_covered). So
 * `pip install x && gliactl resolve X` never sees the state before the
 * install.
 *
 * A service: it tells whoever wrote a cookie that its event is in, and
 * knows nothing of calls or environments.
 */
#ifndef GLIA_SYNC_H
#define GLIA_SYNC_H

#include <uv.h>

struct syncer;

/* One cookie, owned by the one waiting for it. */
struct sync_cookie {
    struct sync_cookie *next;
    char *name;
    /* ok: the cookie's event is in; 0: gliad is stopping. Runs once. */
    void (*fn)(struct sync_cookie *k, int ok);
};

/* Creates and watches <state_dir>/cookies. Never NULL: when the dir cannot
 * be watched, sync_usable() is 0 (then a sync is a full rescan, which is
 * slower but as sure). */
struct syncer *sync_open(uv_loop_t *loop, const char *state_dir);
int sync_usable(const struct syncer *s);
/* Writes k's cookie; k->fn follows. -1 when it cannot be written (logged;
 * fn is not called). */
int sync_cookie(struct syncer *s, struct sync_cookie *k, void (*fn)(struct sync_cookie *k, int ok));
/* Ends every cookie waited for (fn(k, 0)) and closes the watch. */
void sync_close(struct syncer *s);

#endif
