/*
 * Unit tests for resolve: one test per rule of docs/resolution.md, each built
 * so that breaking its rule changes the outcome (the comment on each says
 * what a broken rule would pick instead).
 */
#include "resolve.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define countof(a) (sizeof(a) / sizeof((a)[0]))

/* Kv1 as shipped by two packages, in an order that puts no "0" first. */
enum { DBBS_FAST, DBBS_0, OTHER_SLOW, OTHER_0 };
static const struct resolve_cand kv1[] = {
    [DBBS_FAST] = {"glia__dbbs__Kv1__fast", "dbbs", "fast"},
    [DBBS_0] = {"glia__dbbs__Kv1__0", "dbbs", "0"},
    [OTHER_SLOW] = {"glia__other__Kv1__slow", "other", "slow"},
    [OTHER_0] = {"glia__other__Kv1__0", "other", "0"},
};

/* Only dbbs ships it: a preference for "other" matches nothing. */
static const struct resolve_cand kv1_dbbs[] = {
    {"glia__dbbs__Kv1__fast", "dbbs", "fast"},
    {"glia__dbbs__Kv1__0", "dbbs", "0"},
};

static const struct resolve_pref none = {NULL, NULL};

static struct resolve_scope scope(const char *name, const char *pkg, const char *variant)
{
    return (struct resolve_scope){name, {pkg, variant}, NULL, 0};
}

static struct resolve_scope scope_assets(const char *name, const char *pkg, const char *variant,
                                         const struct resolve_asset_pref *assets, size_t n)
{
    return (struct resolve_scope){name, {pkg, variant}, assets, n};
}

static struct resolve_query query(const struct resolve_scope *scopes, size_t n,
                                  struct resolve_pref call)
{
    return (struct resolve_query){"Kv1", scopes, n, call};
}

static void assert_chosen(const struct resolve_result *r, size_t index)
{
    assert_int_equal(r->status, RESOLVE_OK);
    assert_int_equal(r->chosen, index);
}

static void assert_from(const char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

/* --- plain outcomes --------------------------------------------------- */

static void unknown_asset(void **state)
{
    struct resolve_scope s[] = {scope("global", "dbbs", NULL)};
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){"dbbs", "0"});
    struct resolve_result r;

    (void)state;
    resolve(NULL, 0, &q, &r);
    assert_int_equal(r.status, RESOLVE_UNKNOWN_ASSET);
    assert_string_equal(resolve_status_code(r.status), "unknown_asset");
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(r.chosen, SIZE_MAX);
}

static void single_candidate(void **state)
{
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    resolve(&kv1[OTHER_SLOW], 1, &q, &r);
    assert_chosen(&r, 0);
    assert_false(r.tie_break);
    assert_false(r.fell_back);
    assert_null(r.wanted.pkg);
    assert_null(r.wanted.variant);
    assert_null(r.pkg_from);
    assert_null(r.variant_from);
}

/* --- the tie-break -------------------------------------------------------- */

/* Broken (no tie-break, or first match taken): ambiguous, or dbbs "fast". */
static void tie_break_to_variant_0(void **state)
{
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    resolve(kv1_dbbs, countof(kv1_dbbs), &q, &r);
    assert_chosen(&r, 1);
    assert_true(r.tie_break);
    assert_int_equal(r.nmatches, 2);
}

