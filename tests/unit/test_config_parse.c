/*
 * config_parse: gliad.ini's text to settings, and every refusal naming
 * file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_parse.h"
#include "os.h"
#include "util.h"

/* The levels as the log numbers them (error 0 .. debug 3). */
static int level_of(const char *word)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(word, names[i]) == 0)
            return i;
    return -1;
}

static const struct config_source src = {
    .name = "gliad.ini", .dir = "/etc/glia", .home = "/home/me", .log_level_parse = level_of};

/* The defaults system/config.c would set, as plain values. */
static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->socket = xstrdup("/run/default.sock");
    c->state_dir = xstrdup("/state");
    c->cache_dir = xstrdup("/cache");
    c->collection = xstrdup("/collection");
    c->jobs = 2;
    c->debounce_ms = 200;
    c->log_level = 2;
    c->keep_generations = 3;
    c->cache_max_mb = 1024;
    c->neuron.timeout_s = 300;
}

/* A file of the repository's test data, whole. */
static char *read_text(const char *path)
{
    char *text = file_read(path, 1u << 16, NULL);
    assert_non_null(text);
    return text;
}

/* Parses text over the defaults; the error (or "") in err. */
static int parse(struct config *c, const char *text, char *err, size_t errlen)
{
    defaults(c);
    err[0] = '\0';
    return config_parse_text(c, text, &src, err, errlen);
}

static void no_file_means_defaults_and_the_python_on_path(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, NULL, err, sizeof(err)), 0);
    assert_string_equal(c.socket, "/run/default.sock");
    assert_int_equal(c.jobs, 2);
    assert_true(c.python_default);
    assert_int_equal(c.nenvs, 1);
    assert_string_equal(c.envs[0].name, CONFIG_DEFAULT_ENV);
    assert_int_equal(c.envs[0].nsite, 0);
    config_free(&c);

    /* A file of comments alone is the same. */
    assert_int_equal(parse(&c, "; nothing\n\n# set\n", err, sizeof(err)), 0);
    assert_true(c.python_default);
    config_free(&c);
}

/* Relative paths are the file's dir's, "~/" is the home; words that are
 * no paths (cc, cflags, include_dirs, nrnivmodl) are kept as written. */
static void every_key_is_read(void **state)
{
    (void)state;
    char *text = read_text(TEST_DATA_DIR "/config/every_key.ini");
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(c.socket, "/etc/glia/run/gliad.sock");
    assert_string_equal(c.state_dir, "/home/me/state");
    assert_string_equal(c.cache_dir, "/var/cache/glia");
    assert_string_equal(c.collection, "/etc/glia/collection");
    assert_int_equal(c.jobs, 7);
    assert_int_equal(c.debounce_ms, 0);
    assert_int_equal(c.log_level, 3);
    assert_int_equal(c.keep_generations, 5);
    assert_int_equal(c.cache_max_mb, 16);
    assert_int_equal(c.allow_overlap, 1);
    assert_string_equal(c.neuron.nocmodl, "/etc/glia/bin/nocmodl");
    assert_string_equal(c.neuron.nrnunits, "/home/me/nrnunits.lib");
    assert_string_equal(c.neuron.cc, "ccache gcc");
    assert_string_equal(c.neuron.cflags, "-O1 -fPIC");
    assert_string_equal(c.neuron.include_dirs, "/usr/include:inc");
    assert_string_equal(c.neuron.lib_dir, "/opt/nrn/lib");
    assert_string_equal(c.neuron.nrnivmodl, "nrnivmodl");
    assert_int_equal(c.neuron.timeout_s, 86400);

    assert_false(c.python_default);
    assert_int_equal(c.nenvs, 2);
    assert_string_equal(c.envs[0].name, "sim");
    assert_int_equal(c.envs[0].line, 25);
    assert_int_equal(c.envs[0].backend, CONFIG_BACKEND_NRNIVMODL);
    assert_int_equal(c.envs[0].nsite, 2);
    assert_string_equal(c.envs[0].site_packages[0], "/venvs/sim/site-packages");
    assert_string_equal(c.envs[0].site_packages[1], "/etc/glia/venv/site");
    assert_string_equal(c.envs[1].name, "plain");
    assert_int_equal(c.envs[1].backend, CONFIG_BACKEND_DIRECT);
    assert_string_equal(c.envs[1].site_packages[0], "/home/me/site");
    config_free(&c);
    free(text);
}

/* The example in docs/ shows each key commented out with a value: each
 * of those values, taken as it is shown, is one gliad accepts. */
