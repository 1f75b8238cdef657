/*
 * store_writer: see store_writer.h.
 *
 * The thread takes jobs from `todo` and puts them, written, on `done`;
 * the async handle wakes the loop, which runs the completions. Both lists
 * are guarded by `lock`; `pending` and the handle's reference are the
 * loop's alone.
 */
#include "store_writer.h"
#include "store.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>

struct job {
    struct job *next;
    store_write_fn write;
    store_written_fn done;
    void *ctx;
    int rc;
    char *err; /* malloc'd, when rc is -1 */
};

struct jobq {
    struct job *head, *tail;
};

struct store_writer {
    struct store *store; /* the thread's */
    uv_thread_t thread;
    uv_mutex_t lock;
    uv_cond_t wake;
    struct jobq todo, done; /* under lock */
    int quit;               /* under lock */
    uv_async_t async;
    size_t pending; /* loop thread: submitted, not yet completed */
};

static void jobq_push(struct jobq *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *jobq_take_all(struct jobq *q)
{
    struct job *j = q->head;
    q->head = q->tail = NULL;
    return j;
}

static void thread_main(void *arg)
{
    struct store_writer *w = arg;
    uv_mutex_lock(&w->lock);
    for (;;) {
        while (!w->todo.head && !w->quit)
            uv_cond_wait(&w->wake, &w->lock);
        if (!w->todo.head)
            break; /* quit, and nothing left */
        struct job *j = w->todo.head;
        w->todo.head = j->next;
        if (!w->todo.head)
            w->todo.tail = NULL;
        uv_mutex_unlock(&w->lock);
        j->rc = j->write(w->store, j->ctx);
        if (j->rc < 0)
            j->err = xstrdup(store_error(w->store));
        uv_mutex_lock(&w->lock);
        jobq_push(&w->done, j);
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->lock);
}

/* Loop: every write done so far, in order. */
static void on_done(uv_async_t *a)
{
    struct store_writer *w = a->data;
    uv_mutex_lock(&w->lock);
    struct job *j = jobq_take_all(&w->done);
    uv_mutex_unlock(&w->lock);
    while (j) {
        struct job *next = j->next;
        if (j->done)
            j->done(j->ctx, j->rc, j->err);
        free(j->err);
        free(j);
        assert(w->pending > 0);
        if (--w->pending == 0)
            uv_unref((uv_handle_t *)&w->async);
        j = next;
    }
}

struct store_writer *store_writer_start(uv_loop_t *loop, const char *state_dir, char *err,
                                        size_t errlen)
{
    struct store *s = store_open_worker(state_dir, err, errlen);
    if (!s)
        return NULL;
    struct store_writer *w = xcalloc(1, sizeof(*w));
    w->store = s;
    uv_mutex_init(&w->lock);
    uv_cond_init(&w->wake);
    uv_async_init(loop, &w->async, on_done);
    w->async.data = w;
    uv_unref((uv_handle_t *)&w->async); /* idle, it keeps nothing alive */
    int rc = uv_thread_create(&w->thread, thread_main, w);
    assert(rc == 0); /* only fails without memory or threads */
    (void)rc;
    return w;
}

void store_writer_submit(struct store_writer *w, store_write_fn write, store_written_fn done,
                         void *ctx)
{
    struct job *j = xcalloc(1, sizeof(*j));
    j->write = write;
    j->done = done;
    j->ctx = ctx;
    if (w->pending++ == 0)
        uv_ref((uv_handle_t *)&w->async);
    uv_mutex_lock(&w->lock);
    jobq_push(&w->todo, j);
    uv_cond_signal(&w->wake);
    uv_mutex_unlock(&w->lock);
}

size_t store_writer_pending(const struct store_writer *w)
{
    return w->pending;
}

static void free_writer(uv_handle_t *h)
{
    free(h->data);
}

void store_writer_stop(struct store_writer *w)
{
    if (!w)
        return;
    assert(w->pending == 0);
    uv_mutex_lock(&w->lock);
    w->quit = 1;
    uv_cond_signal(&w->wake);
    uv_mutex_unlock(&w->lock);
    uv_thread_join(&w->thread);
    store_close(w->store);
    uv_mutex_destroy(&w->lock);
    uv_cond_destroy(&w->wake);
    uv_close((uv_handle_t *)&w->async, free_writer);
}
