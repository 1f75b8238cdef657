/*
 * index: asset names to candidates, built from packages made here in
 * memory, as a scan would hand them over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index.h"
#include "mechname.h"
#include "util.h"

static struct index_pkg *pkg(const char *name)
{
    struct index_pkg *p = index_pkg_new();
    p->name = xstrdup(name);
    p->entry = xstrdup(name);
    p->module = xstrdup(name);
    p->root = xprintf("/site/%s", name);
    p->layout = INDEX_GLIA4;
    return p;
}

static struct index_mod *fill(struct index_pkg *p, struct index_mod *m, const char *asset,
                              const char *variant, enum modfile_kind kind)
{
    memset(m, 0, sizeof(*m));
    m->pkg = p;
    m->asset = xstrdup(asset);
    m->variant = xstrdup(variant);
    m->pkgname = xstrdup(p->name);
    m->full = mechname_format(p->name, asset, variant);
    m->path = xprintf("%s/mods/%s__%s.mod", p->root, asset, variant);
    m->relpath = xprintf("mods/%s__%s.mod", asset, variant);
    m->info.kind = kind;
    m->info.name = xstrdup(m->full);
    return m;
}

static struct index_mod *mod(struct index_pkg *p, const char *asset, const char *variant)
{
    p->mods = xrealloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
    return fill(p, &p->mods[p->nmods++], asset, variant, MODFILE_DENSITY);
}

static struct index_mod *rejected(struct index_pkg *p, const char *asset, const char *variant)
{
    p->rejected = xrealloc(p->rejected, (p->nrejected + 1) * sizeof(*p->rejected));
    struct index_mod *m = fill(p, &p->rejected[p->nrejected++], asset, variant, MODFILE_DENSITY);
    m->reject_reason = xstrdup("NEURON block never closed");
    m->reject_line = 3;
    return m;
}

static void candidates_of_an_asset_come_from_every_package(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha"), *b = pkg("beta");
    mod(a, "Kv1", "0");
    mod(a, "Kv1", "fast");
    mod(a, "Na", "0");
    mod(b, "Kv1", "0");
    struct index_pkg *pkgs[] = {a, b};
    struct index *idx = index_build(pkgs, 2, NULL, NULL, 0);
    assert_int_equal(idx->npkgs, 2);
    assert_int_equal(idx->nmods, 4);

    const struct index_asset *kv = index_asset(idx, "Kv1");
    assert_non_null(kv);
    assert_string_equal(kv->name, "Kv1");
    assert_int_equal(kv->n, 3);
    /* Package order, then file order; cands parallel to mods for resolve(). */
    const char *fulls[] = {"glia__alpha__Kv1__0", "glia__alpha__Kv1__fast", "glia__beta__Kv1__0"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(kv->mods[i]->full, fulls[i]);
        assert_string_equal(kv->cands[i].full, fulls[i]);
        assert_string_equal(kv->cands[i].pkg, kv->mods[i]->pkgname);
        assert_string_equal(kv->cands[i].variant, kv->mods[i]->variant);
    }
    assert_int_equal(index_asset(idx, "Na")->n, 1);
    assert_null(index_asset(idx, "Ca"));
    assert_ptr_equal(index_mod_by_full(idx, "glia__beta__Kv1__0"), &b->mods[0]);
    assert_null(index_mod_by_full(idx, "glia__beta__Na__0"));
    assert_ptr_equal(index_pkg_by_name(idx, "beta"), b);
    assert_null(index_pkg_by_name(idx, "gamma"));
    index_free(idx);
    index_pkg_unref(a);
    index_pkg_unref(b);
}

/* One NEURON name is one mechanism: the second mod of a name is left out
 * of the library, so it must not be offered either. */
static void a_second_mod_of_the_same_name_is_no_candidate(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha"), *a2 = pkg("alpha");
    struct index_mod *first = mod(a, "Kv1", "0");
    mod(a2, "Kv1", "0");
    struct index_pkg *pkgs[] = {a, a2};
    struct index *idx = index_build(pkgs, 2, NULL, NULL, 0);
    assert_int_equal(index_asset(idx, "Kv1")->n, 1);
    assert_ptr_equal(index_asset(idx, "Kv1")->mods[0], first);
    assert_ptr_equal(index_mod_by_full(idx, "glia__alpha__Kv1__0"), first);
    index_free(idx);
    index_pkg_unref(a);
    index_pkg_unref(a2);
}

