/*
 * Diagnostics mapped to the user's own file: real nocmodl and cc output
 * (captured from Debian's NEURON 8.2 and gcc 12) as plain data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"

#define COPY "/cache/tmp/c1-ab/glia__p__Bad__0.mod"
#define ORIG "/site/p/mods/Bad.mod"

static void nocmodl_syntax_error(void **state)
{
    (void)state;
    const char *out = "Translating " COPY " into /cache/tmp/c1-ab/glia__p__Bad__0.c\n"
                      "syntax error:\n"
                      " Illegal expression:\n"
                      " Illegal block at line 5 in file " COPY "\n"
                      "}\n"
                      "^\n";
    struct diag d;
    diag_nocmodl(&d, out, COPY, ORIG);
    assert_int_equal(d.line, 5);
    assert_string_equal(d.summary,
                        ORIG ":5: nocmodl: syntax error: Illegal expression: Illegal block");
    assert_null(strstr(d.detail, COPY)); /* the user never saw the copy's path */
    assert_non_null(strstr(d.detail, "line 5 in file " ORIG));
    diag_free(&d);
}

/* nrnivmodl's chatter around nocmodl's words is left out of the summary. */
static void nocmodl_inside_nrnivmodl(void **state)
{
    (void)state;
    const char *out = "/cache/tmp/nrnivmodl-2\n"
                      "Creating 'x86_64' directory for .o files.\n"
                      " -> \x1b[32mNMODL\x1b[0m " COPY "\n"
                      "syntax error:\n"
                      " Illegal block at line 9 in file " COPY "\n";
    struct diag d;
    diag_nocmodl(&d, out, COPY, ORIG);
    assert_int_equal(d.line, 9);
    assert_string_equal(d.summary, ORIG ":9: nocmodl: syntax error: Illegal block");
    diag_free(&d);
}

static void nocmodl_without_a_line(void **state)
{
    (void)state;
    const char *out = "Translating " COPY " into x.c\nCouldn't open: x.inc\n";
    struct diag d;
    diag_nocmodl(&d, out, COPY, ORIG);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.summary, ORIG ": nocmodl: Couldn't open: x.inc");
    diag_free(&d);
}

#define CPATH "/cache/tmp/c1-ab/glia__p__Verb__0.c"

/* An error in VERBATIM code: the C line's text is found once in the mod. */
static void cc_error_mapped_to_the_mod_line(void **state)
{
    (void)state;
    const char *c_text = "line1\nline2\n  int x = undefined_thing;\nline4\n";
    const char *mod = "NEURON { SUFFIX v }\nBREAKPOINT {\nVERBATIM\n"
                      "  int x = undefined_thing;\nENDVERBATIM\n}\n";
    const char *out = CPATH ": In function 'f':\n" CPATH
                      ":3:11: error: 'undefined_thing' undeclared (first use in this function)\n"
                      "    3 |   int x = undefined_thing;\n";
    struct diag d;
    diag_cc(&d, out, CPATH, c_text, mod, ORIG);
    assert_int_equal(d.line, 4);
    assert_string_equal(d.summary, ORIG ":4: cc: error: 'undefined_thing' undeclared (first use "
                                        "in this function)");
    diag_free(&d);
}

/* A line that stands twice in the mod cannot be mapped: the C line is given. */
static void cc_error_not_mapped_when_ambiguous(void **state)
{
    (void)state;
    const char *c_text = "x;\n";
    const char *mod = "x;\nx;\n";
    const char *out = CPATH ":1:1: error: oops\n";
    struct diag d;
    diag_cc(&d, out, CPATH, c_text, mod, ORIG);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.summary, ORIG ": cc: generated C line 1: error: oops");
    diag_free(&d);
}

static void cc_without_an_error_line(void **state)
{
    (void)state;
    struct diag d;
    diag_cc(&d, "cc: internal compiler error\nmore\n", CPATH, NULL, NULL, ORIG);
    assert_string_equal(d.summary, ORIG ": cc: cc: internal compiler error");
    diag_free(&d);
}

static void replace_every_occurrence(void **state)
{
    (void)state;
    char *s = diag_replace("a/x b/x a/x", "a/x", "/long/path");
    assert_string_equal(s, "/long/path b/x /long/path");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nocmodl_syntax_error),
        cmocka_unit_test(nocmodl_inside_nrnivmodl),
        cmocka_unit_test(nocmodl_without_a_line),
        cmocka_unit_test(cc_error_mapped_to_the_mod_line),
        cmocka_unit_test(cc_error_not_mapped_when_ambiguous),
        cmocka_unit_test(cc_without_an_error_line),
        cmocka_unit_test(replace_every_occurrence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
