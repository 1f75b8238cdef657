/*
 * build_parts: one shared object per package beside the library, so that
 * a script pays NEURON's registration only for the packages it uses.
 *
 * A package's part is its isolated object (build_link.c: only its
 * mechanisms' registration functions are global) and a registration file
 * for its own mechanisms (modfunc.h, as the library's), linked against
 * libnrniv. Each loads alone with NEURON's nrn_load_dll, and any set of
 * them loads together in any order: their C symbols cannot meet, and the
 * conflicts NEURON would see between packages were removed by the load
 * check of the library (build_load.c).
 *
 * A part is cached under a key of its package object's key, like that
 * object, so an unchanged package is never linked again; the published
 * library dir holds hard links to the cached parts (<libdir>/parts/), each
 * sealed like the library, and goes with it (GC, leases, trust). A library
 * has parts for all its packages or for none: a client told of parts finds
 * every mechanism in one, and one that is not loads the whole library.
 *
 * Parts are not loaded by nrniv again: NEURON just loaded the library,
 * which is the same package objects linked by the same command line, so a
 * part needs nothing the library did not (what the objects need NEURON
 * defines, build_link.c), and registers a subset of the same mechanisms,
 * whose conflicts are gone. A second load would register every mechanism
 * again: most of a cold build's parts cost (5 s of 6 for 500 mods).
 *
 * Steps, on the loop, after the library loaded:
 *   link   per package without a cached part: cc -shared into the link dir,
 *          `jobs` at a time (one xargs -P runs a batch of them)
 *   cache  each new part moved to its key (place.h)
 * then publish; on the worker, build_parts_place links them into the
 * library's staged dir and build_parts_found names those published.
 */
#include "artifact.h"
#include "build_internal.h"
#include "log.h"
#include "os.h"
#include "place.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARTS_DIR "parts"

/* Parts linked by one xargs: its timeout is the tools'. */
#define PARTS_PER_RUN 32

struct build_parts {
    size_t *todo; /* packages whose part is not in the cache */
    size_t ntodo;
    size_t linked, batch_end; /* todo[linked..batch_end) is being linked */
    char **fresh;             /* per package: its part linked by this build, in the link dir */
    size_t pkg;               /* the fresh part being cached */
    double t0;                /* for the log: what parts cost */
};

static void pkgv_free(const struct build *b, char **v)
{
    if (v)
        strv_free(v, b->npkgs);
}

void build_parts_free(struct build *b)
{
    if (b->parts) {
        pkgv_free(b, b->parts->fresh);
        free(b->parts->todo);
        free(b->parts);
    }
    pkgv_free(b, b->part_objs);
    pkgv_free(b, b->part_paths);
}

/* Packages with a mechanism in the library: those with a part. */
static int has_mechanisms(const struct build *b, size_t p)
{
    if (!b->pkg_keys[p][0])
        return 0;
    for (size_t i = 0; i < b->n; i++)
        if (build_in_pkg(b, &b->items[i], p))
            return 1;
    return 0;
}

/* Parts are kept among the objects, and collected like them (a shared
 * object under an object's name), under a key of their package's object. */
void build_part_key(const struct build *b, size_t p, cache_key out)
{
    char *keys[] = {b->pkg_keys[p]};
    cache_library_key(b->toolchain_id, "part: a package object and its registration file", keys, 1,
                      out);
}

/* A package's name as a file name part: NEURON name characters
 * ([A-Za-z0-9_]) kept, anything else made _. */
