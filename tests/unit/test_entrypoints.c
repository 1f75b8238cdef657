/*
 * Unit tests for entrypoints: the entry_points.txt files real tools write
 * (flit for Glia 4, setuptools for Glia 0.x) and the ways they go wrong.
 */
#include "entrypoints.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_entry(const struct entrypoint *e, const char *name, const char *module,
                         const char *attr)
{
    assert_string_equal(e->name, name);
    assert_string_equal(e->module, module);
    if (attr == NULL)
        assert_null(e->attr);
    else
        assert_string_equal(e->attr, attr);
}

/* Parses text holding exactly one glia.package entry and checks it. */
static void assert_single(const char *text, const char *name, const char *module, const char *attr)
{
    struct entrypoints eps;
    char err[256] = "";

    assert_int_equal(entrypoints_parse(text, &eps, err, sizeof(err)), 1);
    assert_string_equal(err, "");
    assert_int_equal(eps.n, 1);
    assert_entry(&eps.v[0], name, module, attr);
    entrypoints_free(&eps);
}

/* Parses text that must be rejected; returns the message in a static buffer. */
static const char *parse_invalid(const char *text)
{
    static char err[512];
    struct entrypoints eps;

    err[0] = '\0';
    assert_int_equal(entrypoints_parse(text, &eps, err, sizeof(err)), 0);
    assert_int_equal(eps.n, 0);
    assert_true(err[0] != '\0');
    entrypoints_free(&eps);
    return err;
}

static void assert_none(const char *text)
{
    struct entrypoints eps;
    char err[256] = "";

    assert_int_equal(entrypoints_parse(text, &eps, err, sizeof(err)), 0);
    assert_int_equal(eps.n, 0);
    assert_string_equal(err, "");
    entrypoints_free(&eps);
}

/* Byte for byte what flit_core writes when building tests/data's glia_test_mods. */
static void glia4_flit(void **state)
{
    (void)state;
    assert_single("[glia.package]\nglia_test_mods=glia_test_mods:package\n\n", "glia_test_mods",
                  "glia_test_mods", "package");
}

/* Keeps the fixture above honest: the package declares that very entry point. */
static void glia4_fixture_declares_it(void **state)
{
    char path[1024], buf[4096];
    FILE *f;
    size_t len;

    (void)state;
    snprintf(path, sizeof(path), "%s/glia_test_mods/pyproject.toml", TEST_DATA_DIR);
    f = fopen(path, "r");
    assert_non_null(f);
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    assert_contains(buf, "[project.entry-points.\"glia.package\"]\n"
                         "\"glia_test_mods\" = \"glia_test_mods:package\"");
}

/* Glia 0.x packages, written by setuptools: module only, spaces around '='. */
static void glia0_setuptools(void **state)
{
    (void)state;
    assert_single("[glia.package]\ndbbs_mod_collection = dbbs_mod_collection\n\n",
                  "dbbs_mod_collection", "dbbs_mod_collection", NULL);
}

static void crlf(void **state)
{
    (void)state;
    assert_single("[console_scripts]\r\nx = x.cli:main\r\n\r\n[glia.package]\r\n"
                  "glia_test_mods=glia_test_mods:package\r\n\r\n",
                  "glia_test_mods", "glia_test_mods", "package");
    assert_single("[glia.package]\r\ndbbs = dbbs\r\n", "dbbs", "dbbs", NULL);
}

static void several_groups(void **state)
{
    static const char text[] = "[console_scripts]\n"
                               "glia = glia._cli:glia\n"
                               "gliactl = glia.ctl:main [cli]\n"
                               "\n"
                               "[glia.package]\n"
                               "first = first_mods:package\n"
                               "second = second.mods\n"
                               "\n"
                               "[pytest11]\n"
                               "glia = glia.pytest_plugin\n";
    struct entrypoints eps;

    (void)state;
    assert_int_equal(entrypoints_parse(text, &eps, NULL, 0), 2);
    assert_entry(&eps.v[0], "first", "first_mods", "package");
    assert_entry(&eps.v[1], "second", "second.mods", NULL);
    entrypoints_free(&eps);
}

/* The group may be split in two; both halves count, in file order. */
static void group_repeated(void **state)
{
    struct entrypoints eps;

    (void)state;
    assert_int_equal(entrypoints_parse("[glia.package]\na = a\n[x]\ny = z\n[glia.package]\nb = b\n",
                                       &eps, NULL, 0),
                     2);
    assert_entry(&eps.v[0], "a", "a", NULL);
    assert_entry(&eps.v[1], "b", "b", NULL);
    entrypoints_free(&eps);
}

