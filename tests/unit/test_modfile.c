/*
 * Unit tests for modfile: the real mechanisms shipped by Debian's NEURON and
 * the Glia 4 fixture package in tests/data, then one test per awkward input.
 *
 * Every parse goes through parse_n(), which hands the parser a heap buffer of
 * exactly the text's length (no NUL after it), so ASan and valgrind see any
 * read past `len`; on success it also checks that name_offset/name_length
 * point at the name's bytes, and on failure that the error is usable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modfile.h"

/* DEMO_DIR and TEST_DATA_DIR come from tests/meson.build. */
#define MODS_DIR TEST_DATA_DIR "/glia_test_mods/glia_test_mods/mods"

/* ---- helpers ---- */

static char *exact_copy(const char *src, size_t n)
{
    char *copy = malloc(n ? n : 1);

    assert_non_null(copy);
    memcpy(copy, src, n);
    return copy;
}

static void assert_zeroed(const struct modfile_info *info)
{
    struct modfile_info zero;

    memset(&zero, 0, sizeof zero);
    assert_memory_equal(info, &zero, sizeof zero);
}

static int parse_n(const char *src, size_t n, struct modfile_info *info, struct modfile_error *err)
{
    char *copy = exact_copy(src, n);
    int rc = modfile_parse(copy, n, info, err);

    if (rc == 0 && info->named_by_file) {
        /* No bytes to rewrite: the name comes from the file. */
        assert_null(info->name);
        assert_int_equal(info->name_length, 0);
        assert_int_equal(info->kind, MODFILE_DENSITY);
    } else if (rc == 0) {
        assert_non_null(info->name);
        assert_int_equal(info->name_length, strlen(info->name));
        assert_true(info->name_offset + info->name_length <= n);
        assert_memory_equal(copy + info->name_offset, info->name, info->name_length);
        assert_true(info->name_line >= 1);
    } else {
        assert_int_equal(rc, -1);
        assert_true(err->line >= 1);
        assert_true(err->message[0] != '\0');
        assert_zeroed(info);
    }
    free(copy);
    return rc;
}

/* Parses text that must be accepted; reports the parser's message if not. */
static void parse_ok_n(const char *src, size_t n, struct modfile_info *info)
{
    struct modfile_error err;

    if (parse_n(src, n, info, &err) != 0)
        fail_msg("parse failed at line %d: %s", err.line, err.message);
}

static void parse_ok(const char *src, struct modfile_info *info)
{
    parse_ok_n(src, strlen(src), info);
}

static void expect_error_n(const char *src, size_t n, int line, const char *needle)
{
    struct modfile_info info;
    struct modfile_error err;

    if (parse_n(src, n, &info, &err) == 0) {
        modfile_info_free(&info);
        fail_msg("expected an error containing \"%s\", but the text parsed", needle);
    }
    if (err.line != line)
        fail_msg("error at line %d, expected %d: %s", err.line, line, err.message);
    if (!strstr(err.message, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.message, needle);
}

static void expect_error(const char *src, int line, const char *needle)
{
    expect_error_n(src, strlen(src), line, needle);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc(n ? (size_t)n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void parse_file(const char *path, struct modfile_info *info)
{
    size_t len;
    char *text = read_file(path, &len);
    struct modfile_error err;

    if (parse_n(text, len, info, &err) != 0)
        fail_msg("%s:%d: %s", path, err.line, err.message);
    free(text);
}

static void assert_opt_string(const char *actual, const char *expected)
{
    if (!expected) {
        assert_null(actual);
        return;
    }
    assert_non_null(actual);
    assert_string_equal(actual, expected);
}

static void assert_names(char **names, size_t n, const char *const *expected, size_t nexpected)
{
    assert_int_equal(n, nexpected);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], expected[i]);
}

#define ASSERT_NAMES(names, n, ...)                                                                \
    do {                                                                                           \
        static const char *const expected_[] = {__VA_ARGS__};                                      \
        assert_names((names), (n), expected_, sizeof expected_ / sizeof *expected_);               \
    } while (0)

static const struct modfile_param *find_param(const struct modfile_info *info, const char *name)
{
    for (size_t i = 0; i < info->nparams; i++)
        if (strcmp(info->params[i].name, name) == 0)
            return &info->params[i];
    fail_msg("no parameter %s", name);
    return NULL;
}

static void assert_param(const struct modfile_info *info, const char *name, const char *value,
                         const char *units, int line)
{
    const struct modfile_param *param = find_param(info, name);

    assert_opt_string(param->value, value);
    assert_opt_string(param->units, units);
    assert_int_equal(param->line, line);
}

static const struct modfile_ion *find_ion(const struct modfile_info *info, const char *name)
{
    for (size_t i = 0; i < info->nions; i++)
        if (strcmp(info->ions[i].name, name) == 0)
            return &info->ions[i];
    fail_msg("no ion %s", name);
    return NULL;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- the ten mechanisms of Debian's NEURON demo ---- */

struct expected_mech {
    const char *file;
    enum modfile_kind kind;
    const char *name;
    int name_line;
};

static const struct expected_mech demo_mechs[] = {
    {"cabpump.mod", MODFILE_DENSITY, "cadifpmp", 12},
    {"cachan1.mod", MODFILE_DENSITY, "cachan1", 6},
    {"camchan.mod", MODFILE_DENSITY, "cachan", 17},
    {"capump.mod", MODFILE_DENSITY, "capump", 2},
    {"invlfire.mod", MODFILE_ARTIFICIAL, "IntervalFire", 7},
    {"khhchan.mod", MODFILE_DENSITY, "HHk", 6},
    {"mcna.mod", MODFILE_DENSITY, "MCna", 14},
    {"nacaex.mod", MODFILE_DENSITY, "nacax", 5},
    {"nachan.mod", MODFILE_DENSITY, "HHna", 5},
    {"release.mod", MODFILE_DENSITY, "trel", 5},
};

static const struct expected_mech fixture_mechs[] = {
    {"AMPA__0.mod", MODFILE_POINT, "glia__glia_test_mods__AMPA__0", 7},
    {"AMPA__1.mod", MODFILE_POINT, "glia__glia_test_mods__AMPA__1", 7},
    {"Na__0.mod", MODFILE_DENSITY, "glia__glia_test_mods__Na__0", 6},
    {"Na__t.mod", MODFILE_DENSITY, "glia__glia_test_mods__Na__t", 6},
    {"arbor/Cav2_1.mod", MODFILE_DENSITY, "Cav2_1", 12},
};

static const struct expected_mech *find_expected(const struct expected_mech *table, size_t n,
                                                 const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].file, file) == 0)
            return &table[i];
    fail_msg("%s is not in the test's table; add what it should parse to", file);
    return NULL;
}

