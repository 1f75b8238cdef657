/*
 * work: a function run on one of libuv's worker threads, then a
 * completion on the loop thread, for work that would stall every client if
 * the loop did it (file trees, fsync, reads of large files, SQLite).
 *
 * The job is this module's: it is allocated by work_submit and freed after
 * the completion has run, so a caller keeps no uv_work_t and no job struct
 * of its own. The context is the caller's: run may use it freely (the loop
 * must not touch what run writes until done is called), and done is the
 * place to free it. done is always called, exactly once, after run; while
 * gliad shuts down, the loop keeps running until every job submitted has
 * completed.
 */
#ifndef GLIA_WORK_H
#define GLIA_WORK_H

#include <uv.h>

/* Worker thread: must not touch the loop or anything the loop owns. */
typedef void (*work_fn)(void *ctx);
/* Loop thread, after work_fn returned. */
typedef void (*work_done_fn)(void *ctx);

/* Queues run(ctx) on a worker; done(ctx) follows on the loop (done may be
 * NULL when there is nothing to do afterwards, ctx then being run's). */
void work_submit(uv_loop_t *loop, work_fn run, work_done_fn done, void *ctx);

#endif