static void group_empty_or_absent(void **state)
{
    (void)state;
    assert_none("[glia.package]\n\n[console_scripts]\nx = x:main\n");
    assert_none("[glia.package]\n");
    assert_none("[console_scripts]\nx = x:main\n");
    assert_none("");
    /* Entries outside any group and look-alike group names do not count. */
    assert_none("a = a\n[Glia.Package]\nb = b\n[glia.package.x]\nc = c\n[ glia.package ]\nd = d\n");
}

static void spaces_around_colon(void **state)
{
    (void)state;
    assert_single("[glia.package]\nx = mod : attr\n", "x", "mod", "attr");
    assert_single("[glia.package]\nx=mod:  attr\n", "x", "mod", "attr");
    assert_single("[glia.package]\nx = mod\t:attr\n", "x", "mod", "attr");
}

static void extras_dropped(void **state)
{
    (void)state;
    assert_single("[glia.package]\nx = mod:attr [extra1]\n", "x", "mod", "attr");
    assert_single("[glia.package]\nx = mod:attr[extra1,extra2]\n", "x", "mod", "attr");
    assert_single("[glia.package]\nx = mod [extra1]\n", "x", "mod", NULL);
    assert_single("[glia.package]\nx = mod : attr  [ a , b ]\n", "x", "mod", "attr");
}

static void dotted_paths(void **state)
{
    (void)state;
    assert_single("[glia.package]\nx = pkg.sub_2.mods:obj.package\n", "x", "pkg.sub_2.mods",
                  "obj.package");
    assert_single("[glia.package]\nx = _private\n", "x", "_private", NULL);
}

static void comments_and_blank_lines(void **state)
{
    (void)state;
    assert_single("# written by hand\n[glia.package]\n; a comment\n\n# another\n"
                  "x = mod:package ; trailing comment\n",
                  "x", "mod", "package");
}

static void invalid_value(void **state)
{
    const char *err;

    (void)state;
    err = parse_invalid("[glia.package]\nx = not a module!\n");
    assert_contains(err, "entry 'x': 'not a module!' is not a module path");
    assert_contains(err, "expected module or module:attribute");
}

/* Every shape importlib.metadata would refuse, or that is no module path. */
static void invalid_values(void **state)
{
    static const char *bad[] = {
        "",        "1mod",       "mod.",      ".mod",        "a..b",      "mod:",
        ":attr",   "mod:attr:x", "mod:1attr", "mod [extra",  "mod extra", "mod:attr junk",
        "[extra]", "mod [x] y",  "mod-name",  "m\xc3\xa9od", "mod:a..b",  "mod/sub",
    };
    char text[128], want[64];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "[glia.package]\nentry%zu = %s\n", i, bad[i]);
        snprintf(want, sizeof(want), "entry 'entry%zu': ", i);
        assert_contains(parse_invalid(text), want);
    }
}

/* One bad entry fails the whole group, even after good ones. */
/* A bad entry is reported, and the good ones around it are still kept:
 * one typo must not hide a distribution's other packages. */
static void invalid_after_valid(void **state)
{
    struct entrypoints eps;
    char err[256] = "";

    (void)state;
    assert_int_equal(entrypoints_parse("[glia.package]\ngood = good\nbad = b@d\nlater = later\n",
                                       &eps, err, sizeof(err)),
                     2);
    assert_entry(&eps.v[0], "good", "good", NULL);
    assert_entry(&eps.v[1], "later", "later", NULL);
    assert_contains(err, "entry 'bad': 'b@d'");
    entrypoints_free(&eps);
}

static void indented_line_explained(void **state)
{
    struct entrypoints eps;
    char err[256] = "";

    (void)state;
    /* inih hands the indented line over as a second value of a: the first
     * stands, the second is reported. */
    assert_int_equal(entrypoints_parse("[glia.package]\na = a\n  b = b\n", &eps, err, sizeof(err)),
                     1);
    assert_entry(&eps.v[0], "a", "a", NULL);
    assert_contains(err, "an indented line continues the previous entry");
    entrypoints_free(&eps);
}

static void entry_without_name(void **state)
{
    (void)state;
    assert_contains(parse_invalid("[glia.package]\n= mod\n"), "no name");
}

