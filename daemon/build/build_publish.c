/*
 * build_publish: the link preparation and the publication of a build, on
 * worker threads.
 *
 * Order is what makes a crash harmless: the library's directory is renamed
 * into place whole (after fsync), then the manifest, then the generation's
 * row is committed. A crash before the commit leaves at worst an unused
 * library in the cache; a client only ever learns of committed generations.
 */
#include "artifact.h"
#include "build_internal.h"
#include "hostid.h"
#include "lease.h"
#include "log.h"
#include "os.h"
#include "store.h"
#include "strmap.h"
#include "util.h"
#include "work.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Libraries known sound ----
 *
 * A library's digest is a read of all of it: done once per library as it
 * is on disk, not on every build. The verdict holds while neither the
 * library nor its seal changed (same device, inode, size and mtime). Loop
 * thread only. */

struct stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct verdict {
    struct stamp lib, seal; /* seal: all zero while there is none */
    int sealing;            /* a worker is writing the seal */
};

static struct strmap sound_libs; /* path (owned) -> struct verdict * */

static void stamp_of(const char *path, struct stamp *st)
{
    struct stat sb;
    memset(st, 0, sizeof(*st));
    if (stat(path, &sb) == 0)
        *st = (struct stamp){sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim};
}

static int stamp_eq(const struct stamp *a, const struct stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void stamps_of(const char *path, struct stamp *lib, struct stamp *seal)
{
    char *sp = xprintf("%s%s", path, ARTIFACT_SEAL_SUFFIX);
    stamp_of(path, lib);
    stamp_of(sp, seal);
    free(sp);
}

struct seal_job {
    char *path;
    int rc, err;
};

static void seal_work(void *ctx)
{
    struct seal_job *j = ctx;
    j->rc = artifact_seal(j->path);
    j->err = errno;
}

static void seal_done(void *ctx)
{
    struct seal_job *j = ctx;
    struct verdict *v = strmap_get(&sound_libs, j->path);
    if (v) {
        v->sealing = 0;
        if (j->rc == 0)
            stamps_of(j->path, &v->lib, &v->seal);
    }
    if (j->rc < 0)
        log_warn("cannot seal the library %s (write %s%s): %s; it is served unsealed", j->path,
                 j->path, ARTIFACT_SEAL_SUFFIX, strerror(j->err));
    free(j->path);
    free(j);
}

/* Seals an unsealed library on a worker: a digest of all of it. */
static void seal_later(uv_loop_t *loop, const char *path, struct verdict *v)
{
    if (v->sealing)
        return;
    v->sealing = 1;
    struct seal_job *j = xcalloc(1, sizeof(*j));
    j->path = xstrdup(path);
    work_submit(loop, seal_work, seal_done, j);
}

int build_library_check(uv_loop_t *loop, const char *path, char *why, size_t whylen)
{
    if (!sound_libs.cap)
        strmap_init(&sound_libs);
    struct stamp lib, seal;
    stamps_of(path, &lib, &seal);
    struct verdict *v = strmap_get(&sound_libs, path);
    if (v && stamp_eq(&v->lib, &lib) && stamp_eq(&v->seal, &seal))
        return 0;
    int rc = artifact_check(path, why, whylen);
    if (rc < 0) {
        if (v)
            free(strmap_del(&sound_libs, path));
        return -1;
    }
    if (!v) {
        v = xcalloc(1, sizeof(*v));
        strmap_put(&sound_libs, xstrdup(path), v);
    }
    v->lib = lib, v->seal = seal;
    if (rc == ARTIFACT_UNSEALED) {
        log_info("the library %s has no seal (published by an older gliad): sealing it", path);
        seal_later(loop, path, v);
    }
    return 0;
}

int build_library_sound(const struct build *b)
{
    struct stat st;
    if (stat(b->lib_path, &st) < 0)
        return 0;
    char why[256];
    if (build_library_check(b->loop, b->lib_path, why, sizeof(why)) == 0)
        return 1;
    log_warn("[%s] the cached library %s is damaged (%s); linking it again", b->env_name,
             b->lib_path, why);
    return 0;
}

/* Renames the staged library dir to `dir`. One there already is moved
 * aside (to `old`) first: this build found it damaged, or was forced.
 * (When another build published the same library meanwhile, the new one
 * replaces it: as good, and sealed.) A process that loaded the old file
 * keeps it: its inode lives while mapped. Another gliad sharing the cache
 * may publish between the two renames: its library, when sound, is as
 * good as ours. */
static int publish_dir(const char *staging, const char *dir, const char *old, const char *lib)
{
    if (rename(staging, dir) == 0)
        return 0;
    if (errno != EEXIST && errno != ENOTEMPTY)
        return -1;
    if (rename(dir, old) < 0 && errno != ENOENT)
        return -1;
    if (rename(staging, dir) == 0)
        return 0;
    int err = errno;
    char why[256];
    if ((err == EEXIST || err == ENOTEMPTY) && artifact_check(lib, why, sizeof(why)) >= 0)
        return 0;
    errno = err;
    return -1;
}

/* Moves the linked library into its content-addressed place. */
static int place_library(struct build *b)
{
    char *so = xprintf("%s/libglia.so", b->link_dir);
    char *dir = cache_library_dir(b->cache_dir, b->libkey);
    /* Unique among every gliad of every host sharing the cache. */
    char *staging =
        xprintf("%s.tmp-%s-%ld-%llu", dir, hostid(), (long)getpid(), (unsigned long long)b->id);
    char *staged = xprintf("%s/libglia.so", staging);
    char *libs = xstrndup(dir, strrchr(dir, '/') - dir);
    char *old =
        xprintf("%s.old-%s-%ld-%llu", dir, hostid(), (long)getpid(), (unsigned long long)b->id);
    int rc = -1;
    int staged_ok = fsync_path(so, 0) == 0 && mkdir_p(staging, 0755) == 0 &&
                    rename(so, staged) == 0 && artifact_seal(staged) == 0;
    if (staged_ok)
        build_parts_place(b, staging);
    if (!staged_ok || fsync_path(staging, 1) < 0) {
        b->error = xprintf("cannot stage the library in %s: %s", staging, strerror(errno));
    } else if (publish_dir(staging, dir, old, b->lib_path) < 0) {
        b->error = xprintf("cannot publish the library at %s: %s", dir, strerror(errno));
    } else {
        rc = 0;
        fsync_path(libs, 1);
    }
    remove_tree(old);
    free(old);
    remove_tree(staging);
    remove_tree(b->link_dir);
    free(so);
    free(dir);
    free(staging);
    free(staged);
    free(libs);
    return rc;
}

/* A JSON string of s (NULL: ""); bytes that are not UTF-8 (a path can be
 * any bytes) become U+FFFD, so that the manifest always parses. */
static json_t *json_text(const char *s)
{
    size_t len;
    char *u = str_utf8(s ? s : "", s ? strlen(s) : 0, &len);
    json_t *j = json_stringn(u, len);
    free(u);
    return j;
}

static json_t *manifest_item(const struct build_item *it)
{
    const struct index_mod *m = it->mod;
    return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:s}", "full", json_text(m->full), "kind",
                     modfile_kind_name(m->info.kind), "pkg", json_text(m->pkgname), "asset",
                     json_text(m->asset), "variant", json_text(m->variant), "source",
                     json_text(m->path), "hash", it->key);
}