/* A LIBRARY mod (no NEURON name: shared functions) is built but there is
 * nothing to insert, so it is listed with its package and asked for by no one. */
static void a_library_mod_is_counted_but_offers_no_asset(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha");
    mod(a, "helpers", "0")->info.kind = MODFILE_LIBRARY;
    mod(a, "Kv1", "0");
    struct index_pkg *pkgs[] = {a};
    struct index *idx = index_build(pkgs, 1, NULL, NULL, 0);
    assert_int_equal(idx->nmods, 2);
    assert_null(index_asset(idx, "helpers"));
    assert_null(index_mod_by_full(idx, "glia__alpha__helpers__0"));
    assert_non_null(index_asset(idx, "Kv1"));
    index_free(idx);
    index_pkg_unref(a);
}

/* A rejected mod is a candidate (so that asking for it says why it
 * fails) but never hides a good mod of the same name, whatever the order
 * of packages; it is not counted among the mods to build. */
static void a_rejected_mod_never_hides_a_good_one(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha"), *a2 = pkg("alpha");
    rejected(a, "Kv1", "0");
    rejected(a, "Ca", "0");
    struct index_mod *good = mod(a2, "Kv1", "0");
    struct index_pkg *pkgs[] = {a, a2};
    struct index *idx = index_build(pkgs, 2, NULL, NULL, 0);
    assert_int_equal(idx->nmods, 1);
    assert_ptr_equal(index_mod_by_full(idx, "glia__alpha__Kv1__0"), good);
    const struct index_asset *ca = index_asset(idx, "Ca");
    assert_non_null(ca);
    assert_string_equal(ca->mods[0]->reject_reason, "NEURON block never closed");
    index_free(idx);
    index_pkg_unref(a);
    index_pkg_unref(a2);
}

/* NEURON's own mechanisms come last: a package's Kv1 is preferred to
 * nothing, and a built-in answers to its plain name. */
static void builtins_are_one_more_package_after_the_others(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha");
    mod(a, "hh", "0");
    struct index_pkg *nrn = pkg(INDEX_NEURON_PKG);
    nrn->layout = INDEX_BUILTIN;
    nrn->mods = xcalloc(1, sizeof(*nrn->mods));
    struct index_mod *hh = &nrn->mods[nrn->nmods++];
    hh->pkg = nrn;
    hh->full = xstrdup("hh");
    hh->asset = xstrdup("hh");
    hh->variant = xstrdup("0");
    hh->pkgname = xstrdup(INDEX_NEURON_PKG);
    struct index_pkg *pkgs[] = {a};
    struct index *idx = index_build(pkgs, 1, nrn, NULL, 0);
    assert_int_equal(idx->npkgs, 2);
    assert_int_equal(idx->nmods, 1); /* built-ins are not built */
    assert_ptr_equal(idx->pkgs[1], nrn);
    const struct index_asset *as = index_asset(idx, "hh");
    assert_int_equal(as->n, 2);
    assert_string_equal(as->cands[0].pkg, "alpha");
    assert_string_equal(as->cands[1].pkg, INDEX_NEURON_PKG);
    assert_ptr_equal(index_mod_by_full(idx, "hh"), hh);
    assert_ptr_equal(index_pkg_by_name(idx, INDEX_NEURON_PKG), nrn);
    assert_string_equal(index_layout_name(nrn->layout), "builtin");
    index_free(idx);
    index_pkg_unref(a);
    index_pkg_unref(nrn);
}

/* A rescan shares unchanged packages between the old index and the new:
 * each index holds its own reference and freeing one leaves the other whole. */
static void indexes_share_packages_by_reference(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha");
    mod(a, "Kv1", "0");
    struct index_pkg *pkgs[] = {a};
    struct index *old = index_build(pkgs, 1, NULL, NULL, 0);
    struct index *now = index_build(pkgs, 1, NULL, NULL, 0);
    assert_int_equal(a->refs, 3);
    index_pkg_unref(a); /* the scan's own reference */
    index_free(old);
    assert_int_equal(a->refs, 1);
    assert_string_equal(index_asset(now, "Kv1")->mods[0]->full, "glia__alpha__Kv1__0");
    index_free(now); /* the last reference: ASan reports anything left */
    index_free(NULL);
    index_pkg_unref(NULL);
}

