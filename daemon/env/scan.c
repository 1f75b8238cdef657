/*
 * scan: see scan.h.
 *
 * A package is found from its dist-info, never by importing it: running a
 * package's code to learn where its mods are would let any installed
 * package run code in the daemon.
 */
#include "scan.h"
#include "direct_url.h"
#include "entrypoints.h"
#include "mechname.h"
#include "os.h"
#include "strmap.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 16 /* mods/ subfolders */
/* Entries one package's mod folders may hold before the walk stops: a
 * folder linked into itself must not make a scan read without end. */
#define MAX_ENTRIES 20000

struct paths {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int stopped(const atomic_int *stop)
{
    return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

/* A file that could not be read for a reason that says nothing about the
 * file (no descriptor or memory left, an I/O error): what was read of it
 * before stays in the index. */
static int read_failed(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == EIO || err == EINTR ||
           err == EAGAIN || err == ENOBUFS;
}

/*
 * A walk of one package's mod folders, in sorted order. It stays inside the
 * package (a symlink to a dir elsewhere is not followed), reads each dir
 * once (a link back to a dir already read is not followed, so loops end),
 * and stops at MAX_DEPTH levels and MAX_ENTRIES entries, saying so.
 */
struct walk {
    struct index_pkg *p; /* problems are recorded here; NULL: none */
    char *root;          /* the package root's real path */
    int max_depth;
    struct paths *mods; /* *.mod entries, or NULL */
    struct paths *dirs; /* dirs read, or NULL */
    struct strmap seen; /* "dev:ino" of every dir read -> the key (owned) */
    size_t entries;
    int full;       /* MAX_ENTRIES reached */
    int incomplete; /* a dir could not be read: this walk is not the whole truth */
    const atomic_int *stop;
};

static void walk_problem(struct walk *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void walk_problem(struct walk *w, const char *path, const char *fmt, ...)
{
    if (!w->p)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *why = xvprintf(fmt, ap);
    va_end(ap);
    index_pkg_problem(w->p, path, 0, "%s", why);
    free(why);
}

/* 1 when the dir was read before (this walk reads it once); else records it. */
static int walk_seen(struct walk *w, const struct stat *st)
{
    char *key =
        xprintf("%llx:%llx", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
    if (strmap_get(&w->seen, key)) {
        free(key);
        return 1;
    }
    strmap_put(&w->seen, key, key);
    return 0;
}

/* Is the real path of `path` the package root or under it? */
static int walk_inside(const struct walk *w, const char *path)
{
    char *real = realpath(path, NULL);
    size_t n = strlen(w->root);
    int in = real && strncmp(real, w->root, n) == 0 &&
             (real[n] == '/' || real[n] == '\0' || strcmp(w->root, "/") == 0);
    free(real);
    return in;
}

static void walk_dir(struct walk *w, const char *dir, int depth);

/* One entry of a dir being walked: a mod, or a dir to descend into. */
static void walk_entry(struct walk *w, const char *path, const char *name, int depth)
{
    if (str_has_suffix(name, ".mod")) {
        if (w->mods)
            VEC_PUSH(w->mods->v, w->mods->n, w->mods->cap, xstrdup(path));
        return;
    }
    struct stat st, lst;
    if (depth >= w->max_depth || strcmp(name, "arbor") == 0 || stat(path, &st) < 0 ||
        !S_ISDIR(st.st_mode)) {
        if (depth >= w->max_depth && w->max_depth == MAX_DEPTH && is_dir(path))
            walk_problem(w, path, "more than %d folder levels deep: not read", MAX_DEPTH);
        return;
    }
    int link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (link && !walk_inside(w, path)) {
        walk_problem(w, path, "a link to a folder outside the package: not followed");
        return;
    }
    if (walk_seen(w, &st)) {
        if (link)
            walk_problem(w, path,
                         "a link to a folder already read (a loop, or a second way in): "
                         "not followed");
        return;
    }
    walk_dir(w, path, depth + 1);
}

static void walk_dir(struct walk *w, const char *dir, int depth)
{
    if (w->full || stopped(w->stop))
        return;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT && errno != ENOTDIR) {
            w->incomplete = 1;
            walk_problem(w, dir, "cannot read the folder: %s", strerror(errno));
        }
        return;
    }
    if (w->dirs)
        VEC_PUSH(w->dirs->v, w->dirs->n, w->dirs->cap, xstrdup(dir));
    /* Names first, the dir closed before descending: a deep tree holds one
     * descriptor at a time. */
    struct paths names = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            VEC_PUSH(names.v, names.n, names.cap, xstrdup(de->d_name));
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n && !w->full && !stopped(w->stop); i++) {
        if (++w->entries > MAX_ENTRIES) {
            w->full = 1;
            walk_problem(w, dir, "more than %d entries in the mod folders: the rest is not read",
                         MAX_ENTRIES);
            break;
        }
        char *path = xprintf("%s/%s", dir, names.v[i]);
        walk_entry(w, path, names.v[i], depth);
        free(path);
    }
    strv_free(names.v, names.n);
}

/* Walks `dir` (deep: its subfolders too) of the package whose root is
 * `root`. Returns 1 when the walk is incomplete (a dir could not be read). */
static int walk(const char *root, const char *dir, int deep, struct index_pkg *p,
                struct paths *mods, struct paths *dirs, const atomic_int *stop)
{
    struct walk w = {
        .p = p, .mods = mods, .dirs = dirs, .stop = stop, .max_depth = deep ? MAX_DEPTH : 0};
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    w.root = realpath(root, NULL);
    if (!w.root)
        w.root = xstrdup(root);
    strmap_init(&w.seen);
    walk_seen(&w, &st);
    walk_dir(&w, dir, 0);
    free(w.root);
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&w.seen, &i, &k, &v);)
        free(v);
    strmap_free(&w.seen);
    return w.incomplete || stopped(stop);
}

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return xstrndup(base, strlen(base) - strlen(".mod"));
}