/* Broken (tie-break across packages): dbbs "0" would be picked. */
static void no_tie_break_across_packages(void **state)
{
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    assert_string_equal(resolve_status_code(r.status), "ambiguous");
    assert_int_equal(r.chosen, SIZE_MAX);
    assert_int_equal(r.nmatches, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(r.matches[i], i);
    assert_false(r.tie_break);

    /* Only one package has a "0": still two packages, still ambiguous. */
    resolve(&kv1[DBBS_0], 2, &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    assert_int_equal(r.nmatches, 2);
    assert_int_equal(r.matches[0], 0);
    assert_int_equal(r.matches[1], 1);
}

/* Broken (any single package resolves): "fast" would be picked. */
static void ambiguous_without_variant_0(void **state)
{
    static const struct resolve_cand c[] = {
        {"glia__dbbs__Kv1__fast", "dbbs", "fast"},
        {"glia__dbbs__Kv1__slow", "dbbs", "slow"},
    };
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    resolve(c, countof(c), &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    assert_int_equal(r.nmatches, 2);
    assert_int_equal(r.matches[0], 0);
    assert_int_equal(r.matches[1], 1);
}

/* Two identical "0" candidates are not told apart by input order. */
static void ambiguous_with_two_variant_0(void **state)
{
    static const struct resolve_cand c[] = {
        {"glia__dbbs__Kv1__0", "dbbs", "0"},
        {"glia__dbbs__Kv1__0", "dbbs", "0"},
    };
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    resolve(c, countof(c), &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
}

/* The tie-break looks at every match, also those past RESOLVE_MAX_MATCHES. */
static void many_matches_counted(void **state)
{
    enum { N = RESOLVE_MAX_MATCHES + 6 };
    static struct resolve_cand c[N];
    static char pkgs[N][16];
    struct resolve_query q = query(NULL, 0, none);
    struct resolve_result r;

    (void)state;
    for (size_t i = 0; i < N; i++) {
        snprintf(pkgs[i], sizeof(pkgs[i]), "p%zu", i);
        c[i] = (struct resolve_cand){"glia__x__Kv1__0", pkgs[i], "0"};
    }
    resolve(c, N, &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    assert_int_equal(r.nmatches, N);
    for (size_t i = 0; i < RESOLVE_MAX_MATCHES; i++)
        assert_int_equal(r.matches[i], i);

    /* One package for the first 64, another one past them: still ambiguous. */
    for (size_t i = 0; i < N; i++)
        c[i] = (struct resolve_cand){"glia__x__Kv1__v", "same", i == 0 ? "0" : "v"};
    c[N - 1].pkg = "late";
    resolve(c, N, &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    c[N - 1].pkg = "same";
    resolve(c, N, &q, &r);
    assert_chosen(&r, 0);
    assert_true(r.tie_break);
}

/* --- field by field, across scopes -------------------------------------- */

/* Broken (general beats asset): other "0". */
static void asset_pref_beats_general_in_same_scope(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {"dbbs", NULL}}};
    struct resolve_scope s[] = {scope_assets("script", "other", NULL, a, countof(a))};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, DBBS_0);
    assert_string_equal(r.wanted.pkg, "dbbs");
    assert_string_equal(r.pkg_from, "script");
}

/* Broken (another asset's preference applied): dbbs "0" instead of other "0". */
static void other_assets_pref_ignored(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv2", {"dbbs", "fast"}},
                                                  {"Kv", {"dbbs", "fast"}}};
    struct resolve_scope s[] = {scope_assets("script", "other", NULL, a, countof(a))};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
}

/*
 * A higher scope's general pkg beats a lower scope's asset preference: the
 * first scope from the top that sets the field decides.
 * Broken (asset preferences ranked above every general one): dbbs "0".
 */
static void higher_general_beats_lower_asset_pref(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {"dbbs", NULL}}};
    struct resolve_scope s[] = {
        scope_assets("script", NULL, NULL, a, countof(a)),
        scope("context 1", "other", NULL),
    };
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
    assert_string_equal(r.pkg_from, "context 1");
}

/*
 * An asset preference that sets only the variant takes the pkg from the same
 * scope's general preference, not from a lower scope.
 * Broken (pkg taken from the lower scope, past this scope's general one):
 * dbbs "slow" matches nothing, the fallback is ambiguous. The next test
 * catches the other way to break it.
 */
static void asset_variant_takes_general_pkg_of_same_scope(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {NULL, "slow"}}};
    struct resolve_scope s[] = {
        scope("global", "dbbs", NULL),
        scope_assets("script", "other", NULL, a, countof(a)),
    };
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_SLOW);
    assert_false(r.fell_back);
    assert_string_equal(r.pkg_from, "script");
    assert_string_equal(r.variant_from, "script");
}