static json_t *manifest(const struct build *b)
{
    json_t *mechs = json_array();
    for (size_t i = 0; i < b->n; i++)
        if (build_item_linked(&b->items[i]))
            json_array_append_new(mechs, manifest_item(&b->items[i]));
    return json_pack("{s:o, s:o, s:s, s:s, s:o}", "env", json_text(b->env_name), "library",
                     json_text(b->lib_path), "key", b->libkey, "toolchain", b->toolchain_id,
                     "mechanisms", mechs);
}

/* <state>/manifests/<env>-<libkey>.json, written whole then renamed. A
 * registered env's name is a path (sys.prefix): its slashes go. */
static char *write_manifest(struct build *b)
{
    char *dir = xprintf("%s/manifests", b->state_dir);
    char *env = xstrdup(b->env_name);
    for (char *c = env; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
            *c = '_';
    char *path = xprintf("%s/%s-%s.json", dir, env, b->libkey);
    free(env);
    char *tmp = xprintf("%s.tmp", path);
    FILE *f = mkdir_p(dir, 0700) == 0 ? fopen(tmp, "w") : NULL;
    free(dir);
    if (!f) {
        free(path);
        free(tmp);
        return NULL;
    }
    json_t *doc = manifest(b);
    int ok = doc && json_dumpf(doc, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF;
    json_decref(doc);
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    free(tmp);
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

/* Each mechanism's part (none: no parts), pointing into b. */
static struct store_gen_part *generation_part_rows(const struct build *b, size_t *n)
{
    struct store_gen_part *rows = xcalloc(b->n + 1, sizeof(*rows));
    *n = 0;
    for (size_t p = 0; b->part_paths && p < b->npkgs; p++)
        for (size_t i = 0; b->part_paths[p] && i < b->n; i++)
            if (build_in_pkg(b, &b->items[i], p))
                rows[(*n)++] = (struct store_gen_part){b->items[i].mod->full, b->pkgs[p]->name,
                                                       b->part_paths[p]};
    return rows;
}

/* The rows SQLite keeps of this generation (pointing into b). */
static void generation_rows(const struct build *b, struct store_generation *g)
{
    struct store_gen_mod *mods = xcalloc(b->n + 1, sizeof(*mods));
    struct store_gen_failure *fails = xcalloc(b->n + 1, sizeof(*fails));
    for (size_t i = 0; i < b->n; i++) {
        const struct build_item *it = &b->items[i];
        const struct index_mod *m = it->mod;
        if (build_item_linked(it))
            mods[g->nmods++] = (struct store_gen_mod){.full = m->full,
                                                      .kind = modfile_kind_name(m->info.kind),
                                                      .pkg = m->pkgname,
                                                      .asset = m->asset,
                                                      .variant = m->variant,
                                                      .path = m->path,
                                                      .objkey = it->key};
        else
            fails[g->nfails++] = (struct store_gen_failure){.full = m->full,
                                                            .pkg = m->pkgname,
                                                            .asset = m->asset,
                                                            .variant = m->variant,
                                                            .path = m->path,
                                                            .line = it->diag.line,
                                                            .summary = it->diag.summary,
                                                            .detail = it->diag.detail};
    }
    g->mods = mods;
    g->fails = fails;
    g->parts = generation_part_rows(b, &g->nparts);
}

static void touch_object(struct build *b, char *key, char **keys, int64_t *sizes, size_t *nk)
{
    char *obj = cache_object_path(b->cache_dir, key);
    struct stat st;
    if (stat(obj, &st) == 0) {
        keys[*nk] = key;
        sizes[(*nk)++] = st.st_size;
    }
    free(obj);
}

/* The packages' isolated objects and their parts are cached like the
 * mods' objects (and collected like them once no library needs them). */
static void touch_packages(struct build *b, cache_key *part_keys, char **keys, int64_t *sizes,
                           size_t *nk)
{
    for (size_t p = 0; p < b->npkgs; p++) {
        if (!b->pkg_keys[p][0])
            continue;
        touch_object(b, b->pkg_keys[p], keys, sizes, nk);
        build_part_key(b, p, part_keys[p]);
        touch_object(b, part_keys[p], keys, sizes, nk);
    }
}

static void record(struct build *b, const char *manifest)
{
    char err[256];
    struct store *s = store_open_worker(b->state_dir, err, sizeof(err));
    if (!s) {
        b->error = xstrdup(err);
        return;
    }
    struct store_generation g = {
        .env = b->env_name, .libkey = b->libkey, .path = b->lib_path, .manifest = manifest};
    generation_rows(b, &g);
    b->generation = store_generation_add(s, &g);
    if (b->generation < 0)
        b->error = xprintf("cannot record the generation in %s: %s", store_path(s), store_error(s));
    /* LRU bookkeeping of the objects this library is made of. */
    char **keys = xcalloc(b->n + 2 * b->npkgs + 1, sizeof(*keys));
    int64_t *sizes = xcalloc(b->n + 2 * b->npkgs + 1, sizeof(*sizes));
    cache_key *part_keys = xcalloc(b->npkgs + 1, sizeof(*part_keys));
    size_t nk = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (!build_item_linked(it))
            continue;
        if (it->obj_size == 0) { /* compiled by this build: not measured yet */
            char *obj = cache_object_path(b->cache_dir, it->key);
            struct stat st;
            if (stat(obj, &st) == 0)
                it->obj_size = st.st_size;
            free(obj);
        }
        keys[nk] = it->key;
        sizes[nk++] = it->obj_size;
    }
    touch_packages(b, part_keys, keys, sizes, &nk);
    if (store_objects_touch(s, keys, sizes, nk) < 0)
        log_warn("[%s] cannot note in %s which cached objects were used: %s; the cache may "
                 "collect them early",
                 b->env_name, store_path(s), store_error(s));
    free(part_keys);
    free(keys);
    free(sizes);
    free((void *)g.mods);
    free((void *)g.fails);
    free((void *)g.parts);
    store_close(s);
}

void build_publish_work(void *ctx)
{
    struct build *b = ctx;
    if (!b->lib_exists && place_library(b) < 0)
        return;
    char *dir = cache_library_dir(b->cache_dir, b->libkey);
    build_parts_found(b, dir);
    free(dir);
    char *manifest = write_manifest(b);
    if (!manifest)
        log_warn("[%s] could not write the manifest of %s; the generation stands", b->env_name,
                 b->lib_path);
    record(b, manifest);
    free(manifest);
}

struct leasing {
    struct build *b;
    void (*then)(struct build *b);
};

/* Worker: the lease may be on a network filesystem. Reads only what the
 * build keeps unchanged while it is busy. */
static void lease_work(void *ctx)
{
    const struct build *b = ((struct leasing *)ctx)->b;
    if (lease_add(b->cache_dir, b->libkey) < 0)
        log_warn("cannot lease library %s in %s/leases: %s", b->libkey, b->cache_dir,
                 strerror(errno));
}

static void leased(void *ctx)
{
    struct leasing *l = ctx;
    struct build *b = l->b;
    void (*then)(struct build *) = l->then;
    free(l);
    if (!build_step_end(b))
        then(b);
}

void build_lease(struct build *b, void (*then)(struct build *b))
{
    struct leasing *l = xcalloc(1, sizeof(*l));
    *l = (struct leasing){b, then};
    build_step_begin(b);
    work_submit(b->loop, lease_work, leased, l);
}
