/*
 * store_writer: the loop's writes to the store, done by one thread of
 * their own, in the order they were submitted.
 *
 * A write waits for SQLite's lock (up to the busy timeout while a scan or
 * a publication commits) and for the disk (an fsync per transaction on a
 * network filesystem): never on the loop thread, which answers every
 * client. One thread, one connection, one FIFO: two writes never race each
 * other, and a write's completion runs on the loop only after the write is
 * durable, so a reply sent from it promises what the database holds.
 *
 * While writes are pending the writer keeps the loop alive: a gliad that
 * stops completes every write it accepted before the loop runs dry.
 */
#ifndef GLIA_STORE_WRITER_H
#define GLIA_STORE_WRITER_H

#include <stddef.h>
#include <uv.h>

struct store;
struct store_writer;

/* Writer thread: the write, on the writer's own connection. 0, or -1 with
 * store_error(s) saying why. Must touch nothing the loop owns. */
typedef int (*store_write_fn)(struct store *s, void *ctx);
/* Loop thread, once the write is done: rc is the write's, err (when rc is
 * -1) store_error's words, valid during the call. Frees ctx if it must. */
typedef void (*store_written_fn)(void *ctx, int rc, const char *err);

/* Opens the writer's connection to state_dir's database (store_open made
 * it) and starts its thread. NULL with err. */
struct store_writer *store_writer_start(uv_loop_t *loop, const char *state_dir, char *err,
                                        size_t errlen);
/* Queues write(ctx) behind every write submitted before; done follows on
 * the loop (done may be NULL: ctx is then the write's to free). */
void store_writer_submit(struct store_writer *w, store_write_fn write, store_written_fn done,
                         void *ctx);
/* How many writes were submitted and have not completed yet. */
size_t store_writer_pending(const struct store_writer *w);
/* Once the loop ran dry (no write pending): ends the thread and closes the
 * connection; the writer is freed by the loop's next run. NULL is ignored. */
void store_writer_stop(struct store_writer *w);

#endif
