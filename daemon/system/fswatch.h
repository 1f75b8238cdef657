/*
 * fswatch: one directory watched for changes (inotify, through libuv's
 * uv_fs_event), owned by this module like timer.h's timers: fswatch_close
 * means cb is never called again, and the memory is freed once libuv has
 * finished with the handle.
 */
#ifndef GLIA_FSWATCH_H
#define GLIA_FSWATCH_H

#include <uv.h>

struct fswatch;

/* name: the entry of dir that changed (NULL when unknown); events:
 * UV_RENAME and/or UV_CHANGE; status: a libuv error when the watch failed. */
typedef void (*fswatch_fn)(void *ctx, const char *name, int events, int status);

/* 0 and *out set, or a libuv error code (UV_ENOSPC: no inotify watches
 * left) and *out NULL, nothing to close. */
int fswatch_new(struct fswatch **out, uv_loop_t *loop, const char *dir, fswatch_fn cb, void *ctx);
/* NULL is allowed. */
void fswatch_close(struct fswatch *f);

#endif
