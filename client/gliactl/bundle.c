/*
 * bundle: building, reading and comparing a bundle's manifest.
 *
 * gliad's `bundle` answer names files by their absolute paths on this
 * host; the manifest names them by paths inside the bundle, so the bundle
 * can be moved. Every copy goes to a temporary name first: a reader never
 * sees half a file, and a bundle rewritten in place (--rebuild) keeps its
 * old library until the new one is whole.
 */
#include "bundle.h"
#include "gliactl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Files ---- */

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s/%s", a, b);
    return s;
}

static int mkdirs(char *path) /* of the file `path`: its parent dirs */
{
    for (char *p = path + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* SHA-256 of the file at path into hex (65 bytes); with dest, also copies
 * it there through dest.tmp-<pid>. 0, or -1 after printing why. */
static int hash_copy(const char *path, const char *dest, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    int in = open(path, O_RDONLY | O_CLOEXEC), out = -1;
    char tmp[PATH_MAX];
    if (in < 0) {
        fprintf(stderr, "gliactl: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (dest) {
        char *d = strdup(dest);
        snprintf(tmp, sizeof(tmp), "%s.tmp-%d", dest, (int)getpid());
        if (!d || mkdirs(d) < 0 ||
            (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
            fprintf(stderr, "gliactl: cannot write %s: %s\n", tmp, strerror(errno));
            free(d);
            close(in);
            return -1;
        }
        free(d);
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    char buf[65536];
    ssize_t n;
    int bad = 0;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        sha256_update(&ctx, (size_t)n, (const uint8_t *)buf);
        if (out >= 0 && write(out, buf, (size_t)n) != n)
            bad = 1;
    }
    bad |= n < 0;
    close(in);
    if (out >= 0) {
        bad |= fsync(out) < 0;
        bad |= close(out) < 0;
        if (bad || rename(tmp, dest) < 0) {
            fprintf(stderr, "gliactl: cannot copy %s to %s: %s\n", path, dest, strerror(errno));
            unlink(tmp);
            return -1;
        }
    } else if (bad) {
        fprintf(stderr, "gliactl: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    return 0;
}

/* The same file: copying it onto itself (a rebuild reads the bundle's own
 * sources) would only hash it. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Hashes src (and copies it to dir/rel with copy); sets key's "sha256". */
static int add_file(json_t *o, const char *src, const char *dir, const char *rel, int copy)
{
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    char *dest = copy ? join(dir, rel) : NULL;
    int rc = hash_copy(src, dest && !same_file(src, dest) ? dest : NULL, hex);
    free(dest);
    if (rc == 0)
        json_object_set_new(o, "sha256", json_string(hex));
    return rc;
}

/* ---- The manifest ---- */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static char *module_dir(const char *module) /* "a.b" -> "site/a/b" */
{
    char *d = join("site", module);
    for (char *c = d; *c; c++)
        if (*c == '.')
            *c = '/';
    return d;
}

/* The module dir in the bundle of the package holding m: pkgdirs[i] is
 * packages[i]'s; m names it by index, since names can repeat and a mod's
 * `package` (from its file name) need not be its package's name. NULL
 * when gliad named no package for it. */
static const char *pkg_dir(const json_t *pkgdirs, const json_t *m)
{
    const json_t *i = json_object_get(m, "package_index");
    return json_is_integer(i) ? json_string_value(json_array_get(pkgdirs, json_integer_value(i)))
                              : NULL;
}

static int package_entry(json_t *p, json_t *pkgdirs, const char *dir, int copy)
{
    const char *di = str(p, "dist_info"), *module = str(p, "module");
    char *mdir = module_dir(module ? module : str(p, "name"));
    json_array_append_new(pkgdirs, json_string(mdir));
    free(mdir);
    int rc = 0;
    if (di) {
        const char *base = strrchr(di, '/') ? strrchr(di, '/') + 1 : di;
        char *rel_di = join("site", base);
        char *src = join(di, "entry_points.txt"), *rel = join(rel_di, "entry_points.txt");
        json_t *ep = json_object();
        rc = add_file(ep, src, dir, rel, copy);
        json_object_set_new(p, "dist_info", json_string(rel_di));
        json_object_set_new(p, "entry_points_sha256", json_incref(json_object_get(ep, "sha256")));
        json_decref(ep);
        free(rel_di);
        free(src);
        free(rel);
    }
    json_object_del(p, "root");
    return rc;
}

static int include_entries(json_t *m, const char *rel_mod, const char *dir, int copy)
{
    json_t *incs = json_object_get(m, "includes");
    char *rel_dir = strdup(rel_mod);
    *strrchr(rel_dir, '/') = '\0';
    size_t i;
    json_t *inc;
    int rc = 0;
    json_array_foreach(incs, i, inc)
    {
        const char *path = str(inc, "path"), *name = str(inc, "name");
        if (path && name && name[0] != '/' && !strstr(name, "..")) {
            char *rel = join(rel_dir, name);
            rc |= add_file(inc, path, dir, rel, copy);
            json_object_set_new(inc, "source", json_string(rel));
            free(rel);
        } else if (path) { /* outside the package: hashed, not copied */
            rc |= add_file(inc, path, dir, NULL, 0);
        }
        json_object_del(inc, "path");
    }
    free(rel_dir);
    return rc;
}

/* A mod whose package is unknown is left out of the bundle's sources
 * (the manifest still lists it, with no `source`): copying it anywhere
 * else would put it where a rebuild's scan does not find it. */
static int mod_entry(json_t *m, const json_t *pkgdirs, const char *dir, int copy)
{
    const char *path = str(m, "path"), *relpath = str(m, "relpath");
    const char *pdir = pkg_dir(pkgdirs, m);
    int rc = 0;
    if (path && relpath && !pdir) {
        fprintf(stderr, "gliactl: %s: gliad named no package holding %s; its source is left out\n",
                str(m, "full"), path);
    } else if (path && relpath) {
        char *rel = join(pdir, relpath);
        rc |= add_file(m, path, dir, rel, copy);
        json_object_set_new(m, "source", json_string(rel));
        rc |= include_entries(m, rel, dir, copy);
        free(rel);
    }
    json_object_del(m, "path");
    json_object_del(m, "relpath");
    json_object_del(m, "detail");
    json_object_del(m, "package_index");
    return rc;
}

json_t *bundle_manifest(const msgpack_object *r, const char *dir, int copy)
{
    json_t *m = json_of_msgpack(r), *pkgdirs = json_array();
    int rc = 0;
    json_object_set_new(m, "format", json_integer(BUNDLE_FORMAT));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "packages"), i, v) rc |=
        package_entry(v, pkgdirs, dir, copy);
    json_array_foreach(json_object_get(m, "mods"), i, v) rc |= mod_entry(v, pkgdirs, dir, copy);
    json_decref(pkgdirs);
    json_t *lib = json_object_get(m, "library");
    const char *path = str(lib, "path");
    if (!path) {
        fprintf(stderr, "gliactl: gliad named no library\n");
        rc = -1;
    } else {
        rc |= add_file(lib, path, dir, BUNDLE_LIBRARY, copy);
        json_object_set_new(lib, "file", json_string(BUNDLE_LIBRARY));
        json_object_del(lib, "path");
    }
    if (rc) {
        json_decref(m);
        return NULL;
    }
    return m;
}

int bundle_write(const char *dir, json_t *m)
{
    char *path = join(dir, BUNDLE_MANIFEST);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    int rc = json_dump_file(m, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc < 0) {
        fprintf(stderr, "gliactl: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(path);
    return rc;
}

json_t *bundle_read(const char *dir)
{
    char *path = join(dir, BUNDLE_MANIFEST);
    json_error_t err;
    json_t *m = json_load_file(path, 0, &err);
    if (!m)
        fprintf(stderr, "gliactl: %s:%d: %s (is %s a bundle?)\n", path, err.line, err.text, dir);
    else if (json_integer_value(json_object_get(m, "format")) != BUNDLE_FORMAT) {
        fprintf(stderr, "gliactl: %s: not a bundle manifest of format %d\n", path, BUNDLE_FORMAT);
        json_decref(m);
        m = NULL;
    }
    free(path);
    return m;
}

/* ---- Differences ---- */

/* items keyed by their `key` field. */
static json_t *by(const json_t *items, const char *key)
{
    json_t *o = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) if (str(v, key)) json_object_set(o, str(v, key), v);
    return o;
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

/* json_equal, for which two absent values differ. */
static int same(const json_t *a, const json_t *b)
{
    return (!a && !b) || json_equal((json_t *)a, (json_t *)b);
}

/* What of a mod matters for the library: its text, its INCLUDEs, whether
 * it was built. */
static int mod_same(const json_t *a, const json_t *b)
{
    return same(json_object_get(a, "sha256"), json_object_get(b, "sha256")) &&
           same(json_object_get(a, "includes"), json_object_get(b, "includes")) &&
           same(json_object_get(a, "built"), json_object_get(b, "built")) &&
           same(json_object_get(a, "kind"), json_object_get(b, "kind"));
}

static int diff_set(const json_t *was, const json_t *now, const char *what, const char *key,
                    FILE *out)
{
    json_t *a = by(was, key), *b = by(now, key);
    const char *k;
    json_t *v;
    int n = 0;
    json_object_foreach(a, k, v)
    {
        json_t *w = json_object_get(b, k);
        if (!w) {
            fprintf(out, "%s %s: removed\n", what, k);
            n++;
        } else if (strcmp(what, "mod") == 0
                       ? !mod_same(v, w)
                       : !same(json_object_get(v, "version"), json_object_get(w, "version"))) {
            if (strcmp(what, "mod") == 0)
                fprintf(out, "mod %s: changed (%s)\n", k, or_none(str(w, "source")));
            else
                fprintf(out, "package %s: version %s, now %s\n", k, or_none(str(v, "version")),
                        or_none(str(w, "version")));
            n++;
        }
    }
    json_object_foreach(b, k, v)
    {
        if (!json_object_get(a, k)) {
            fprintf(out, "%s %s: added\n", what, k);
            n++;
        }
    }
    json_decref(a);
    json_decref(b);
    return n;
}

static int diff_prefs(const json_t *was, const json_t *now, FILE *out)
{
    int n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)was, k, v)
    {
        json_t *w = json_object_get(now, k);
        if (!same(v, w)) {
            fprintf(out, "preference %s: pkg %s variant %s, now %s\n", k, or_none(str(v, "pkg")),
                    or_none(str(v, "variant")), w ? "changed" : "removed");
            n++;
        }
    }
    json_object_foreach((json_t *)now, k, v)
    {
        if (!json_object_get(was, k)) {
            fprintf(out, "preference %s: added (pkg %s variant %s)\n", k, or_none(str(v, "pkg")),
                    or_none(str(v, "variant")));
            n++;
        }
    }
    return n;
}

int bundle_diff(const json_t *was, const json_t *now, FILE *out)
{
    int n = 0;
    const json_t *tw = json_object_get(was, "toolchain"), *tn = json_object_get(now, "toolchain");
    if (!same(json_object_get(tw, "id"), json_object_get(tn, "id"))) {
        fprintf(out, "toolchain: %s, now %s\n", or_none(str(tw, "describe")),
                or_none(str(tn, "describe")));
        n++;
    }
    n += diff_set(json_object_get(was, "packages"), json_object_get(now, "packages"), "package",
                  "name", out);
    n += diff_set(json_object_get(was, "mods"), json_object_get(now, "mods"), "mod", "full", out);
    n += diff_prefs(json_object_get(was, "prefs"), json_object_get(now, "prefs"), out);
    return n;
}