/* Parses every .mod directly in dir/sub and checks it against the table. */
static size_t check_dir(const char *dir, const char *sub, const struct expected_mech *table,
                        size_t n)
{
    char path[4096], rel[1024];
    struct dirent *entry;
    size_t seen = 0;
    DIR *d;

    snprintf(path, sizeof path, "%s%s%s", dir, *sub ? "/" : "", sub);
    d = opendir(path);
    if (!d)
        fail_msg("cannot open directory %s", path);
    while ((entry = readdir(d)) != NULL) {
        const struct expected_mech *want;
        struct modfile_info info;

        if (!has_suffix(entry->d_name, ".mod"))
            continue;
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", entry->d_name);
        want = find_expected(table, n, rel);
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        parse_file(path, &info);
        assert_int_equal(info.kind, want->kind);
        assert_string_equal(info.name, want->name);
        assert_int_equal(info.name_line, want->name_line);
        modfile_info_free(&info);
        seen++;
    }
    closedir(d);
    return seen;
}

static void test_demo_every_file_parses(void **state)
{
    (void)state;
    assert_int_equal(check_dir(DEMO_DIR, "", demo_mechs, 10), 10);
}

static void test_demo_cabpump(void **state)
{
    struct modfile_info info;
    const struct modfile_ion *ca;

    (void)state;
    parse_file(DEMO_DIR "/cabpump.mod", &info);
    assert_string_equal(info.title, "Calcium ion accumulation and diffusion with pump");
    assert_int_equal(info.nions, 1);
    ca = find_ion(&info, "ca");
    ASSERT_NAMES(ca->read, ca->nread, "cao", "ica");
    ASSERT_NAMES(ca->write, ca->nwrite, "cai", "ica");
    assert_null(ca->valence);
    ASSERT_NAMES(info.ranges, info.nranges, "ica_pmp", "ica_pmp_last");
    ASSERT_NAMES(info.globals, info.nglobals, "vol", "pump0");
    assert_int_equal(info.npointers, 0);
    assert_int_equal(info.nparams, 7);
    assert_param(&info, "DFree", ".6", "um2/ms", 33);
    assert_param(&info, "beta", "50", NULL, 34);
    assert_param(&info, "k1", "5e8", "/mM-s", 36);
    assert_param(&info, "k2", ".25e6", "/s", 37);
    assert_param(&info, "k4", "5e0", "/mM-s", 39);
    assert_param(&info, "pump0", "3e-14", "mol/cm2", 40);
    assert_int_equal(info.nincludes, 0);
    modfile_info_free(&info);
}

static void test_demo_khhchan(void **state)
{
    struct modfile_info info;
    const struct modfile_ion *k;

    (void)state;
    parse_file(DEMO_DIR "/khhchan.mod", &info);
    assert_int_equal(info.kind, MODFILE_DENSITY);
    assert_string_equal(info.name, "HHk");
    assert_string_equal(info.title, "HH k channel channel");
    k = find_ion(&info, "k");
    ASSERT_NAMES(k->read, k->nread, "ek");
    ASSERT_NAMES(k->write, k->nwrite, "ik");
    ASSERT_NAMES(info.ranges, info.nranges, "gkbar", "ik");
    ASSERT_NAMES(info.globals, info.nglobals, "inf", "tau");
    assert_int_equal(info.nparams, 2);
    assert_param(&info, "gkbar", ".036", "mho/cm2", 19);
    assert_param(&info, "ek", NULL, "mV", 20);
    modfile_info_free(&info);
}

static void test_demo_invlfire(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(DEMO_DIR "/invlfire.mod", &info);
    assert_int_equal(info.kind, MODFILE_ARTIFICIAL);
    assert_string_equal(info.name, "IntervalFire");
    assert_null(info.title);
    assert_int_equal(info.nions, 0);
    ASSERT_NAMES(info.ranges, info.nranges, "tau", "m", "invl");
    assert_int_equal(info.nglobals, 0);
    assert_int_equal(info.nparams, 2);
    assert_param(&info, "tau", "5", "ms", 13);
    assert_param(&info, "invl", "10", "ms", 14);
    modfile_info_free(&info);
}

/* RANGE continues on a line after a comment-only line; a parameter is commented out. */
static void test_demo_mcna(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(DEMO_DIR "/mcna.mod", &info);
    assert_string_equal(info.name, "MCna");
    ASSERT_NAMES(info.ranges, info.nranges, "gnabar", "gna", "ina", "lp", "ml", "nm", "porate");
    ASSERT_NAMES(info.globals, info.nglobals, "cnt1", "cnt2");
    assert_int_equal(info.nparams, 4);
    assert_param(&info, "gnabar", ".120", "mho/cm2", 27);
    assert_param(&info, "nm", ".3", NULL, 30);
    modfile_info_free(&info);
}

static void test_demo_nacaex_two_ions(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(DEMO_DIR "/nacaex.mod", &info);
    assert_int_equal(info.nions, 2);
    assert_string_equal(info.ions[0].name, "ca");
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "eca");
    ASSERT_NAMES(info.ions[0].write, info.ions[0].nwrite, "ica");
    assert_string_equal(info.ions[1].name, "na");
    ASSERT_NAMES(info.ions[1].read, info.ions[1].nread, "ena");
    ASSERT_NAMES(info.ions[1].write, info.ions[1].nwrite, "ina");
    ASSERT_NAMES(info.ranges, info.nranges, "k", "ica", "ina", "ex");
    assert_param(&info, "k", ".0002", "mho/cm2", 17);
    modfile_info_free(&info);
}