/* Odd lines elsewhere are none of our business. */
static void other_groups_ignored(void **state)
{
    (void)state;
    assert_single("[console_scripts]\n"
                  "x = not a module!\n"
                  "a line without an equals sign\n"
                  "[unterminated group\n"
                  "= nameless\n"
                  "[glia.package]\n"
                  "ok = ok_mods:package\n"
                  "[gui_scripts]\n"
                  "y = ???\n",
                  "ok", "ok_mods", "package");
}

/* Lines past inih's 200-byte limit get cut; the pieces must stay in their group. */
static void long_lines_elsewhere(void **state)
{
    char text[4096], longval[700];
    size_t pos;

    (void)state;
    memset(longval, 'a', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    /* inih reads 199 bytes at a time; after "long = mod:" (11 bytes) the
     * pieces start at 188, 387 and 586: as a continuation, as an entry of
     * its own and as a group header. */
    memcpy(longval + 188, "  indented = z", 14);
    memcpy(longval + 387, "x = y", 5);
    memcpy(longval + 586, "[cli]", 5);
    pos = (size_t)snprintf(text, sizeof(text), "[console_scripts]\nlong = mod:%s\n", longval);
    pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
                            "[glia.package]\nglia_test_mods=glia_test_mods:package\n");
    snprintf(text + pos, sizeof(text) - pos, "[console_scripts]\nlong2 = %s\n", longval);
    assert_single(text, "glia_test_mods", "glia_test_mods", "package");
}

/* A [glia.package] line inih would cut is an error, not a cut module path
 * and a phantom entry made of its rest; the group's other entries stay. */
static void long_line_in_the_group(void **state)
{
    char text[1024], mod[400];
    struct entrypoints eps;
    char err[256] = "";

    (void)state;
    memset(mod, 'a', sizeof(mod) - 1);
    mod[sizeof(mod) - 1] = '\0';
    /* The piece past inih's cut would read as the entry "x = y". */
    memcpy(mod + 250, ".x = y", 6);
    snprintf(text, sizeof(text), "[glia.package]\nok = okmod:package\nlong = %s\n", mod);
    assert_int_equal(entrypoints_parse(text, &eps, err, sizeof(err)), 1);
    assert_entry(&eps.v[0], "ok", "okmod", "package");
    assert_contains(err, "line 3 is 406 bytes long");
    assert_contains(err, "at most 199");
    entrypoints_free(&eps);
}

static void err_may_be_null(void **state)
{
    struct entrypoints eps;

    (void)state;
    assert_int_equal(entrypoints_parse("[glia.package]\nx = ?\n", &eps, NULL, 0), 0);
    entrypoints_free(&eps);
    assert_int_equal(entrypoints_parse(NULL, &eps, NULL, 0), -1);
    entrypoints_free(&eps);
}

/* Enough entries to make the array grow several times. */
static void many_entries(void **state)
{
    char text[8192];
    size_t pos = (size_t)snprintf(text, sizeof(text), "[glia.package]\n");
    struct entrypoints eps;
    char name[32];

    (void)state;
    for (int i = 0; i < 100; i++)
        pos += (size_t)snprintf(text + pos, sizeof(text) - pos, "e%d = m%d:package\n", i, i);
    assert_int_equal(entrypoints_parse(text, &eps, NULL, 0), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "e%d", i);
        assert_string_equal(eps.v[i].name, name);
    }
    entrypoints_free(&eps);
    entrypoints_free(&eps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glia4_flit),
        cmocka_unit_test(glia4_fixture_declares_it),
        cmocka_unit_test(glia0_setuptools),
        cmocka_unit_test(crlf),
        cmocka_unit_test(several_groups),
        cmocka_unit_test(group_repeated),
        cmocka_unit_test(group_empty_or_absent),
        cmocka_unit_test(spaces_around_colon),
        cmocka_unit_test(extras_dropped),
        cmocka_unit_test(dotted_paths),
        cmocka_unit_test(comments_and_blank_lines),
        cmocka_unit_test(invalid_value),
        cmocka_unit_test(invalid_values),
        cmocka_unit_test(invalid_after_valid),
        cmocka_unit_test(indented_line_explained),
        cmocka_unit_test(entry_without_name),
        cmocka_unit_test(other_groups_ignored),
        cmocka_unit_test(long_lines_elsewhere),
        cmocka_unit_test(long_line_in_the_group),
        cmocka_unit_test(err_may_be_null),
        cmocka_unit_test(many_entries),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
