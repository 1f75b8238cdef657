/*
 * build_prep: the prepare phase of a build, on a worker thread, and the
 * failure cache it reads (written through the store's writer thread).
 *
 * The mod is read again here rather than trusted from the scan: what is
 * keyed must be exactly what is compiled, even if the file changed since.
 */
#include "artifact.h"
#include "build_internal.h"
#include "log.h"
#include "os.h"
#include "modfile.h"
#include "scratch.h"
#include "store.h"
#include "store_writer.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INCLUDE_BYTES (4u << 20)

static void fail(struct build_item *it, const char *stage, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg);
    diag_plain(&it->diag, it->mod->path, stage, msg, NULL);
    it->state = ITEM_FAILED;
}

/* Reads every file the build reads besides the mod, where the tools find
 * them: its INCLUDEs (nocmodl) and VERBATIM #include "..." headers (cc),
 * next to the mod. A missing one is keyed as missing. */
static struct cache_include *read_includes(const struct modfile_info *info, const char *dir,
                                           size_t *n)
{
    *n = info->nincludes + info->nc_includes;
    struct cache_include *incs = xcalloc(*n + 1, sizeof(*incs));
    for (size_t i = 0; i < *n; i++) {
        const char *name =
            i < info->nincludes ? info->includes[i] : info->c_includes[i - info->nincludes];
        char *path = name[0] == '/' ? xstrdup(name) : xprintf("%s/%s", dir, name);
        incs[i].name = name;
        incs[i].text = file_read(path, MAX_INCLUDE_BYTES, &incs[i].len);
        free(path);
    }
    return incs;
}

static void free_includes(struct cache_include *incs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)incs[i].text);
    free(incs);
}

/* The text as built (renamed to the indexed full name when its own is
 * plain), malloc'd; NULL when the file's NEURON name is no longer the
 * indexed one. */
static char *built_text(const struct index_mod *m, const char *raw, size_t len,
                        const struct modfile_info *info, size_t *outlen)
{
    /* A mod named after its file has no name to rewrite: the copy is
     * written as <full name>.mod, so nocmodl names it so. */
    if (m->renamed && !info->named_by_file && info->kind != MODFILE_LIBRARY)
        return cache_rename(raw, len, info->name_offset, info->name_length, m->full, outlen);
    if (!m->renamed && strcmp(info->name, m->full) != 0 && info->kind != MODFILE_LIBRARY)
        return NULL;
    *outlen = len;
    return xstrndup(raw, len);
}

/* The object key of `text` with the files it includes as they are now. */
static void key_text(const struct build *b, const struct index_mod *m, const char *text,
                     size_t tlen, const struct modfile_info *info, const char *dir, cache_key out)
{
    size_t ninc;
    struct cache_include *incs = read_includes(info, dir, &ninc);
    cache_object_key(b->toolchain_id, m->full, text, tlen, incs, ninc, out);
    free_includes(incs, ninc);
}

int build_item_rekey(const struct build *b, const struct build_item *it, cache_key out)
{
    const struct index_mod *m = it->mod;
    size_t len, tlen;
    char *raw = file_read(m->path, MODFILE_MAX_BYTES, &len);
    if (!raw)
        return -1;
    struct modfile_info info;
    struct modfile_error perr;
    int rc = -1;
    if (modfile_parse(raw, len, &info, &perr) == 0) {
        char *text = modfile_name_after_file(&info, m->path) == 0
                         ? built_text(m, raw, len, &info, &tlen)
                         : NULL;
        char *dir = xstrndup(m->path, strrchr(m->path, '/') - m->path);
        if (text) {
            key_text(b, m, text, tlen, &info, dir, out);
            rc = 0;
        }
        free(text);
        free(dir);
        modfile_info_free(&info);
    }
    free(raw);
    return rc;
}

/* The staged copy nrnivmodl will read. */
static int write_copy(struct build_item *it, size_t len)
{
    if (mkdir_p(it->work_dir, 0755) < 0)
        return -1;
    char *dest = xprintf("%s/%s.mod", it->work_dir, it->mod->full);
    int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    free(dest);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, it->text, len);
    return close(fd) == 0 && w == (ssize_t)len ? 0 : -1;
}

/* nrnivmodl runs nocmodl in the copy's dir: the INCLUDEd files go there
 * too, at their relative names (ones that climb out with .. cannot). */
static void stage_includes(struct build_item *it, const struct modfile_info *info, const char *dir)
{
    for (size_t i = 0; i < info->nincludes; i++) {
        const char *name = info->includes[i];
        if (name[0] == '/' || strstr(name, ".."))
            continue;
        char *src = xprintf("%s/%s", dir, name), *dst = xprintf("%s/%s", it->work_dir, name);
        size_t len;
        char *text = file_read(src, MAX_INCLUDE_BYTES, &len);
        char *slash = strrchr(dst, '/');
        *slash = '\0';
        mkdir_p(dst, 0755);
        *slash = '/';
        FILE *f = text ? fopen(dst, "w") : NULL;
        if (f) {
            fwrite(text, 1, len, f);
            fclose(f);
        }
        free(text);
        free(src);
        free(dst);
    }
}