static void the_documented_example_is_valid_once_uncommented(void **state)
{
    (void)state;
    char *text = read_text(DOCS_DIR "/gliad.ini.example");
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
    assert_true(c.python_default); /* as shipped, all commented out */
    config_free(&c);

    size_t uncommented = 0;
    char *to = text;
    for (const char *from = text; *from;) {
        size_t n = strcspn(from, "\n");
        n += from[n] == '\n';
        if (from[0] == ';' && (from[1] == '[' || (from[1] >= 'a' && from[1] <= 'z'))) {
            from++, n--;
            uncommented++;
        }
        memmove(to, from, n);
        to += n, from += n;
    }
    *to = '\0';
    assert_true(uncommented >= 20);
    assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.nenvs, 2);
    assert_int_equal(c.envs[1].backend, CONFIG_BACKEND_NRNIVMODL);
    assert_string_equal(c.neuron.include_dirs,
                        "/usr/include:/usr/lib/x86_64-linux-gnu/openmpi/include");
    config_free(&c);
    free(text);
}

static void expect_error(const char *text, const char *message)
{
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, text, err, sizeof(err)), -1);
    assert_string_equal(err, message);
    config_free(&c);
}

#define HEAD "[daemon]\nsocket = /s\n"

static void values_out_of_range_name_file_line_and_key(void **state)
{
    (void)state;
    expect_error(HEAD "jobs = many\n",
                 "gliad.ini:3: [daemon] jobs: expected a whole number from 1 to 256, got 'many'");
    expect_error(HEAD "jobs = 0\n",
                 "gliad.ini:3: [daemon] jobs: expected a whole number from 1 to 256, got '0'");
    expect_error(HEAD "jobs = 4x\n",
                 "gliad.ini:3: [daemon] jobs: expected a whole number from 1 to 256, got '4x'");
    expect_error(HEAD "debounce_ms = -5\n", "gliad.ini:3: [daemon] debounce_ms: expected "
                                            "milliseconds from 0 to 60000, got '-5'");
    expect_error(HEAD "cache_max_mb = 15\n",
                 "gliad.ini:3: [daemon] cache_max_mb: expected megabytes, at least 16, got '15'");
    expect_error(HEAD "keep_generations = 99999999999999999999\n",
                 "gliad.ini:3: [daemon] keep_generations: expected a whole number from 1 to "
                 "1000, got '99999999999999999999'");
    expect_error(HEAD "allow_overlap = maybe\n",
                 "gliad.ini:3: [daemon] allow_overlap: expected yes or no, got 'maybe'");
    expect_error(HEAD "log_level = loud\n", "gliad.ini:3: [daemon] log_level: expected error, "
                                            "warn, info or debug, got 'loud'");
    expect_error(HEAD "socket =\n", "gliad.ini:3: [daemon] socket: empty value");
    expect_error("[neuron]\ntimeout_s = 0\n",
                 "gliad.ini:2: [neuron] timeout_s: expected seconds from 1 to 86400, got '0'");
    expect_error("[neuron]\ncc =\n", "gliad.ini:2: [neuron] cc: empty value");
}

static void unknown_keys_and_sections_are_refused(void **state)
{
    (void)state;
    expect_error(HEAD "frobnicate = 1\n",
                 "gliad.ini:3: [daemon] frobnicate: unknown key (known: socket, state_dir, "
                 "cache_dir, jobs, debounce_ms, log_level, keep_generations, cache_max_mb, "
                 "allow_overlap, collection)");
    expect_error("[neuron]\nnocmod = x\n",
                 "gliad.ini:2: [neuron] nocmod: unknown key (known: nocmodl, nrnunits, cc, "
                 "cflags, include_dirs, lib_dir, nrnivmodl, timeout_s)");
    expect_error(HEAD "\n[frob]\nkey = 1\n", "gliad.ini:5: [frob] key: unknown section (known: "
                                             "[daemon], [neuron], [env:NAME])");
    expect_error("jobs = 2\n" HEAD,
                 "gliad.ini:1: [] jobs: keys must be inside a section such as [daemon]");
    expect_error(HEAD "this is not ini\n",
                 "gliad.ini:3: not a valid INI line (expected [section] or key = value)");
}

/* inih reports the line of its first error: the words must be that
 * line's, whichever of a refusal and a syntax error comes first. */
static void the_first_error_is_the_one_reported(void **state)
{
    (void)state;
    expect_error(HEAD "this is not ini\nfrobnicate = 1\n",
                 "gliad.ini:3: not a valid INI line (expected [section] or key = value)");
    expect_error(HEAD "jobs = 0\njobs = many\nnot ini\n",
                 "gliad.ini:3: [daemon] jobs: expected a whole number from 1 to 256, got '0'");
}

