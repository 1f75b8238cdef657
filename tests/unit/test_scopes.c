/*
 * Unit tests for scopes: the order and names of the scopes one resolution
 * runs with (gliad's global preference lowest, then the client's as sent),
 * checked on the structs and through resolve() on plain candidates.
 */
#include "resolve.h"
#include "scopes.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#define countof(a) (sizeof(a) / sizeof((a)[0]))

/* HHna from two packages; rival's has two variants. */
enum { DEMO_0, RIVAL_0, RIVAL_FAST };
static const struct resolve_cand hhna[] = {
    [DEMO_0] = {"glia__demo__HHna__0", "demo", "0"},
    [RIVAL_0] = {"glia__rival__HHna__0", "rival", "0"},
    [RIVAL_FAST] = {"glia__rival__HHna__fast", "rival", "fast"},
};

static struct resolve_result run(const struct scopes *s)
{
    struct resolve_query q = {"HHna", s->v, s->n, {NULL, NULL}};
    struct resolve_result r;
    resolve(hhna, countof(hhna), &q, &r);
    return r;
}

static void global_only(void **state)
{
    (void)state;
    struct scopes s;
    scopes_build(&s, "HHna", NULL, NULL, 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0].name, "global");
    assert_int_equal(s.v[0].nassets, 0);
    assert_null(s.v[0].general.pkg);

    const struct resolve_pref rival = {"rival", NULL};
    scopes_build(&s, "HHna", &rival, NULL, 0);
    assert_int_equal(s.v[0].nassets, 1);
    assert_string_equal(s.v[0].assets[0].asset, "HHna");
    assert_string_equal(s.v[0].assets[0].pref.pkg, "rival");
    assert_null(s.v[0].assets[0].pref.variant);
    struct resolve_result r = run(&s);
    assert_int_equal(r.status, RESOLVE_OK);
    assert_int_equal(r.chosen, RIVAL_0); /* rival's variant 0 breaks the tie */
    assert_string_equal(r.pkg_from, "global");
}

/* Unnamed: the first the client sends is its script, the rest contexts. */
static void client_scopes_follow_with_their_names(void **state)
{
    (void)state;
    const struct resolve_scope client[] = {
        {NULL, {"demo", NULL}, NULL, 0},
        {"with glia.context(pkg='rival')", {"rival", NULL}, NULL, 0},
        {NULL, {NULL, "fast"}, NULL, 0},
        {NULL, {NULL, NULL}, NULL, 0},
    };
    struct scopes s;
    scopes_build(&s, "HHna", NULL, client, countof(client));
    assert_int_equal(s.n, 5);
    assert_string_equal(s.v[0].name, "global");
    assert_string_equal(s.v[1].name, "script");
    assert_string_equal(s.v[2].name, "with glia.context(pkg='rival')");
    assert_string_equal(s.v[3].name, "context 2");
    assert_string_equal(s.v[4].name, "context 3");
    assert_string_equal(s.v[1].general.pkg, "demo");
    assert_string_equal(s.v[3].general.variant, "fast");
    assert_null(client[0].name); /* the caller's array is left as it was */
}

/* Each scope beats the ones below it, field by field. */
static void higher_scopes_win(void **state)
{
    (void)state;
    const struct resolve_pref global = {"demo", NULL};
    struct scopes s;
    scopes_build(&s, "HHna", &global, NULL, 0);
    assert_int_equal(run(&s).chosen, DEMO_0);

    const struct resolve_scope script[] = {{NULL, {"rival", NULL}, NULL, 0}};
    scopes_build(&s, "HHna", &global, script, 1);
    struct resolve_result r = run(&s);
    assert_int_equal(r.chosen, RIVAL_0); /* global's demo would give DEMO_0 */
    assert_string_equal(r.pkg_from, "script");

    const struct resolve_asset_pref fast = {"HHna", {NULL, "fast"}};
    const struct resolve_scope two[] = {{NULL, {"rival", NULL}, NULL, 0},
                                        {NULL, {NULL, NULL}, &fast, 1}};
    scopes_build(&s, "HHna", &global, two, 2);
    r = run(&s);
    assert_int_equal(r.chosen, RIVAL_FAST); /* the context adds its variant */
    assert_string_equal(r.pkg_from, "script");
    assert_string_equal(r.variant_from, "context 1");
}

/* A client scope's preferences for other assets leave this one's alone,
 * and the global preference stays in force under them. */
static void other_assets_do_not_count(void **state)
{
    (void)state;
    const struct resolve_pref global = {"demo", NULL};
    const struct resolve_asset_pref kv1 = {"Kv1", {"rival", "fast"}};
    const struct resolve_scope script[] = {{NULL, {NULL, NULL}, &kv1, 1}};
    struct scopes s;
    scopes_build(&s, "HHna", &global, script, 1);
    struct resolve_result r = run(&s);
    assert_int_equal(r.chosen, DEMO_0);
    assert_string_equal(r.pkg_from, "global");
}

/* An asset named twice in one scope: the later entry wins for each field
 * it sets, rather than replacing the earlier entry whole. */
static void an_asset_twice_merges_field_by_field(void **state)
{
    (void)state;
    const struct resolve_asset_pref twice[] = {{"HHna", {"rival", NULL}}, {"HHna", {NULL, "fast"}}};
    const struct resolve_scope script[] = {{NULL, {NULL, NULL}, twice, 2}};
    struct scopes s;
    scopes_build(&s, "HHna", NULL, script, 1);
    struct resolve_result r = run(&s);
    assert_int_equal(r.chosen, RIVAL_FAST);
    assert_string_equal(r.pkg_from, "script");
    assert_string_equal(r.variant_from, "script");
}

/* The most a request may send: every name fits its buffer. */
static void as_many_scopes_as_allowed(void **state)
{
    (void)state;
    static struct resolve_scope client[SCOPES_MAX_CLIENT];
    static struct scopes s;
    scopes_build(&s, "HHna", NULL, client, SCOPES_MAX_CLIENT);
    assert_int_equal(s.n, SCOPES_MAX_CLIENT + 1);
    assert_string_equal(s.v[SCOPES_MAX_CLIENT].name, "context 63");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(global_only),
        cmocka_unit_test(client_scopes_follow_with_their_names),
        cmocka_unit_test(higher_scopes_win),
        cmocka_unit_test(other_assets_do_not_count),
        cmocka_unit_test(an_asset_twice_merges_field_by_field),
        cmocka_unit_test(as_many_scopes_as_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
