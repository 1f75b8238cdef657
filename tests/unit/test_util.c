/*
 * util: the small string and vector helpers every layer shares.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void expect_utf8(const char *in, size_t n, const char *want, size_t wantlen)
{
    size_t len;
    char *got = str_utf8(in, n, &len);
    assert_int_equal(len, wantlen);
    assert_memory_equal(got, want, wantlen);
    assert_int_equal(got[len], '\0');
    free(got);
}

#define UTF8(in, want) expect_utf8(in, sizeof(in) - 1, want, sizeof(want) - 1)
#define FFFD "\xef\xbf\xbd"

static void valid_utf8_is_kept_as_it_is(void **state)
{
    (void)state;
    UTF8("", "");
    UTF8("/site/glia_dbbs/mods/Kv1.mod", "/site/glia_dbbs/mods/Kv1.mod");
    UTF8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    UTF8("a\0b", "a\0b"); /* a NUL is a character like any */
    UTF8("\x7f\x01", "\x7f\x01");
}

/* One U+FFFD per maximal subpart, as Python's bytes.decode("utf-8",
 * "replace") gives: so a path reads the same in gliad's JSON and in Python. */
static void what_is_not_utf8_becomes_fffd_as_python_has_it(void **state)
{
    (void)state;
    UTF8("site-\xff", "site-" FFFD);
    UTF8("\xff\xfe", FFFD FFFD);
    UTF8("\x80x", FFFD "x");                       /* a stray continuation byte */
    UTF8("\xe2\x82", FFFD);                        /* a sequence cut at the end */
    UTF8("\xe2\x82x", FFFD "x");                   /* cut before another character */
    UTF8("\xc0\xaf", FFFD FFFD);                   /* overlong '/' */
    UTF8("\xe0\x80\xaf", FFFD FFFD FFFD);          /* overlong, 3 bytes */
    UTF8("\xed\xa0\x80", FFFD FFFD FFFD);          /* a surrogate */
    UTF8("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* past U+10FFFF */
    UTF8("\xf0\x9f\x98", FFFD);                    /* 3 of an emoji's 4 bytes */
}

static void str_has_suffix_compares_the_ends(void **state)
{
    (void)state;
    assert_true(str_has_suffix("Kv1.mod", ".mod"));
    assert_true(str_has_suffix(".mod", ".mod"));
    assert_true(str_has_suffix("x", ""));
    assert_false(str_has_suffix("mod", ".mod"));
    assert_false(str_has_suffix("Kv1.mod.orig", ".mod"));
}

static void xstrndup_stops_at_n_or_at_the_end(void **state)
{
    (void)state;
    char *s = xstrndup("glia__pkg", 4);
    assert_string_equal(s, "glia");
    free(s);
    s = xstrndup("ab", 400); /* no read past the NUL */
    assert_string_equal(s, "ab");
    free(s);
    assert_null(xstrdup(NULL));
}

static void vec_push_grows_and_keeps_order(void **state)
{
    (void)state;
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++)
        VEC_PUSH(v, n, cap, i * 3);
    assert_int_equal(n, 1000);
    assert_true(cap >= 1000 && cap < 2000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i * 3);
    free(v);
}

/* $GLIAD_REMOTE_FS: hex numbers apart by ':', ',' or spaces; a word that
 * is no number is reported with its text, and the list goes on. */
static void fs_type_next_reads_a_list_of_hex_numbers(void **state)
{
    (void)state;
    const char *p = " bd00bd0, 47504653::nfs:6969";
    unsigned long type;
    char tok[32];
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), 1);
    assert_int_equal(type, 0xbd00bd0);
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), 1);
    assert_int_equal(type, 0x47504653);
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), -1);
    assert_string_equal(tok, "nfs");
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), 1);
    assert_int_equal(type, 0x6969);
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), 0);

    p = "123456789abcdef0123"; /* longer than tok: refused, not cut */
    assert_int_equal(fs_type_next(&p, &type, tok, 8), -1);
    assert_int_equal(fs_type_next(&p, &type, tok, 8), 0);
    p = "-1";
    assert_int_equal(fs_type_next(&p, &type, tok, sizeof(tok)), -1);
}

static void xprintf_formats_whole(void **state)
{
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *s = xprintf("%s/%d", big, 7);
    assert_int_equal(strlen(s), sizeof(big) - 1 + 2);
    assert_string_equal(s + sizeof(big) - 1, "/7");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_utf8_is_kept_as_it_is),
        cmocka_unit_test(what_is_not_utf8_becomes_fffd_as_python_has_it),
        cmocka_unit_test(str_has_suffix_compares_the_ends),
        cmocka_unit_test(xstrndup_stops_at_n_or_at_the_end),
        cmocka_unit_test(vec_push_grows_and_keeps_order),
        cmocka_unit_test(fs_type_next_reads_a_list_of_hex_numbers),
        cmocka_unit_test(xprintf_formats_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