static void environments_need_their_site_packages(void **state)
{
    (void)state;
    expect_error(HEAD "[env:x]\nsite_packages = /tmp\nsites = /tmp\n",
                 "gliad.ini:5: [env:x] sites: unknown key (known: site_packages, backend)");
    expect_error(HEAD "[env:x]\nsite_packages = /a\nsite_packages = /b\n",
                 "gliad.ini:5: [env:x] site_packages: given twice");
    expect_error(HEAD "[env:x]\nsite_packages = ::\n",
                 "gliad.ini:4: [env:x] site_packages: expected DIR[:DIR...], got '::'");
    expect_error(HEAD "[env:x]\nsite_packages = /a\nbackend = cmake\n",
                 "gliad.ini:5: [env:x] backend: expected direct or nrnivmodl, got 'cmake'");
    expect_error(HEAD "[env:a b]\nsite_packages = /tmp\n",
                 "gliad.ini:4: [env:a b] site_packages: environment names must be non-empty, "
                 "without spaces, '/' or ':'");
    /* A section without keys is an env all the same, named at its header. */
    expect_error(HEAD "[env:ok]\nsite_packages = /a\n\n[env:empty]\n; nothing yet\n",
                 "gliad.ini:6: [env:empty] needs site_packages = DIR[:DIR...]");
    expect_error(HEAD "[env:x]\nbackend = direct\n",
                 "gliad.ini:3: [env:x] needs site_packages = DIR[:DIR...]");
}

/* Debian's inih holds 200 bytes a line: a longer line would be read as
 * two, so it is refused; one that just fits is whole. */
static void a_line_longer_than_inih_reads_is_refused(void **state)
{
    (void)state;
    /* "site_packages = /" and 182 digits: 199 characters. */
    char *fits = xprintf(HEAD "[env:x]\nsite_packages = /%0182d\n", 0);
    char *over = xprintf(HEAD "[env:x]\nsite_packages = /%0183d\n", 0);
    char *last = xprintf(HEAD "[env:x]\nsite_packages = /%0182d", 0); /* no newline */
    struct config c;
    char err[256];
    assert_int_equal(parse(&c, fits, err, sizeof(err)), 0);
    assert_int_equal(strlen(c.envs[0].site_packages[0]), 183);
    config_free(&c);
    assert_int_equal(parse(&c, last, err, sizeof(err)), 0);
    assert_int_equal(strlen(c.envs[0].site_packages[0]), 183);
    config_free(&c);
    expect_error(over, "gliad.ini:4: line longer than 198 characters, which is all inih reads");
    free(fits);
    free(over);
    free(last);
}

static void a_path_without_a_dir_or_home_stays_as_written(void **state)
{
    (void)state;
    struct config_source bare = {.name = "x.ini", .log_level_parse = level_of};
    struct config c;
    char err[256];
    defaults(&c);
    assert_int_equal(
        config_parse_text(&c, "[daemon]\nsocket = ~/s\nstate_dir = st\n", &bare, err, sizeof(err)),
        0);
    assert_string_equal(c.socket, "~/s");
    assert_string_equal(c.state_dir, "st");
    config_free(&c);
}

static void yes_and_no_as_ini_files_write_them(void **state)
{
    (void)state;
    const char *yes[] = {"yes", "TRUE", "on", "1"}, *no[] = {"No", "false", "OFF", "0"};
    for (size_t i = 0; i < 4; i++) {
        struct config c;
        char err[256];
        char *t = xprintf("[daemon]\nallow_overlap = %s\n", yes[i]);
        assert_int_equal(parse(&c, t, err, sizeof(err)), 0);
        assert_int_equal(c.allow_overlap, 1);
        config_free(&c);
        free(t);
        t = xprintf("[daemon]\nallow_overlap = yes\nallow_overlap = %s\n", no[i]);
        assert_int_equal(parse(&c, t, err, sizeof(err)), 0);
        assert_int_equal(c.allow_overlap, 0);
        config_free(&c);
        free(t);
    }
}

static void split_path_drops_empty_parts(void **state)
{
    (void)state;
    size_t n;
    char **v = config_split_path(":/a::b/c:", &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "/a");
    assert_string_equal(v[1], "b/c");
    strv_free(v, n);
    v = config_split_path("", &n);
    assert_int_equal(n, 0);
    assert_null(v);
    v = config_split_path(":::", &n);
    assert_int_equal(n, 0);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_file_means_defaults_and_the_python_on_path),
        cmocka_unit_test(every_key_is_read),
        cmocka_unit_test(the_documented_example_is_valid_once_uncommented),
        cmocka_unit_test(values_out_of_range_name_file_line_and_key),
        cmocka_unit_test(unknown_keys_and_sections_are_refused),
        cmocka_unit_test(the_first_error_is_the_one_reported),
        cmocka_unit_test(environments_need_their_site_packages),
        cmocka_unit_test(a_line_longer_than_inih_reads_is_refused),
        cmocka_unit_test(a_path_without_a_dir_or_home_stays_as_written),
        cmocka_unit_test(yes_and_no_as_ini_files_write_them),
        cmocka_unit_test(split_path_drops_empty_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
