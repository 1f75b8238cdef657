/*
 * prefs: see prefs.h.
 */
#include "prefs.h"
#include "gliad.h"
#include "log.h"
#include "os.h"
#include "store.h"
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

static void export(struct gliad *g)
{
    char *path = export_path(g), *tmp = xprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f) {
        fputs("# gliad's global preferences (gliactl select), restored from here when its\n"
              "# database is lost. asset<TAB>package<TAB>variant; empty: unset.\n",
              f);
        const char *k;
        void *v;
        for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);) {
            const struct pref *p = v;
            fprintf(f, "%s\t%s\t%s\n", p->asset, p->pkg ? p->pkg : "",
                    p->variant ? p->variant : "");
        }
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
    }
    if (!ok || rename(tmp, path) < 0) {
        log_error("cannot write %s: %s; the preferences are only in the database", path,
                  strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(path);
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
        log_warn("%s was new or damaged: %zu preference%s restored from %s",
                 store_path(g->store), n, n == 1 ? "" : "s", path);
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
    export(g); /* a database of an older gliad had no copy yet */
    return 0;
}

int prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant)
{
    if (store_pref_set(g->store, asset, pkg, variant) < 0)
        return -1;
    put(g, asset, pkg, variant);
    export(g);
    return 0;
}

int prefs_del(struct gliad *g, const char *asset)
{
    if (store_pref_del(g->store, asset) < 0)
        return -1;
    pref_free(strmap_del(&g->prefs, asset));
    g->prefs_version++;
    export(g);
    return 0;
}

void prefs_free(struct gliad *g)
{
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&g->prefs, &i, &k, &v);)
        pref_free(v);
    strmap_free(&g->prefs);
}
