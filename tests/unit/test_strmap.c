/*
 * strmap: a string-keyed table that keeps every key findable through
 * growth, deletions and reinsertions, and iterates each live entry once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strmap.h"
#include "util.h"

static void an_empty_map_finds_nothing(void **state)
{
    (void)state;
    struct strmap m;
    strmap_init(&m);
    assert_null(strmap_get(&m, "Kv1"));
    assert_null(strmap_del(&m, "Kv1"));
    size_t i = 0;
    const char *k;
    void *v;
    assert_int_equal(strmap_next(&m, &i, &k, &v), 0);
    strmap_free(&m);
}

static void put_returns_the_value_it_replaces(void **state)
{
    (void)state;
    struct strmap m;
    strmap_init(&m);
    int a, b;
    assert_null(strmap_put(&m, "hh", &a));
    assert_ptr_equal(strmap_put(&m, "hh", &b), &a);
    assert_ptr_equal(strmap_get(&m, "hh"), &b);
    assert_int_equal(m.len, 1);
    strmap_free(&m);
}

/* Keys are compared by content, not by pointer: a request's asset name is
 * never the index's own copy. */
static void keys_match_by_content(void **state)
{
    (void)state;
    struct strmap m;
    strmap_init(&m);
    int a;
    strmap_put(&m, "ExpSyn", &a);
    char asked[] = "ExpSyn";
    assert_ptr_equal(strmap_get(&m, asked), &a);
    assert_null(strmap_get(&m, "ExpSy"));
    assert_null(strmap_get(&m, "ExpSyn2"));
    assert_null(strmap_get(&m, ""));
    strmap_free(&m);
}

#define MANY 5000

static char **many_keys(void)
{
    char **keys = xcalloc(MANY, sizeof(*keys));
    for (size_t i = 0; i < MANY; i++)
        keys[i] = xprintf("glia__pkg__asset%zu__0", i);
    return keys;
}

static void every_key_survives_growth(void **state)
{
    (void)state;
    char **keys = many_keys();
    struct strmap m;
    strmap_init(&m);
    for (size_t i = 0; i < MANY; i++)
        assert_null(strmap_put(&m, keys[i], keys[i]));
    assert_int_equal(m.len, MANY);
    assert_true(m.len * 4 < m.cap * 3); /* a probe always ends at an empty slot */
    for (size_t i = 0; i < MANY; i++)
        assert_ptr_equal(strmap_get(&m, keys[i]), keys[i]);
    strmap_free(&m);
    assert_int_equal(m.cap, 0);
    assert_null(m.slots);
    strv_free(keys, MANY);
}

/* A deleted slot must not end the probe of a key stored past it, and
 * reinserting reuses the slot without counting the key twice. */
static void deletions_keep_the_others_findable(void **state)
{
    (void)state;
    char **keys = many_keys();
    struct strmap m;
    strmap_init(&m);
    for (size_t i = 0; i < MANY; i++)
        strmap_put(&m, keys[i], keys[i]);
    for (size_t i = 0; i < MANY; i += 2)
        assert_ptr_equal(strmap_del(&m, keys[i]), keys[i]);
    assert_int_equal(m.len, MANY / 2);
    for (size_t i = 0; i < MANY; i++)
        assert_ptr_equal(strmap_get(&m, keys[i]), i % 2 ? keys[i] : NULL);
    assert_null(strmap_del(&m, keys[0])); /* twice: nothing left to remove */
    for (size_t i = 0; i < MANY; i += 2)
        assert_null(strmap_put(&m, keys[i], keys[i]));
    assert_int_equal(m.len, MANY);
    for (size_t i = 0; i < MANY; i++)
        assert_ptr_equal(strmap_get(&m, keys[i]), keys[i]);
    strmap_free(&m);
    strv_free(keys, MANY);
}

/* A map that churns (a preference set and cleared over and over) stays
 * small: deleted slots are reclaimed, not only ever added. */
static void churn_does_not_grow_the_table(void **state)
{
    (void)state;
    struct strmap m;
    strmap_init(&m);
    int v;
    strmap_put(&m, "kept", &v);
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        strmap_put(&m, key, &v);
        assert_ptr_equal(strmap_del(&m, key), &v);
    }
    assert_int_equal(m.len, 1);
    assert_true(m.cap <= 16);
    assert_ptr_equal(strmap_get(&m, "kept"), &v);
    strmap_free(&m);
}

static void iteration_visits_each_live_entry_once(void **state)
{
    (void)state;
    char **keys = many_keys();
    struct strmap m;
    strmap_init(&m);
    for (size_t i = 0; i < 100; i++)
        strmap_put(&m, keys[i], (void *)(i + 1));
    for (size_t i = 0; i < 100; i += 3)
        strmap_del(&m, keys[i]);
    unsigned char seen[100] = {0};
    size_t count = 0;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&m, &i, &k, &v);) {
        size_t idx = (size_t)v - 1;
        assert_true(idx < 100);
        assert_ptr_equal(k, keys[idx]); /* the caller's key, not a copy */
        assert_int_not_equal(idx % 3, 0);
        assert_int_equal(seen[idx]++, 0);
        count++;
    }
    assert_int_equal(count, m.len);
    assert_int_equal(count, 66);
    strmap_free(&m);
    strv_free(keys, MANY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_empty_map_finds_nothing),
        cmocka_unit_test(put_returns_the_value_it_replaces),
        cmocka_unit_test(keys_match_by_content),
        cmocka_unit_test(every_key_survives_growth),
        cmocka_unit_test(deletions_keep_the_others_findable),
        cmocka_unit_test(churn_does_not_grow_the_table),
        cmocka_unit_test(iteration_visits_each_live_entry_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
