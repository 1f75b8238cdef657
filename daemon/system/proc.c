/*
 * proc: see proc.h. A process is done when three things have happened, in
 * any order: it exited, and both of its output pipes reached EOF. Only then
 * is the callback run and everything closed.
 */
#include "proc.h"
#include "os.h"
#include "util.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int overridden(const char *var, const char *const *set)
{
    for (size_t i = 0; set[i]; i++) {
        size_t n = strcspn(set[i], "=") + 1;
        if (strncmp(var, set[i], n) == 0)
            return 1;
    }
    return 0;
}

char **proc_env(const char *const *set)
{
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (set[m])
        m++;
    char **env = xcalloc(n + m + 1, sizeof(*env));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!overridden(environ[i], set))
            env[k++] = xstrdup(environ[i]);
    for (size_t i = 0; i < m; i++)
        env[k++] = xstrdup(set[i]);
    return env;
}

void proc_env_free(char **env)
{
    for (char **e = env; e && *e; e++)
        free(*e);
    free(env);
}

/* Process-wide and set once before the loop runs, like the log level. */
static char *helper;

void proc_set_helper(const char *path)
{
    free(helper);
    helper = path ? xstrdup(path) : NULL;
}

char *proc_find_helper(const char *libexecdir)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            char *cand = xprintf("%s/gliad-child", self);
            if (access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
    }
    char *cand = xprintf("%s/gliad-child", libexecdir);
    if (access(cand, X_OK) == 0)
        return cand;
    free(cand);
    return NULL;
}

struct capture {
    uv_pipe_t pipe;
    char *buf;
    size_t len, cap, limit;
    struct proc *p;
};

struct proc {
    uv_process_t process;
    uv_timer_t timer;
    struct capture out, err;
    int pending; /* exit + two EOFs + closes still to come */
    int closing;
    struct proc_result r;
    double start;
    proc_done_fn done;
    void *ud;
    struct proc **handle_out;
};

static void maybe_finish(struct proc *p);

static void on_close(uv_handle_t *h)
{
    struct proc *p = h->data;
    if (--p->pending == 0) {
        free(p->out.buf);
        free(p->err.buf);
        free(p);
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct capture *c = (struct capture *)((char *)h - offsetof(struct capture, pipe));
    (void)suggested;
    if (c->cap - c->len < 4096) {
        c->cap = c->cap ? c->cap * 2 : 8192;
        c->buf = xrealloc(c->buf, c->cap);
    }
    /* Keep one byte for the terminating NUL. */
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len - 1));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct capture *c = (struct capture *)((char *)s - offsetof(struct capture, pipe));
    (void)buf;
    if (n > 0) {
        /* Past the limit, keep reading (so the child never blocks) but drop it. */
        if (c->len + (size_t)n <= c->limit)
            c->len += (size_t)n;
        return;
    }
    if (n < 0) {
        uv_read_stop(s);
        c->p->pending--; /* EOF (or error) counts the same */
        maybe_finish(c->p);
    }
}

static void exit_cb(uv_process_t *h, int64_t status, int sig)
{
    struct proc *p = h->data;
    p->r.exit_status = status;
    p->r.term_signal = sig;
    p->pending--;
    maybe_finish(p);
}

/* The whole process group: a compiler driver's own children (cc1, as)
 * hold the output pipes too, and the process is done only when they go. */
static void kill_group(struct proc *p)
{
    if (p->process.pid > 0 && kill(-p->process.pid, SIGKILL) < 0)
        uv_process_kill(&p->process, SIGKILL);
}

static void timer_cb(uv_timer_t *t)
{
    struct proc *p = t->data;
    p->r.timed_out = 1;
    kill_group(p);
}

static void maybe_finish(struct proc *p)
{
    if (p->pending > 0 || p->closing)
        return;
    p->closing = 1;
    uv_timer_stop(&p->timer);
    p->out.buf[p->out.len] = '\0';
    p->err.buf[p->err.len] = '\0';
    p->r.out = p->out.buf;
    p->r.outlen = p->out.len;
    p->r.err = p->err.buf;
    p->r.errlen = p->err.len;
    p->r.ms = now_ms() - p->start;
    if (p->handle_out)
        *p->handle_out = NULL;
    p->done(p->ud, &p->r);
    p->pending = 4;
    uv_close((uv_handle_t *)&p->process, on_close);
    uv_close((uv_handle_t *)&p->timer, on_close);
    uv_close((uv_handle_t *)&p->out.pipe, on_close);
    uv_close((uv_handle_t *)&p->err.pipe, on_close);
}

static void capture_init(uv_loop_t *loop, struct capture *c, struct proc *p, size_t limit)
{
    uv_pipe_init(loop, &c->pipe, 0);
    c->pipe.data = p;
    c->p = p;
    c->limit = limit;
    c->cap = 8192;
    c->buf = xmalloc(c->cap);
}

int proc_run(uv_loop_t *loop, char *const *argv, const struct proc_opts *o, proc_done_fn done,
             void *ud, struct proc **out)
{
    if (!argv[0])
        return UV_EINVAL;
    struct proc *p = xcalloc(1, sizeof(*p));
    size_t limit = o && o->max_output ? o->max_output : (1u << 20);
    capture_init(loop, &p->out, p, limit);
    capture_init(loop, &p->err, p, limit);
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->process.data = p;
    p->done = done;
    p->ud = ud;
    p->start = now_ms();

    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out.pipe},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->err.pipe},
    };
    /* Through gliad-child: dies with gliad, runs at the asked niceness. */
    char **args = (char **)argv;
    char pid[24], nice[16];
    if (helper) {
        size_t n = 0;
        while (argv[n])
            n++;
        args = xcalloc(n + 4, sizeof(*args));
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        snprintf(nice, sizeof(nice), "%d", o ? o->nice : 0);
        args[0] = helper, args[1] = pid, args[2] = nice;
        memcpy(args + 3, argv, (n + 1) * sizeof(*args));
    }
    uv_process_options_t opts = {
        .exit_cb = exit_cb,
        .file = args[0],
        .args = args,
        .env = o ? o->env : NULL,
        .cwd = o ? o->cwd : NULL,
        .stdio_count = 3,
        .stdio = stdio,
        /* Its own process group (setsid), so a kill reaches its children. */
        .flags = UV_PROCESS_DETACHED,
    };
    int rc = uv_spawn(loop, &p->process, &opts);
    if (args != (char **)argv)
        free(args);
    if (rc < 0) {
        /* Nothing ran: close what was opened and free without calling done. */
        p->closing = 1;
        p->pending = 4;
        uv_close((uv_handle_t *)&p->process, on_close);
        uv_close((uv_handle_t *)&p->timer, on_close);
        uv_close((uv_handle_t *)&p->out.pipe, on_close);
        uv_close((uv_handle_t *)&p->err.pipe, on_close);
        return rc;
    }
    p->pending = 3;
    uv_read_start((uv_stream_t *)&p->out.pipe, alloc_cb, read_cb);
    uv_read_start((uv_stream_t *)&p->err.pipe, alloc_cb, read_cb);
    if (o && o->timeout_ms)
        uv_timer_start(&p->timer, timer_cb, o->timeout_ms, 0);
    p->handle_out = out;
    if (out)
        *out = p;
    return 0;
}

void proc_kill(struct proc *p)
{
    if (p && !p->closing)
        kill_group(p);
}
