/*
 * compile: see compile.h.
 */
#include "compile.h"
#include "defer.h"
#include "fault.h"
#include "log.h"
#include "os.h"
#include "place.h"
#include "proc.h"
#include "scratch.h"
#include "toolchain.h"
#include "util.h"
#include "work.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct waiter {
    compile_done_fn done;
    void *ud;
    struct waiter *next;
};

struct compile_task {
    struct compiler *c;
    cache_key key;
    char *stem, *work_dir, *orig_path, *orig_dir, *mod_text;
    struct waiter *waiters;
    struct compile_task *qnext;
    int running;
    struct proc *proc;
    char **env; /* MODLUNIT for nocmodl, TMPDIR (the work dir) for both */
    double t0;
};

static void kick(void *ctx);

void compiler_init(struct compiler *c, uv_loop_t *loop, const struct toolchain *tc,
                   const char *cache_dir, int jobs)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->tc = tc;
    c->cache_dir = xstrdup(cache_dir);
    c->jobs = jobs > 0 ? jobs : 1;
    strmap_init(&c->tasks);
    c->kick = defer_new(loop, kick, c);
}

size_t compiler_queued(const struct compiler *c)
{
    return c->tasks.len;
}

/* How a failure counts. */
enum verdict {
    V_ONCE,  /* not cached, but the mod's (a time limit, a broken toolchain) */
    V_INPUT, /* the tool's verdict on this input: cached */
    V_ENV,   /* the environment's fault: neither cached nor the mod's */
};

static void task_free(struct compile_task *t)
{
    struct waiter *w = t->waiters;
    while (w) {
        struct waiter *next = w->next;
        free(w);
        w = next;
    }
    proc_env_free(t->env);
    free(t->stem);
    free(t->work_dir);
    free(t->orig_path);
    free(t->orig_dir);
    free(t->mod_text);
    free(t);
}

static void pump(struct compiler *c);

/* Worker: the work dir (the mod, nocmodl's C file, the object) lives in
 * the cache, possibly on a network filesystem where each unlink is a round
 * trip the loop must not wait for. No later task meets the dir while it
 * goes: each task's name has a c->seq of its own. */
static void work_dir_remove(void *dir)
{
    remove_tree(dir);
    free(dir);
}

static void finish(struct compile_task *t, int ok, struct diag *d, enum verdict v)
{
    struct compiler *c = t->c;
    if (t->running)
        c->running--;
    /* A withdrawn task left the map when it was killed; a new task of the
     * same key may stand there now. */
    if (strmap_get(&c->tasks, t->key) == t)
        strmap_del(&c->tasks, t->key);
    struct compile_result r = {.ok = ok,
                               .cacheable = !ok && v == V_INPUT,
                               .environmental = !ok && v == V_ENV,
                               .key = t->key,
                               .ms = now_ms() - t->t0};
    if (d)
        r.diag = *d;
    for (struct waiter *w = t->waiters; w; w = w->next)
        w->done(w->ud, &r);
    if (!ok && t->waiters)
        log_debug("compile failed: %s", d ? d->summary : "?");
    work_submit(c->loop, work_dir_remove, NULL, t->work_dir);
    t->work_dir = NULL;
    if (d)
        diag_free(d);
    task_free(t);
    pump(c);
}

/* Fails t for a reason outside the mod: `why` (taken) says which. */
static void fail_outside(struct compile_task *t, const char *stage, char *why, const char *out)
{
    struct diag d;
    char *msg = xprintf("not compiled, for a reason outside the mod: %s", why);
    diag_plain(&d, t->orig_path, stage, msg, out);
    free(msg);
    free(why);
    finish(t, 0, &d, V_ENV);
}

/* Why a tool that failed did so for a reason outside the mod, or NULL when
 * the failure is its verdict on the input. */
static char *outside_reason(struct compile_task *t, const struct proc_result *r)
{
    char *why = fault_of_run(r->exit_status, r->term_signal, r->out, r->err, t->work_dir);
    if (!why && access(t->orig_path, F_OK) < 0)
        why = xprintf("%s vanished while it compiled (%s)", t->orig_path, strerror(errno));
    return why;
}

/* A process that ended badly for reasons other than the code it was given:
 * over the time limit (the mod's, but not cached: a loaded machine is
 * slower), or killed, or unable to run, or failing on the machine. */
static int bad_end(struct compile_task *t, struct proc_result *r, const char *stage)
{
    if (r->timed_out) {
        struct diag d;
        char msg[200];
        snprintf(msg, sizeof(msg), "killed after %u s (the [neuron] timeout_s limit)",
                 t->c->tc->timeout_ms / 1000);
        diag_plain(&d, t->orig_path, stage, msg, r->err);
        finish(t, 0, &d, V_ONCE);
        return 1;
    }
    if (r->exit_status == 0 && !r->term_signal)
        return 0;
    char *why = outside_reason(t, r);
    if (!why)
        return 0;
    fail_outside(t, stage, why, r->err);
    return 1;
}

/* What a tool said, and how it died when it crashed: a crash prints
 * nothing, and the mod's failure must still say why. */