/* A fingerprint of the files a mod includes (path and stat identity, or
 * missing), so a rescan sees an edited .inc or header as a change. Not a
 * cache key: the build hashes the contents. */
static uint64_t include_sig(const char *mod_path, const struct modfile_info *info)
{
    size_t n = info->nincludes + info->nc_includes;
    if (n == 0)
        return 0;
    char *dir = xstrndup(mod_path, strrchr(mod_path, '/') - mod_path);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            i < info->nincludes ? info->includes[i] : info->c_includes[i - info->nincludes];
        char *path = name[0] == '/' ? xstrdup(name) : xprintf("%s/%s", dir, name);
        struct stat st;
        int64_t v[4] = {0, -1, 0, 0};
        if (stat(path, &st) == 0) {
            v[0] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            v[1] = st.st_size, v[2] = (int64_t)st.st_ino, v[3] = (int64_t)st.st_ctim.tv_nsec;
        }
        for (const char *c = path; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        for (size_t k = 0; k < 4; k++)
            h = (h ^ (uint64_t)v[k]) * 1099511628211ull;
        free(path);
    }
    free(dir);
    return h ? h : 1;
}

/* A mod that names no mechanism itself may have nocmodl read the name from
 * a file it INCLUDEs. A build renames only bytes of the mod, so such a mod
 * would be built under the included name, not the indexed one: it is left
 * out, with where the name is. Returns 1 after recording that problem. */
static int named_in_include(struct index_pkg *p, const char *path, const struct modfile_info *info)
{
    char *dir = xstrndup(path, strrchr(path, '/') - path);
    int found = 0;
    for (size_t i = 0; i < info->nincludes && !found; i++) {
        const char *name = info->includes[i];
        char *inc = name[0] == '/' ? xstrdup(name) : xprintf("%s/%s", dir, name);
        size_t len;
        char *text = file_read(inc, SCAN_MAX_MOD_BYTES, &len);
        struct modfile_info in;
        struct modfile_error err;
        if (text && modfile_parse(text, len, &in, &err) == 0) {
            if (!in.named_by_file) {
                index_pkg_problem(p, path, 0,
                                  "its mechanism is named in INCLUDE \"%s\" (line %d: %s); "
                                  "gliad renames a mechanism only where the mod itself names "
                                  "it: move that NEURON block into the mod",
                                  name, in.name_line, in.name);
                found = 1;
            }
            modfile_info_free(&in);
        }
        free(text);
        free(inc);
    }
    free(dir);
    return found;
}

