/*
 * Unit tests for mechname: every way a name is accepted or turned down, with
 * the messages a packager will read.
 */
#include "mechname.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_zeroed(const struct mechname *m)
{
    assert_null(m->pkg);
    assert_null(m->asset);
    assert_null(m->variant);
}

/* Parses a name that must be rejected; returns the message in a static buffer. */
static const char *parse_invalid(const char *full)
{
    static char err[256];
    struct mechname m;

    err[0] = '\0';
    assert_int_equal(mechname_parse(full, &m, err, sizeof(err)), MECHNAME_INVALID);
    assert_zeroed(&m);
    assert_true(err[0] != '\0');
    return err;
}

static void parse_valid(void **state)
{
    struct mechname m;
    char err[128] = "";

    (void)state;
    assert_int_equal(mechname_parse("glia__dbbs__Kv1__0", &m, err, sizeof(err)), MECHNAME_OK);
    assert_string_equal(m.pkg, "dbbs");
    assert_string_equal(m.asset, "Kv1");
    assert_string_equal(m.variant, "0");
    assert_string_equal(err, "");
    mechname_free(&m);
    assert_zeroed(&m);
}

/* Real Glia 4 names: single underscores inside the package are fine. */
static void parse_glia4_name(void **state)
{
    struct mechname m;

    (void)state;
    assert_int_equal(mechname_parse("glia__glia_test_mods__Na__t", &m, NULL, 0), MECHNAME_OK);
    assert_string_equal(m.pkg, "glia_test_mods");
    assert_string_equal(m.asset, "Na");
    assert_string_equal(m.variant, "t");
    mechname_free(&m);

    assert_int_equal(mechname_parse("glia__dbbs_mod_collection__Kv1_1__0", &m, NULL, 0),
                     MECHNAME_OK);
    assert_string_equal(m.pkg, "dbbs_mod_collection");
    assert_string_equal(m.asset, "Kv1_1");
    mechname_free(&m);
}

static void parse_plain(void **state)
{
    static const char *plain[] = {
        "hh", "Kv1", "", "glia", "glia_", "glia_x__a__b__c", "Glia__a__b__c", "xglia__a__b__c"};
    struct mechname m;
    char err[64] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        assert_int_equal(mechname_parse(plain[i], &m, err, sizeof(err)), MECHNAME_PLAIN);
        assert_zeroed(&m);
    }
    assert_int_equal(mechname_parse(NULL, &m, err, sizeof(err)), MECHNAME_PLAIN);
    assert_string_equal(err, "");
}

static void parse_too_few_parts(void **state)
{
    const char *err;

    (void)state;
    err = parse_invalid("glia__a__b");
    assert_contains(err, "glia__a__b: expected glia__<package>__<asset>__<variant>");
    assert_contains(parse_invalid("glia__a"), "expected glia__<package>__<asset>__<variant>");
}

static void parse_too_many_parts(void **state)
{
    const char *err;

    (void)state;
    err = parse_invalid("glia__a__b__c__d");
    assert_contains(err, "glia__a__b__c__d: expected glia__<package>__<asset>__<variant>");
    assert_contains(err, "4 parts");
    /* A trailing separator is one part too many, not an empty variant. */
    assert_contains(parse_invalid("glia__a__b__c__"), "expected glia__");
}

static void parse_empty_parts(void **state)
{
    (void)state;
    assert_string_equal(parse_invalid("glia__p____0"), "empty asset in 'glia__p____0'");
    assert_string_equal(parse_invalid("glia____a__0"), "empty package in 'glia____a__0'");
    assert_string_equal(parse_invalid("glia__p__a__"), "empty variant in 'glia__p__a__'");
    assert_string_equal(parse_invalid("glia__"), "empty package in 'glia__'");
}

/* Runs of three underscores cannot be split back unambiguously. */
static void parse_triple_underscore(void **state)
{
    const char *err;

    (void)state;
    err = parse_invalid("glia__p___x__0");
    assert_contains(err, "glia__p___x__0");
    assert_contains(err, "asset '_x'");
    assert_contains(err, "ambiguous");
    assert_contains(parse_invalid("glia__p_x___0"), "asset '_0'");
    assert_contains(parse_invalid("glia___p__a__0"), "package '_p'");
    /* The last part may not end with '_' either, so format/parse round-trip. */
    assert_contains(parse_invalid("glia__p__a__0_"), "variant '0_'");
}

static void parse_bad_chars(void **state)
{
    (void)state;
    assert_contains(parse_invalid("glia__p__K-v__0"), "asset 'K-v' holds '-'");
    assert_contains(parse_invalid("glia__my.pkg__a__0"), "package 'my.pkg' holds '.'");
    assert_contains(parse_invalid("glia__p__a__0 "), "byte 0x20");
    assert_contains(parse_invalid("glia__p__a\t__0"), "byte 0x09");
}

