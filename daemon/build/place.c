/*
 * place: see place.h.
 */
#include "place.h"
#include "os.h"
#include "util.h"
#include "work.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct placing {
    char *src, *dest;
    int err;
    place_done_fn done;
    void *ud;
};

static void place_work(void *ctx)
{
    struct placing *p = ctx;
    char *dir = xstrndup(p->dest, strrchr(p->dest, '/') - p->dest);
    int ok = fsync_path(p->src, 0) == 0 && mkdir_p(dir, 0755) == 0 &&
             rename(p->src, p->dest) == 0 && fsync_path(dir, 1) == 0;
    p->err = ok ? 0 : errno;
    free(dir);
}

static void place_after(void *ctx)
{
    struct placing *p = ctx;
    p->done(p->ud, p->err);
    free(p->src);
    free(p->dest);
    free(p);
}

void place_file(uv_loop_t *loop, const char *src, const char *dest, place_done_fn done, void *ud)
{
    struct placing *p = xcalloc(1, sizeof(*p));
    p->src = xstrdup(src);
    p->dest = xstrdup(dest);
    p->done = done;
    p->ud = ud;
    work_submit(loop, place_work, place_after, p);
}
