/*
 * work: see work.h.
 */
#include "work.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>

struct work {
    uv_work_t req;
    work_fn run;
    work_done_fn done;
    void *ctx;
};

static void work_run(uv_work_t *req)
{
    struct work *w = req->data;
    w->run(w->ctx);
}

/* status is 0: no job is ever cancelled (uv_cancel is not offered), so run
 * has always been called. */
static void work_after(uv_work_t *req, int status)
{
    struct work *w = req->data;
    (void)status;
    if (w->done)
        w->done(w->ctx);
    free(w);
}

void work_submit(uv_loop_t *loop, work_fn run, work_done_fn done, void *ctx)
{
    struct work *w = xcalloc(1, sizeof(*w));
    w->req.data = w;
    w->run = run;
    w->done = done;
    w->ctx = ctx;
    /* Fails only for a NULL callback, a programming error. */
    int rc = uv_queue_work(loop, &w->req, work_run, work_after);
    assert(rc == 0);
    (void)rc;
}
