/*
 * timer: see timer.h.
 */
#include "timer.h"
#include "util.h"

#include <stdlib.h>

struct timer {
    uv_timer_t handle;
    timer_fn cb;
    timer_fn closed;
    void *ctx;
};

static void timer_fire(uv_timer_t *h)
{
    struct timer *t = h->data;
    t->cb(t->ctx);
}

struct timer *timer_new(uv_loop_t *loop, timer_fn cb, void *ctx)
{
    struct timer *t = xcalloc(1, sizeof(*t));
    uv_timer_init(loop, &t->handle);
    t->handle.data = t;
    t->cb = cb;
    t->ctx = ctx;
    return t;
}

void timer_start(struct timer *t, uint64_t ms, uint64_t repeat_ms)
{
    if (t)
        uv_timer_start(&t->handle, timer_fire, ms, repeat_ms);
}

void timer_stop(struct timer *t)
{
    if (t)
        uv_timer_stop(&t->handle);
}

static void timer_closed(uv_handle_t *h)
{
    struct timer *t = h->data;
    if (t->closed)
        t->closed(t->ctx);
    free(t);
}

void timer_close_then(struct timer *t, timer_fn closed)
{
    if (!t)
        return;
    t->closed = closed;
    uv_close((uv_handle_t *)&t->handle, timer_closed); /* also stops it */
}

void timer_close(struct timer *t)
{
    timer_close_then(t, NULL);
}
