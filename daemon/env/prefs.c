/*
 * prefs: see prefs.h.
 */
#include "prefs.h"
#include "gliad_defs.h"
#include "log.h"
#include "os.h"
#include "store.h"
#include "store_writer.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void pref_free(struct pref *p)
{
    if (!p)
        return;
    free(p->asset);
    free(p->pkg);
    free(p->variant);
    free(p);
}

static void put(struct gliad *g, const char *asset, const char *pkg, const char *variant)
{
    struct pref *p = xcalloc(1, sizeof(*p));
    p->asset = xstrdup(asset);
    p->pkg = xstrdup(pkg);
    p->variant = xstrdup(variant);
    struct pref *old = strmap_del(&g->prefs, asset);
    strmap_put(&g->prefs, p->asset, p);
    pref_free(old);
    g->prefs_version++;
}

static void load_one(void *ud, const char *asset, const char *pkg, const char *variant)
{
    put(ud, asset, pkg, variant);
}

static void drop(struct gliad *g, const char *asset)
{
    pref_free(strmap_del(&g->prefs, asset));
    g->prefs_version++;
}

/*
 * The preferences are also kept as text beside the database, rewritten
 * whole (and atomically) on each change: a database lost or damaged must
 * not lose what the user chose, and the text can be read and mended by
 * hand. One line per asset: asset, package, variant, tab-separated, an
 * unset field empty (asset, package and variant names hold no tabs).
 */
static char *export_path(const struct gliad *g)
{
    return xprintf("%s/preferences.txt", g->cfg.state_dir);
}

static void export_one(void *ud, const char *asset, const char *pkg, const char *variant)
{
    fprintf(ud, "%s\t%s\t%s\n", asset, pkg ? pkg : "", variant ? variant : "");
}

/* Writes what the store s holds to path. Whatever thread uses s: the
 * writer's after a change, so that the text follows the database in the
 * order of the writes. */
static void export(struct store *s, const char *path)
{
    char *tmp = xprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f) {
        fputs("# gliad's global preferences (gliactl select), restored from here when its\n"
              "# database is lost. asset<TAB>package<TAB>variant; empty: unset.\n",
              f);
        ok = store_prefs_load(s, export_one, f) == 0;
        errno = ok ? errno : EIO;
        ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
    }
    if (!ok || rename(tmp, path) < 0) {
        log_error("cannot write %s: %s; the preferences are only in the database", path,
                  strerror(errno));
        unlink(tmp);
    }
    free(tmp);
}

/* Reads the text export back into the store and g->prefs. */
static void import(struct gliad *g)
{
    char *path = export_path(g);
    char *text = file_read(path, 16u << 20, NULL);
    size_t n = 0;
    for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *pkg = strchr(line, '\t'), *variant = pkg ? strchr(pkg + 1, '\t') : NULL;
        if (line[0] == '#' || !variant)
            continue;
        *pkg++ = '\0';
        *variant++ = '\0';
        const char *p = *pkg ? pkg : NULL, *v = *variant ? variant : NULL;
        if (!*line || (!p && !v) || store_pref_set(g->store, line, p, v) < 0)
            continue;
        put(g, line, p, v);
        n++;
    }
    if (text)
        log_warn("%s was new or damaged: %zu preference%s restored from %s", store_path(g->store),
                 n, n == 1 ? "" : "s", path);
    free(text);
    free(path);
}

int prefs_load(struct gliad *g)
{
    strmap_init(&g->prefs);
    if (store_fresh(g->store))
        import(g);
    if (store_prefs_load(g->store, load_one, g) < 0)
        return -1;
    char *path = export_path(g);
    export(g->store, path); /* a database of an older gliad had no copy yet */
    free(path);
    return 0;
}

/* A change on its way to the store: the writer thread reads only the
 * strings; the loop, once it is written, the rest. */
struct pref_change {
    struct gliad *g;
    char *asset, *pkg, *variant;
    int del;
    char *export_path;
    prefs_done_fn done;
    void *ud;
};

/* Writer thread. */
static int change_write(struct store *s, void *ctx)
{
    struct pref_change *c = ctx;
    int rc = c->del ? store_pref_del(s, c->asset) : store_pref_set(s, c->asset, c->pkg, c->variant);
    if (rc == 0)
        export(s, c->export_path);
    return rc;
}

/* Loop: the mirror follows the database, then the caller hears of it. */
static void change_written(void *ctx, int rc, const char *err)
{
    struct pref_change *c = ctx;
    if (rc == 0 && c->del)
        drop(c->g, c->asset);
    else if (rc == 0)
        put(c->g, c->asset, c->pkg, c->variant);
    c->done(c->ud, rc == 0 ? NULL : err);
    free(c->asset);
    free(c->pkg);
    free(c->variant);
    free(c->export_path);
    free(c);
}

static void change(struct gliad *g, const char *asset, const char *pkg, const char *variant,
                   int del, prefs_done_fn done, void *ud)
{
    struct pref_change *c = xcalloc(1, sizeof(*c));
    *c = (struct pref_change){g,   xstrdup(asset), xstrdup(pkg), xstrdup(variant),
                              del, export_path(g), done,         ud};
    store_writer_submit(g->writer, change_write, change_written, c);
}

void prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant,
               prefs_done_fn done, void *ud)
{
    change(g, asset, pkg, variant, 0, done, ud);
}

void prefs_del(struct gliad *g, const char *asset, prefs_done_fn done, void *ud)
{
    change(g, asset, NULL, NULL, 1, done, ud);
}

void prefs_free(struct gliad *g)
{
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);)
        pref_free(v);
    strmap_free(&g->prefs);
}