/* Reads and parses one mod. Returns 0, or after recording a problem -1,
 * -2 when the failure says nothing about the file (see read_failed), or
 * -3 when the parser rejected its text. */
static int read_mod(struct index_pkg *p, const char *path, struct index_mod *m)
{
    struct stat st;
    size_t len;
    char *text = file_read(path, SCAN_MAX_MOD_BYTES, &len);
    if (!text) {
        int err = errno;
        index_pkg_problem(p, path, 0, "cannot read: %s",
                          err == EFBIG    ? "larger than 4 MiB"
                          : err == EINVAL ? "not a regular file"
                                          : strerror(err));
        return read_failed(err) ? -2 : -1;
    }
    if (stat(path, &st) == 0) {
        m->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        m->size = st.st_size;
        m->ino = st.st_ino;
    }
    struct modfile_error err;
    int rc = modfile_parse(text, len, &m->info, &err);
    free(text);
    if (rc < 0) {
        index_pkg_problem(p, path, err.line, "%s", err.message);
        return -3;
    }
    m->inc_sig = include_sig(path, &m->info);
    if (m->info.named_by_file && named_in_include(p, path, &m->info))
        return -1;
    /* A mod that names no mechanism is one named after its file. */
    if (modfile_name_after_file(&m->info, path) < 0) {
        index_pkg_problem(p, path, 0, "out of memory");
        return -1;
    }
    return 0;
}

/* Names a parsed mod: from its NEURON name when namespaced, else from the
 * file stem. The package part of a plain mod is filled in later. */
static int name_mod(struct index_pkg *p, const char *path, struct index_mod *m)
{
    char why[200];
    struct mechname mn;
    enum mechname_status st = mechname_parse(m->info.name, &mn, why, sizeof(why));
    if (st == MECHNAME_INVALID) {
        index_pkg_problem(p, path, m->info.name_line, "%s", why);
        return -1;
    }
    if (st == MECHNAME_OK) {
        m->full = xstrdup(m->info.name);
        m->pkgname = mn.pkg;
        m->asset = mn.asset;
        m->variant = mn.variant;
        return 0;
    }
    char *stem = stem_of(path);
    int rc = mechname_from_stem(stem, &mn, why, sizeof(why));
    free(stem);
    if (rc < 0) {
        index_pkg_problem(p, path, 0, "file name: %s", why);
        return -1;
    }
    m->asset = mn.asset;
    m->variant = mn.variant;
    m->renamed = 1;
    return 0;
}

static void free_mod(struct index_mod *m)
{
    free(m->full);
    free(m->asset);
    free(m->variant);
    free(m->pkgname);
    modfile_info_free(&m->info);
    memset(m, 0, sizeof(*m));
}

/* The package is named after its mods when they say (Glia 4 and 0.x both
 * write glia__<pkg>__... into them), else after its entry point. */
static void name_package(struct index_pkg *p)
{
    for (size_t i = 0; i < p->nmods; i++)
        if (!p->mods[i].renamed) {
            p->name = xstrdup(p->mods[i].pkgname);
            break;
        }
    if (!p->name)
        p->name = xstrdup(p->entry);
    char why[200];
    int name_ok = mechname_check_part("package", p->name, why, sizeof(why)) == 0;
    if (!name_ok)
        index_pkg_problem(p, p->dist_info, 0, "%s", why);
    size_t kept = 0;
    for (size_t i = 0; i < p->nmods; i++) {
        struct index_mod *m = &p->mods[i];
        if (m->renamed && !name_ok) {
            index_pkg_problem(p, m->path, 0,
                              "left out: its NEURON name is not namespaced and the package "
                              "name cannot be used in one");
            free(m->path);
            free(m->relpath);
            free_mod(m);
            continue;
        }
        if (m->renamed) {
            m->pkgname = xstrdup(p->name);
            m->full = mechname_format(m->pkgname, m->asset, m->variant);
            /* A library keeps its text: its hoc names and C symbols are what
             * other mods and hoc code call. The full name only names its
             * build copy, hence its registration function. */
            m->renamed = m->info.kind != MODFILE_LIBRARY;
        }
        p->mods[kept++] = *m;
    }
    p->nmods = kept;
}

