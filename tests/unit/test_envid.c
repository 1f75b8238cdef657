/*
 * Unit tests for envid: which environment a Python's site-packages dirs
 * are, the way venvs are laid out on Debian.
 */
#include "envid.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#define N(v) (sizeof(v) / sizeof((v)[0]))

static char *SYS[] = {"/usr/local/lib/python3.11/dist-packages", "/usr/lib/python3/dist-packages"};
/* A --system-site-packages venv at /v: its own dir, then the system's. */
static char *VENV[] = {"/v/lib/python3.11/site-packages", "/usr/local/lib/python3.11/dist-packages",
                       "/usr/lib/python3/dist-packages"};
static char *VENV2[] = {"/w/lib/python3.11/site-packages",
                        "/usr/local/lib/python3.11/dist-packages",
                        "/usr/lib/python3/dist-packages"};

/* How the Python at prefix with dirs relates to an env (own: prefix's, or
 * all of them for a config env, prefix NULL). */
static enum envid_relation relate(const char *prefix, char **dirs, size_t n, const char *eprefix,
                                  char **edirs, size_t en)
{
    size_t nown, enown;
    char **own = envid_own(prefix, dirs, n, &nown);
    char **eown = envid_own(eprefix, edirs, en, &enown);
    struct envid py = {dirs, n, own, nown}, env = {edirs, en, eown, enown};
    enum envid_relation r = envid_relate(&py, &env);
    free(own);
    free(eown);
    return r;
}

static void test_own_dirs_are_under_the_prefix(void **state)
{
    (void)state;
    size_t n;
    char **own = envid_own("/v", VENV, N(VENV), &n);
    assert_int_equal(n, 1);
    assert_string_equal(own[0], VENV[0]);
    free(own);
    /* "/vx" is not under "/v"; no prefix (a config env): all its own. */
    char *other[] = {"/vx/lib/site-packages"};
    own = envid_own("/v/", other, 1, &n);
    assert_int_equal(n, 1);
    free(own);
    own = envid_own(NULL, VENV, N(VENV), &n);
    assert_int_equal(n, N(VENV));
    free(own);
}

static void test_same_dirs_are_the_same_env(void **state)
{
    (void)state;
    assert_int_equal(relate("/v", VENV, N(VENV), NULL, VENV, N(VENV)), ENVID_SAME);
    assert_int_equal(relate("/usr", SYS, N(SYS), NULL, SYS, N(SYS)), ENVID_SAME);
}

static void test_config_of_the_venvs_own_dir_is_the_venv(void **state)
{
    (void)state;
    char *conf[] = {VENV[0]};
    assert_int_equal(relate("/v", VENV, N(VENV), NULL, conf, 1), ENVID_SAME);
}

static void test_venvs_sharing_the_system_dirs_are_apart(void **state)
{
    (void)state;
    assert_int_equal(relate("/w", VENV2, N(VENV2), "/v", VENV, N(VENV)), ENVID_APART);
    /* A venv over the system python's env, and the system python beside a venv. */
    assert_int_equal(relate("/v", VENV, N(VENV), NULL, SYS, N(SYS)), ENVID_APART);
    assert_int_equal(relate("/usr", SYS, N(SYS), "/v", VENV, N(VENV)), ENVID_APART);
}

static void test_own_dirs_served_in_part_overlap(void **state)
{
    (void)state;
    /* The env also serves a dir this Python does not see. */
    char *more[] = {VENV[0], "/elsewhere/site-packages"};
    assert_int_equal(relate("/v", VENV, N(VENV), NULL, more, N(more)), ENVID_OVERLAP);
    /* The env serves one of this Python's two own dirs. */
    char *two[] = {"/v/lib/python3.11/site-packages", "/v/lib/python3/dist-packages"};
    char *one[] = {two[1]};
    assert_int_equal(relate("/v", two, N(two), NULL, one, 1), ENVID_OVERLAP);
}

static void test_no_dirs_is_no_env(void **state)
{
    (void)state;
    assert_int_equal(relate("/v", NULL, 0, NULL, NULL, 0), ENVID_APART);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_dirs_are_under_the_prefix),
        cmocka_unit_test(test_same_dirs_are_the_same_env),
        cmocka_unit_test(test_config_of_the_venvs_own_dir_is_the_venv),
        cmocka_unit_test(test_venvs_sharing_the_system_dirs_are_apart),
        cmocka_unit_test(test_own_dirs_served_in_part_overlap),
        cmocka_unit_test(test_no_dirs_is_no_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