static char *part_slug(const char *pkg)
{
    char *name = xstrdup(pkg);
    for (char *c = name; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9'))
            *c = '_';
    return name;
}

/* The part's file in the library dir: parts/<slug>.so, and a slug an
 * earlier package of the build took (two packages of one name, or foo.bar
 * and foo_bar) gets the package's index. */
static char *part_file(const struct build *b, size_t p)
{
    char *name = part_slug(b->pkgs[p]->name);
    int taken = 0;
    for (size_t q = 0; q < p && !taken; q++) {
        if (!has_mechanisms(b, q))
            continue;
        char *other = part_slug(b->pkgs[q]->name);
        taken = strcmp(other, name) == 0;
        free(other);
    }
    char *file =
        taken ? xprintf(PARTS_DIR "/%s-%zu.so", name, p) : xprintf(PARTS_DIR "/%s.so", name);
    free(name);
    return file;
}

/* A part that cannot be made costs the library its parts, not the build. */
static void parts_broken(struct build *b, const char *why)
{
    log_warn("[%s] the library is published without per-package parts (scripts load all of "
             "it): %s",
             b->env_name, why);
    pkgv_free(b, b->part_objs);
    b->part_objs = NULL;
}

static void cache_parts(struct build *b);

static void part_placed(void *ud, int err)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    struct build_parts *ps = b->parts;
    size_t p = ps->pkg;
    if (err) {
        char *why = xprintf("cannot store package %s's part at %s: %s", b->pkgs[p]->name,
                            b->part_objs[p], strerror(err));
        parts_broken(b, why);
        free(why);
        build_publish(b);
        return;
    }
    free(ps->fresh[p]); /* moved */
    ps->fresh[p] = NULL;
    ps->pkg++;
    cache_parts(b);
}

/* The new parts in their cache places, one at a time; then publish. */
static void cache_parts(struct build *b)
{
    struct build_parts *ps = b->parts;
    for (; ps->pkg < b->npkgs; ps->pkg++)
        if (ps->fresh[ps->pkg]) {
            build_step_begin(b);
            place_file(b->loop, ps->fresh[ps->pkg], b->part_objs[ps->pkg], part_placed, b);
            return;
        }
    build_publish(b);
}

static void link_batch(struct build *b);

static void batch_linked(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    struct build_parts *ps = b->parts;
    if (build_proc_failed(r)) {
        char *w = build_tool_words(b, "cc -shared", r);
        char *why = xprintf("a package's part does not link: %s", w);
        parts_broken(b, why);
        free(why);
        free(w);
        build_publish(b);
        return;
    }
    for (; ps->linked < ps->ntodo && ps->linked < ps->batch_end; ps->linked++) {
        size_t p = ps->todo[ps->linked];
        ps->fresh[p] = xprintf("%s/part-%zu.so", b->link_dir, p);
    }
    link_batch(b);
}

/* One batch's links as arguments of xargs: "-o OUT SRC OBJ" per part,
 * each NUL-terminated (paths may hold any byte but NUL). */
static int write_batch(struct build *b, const char *args)
{
    struct build_parts *ps = b->parts;
    FILE *f = fopen(args, "w");
    int rc = f ? 0 : -1;
    unsigned char *chosen = xcalloc(b->npkgs + 1, 1);
    for (size_t i = ps->linked; rc == 0 && i < ps->batch_end; i++) {
        size_t p = ps->todo[i];
        char *src = xprintf("%s/mod_func-part-%zu.c", b->link_dir, p);
        char *obj = cache_object_path(b->cache_dir, b->pkg_keys[p]);
        chosen[p] = 1;
        rc = build_write_mod_func(b, chosen, src);
        chosen[p] = 0;
        if (rc == 0 &&
            fprintf(f, "-o%c%s/part-%zu.so%c%s%c%s%c", 0, b->link_dir, p, 0, src, 0, obj, 0) < 0)
            rc = -1;
        free(obj);
        free(src);
    }
    free(chosen);
    if (f && fclose(f) != 0)
        rc = -1;
    return rc;
}

/* The parts not in the cache, linked `jobs` at a time by one xargs per
 * batch (a batch keeps within the tools' timeout); then cached. */
