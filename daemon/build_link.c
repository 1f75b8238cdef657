/*
 * build_link: the link phase of the direct backend, on the loop.
 *
 * Packages are written by different people who copy helper code from one
 * another, so two packages often define the same global C function. Each
 * package is therefore linked alone first (`cc -r`), and every global it
 * defines except its mechanisms' registration functions is made local
 * (`objcopy -G`): a package's mods still call each other, nothing of it is
 * visible to another package. The library is the link of those package
 * objects and a generated mod_func.c.
 *
 * Nothing unloadable is published:
 *   - what a package object still needs must be defined by NEURON (libnrniv
 *     and the libraries it loads): a mod needing anything else is left out,
 *     named with the symbol, and its package linked again without it;
 *   - the library is then loaded by nrniv in a child process, which
 *     registers every mechanism. If NEURON refuses (two valences for one
 *     ion, ...), the package responsible is found by bisection over the
 *     packages in the index's order (so the one whose name sorts first
 *     stays), left out with NEURON's words, and the rest linked again.
 *
 * Steps, each a child process whose callback starts the next:
 *   symbols   what NEURON defines (build_symbols.c), read once per gliad
 *   packages  per package: cc -r, nm -u, objcopy -G; cached by the package's
 *             object keys, so an unchanged package is never relinked
 *   library   cc -shared, then nrniv loads it; on refusal, bisect
 */
#include "build_internal.h"
#include "env.h"
#include "gliad.h"
#include "log.h"
#include "proc.h"
#include "symtab.h"
#include "toolchain.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOAD_OK_TAG "glia-load-ok"

typedef void (*try_done_fn)(struct build *b, int ok, const char *words);

/* The link phase's state, owned by the build. */
struct build_link {
    char *nrniv;
    size_t pkg;                 /* the package being linked */
    char *pkg_tmp;              /* its relocatable object, before objcopy */
    char *pkg_key_path;         /* where it goes in the cache */
    char **pkg_objs;            /* per package: its isolated object, or NULL */
    size_t npkgs;
    struct undefined_scan *scan; /* what the package needs that nothing defines */

    /* One try: link a set of packages and load it. */
    unsigned char *chosen; /* per package */
    unsigned tries;
    char *try_lib;
    try_done_fn try_done;

    /* Bisection: accepted packages are known to load together; pending
     * ones are not tried yet; hi packages of pending (after accepted) is
     * the shortest prefix known to fail, with NEURON's words. */
    unsigned char *accepted;
    size_t *pending, npending, lo, hi;
    char *hi_words;
};

struct undefined_scan;
static void link_packages(struct build *b);
static void link_library(struct build *b);
static void scan_free(struct undefined_scan *u);

void build_link_free(struct build_link *lk)
{
    if (!lk)
        return;
    scan_free(lk->scan);
    free(lk->nrniv);
    free(lk->pkg_tmp);
    free(lk->pkg_key_path);
    strv_free(lk->pkg_objs, lk->npkgs);
    free(lk->chosen);
    free(lk->try_lib);
    free(lk->accepted);
    free(lk->pending);
    free(lk->hi_words);
    free(lk);
}

/* Runs argv for the build; done is called unless it could not start,
 * in which case the build ends with the reason. */
static int run(struct build *b, char **argv, proc_done_fn done, size_t max_output)
{
    const struct toolchain *tc = &b->g->tc;
    struct proc_opts o = {.cwd = b->link_dir, .timeout_ms = tc->timeout_ms, .nice = 10,
                          .max_output = max_output};
    b->busy = 1;
    int rc = proc_run(b->g->loop, argv, &o, done, b, &b->proc);
    if (rc < 0) {
        b->busy = 0;
        b->error = xprintf("cannot run %s: %s", argv[0], uv_strerror(rc));
        build_finish(b);
    }
    return rc;
}

/* The step's process is over: 1 if the build goes on. */
static int resumed(struct build *b)
{
    b->proc = NULL;
    b->busy = 0;
    return !build_gone(b);
}

static int failed(const struct proc_result *r)
{
    return r->exit_status != 0 || r->term_signal || r->timed_out;
}

static char *tool_words(const char *tool, const struct proc_result *r)
{
    return diag_clip(xprintf("%s%s: %s%s", tool, r->timed_out ? " (timed out)" : "", r->err,
                             r->out),
                     DIAG_DETAIL_MAX);
}

/* ---- One package ---- */

static int in_pkg(const struct build *b, const struct build_item *it, size_t p)
{
    return it->mod->pkg == b->pkgs[p] && build_item_linked(it);
}