static void test_demo_release_and_cachan1(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(DEMO_DIR "/release.mod", &info);
    assert_string_equal(info.name, "trel");
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "cai");
    assert_int_equal(info.ions[0].nwrite, 0);
    assert_int_equal(info.nranges, 0);
    assert_int_equal(info.nparams, 8);
    assert_param(&info, "power", "2", NULL, 19);
    assert_param(&info, "al", "141", "/mM2-ms", 21);
    assert_param(&info, "Kd", "1e-12", "mM2", 22);
    modfile_info_free(&info);

    parse_file(DEMO_DIR "/cachan1.mod", &info);
    ASSERT_NAMES(info.globals, info.nglobals, "inf", "tau", "rfac");
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "cao", "cai");
    assert_param(&info, "rfac", "1", NULL, 23);
    assert_param(&info, "K", "140", "/M", 24);
    modfile_info_free(&info);

    parse_file(DEMO_DIR "/camchan.mod", &info);
    assert_param(&info, "taufactor", "2", NULL, 30);
    assert_param(&info, "pcabar", ".2e-7", "cm/s", 31);
    modfile_info_free(&info);
}

/* ---- the Glia 4 fixture package in tests/data ---- */

static void test_fixture_every_file_parses(void **state)
{
    size_t n = sizeof fixture_mechs / sizeof *fixture_mechs;

    (void)state;
    assert_int_equal(check_dir(MODS_DIR, "", fixture_mechs, n), 4);
    assert_int_equal(check_dir(MODS_DIR, "arbor", fixture_mechs, n), 1);
}

/* RANGE lines around a comment-only line; units written "( /ms)". */
static void test_fixture_na0(void **state)
{
    struct modfile_info info;
    const struct modfile_ion *na;

    (void)state;
    parse_file(MODS_DIR "/Na__0.mod", &info);
    assert_int_equal(info.kind, MODFILE_DENSITY);
    assert_string_equal(info.name, "glia__glia_test_mods__Na__0");
    assert_string_equal(info.title, "Fixture sodium channel, five-state kinetic scheme");
    na = find_ion(&info, "na");
    ASSERT_NAMES(na->read, na->nread, "ena");
    ASSERT_NAMES(na->write, na->nwrite, "ina");
    assert_int_equal(info.nranges, 16);
    assert_string_equal(info.ranges[0], "gnabar");
    assert_string_equal(info.ranges[3], "Aalfa");
    assert_string_equal(info.ranges[10], "qfac");
    assert_string_equal(info.ranges[15], "kO");
    assert_int_equal(info.nparams, 11);
    assert_param(&info, "v", NULL, "mV", 20);
    assert_param(&info, "gnabar", "0.013", "mho/cm2", 22);
    assert_param(&info, "Aalfa", "12.5", "/ms", 23);
    assert_param(&info, "Valfa", "18.2", "mV", 24);
    assert_param(&info, "Vrecov", "11", NULL, 29);
    assert_param(&info, "qfac", "2.7", NULL, 30);
    modfile_info_free(&info);
}

/* TITLE with nothing after it; COMMENT/ENDCOMMENT with nothing between. */
static void test_fixture_ampa1(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(MODS_DIR "/AMPA__1.mod", &info);
    assert_int_equal(info.kind, MODFILE_POINT);
    assert_string_equal(info.name, "glia__glia_test_mods__AMPA__1");
    assert_null(info.title);
    assert_int_equal(info.nions, 0);
    ASSERT_NAMES(info.nonspecific, info.nnonspecific, "i");
    assert_int_equal(info.nranges, 32);
    assert_string_equal(info.ranges[0], "gmax");
    assert_string_equal(info.ranges[25], "spike_times");
    assert_string_equal(info.ranges[31], "u_now");
    assert_int_equal(info.nparams, 23);
    assert_param(&info, "syntype", NULL, NULL, 29);
    assert_param(&info, "U", "0.6", "1", 32);
    assert_param(&info, "tau_rec", "120", "ms", 33);
    assert_param(&info, "celsius", NULL, "degC", 51);
    modfile_info_free(&info);
}

/* The Arbor-only mod still has an ordinary NEURON block, with a plain name. */
static void test_fixture_arbor_cav2_1(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_file(MODS_DIR "/arbor/Cav2_1.mod", &info);
    assert_int_equal(info.kind, MODFILE_DENSITY);
    assert_string_equal(info.name, "Cav2_1");
    assert_string_equal(info.title, "P-type calcium channel, for Arbor only");
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "cai", "cao");
    ASSERT_NAMES(info.ranges, info.nranges, "pcabar", "ica", "vhalfm", "km", "vshift", "taum",
                 "minf");
    assert_int_equal(info.nparams, 7);
    assert_param(&info, "vhalfm", "-25.5", "mV", 28);
    assert_param(&info, "pcabar", "1.8e-4", "cm/s", 31);
    modfile_info_free(&info);
}

/* ---- line endings and whitespace ---- */

static void test_crlf(void **state)
{
    static const char src[] = "TITLE crlf file  \r\n"
                              ": comment {\r\n"
                              "NEURON {\r\n"
                              "  SUFFIX crlf\r\n"
                              "  RANGE a,\r\n"
                              "    b\r\n"
                              "}\r\n"
                              "PARAMETER {\r\n"
                              "  a = 1 (mV)\r\n"
                              "  b\r\n"
                              "}\r\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.title, "crlf file");
    assert_string_equal(info.name, "crlf");
    assert_int_equal(info.name_line, 4);
    ASSERT_NAMES(info.ranges, info.nranges, "a", "b");
    assert_param(&info, "a", "1", "mV", 9);
    assert_param(&info, "b", NULL, NULL, 10);
    modfile_info_free(&info);
}

/* SUFFIX nothing declares no mechanism: a library of global hoc names. */
static void test_suffix_nothing_is_a_library(void **state)
{
    static const char src[] = "NEURON {\n SUFFIX nothing\n GLOBAL BASE\n THREADSAFE\n}\n"
                              "PARAMETER { BASE = 5 }\nFUNCTION twice(x) { twice = 2 * x }\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_int_equal(info.kind, MODFILE_LIBRARY);
    assert_string_equal(modfile_kind_name(info.kind), "library");
    assert_string_equal(info.name, "nothing");
    ASSERT_NAMES(info.globals, info.nglobals, "BASE");
    modfile_info_free(&info);

    parse_ok("NEURON { POINT_PROCESS nothing }\n", &info); /* only SUFFIX means none */
    assert_int_equal(info.kind, MODFILE_POINT);
    modfile_info_free(&info);
}