static void link_batch(struct build *b)
{
    struct build_parts *ps = b->parts;
    if (ps->linked == ps->ntodo) {
        if (ps->ntodo)
            log_info("[%s] %zu packages' parts linked in %.0f ms", b->env_name, ps->ntodo,
                     now_ms() - ps->t0);
        ps->pkg = 0;
        cache_parts(b);
        return;
    }
    ps->batch_end = ps->linked + PARTS_PER_RUN < ps->ntodo ? ps->linked + PARTS_PER_RUN : ps->ntodo;
    char *args = xprintf("%s/parts-%zu.args", b->link_dir, ps->linked);
    if (write_batch(b, args) < 0) {
        char *why = xprintf("cannot write the parts' registration files in %s: %s", b->link_dir,
                            strerror(errno));
        parts_broken(b, why);
        free(why);
        free(args);
        build_publish(b);
        return;
    }
    char jobs[24], *owned[2];
    snprintf(jobs, sizeof(jobs), "%d", b->jobs > 0 ? b->jobs : 1);
    char *head[] = {"xargs",       "--null", "--no-run-if-empty", "--max-args=4",
                    "--max-procs", jobs,     "--arg-file",        args};
    size_t nhead = sizeof(head) / sizeof(head[0]), n;
    char **cc = build_shared_argv(b, 0, &n, owned);
    char **argv = xcalloc(nhead + n + 1, sizeof(*argv));
    memcpy(argv, head, sizeof(head));
    memcpy(argv + nhead, cc, n * sizeof(*cc));
    build_run(b, argv, batch_linked, 0);
    free(argv);
    free(cc);
    free(owned[0]);
    free(owned[1]);
    free(args);
}

/* Each package's part: in the cache, else to be linked. */
static void find_parts(struct build *b)
{
    struct build_parts *ps = b->parts;
    for (size_t p = 0; p < b->npkgs; p++) {
        if (!has_mechanisms(b, p))
            continue;
        cache_key key;
        build_part_key(b, p, key);
        b->part_objs[p] = cache_object_path(b->cache_dir, key);
        struct stat st;
        if (b->force || stat(b->part_objs[p], &st) < 0)
            ps->todo[ps->ntodo++] = p;
    }
}

void build_parts_start(struct build *b)
{
    b->parts = xcalloc(1, sizeof(*b->parts));
    b->parts->fresh = xcalloc(b->npkgs + 1, sizeof(char *));
    b->parts->todo = xcalloc(b->npkgs + 1, sizeof(size_t));
    b->parts->t0 = now_ms();
    b->part_objs = xcalloc(b->npkgs + 1, sizeof(char *));
    find_parts(b);
    link_batch(b);
}

/* ---- Publishing (worker) ---- */

void build_parts_place(struct build *b, const char *dir)
{
    if (!b->part_objs)
        return;
    char *parts = xprintf("%s/" PARTS_DIR, dir);
    int rc = mkdir(parts, 0755);
    for (size_t p = 0; rc == 0 && p < b->npkgs; p++) {
        if (!b->part_objs[p])
            continue;
        char *file = part_file(b, p);
        char *dst = xprintf("%s/%s", dir, file);
        /* A link, not a copy: the part published is the one cached, the
         * same file in every generation while its package is unchanged. */
        if (link(b->part_objs[p], dst) < 0 || artifact_seal(dst) < 0)
            rc = -1;
        free(dst);
        free(file);
    }
    if (rc == 0)
        rc = fsync_path(parts, 1);
    if (rc < 0) { /* the library goes out without them, as when one cannot be linked */
        log_warn("[%s] the library %s is published without per-package parts: cannot place "
                 "them in %s: %s",
                 b->env_name, b->lib_path, parts, strerror(errno));
        remove_tree(parts);
        pkgv_free(b, b->part_objs);
        b->part_objs = NULL;
    }
    free(parts);
}

void build_parts_found(struct build *b, const char *dir)
{
    if (b->nrnivmodl)
        return;
    char **paths = xcalloc(b->npkgs + 1, sizeof(*paths));
    const char *missing = NULL;
    int any = 0;
    for (size_t p = 0; !missing && p < b->npkgs; p++) {
        if (!has_mechanisms(b, p))
            continue;
        char *file = part_file(b, p);
        paths[p] = xprintf("%s/%s", dir, file);
        free(file);
        missing = access(paths[p], R_OK) == 0 ? NULL : paths[p];
        any = 1;
    }
    if (!missing && any) {
        b->part_paths = paths;
        return;
    }
    /* A library published before without parts (they failed) has none. */
    if (missing && b->part_objs)
        log_warn("[%s] the library %s is published without its parts: %s: %s", b->env_name,
                 b->lib_path, missing, strerror(errno));
    strv_free(paths, b->npkgs);
}
