/*
 * builtin_list: NEURON's own mechanisms from nrniv's listing (a real one,
 * kept in tests/data/builtins/) and from cached rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builtin_list.h"
#include "index.h"
#include "os.h"
#include "util.h"

/* A file of the repository's test data, whole. */
static char *read_text(const char *path)
{
    char *text = file_read(path, 1u << 16, NULL);
    assert_non_null(text);
    return text;
}

static const struct index_mod *find(const struct index_pkg *p, const char *name)
{
    for (size_t i = 0; i < p->nmods; i++)
        if (strcmp(p->mods[i].full, name) == 0)
            return &p->mods[i];
    return NULL;
}

/* NEURON 8.2's listing: density mechanisms (ions among them), point
 * processes, and artificial cells told apart by their second number. */
static void nrnivs_listing_gives_every_mechanism_with_its_kind(void **state)
{
    (void)state;
    char *out = read_text(TEST_DATA_DIR "/builtins/nrniv-8.2.txt");
    struct index_pkg *p = builtin_list_parse(out);
    assert_string_equal(p->name, INDEX_NEURON_PKG);
    assert_int_equal(p->layout, INDEX_BUILTIN);
    assert_int_equal(p->nmods, 22);
    assert_int_equal(find(p, "pas")->info.kind, MODFILE_DENSITY);
    assert_int_equal(find(p, "hh")->info.kind, MODFILE_DENSITY);
    assert_int_equal(find(p, "na_ion")->info.kind, MODFILE_DENSITY);
    assert_int_equal(find(p, "IClamp")->info.kind, MODFILE_POINT);
    assert_int_equal(find(p, "ExpSyn")->info.kind, MODFILE_POINT);
    assert_int_equal(find(p, "NetStim")->info.kind, MODFILE_ARTIFICIAL);
    assert_int_equal(find(p, "PatternStim")->info.kind, MODFILE_ARTIFICIAL);
    /* Asked for by their plain names, as package NEURON, variant 0. */
    const struct index_mod *hh = find(p, "hh");
    assert_ptr_equal(hh->pkg, p);
    assert_string_equal(hh->asset, "hh");
    assert_string_equal(hh->variant, "0");
    assert_string_equal(hh->pkgname, INDEX_NEURON_PKG);
    assert_string_equal(hh->info.name, "hh");
    assert_null(hh->path);
    index_pkg_unref(p);
    free(out);
}

/* nrniv may print more than the listing (a banner, a warning about
 * a missing display, hoc's own errors): only well-formed lines count. */
static void lines_that_are_not_the_listing_are_left_out(void **state)
{
    (void)state;
    const char *out = "NEURON -- VERSION 8.2.2\n"
                      "glia-builtin 0 0 pas\n"
                      "glia-builtin\n"
                      "glia-builtin \n"
                      "glia-builtin 0\n"
                      "glia-builtin 0 0\n"
                      "glia-builtin 0 0 \n"
                      "glia-builtin x 0 hh\n"
                      "glia-builtin 0x 0 hh\n"
                      "glia-builtin 1 1\n"
                      "NetStim\n"
                      "  glia-builtin 0 0 indented\n"
                      "nrniv: syntax error near line 1\n"
                      "glia-builtin 1 0 IClamp";
    struct index_pkg *p = builtin_list_parse(out);
    assert_int_equal(p->nmods, 2);
    assert_string_equal(p->mods[0].full, "pas");
    assert_string_equal(p->mods[1].full, "IClamp"); /* the last line needs no newline */
    index_pkg_unref(p);
}

static void no_output_is_an_empty_package(void **state)
{
    (void)state;
    struct index_pkg *p = builtin_list_parse(NULL);
    assert_int_equal(p->nmods, 0);
    assert_string_equal(p->name, INDEX_NEURON_PKG);
    index_pkg_unref(p);
    p = builtin_list_parse("");
    assert_int_equal(p->nmods, 0);
    index_pkg_unref(p);
}

/* A name is taken whole, however long: a cut one would be a mechanism
 * NEURON does not have. */
static void a_long_name_is_not_cut(void **state)
{
    (void)state;
    char name[301];
    memset(name, 'm', 300);
    name[300] = '\0';
    char *out = xprintf("glia-builtin 0 0 %s\nglia-builtin 0 0 pas\n", name);
    struct index_pkg *p = builtin_list_parse(out);
    assert_int_equal(p->nmods, 2);
    assert_string_equal(p->mods[0].full, name);
    assert_string_equal(p->mods[1].full, "pas");
    index_pkg_unref(p);
    free(out);
}

/* The cache keeps each kind by modfile_kind_name's word: the same words
 * come back as the same kinds; a library is never a built-in. */
static void kinds_read_back_from_their_words(void **state)
{
    (void)state;
    enum modfile_kind k;
    for (int i = MODFILE_DENSITY; i <= MODFILE_ARTIFICIAL; i++) {
        assert_int_equal(builtin_list_kind(modfile_kind_name((enum modfile_kind)i), &k), 0);
        assert_int_equal(k, i);
    }
    assert_int_equal(builtin_list_kind(modfile_kind_name(MODFILE_LIBRARY), &k), -1);
    assert_int_equal(builtin_list_kind("Density", &k), -1);
    assert_int_equal(builtin_list_kind("", &k), -1);

    struct index_pkg *p = builtin_list_pkg();
    builtin_list_add(p, "ExpSyn", MODFILE_POINT);
    assert_int_equal(p->nmods, 1);
    assert_int_equal(p->mods[0].info.kind, MODFILE_POINT);
    assert_string_equal(p->mods[0].asset, "ExpSyn");
    index_pkg_unref(p);
}

/* What is run and what is read agree: the command prints the lines the
 * parser takes. */
static void the_command_prints_what_the_parser_reads(void **state)
{
    (void)state;
    assert_string_equal(builtin_list_argv[0], "nrniv");
    int prints_tag = 0;
    for (size_t i = 0; builtin_list_argv[i]; i++)
        prints_tag |= strstr(builtin_list_argv[i], "printf(\"glia-builtin %d %d %s\\n\"") != NULL;
    assert_true(prints_tag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nrnivs_listing_gives_every_mechanism_with_its_kind),
        cmocka_unit_test(lines_that_are_not_the_listing_are_left_out),
        cmocka_unit_test(no_output_is_an_empty_package),
        cmocka_unit_test(a_long_name_is_not_cut),
        cmocka_unit_test(kinds_read_back_from_their_words),
        cmocka_unit_test(the_command_prints_what_the_parser_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
