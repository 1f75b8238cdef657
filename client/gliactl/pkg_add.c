/*
 * pkg_add: a mod file copied into a Glia package under its Glia name, for
 * `gliactl pkg add` and `gliactl add` (the personal collection).
 *
 * The copy differs from the source in the mechanism's name alone: the
 * daemon's own parser (modfile) finds the name's bytes and cache_rename
 * replaces exactly those, as a build does. Everything is checked before
 * anything is written, so a refusal leaves the package as it was.
 */
#include "cache.h"
#include "gliactl.h"
#include "mechname.h"
#include "os.h"
#include "pkg.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MOD_BYTES (4u << 20)

/* A file to write: a renamed mod, or an INCLUDEd file copied as it is. */
struct out_file {
    char *path;
    char *text;
    size_t len;
};

struct plan {
    struct out_file *files; /* files[0]: the mod */
    size_t n, cap;
    enum modfile_kind kind;
    char *asset, *variant, *full;
    char *rel; /* the mod's path from the module dir ("mods/X__0.mod") */
};

static void plan_free(struct plan *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->files[i].path);
        free(pl->files[i].text);
    }
    free(pl->files);
    free(pl->asset);
    free(pl->variant);
    free(pl->full);
    free(pl->rel);
}

static int is_identifier_part(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* Asset and variant: the options, else the file's ASSET__VARIANT form (or
 * its Glia 0.x glia__pkg__ASSET__VARIANT), else the mechanism's own name. */
static void default_names(const char *source, const struct modfile_info *info,
                          const struct pkg_add_opts *o, struct plan *pl)
{
    const char *base = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
    char *stem = xstrndup(base, strlen(base) - (str_has_suffix(base, ".mod") ? 4 : 0));
    struct mechname mn = {0};
    int found = strstr(stem, "__") && (mechname_parse(stem, &mn, NULL, 0) == MECHNAME_OK ||
                                       mechname_from_stem(stem, &mn, NULL, 0) == 0);
    if (!found)
        found = mechname_parse(info->name, &mn, NULL, 0) == MECHNAME_OK;
    pl->asset = xstrdup(o->asset ? o->asset : found ? mn.asset : info->name);
    pl->variant = xstrdup(o->variant ? o->variant : found ? mn.variant : MECHNAME_DEFAULT_VARIANT);
    mechname_free(&mn);
    free(stem);
}

static int check_names(const struct pkg *p, struct plan *pl)
{
    char why[200];
    const char *what[] = {"package", "asset", "variant"};
    const char *part[] = {p->name, pl->asset, pl->variant};
    for (size_t i = 0; i < 3; i++) {
        if (mechname_check_part(what[i], part[i], why, sizeof(why)) < 0) {
            fprintf(stderr, "gliactl: %s%s\n", why, i ? "; choose one with --name/--variant" : "");
            return -1;
        }
        if (!is_identifier_part(part[i])) {
            fprintf(stderr,
                    "gliactl: %s name '%s' can only hold letters, digits and '_': it becomes "
                    "part of a NEURON name%s\n",
                    what[i], part[i], i ? "; choose one with --name/--variant" : "");
            return -1;
        }
    }
    pl->full = mechname_format(p->name, pl->asset, pl->variant);
    return 0;
}

/* The mod's path under mods/: --target (a file, or a dir when it ends in
 * '/'), else ASSET__VARIANT.mod. Kept to plain relative paths inside mods/. */
static int target_path(const struct pkg *p, const struct pkg_add_opts *o, struct plan *pl)
{
    char *name = xprintf("%s__%s.mod", pl->asset, pl->variant);
    char *rel = !o->target                       ? xstrdup(name)
                : str_has_suffix(o->target, "/") ? xprintf("%s%s", o->target, name)
                                                 : xstrdup(o->target);
    free(name);
    int bad = rel[0] == '/' || !str_has_suffix(rel, ".mod") || strstr(rel, "..") ||
              strstr(rel, "arbor/") == rel || strstr(rel, "/arbor/");
    for (const char *c = rel; *c; c++)
        bad |= !(isalnum((unsigned char)*c) || strchr("_-./", *c));
    if (bad) {
        fprintf(stderr,
                "gliactl: --target '%s' must be a relative path under mods/ ending in .mod "
                "(letters, digits, '_', '-', '.', '/'; not in arbor/, which is Arbor's)\n",
                rel);
        free(rel);
        return -1;
    }
    pl->rel = xprintf("mods/%s", rel);
    VEC_PUSH(pl->files, pl->n, pl->cap,
             ((struct out_file){xprintf("%s/%s", p->moddir, pl->rel), NULL, 0}));
    free(rel);
    return 0;
}

/* Same bytes already there: an include another mod brought. */
static int same_content(const char *path, const char *text, size_t len)
{
    size_t have;
    char *old = file_read(path, MAX_MOD_BYTES, &have);
    int same = old && have == len && memcmp(old, text, len) == 0;
    free(old);
    return same;
}

/* The INCLUDEd files (and VERBATIM's #include "x" found beside the mod),
 * to be copied to the same place beside the copy. A missing INCLUDE is an
 * error: the copy would not build. */
