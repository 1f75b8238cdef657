/*
 * build_nrnivmodl: the second backend, for NEURON installations whose
 * layout the direct one does not know (a pip-installed NEURON, say): that
 * installation's own nrnivmodl, run on every prepared mod at once.
 *
 * nrnivmodl builds all or nothing, so one broken mod is found from its
 * output, left out, and nrnivmodl runs again on the rest (make reuses what
 * it already compiled). Debian's nrnivmodl does not work as installed; a
 * NRNHOME tree of symlinks (plus the one header Debian does not ship) is
 * what it expects to find.
 */
#include "build_internal.h"
#include "diag.h"
#include "fault.h"
#include "log.h"
#include "os.h"
#include "proc.h"
#include "scratch.h"
#include "toolchain.h"
#include "util.h"
#include "work.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void run(struct build *b);

static char *nrnhome(const struct build *b)
{
    return xprintf("%s/nrnhome", b->cache_dir);
}

/* What the setup of a build's dirs reads, copied: the toolchain may be
 * replaced on the loop (SIGHUP) while a worker sets them up. */
struct nrnivmodl_setup {
    struct build *b;
    char *home, *link_dir, *nocmodl, *makefile, *lib_dir;
    char *error; /* malloc'd: the link dir could not be made */
};

/* <cache>/nrnhome: bin/{nocmodl,nrnmech_makefile}, lib/libnrniv.so,
 * include/ (NEURON's headers and an empty ivstream.h), share/. Worker: a
 * few hundred symlinks and a readdir of NEURON's headers. */
static void nrnhome_setup(const struct nrnivmodl_setup *tc)
{
    const char *home = tc->home;
    char *prefix = xstrndup(tc->nocmodl, strlen(tc->nocmodl) - strlen("/bin/nocmodl"));
    char *links[][2] = {
        {xstrdup(tc->nocmodl), xprintf("%s/bin/nocmodl", home)},
        {xstrdup(tc->makefile ? tc->makefile : "/nonexistent"),
         xprintf("%s/bin/nrnmech_makefile", home)},
        {xprintf("%s/libnrniv.so", tc->lib_dir), xprintf("%s/lib/libnrniv.so", home)},
        {xprintf("%s/share", prefix), xprintf("%s/share", home)},
    };
    char *dirs[] = {xprintf("%s/bin", home), xprintf("%s/lib", home), xprintf("%s/include", home)};
    for (size_t i = 0; i < 3; i++)
        mkdir_p(dirs[i], 0755);
    for (size_t i = 0; i < 4; i++) {
        unlink(links[i][1]);
        if (symlink(links[i][0], links[i][1]) < 0)
            log_warn("nrnivmodl backend: cannot link %s: %s", links[i][1], strerror(errno));
        free(links[i][0]);
        free(links[i][1]);
    }
    char *inc = xprintf("%s/include", prefix);
    DIR *d = opendir(inc);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *from = xprintf("%s/%s", inc, de->d_name), *to = xprintf("%s/%s", dirs[2], de->d_name);
        if (symlink(from, to) < 0 && errno != EEXIST)
            log_debug("nrnivmodl backend: %s: %s", to, strerror(errno));
        free(from);
        free(to);
    }
    if (d)
        closedir(d);
    char *stub = xprintf("%s/ivstream.h", dirs[2]);
    FILE *f = access(stub, F_OK) == 0 ? NULL : fopen(stub, "w");
    if (f) {
        fputs("/* gliad: Debian's NEURON ships no InterViews headers; nrnmain needs none */\n", f);
        fclose(f);
    }
    free(stub);
    free(inc);
    for (size_t i = 0; i < 3; i++)
        free(dirs[i]);
    free(prefix);
}

/* The item nrnivmodl's output blames: "<full>.mod" in a nocmodl error, or
 * "<full>.c:<line>:" before ": error:". */