/*
 * A mod the parser rejected is still a candidate for the asset its file
 * name gives (Kv1__fast.mod, glia__pkg__Kv1__fast.mod), so that asking for
 * it says why it fails instead of that it does not exist. Its package part
 * is filled in with the package's name, as for a plain mod.
 */
static void reject_mod(struct index_pkg *p, const char *path)
{
    char *stem = stem_of(path), why[200];
    struct mechname mn;
    enum mechname_status st = mechname_parse(stem, &mn, why, sizeof(why));
    if (st == MECHNAME_INVALID ||
        (st == MECHNAME_PLAIN && mechname_from_stem(stem, &mn, why, sizeof(why)) < 0)) {
        free(stem);
        return; /* no name to be asked for by */
    }
    free(stem);
    const struct index_problem *pr = &p->problems[p->nproblems - 1];
    p->rejected = xrealloc(p->rejected, (p->nrejected + 1) * sizeof(*p->rejected));
    struct index_mod *m = memset(&p->rejected[p->nrejected++], 0, sizeof(*m));
    m->pkg = p;
    m->path = xstrdup(path);
    m->relpath = xstrdup(path + strlen(p->root) + (path[strlen(p->root)] == '/'));
    m->asset = mn.asset;
    m->variant = mn.variant;
    m->pkgname = mn.pkg; /* NULL for a plain stem: named with the package */
    m->reject_reason = xstrdup(pr->reason);
    m->reject_line = pr->line;
}

static void name_rejected(struct index_pkg *p)
{
    for (size_t i = 0; i < p->nrejected; i++) {
        struct index_mod *m = &p->rejected[i];
        if (!m->pkgname)
            m->pkgname = xstrdup(p->name);
        m->full = mechname_format(m->pkgname, m->asset, m->variant);
    }
}

/* Returns 1 when a mod could not be read for a reason of the moment. */
static int read_mods(struct index_pkg *p, struct paths *files)
{
    int incomplete = 0;
    if (files->n)
        qsort(files->v, files->n, sizeof(*files->v), cmp_str);
    p->mods = xcalloc(files->n, sizeof(*p->mods));
    size_t rootlen = strlen(p->root);
    for (size_t i = 0; i < files->n; i++) {
        struct index_mod *m = &p->mods[p->nmods];
        m->pkg = p;
        int rc = read_mod(p, files->v[i], m);
        incomplete |= rc == -2;
        if (rc == -3)
            reject_mod(p, files->v[i]);
        if (rc < 0 || name_mod(p, files->v[i], m) < 0) {
            free_mod(m);
            continue;
        }
        m->path = xstrdup(files->v[i]);
        m->relpath = xstrdup(m->path + rootlen + (m->path[rootlen] == '/'));
        p->nmods++;
    }
    name_package(p);
    name_rejected(p);
    return incomplete;
}

/* Where the module lives: in site-packages, or for an editable install in
 * the source dir (flat or src/ layout). NULL when not found. */
static char *module_dir(struct index_pkg *p, const char *modpath)
{
    char *dir = xprintf("%s/%s", p->site, modpath);
    if (is_dir(dir))
        return dir;
    free(dir);
    char *du = xprintf("%s/direct_url.json", p->dist_info);
    char *json = file_read(du, 1u << 16, NULL);
    free(du);
    char *src = direct_url_editable_dir(json);
    free(json);
    if (!src)
        return NULL;
    p->editable = 1;
    const char *layouts[] = {"%s/%s", "%s/src/%s"};
    for (size_t i = 0; i < 2; i++) {
        dir = xprintf(layouts[i], src, modpath);
        if (is_dir(dir)) {
            free(src);
            return dir;
        }
        free(dir);
    }
    free(src);
    return NULL;
}

/* "name-1.2.3.dist-info" -> "1.2.3"; NULL for a name pip would not make
 * (no dash before the suffix, as in "x.dist-info"). */