static char *joined_output(struct proc_result *r, const char *tool)
{
    char *out = xprintf("%s%s%s", r->out, r->outlen && r->errlen ? "\n" : "", r->err);
    if (!r->term_signal)
        return out;
    char *all = xprintf("%s%s%s: crashed (signal %d, %s)", out, *out ? "\n" : "", tool,
                        r->term_signal, strsignal(r->term_signal));
    free(out);
    return all;
}

/* A tool's own failure on its input: an error status or a crash (bad_end
 * has ruled out the environment). */
static int tool_failed(const struct proc_result *r)
{
    return r->exit_status != 0 || r->term_signal;
}

static void stored(void *ud, int err)
{
    struct compile_task *t = ud;
    if (!err) {
        finish(t, 1, NULL, V_ONCE);
        return;
    }
    char *dest = cache_object_path(t->c->cache_dir, t->key);
    *strrchr(dest, '/') = '\0';
    fail_outside(t, "cache", xprintf("cannot store the object in %s: %s", dest, strerror(err)),
                 NULL);
    free(dest);
}

/* A failed cc's diagnostics, made on a worker: they quote the generated C
 * file, which can be tens of MiB. The task stays running meanwhile. */
struct cc_blame {
    struct compile_task *t;
    char *out;
    struct diag d;
};

static void cc_blame_work(void *ctx)
{
    struct cc_blame *j = ctx;
    const struct compile_task *t = j->t;
    char *c_path = xprintf("%s/%s.c", t->work_dir, t->stem);
    char *c_text = file_read(c_path, 64u << 20, NULL);
    diag_cc(&j->d, j->out, c_path, c_text, t->mod_text, t->orig_path);
    free(c_text);
    free(c_path);
}

static void cc_blame_done(void *ctx)
{
    struct cc_blame *j = ctx;
    struct compile_task *t = j->t;
    free(j->out);
    struct diag d = j->d;
    free(j);
    finish(t, 0, &d, V_INPUT);
}

static void cc_done(void *ud, struct proc_result *r)
{
    struct compile_task *t = ud;
    t->proc = NULL;
    if (bad_end(t, r, "cc"))
        return;
    if (tool_failed(r)) {
        struct cc_blame *j = xcalloc(1, sizeof(*j));
        j->t = t;
        j->out = joined_output(r, "cc");
        work_submit(t->c->loop, cc_blame_work, cc_blame_done, j);
        return;
    }
    char *obj = xprintf("%s/%s.o", t->work_dir, t->stem);
    /* Into the store under its key, atomically and durably: a reader (or a
     * restart after a power cut) sees all of it or nothing. */
    char *dest = cache_object_path(t->c->cache_dir, t->key);
    place_file(t->c->loop, obj, dest, stored, t);
    free(dest);
    free(obj);
}

static void start_cc(struct compile_task *t)
{
    const struct toolchain *tc = t->c->tc;
    char **argv = xcalloc(tc->ncflags + 10, sizeof(*argv));
    size_t n = 0;
    argv[n++] = tc->cc;
    for (size_t i = 0; i < tc->ncflags; i++)
        argv[n++] = tc->cflags[i];
    char *inc = xprintf("-I%s", t->orig_dir); /* VERBATIM #includes next to the mod */
    char *src = xprintf("%s/%s.c", t->work_dir, t->stem);
    char *obj = xprintf("%s/%s.o", t->work_dir, t->stem);
    argv[n++] = inc;
    argv[n++] = "-c";
    argv[n++] = src;
    argv[n++] = "-o";
    argv[n++] = obj;
    argv[n] = NULL;
    struct proc_opts o = {
        .cwd = t->work_dir, .env = t->env, .timeout_ms = tc->timeout_ms, .nice = 10};
    t->c->processes++;
    int rc = proc_run(t->c->loop, argv, &o, cc_done, t, &t->proc);
    free(argv);
    free(inc);
    free(src);
    free(obj);
    if (rc < 0)
        fail_outside(t, "cc", xprintf("cannot run %s: %s", tc->cc, uv_strerror(rc)), NULL);
}

static void nocmodl_done(void *ud, struct proc_result *r)
{
    struct compile_task *t = ud;
    t->proc = NULL;
    if (!t->waiters) { /* withdrawn, and nocmodl ended before the kill */
        finish(t, 0, NULL, V_ENV);
        return;
    }
    if (bad_end(t, r, "nocmodl"))
        return;
    if (tool_failed(r)) {
        char *out = joined_output(r, "nocmodl");
        char *copy = xprintf("%s/%s.mod", t->work_dir, t->stem);
        struct diag d;
        diag_nocmodl(&d, out, copy, t->orig_path);
        free(copy);
        free(out);
        finish(t, 0, &d, V_INPUT);
        return;
    }
    start_cc(t);
}

/* The build copy, written just before nocmodl reads it: a few kilobytes
 * to the page cache, cheaper than a round trip to a worker. */