/* Broken (whole-preference semantics, pkg unset = any): ambiguous dbbs/other "0". */
static void asset_variant_with_general_pkg_picks_one(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {NULL, "0"}}};
    struct resolve_scope s[] = {scope_assets("script", "other", NULL, a, countof(a))};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
    assert_false(r.tie_break);
}

/* Broken (outer context wins): dbbs "0". */
static void innermost_context_wins(void **state)
{
    struct resolve_scope s[] = {
        scope("global", NULL, NULL),
        scope("script", NULL, NULL),
        scope("context 1", "dbbs", NULL),
        scope("context 2", "other", NULL),
    };
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
    assert_string_equal(r.pkg_from, "context 2");
}

/* Broken (global consulted last, i.e. highest): dbbs "0". */
static void global_is_lowest(void **state)
{
    struct resolve_scope s[] = {scope("global", "dbbs", NULL), scope("script", "other", NULL)};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
    assert_string_equal(r.pkg_from, "script");
}

/* ... but it still applies when nothing above sets the field. */
static void global_applies_alone(void **state)
{
    struct resolve_scope s[] = {scope("global", "dbbs", "fast"), scope("script", NULL, NULL)};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, DBBS_FAST);
    assert_string_equal(r.pkg_from, "global");
    assert_string_equal(r.variant_from, "global");
}

/* Broken (a scope's asset preference beats the call): dbbs "0". */
static void call_beats_everything(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {"dbbs", "0"}}};
    struct resolve_scope s[] = {
        scope_assets("global", "dbbs", "0", a, countof(a)),
        scope_assets("script", "dbbs", "0", a, countof(a)),
        scope_assets("context 1", "dbbs", "0", a, countof(a)),
    };
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){"other", "slow"});
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_SLOW);
    assert_string_equal(r.pkg_from, "call");
    assert_string_equal(r.variant_from, "call");
}

/* The call sets one field; the other still comes from the scopes. */
static void call_sets_one_field(void **state)
{
    struct resolve_scope s[] = {scope("script", "dbbs", "slow")};
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){"other", NULL});
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_SLOW);
    assert_string_equal(r.pkg_from, "call");
    assert_string_equal(r.variant_from, "script");
}

/* A scope naming an asset twice: per field, the last entry that sets it. */
static void repeated_asset_entry_last_wins(void **state)
{
    static const struct resolve_asset_pref a[] = {
        {"Kv1", {"dbbs", "fast"}},
        {"Kv1", {"other", NULL}},
    };
    struct resolve_scope s[] = {scope_assets("script", NULL, NULL, a, countof(a))};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_string_equal(r.wanted.pkg, "other");
    assert_string_equal(r.wanted.variant, "fast");
}

/* --- falling back ------------------------------------------------------- */

/* Broken (no fallback): no_match. */
static void preference_matching_nothing_falls_back(void **state)
{
    struct resolve_scope s[] = {scope("global", "other", NULL)};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1_dbbs, countof(kv1_dbbs), &q, &r);
    assert_chosen(&r, 1);
    assert_true(r.fell_back);
    assert_true(r.tie_break);
    /* What was asked for is still reported, to explain the fallback. */
    assert_string_equal(r.wanted.pkg, "other");
    assert_string_equal(r.pkg_from, "global");
}

/* Broken (fallback drops the call's pkg too): ambiguous over all four. */
static void fallback_honours_call_pkg(void **state)
{
    struct resolve_scope s[] = {scope("script", NULL, "fast")};
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){"other", NULL});
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, OTHER_0);
    assert_true(r.fell_back);
    assert_true(r.tie_break);
}

/* Broken (fallback drops the call's variant): dbbs "0" by tie-break. */
static void fallback_honours_call_variant(void **state)
{
    struct resolve_scope s[] = {scope("context 1", "other", NULL)};
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){NULL, "fast"});
    struct resolve_result r;

    (void)state;
    resolve(kv1_dbbs, countof(kv1_dbbs), &q, &r);
    assert_chosen(&r, 0);
    assert_true(r.fell_back);
    assert_false(r.tie_break);
}

