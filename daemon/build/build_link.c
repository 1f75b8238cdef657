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
 *   - the library is then loaded by nrniv in a child process before it is
 *     published (build_load.c).
 *
 * Steps, each a child process whose callback starts the next:
 *   symbols   what NEURON defines (build_symbols.c), read once per gliad
 *   packages  per package: cc -r, nm -u, objcopy -G; cached by the package's
 *             object keys, so an unchanged package is never relinked
 *   library   cc -shared, then nrniv loads it (build_load.c)
 */
#include "build_internal.h"
#include "log.h"
#include "os.h"
#include "place.h"
#include "proc.h"
#include "scratch.h"
#include "symtab.h"
#include "toolchain.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The link phase's state, owned by the build. */
struct build_link {
    size_t pkg;         /* the package being linked */
    char *pkg_tmp;      /* its relocatable object, before objcopy */
    char *pkg_key_path; /* where it goes in the cache */
    char **pkg_objs;    /* per package: its isolated object, or NULL */
    size_t npkgs;
    struct undefined_scan *scan; /* what the package needs that nothing defines */
};

struct undefined_scan;
static void link_packages(struct build *b);
static void link_library(struct build *b);
static void link_library_leased(struct build *b);
static void scan_free(struct undefined_scan *u);

void build_link_free(struct build_link *lk)
{
    if (!lk)
        return;
    scan_free(lk->scan);
    free(lk->pkg_tmp);
    free(lk->pkg_key_path);
    strv_free(lk->pkg_objs, lk->npkgs);
    free(lk);
}

/* The package's key: its objects' keys, sorted, and how it is linked. */
static size_t pkg_key(struct build *b, size_t p, cache_key out)
{
    char **keys = xcalloc(b->n + 1, sizeof(*keys));
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (build_in_pkg(b, &b->items[i], p))
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

static void objcopy_stored(void *ud, int err)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    struct build_link *lk = b->link;
    if (err) {
        b->error = xprintf("cannot store package %s's object at %s: %s", b->pkgs[lk->pkg]->name,
                           lk->pkg_key_path, strerror(err));
        build_finish(b);
        return;
    }
    lk->pkg_objs[lk->pkg] = xstrdup(lk->pkg_key_path);
    next_package(b);
}

static void objcopy_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    struct build_link *lk = b->link;
    if (build_proc_failed(r)) {
        char *w = build_tool_words(b, "objcopy", r);
        b->error =
            xprintf("cannot isolate the symbols of package %s: %s", b->pkgs[lk->pkg]->name, w);
        free(w);
        build_finish(b);
        return;
    }
    /* On disk before it is in the cache under its key, as objects are. */
    char *out = xprintf("%s.o", lk->pkg_tmp);
    build_step_begin(b);
    place_file(b->loop, out, lk->pkg_key_path, objcopy_stored, b);
    free(out);
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
        if (build_in_pkg(b, &b->items[i], p)) {
            argv[n++] = "-G";
            argv[n++] = owned[no++] = xprintf("_%s_reg", b->items[i].mod->full);
        }
    argv[n++] = lk->pkg_tmp;
    argv[n++] = owned[no++] = xprintf("%s.o", lk->pkg_tmp);
    build_run(b, argv, objcopy_done, 0);
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
        build_symbols_defined(u->b->symbols, name) || strmap_get(&u->missing, name))
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
        if (!build_in_pkg(b, it, b->link->pkg))
            continue;
        char *obj = cache_object_path(b->cache_dir, it->key);
        if (strcmp(obj, file) == 0) {
            char *msg = xprintf("calls %s, which no mod of package %s and no NEURON library "
                                "defines",
                                name, it->mod->pkgname);
            build_leave_out(it, "link", msg, NULL);
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
    if (!build_resumed(b))
        return;
    struct build_link *lk = b->link;
    if (build_proc_failed(r)) {
        char *w = build_tool_words(b, "nm", r);
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
        if (build_in_pkg(b, &b->items[i], lk->pkg))
            argv[n++] = owned[no++] = cache_object_path(b->cache_dir, b->items[i].key);
    build_run(b, argv, nm_pkg_done, 64u << 20);
    strv_free(owned, no);
    free(argv);
}

static void relocatable_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    if (build_proc_failed(r)) {
        /* Its mods do not link together (two define one function, say):
         * the package goes, as its own folder would fail with nrnivmodl. */
        size_t p = b->link->pkg;
        char *w = build_tool_words(b, "cc -r", r);
        char *msg = xprintf("package %s's mods do not link together, so the package is left "
                            "out (the linker's words follow)",
                            b->pkgs[p]->name);
        for (size_t i = 0; i < b->n; i++)
            if (build_in_pkg(b, &b->items[i], p))
                build_leave_out(&b->items[i], "link", msg, w);
        free(msg);
        free(w);
        next_package(b);
        return;
    }
    if (build_symbols_usable(b->symbols))
        run_nm(b, 0);
    else
        run_objcopy(b);
}

/* cc -r: the package's objects as one, their calls to each other resolved. */
static void link_package(struct build *b, size_t p, size_t nobjs)
{
    struct build_link *lk = b->link;
    const struct toolchain *tc = b->tc;
    free(lk->pkg_tmp);
    lk->pkg_tmp = xprintf("%s/pkg-%zu", b->link_dir, p);
    char **argv = xcalloc(nobjs + 8, sizeof(*argv));
    char **owned = xcalloc(nobjs + 1, sizeof(*owned));
    size_t n = 0, no = 0;
    argv[n++] = tc->cc, argv[n++] = "-r", argv[n++] = "-nostdlib", argv[n++] = "-o";
    argv[n++] = lk->pkg_tmp;
    for (size_t i = 0; i < b->n; i++)
        if (build_in_pkg(b, &b->items[i], p))
            argv[n++] = owned[no++] = cache_object_path(b->cache_dir, b->items[i].key);
    build_run(b, argv, relocatable_done, 0);
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

static void link_library(struct build *b)
{
    build_compute_libkey(b);
    build_lease(b, link_library_leased);
}

static void link_library_leased(struct build *b)
{
    const struct generation *cur = build_current(b);
    /* A library reused is checked against its seal first (artifact.h): a
     * damaged one is linked again and replaces it. */
    int sound = !b->force && build_library_sound(b);
    if (sound && cur && strcmp(cur->libkey, b->libkey) == 0) {
        b->generation = cur->number; /* what was left out leaves the same set */
        build_finish(b);
    } else if (sound) {
        b->lib_exists = 1; /* linked and loaded before */
        build_publish(b);
    } else {
        build_load_start(b, b->link->pkg_objs);
    }
}

/* ---- Entry point ---- */

void build_link_start(struct build *b)
{
    struct build_link *lk = xcalloc(1, sizeof(*lk));
    b->link = lk;
    lk->pkg_objs = xcalloc(b->npkgs + 1, sizeof(*lk->pkg_objs));
    lk->npkgs = b->npkgs;
    b->link_dir = cache_tmp_path(b->cache_dir, "link-%llu", (unsigned long long)b->id);
    if (mkdir_p(b->link_dir, 0755) < 0) {
        b->error = xprintf("cannot create %s: %s", b->link_dir, strerror(errno));
        build_finish(b);
        return;
    }
    build_symbols_wait(b, link_packages);
}
