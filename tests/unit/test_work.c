/*
 * Unit tests for work: a function runs on a worker thread with its
 * context, its completion on the loop thread after it, once, and the job
 * needs no owner (ASan's leak check sees the job freed).
 */
#include "work.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <uv.h>

#define NJOBS 32

struct job {
    uv_thread_t loop_thread, ran_on;
    int ran, done, done_on_loop, ran_before_done;
};

static void run(void *ctx)
{
    struct job *j = ctx;
    j->ran_on = uv_thread_self();
    j->ran++;
}

static void done(void *ctx)
{
    struct job *j = ctx;
    uv_thread_t self = uv_thread_self();
    j->done++;
    j->done_on_loop = uv_thread_equal(&self, &j->loop_thread);
    j->ran_before_done = j->ran == 1;
}

static void runs_on_a_worker_then_completes_on_the_loop(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct job jobs[NJOBS] = {0};
    for (int i = 0; i < NJOBS; i++) {
        jobs[i].loop_thread = uv_thread_self();
        work_submit(&loop, run, done, &jobs[i]);
    }
    /* Nothing has completed before the loop runs: callers never see done
     * inside submit. */
    for (int i = 0; i < NJOBS; i++)
        assert_int_equal(jobs[i].done, 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the jobs kept it alive */
    for (int i = 0; i < NJOBS; i++) {
        assert_int_equal(jobs[i].ran, 1);
        assert_int_equal(jobs[i].done, 1);
        assert_true(jobs[i].done_on_loop);
        assert_true(jobs[i].ran_before_done);
        assert_false(uv_thread_equal(&jobs[i].ran_on, &jobs[i].loop_thread));
    }
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void free_ctx_in_run(void *ctx)
{
    free(ctx);
}

static void nothing(void *ctx)
{
    (void)ctx;
}

static void a_job_without_completion_owns_nothing_after_it(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* The context is run's to free; the job itself is work's. */
    work_submit(&loop, free_ctx_in_run, NULL, malloc(64));
    /* free as the completion: the common "a copy for the worker" case. */
    work_submit(&loop, nothing, free, malloc(64));
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_on_a_worker_then_completes_on_the_loop),
        cmocka_unit_test(a_job_without_completion_owns_nothing_after_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