/* Broken (fallback only yields one candidate): other "0" or dbbs "0". */
static void fallback_can_be_ambiguous(void **state)
{
    struct resolve_scope s[] = {scope("global", "missing", NULL)};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_int_equal(r.status, RESOLVE_AMBIGUOUS);
    assert_true(r.fell_back);
    assert_int_equal(r.nmatches, 4);
}

/* Broken (the call's own pkg treated as a preference): dbbs "0" by fallback. */
static void call_pkg_matching_nothing_is_no_match(void **state)
{
    struct resolve_query q = query(NULL, 0, (struct resolve_pref){"missing", NULL});
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_int_equal(r.status, RESOLVE_NO_MATCH);
    assert_string_equal(resolve_status_code(r.status), "no_match");
    assert_false(r.fell_back);
    assert_int_equal(r.nmatches, 0);
    assert_int_equal(r.chosen, SIZE_MAX);
}

/* With scope preferences too, the fallback keeps the call's pkg and fails. */
static void call_pkg_matching_nothing_after_fallback(void **state)
{
    struct resolve_scope s[] = {scope("script", NULL, "fast")};
    struct resolve_query q = query(s, countof(s), (struct resolve_pref){"missing", NULL});
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_int_equal(r.status, RESOLVE_NO_MATCH);
    assert_true(r.fell_back);
}

/* --- explanations ------------------------------------------------------- */

static void explains_where_each_field_came_from(void **state)
{
    static const struct resolve_asset_pref a[] = {{"Kv1", {"dbbs", NULL}}};
    struct resolve_scope s[] = {
        scope("global", "other", "fast"),
        scope("script", NULL, NULL),
        scope_assets("context 1", NULL, NULL, a, countof(a)),
        scope("context 2", NULL, NULL),
    };
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result r;

    (void)state;
    resolve(kv1, countof(kv1), &q, &r);
    assert_chosen(&r, DBBS_FAST);
    assert_string_equal(r.wanted.pkg, "dbbs");
    assert_string_equal(r.wanted.variant, "fast");
    assert_from(r.pkg_from, "context 1");
    assert_from(r.variant_from, "global");
    assert_int_equal(r.nmatches, 1);
    assert_int_equal(r.matches[0], DBBS_FAST);

    /* Nothing set anywhere: both explanations are NULL. */
    s[0] = scope("global", NULL, NULL);
    s[2] = scope("context 1", NULL, NULL);
    resolve(kv1_dbbs, countof(kv1_dbbs), &q, &r);
    assert_from(r.pkg_from, NULL);
    assert_from(r.variant_from, NULL);
}

static void status_codes(void **state)
{
    (void)state;
    assert_string_equal(resolve_status_code(RESOLVE_OK), "ok");
    assert_string_equal(resolve_status_code(RESOLVE_UNKNOWN_ASSET), "unknown_asset");
    assert_string_equal(resolve_status_code(RESOLVE_NO_MATCH), "no_match");
    assert_string_equal(resolve_status_code(RESOLVE_AMBIGUOUS), "ambiguous");
}

/* The same query twice gives the same answer, whatever *out held before. */
static void deterministic(void **state)
{
    struct resolve_scope s[] = {scope("global", "missing", NULL)};
    struct resolve_query q = query(s, countof(s), none);
    struct resolve_result a, b;

    (void)state;
    memset(&a, 0xa5, sizeof(a));
    memset(&b, 0x5a, sizeof(b));
    resolve(kv1, countof(kv1), &q, &a);
    resolve(kv1, countof(kv1), &q, &b);
    assert_memory_equal(&a, &b, sizeof(a));
}

/* ---- Suggestions for an unknown asset name ---- */

