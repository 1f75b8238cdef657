/*
 * index: see index.h.
 */
#include "index.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *index_layout_name(enum index_layout l)
{
    switch (l) {
    case INDEX_GLIA0:
        return "glia0";
    case INDEX_GLIA4:
        return "glia4";
    case INDEX_BUILTIN:
        return "builtin";
    }
    return "?";
}

void index_problem_add(struct index_problem **v, size_t *n, const char *file, int line,
                       const char *reason)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = (struct index_problem){xstrdup(file), line, xstrdup(reason)};
}

void index_problems_free(struct index_problem *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].file);
        free(v[i].reason);
    }
    free(v);
}

struct index_pkg *index_pkg_new(void)
{
    struct index_pkg *p = xcalloc(1, sizeof(*p));
    p->refs = 1;
    return p;
}

void index_pkg_ref(struct index_pkg *p)
{
    p->refs++;
}

void index_pkg_unref(struct index_pkg *p)
{
    if (!p || --p->refs > 0)
        return;
    for (size_t i = 0; i < p->nmods + p->nrejected; i++) {
        struct index_mod *m = i < p->nmods ? &p->mods[i] : &p->rejected[i - p->nmods];
        free(m->path);
        free(m->relpath);
        free(m->full);
        free(m->asset);
        free(m->variant);
        free(m->pkgname);
        free(m->reject_reason);
        modfile_info_free(&m->info);
    }
    free(p->mods);
    free(p->rejected);
    index_problems_free(p->problems, p->nproblems);
    free(p->name);
    free(p->entry);
    free(p->module);
    free(p->version);
    free(p->dist_info);
    free(p->site);
    free(p->root);
    free(p);
}

void index_pkg_problem(struct index_pkg *p, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = NULL;
    if (vasprintf(&reason, fmt, ap) < 0)
        reason = NULL;
    va_end(ap);
    index_problem_add(&p->problems, &p->nproblems, file, line, reason ? reason : "?");
    free(reason);
}

static void add_mod(struct index *idx, struct index_mod *m)
{
    /* One NEURON name, one mechanism: a second mod of the same full name is
     * left out of the library (the build says so), so it is no candidate. */
    if (strmap_get(&idx->fulls, m->full))
        return;
    if (m->info.kind == MODFILE_LIBRARY)
        return; /* nothing to insert: built, listed with its package, no asset */
    struct index_asset *a = strmap_get(&idx->assets, m->asset);
    if (!a) {
        a = xcalloc(1, sizeof(*a));
        a->name = m->asset;
        strmap_put(&idx->assets, a->name, a);
    }
    a->mods = xrealloc(a->mods, (a->n + 1) * sizeof(*a->mods));
    a->cands = xrealloc(a->cands, (a->n + 1) * sizeof(*a->cands));
    a->mods[a->n] = m;
    a->cands[a->n] = (struct resolve_cand){m->full, m->pkgname, m->variant};
    a->n++;
    strmap_put(&idx->fulls, m->full, m);
}

struct index *index_build(struct index_pkg **pkgs, size_t npkgs, struct index_pkg *builtins,
                          struct index_problem *problems, size_t nproblems)
{
    struct index *idx = xcalloc(1, sizeof(*idx));
    strmap_init(&idx->assets);
    strmap_init(&idx->fulls);
    idx->npkgs = npkgs + (builtins != NULL);
    idx->pkgs = xcalloc(idx->npkgs, sizeof(*idx->pkgs));
    for (size_t i = 0; i < npkgs; i++) {
        idx->pkgs[i] = pkgs[i];
        index_pkg_ref(pkgs[i]);
        for (size_t j = 0; j < pkgs[i]->nmods; j++)
            add_mod(idx, &pkgs[i]->mods[j]);
        idx->nmods += pkgs[i]->nmods;
    }
    /* After every good mod: a rejected one never hides a good one. */
    for (size_t i = 0; i < npkgs; i++)
        for (size_t j = 0; j < pkgs[i]->nrejected; j++)
            add_mod(idx, &pkgs[i]->rejected[j]);
    if (builtins) {
        idx->pkgs[npkgs] = builtins;
        index_pkg_ref(builtins);
        for (size_t j = 0; j < builtins->nmods; j++)
            add_mod(idx, &builtins->mods[j]);
    }
    idx->problems = problems;
    idx->nproblems = nproblems;
    return idx;
}

void index_free(struct index *idx)
{
    if (!idx)
        return;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&idx->assets, &i, &k, &v);) {
        struct index_asset *a = v;
        free(a->mods);
        free(a->cands);
        free(a);
    }
    strmap_free(&idx->assets);
    strmap_free(&idx->fulls);
    for (size_t i = 0; i < idx->npkgs; i++)
        index_pkg_unref(idx->pkgs[i]);
    free(idx->pkgs);
    index_problems_free(idx->problems, idx->nproblems);
    free(idx);
}

const struct index_asset *index_asset(const struct index *idx, const char *asset)
{
    return strmap_get(&idx->assets, asset);
}

const struct index_mod *index_mod_by_full(const struct index *idx, const char *full)
{
    return strmap_get(&idx->fulls, full);
}

struct index_pkg *index_pkg_by_name(const struct index *idx, const char *name)
{
    for (size_t i = 0; i < idx->npkgs; i++)
        if (strcmp(idx->pkgs[i]->name, name) == 0)
            return idx->pkgs[i];
    return NULL;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int index_pkg_same(const struct index_pkg *a, const struct index_pkg *b)
{
    if (!same_str(a->name, b->name) || !same_str(a->version, b->version) ||
        !same_str(a->root, b->root) || !same_str(a->dist_info, b->dist_info) ||
        !same_str(a->entry, b->entry) || a->editable != b->editable || a->layout != b->layout ||
        a->nmods != b->nmods || a->nproblems != b->nproblems || a->nrejected != b->nrejected)
        return 0;
    for (size_t i = 0; i < a->nrejected; i++)
        if (!same_str(a->rejected[i].full, b->rejected[i].full))
            return 0;
    for (size_t i = 0; i < a->nmods; i++) {
        const struct index_mod *x = &a->mods[i], *y = &b->mods[i];
        if (!same_str(x->path, y->path) || !same_str(x->full, y->full) ||
            x->mtime_ns != y->mtime_ns || x->size != y->size || x->ino != y->ino ||
            x->inc_sig != y->inc_sig)
            return 0;
    }
    for (size_t i = 0; i < a->nproblems; i++)
        if (a->problems[i].line != b->problems[i].line ||
            !same_str(a->problems[i].reason, b->problems[i].reason))
            return 0;
    return 1;
}

int index_problems_same(const struct index_problem *a, size_t na, const struct index_problem *b,
                        size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (!same_str(a[i].reason, b[i].reason))
            return 0;
    return 1;
}