/* err may be NULL or too small; nothing is written past errlen. */
static void parse_err_buffers(void **state)
{
    struct mechname m;
    char small[8];

    (void)state;
    assert_int_equal(mechname_parse("glia__a__b", &m, NULL, 0), MECHNAME_INVALID);
    memset(small, 'x', sizeof(small));
    assert_int_equal(mechname_parse("glia__a__b", &m, small, 5), MECHNAME_INVALID);
    assert_int_equal(strlen(small), 4);
    assert_int_equal(small[5], 'x');
    small[0] = 'x';
    assert_int_equal(mechname_parse("glia__a__b", &m, small, 0), MECHNAME_INVALID);
    assert_int_equal(small[0], 'x');
}

static void stem_with_variant(void **state)
{
    struct mechname m;

    (void)state;
    assert_int_equal(mechname_from_stem("Kv1__fast", &m, NULL, 0), 0);
    assert_null(m.pkg);
    assert_string_equal(m.asset, "Kv1");
    assert_string_equal(m.variant, "fast");
    mechname_free(&m);
}

static void stem_default_variant(void **state)
{
    struct mechname m;

    (void)state;
    assert_int_equal(mechname_from_stem("Kv1", &m, NULL, 0), 0);
    assert_null(m.pkg);
    assert_string_equal(m.asset, "Kv1");
    assert_string_equal(m.variant, MECHNAME_DEFAULT_VARIANT);
    mechname_free(&m);
}

static const char *stem_invalid(const char *stem)
{
    static char err[256];
    struct mechname m;

    err[0] = '\0';
    assert_int_equal(mechname_from_stem(stem, &m, err, sizeof(err)), -1);
    assert_zeroed(&m);
    assert_true(err[0] != '\0');
    return err;
}

static void stem_errors(void **state)
{
    (void)state;
    assert_contains(stem_invalid("a__b__c"), "a__b__c: expected <asset> or <asset>__<variant>");
    assert_string_equal(stem_invalid("__fast"), "empty asset in '__fast'");
    assert_string_equal(stem_invalid("Kv1__"), "empty variant in 'Kv1__'");
    assert_string_equal(stem_invalid(""), "empty asset in ''");
    assert_contains(stem_invalid("Kv1___fast"), "variant '_fast'");
    assert_contains(stem_invalid("Kv-1"), "asset 'Kv-1' holds '-'");
    assert_contains(stem_invalid(NULL), "no mod file stem");
}

static void check_part_accepts(void **state)
{
    static const char *good[] = {"0", "1", "Kv1", "Kv1_1", "glia_test_mods", "a", "a_b"};
    char err[128] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(mechname_check_part("asset", good[i], err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

static void check_part_rejects(void **state)
{
    char err[128];

    (void)state;
    assert_int_equal(mechname_check_part("package", "", err, sizeof(err)), -1);
    assert_string_equal(err, "empty package");
    assert_int_equal(mechname_check_part("asset", "a__b", err, sizeof(err)), -1);
    assert_contains(err, "asset 'a__b' holds '__'");
    assert_int_equal(mechname_check_part("variant", "_a", err, sizeof(err)), -1);
    assert_contains(err, "variant '_a' starts or ends with '_'");
    assert_int_equal(mechname_check_part("variant", "a_", err, sizeof(err)), -1);
    assert_contains(err, "variant 'a_'");
    assert_int_equal(mechname_check_part("asset", "Kv1.1", err, sizeof(err)), -1);
    assert_contains(err, "holds '.'");
    assert_int_equal(mechname_check_part("asset", "Kv\xc3\xa9", err, sizeof(err)), -1);
    assert_contains(err, "byte 0xc3");
    assert_int_equal(mechname_check_part("asset", NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "missing asset");
    assert_int_equal(mechname_check_part(NULL, "", NULL, 0), -1);
}

static void format_and_round_trip(void **state)
{
    char *full = mechname_format("glia_test_mods", "AMPA", "1");
    struct mechname m;

    (void)state;
    assert_non_null(full);
    assert_string_equal(full, "glia__glia_test_mods__AMPA__1");
    assert_int_equal(mechname_parse(full, &m, NULL, 0), MECHNAME_OK);
    assert_string_equal(m.pkg, "glia_test_mods");
    assert_string_equal(m.asset, "AMPA");
    assert_string_equal(m.variant, "1");
    mechname_free(&m);
    free(full);
    assert_null(mechname_format(NULL, "a", "0"));
    assert_null(mechname_format("p", NULL, "0"));
    assert_null(mechname_format("p", "a", NULL));
}

static void free_is_idempotent(void **state)
{
    struct mechname m = {0};

    (void)state;
    mechname_free(&m);
    mechname_free(&m);
    mechname_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_valid),
        cmocka_unit_test(parse_glia4_name),
        cmocka_unit_test(parse_plain),
        cmocka_unit_test(parse_too_few_parts),
        cmocka_unit_test(parse_too_many_parts),
        cmocka_unit_test(parse_empty_parts),
        cmocka_unit_test(parse_triple_underscore),
        cmocka_unit_test(parse_bad_chars),
        cmocka_unit_test(parse_err_buffers),
        cmocka_unit_test(stem_with_variant),
        cmocka_unit_test(stem_default_variant),
        cmocka_unit_test(stem_errors),
        cmocka_unit_test(check_part_accepts),
        cmocka_unit_test(check_part_rejects),
        cmocka_unit_test(format_and_round_trip),
        cmocka_unit_test(free_is_idempotent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