static void distance_counts_each_edit_once(void **state)
{
    (void)state;
    assert_int_equal(resolve_distance("AMPA", "AMPA"), 0);
    assert_int_equal(resolve_distance("", ""), 0);
    assert_int_equal(resolve_distance("", "Na"), 2);
    assert_int_equal(resolve_distance("Nax", "Na"), 1);    /* insertion */
    assert_int_equal(resolve_distance("N", "Na"), 1);      /* deletion */
    assert_int_equal(resolve_distance("Kv2", "Kv1"), 1);   /* substitution */
    assert_int_equal(resolve_distance("AMAP", "AMPA"), 1); /* transposition, not 2 */
    assert_int_equal(resolve_distance("kv1", "Kv1"), 0);   /* case is no edit */
    assert_int_equal(resolve_distance("NA", "Na"), 0);
    assert_int_equal(resolve_distance("Leak", "Kdr"), 4);
    assert_int_equal(resolve_distance("ca", "abc"), 3); /* a swapped pair is not edited again */
    assert_int_equal(resolve_distance("Kdr", "Leak"), resolve_distance("Leak", "Kdr"));
}

static void suggests_the_closest_near_name(void **state)
{
    static const char *const names[] = {"Na", "AMPA", "Kv1", "Kv3", "Leak", "Kdr"};
    (void)state;
    assert_string_equal(resolve_suggest("AMAP", names, countof(names)), "AMPA");
    assert_string_equal(resolve_suggest("Nax", names, countof(names)), "Na");
    assert_string_equal(resolve_suggest("NA", names, countof(names)), "Na");
    assert_string_equal(resolve_suggest("ampa", names, countof(names)), "AMPA");
    assert_string_equal(resolve_suggest("Leek", names, countof(names)), "Leak");
    assert_string_equal(resolve_suggest("Lek", names, countof(names)), "Leak");
    /* Two equally close: the first in name order, whatever the array's. */
    assert_string_equal(resolve_suggest("Kv2", names, countof(names)), "Kv1");
    static const char *const reversed[] = {"Kv3", "Kv1"};
    assert_string_equal(resolve_suggest("Kv2", reversed, countof(reversed)), "Kv1");
}

static void suggests_nothing_far(void **state)
{
    static const char *const names[] = {"Na", "AMPA", "Kv1", "Leak"};
    (void)state;
    assert_null(resolve_suggest("Nope", names, countof(names)));
    assert_null(resolve_suggest("K", names, countof(names)));       /* 1 edit of 1 letter */
    assert_null(resolve_suggest("Nb", names, countof(names)));      /* half the name */
    assert_null(resolve_suggest("AMPAxyz", names, countof(names))); /* 3 edits */
    assert_null(resolve_suggest("", names, countof(names)));
    assert_null(resolve_suggest("Na", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_asset),
        cmocka_unit_test(single_candidate),
        cmocka_unit_test(tie_break_to_variant_0),
        cmocka_unit_test(no_tie_break_across_packages),
        cmocka_unit_test(ambiguous_without_variant_0),
        cmocka_unit_test(ambiguous_with_two_variant_0),
        cmocka_unit_test(many_matches_counted),
        cmocka_unit_test(asset_pref_beats_general_in_same_scope),
        cmocka_unit_test(other_assets_pref_ignored),
        cmocka_unit_test(higher_general_beats_lower_asset_pref),
        cmocka_unit_test(asset_variant_takes_general_pkg_of_same_scope),
        cmocka_unit_test(asset_variant_with_general_pkg_picks_one),
        cmocka_unit_test(innermost_context_wins),
        cmocka_unit_test(global_is_lowest),
        cmocka_unit_test(global_applies_alone),
        cmocka_unit_test(call_beats_everything),
        cmocka_unit_test(call_sets_one_field),
        cmocka_unit_test(repeated_asset_entry_last_wins),
        cmocka_unit_test(preference_matching_nothing_falls_back),
        cmocka_unit_test(fallback_honours_call_pkg),
        cmocka_unit_test(fallback_honours_call_variant),
        cmocka_unit_test(fallback_can_be_ambiguous),
        cmocka_unit_test(call_pkg_matching_nothing_is_no_match),
        cmocka_unit_test(call_pkg_matching_nothing_after_fallback),
        cmocka_unit_test(explains_where_each_field_came_from),
        cmocka_unit_test(status_codes),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(distance_counts_each_edit_once),
        cmocka_unit_test(suggests_the_closest_near_name),
        cmocka_unit_test(suggests_nothing_far),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