static char *version_of(const char *dist_info_name)
{
    size_t len = strlen(dist_info_name), sl = strlen(".dist-info");
    if (len < sl)
        return NULL;
    const char *end = dist_info_name + len - sl;
    const char *dash = memchr(dist_info_name, '-', (size_t)(end - dist_info_name));
    if (!dash || dash + 1 == end)
        return NULL;
    return xstrndup(dash + 1, (size_t)(end - dash - 1));
}

/* *incomplete is set when something could not be read for a reason of
 * the moment (the package found is then not the whole truth). */
static struct index_pkg *scan_package(const char *site, const char *di, const struct entrypoint *ep,
                                      const atomic_int *stop, int *incomplete)
{
    struct index_pkg *p = index_pkg_new();
    p->entry = xstrdup(ep->name);
    p->module = xstrdup(ep->module);
    p->site = xstrdup(site);
    p->dist_info = xprintf("%s/%s", site, di);
    p->version = version_of(di);
    p->layout = ep->attr ? INDEX_GLIA4 : INDEX_GLIA0;

    char *modpath = xstrdup(ep->module);
    for (char *c = modpath; *c; c++)
        if (*c == '.')
            *c = '/';
    p->root = module_dir(p, modpath);
    if (!p->root) {
        index_pkg_problem(p, p->dist_info, 0, "module '%s' of entry point '%s' not found in %s%s",
                          ep->module, ep->name, site,
                          p->editable ? " nor in the editable source dir" : "");
        p->root = xprintf("%s/%s", site, modpath);
        free(modpath);
        p->name = xstrdup(ep->name);
        return p;
    }
    free(modpath);

    struct paths files = {0};
    char *glia0 = xprintf("%s/mod", p->root), *glia4 = xprintf("%s/mods", p->root);
    *incomplete |= walk(p->root, glia0, 0, p, &files, NULL, stop);
    size_t n0 = files.n;
    *incomplete |= walk(p->root, glia4, 1, p, &files, NULL, stop);
    if (files.n > n0)
        p->layout = INDEX_GLIA4;
    else if (n0 > 0)
        p->layout = INDEX_GLIA0;
    if (files.n == 0 && !is_dir(glia0) && !is_dir(glia4))
        index_pkg_problem(p, p->root, 0, "no mod/ or mods/ folder in the package");
    free(glia0);
    free(glia4);
    *incomplete |= read_mods(p, &files);
    strv_free(files.v, files.n);
    return p;
}

/* What a scan of one environment works with. */
struct scan_ctx {
    struct scan_result *r;
    size_t pcap, wcap;
    struct strmap byinfo; /* dist-info path -> its first package in prev */
    struct index_pkg *const *prev;
    size_t nprev;
    const struct strmap *dirty;
    const atomic_int *stop;
};

/* The Glia packages of one *.dist-info dir (usually one; none when it has
 * no [glia.package] entry point), appended to *pkgs. Returns 1 when
 * something could not be read for a reason of the moment. */
static int scan_dist_info(struct scan_ctx *cx, const char *site, const char *di,
                          struct index_pkg ***pkgs, size_t *npkgs)
{
    struct scan_result *r = cx->r;
    char *path = xprintf("%s/%s/entry_points.txt", site, di);
    char *text = file_read(path, 1u << 20, NULL);
    if (!text) {
        int err = errno;
        if (err != ENOENT && err != ENOTDIR) {
            char *why = xprintf("cannot read: %s", strerror(err));
            index_problem_add(&r->probs, &r->nprobs, path, 0, why);
            free(why);
        }
        free(path);
        return read_failed(err);
    }
    struct entrypoints eps;
    char why[320] = "";
    if (entrypoints_parse(text, &eps, why, sizeof(why)) < 0 || why[0])
        index_problem_add(&r->probs, &r->nprobs, path, 0, why);
    free(text);
    free(path);
    int incomplete = 0;
    for (size_t i = 0; i < eps.n; i++) {
        struct index_pkg *p = scan_package(site, di, &eps.v[i], cx->stop, &incomplete);
        *pkgs = xrealloc(*pkgs, (*npkgs + 1) * sizeof(**pkgs));
        (*pkgs)[(*npkgs)++] = p;
    }
    entrypoints_free(&eps);
    return incomplete;
}

/* ---- A whole environment ---- */