static void problems_are_kept_with_file_and_line(void **state)
{
    (void)state;
    struct index_pkg *a = pkg("alpha");
    index_pkg_problem(a, "/site/alpha/mods/x.mod", 14, "unknown %s '%s'", "keyword", "FOO");
    index_pkg_problem(a, NULL, 0, "no mods");
    assert_int_equal(a->nproblems, 2);
    assert_string_equal(a->problems[0].file, "/site/alpha/mods/x.mod");
    assert_int_equal(a->problems[0].line, 14);
    assert_string_equal(a->problems[0].reason, "unknown keyword 'FOO'");
    assert_null(a->problems[1].file);
    assert_string_equal(a->problems[1].reason, "no mods");

    /* Site-level problems move into the index, which frees them. */
    struct index_problem *site = NULL;
    size_t nsite = 0;
    index_problem_add(&site, &nsite, "/site", 0, "not a directory");
    struct index *idx = index_build(NULL, 0, NULL, site, nsite);
    assert_int_equal(idx->nproblems, 1);
    assert_string_equal(idx->problems[0].reason, "not a directory");
    index_free(idx);
    index_pkg_unref(a);
}

static struct index_pkg *sample(void)
{
    struct index_pkg *p = pkg("alpha");
    p->version = xstrdup("1.0");
    struct index_mod *m = mod(p, "Kv1", "0");
    m->mtime_ns = 1000;
    m->size = 42;
    m->ino = 7;
    rejected(p, "Ca", "0");
    index_pkg_problem(p, "x.mod", 3, "NEURON block never closed");
    return p;
}

/* A rescan that found the same files in the same state changes nothing;
 * any change a build or a client could see makes them differ. */
static void same_package_is_same_file_identities_and_problems(void **state)
{
    (void)state;
    struct index_pkg *a = sample(), *b = sample();
    assert_true(index_pkg_same(a, b));

    b->mods[0].mtime_ns++;
    assert_false(index_pkg_same(a, b));
    b->mods[0].mtime_ns--;
    b->mods[0].inc_sig = 99; /* an included file changed */
    assert_false(index_pkg_same(a, b));
    b->mods[0].inc_sig = 0;
    free(b->version);
    b->version = xstrdup("1.1");
    assert_false(index_pkg_same(a, b));
    free(b->version);
    b->version = NULL;
    assert_false(index_pkg_same(a, b));
    b->version = xstrdup("1.0");
    b->editable = 1;
    assert_false(index_pkg_same(a, b));
    b->editable = 0;
    free(b->problems[0].reason);
    b->problems[0].reason = xstrdup("PARAMETER block never closed");
    assert_false(index_pkg_same(a, b));
    free(b->problems[0].reason);
    b->problems[0].reason = xstrdup("NEURON block never closed");
    assert_true(index_pkg_same(a, b));
    free(b->rejected[0].full);
    b->rejected[0].full = xstrdup("glia__alpha__Ca__1");
    assert_false(index_pkg_same(a, b));
    index_pkg_unref(a);
    index_pkg_unref(b);
}

static void problem_lists_compare_by_reason(void **state)
{
    (void)state;
    struct index_problem *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    assert_true(index_problems_same(a, na, b, nb));
    index_problem_add(&a, &na, "/site", 0, "missing");
    assert_false(index_problems_same(a, na, b, nb));
    index_problem_add(&b, &nb, "/site", 0, "missing");
    assert_true(index_problems_same(a, na, b, nb));
    index_problem_add(&a, &na, "/other", 0, "permission denied");
    index_problem_add(&b, &nb, "/other", 0, "not a directory");
    assert_false(index_problems_same(a, na, b, nb));
    index_problems_free(a, na);
    index_problems_free(b, nb);
}

static void layouts_have_names(void **state)
{
    (void)state;
    assert_string_equal(index_layout_name(INDEX_GLIA0), "glia0");
    assert_string_equal(index_layout_name(INDEX_GLIA4), "glia4");
    assert_string_equal(index_layout_name(INDEX_BUILTIN), "builtin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(candidates_of_an_asset_come_from_every_package),
        cmocka_unit_test(a_second_mod_of_the_same_name_is_no_candidate),
        cmocka_unit_test(a_library_mod_is_counted_but_offers_no_asset),
        cmocka_unit_test(a_rejected_mod_never_hides_a_good_one),
        cmocka_unit_test(builtins_are_one_more_package_after_the_others),
        cmocka_unit_test(indexes_share_packages_by_reference),
        cmocka_unit_test(problems_are_kept_with_file_and_line),
        cmocka_unit_test(same_package_is_same_file_identities_and_problems),
        cmocka_unit_test(problem_lists_compare_by_reason),
        cmocka_unit_test(layouts_have_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
