/*
 * Diagnostics mapped to the user's own file: real nocmodl and cc output
 * (captured from Debian's NEURON 8.2 and gcc 12) as plain data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
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

/* nocmodl 8.2 names the line before the one holding a non-ASCII byte
 * (line 0 for the first): the user is shown the line itself. */
static void nocmodl_non_ascii_line(void **state)
{
    (void)state;
    struct diag d;
    diag_nocmodl(&d,
                 "Translating " COPY " into /w/x.c\n"
                 "Non-Ascii character in file:TITLE \n"
                 " at line 0 in file " COPY "\n"
                 "TITLE \n",
                 COPY, ORIG);
    assert_int_equal(d.line, 1);
    diag_free(&d);
    diag_nocmodl(&d, "Non-Ascii character in file:: \n at line 3 in file " COPY "\n", COPY, ORIG);
    assert_int_equal(d.line, 4);
    assert_string_equal(d.summary, ORIG ":4: nocmodl: Non-Ascii character in file::");
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

/* "at line" counts only in the line that says it, and only as a line
 * number a file can have. */
static void nocmodl_line_numbers_taken_with_care(void **state)
{
    (void)state;
    struct diag d;
    diag_nocmodl(&d, "first complaint\nsecond at line -3 in file x\n", COPY, ORIG);
    assert_int_equal(d.line, 0);
    assert_string_equal(d.summary, ORIG ": nocmodl: first complaint second");
    diag_free(&d);
    diag_nocmodl(&d, "huge at line 99999999999999999999\n", COPY, ORIG);
    assert_int_equal(d.line, 0);
    diag_free(&d);
    diag_nocmodl(&d, "no line here\nlater at line 12 in file x\n", COPY, ORIG);
    assert_int_equal(d.line, 12);
    assert_string_equal(d.summary, ORIG ":12: nocmodl: no line here later");
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
    const char *out =
        CPATH ": In function 'f':\n" CPATH
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

/* Is s valid UTF-8? (Python's msgpack refuses a str that is not.) */
static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xe0) == 0xc0 ? 1
                : (*s & 0xf0) == 0xe0 ? 2
                : (*s & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0)
            return 0;
        s++;
        for (int i = 0; i < n; i++, s++)
            if ((*s & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static void clip_keeps_short_text(void **state)
{
    (void)state;
    char *s = strdup("short\n");
    assert_ptr_equal(diag_clip(s, 100), s);
    assert_null(diag_clip(NULL, 100));
    free(s);
}

static void clip_cuts_at_lines(void **state)
{
    (void)state;
    char *s = malloc(100 * 32), *p = s;
    for (int i = 0; i < 100; i++)
        p += sprintf(p, "line %3d: error ‘x’\n", i); /* 24 bytes: the quotes take 3 each */
    size_t len = strlen(s);
    char *c = diag_clip(s, 400);
    assert_true(strlen(c) < 400 + 40);
    /* Whole lines: the head ends and the tail starts at a line. */
    assert_memory_equal(c, "line   0: error", 15);
    char *note = strstr(c, "[... ");
    assert_non_null(note);
    assert_true(note == c || note[-1] == '\n');
    assert_non_null(strstr(c, "line  99: error ‘x’\n"));
    size_t left = strtoul(note + 5, NULL, 10);
    assert_int_equal(strlen(c) - (strchr(note, '\n') + 1 - note), len - left);
    assert_true(utf8_ok((unsigned char *)c));
    free(c);
}

static void clip_without_newlines_keeps_characters_whole(void **state)
{
    (void)state;
    /* One long line of 3-byte characters: any cut point may fall inside one. */
    for (size_t max = 10; max < 40; max++) {
        char *s = malloc(3 * 300 + 1);
        for (int i = 0; i < 300; i++)
            memcpy(s + 3 * i, "‘", 3);
        s[900] = '\0';
        char *c = diag_clip(s, max);
        assert_true(utf8_ok((unsigned char *)c));
        assert_non_null(strstr(c, "bytes left out"));
        free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nocmodl_syntax_error),
        cmocka_unit_test(nocmodl_inside_nrnivmodl),
        cmocka_unit_test(nocmodl_non_ascii_line),
        cmocka_unit_test(nocmodl_without_a_line),
        cmocka_unit_test(nocmodl_line_numbers_taken_with_care),
        cmocka_unit_test(cc_error_mapped_to_the_mod_line),
        cmocka_unit_test(cc_error_not_mapped_when_ambiguous),
        cmocka_unit_test(cc_without_an_error_line),
        cmocka_unit_test(replace_every_occurrence),
        cmocka_unit_test(clip_keeps_short_text),
        cmocka_unit_test(clip_cuts_at_lines),
        cmocka_unit_test(clip_without_newlines_keeps_characters_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
