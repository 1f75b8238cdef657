/*
 * Unit tests for gliactl's pkg_text_*: the edits `pkg add` and `remove`
 * make to a package's __init__.py and what `pkg new` derives from a name.
 * The file must stay as its author wrote it but for the one list item.
 */
#include "pkg.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define HEAD "\"\"\"Doc: mods=[not this one]\"\"\"\nfrom glia import Package, Mod\n\n"

static void expect_add(const char *in, const char *path, const char *entry, const char *want)
{
    char *out = pkg_text_add_mod(in, path, entry);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void empty_list_is_opened_up(void **state)
{
    (void)state;
    expect_add(HEAD "package = Package(\n    \"p\",\n    here,\n    mods=[],\n)\n", "mods/A__0.mod",
               "Mod(\"mods/A__0.mod\", \"A\")",
               HEAD "package = Package(\n    \"p\",\n    here,\n    mods=[\n"
                    "        Mod(\"mods/A__0.mod\", \"A\"),\n    ],\n)\n");
}

static void item_goes_last_with_the_items_indent(void **state)
{
    (void)state;
    const char *in = HEAD "package = Package(\"p\", here, mods=[\n"
                          "  Mod(\"mods/A__0.mod\", \"A\")  # first\n]) # end\n";
    expect_add(in, "mods/B__0.mod", "Mod(\"mods/B__0.mod\", \"B\")",
               HEAD "package = Package(\"p\", here, mods=[\n"
                    "  Mod(\"mods/A__0.mod\", \"A\"),  # first\n  Mod(\"mods/B__0.mod\", \"B\"),\n"
                    "]) # end\n");
    /* All on one line: inline. */
    expect_add("p = Package(\"p\", here, mods=[Mod(\"mods/A__0.mod\", \"A\")])\n", "mods/B__0.mod",
               "Mod(\"mods/B__0.mod\", \"B\")",
               "p = Package(\"p\", here, mods=[Mod(\"mods/A__0.mod\", \"A\"), "
               "Mod(\"mods/B__0.mod\", \"B\")])\n");
}

static void same_file_is_replaced_not_repeated(void **state)
{
    (void)state;
    const char *in = "package = Package(\"p\", here, mods=[\n    Mod(\"mods/A__0.mod\", \"A\"),\n"
                     "    Mod(\"mods/B__0.mod\", \"B\"),\n])\n";
    expect_add(in, "mods/A__0.mod", "Mod(\"mods/A__0.mod\", \"A\", is_point_process=True)",
               "package = Package(\"p\", here, mods=[\n"
               "    Mod(\"mods/A__0.mod\", \"A\", is_point_process=True),\n"
               "    Mod(\"mods/B__0.mod\", \"B\"),\n])\n");
    char *out = pkg_text_remove_mod(in, "mods/A__0.mod");
    assert_string_equal(out, "package = Package(\"p\", here, mods=[\n"
                             "    Mod(\"mods/B__0.mod\", \"B\"),\n])\n");
    free(out);
    assert_null(pkg_text_remove_mod(in, "mods/C__0.mod"));
}

static void no_list_no_edit(void **state)
{
    (void)state;
    assert_null(pkg_text_add_mod("package = None\n", "mods/A__0.mod", "Mod()"));
    assert_null(pkg_text_add_mod("x = Package(\"p\", mods=[\n", "mods/A__0.mod", "Mod()"));
}

static void entries_as_glia4_writes_them(void **state)
{
    (void)state;
    char *a = pkg_text_mod_entry("mods/Na__0.mod", "Na", "0", MODFILE_DENSITY);
    char *b = pkg_text_mod_entry("mods/AMPA__1.mod", "AMPA", "1", MODFILE_POINT);
    char *c = pkg_text_mod_entry("mods/F__0.mod", "F", "0", MODFILE_ARTIFICIAL);
    assert_string_equal(a, "Mod(\"mods/Na__0.mod\", \"Na\")");
    assert_string_equal(
        b, "Mod(\"mods/AMPA__1.mod\", \"AMPA\", variant=\"1\", is_point_process=True)");
    assert_string_equal(c, "Mod(\"mods/F__0.mod\", \"F\", is_artificial_cell=True)");
    free(a);
    free(b);
    free(c);
}

static void slugs(void **state)
{
    (void)state;
    const char *cases[][2] = {{"Glia Package", "glia_package"},
                              {"  Cerebellum -- Channels! ", "cerebellum_channels"},
                              {"3D cells", "glia_3d_cells"},
                              {"!!!", "glia"},
                              {"a__b", "a_b"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = pkg_text_slug(cases[i][0]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

static void entry_point_of_pyproject(void **state)
{
    (void)state;
    char *name, *target;
    assert_int_equal(pkg_text_entry_point("[project]\nname = \"x\"\n\n"
                                          "[project.entry-points.'glia.package']\n# mine\n"
                                          "my_pkg = \"my_pkg:package\"\n[tool.x]\n",
                                          &name, &target),
                     0);
    assert_string_equal(name, "my_pkg");
    assert_string_equal(target, "my_pkg:package");
    free(name);
    free(target);
    assert_int_equal(
        pkg_text_entry_point("[project.entry-points.\"glia.package\"]\n[x]\na = \"b\"\n", &name,
                             &target),
        -1);
    assert_int_equal(pkg_text_entry_point("[project]\n", &name, &target), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_list_is_opened_up),
        cmocka_unit_test(item_goes_last_with_the_items_indent),
        cmocka_unit_test(same_file_is_replaced_not_repeated),
        cmocka_unit_test(no_list_no_edit),
        cmocka_unit_test(entries_as_glia4_writes_them),
        cmocka_unit_test(slugs),
        cmocka_unit_test(entry_point_of_pyproject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