static void leave_out(struct build_item *it, const char *stage, const char *msg,
                      const char *detail)
{
    diag_free(&it->diag);
    diag_plain(&it->diag, it->mod->path, stage, msg, detail);
    it->state = ITEM_FAILED;
    it->b->failed++;
    log_warn("[%s] %s", it->b->env_name, it->diag.summary);
}

/* The package's key: its objects' keys, sorted, and how it is linked. */
static size_t pkg_key(struct build *b, size_t p, cache_key out)
{
    char **keys = xcalloc(b->n + 1, sizeof(*keys));
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (in_pkg(b, &b->items[i], p))
            keys[n++] = b->items[i].key;
    qsort(keys, n, sizeof(*keys), build_cmp_key);
    cache_library_key(b->toolchain_id, "package, registration functions global", keys, n, out);
    free(keys);
    return n;
}

static void next_package(struct build *b)
{
    b->link->pkg++;
    link_packages(b);
}

static void objcopy_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!resumed(b))
        return;
    struct build_link *lk = b->link;
    char *out = xprintf("%s.o", lk->pkg_tmp);
    char *dir = xstrndup(lk->pkg_key_path, strrchr(lk->pkg_key_path, '/') - lk->pkg_key_path);
    if (failed(r)) {
        char *w = tool_words("objcopy", r);
        b->error = xprintf("cannot isolate the symbols of package %s: %s", b->pkgs[lk->pkg]->name,
                           w);
        free(w);
    } else if (mkdir_p(dir, 0755) < 0 || rename(out, lk->pkg_key_path) < 0) {
        b->error = xprintf("cannot store package %s's object at %s: %s", b->pkgs[lk->pkg]->name,
                           lk->pkg_key_path, strerror(errno));
    } else {
        lk->pkg_objs[lk->pkg] = xstrdup(lk->pkg_key_path);
    }
    free(out);
    free(dir);
    if (b->error)
        build_finish(b);
    else
        next_package(b);
}

static void run_objcopy(struct build *b)
{
    struct build_link *lk = b->link;
    size_t p = lk->pkg;
    char **argv = xcalloc(2 * b->n + 8, sizeof(*argv));
    char **owned = xcalloc(b->n + 2, sizeof(*owned));
    size_t n = 0, no = 0;
    argv[n++] = "objcopy";
    for (size_t i = 0; i < b->n; i++)
        if (in_pkg(b, &b->items[i], p)) {
            argv[n++] = "-G";
            argv[n++] = owned[no++] = xprintf("_%s_reg", b->items[i].mod->full);
        }
    argv[n++] = lk->pkg_tmp;
    argv[n++] = owned[no++] = xprintf("%s.o", lk->pkg_tmp);
    run(b, argv, objcopy_done, 0);
    strv_free(owned, no);
    free(argv);
}

struct undefined_scan {
    struct build *b;
    const char *pkg_obj;
    struct strmap missing; /* symbols nothing defines -> (void *)1; keys owned by `names` */
    char **names;
    size_t n, cap;
    size_t left_out;
};

static void find_missing(void *ud, const char *file, const char *name, char type)
{
    struct undefined_scan *u = ud;
    if (type != 'U' || strcmp(file, u->pkg_obj) != 0 || symtab_linker_provided(name) ||
        build_symbols_defined(u->b->g->neuron_symbols, name) || strmap_get(&u->missing, name))
        return;
    u->names = xgrow(u->names, &u->cap, u->n + 1, sizeof(*u->names));
    u->names[u->n] = xstrdup(name);
    strmap_put(&u->missing, u->names[u->n++], (void *)1);
}

/* A mod's object needs a missing symbol: that mod is left out. */
static void blame(void *ud, const char *file, const char *name, char type)
{
    struct undefined_scan *u = ud;
    struct build *b = u->b;
    if (type != 'U' || !strmap_get(&u->missing, name))
        return;
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (!in_pkg(b, it, b->link->pkg))
            continue;
        char *obj = cache_object_path(b->cache_dir, it->key);
        if (strcmp(obj, file) == 0) {
            char *msg = xprintf("calls %s, which no mod of package %s and no NEURON library "
                                "defines",
                                name, it->mod->pkgname);
            leave_out(it, "link", msg, NULL);
            u->left_out++;
            free(msg);
        }
        free(obj);
    }
}

static void run_nm(struct build *b, int with_objects);

static void scan_free(struct undefined_scan *u)
{
    if (!u)
        return;
    strmap_free(&u->missing);
    strv_free(u->names, u->n);
    free(u);
}