static struct build_item *blamed(struct build *b, const char *out)
{
    for (const char *line = out; *line;) {
        size_t n = strcspn(line, "\n");
        int bad = memmem(line, n, ": error:", 8) || memmem(line, n, " at line ", 9) ||
                  memmem(line, n, "Illegal", 7) || memmem(line, n, "error:", 6);
        for (size_t i = 0; bad && i < b->n; i++) {
            struct build_item *it = &b->items[i];
            if (it->state != ITEM_PENDING)
                continue;
            char *c = xprintf("%s.c:", it->mod->full), *mod = xprintf("%s.mod", it->mod->full);
            int hit = memmem(line, n, c, strlen(c)) || memmem(line, n, mod, strlen(mod));
            free(c);
            free(mod);
            if (hit)
                return it;
        }
        line += n + (line[n] == '\n');
    }
    return NULL;
}

/* The same diagnostics as the direct backend gives, from nrnivmodl's
 * output: nocmodl's "at line N" or the compiler's first error. Worker: it
 * quotes the generated C file, which can be tens of MiB. */
static void blame(const struct build *b, struct build_item *it, const char *out)
{
    char *copy = xprintf("%s/%s.mod", it->work_dir, it->mod->full);
    if (strstr(out, " at line ")) {
        diag_nocmodl(&it->diag, out, copy, it->mod->path);
    } else {
        /* make compiles ./<full>.c inside x86_64/ */
        char *c_rel = xprintf("%s.c", it->mod->full);
        char *c_dot = xprintf("./%s", c_rel);
        char *c_path = xprintf("%s/x86_64/%s.c", b->link_dir, it->mod->full);
        char *c_text = file_read(c_path, 64u << 20, NULL);
        const char *from = strstr(out, c_dot) ? c_dot : c_rel;
        diag_cc(&it->diag, strstr(out, from) ? strstr(out, from) : out, from, c_text, it->text,
                it->mod->path);
        free(c_text);
        free(c_path);
        free(c_dot);
        free(c_rel);
    }
    free(copy);
}

/* The mod nrnivmodl's output blames, on its way to its diagnostics. */
struct blaming {
    struct build *b;
    struct build_item *it; /* its diag is the worker's until done */
    char *out;
};

static void blame_work(void *ctx)
{
    struct blaming *j = ctx;
    blame(j->b, j->it, j->out);
}

static void blamed_done(void *ctx)
{
    struct blaming *j = ctx;
    struct build *b = j->b;
    struct build_item *it = j->it;
    free(j->out);
    free(j);
    if (build_step_end(b))
        return;
    /* The same text fails the same way: the next build leaves it out at once,
     * and a set with it left out keys the same as the library made now. */
    build_failure_remember(b, it);
    it->state = ITEM_FAILED;
    b->failed++;
    log_warn("[%s] %s; building the rest without it", b->env_name, it->diag.summary);
    run(b);
}

static void nrnivmodl_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    b->proc = NULL;
    if (build_step_end(b))
        return;
    char *out = xprintf("%s\n%s", r->out, r->err);
    if (r->exit_status == 0 && !r->term_signal) {
        char *so = xprintf("%s/x86_64/libnrnmech.so", b->link_dir);
        char *dest = xprintf("%s/libglia.so", b->link_dir);
        if (rename(so, dest) < 0) {
            b->error = xprintf("nrnivmodl made no %s: %s", so, strerror(errno));
            b->error_outside = 1;
        }
        free(so);
        free(dest);
        for (size_t i = 0; i < b->n; i++)
            if (b->items[i].state == ITEM_PENDING) {
                b->items[i].state = ITEM_READY;
                b->compiled++;
            }
        free(out);
        build_nrnivmodl_linked(b);
        return;
    }
    char *outside = r->timed_out
                        ? NULL
                        : fault_of_run(r->exit_status, r->term_signal, r->out, r->err, b->link_dir);
    struct build_item *it = r->timed_out || outside ? NULL : blamed(b, out);
    if (outside) {
        b->error = diag_clip(
            xprintf("nrnivmodl failed for a reason outside the mods (%s): %s", outside, out), 4000);
        b->error_outside = 1;
        free(outside);
        free(out);
        build_nrnivmodl_linked(b);
        return;
    }
    if (!it) {
        b->error = diag_clip(
            xprintf("nrnivmodl failed%s: %s", r->timed_out ? " (timed out)" : "", out), 4000);
        free(out);
        build_nrnivmodl_linked(b);
        return;
    }
    struct blaming *j = xcalloc(1, sizeof(*j));
    *j = (struct blaming){b, it, out};
    build_step_begin(b);
    work_submit(b->loop, blame_work, blamed_done, j);
}