/* nocmodl also takes a lone CR as a line end (old Mac files). */
static void test_lone_cr(void **state)
{
    static const char src[] = "TITLE old mac\r: {\rNEURON {\r SUFFIX mac\r}\rPARAMETER { x = 2 }\r";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.title, "old mac");
    assert_string_equal(info.name, "mac");
    assert_int_equal(info.name_line, 4);
    assert_param(&info, "x", "2", NULL, 6);
    modfile_info_free(&info);

    expect_error("NEURON {\r SUFFIX a\r\r", 3, "opened at line 1");
}

static void test_tabs(void **state)
{
    static const char src[] = "NEURON\t{\tSUFFIX\ttabbed\n"
                              "\tUSEION\tk\tREAD\tek\tWRITE\tik\n"
                              "\tRANGE\tgk,\tik\t}\n"
                              "PARAMETER\t{\n\tgk\t=\t.036\t(\tmho/cm2\t)\t<\t0\t,\t1e9\t>\n}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "tabbed");
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "ek");
    ASSERT_NAMES(info.ranges, info.nranges, "gk", "ik");
    assert_param(&info, "gk", ".036", "mho/cm2", 5);
    modfile_info_free(&info);
}

/* ---- text that must not be read as code ---- */

static void test_braces_in_comment_verbatim_title(void **state)
{
    static const char src[] = "TITLE a { title } with } braces {\n"
                              "COMMENT\n"
                              "  } { }} NEURON { SUFFIX no }\n"
                              "ENDCOMMENT\n"
                              "VERBATIM\n"
                              "static int f(void) { if (1) { return '}'; } }\n"
                              "ENDVERBATIM\n"
                              "NEURON { SUFFIX real }\n"
                              "PROCEDURE p() {\n"
                              "VERBATIM\n"
                              "  { /* } */ \"}\"\n"
                              "ENDVERBATIM\n"
                              "}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.title, "a { title } with } braces {");
    assert_string_equal(info.name, "real");
    assert_int_equal(info.name_line, 8);
    modfile_info_free(&info);
}

static void test_decoy_suffix_before_real_block(void **state)
{
    static const char src[] = "COMMENT\n"
                              "NEURON {\n"
                              "  SUFFIX fake\n"
                              "}\n"
                              "ENDCOMMENT\n"
                              "VERBATIM\n"
                              "/* NEURON { SUFFIX fake2 } */ char *s = \"SUFFIX fake3\";\n"
                              "ENDVERBATIM\n"
                              "NEURON {\n"
                              "  SUFFIX real\n"
                              "}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "real");
    assert_int_equal(info.name_line, 10);
    assert_int_equal(info.name_offset, (size_t)(strstr(src, "real") - src));
    modfile_info_free(&info);
}

/* As in nocmodl, ENDCOMMENT only closes a comment as the first word of a line. */
static void test_endcomment_must_start_a_line(void **state)
{
    static const char src[] = "COMMENT not closed by ENDCOMMENT here\n"
                              "NEURON { SUFFIX fake }\n"
                              "ENDCOMMENTS is another word\n"
                              "   ENDCOMMENT and the rest of this line { is ignored\n"
                              "NEURON { SUFFIX real }\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "real");
    assert_int_equal(info.name_line, 5);
    modfile_info_free(&info);
}

static void test_colon_and_question_comments(void **state)
{
    static const char src[] = "? interface {\n"
                              "NEURON { : {{ not a brace\n"
                              "  SUFFIX cq ? }}} nor these\n"
                              "  RANGE x : , y\n"
                              "}\n"
                              "INITIAL { : }\n"
                              "  x = 1 ? }\n"
                              "}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "cq");
    ASSERT_NAMES(info.ranges, info.nranges, "x");
    modfile_info_free(&info);
}

static void test_braces_in_strings(void **state)
{
    static const char src[] = "INITIAL {\n"
                              "  printf(\"} unbalanced { in a string: ? \\n\")\n"
                              "  printf(\"spans\n"
                              "  two lines }\")\n"
                              "}\n"
                              "NEURON { SUFFIX s }\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "s");
    assert_int_equal(info.name_line, 6);
    modfile_info_free(&info);
}

static void test_statements_spanning_lines(void **state)
{
    static const char src[] = "NEURON\n"
                              "{\n"
                              "  POINT_PROCESS\n"
                              "     Spanned\n"
                              "  RANGE a,\n"
                              "    b\n"
                              "    , c\n"
                              "  USEION ca\n"
                              "    READ cai,\n"
                              "         cao WRITE\n"
                              "    ica VALENCE\n"
                              "    2\n"
                              "  POINTER\n"
                              "    pre\n"
                              "}\n";
    struct modfile_info info;
    const struct modfile_ion *ca;

    (void)state;
    parse_ok(src, &info);
    assert_int_equal(info.kind, MODFILE_POINT);
    assert_string_equal(info.name, "Spanned");
    assert_int_equal(info.name_line, 4);
    ASSERT_NAMES(info.ranges, info.nranges, "a", "b", "c");
    ca = find_ion(&info, "ca");
    ASSERT_NAMES(ca->read, ca->nread, "cai", "cao");
    ASSERT_NAMES(ca->write, ca->nwrite, "ica");
    assert_string_equal(ca->valence, "2");
    ASSERT_NAMES(info.pointers, info.npointers, "pre");
    modfile_info_free(&info);
}

static void test_latin1_in_comments(void **state)
{
    static const char src[] = "TITLE caf\xe9 channel\n"
                              ": \xe9t\xe9 {\n"
                              "? \xff\xfe {\n"
                              "COMMENT\n\xe9\xe8\xe0 } {\nENDCOMMENT\n"
                              "NEURON { SUFFIX latin : \xe9\n}\n"
                              "PARAMETER { g = 1 (S/cm2) : \xb5S\n}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.title, "caf\xe9 channel");
    assert_string_equal(info.name, "latin");
    assert_param(&info, "g", "1", "S/cm2", 9);
    modfile_info_free(&info);
}

/* ---- the extent of the input ---- */