/* An object in the cache that is whole and registers the mechanism; a
 * damaged one is compiled again, the new one replacing it. */
static int object_sound(const struct build_item *it, const char *obj)
{
    char why[256];
    char *reg = xprintf("_%s_reg", it->mod->full);
    int ok = artifact_check_object(obj, reg, why, sizeof(why)) == 0;
    free(reg);
    if (!ok)
        log_warn("the cached object %s of %s is damaged (%s); compiling it again", obj,
                 it->mod->path, why);
    return ok;
}

static void check_caches(struct build *b, struct build_item *it, struct store *s)
{
    char *obj = cache_object_path(b->cache_dir, it->key);
    struct stat st;
    /* nrnivmodl makes the library in one go: it has no use for objects. */
    int have = !b->nrnivmodl && stat(obj, &st) == 0;
    if (have && object_sound(it, obj)) {
        it->state = ITEM_READY;
        it->cached = 1;
        it->obj_size = st.st_size;
    } else if (!have && s) {
        char *summary = NULL, *detail = NULL;
        int line = 0;
        if (store_failure_get(s, it->key, &summary, &detail, &line) > 0) {
            it->state = ITEM_FAILED;
            it->cached = 1;
            it->diag.summary = summary;
            it->diag.detail = detail;
            it->diag.line = line;
        }
    }
    free(obj);
}

static void prepare_item(struct build *b, struct build_item *it, struct store *s)
{
    const struct index_mod *m = it->mod;
    size_t len;
    char *raw = file_read(m->path, MODFILE_MAX_BYTES, &len);
    if (!raw) {
        /* Gone since the scan: the rescan that follows decides, not this. */
        it->outside = errno == ENOENT;
        fail(it, "read", "cannot read: %s", strerror(errno));
        return;
    }
    struct modfile_info info;
    struct modfile_error perr;
    if (modfile_parse(raw, len, &info, &perr) < 0) {
        it->diag.summary = xprintf("%s:%d: %s", m->path, perr.line, perr.message);
        it->diag.detail = xstrdup("");
        it->diag.line = perr.line;
        it->state = ITEM_FAILED;
        free(raw);
        return;
    }
    if (modfile_name_after_file(&info, m->path) < 0) {
        fail(it, "read", "%s", "out of memory");
        modfile_info_free(&info);
        free(raw);
        return;
    }
    size_t tlen;
    char *dir = xstrndup(m->path, strrchr(m->path, '/') - m->path);
    it->text = built_text(m, raw, len, &info, &tlen);
    if (!it->text)
        fail(it, "index", "its NEURON name is now '%s'; a rescan will pick the change up",
             info.name);
    if (it->text) {
        key_text(b, m, it->text, tlen, &info, dir, it->key);
        if (!b->force)
            check_caches(b, it, s);
        /* nrnivmodl reads files: stage each mod (and its INCLUDEs) in a dir
         * of this build's own. The direct backend's tasks write their copy. */
        if (it->state == ITEM_PENDING && b->nrnivmodl) {
            it->work_dir =
                cache_tmp_path(b->cache_dir, "stage-%llu/%s", (unsigned long long)b->id, it->key);
            if (write_copy(it, tlen) < 0)
                fail(it, "cache", "cannot write the build copy: %s", strerror(errno));
            else
                stage_includes(it, &info, dir);
        }
    }
    modfile_info_free(&info);
    free(raw);
    free(dir);
}

void build_prepare_work(void *ctx)
{
    struct build *b = ctx;
    char err[256];
    char *tmp = cache_tmp_dir(b->cache_dir);
    if (mkdir_p(tmp, 0755) < 0)
        log_error("cannot create %s: %s", tmp, strerror(errno));
    free(tmp);
    /* The failure cache is read-only here; a missing store only costs speed. */
    struct store *s = b->force ? NULL : store_open_worker(b->state_dir, err, sizeof(err));
    for (size_t i = 0; i < b->n && !(b->flags & BUILD_STALE); i++)
        if (b->items[i].state == ITEM_PENDING)
            prepare_item(b, &b->items[i], s);
    store_close(s);
}

/* ---- The failure cache's writes, from the loop ---- */

/* A failure on its way to the store (copies: the build may go first). */
struct failure_note {
    char *key, *path, *summary, *detail;
    int line;
};

/* Writer thread. */
static int failure_write(struct store *s, void *ctx)
{
    struct failure_note *f = ctx;
    return store_failure_put(s, f->key, f->summary, f->detail, f->line);
}

static void failure_written(void *ctx, int rc, const char *err)
{
    struct failure_note *f = ctx;
    if (rc < 0)
        log_warn("could not remember the failure of %s (it is compiled again next time): %s",
                 f->path, err);
    free(f->key);
    free(f->path);
    free(f->summary);
    free(f->detail);
    free(f);
}

void build_failure_remember(struct build *b, const struct build_item *it)
{
    struct failure_note *f = xcalloc(1, sizeof(*f));
    *f = (struct failure_note){xstrdup(it->key), xstrdup(it->mod->path), xstrdup(it->diag.summary),
                               xstrdup(it->diag.detail), it->diag.line};
    store_writer_submit(b->writer, failure_write, failure_written, f);
}