static int write_copy(struct compile_task *t, const char *mod)
{
    if (mkdir_p(t->work_dir, 0755) < 0)
        return -1;
    FILE *f = fopen(mod, "w");
    if (!f)
        return -1;
    size_t len = strlen(t->mod_text);
    int ok = fwrite(t->mod_text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void start(struct compile_task *t)
{
    const struct toolchain *tc = t->c->tc;
    t->running = 1;
    t->c->running++;
    t->t0 = now_ms();
    if (tc->problem) {
        struct diag d;
        diag_plain(&d, t->orig_path, "toolchain", tc->problem, NULL);
        finish(t, 0, &d, V_ONCE);
        return;
    }
    char *mod = xprintf("%s/%s.mod", t->work_dir, t->stem);
    if (write_copy(t, mod) < 0) {
        fail_outside(t, "cache",
                     xprintf("cannot write the build copy %s: %s", mod, strerror(errno)), NULL);
        free(mod);
        return;
    }
    char *argv[] = {tc->nocmodl, mod, "-o", t->work_dir, NULL};
    char *modlunit = xprintf("MODLUNIT=%s", tc->nrnunits);
    char *tmpdir = xprintf("TMPDIR=%s", t->work_dir);
    const char *set[] = {modlunit, tmpdir, NULL};
    t->env = proc_env(set);
    free(modlunit);
    free(tmpdir);
    /* cwd = the mod's own dir: nocmodl looks for INCLUDE files there too. */
    struct proc_opts o = {
        .cwd = t->orig_dir, .env = t->env, .timeout_ms = tc->timeout_ms, .nice = 10};
    t->c->processes++;
    int rc = proc_run(t->c->loop, argv, &o, nocmodl_done, t, &t->proc);
    free(mod);
    if (rc < 0)
        fail_outside(t, "nocmodl",
                     xprintf("cannot run %s in %s: %s", tc->nocmodl, t->orig_dir, uv_strerror(rc)),
                     NULL);
}

static void pump(struct compiler *c)
{
    while (c->running < c->jobs && c->queue_head) {
        struct compile_task *t = c->queue_head;
        c->queue_head = t->qnext;
        if (!c->queue_head)
            c->queue_tail = NULL;
        start(t);
    }
}

/* Deferred to the loop so callers never see done() inside submit(). */
static void kick(void *ctx)
{
    pump(ctx);
}

void compiler_submit(struct compiler *c, const struct compile_req *req, compile_done_fn done,
                     void *ud)
{
    struct waiter *w = xcalloc(1, sizeof(*w));
    w->done = done;
    w->ud = ud;
    struct compile_task *t = strmap_get(&c->tasks, req->key);
    if (t) {
        w->next = t->waiters;
        t->waiters = w;
        return;
    }
    t = xcalloc(1, sizeof(*t));
    t->c = c;
    memcpy(t->key, req->key, sizeof(t->key));
    t->stem = xstrdup(req->stem);
    t->work_dir =
        cache_tmp_path(c->cache_dir, "c%llu-%.16s", (unsigned long long)++c->seq, req->key);
    t->orig_path = xstrdup(req->orig_path);
    t->orig_dir = xstrdup(req->orig_dir);
    t->mod_text = xstrdup(req->mod_text);
    t->waiters = w;
    strmap_put(&c->tasks, t->key, t);
    if (c->queue_tail)
        c->queue_tail->qnext = t;
    else
        c->queue_head = t;
    c->queue_tail = t;
    defer_arm(c->kick); /* NULL once shut down: nothing new starts */
}

static void unqueue(struct compiler *c, struct compile_task *t)
{
    struct compile_task **pp = &c->queue_head, *prev = NULL;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return;
    *pp = t->qnext;
    if (c->queue_tail == t)
        c->queue_tail = prev;
}

void compiler_withdraw(struct compiler *c, const char *key, void *ud)
{
    struct compile_task *t = strmap_get(&c->tasks, key);
    if (!t)
        return;
    for (struct waiter **pp = &t->waiters; *pp; pp = &(*pp)->next)
        if ((*pp)->ud == ud) {
            struct waiter *w = *pp;
            *pp = w->next;
            free(w);
            break;
        }
    if (t->waiters)
        return;
    if (t->running) {
        /* Out of the map now: a later submit of this key must start afresh,
         * not join a process being killed. finish() runs when it is gone. */
        strmap_del(&c->tasks, t->key);
        proc_kill(t->proc);
        return;
    }
    unqueue(c, t);
    strmap_del(&c->tasks, t->key);
    task_free(t);
}

void compiler_shutdown(struct compiler *c)
{
    defer_close(c->kick);
    c->kick = NULL;
    /* Queued work is dropped; running processes are killed and report. */
    while (c->queue_head) {
        struct compile_task *t = c->queue_head;
        c->queue_head = t->qnext;
        strmap_del(&c->tasks, t->key);
        task_free(t);
    }
    c->queue_tail = NULL;
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&c->tasks, &i, &k, &v);)
        proc_kill(((struct compile_task *)v)->proc);
}

void compiler_free(struct compiler *c)
{
    strmap_free(&c->tasks);
    free(c->cache_dir);
}