static void test_not_nul_terminated(void **state)
{
    struct modfile_info info;

    (void)state;
    /* Each text ends in the middle of something a reader might run on past. */
    parse_ok("NEURON { SUFFIX edge }", &info);
    assert_string_equal(info.name, "edge");
    modfile_info_free(&info);
    parse_ok("NEURON { SUFFIX edge }\nTITLE last line", &info);
    assert_string_equal(info.title, "last line");
    modfile_info_free(&info);
    parse_ok("NEURON { SUFFIX edge }\n: comment at the very end", &info);
    modfile_info_free(&info);
    parse_ok("NEURON { SUFFIX edge }\nDEFINE N 1e", &info);
    modfile_info_free(&info);
    parse_ok("NEURON { SUFFIX edge }\nCOMMENT\nENDCOMMENT", &info);
    modfile_info_free(&info);
    /* Only the first len bytes count, whatever follows them in memory. */
    parse_ok_n("NEURON { SUFFIX ab }cd", 20, &info);
    assert_string_equal(info.name, "ab");
    modfile_info_free(&info);
    expect_error_n("NEURON { SUFFIX abc }", 19, 1, "never closed");
    expect_error("NEURON { SUFFIX", 1, "expected a name after SUFFIX");
    expect_error("NEURON { SUFFIX x }\nPARAMETER { a = 1 (mV", 2, "missing ')'");
    expect_error("NEURON { SUFFIX x }\nINCLUDE \"x.inc", 2, "string never closed");
    expect_error("NEURON { SUFFIX x }\nVERBATIM", 2, "VERBATIM never closed");
}

/* Every prefix of a real file: either parses or fails cleanly. */
static void test_every_prefix_of_a_real_file(void **state)
{
    size_t len, ok = 0;
    char *text = read_file(DEMO_DIR "/cabpump.mod", &len);

    (void)state;
    for (size_t n = 0; n <= len; n++) {
        struct modfile_info info;
        struct modfile_error err;

        if (parse_n(text, n, &info, &err) == 0) {
            /* Cut before its SUFFIX, it names no mechanism. */
            if (!info.named_by_file)
                assert_string_equal(info.name, "cadifpmp");
            modfile_info_free(&info);
            ok++;
        }
    }
    assert_true(ok > 0);
    free(text);
}

/* Random byte overwrites (NUL, braces, quotes, high bytes...) must never crash. */
static void test_mutated_files_never_crash(void **state)
{
    static const char interesting[] = "{}\"():?\0\r\n\xe9<>,=-[]";
    size_t len;
    char *text = read_file(MODS_DIR "/Na__0.mod", &len);
    uint32_t seed = 12345;

    (void)state;
    for (int round = 0; round < 300; round++) {
        char *copy = exact_copy(text, len);
        struct modfile_info info;
        struct modfile_error err;

        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            copy[at] = interesting[(seed >> 8) % (sizeof interesting - 1)];
        }
        if (parse_n(copy, len, &info, &err) == 0)
            modfile_info_free(&info);
        free(copy);
    }
    free(text);
}

/* ---- errors ---- */

/* nocmodl makes an empty file a density mechanism named after it. */
static void test_empty_input(void **state)
{
    struct modfile_info info;
    struct modfile_error err;

    (void)state;
    parse_ok("", &info);
    assert_true(info.named_by_file);
    modfile_info_free(&info);
    assert_int_equal(modfile_parse(NULL, 0, &info, &err), 0);
    assert_true(info.named_by_file);
    modfile_info_free(&info);
    parse_ok("\n\n  \t\n", &info);
    assert_true(info.named_by_file);
    modfile_info_free(&info);
}

/* With no NEURON block, or one that names nothing, nocmodl makes the mod a
 * density mechanism named after its file (an old-style function table). */
static void test_no_neuron_block(void **state)
{
    static const char *const unnamed[] = {
        "TITLE nothing\nPARAMETER { a = 1 }\nINITIAL { a = 2 }\n",
        "NEURON { RANGE a }\nPARAMETER { a = 1 }\n",
        "NEURON { }\nNEURON { USEION na READ ena }\n",
        /* Keywords are case-sensitive: that is no NEURON block (nocmodl
         * refuses it, and says where, when it is built). */
        "neuron { SUFFIX lower }\n",
    };
    struct modfile_info info;

    (void)state;
    for (size_t i = 0; i < sizeof unnamed / sizeof *unnamed; i++) {
        parse_ok(unnamed[i], &info);
        assert_true(info.named_by_file);
        assert_null(info.name);
        assert_int_equal(modfile_name_after_file(&info, "pkg/mods/asin.mod"), 0);
        assert_string_equal(info.name, "asin");
        assert_int_equal(info.kind, MODFILE_DENSITY);
        assert_int_equal(info.name_length, 0);
        modfile_info_free(&info);
    }
    /* A mod that names itself keeps its name. */
    parse_ok("NEURON { SUFFIX own }\n", &info);
    assert_int_equal(modfile_name_after_file(&info, "dir/other.mod"), 0);
    assert_string_equal(info.name, "own");
    modfile_info_free(&info);
    expect_error("TITLE t\nNEURON SUFFIX x\n", 2, "expected '{' after NEURON");
}