static int plan_includes(const char *source, const struct modfile_info *info, struct plan *pl)
{
    const char *slash = strrchr(source, '/');
    char *src_dir = slash ? xstrndup(source, (size_t)(slash - source)) : xstrdup(".");
    const char *tslash = strrchr(pl->files[0].path, '/');
    char *dst_dir = xstrndup(pl->files[0].path, (size_t)(tslash - pl->files[0].path));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < info->nincludes + info->nc_includes; i++) {
        int nmodl = i < info->nincludes;
        const char *name = nmodl ? info->includes[i] : info->c_includes[i - info->nincludes];
        if (name[0] == '/')
            continue; /* read from where it is, by the copy as by the source */
        char *from = xprintf("%s/%s", src_dir, name);
        size_t len;
        char *text = file_read(from, MAX_MOD_BYTES, &len);
        if (!text && nmodl) {
            fprintf(stderr, "gliactl: %s INCLUDEs \"%s\", which cannot be read at %s: %s\n", source,
                    name, from, strerror(errno));
            rc = -1;
        } else if (text) {
            struct out_file f = {xprintf("%s/%s", dst_dir, name), text, len};
            VEC_PUSH(pl->files, pl->n, pl->cap, f);
        }
        free(from);
    }
    free(src_dir);
    free(dst_dir);
    return rc;
}

/* Nothing is overwritten unless asked: the mod's target is refused when it
 * exists, an INCLUDEd file when it holds other bytes (mods may share one). */
static int check_targets(const char *source, const struct plan *pl, int overwrite)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(source, a) && realpath(pl->files[0].path, b) && strcmp(a, b) == 0) {
        fprintf(stderr, "gliactl: %s is already the package's file %s\n", source, pl->rel);
        return -1;
    }
    for (size_t i = 0; i < pl->n && !overwrite; i++) {
        const struct out_file *f = &pl->files[i];
        if (access(f->path, F_OK) == 0 && (i == 0 || !same_content(f->path, f->text, f->len))) {
            fprintf(stderr, "gliactl: %s exists; --overwrite (-w) replaces it\n", f->path);
            return -1;
        }
    }
    return 0;
}

static int write_files(const struct plan *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        const struct out_file *f = &pl->files[i];
        char *dir = xstrndup(f->path, (size_t)(strrchr(f->path, '/') - f->path));
        int rc = mkdir_p(dir, 0755) == 0 ? pkg_write_file(f->path, f->text, f->len) : -1;
        free(dir);
        if (rc < 0) {
            fprintf(stderr, "gliactl: cannot write %s: %s\n", f->path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The Mod(...) entry in __init__.py: a missing one is not fatal (gliad
 * reads mods/ itself), but the user is told, since Glia 4 reads the list. */
static void add_entry(const struct pkg *p, const struct plan *pl)
{
    char *init = xprintf("%s/__init__.py", p->moddir);
    char *text = file_read(init, 1u << 20, NULL);
    char *entry = pkg_text_mod_entry(pl->rel, pl->asset, pl->variant, pl->kind);
    char *edited = text ? pkg_text_add_mod(text, pl->rel, entry) : NULL;
    if (!edited)
        fprintf(stderr,
                "gliactl: warning: no `mods=[...]` list in %s's Package(...): add %s to it "
                "yourself\n",
                init, entry);
    else if (strcmp(edited, text) != 0 && pkg_write_file(init, edited, strlen(edited)) < 0)
        fprintf(stderr, "gliactl: warning: cannot write %s: %s\n", init, strerror(errno));
    free(edited);
    free(entry);
    free(text);
    free(init);
}

static int plan_mod(const struct pkg *p, const char *source, const struct pkg_add_opts *o,
                    struct plan *pl)
{
    size_t len;
    char *text = file_read(source, MAX_MOD_BYTES, &len);
    if (!text) {
        fprintf(stderr, "gliactl: cannot read %s: %s\n", source, strerror(errno));
        return -1;
    }
    struct modfile_info info;
    struct modfile_error err;
    if (modfile_parse(text, len, &info, &err) < 0) {
        fprintf(stderr, "%s:%d: %s\n", source, err.line, err.message);
        free(text);
        return -1;
    }
    pl->kind = info.kind;
    int rc = modfile_name_after_file(&info, source);
    if (rc == 0) {
        default_names(source, &info, o, pl);
        rc = check_names(p, pl) < 0 || target_path(p, o, pl) < 0 ? -1 : 0;
    }
    if (rc == 0 && info.named_by_file) {
        /* No name statement: nocmodl names it after its file, and so does
         * gliad after the copy's, ASSET__VARIANT: the text stays as it is. */
        pl->files[0].text = xstrndup(text, len);
        pl->files[0].len = len;
    } else if (rc == 0) {
        pl->files[0].text = cache_rename(text, len, info.name_offset, info.name_length, pl->full,
                                         &pl->files[0].len);
    }
    if (rc == 0)
        rc = plan_includes(source, &info, pl);
    modfile_info_free(&info);
    free(text);
    return rc;
}

int pkg_add_mod(const struct pkg *p, const char *source, const struct pkg_add_opts *o)
{
    struct plan pl = {0};
    int rc = EXIT_FAILED;
    if (plan_mod(p, source, o, &pl) < 0 || check_targets(source, &pl, o->overwrite) < 0 ||
        write_files(&pl) < 0)
        goto out;
    add_entry(p, &pl);
    printf("added %s/%s as %s (%s)\n", p->module, pl.rel, pl.full, modfile_kind_name(pl.kind));
    for (size_t i = 1; i < pl.n; i++)
        printf("  with %s\n", pl.files[i].path + strlen(p->moddir) + 1);
    rc = EXIT_OK;
out:
    plan_free(&pl);
    return rc;
}