static void add_watch(struct scan_result *r, size_t *cap, char *dir, const char *owner)
{
    if (*cap <= r->nwatch) {
        *cap = *cap ? *cap * 2 : 16;
        r->watch = xrealloc(r->watch, *cap * sizeof(*r->watch));
    }
    r->watch[r->nwatch++] = (struct scan_watch){dir, xstrdup(owner)};
}

/* The package's module dir (where mods/ may be created) and every dir of
 * its mod folders where mods may appear, walked as the scan walks them. */
static void watch_package(struct scan_ctx *cx, const struct index_pkg *p)
{
    struct scan_result *r = cx->r;
    if (!p->root || !is_dir(p->root)) {
        /* Its module not found, perhaps not yet: pip writes an editable
         * install's direct_url.json (where the source is) after the rest of
         * the dist-info, into a dir the site's watch does not see into. */
        if (p->dist_info && is_dir(p->dist_info))
            add_watch(r, &cx->wcap, xstrdup(p->dist_info), p->dist_info);
        return;
    }
    add_watch(r, &cx->wcap, xstrdup(p->root), p->dist_info);
    struct paths dirs = {0};
    char *mod = xprintf("%s/mod", p->root), *mods = xprintf("%s/mods", p->root);
    int incomplete = walk(p->root, mod, 0, NULL, NULL, &dirs, cx->stop); /* Glia 0.x: flat */
    incomplete |= walk(p->root, mods, 1, NULL, NULL, &dirs, cx->stop);
    r->incomplete |= incomplete;
    for (size_t i = 0; i < dirs.n; i++)
        add_watch(r, &cx->wcap, dirs.v[i], p->dist_info);
    free(dirs.v);
    free(mod);
    free(mods);
}

/* A missing site-packages dir is watched through its nearest existing
 * parent, so its creation (a venv made later) is seen. */
static void watch_site(struct scan_result *r, size_t *cap, const char *site)
{
    char *dir = xstrdup(site);
    while (!is_dir(dir)) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            strcpy(dir, "/");
            break;
        }
        *slash = '\0';
    }
    add_watch(r, cap, dir, NULL);
}