/* The hoc functions, and the globals NEURON registers, as nocmodl decides. */
static void test_functions_and_hoc_globals(void **state)
{
    static const char src[] = "NEURON { SUFFIX f USEION na READ ena, nai WRITE ina\n"
                              "  RANGE g GLOBAL minf, only_in_table POINTER p\n"
                              "  NONSPECIFIC_CURRENT il }\n"
                              "PARAMETER { g = 1 q10 = 3 ena nai il p celsius v arr[2] }\n"
                              "ASSIGNED { minf (1) mtau[3] (ms) <0, 1> x FROM 0 TO 1 }\n"
                              "FUNCTION rate(v (mV)) (/ms) { TABLE minf, only_in_table\n"
                              "  FROM 0 TO 1 WITH 2 rate = 1 }\n"
                              "PROCEDURE p2() { }\n"
                              "FUNCTION_TABLE tau(v)\n";
    static const char *const globals[] = {"minf", "q10", "arr", "usetable"};
    static const char *const functions[] = {"rate", "p2", "tau", "table_tau"};
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_int_equal(info.nhoc_globals, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(info.hoc_globals[i], globals[i]);
    assert_int_equal(info.nfunctions, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(info.functions[i], functions[i]);
    modfile_info_free(&info);
    expect_error("NEURON { SUFFIX f }\nFUNCTION (x) { }\n", 2, "expected a name after FUNCTION");
    expect_error("NEURON { SUFFIX f }\nASSIGNED { a\n", 2, "ASSIGNED block never closed");
}

/* SUFFIX nothing registers no mechanism, hence no ion: its USEION can
 * neither add one nor disagree with another mod on a valence. */
static void test_suffix_nothing_has_no_ions(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_ok("NEURON { SUFFIX nothing USEION ca READ cai VALENCE 2 GLOBAL b }\n"
             "PARAMETER { b = 1 }\nFUNCTION twice(x) { twice = 2 * x }\n",
             &info);
    assert_string_equal(info.name, "nothing");
    assert_int_equal(info.nions, 0);
    assert_null(info.ions);
    assert_int_equal(info.nhoc_globals, 1);
    assert_string_equal(info.hoc_globals[0], "b");
    assert_int_equal(info.nfunctions, 1);
    assert_string_equal(info.functions[0], "twice");
    modfile_info_free(&info);
}

static void test_unclosed_neuron_block(void **state)
{
    (void)state;
    expect_error("TITLE t\n"
                 "NEURON {\n"
                 "  SUFFIX open\n"
                 "  RANGE a\n",
                 4, "NEURON block never closed (opened at line 2)");
    expect_error("NEURON {\n  SUFFIX a\n  RANGE b,\n}\n", 3, "expected a name after ',' in RANGE");
}

static void test_unclosed_comment(void **state)
{
    (void)state;
    expect_error("TITLE t\n"
                 "COMMENT\n"
                 "  never closed\n",
                 3, "COMMENT never closed (opened at line 2)");
    expect_error("NEURON { SUFFIX a }\n"
                 "COMMENT {\n"
                 "text ENDCOMMENT\n"
                 "more\n",
                 4, "COMMENT never closed (opened at line 2)");
}

static void test_unclosed_verbatim(void **state)
{
    (void)state;
    expect_error("NEURON { SUFFIX a }\n"
                 "PROCEDURE p() {\n"
                 "VERBATIM\n"
                 "  return 0; }\n",
                 4, "VERBATIM never closed (opened at line 3)");
}

static void test_unbalanced_braces(void **state)
{
    (void)state;
    expect_error("NEURON { SUFFIX a }\n}\n", 2, "without a matching '{'");
    expect_error("NEURON { SUFFIX a }\nPROCEDURE p() {\n  if (1) {\n  }\n", 4,
                 "block opened at line 2 never closed");
    expect_error("NEURON { SUFFIX a\n  { RANGE b }\n}\n", 2, "unexpected '{' in NEURON block");
    /* A TITLE token ending the text starts at its end: describing it must
     * not read the byte there (found by tests/fuzz). */
    expect_error("NEURON { SUFFIX a\nTITLE", 2, "unexpected TITLE in NEURON block");
    expect_error("PARAMETER {\n  a = 1\n", 2, "PARAMETER block never closed (opened at line 1)");
}

/* nocmodl takes the last name; any ARTIFICIAL_CELL, else any POINT_PROCESS,
 * decides the kind. A build rewrites the last name's bytes. */
static void test_two_mechanism_names(void **state)
{
    static const struct {
        const char *src, *name;
        enum modfile_kind kind;
    } cases[] = {
        {"NEURON {\n  SUFFIX a\n  SUFFIX b\n}\n", "b", MODFILE_DENSITY},
        {"NEURON {\n  SUFFIX a\n}\nNEURON {\n  POINT_PROCESS b\n}\n", "b", MODFILE_POINT},
        {"NEURON { POINT_PROCESS b SUFFIX a }\n", "a", MODFILE_POINT},
        {"NEURON { ARTIFICIAL_CELL a POINT_PROCESS b }\n", "b", MODFILE_ARTIFICIAL},
        {"NEURON { SUFFIX b ARTIFICIAL_CELL a }\n", "a", MODFILE_ARTIFICIAL},
    };
    struct modfile_info info;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        parse_ok(cases[i].src, &info);
        assert_string_equal(info.name, cases[i].name);
        assert_int_equal(info.kind, cases[i].kind);
        assert_int_equal(info.name_offset, strrchr(cases[i].src, cases[i].name[0]) - cases[i].src);
        modfile_info_free(&info);
    }
}

static void test_suffix_without_name(void **state)
{
    (void)state;
    expect_error("NEURON {\n  SUFFIX\n}\n", 2, "expected a name after SUFFIX");
    expect_error("NEURON {\n  POINT_PROCESS 12\n}\n", 2, "expected a name after POINT_PROCESS");
    expect_error("NEURON {\n  ARTIFICIAL_CELL \"x\"\n}\n", 2,
                 "expected a name after ARTIFICIAL_CELL");
    expect_error("NEURON {\n  SUFFIX a\n  USEION\n}\n", 3, "expected an ion name after USEION");
    expect_error("NEURON {\n  SUFFIX a\n  USEION na READ\n}\n", 3, "expected a name after READ");
}

static void test_junk_in_neuron_block(void **state)
{
    (void)state;
    expect_error("NEURON {\n  SUFFIX a;\n}\n", 2, "unexpected ';' in NEURON block");
    expect_error("NEURON {\n  SUFFIX a\n  RANGE b \xe9\n}\n", 3, "byte 0xE9");
    expect_error("NEURON {\n  SUFFIX a\n  THREADSAFE 3\n}\n", 3, "unexpected number");
}

/* nocmodl reads lines into C strings, so a NUL hides the rest of its line. */
static void test_embedded_nul(void **state)
{
    static const char in_comment[] = "NEURON {\n  SUFFIX n : a \0 b\n}\n";
    static const char after_name[] = "NEURON {\n  SUFFIX nul\0 junk { {\n  RANGE x\n}\n";
    static const char in_title[] = "TITLE before\0after\nNEURON { SUFFIX t }\n";
    static const char in_block[] = "NEURON {\n  SUFFIX a\n}\nPARAMETER {\n  x = 1 (mV\0)\n}\n";
    struct modfile_info info;

    (void)state;
    parse_ok_n(in_comment, sizeof in_comment - 1, &info);
    assert_string_equal(info.name, "n");
    modfile_info_free(&info);

    parse_ok_n(after_name, sizeof after_name - 1, &info);
    assert_string_equal(info.name, "nul");
    assert_int_equal(info.name_length, 3);
    ASSERT_NAMES(info.ranges, info.nranges, "x");
    modfile_info_free(&info);

    parse_ok_n(in_title, sizeof in_title - 1, &info);
    assert_string_equal(info.title, "before");
    modfile_info_free(&info);

    expect_error_n(in_block, sizeof in_block - 1, 5, "missing ')'");
}

/* ---- statements ---- */

static void test_includes(void **state)
{
    static const char src[] = "INCLUDE \"first.inc\"\n"
                              "COMMENT\nINCLUDE \"commented.inc\"\nENDCOMMENT\n"
                              ": INCLUDE \"also_commented.inc\"\n"
                              "NEURON { SUFFIX inc }\n"
                              "INCLUDE   \"sub/second file.inc\"\n"
                              "INCLUDE \"\"\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    ASSERT_NAMES(info.includes, info.nincludes, "first.inc", "sub/second file.inc", "");
    modfile_info_free(&info);

    expect_error("NEURON { SUFFIX a }\nINCLUDE first.inc\n", 2, "quoted file name after INCLUDE");
}

/* Headers the C compiler reads from the mod's dir are part of the build. */
static void test_verbatim_c_includes(void **state)
{
    static const char src[] = "NEURON { SUFFIX v }\n"
                              "VERBATIM #include \"same_line.h\"\n"
                              "#include \"helper.h\"\n"
                              "  #  include   \"sub/deep.h\" /* spaces */\n"
                              "#include <stdio.h>\n"
                              "#define X \"#include \\\"not.h\\\"\"\n"
                              "ENDVERBATIM\n"
                              "COMMENT\n#include \"commented.h\"\nENDCOMMENT\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    ASSERT_NAMES(info.c_includes, info.nc_includes, "same_line.h", "helper.h", "sub/deep.h");
    assert_int_equal(info.nincludes, 0);
    modfile_info_free(&info);
}

static void test_parameter_forms(void **state)
{
    static const char src[] = "DEFINE NANN 4\n"
                              "NEURON { SUFFIX p }\n"
                              "PARAMETER {\n"
                              "  gbar = 0.013 (mho/cm2) <0,1e9>\n"
                              "  vhalf = -65 (mV) <-1e9, 1e9>\n"
                              "  spaced = - 70 (mV)\n"
                              "  tiny = 1e-3\n"
                              "  half = .5 ( /ms)\n"
                              "  big = 2.5E+2 (1)\n"
                              "  vol[10] (um)\n"
                              "  shells[NANN]\n"
                              "  celsius (degC)\n"
                              "  bare\n"
                              "  empty = 3 ()\n"
                              "  a = 1 b = 2 (mV) c\n"
                              "  defined = NANN\n"
                              "  lim = 1 <0, 1>\n"
                              "}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_int_equal(info.nparams, 16);
    assert_param(&info, "gbar", "0.013", "mho/cm2", 4);
    assert_param(&info, "vhalf", "-65", "mV", 5);
    assert_param(&info, "spaced", "-70", "mV", 6);
    assert_param(&info, "tiny", "1e-3", NULL, 7);
    assert_param(&info, "half", ".5", "/ms", 8);
    assert_param(&info, "big", "2.5E+2", "1", 9);
    assert_param(&info, "vol", NULL, "um", 10);
    assert_param(&info, "shells", NULL, NULL, 11);
    assert_param(&info, "celsius", NULL, "degC", 12);
    assert_param(&info, "bare", NULL, NULL, 13);
    assert_param(&info, "empty", "3", NULL, 14);
    assert_param(&info, "a", "1", NULL, 15);
    assert_param(&info, "b", "2", "mV", 15);
    assert_param(&info, "c", NULL, NULL, 15);
    assert_param(&info, "defined", "NANN", NULL, 16);
    assert_param(&info, "lim", "1", NULL, 17);
    /* Source order is kept. */
    assert_string_equal(info.params[0].name, "gbar");
    assert_string_equal(info.params[15].name, "lim");
    modfile_info_free(&info);
}

static void test_parameter_errors(void **state)
{
    (void)state;
    expect_error("NEURON { SUFFIX a }\nPARAMETER {\n  x = (mV)\n}\n", 3,
                 "expected a number after '='");
    expect_error("NEURON { SUFFIX a }\nPARAMETER {\n  x = 1 (mV\n}\n", 3, "units of x");
    expect_error("NEURON { SUFFIX a }\nPARAMETER {\n  x = 1 <0, 1\n}\n", 3, "expected '>'");
    expect_error("NEURON { SUFFIX a }\nPARAMETER {\n  x[3\n}\n", 3, "expected ']'");
    expect_error("NEURON { SUFFIX a }\nPARAMETER {\n  x = 1;\n}\n", 3,
                 "unexpected ';' in PARAMETER block");
    expect_error("NEURON { SUFFIX a }\nPARAMETER\n{\n  x = 1\n", 4, "opened at line 2");
}

static void test_useion_forms(void **state)
{
    static const char src[] = "NEURON {\n"
                              "  SUFFIX ions\n"
                              "  USEION ca READ cai WRITE ica VALENCE 2 REPRESENTS CHEBI:29108\n"
                              "  USEION cl WRITE icl VALENCE -1\n"
                              "  USEION x READ xi VALENCE - 3 REPRESENTS [NCIT:C1] RANGE r }\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_int_equal(info.nions, 3);
    ASSERT_NAMES(info.ions[0].read, info.ions[0].nread, "cai");
    ASSERT_NAMES(info.ions[0].write, info.ions[0].nwrite, "ica");
    assert_string_equal(info.ions[0].valence, "2");
    assert_string_equal(info.ions[1].name, "cl");
    assert_int_equal(info.ions[1].nread, 0);
    ASSERT_NAMES(info.ions[1].write, info.ions[1].nwrite, "icl");
    assert_string_equal(info.ions[1].valence, "-1");
    assert_string_equal(info.ions[2].valence, "-3");
    ASSERT_NAMES(info.ranges, info.nranges, "r");
    modfile_info_free(&info);

    expect_error("NEURON {\n  SUFFIX a\n  USEION ca VALENCE\n}\n", 3,
                 "expected a number after VALENCE");
}

static void test_other_neuron_statements(void **state)
{
    static const char src[] = "NEURON {\n"
                              "  THREADSAFE\n"
                              "  SUFFIX other REPRESENTS NCIT:C17145\n"
                              "  POINTER pre, post\n"
                              "  BBCOREPOINTER rng\n"
                              "  NONSPECIFIC_CURRENT i\n"
                              "  ELECTRODE_CURRENT ie\n"
                              "  EXTERNAL ext1, ext2\n"
                              "  SOME_FUTURE_KEYWORD f1, f2\n"
                              "  GLOBAL g\n"
                              "}\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "other");
    ASSERT_NAMES(info.pointers, info.npointers, "pre", "post", "rng");
    ASSERT_NAMES(info.nonspecific, info.nnonspecific, "i", "ie");
    ASSERT_NAMES(info.globals, info.nglobals, "g");
    assert_int_equal(info.nranges, 0);
    modfile_info_free(&info);
}

/* Keywords are case-sensitive: lower-case ones are just unknown words. */
static void test_keywords_case_sensitive(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_ok("NEURON {\n  suffix lower\n  SUFFIX Upper\n  range x\n}\n", &info);
    assert_string_equal(info.name, "Upper");
    assert_int_equal(info.nranges, 0);
    modfile_info_free(&info);
}

static void test_title_forms(void **state)
{
    struct modfile_info info;

    (void)state;
    parse_ok("TITLE\nNEURON { SUFFIX t }\n", &info);
    assert_null(info.title);
    modfile_info_free(&info);
    parse_ok("TITLE   \t \r\nNEURON { SUFFIX t }\n", &info);
    assert_null(info.title);
    modfile_info_free(&info);
    /* nocmodl cuts the title at '!' but keeps ':' text. */
    parse_ok("TITLE  Kv1 : fast ! note\nNEURON { SUFFIX t }\n", &info);
    assert_string_equal(info.title, "Kv1 : fast");
    modfile_info_free(&info);
    /* The first TITLE wins, as in nocmodl. */
    parse_ok("TITLE one\nTITLE two\nNEURON { SUFFIX t }\n", &info);
    assert_string_equal(info.title, "one");
    modfile_info_free(&info);
}

static void test_skipped_blocks(void **state)
{
    static const char src[] = "UNITS {\n"
                              "  (mV) = (millivolt)\n"
                              "  FARADAY = (faraday) (coulomb)\n"
                              "}\n"
                              "DEFINE N 10\n"
                              "LOCAL frat[N]\n"
                              "INDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }\n"
                              "PROCEDURE f(a (mV), b (/ms)) { LOCAL c\n"
                              "  FROM i = 0 TO N { c = i }\n"
                              "}\n"
                              "NET_RECEIVE (w) { INITIAL { w = 0 } }\n"
                              "KINETIC k { ~ a <-> b (1, 2) }\n"
                              "DERIVATIVE d { m' = (minf - m)/tau }\n"
                              "FUNCTION_TABLE tabf(v (mV)) (ms)\n"
                              "UNITSOFF\n"
                              "NEURON { SUFFIX last }\n"
                              "UNITSON\n";
    struct modfile_info info;

    (void)state;
    parse_ok(src, &info);
    assert_string_equal(info.name, "last");
    assert_int_equal(info.name_line, 16);
    assert_int_equal(info.nparams, 0);
    modfile_info_free(&info);
}

static void test_kind_names_and_free(void **state)
{
    struct modfile_info info;

    (void)state;
    assert_string_equal(modfile_kind_name(MODFILE_DENSITY), "density");
    assert_string_equal(modfile_kind_name(MODFILE_POINT), "point");
    assert_string_equal(modfile_kind_name(MODFILE_ARTIFICIAL), "artificial");
    parse_ok("NEURON { SUFFIX f }", &info);
    modfile_info_free(&info);
    assert_zeroed(&info);
    modfile_info_free(&info); /* a freed result is empty, so freeing again is harmless */
    modfile_info_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_every_file_parses),
        cmocka_unit_test(test_demo_cabpump),
        cmocka_unit_test(test_demo_khhchan),
        cmocka_unit_test(test_demo_invlfire),
        cmocka_unit_test(test_demo_mcna),
        cmocka_unit_test(test_demo_nacaex_two_ions),
        cmocka_unit_test(test_demo_release_and_cachan1),
        cmocka_unit_test(test_fixture_every_file_parses),
        cmocka_unit_test(test_fixture_na0),
        cmocka_unit_test(test_fixture_ampa1),
        cmocka_unit_test(test_fixture_arbor_cav2_1),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_lone_cr),
        cmocka_unit_test(test_tabs),
        cmocka_unit_test(test_braces_in_comment_verbatim_title),
        cmocka_unit_test(test_decoy_suffix_before_real_block),
        cmocka_unit_test(test_endcomment_must_start_a_line),
        cmocka_unit_test(test_colon_and_question_comments),
        cmocka_unit_test(test_braces_in_strings),
        cmocka_unit_test(test_statements_spanning_lines),
        cmocka_unit_test(test_latin1_in_comments),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_every_prefix_of_a_real_file),
        cmocka_unit_test(test_mutated_files_never_crash),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_no_neuron_block),
        cmocka_unit_test(test_functions_and_hoc_globals),
        cmocka_unit_test(test_suffix_nothing_has_no_ions),
        cmocka_unit_test(test_unclosed_neuron_block),
        cmocka_unit_test(test_unclosed_comment),
        cmocka_unit_test(test_unclosed_verbatim),
        cmocka_unit_test(test_unbalanced_braces),
        cmocka_unit_test(test_two_mechanism_names),
        cmocka_unit_test(test_suffix_without_name),
        cmocka_unit_test(test_junk_in_neuron_block),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_verbatim_c_includes),
        cmocka_unit_test(test_parameter_forms),
        cmocka_unit_test(test_parameter_errors),
        cmocka_unit_test(test_useion_forms),
        cmocka_unit_test(test_other_neuron_statements),
        cmocka_unit_test(test_keywords_case_sensitive),
        cmocka_unit_test(test_title_forms),
        cmocka_unit_test(test_skipped_blocks),
        cmocka_unit_test(test_kind_names_and_free),
        cmocka_unit_test(test_suffix_nothing_is_a_library),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
