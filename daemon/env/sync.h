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
 * runs when the index covers them. So `pip install x && gliactl resolve X`
 * never sees the state before the install.
 */
#ifndef GLIA_SYNC_H
#define GLIA_SYNC_H

#include "methods.h"

struct gliad;

/* Creates and watches <state_dir>/cookies. Returns 0, or -1 (then sync
 * falls back to a full rescan, which is slower but as sure). */
int sync_init(struct gliad *g);
void sync_close(struct gliad *g);

/* Holds c until every change before now is in its env's index. Returns 1
 * when c was parked (it runs again later), 0 when it may go on. */
int sync_gate(struct call *c);

#endif
