/*
 * Unit tests for lifecycle: which state an environment is in, from what it
 * does and was asked to do, and which changes of state may happen.
 */
#include "lifecycle.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void test_a_new_env_is_scanning(void **state)
{
    (void)state;
    struct lifecycle_facts f = {0};
    assert_int_equal(lifecycle_state(&f), ENV_SCANNING);
    f.probing = 1;
    assert_int_equal(lifecycle_state(&f), ENV_PROBING);
}

static void test_indexed_and_idle_is_settled(void **state)
{
    (void)state;
    struct lifecycle_facts f = {.indexed = 1};
    assert_int_equal(lifecycle_state(&f), ENV_SETTLED);
    f.scan_wanted = 1;
    assert_int_equal(lifecycle_state(&f), ENV_SCANNING);
}

/* `library` reports "building" while a scan runs under a build that is due:
 * the build is what a waiting client gets next. */
static void test_a_build_wins_over_a_scan(void **state)
{
    (void)state;
    struct lifecycle_facts f = {.indexed = 1, .scanning = 1, .build_wanted = 1};
    assert_int_equal(lifecycle_state(&f), ENV_BUILDING);
    f.build_wanted = 0;
    f.building = 1;
    f.publishing = 1;
    assert_int_equal(lifecycle_state(&f), ENV_PUBLISHING);
    f.probing = 1;
    assert_int_equal(lifecycle_state(&f), ENV_PUBLISHING);
}

static void test_the_end_wins_over_all(void **state)
{
    (void)state;
    struct lifecycle_facts f = {
        .building = 1, .publishing = 1, .scanning = 1, .probing = 1, .stopping = 1};
    assert_int_equal(lifecycle_state(&f), ENV_STOPPING);
    f.released = 1;
    assert_int_equal(lifecycle_state(&f), ENV_RELEASED);
}

static void test_only_a_build_publishes(void **state)
{
    (void)state;
    assert_true(lifecycle_legal(ENV_BUILDING, ENV_PUBLISHING));
    assert_false(lifecycle_legal(ENV_SETTLED, ENV_PUBLISHING));
    assert_false(lifecycle_legal(ENV_SCANNING, ENV_PUBLISHING));
    assert_false(lifecycle_legal(ENV_PROBING, ENV_PUBLISHING));
    assert_true(lifecycle_legal(ENV_PUBLISHING, ENV_BUILDING)); /* the next one */
}

static void test_stopping_leads_only_to_released(void **state)
{
    (void)state;
    for (int s = ENV_PROBING; s <= ENV_RELEASED; s++) {
        assert_true(lifecycle_legal((enum env_state)s, ENV_RELEASED));
        assert_int_equal(lifecycle_legal(ENV_STOPPING, (enum env_state)s),
                         s == ENV_STOPPING || s == ENV_RELEASED);
        assert_int_equal(lifecycle_legal(ENV_RELEASED, (enum env_state)s), s == ENV_RELEASED);
    }
    assert_true(lifecycle_legal(ENV_SETTLED, ENV_STOPPING));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(lifecycle_name(ENV_SETTLED), "settled");
    assert_string_equal(lifecycle_name(ENV_PUBLISHING), "publishing");
    assert_string_equal(lifecycle_name((enum env_state)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_env_is_scanning),
        cmocka_unit_test(test_indexed_and_idle_is_settled),
        cmocka_unit_test(test_a_build_wins_over_a_scan),
        cmocka_unit_test(test_the_end_wins_over_all),
        cmocka_unit_test(test_only_a_build_publishes),
        cmocka_unit_test(test_stopping_leads_only_to_released),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
