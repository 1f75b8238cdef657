/*
 * defer: see defer.h. An idle handle, not a 0 ms timer: idle callbacks run
 * on the turn in progress, before the loop blocks for I/O, where a timer
 * would wait for the next turn's timer phase.
 */
#include "defer.h"
#include "util.h"

#include <stdlib.h>

struct defer {
    uv_idle_t handle;
    defer_fn cb;
    void *ctx;
};

static void defer_fire(uv_idle_t *h)
{
    struct defer *d = h->data;
    uv_idle_stop(h);
    d->cb(d->ctx);
}

struct defer *defer_new(uv_loop_t *loop, defer_fn cb, void *ctx)
{
    struct defer *d = xcalloc(1, sizeof(*d));
    uv_idle_init(loop, &d->handle);
    d->handle.data = d;
    d->cb = cb;
    d->ctx = ctx;
    return d;
}

void defer_arm(struct defer *d)
{
    if (d)
        uv_idle_start(&d->handle, defer_fire);
}

static void defer_closed(uv_handle_t *h)
{
    free(h->data);
}

void defer_close(struct defer *d)
{
    if (d)
        uv_close((uv_handle_t *)&d->handle, defer_closed);
}
