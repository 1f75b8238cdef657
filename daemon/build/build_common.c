/*
 * build_common: what the phases of a build (build_link.c, build_load.c,
 * build_parts.c, build_publish.c, build_nrnivmodl.c) and build.c all use:
 * a build's references, its keys, running its tools, leaving a mod out.
 * It calls nothing above it: a phase hands the build back to build.c
 * (build_finish, build_publish, build_nrnivmodl_linked, and the last
 * reference's end) through the steps build.c gave it (b->flow).
 */
#include "build_internal.h"
#include "diag.h"
#include "log.h"
#include "modfunc.h"
#include "proc.h"
#include "toolchain.h"
#include "util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Handing the build back to build.c ---- */

void build_finish(struct build *b)
{
    b->flow->finish(b);
}

void build_publish(struct build *b)
{
    b->flow->publish(b);
}

void build_nrnivmodl_linked(struct build *b)
{
    b->flow->nrnivmodl_linked(b);
}

/* ---- References ---- */

void build_unref(struct build *b)
{
    assert(b->refs > 0);
    if (--b->refs == 0)
        b->flow->destroy(b);
}

/* ---- What the phases share ---- */

const struct generation *build_current(const struct build *b)
{
    return b->hooks.current ? b->hooks.current(b->hooks.ud) : NULL;
}

void build_step_begin(struct build *b)
{
    assert(b->refs > 0 && !(b->flags & (BUILD_STALE | BUILD_FINISHED)));
    b->refs++;
}

int build_step_end(struct build *b)
{
    int stale = (b->flags & BUILD_STALE) != 0;
    build_unref(b);
    return stale;
}

int build_cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void build_compute_libkey(struct build *b)
{
    char **keys = xcalloc(b->n + 1, sizeof(*keys));
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (build_item_linked(&b->items[i]))
            keys[n++] = b->items[i].key;
    qsort(keys, n, sizeof(*keys), build_cmp_key);
    cache_library_key(b->toolchain_id, b->backend, keys, n, b->libkey);
    free(keys);
    free(b->lib_path);
    b->lib_path = cache_library_path(b->cache_dir, b->libkey);
}

int build_item_linked(const struct build_item *it)
{
    return it->state == ITEM_READY;
}

/* Runs argv for the build; done is called unless it could not start,
 * in which case the build ends with the reason. */
int build_run(struct build *b, char **argv, proc_done_fn done, size_t max_output)
{
    return build_run_in(b, b->link_dir, argv, done, max_output);
}

int build_run_in(struct build *b, const char *cwd, char **argv, proc_done_fn done,
                 size_t max_output)
{
    const struct toolchain *tc = b->tc;
    /* The tools' temporary files go in the dir, removed with the build. */
    char *tmpdir = xprintf("TMPDIR=%s", cwd);
    const char *set[] = {tmpdir, NULL};
    char **env = proc_env(set);
    struct proc_opts o = {
        .cwd = cwd, .env = env, .timeout_ms = tc->timeout_ms, .nice = 10, .max_output = max_output};
    build_step_begin(b);
    int rc = proc_run(b->loop, argv, &o, done, b, &b->proc);
    proc_env_free(env);
    free(tmpdir);
    if (rc < 0) {
        build_step_end(b);
        b->error = xprintf("cannot run %s: %s", argv[0], uv_strerror(rc));
        build_finish(b);
    }
    return rc;
}

/* The step's process is over: 1 if the build goes on. */
int build_resumed(struct build *b)
{
    b->proc = NULL;
    return !build_step_end(b);
}

int build_proc_failed(const struct proc_result *r)
{
    return r->exit_status != 0 || r->term_signal || r->timed_out;
}

static char *replaced(char *s, const char *from, const char *to)
{
    if (!strstr(s, from))
        return s;
    char *t = diag_replace(s, from, to);
    free(s);
    return t;
}

char *build_tool_words(const struct build *b, const char *tool, const struct proc_result *r)
{
    char *s = xprintf("%s%s: %s%s", tool, r->timed_out ? " (timed out)" : "", r->err, r->out);
    /* Cache paths mean nothing to the user: objects are named by their mod
     * file, and a package's (in the cache or the link dir) by the package. */
    for (size_t i = 0; i < b->n; i++) {
        if (!b->items[i].key[0])
            continue;
        char *obj = cache_object_path(b->cache_dir, b->items[i].key);
        s = replaced(s, obj, b->items[i].mod->path);
        free(obj);
    }
    for (size_t p = b->npkgs; p-- > 0;) { /* pkg-10 before pkg-1 */
        char *name = xprintf("package %s's object", b->pkgs[p]->name);
        char *tmp = xprintf("%s/pkg-%zu", b->link_dir, p);
        s = replaced(s, tmp, name);
        if (b->pkg_keys[p][0]) {
            char *obj = cache_object_path(b->cache_dir, b->pkg_keys[p]);
            s = replaced(s, obj, name);
            free(obj);
        }
        free(tmp);
        free(name);
    }
    return diag_clip(s, DIAG_DETAIL_MAX);
}

/* ---- One package ---- */

int build_in_pkg(const struct build *b, const struct build_item *it, size_t p)
{
    return it->mod->pkg == b->pkgs[p] && build_item_linked(it);
}

void build_leave_out(struct build_item *it, const char *stage, const char *msg, const char *detail)
{
    diag_free(&it->diag);
    diag_plain(&it->diag, it->mod->path, stage, msg, detail);
    it->state = ITEM_FAILED;
    it->b->failed++;
    log_warn("[%s] %s", it->b->env_name, it->diag.summary);
}

int build_write_mod_func(const struct build *b, const unsigned char *chosen, const char *path)
{
    char **fulls = xcalloc(b->n + 1, sizeof(*fulls));
    size_t n = 0;
    for (size_t p = 0; p < b->npkgs; p++)
        for (size_t i = 0; chosen[p] && i < b->n; i++)
            if (build_in_pkg(b, &b->items[i], p))
                fulls[n++] = b->items[i].mod->full;
    char *text = modfunc_text(b->env_name, fulls, n);
    free(fulls);
    FILE *f = fopen(path, "w");
    int rc = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(text);
    return rc;
}

char **build_shared_argv(const struct build *b, size_t more, size_t *n, char *owned[2])
{
    const struct toolchain *tc = b->tc;
    char **argv = xcalloc(tc->ncflags + more + 16, sizeof(*argv));
    *n = 0;
    argv[(*n)++] = tc->cc;
    for (size_t i = 0; i < tc->ncflags; i++)
        argv[(*n)++] = tc->cflags[i];
    argv[(*n)++] = "-shared";
    /* Before the objects that need it, as xargs puts them after: it must
     * still be a NEEDED library where the linker drops unused ones. */
    argv[(*n)++] = "-Wl,--no-as-needed";
    argv[(*n)++] = owned[0] = xprintf("-L%s", tc->lib_dir);
    argv[(*n)++] = "-lnrniv";
    argv[(*n)++] = owned[1] = xprintf("-Wl,-rpath,%s", tc->lib_dir);
    return argv;
}