/* nm of the package object found what it needs; with the objects too, who
 * needs it. Most packages need nothing NEURON lacks: one short nm. */
static void nm_pkg_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!resumed(b))
        return;
    struct build_link *lk = b->link;
    if (failed(r)) {
        char *w = tool_words("nm", r);
        b->error = xprintf("cannot list what package %s needs: %s", b->pkgs[lk->pkg]->name, w);
        free(w);
        build_finish(b);
        return;
    }
    struct undefined_scan *u = lk->scan;
    if (!u) {
        u = xcalloc(1, sizeof(*u));
        u->b = b;
        u->pkg_obj = lk->pkg_tmp;
        strmap_init(&u->missing);
        symtab_each(r->out, find_missing, u);
        if (u->n) {
            lk->scan = u;
            run_nm(b, 1);
            return;
        }
    } else {
        symtab_each(r->out, blame, u);
        lk->scan = NULL;
    }
    size_t left_out = u->left_out;
    scan_free(u);
    if (left_out)
        link_packages(b); /* the same package again, without them */
    else
        run_objcopy(b);
}

static void run_nm(struct build *b, int with_objects)
{
    struct build_link *lk = b->link;
    char **argv = xcalloc(b->n + 8, sizeof(*argv));
    char **owned = xcalloc(b->n + 1, sizeof(*owned));
    size_t n = 0, no = 0;
    argv[n++] = "nm", argv[n++] = "-A", argv[n++] = "-P", argv[n++] = "-u";
    argv[n++] = lk->pkg_tmp;
    for (size_t i = 0; with_objects && i < b->n; i++)
        if (in_pkg(b, &b->items[i], lk->pkg))
            argv[n++] = owned[no++] = cache_object_path(b->cache_dir, b->items[i].key);
    run(b, argv, nm_pkg_done, 64u << 20);
    strv_free(owned, no);
    free(argv);
}

static void relocatable_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!resumed(b))
        return;
    if (failed(r)) {
        char *w = tool_words("cc -r", r);
        b->error = xprintf("linking package %s failed: %s", b->pkgs[b->link->pkg]->name, w);
        free(w);
        build_finish(b);
        return;
    }
    if (build_symbols_usable(b->g->neuron_symbols))
        run_nm(b, 0);
    else
        run_objcopy(b);
}

/* cc -r: the package's objects as one, their calls to each other resolved. */
static void link_package(struct build *b, size_t p, size_t nobjs)
{
    struct build_link *lk = b->link;
    const struct toolchain *tc = &b->g->tc;
    free(lk->pkg_tmp);
    lk->pkg_tmp = xprintf("%s/pkg-%zu", b->link_dir, p);
    char **argv = xcalloc(nobjs + 8, sizeof(*argv));
    char **owned = xcalloc(nobjs + 1, sizeof(*owned));
    size_t n = 0, no = 0;
    argv[n++] = tc->cc, argv[n++] = "-r", argv[n++] = "-nostdlib", argv[n++] = "-o";
    argv[n++] = lk->pkg_tmp;
    for (size_t i = 0; i < b->n; i++)
        if (in_pkg(b, &b->items[i], p))
            argv[n++] = owned[no++] = cache_object_path(b->cache_dir, b->items[i].key);
    run(b, argv, relocatable_done, 0);
    strv_free(owned, no);
    free(argv);
}

/* Links lk->pkg and the packages after it; then the library. */
static void link_packages(struct build *b)
{
    struct build_link *lk = b->link;
    for (; lk->pkg < b->npkgs; lk->pkg++) {
        cache_key key;
        size_t nobjs = pkg_key(b, lk->pkg, key);
        if (!nobjs)
            continue;
        memcpy(b->pkg_keys[lk->pkg], key, sizeof(key));
        free(lk->pkg_key_path);
        lk->pkg_key_path = cache_object_path(b->cache_dir, key);
        struct stat st;
        if (stat(lk->pkg_key_path, &st) == 0 && !b->force) {
            lk->pkg_objs[lk->pkg] = xstrdup(lk->pkg_key_path);
            continue;
        }
        link_package(b, lk->pkg, nobjs);
        return;
    }
    link_library(b);
}

/* ---- The library: link a set of packages, load it ---- */

