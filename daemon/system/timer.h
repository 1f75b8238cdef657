/*
 * timer: a libuv timer owned by this module, so env/ and build/ need not
 * know how libuv handles are closed.
 *
 * timer_new allocates it; timer_close stops it and hands it back: cb is
 * never called after timer_close returns, and the memory is freed once
 * libuv has finished with the handle (a handle must not be freed before its
 * close callback has run). The context stays the caller's.
 */
#ifndef GLIA_TIMER_H
#define GLIA_TIMER_H

#include <stdint.h>
#include <uv.h>

struct timer;

typedef void (*timer_fn)(void *ctx);

struct timer *timer_new(uv_loop_t *loop, timer_fn cb, void *ctx);
/* Both do nothing on NULL: an owner clears its pointer when it closes the
 * timer, and what still arms or stops it during shutdown then changes
 * nothing (as libuv ignores a closing handle's start and stop). */
/* Due in ms, then every repeat_ms (0: once); restarts a running timer. */
void timer_start(struct timer *t, uint64_t ms, uint64_t repeat_ms);
void timer_stop(struct timer *t);
/* NULL is allowed, so callers can close what they may never have made. */
void timer_close(struct timer *t);
/* Also calls closed(ctx) once libuv has closed the handle, for an owner
 * that must outlive its timers' close (closed may be NULL). */
void timer_close_then(struct timer *t, timer_fn closed);

#endif
