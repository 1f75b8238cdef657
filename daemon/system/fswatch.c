/*
 * fswatch: see fswatch.h.
 */
#include "fswatch.h"
#include "util.h"

#include <stdlib.h>

struct fswatch {
    uv_fs_event_t handle;
    fswatch_fn cb;
    void *ctx;
};

static void fswatch_event(uv_fs_event_t *h, const char *name, int events, int status)
{
    struct fswatch *f = h->data;
    f->cb(f->ctx, name, events, status);
}

static void fswatch_closed(uv_handle_t *h)
{
    free(h->data);
}

int fswatch_new(struct fswatch **out, uv_loop_t *loop, const char *dir, fswatch_fn cb, void *ctx)
{
    struct fswatch *f = xcalloc(1, sizeof(*f));
    uv_fs_event_init(loop, &f->handle);
    f->handle.data = f;
    f->cb = cb;
    f->ctx = ctx;
    int rc = uv_fs_event_start(&f->handle, fswatch_event, dir, 0);
    if (rc < 0) {
        uv_close((uv_handle_t *)&f->handle, fswatch_closed);
        f = NULL;
    }
    *out = f;
    return rc;
}

void fswatch_close(struct fswatch *f)
{
    if (!f)
        return;
    uv_fs_event_stop(&f->handle);
    uv_close((uv_handle_t *)&f->handle, fswatch_closed);
}