static int write_mod_func(const struct build *b, const unsigned char *chosen, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "/* Generated by gliad for %s. */\n", b->env_name);
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            fprintf(f, "void modl_reg(void);\nvoid modl_reg(void)\n{\n");
        for (size_t p = 0; p < b->npkgs; p++)
            for (size_t i = 0; chosen[p] && i < b->n; i++)
                if (in_pkg(b, &b->items[i], p))
                    fprintf(f, pass ? "    _%s_reg();\n" : "extern void _%s_reg(void);\n",
                            b->items[i].mod->full);
    }
    fprintf(f, "}\n");
    return fclose(f);
}

static void load_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!resumed(b))
        return;
    int ok = !failed(r) && strstr(r->out, LOAD_OK_TAG) != NULL;
    char *words = ok ? NULL : tool_words("NEURON", r);
    b->link->try_done(b, ok, words);
    free(words);
}

/* nrniv loads the library as a script would and registers every mechanism;
 * cwd is the link dir, where no x86_64/ of anyone's lurks. */
static void load_check(struct build *b)
{
    struct build_link *lk = b->link;
    char *hoc = xprintf("if (nrn_load_dll(\"%s\")) print \"" LOAD_OK_TAG "\"", lk->try_lib);
    /* Without Python nrniv starts in a tenth of the time; mechanisms need none. */
    char *argv[] = {lk->nrniv, "-nopython", "-nobanner", "-nogui", "-c", hoc, "-c", "quit()",
                    NULL};
    run(b, argv, load_done, 0);
    free(hoc);
}

static void try_link_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!resumed(b))
        return;
    if (failed(r)) {
        char *w = tool_words("cc -shared", r);
        b->error = xprintf("linking %s failed: %s", b->lib_path, w);
        free(w);
        build_finish(b);
    } else if (!b->link->nrniv) {
        b->link->try_done(b, 1, NULL);
    } else {
        load_check(b);
    }
}

/* Links the chosen packages into link_dir/try-N.so; done says whether
 * NEURON loads it. */
static void try_set(struct build *b, const unsigned char *chosen, try_done_fn done)
{
    struct build_link *lk = b->link;
    const struct toolchain *tc = &b->g->tc;
    memcpy(lk->chosen, chosen, b->npkgs);
    lk->try_done = done;
    lk->tries++;
    char *src = xprintf("%s/mod_func-%u.c", b->link_dir, lk->tries);
    free(lk->try_lib);
    lk->try_lib = xprintf("%s/try-%u.so", b->link_dir, lk->tries);
    if (write_mod_func(b, chosen, src) < 0) {
        b->error = xprintf("cannot write %s: %s", src, strerror(errno));
        free(src);
        build_finish(b);
        return;
    }
    char **argv = xcalloc(b->npkgs + tc->ncflags + 16, sizeof(*argv));
    char **owned = xcalloc(8, sizeof(*owned));
    size_t n = 0, no = 0;
    argv[n++] = tc->cc;
    for (size_t i = 0; i < tc->ncflags; i++)
        argv[n++] = tc->cflags[i];
    argv[n++] = "-shared", argv[n++] = "-o", argv[n++] = lk->try_lib, argv[n++] = src;
    for (size_t p = 0; p < b->npkgs; p++)
        if (chosen[p] && lk->pkg_objs[p])
            argv[n++] = lk->pkg_objs[p];
    argv[n++] = owned[no++] = xprintf("-L%s", tc->lib_dir);
    argv[n++] = "-lnrniv";
    argv[n++] = owned[no++] = xprintf("-Wl,-rpath,%s", tc->lib_dir);
    run(b, argv, try_link_done, 0);
    strv_free(owned, no);
    free(argv);
    free(src);
}

/* The try that loaded is the library. */
static void publish_try(struct build *b)
{
    char *so = xprintf("%s/libglia.so", b->link_dir);
    if (rename(b->link->try_lib, so) < 0) {
        b->error = xprintf("cannot rename %s: %s", b->link->try_lib, strerror(errno));
        build_finish(b);
    } else {
        build_compute_libkey(b);
        build_publish(b);
    }
    free(so);
}

static void bisect_step(struct build *b);

