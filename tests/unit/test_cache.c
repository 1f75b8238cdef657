/*
 * Cache keys and the build copy's renaming: pure functions, plain data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cache.h"

static const char MOD[] = "NEURON { SUFFIX Kv1 }\nPARAMETER { g = 1 }\n";

static void object_key(const char *tc, const char *stem, const char *text,
                       const struct cache_include *incs, size_t n, cache_key out)
{
    cache_object_key(tc, stem, text, strlen(text), incs, n, out);
}

static void key_is_hex_sha256(void **state)
{
    (void)state;
    cache_key k;
    object_key("tc", "glia__p__Kv1__0", MOD, NULL, 0, k);
    assert_int_equal(strlen(k), 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", k[i]));
}

static void key_is_stable(void **state)
{
    (void)state;
    cache_key a, b;
    object_key("tc", "s", MOD, NULL, 0, a);
    object_key("tc", "s", MOD, NULL, 0, b);
    assert_string_equal(a, b);
}

/* Each input the compiled object depends on changes the key. */
static void every_input_counts(void **state)
{
    (void)state;
    struct cache_include inc = {"x.inc", "g = 2", 5};
    struct cache_include inc2 = {"x.inc", "g = 3", 5};
    struct cache_include missing = {"x.inc", NULL, 0};
    struct cache_include empty = {"x.inc", "", 0};
    cache_key base, k;
    object_key("tc", "s", MOD, &inc, 1, base);
    object_key("tc2", "s", MOD, &inc, 1, k);
    assert_string_not_equal(base, k); /* another toolchain */
    object_key("tc", "s2", MOD, &inc, 1, k);
    assert_string_not_equal(base, k); /* another stem */
    object_key("tc", "s", "NEURON { SUFFIX Kv2 }\nPARAMETER { g = 1 }\n", &inc, 1, k);
    assert_string_not_equal(base, k); /* another text */
    object_key("tc", "s", MOD, &inc2, 1, k);
    assert_string_not_equal(base, k); /* an INCLUDE's text */
    object_key("tc", "s", MOD, NULL, 0, k);
    assert_string_not_equal(base, k); /* no INCLUDE */
    cache_key m, e;
    object_key("tc", "s", MOD, &missing, 1, m);
    object_key("tc", "s", MOD, &empty, 1, e);
    assert_string_not_equal(m, e); /* a missing file is not an empty one */
}

/* Fields are length-prefixed: moving bytes from one to the next is another key. */
static void fields_do_not_run_together(void **state)
{
    (void)state;
    cache_key a, b;
    object_key("tc", "ab", "c", NULL, 0, a);
    object_key("tc", "a", "bc", NULL, 0, b);
    assert_string_not_equal(a, b);
    object_key("tca", "b", "c", NULL, 0, b);
    assert_string_not_equal(a, b);
}

static void library_key_depends_on_the_set(void **state)
{
    (void)state;
    char *ab[] = {"a", "b"}, *abc[] = {"a", "b", "c"}, *a_b[] = {"a", "b"};
    cache_key k1, k2, k3, k4;
    cache_library_key("tc", "direct", ab, 2, k1);
    cache_library_key("tc", "direct", a_b, 2, k2);
    cache_library_key("tc", "direct", abc, 3, k3);
    cache_library_key("tc", "nrnivmodl", ab, 2, k4);
    assert_string_equal(k1, k2);
    assert_string_not_equal(k1, k3);
    assert_string_not_equal(k1, k4);
    /* An object key and a library key of the same strings differ (domains). */
    cache_key o;
    object_key("tc", "direct", "ab", NULL, 0, o);
    assert_string_not_equal(o, k1);
}

static void paths(void **state)
{
    (void)state;
    char *p = cache_object_path("/c", "abcdef");
    assert_string_equal(p, "/c/objects/ab/abcdef.o");
    free(p);
    p = cache_library_path("/c", "0123");
    assert_string_equal(p, "/c/libs/0123/libglia.so");
    free(p);
}

static void rename_replaces_exactly_the_name(void **state)
{
    (void)state;
    size_t off = strstr(MOD, "Kv1") - MOD, len;
    char *out = cache_rename(MOD, strlen(MOD), off, 3, "glia__p__Kv1__0", &len);
    assert_string_equal(out, "NEURON { SUFFIX glia__p__Kv1__0 }\nPARAMETER { g = 1 }\n");
    assert_int_equal(len, strlen(out));
    free(out);
    /* Offsets out of range leave the text as it is rather than overrun. */
    out = cache_rename(MOD, strlen(MOD), strlen(MOD) - 1, 10, "x", &len);
    assert_string_equal(out, MOD);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_is_hex_sha256),
        cmocka_unit_test(key_is_stable),
        cmocka_unit_test(every_input_counts),
        cmocka_unit_test(fields_do_not_run_together),
        cmocka_unit_test(library_key_depends_on_the_set),
        cmocka_unit_test(paths),
        cmocka_unit_test(rename_replaces_exactly_the_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
