/*
 * build_symbols: what NEURON's libraries define, the names a package's
 * object may leave undefined (see build_link.c).
 *
 * Read once per gliad, in the background from startup on (`ldd` of
 * libnrniv, then `nm -D` of it and of every library it loads: half a
 * second), so that a cold build's compiles hide the cost. A build whose
 * link comes first waits for it. When the tools fail, the set is unusable
 * and only the load check guards against undefined symbols.
 */
#include "build_symbols.h"
#include "build_internal.h"
#include "log.h"
#include "proc.h"
#include "symtab.h"
#include "toolchain.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct build_symbols {
    uv_loop_t *loop;
    const struct toolchain *tc;
    struct strmap set; /* name -> (void *)1; keys in names */
    char **names;
    size_t n, cap;
    char *lib; /* libnrniv.so */
    int ready;
    int usable;
    /* Builds whose link waits, and where each resumes. */
    struct build **waiters;
    void (**resume)(struct build *);
    size_t nwaiters, wcap;
};

int build_symbols_usable(const struct build_symbols *s)
{
    return s && s->ready && s->usable;
}

int build_symbols_defined(const struct build_symbols *s, const char *name)
{
    return strmap_get(&s->set, name) != NULL;
}

static void ready(struct build_symbols *s, const char *unusable_why)
{
    s->ready = 1;
    s->usable = unusable_why == NULL;
    if (s->usable)
        log_info("NEURON's libraries define %zu symbols; package objects are checked against "
                 "them",
                 s->n);
    else
        log_warn("cannot list the symbols NEURON's libraries define (%s): mods needing a "
                 "function nobody defines are only caught when the library is loaded",
                 unusable_why);
    /* A resumed build may finish and start another: take the list first. */
    struct build **w = s->waiters;
    void (**resume)(struct build *) = s->resume;
    size_t n = s->nwaiters;
    s->waiters = NULL, s->resume = NULL, s->nwaiters = s->wcap = 0;
    for (size_t i = 0; i < n; i++)
        resume[i](w[i]);
    free(w);
    free(resume);
}

static int tool_failed(struct build_symbols *s, const struct proc_result *r, const char *tool)
{
    if (r->exit_status == 0 && !r->term_signal && !r->timed_out)
        return 0;
    char *why = diag_clip(xprintf("%s: %s", tool, r->err), 1000);
    ready(s, why);
    free(why);
    return 1;
}

static void add_defined(void *ud, const char *file, const char *name, char type)
{
    struct build_symbols *s = ud;
    (void)file;
    if (type == 'U' || type == 'w' || type == 'v' || strmap_get(&s->set, name))
        return;
    s->names = xgrow(s->names, &s->cap, s->n + 1, sizeof(*s->names));
    s->names[s->n] = xstrdup(name);
    strmap_put(&s->set, s->names[s->n++], (void *)1);
}

static void nm_done(void *ud, struct proc_result *r)
{
    struct build_symbols *s = ud;
    if (tool_failed(s, r, "nm"))
        return;
    symtab_each(r->out, add_defined, s);
    ready(s, NULL);
}

static int run(struct build_symbols *s, char **argv, proc_done_fn done)
{
    struct proc_opts o = {.timeout_ms = s->tc->timeout_ms, .max_output = 256u << 20};
    int rc = proc_run(s->loop, argv, &o, done, s, NULL);
    if (rc < 0) {
        char *why = xprintf("cannot run %s: %s", argv[0], uv_strerror(rc));
        ready(s, why);
        free(why);
    }
    return rc;
}

static void ldd_done(void *ud, struct proc_result *r)
{
    struct build_symbols *s = ud;
    if (tool_failed(s, r, "ldd"))
        return;
    size_t n;
    char **paths = symtab_ldd_paths(r->out, &n);
    char **argv = xcalloc(n + 8, sizeof(*argv));
    size_t k = 0;
    argv[k++] = "nm", argv[k++] = "-A", argv[k++] = "-P", argv[k++] = "-D";
    argv[k++] = "--defined-only", argv[k++] = s->lib;
    for (size_t i = 0; i < n; i++)
        argv[k++] = paths[i];
    run(s, argv, nm_done);
    free(argv);
    strv_free(paths, n);
}

struct build_symbols *build_symbols_load(uv_loop_t *loop, const struct toolchain *tc)
{
    struct build_symbols *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->tc = tc;
    strmap_init(&s->set);
    if (!tc->lib_dir) {
        ready(s, "libnrniv.so not found");
        return s;
    }
    s->lib = xprintf("%s/libnrniv.so", tc->lib_dir);
    char *argv[] = {"ldd", s->lib, NULL};
    run(s, argv, ldd_done);
    return s;
}

void build_symbols_wait(struct build *b, void (*resume)(struct build *))
{
    struct build_symbols *s = b->symbols;
    if (!s || s->ready) {
        resume(b);
        return;
    }
    if (s->nwaiters == s->wcap) {
        s->wcap = s->wcap ? 2 * s->wcap : 4;
        s->waiters = xrealloc(s->waiters, s->wcap * sizeof(*s->waiters));
        s->resume = xrealloc(s->resume, s->wcap * sizeof(*s->resume));
    }
    s->waiters[s->nwaiters] = b;
    s->resume[s->nwaiters++] = resume;
}

void build_symbols_unwait(struct build *b)
{
    struct build_symbols *s = b->symbols;
    for (size_t i = 0; s && i < s->nwaiters; i++)
        if (s->waiters[i] == b) {
            s->waiters[i] = s->waiters[--s->nwaiters];
            s->resume[i] = s->resume[s->nwaiters];
            return;
        }
}

void build_symbols_free(struct build_symbols *s)
{
    if (!s)
        return;
    strmap_free(&s->set);
    strv_free(s->names, s->n);
    free(s->lib);
    free(s->waiters);
    free(s->resume);
    free(s);
}
