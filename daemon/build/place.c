/*
 * place: see place.h.
 */
#include "place.h"
#include "os.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct placing {
    uv_work_t req;
    char *src, *dest;
    int err;
    place_done_fn done;
    void *ud;
};

static void place_work(uv_work_t *req)
{
    struct placing *p = req->data;
    char *dir = xstrndup(p->dest, strrchr(p->dest, '/') - p->dest);
    int ok = fsync_path(p->src, 0) == 0 && mkdir_p(dir, 0755) == 0 &&
             rename(p->src, p->dest) == 0 && fsync_path(dir, 1) == 0;
    p->err = ok ? 0 : errno;
    free(dir);
}

static void place_after(uv_work_t *req, int status)
{
    struct placing *p = req->data;
    (void)status;
    p->done(p->ud, p->err);
    free(p->src);
    free(p->dest);
    free(p);
}

void place_file(uv_loop_t *loop, const char *src, const char *dest, place_done_fn done,
                void *ud)
{
    struct placing *p = xcalloc(1, sizeof(*p));
    p->src = xstrdup(src);
    p->dest = xstrdup(dest);
    p->done = done;
    p->ud = ud;
    p->req.data = p;
    uv_queue_work(loop, &p->req, place_work, place_after);
}