static void run(struct build *b)
{
    const struct toolchain *tc = b->tc;
    char **argv = xcalloc(b->n + 2, sizeof(*argv));
    size_t n = 0, nmods = 0;
    argv[n++] = tc->nrnivmodl;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_PENDING) {
            argv[n++] = xprintf("%s/%s.mod", b->items[i].work_dir, b->items[i].mod->full);
            nmods++;
        }
    char *home = nrnhome(b);
    char *var = xprintf("NRNHOME=%s", home);
    char *tmpdir = xprintf("TMPDIR=%s", b->link_dir);
    const char *set[] = {var, tmpdir, NULL};
    char **env = proc_env(set);
    struct proc_opts o = {.cwd = b->link_dir,
                          .env = env,
                          .timeout_ms = tc->timeout_ms,
                          .max_output = 4u << 20,
                          .nice = 10};
    build_step_begin(b);
    int rc = tc->nrnivmodl ? proc_run(b->loop, argv, &o, nrnivmodl_done, b, &b->proc) : -ENOENT;
    for (size_t i = 1; i < n; i++)
        free(argv[i]);
    free(argv);
    proc_env_free(env);
    free(tmpdir);
    free(var);
    free(home);
    if (rc < 0) {
        build_step_end(b);
        b->error = xprintf("cannot run nrnivmodl%s%s: %s", tc->nrnivmodl ? " " : "",
                           tc->nrnivmodl ? tc->nrnivmodl : "", uv_strerror(rc));
        b->error_outside = tc->nrnivmodl != NULL;
        build_nrnivmodl_linked(b);
    }
    (void)nmods;
}

/* Worker. */
static void setup_work(void *ctx)
{
    struct nrnivmodl_setup *s = ctx;
    if (mkdir_p(s->link_dir, 0755) < 0) {
        s->error = xprintf("cannot create %s: %s", s->link_dir, strerror(errno));
        return;
    }
    if (s->nocmodl)
        nrnhome_setup(s);
}

static void setup_done(void *ctx)
{
    struct nrnivmodl_setup *s = ctx;
    struct build *b = s->b;
    char *error = s->error;
    free(s->home);
    free(s->link_dir);
    free(s->nocmodl);
    free(s->makefile);
    free(s->lib_dir);
    free(s);
    if (build_step_end(b)) {
        free(error);
        return;
    }
    if (error) {
        b->error = error;
        b->error_outside = 1;
        build_nrnivmodl_linked(b);
        return;
    }
    run(b);
}

void build_nrnivmodl(struct build *b)
{
    const struct toolchain *tc = b->tc;
    b->link_dir = cache_tmp_path(b->cache_dir, "nrnivmodl-%llu", (unsigned long long)b->id);
    struct nrnivmodl_setup *s = xcalloc(1, sizeof(*s));
    *s = (struct nrnivmodl_setup){.b = b,
                                  .home = nrnhome(b),
                                  .link_dir = xstrdup(b->link_dir),
                                  .nocmodl = xstrdup(tc->nocmodl),
                                  .makefile = xstrdup(tc->makefile),
                                  .lib_dir = xstrdup(tc->lib_dir)};
    build_step_begin(b);
    work_submit(b->loop, setup_work, setup_done, s);
}
