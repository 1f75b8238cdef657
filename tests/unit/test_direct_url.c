/*
 * direct_url: the source dir of an editable install from pip's
 * direct_url.json, and nothing from any other install or from text that
 * is no such JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "direct_url.h"

static void expect_dir(const char *json, const char *dir)
{
    char *got = direct_url_editable_dir(json);
    if (!dir) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, dir);
    free(got);
}

/* As pip writes it (json.dumps, keys sorted, pathlib's as_uri()). */
static void an_editable_install_names_its_source_dir(void **state)
{
    (void)state;
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///home/me/src/glia_dbbs\"}",
               "/home/me/src/glia_dbbs");
    /* Key order and spacing are JSON's business. */
    expect_dir("{\"url\":\"file:///src/x\",\n  \"dir_info\":{ \"editable\" : true }}", "/src/x");
}

/* as_uri() escapes spaces and every non-ASCII byte. */
static void percent_escapes_are_decoded(void **state)
{
    (void)state;
    expect_dir(
        "{\"dir_info\": {\"editable\": true}, \"url\": \"file:///tmp/my%20pkg/%C3%A9t%c3%a9\"}",
        "/tmp/my pkg/\xc3\xa9t\xc3\xa9");
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///a%25b/100%\"}",
               "/a%b/100%"); /* a lone % is kept */
    /* A NUL byte ends no path of a real dir. */
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///a%00b\"}", NULL);
}

/* JSON's own escapes are JSON's: \u00e9 is é, \/ is /, \" is ". */
static void json_escapes_are_decoded(void **state)
{
    (void)state;
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:\\/\\/\\/src\\/\\u00e9\"}",
               "/src/\xc3\xa9");
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///src/a\\\"b\"}",
               "/src/a\"b");
}

static void file_urls_of_this_host_only(void **state)
{
    (void)state;
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file://localhost/src\"}", "/src");
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file://otherhost/src\"}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:relative\"}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"https://example.org/src\"}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"FILE:///src\"}", NULL);
}

/* A plain `pip install DIR`, a wheel, a VCS checkout: installed into
 * site-packages, read from there. */
static void installs_that_are_not_editable_give_nothing(void **state)
{
    (void)state;
    expect_dir("{\"dir_info\": {}, \"url\": \"file:///src/x\"}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": false}, \"url\": \"file:///src/x\"}", NULL);
    expect_dir("{\"archive_info\": {\"hashes\": {\"sha256\": \"c5f4\"}}, "
               "\"url\": \"file:///tmp/wheels/x-1.0-py3-none-any.whl\"}",
               NULL);
    expect_dir("{\"url\": \"https://github.com/me/x.git\", \"vcs_info\": {\"commit_id\": "
               "\"7f1e\", \"vcs\": \"git\"}}",
               NULL);
    /* `editable` counts only where PEP 610 puts it. */
    expect_dir("{\"editable\": true, \"url\": \"file:///src/x\"}", NULL);
    expect_dir("{\"archive_info\": {\"editable\": true}, \"url\": \"file:///src/x\"}", NULL);
}

static void keys_missing_or_of_another_type_give_nothing(void **state)
{
    (void)state;
    expect_dir("{\"dir_info\": {\"editable\": true}}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": 7}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": \"true\"}, \"url\": \"file:///src\"}", NULL);
    expect_dir("{\"dir_info\": {\"editable\": 1}, \"url\": \"file:///src\"}", NULL);
    expect_dir("{\"dir_info\": true, \"url\": \"file:///src\"}", NULL);
    expect_dir("[\"file:///src\"]", NULL);
}

/* A file caught half written, or not JSON at all. */
static void malformed_json_gives_nothing(void **state)
{
    (void)state;
    expect_dir(NULL, NULL);
    expect_dir("", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///src", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///src\"", NULL);
    expect_dir("{\"dir_info\": {\"editable\": true}, \"url\": \"file:///src\"} trailing", NULL);
    expect_dir("{'dir_info': {'editable': True}, 'url': 'file:///src'}", NULL);
    /* Two urls: which one pip meant cannot be told. */
    expect_dir(
        "{\"dir_info\": {\"editable\": true}, \"url\": \"file:///a\", \"url\": \"file:///b\"}",
        NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_editable_install_names_its_source_dir),
        cmocka_unit_test(percent_escapes_are_decoded),
        cmocka_unit_test(json_escapes_are_decoded),
        cmocka_unit_test(file_urls_of_this_host_only),
        cmocka_unit_test(installs_that_are_not_editable_give_nothing),
        cmocka_unit_test(keys_missing_or_of_another_type_give_nothing),
        cmocka_unit_test(malformed_json_gives_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