/* NEURON's words on one line, for a summary: their first few lines. */
static char *one_line(const char *words)
{
    char *s = xstrndup(words ? words : "", 400);
    for (char *c = s; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    for (size_t n = strlen(s); n > 0 && s[n - 1] == ' ';)
        s[--n] = '\0';
    return s;
}

/* Every linked mod of package p goes, with NEURON's words. */
static void leave_out_package(struct build *b, size_t p, const char *words)
{
    char *said = one_line(words);
    char *msg = xprintf("NEURON cannot load package %s with the packages before it in name "
                        "order (%s); it is left out of the library until one of them goes",
                        b->pkgs[p]->name, said);
    for (size_t i = 0; i < b->n; i++)
        if (in_pkg(b, &b->items[i], p))
            leave_out(&b->items[i], "load", msg, words);
    free(msg);
    free(said);
}

/* accepted + pending[0 .. k) */
static void try_prefix(struct build *b, size_t k, try_done_fn done)
{
    struct build_link *lk = b->link;
    unsigned char *set = xcalloc(b->npkgs + 1, 1);
    memcpy(set, lk->accepted, b->npkgs);
    for (size_t i = 0; i < k; i++)
        set[lk->pending[i]] = 1;
    try_set(b, set, done);
    free(set);
}

static void rest_tried(struct build *b, int ok, const char *words);

static void prefix_tried(struct build *b, int ok, const char *words)
{
    struct build_link *lk = b->link;
    size_t mid = lk->lo + (lk->hi - lk->lo) / 2;
    if (ok) {
        lk->lo = mid + 1;
    } else {
        lk->hi = mid;
        free(lk->hi_words);
        lk->hi_words = xstrdup(words);
    }
    bisect_step(b);
}

/* The shortest failing prefix of pending is known once lo == hi: its last
 * package is the culprit; those before it load with the accepted ones. */
static void bisect_step(struct build *b)
{
    struct build_link *lk = b->link;
    if (lk->lo < lk->hi) {
        try_prefix(b, lk->lo + (lk->hi - lk->lo) / 2, prefix_tried);
        return;
    }
    size_t culprit = lk->pending[lk->hi - 1];
    leave_out_package(b, culprit, lk->hi_words);
    for (size_t i = 0; i + 1 < lk->hi; i++)
        lk->accepted[lk->pending[i]] = 1;
    memmove(lk->pending, lk->pending + lk->hi, (lk->npending - lk->hi) * sizeof(*lk->pending));
    lk->npending -= lk->hi;
    try_prefix(b, lk->npending, rest_tried);
}

/* accepted + every pending package: the library, unless it fails too. */
static void rest_tried(struct build *b, int ok, const char *words)
{
    struct build_link *lk = b->link;
    if (ok) {
        publish_try(b);
        return;
    }
    lk->lo = 1;
    lk->hi = lk->npending;
    free(lk->hi_words);
    lk->hi_words = xstrdup(words);
    log_warn("[%s] NEURON cannot load the library of %zu packages; finding the package "
             "responsible: %s",
             b->env_name, lk->npending, words);
    bisect_step(b);
}

static void all_tried(struct build *b, int ok, const char *words)
{
    struct build_link *lk = b->link;
    if (ok) {
        publish_try(b);
        return;
    }
    lk->accepted = xcalloc(b->npkgs + 1, 1);
    lk->pending = xcalloc(b->npkgs + 1, sizeof(*lk->pending));
    for (size_t p = 0; p < b->npkgs; p++)
        if (lk->pkg_objs[p])
            lk->pending[lk->npending++] = p;
    rest_tried(b, 0, words);
}

static void link_library(struct build *b)
{
    build_compute_libkey(b);
    const struct generation *cur = b->env->gen;
    struct stat st;
    if (cur && strcmp(cur->libkey, b->libkey) == 0 && !b->force) {
        b->generation = cur->number; /* what was left out leaves the same set */
        build_finish(b);
    } else if (!b->force && stat(b->lib_path, &st) == 0) {
        b->lib_exists = 1; /* linked and loaded before */
        build_publish(b);
    } else {
        unsigned char *all = xcalloc(b->npkgs + 1, 1);
        memset(all, 1, b->npkgs);
        try_set(b, all, all_tried);
        free(all);
    }
}

/* ---- Entry point ---- */

void build_link_start(struct build *b)
{
    struct build_link *lk = xcalloc(1, sizeof(*lk));
    b->link = lk;
    lk->pkg_objs = xcalloc(b->npkgs + 1, sizeof(*lk->pkg_objs));
    lk->npkgs = b->npkgs;
    lk->chosen = xcalloc(b->npkgs + 1, 1);
    lk->nrniv = toolchain_which("nrniv");
    if (!lk->nrniv)
        log_warn("[%s] nrniv is not on PATH: the library is published without loading it "
                 "first",
                 b->env_name);
    b->link_dir = cache_tmp_path(b->cache_dir, "link-%llu", (unsigned long long)b->id);
    if (mkdir_p(b->link_dir, 0755) < 0) {
        b->error = xprintf("cannot create %s: %s", b->link_dir, strerror(errno));
        build_finish(b);
        return;
    }
    build_symbols_wait(b, link_packages);
}
