/*
 * Unit tests for timer and defer, on a real loop: a timer fires when due
 * and repeats until stopped or closed, a closed one never calls back, and
 * both free themselves once libuv is done with them (ASan's leak check
 * sees that; the loop closing cleanly shows no handle was left open).
 */
#include "defer.h"
#include "timer.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <uv.h>

struct count {
    struct timer *t;
    int fired, stop_after;
};

static void on_fire(void *ctx)
{
    struct count *c = ctx;
    if (++c->fired == c->stop_after)
        timer_close(c->t); /* closing from its own callback is allowed */
}

static void finish(uv_loop_t *loop)
{
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(loop), 0); /* every handle closed */
}

static void fires_once_when_due(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct count c = {.stop_after = 0};
    c.t = timer_new(&loop, on_fire, &c);
    uint64_t before = uv_now(&loop);
    timer_start(c.t, 20, 0);
    assert_int_equal(c.fired, 0); /* never inside timer_start */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.fired, 1);
    assert_true(uv_now(&loop) - before >= 20);
    timer_close(c.t);
    finish(&loop);
    assert_int_equal(c.fired, 1);
}

static void repeats_until_closed(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct count c = {.stop_after = 3};
    c.t = timer_new(&loop, on_fire, &c);
    timer_start(c.t, 1, 1);
    finish(&loop);
    assert_int_equal(c.fired, 3);
}

static void stopped_or_closed_never_fires(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct count a = {0}, b = {0};
    a.t = timer_new(&loop, on_fire, &a);
    b.t = timer_new(&loop, on_fire, &b);
    timer_start(a.t, 0, 0);
    timer_start(b.t, 0, 0);
    timer_stop(a.t);
    timer_close(b.t);
    uv_run(&loop, UV_RUN_DEFAULT); /* a stopped timer keeps no loop alive */
    assert_int_equal(a.fired, 0);
    assert_int_equal(b.fired, 0);
    timer_close(a.t);
    /* What an owner that cleared its pointer on close may still call. */
    timer_start(NULL, 0, 0);
    timer_stop(NULL);
    timer_close(NULL);
    defer_arm(NULL);
    defer_close(NULL);
    finish(&loop);
}

struct order {
    int deferred, timed;
    struct defer *d;
    struct timer *later;
};

static void on_defer(void *ctx)
{
    struct order *o = ctx;
    o->deferred++;
    defer_close(o->d);
    timer_close(o->later);
}

static void on_timed(void *ctx)
{
    ((struct order *)ctx)->timed++;
}

/* Armed twice, it calls once, and without waiting for the loop's next
 * timer: the loop does not block for I/O while a call is deferred (the
 * compiler relies on queued work starting at once). */
static void defer_calls_once_without_waiting(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct order o = {0};
    o.d = defer_new(&loop, on_defer, &o);
    o.later = timer_new(&loop, on_timed, &o);
    timer_start(o.later, 60 * 1000, 0);
    defer_arm(o.d);
    defer_arm(o.d);
    assert_int_equal(o.deferred, 0); /* never inside defer_arm */
    uint64_t before = uv_now(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(uv_now(&loop) - before < 30 * 1000);
    finish(&loop);
    assert_int_equal(o.deferred, 1);
    assert_int_equal(o.timed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fires_once_when_due),
        cmocka_unit_test(repeats_until_closed),
        cmocka_unit_test(stopped_or_closed_never_fires),
        cmocka_unit_test(defer_calls_once_without_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