static int same_owner(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* One entry per dir: a dir two packages share (or a package and a site)
 * would otherwise be watched for each in turn, forever. */
static void dedupe_watch(struct scan_result *r)
{
    struct strmap first;
    strmap_init(&first);
    size_t k = 0;
    for (size_t i = 0; i < r->nwatch; i++) {
        struct scan_watch *w = &r->watch[i], *kept = strmap_get(&first, w->dir);
        if (!kept) {
            r->watch[k] = *w;
            strmap_put(&first, r->watch[k].dir, &r->watch[k]);
            k++;
            continue;
        }
        if (!same_owner(kept->owner, w->owner)) {
            free(kept->owner);
            kept->owner = xstrdup(SCAN_WATCH_SHARED);
        }
        free(w->dir);
        free(w->owner);
    }
    r->nwatch = k;
    strmap_free(&first);
}

static void push_pkg(struct scan_result *r, size_t *cap, struct index_pkg *p, int fresh)
{
    if (*cap <= r->npkgs) {
        *cap = *cap ? *cap * 2 : 16;
        r->pkgs = xrealloc(r->pkgs, *cap * sizeof(*r->pkgs));
        r->fresh = xrealloc(r->fresh, *cap);
    }
    r->pkgs[r->npkgs] = p;
    r->fresh[r->npkgs++] = (unsigned char)fresh;
}

/* The packages of prev found in `site`, kept as they are: the site could
 * not be read, which is not the same as it being empty. */
static void keep_site(struct scan_ctx *cx, const char *site)
{
    for (size_t i = 0; i < cx->nprev; i++)
        if (cx->prev[i]->site && strcmp(cx->prev[i]->site, site) == 0)
            push_pkg(cx->r, &cx->pcap, cx->prev[i], 0);
}

/* A dist-info read again: its fresh packages, or the old ones when the
 * read was incomplete or found nothing new. */
static void rescan_dist_info(struct scan_ctx *cx, const char *site, const char *name,
                             const char *path, struct index_pkg *const *old)
{
    struct scan_result *r = cx->r;
    struct index_pkg **fresh = NULL;
    size_t n = 0;
    int incomplete = scan_dist_info(cx, site, name, &fresh, &n);
    /* Read again but unchanged (a look after a watch started, an event that
     * changed nothing), or not read in full: keep the old package, so the
     * index does not change (or lose what could not be read now). */
    size_t same = 0;
    while (old && same < n && old[same] && strcmp(old[same]->dist_info, path) == 0 &&
           index_pkg_same(fresh[same], old[same]))
        same++;
    int reuse =
        old && ((same == n && (!old[n] || strcmp(old[n]->dist_info, path) != 0)) || incomplete);
    if (incomplete) {
        r->incomplete = 1;
        if (old)
            index_problem_add(&r->probs, &r->nprobs, path, 0,
                              "could not be read in full; its last index is kept until it can");
    }
    for (size_t k = 0; k < n; k++)
        if (reuse)
            index_pkg_unref(fresh[k]); /* ours alone: nobody else has seen it */
        else
            push_pkg(r, &cx->pcap, fresh[k], 1);
    for (; reuse && *old && strcmp((*old)->dist_info, path) == 0; old++)
        push_pkg(r, &cx->pcap, *old, 0);
    free(fresh);
}

static void scan_one_site(struct scan_ctx *cx, const char *site)
{
    struct scan_result *r = cx->r;
    DIR *d = opendir(site);
    if (!d) {
        int err = errno;
        char *why = err == ENOENT
                        ? xprintf("site-packages dir %s does not exist (yet)", site)
                        : xprintf("site-packages dir %s cannot be read: %s; its last index is "
                                  "kept until it can",
                                  site, strerror(err));
        index_problem_add(&r->probs, &r->nprobs, site, 0, why);
        free(why);
        if (err != ENOENT && err != ENOTDIR) {
            r->incomplete = 1;
            keep_site(cx, site);
        }
        return;
    }
    struct paths names = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && str_has_suffix(de->d_name, ".dist-info"))
            VEC_PUSH(names.v, names.n, names.cap, xstrdup(de->d_name));
    closedir(d);
    if (names.n) /* qsort(NULL, 0) is undefined */
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n && !stopped(cx->stop); i++) {
        char *path = xprintf("%s/%s", site, names.v[i]);
        struct index_pkg *const *old = strmap_get(&cx->byinfo, path);
        if (old && cx->dirty && !strmap_get(cx->dirty, path)) {
            for (; *old && strcmp((*old)->dist_info, path) == 0; old++)
                push_pkg(r, &cx->pcap, *old, 0);
        } else {
            rescan_dist_info(cx, site, names.v[i], path, old);
        }
        free(path);
    }
    strv_free(names.v, names.n);
}

void scan_env(char *const *sites, size_t nsite, struct index_pkg *const *prev, size_t nprev,
              const struct strmap *dirty, const atomic_int *stop, struct scan_result *out)
{
    memset(out, 0, sizeof(*out));
    struct scan_ctx cx = {.r = out, .prev = prev, .nprev = nprev, .dirty = dirty, .stop = stop};
    /* dist-info path -> its first package in prev (a dist-info's packages
     * are adjacent: one scan_dist_info made them). prev ends with NULL. */
    strmap_init(&cx.byinfo);
    for (size_t i = 0; i < nprev; i++)
        if (prev[i]->dist_info && !strmap_get(&cx.byinfo, prev[i]->dist_info))
            strmap_put(&cx.byinfo, prev[i]->dist_info, (void *)&prev[i]);
    for (size_t i = 0; i < nsite; i++)
        scan_one_site(&cx, sites[i]);
    strmap_free(&cx.byinfo);
    for (size_t i = 0; i < nsite; i++)
        watch_site(out, &cx.wcap, sites[i]);
    for (size_t i = 0; i < out->npkgs; i++)
        watch_package(&cx, out->pkgs[i]);
    dedupe_watch(out);
    out->stopped = stopped(stop);
}

void scan_result_free(struct scan_result *r)
{
    for (size_t i = 0; i < r->nwatch; i++) {
        free(r->watch[i].dir);
        free(r->watch[i].owner);
    }
    free(r->watch);
    free(r->pkgs);
    free(r->fresh);
    memset(r, 0, sizeof(*r));
}
