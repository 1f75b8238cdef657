/*
 * toolchain: see toolchain.h.
 *
 * The flags are those of NEURON's own nrnmech_makefile, minus -g (objects
 * are cached and shipped to NEURON, not debugged) and minus the build
 * machine's -ffile-prefix-map: -O2 -fPIC -DHAVE_CONFIG_H and its MPI
 * defines, NEURON's include dir and the MPI include dirs the makefile names.
 */
#include "toolchain.h"
#include "log.h"
#include "nrnmake.h"
#include "os.h"
#include "proc.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const base_flags[] = {
    "-O2",
    "-fPIC",
    "-DHAVE_CONFIG_H",
    "-DMPI_NO_CPPBIND=1",
    "-DOMPI_SKIP_MPICXX=1",
    "-DMPICH_SKIP_MPICXX=1",
    "-w", /* generated code warns a lot; errors still show */
};

char *toolchain_which(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL, *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *cand = xprintf("%s/%s", d, name);
        if (access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The install prefix: /usr for /usr/bin/nocmodl. */
static char *prefix_of(const char *nocmodl)
{
    char real[PATH_MAX];
    if (!realpath(nocmodl, real))
        return xstrdup("/usr");
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(real, '/');
        if (slash && slash != real)
            *slash = '\0';
    }
    return xstrdup(real);
}

static char *first_existing(const char *const *cands, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cands[i] && exists(cands[i]))
            return xstrdup(cands[i]);
    return NULL;
}

static void add_flag(struct toolchain *tc, char *flag)
{
    tc->cflags = xrealloc(tc->cflags, (tc->ncflags + 2) * sizeof(*tc->cflags));
    tc->cflags[tc->ncflags++] = flag;
    tc->cflags[tc->ncflags] = NULL;
}

/* The MPI include dirs nrnmech_makefile names, when they exist here. */
static void makefile_includes(struct toolchain *tc, const char *makefile)
{
    char *text = file_read(makefile, 1u << 20, NULL);
    size_t n = 0;
    char **dirs = text ? nrnmake_include_dirs(text, &n) : NULL;
    for (size_t i = 0; i < n; i++)
        if (exists(dirs[i]))
            add_flag(tc, xprintf("-I%s", dirs[i]));
    strv_free(dirs, n);
    free(text);
}

static void detect_paths(const struct config_neuron *cfg, struct toolchain *tc, const char *prefix)
{
    char *units = xprintf("%s/share/nrn/lib/nrnunits.lib", prefix);
    tc->nrnunits = xstrdup(cfg->nrnunits ? cfg->nrnunits : units);
    free(units);

    char *libs[] = {xprintf("%s/lib/nrn/libnrniv.so", prefix),
                    xprintf("%s/lib/libnrniv.so", prefix),
                    xprintf("%s/lib/x86_64-linux-gnu/libnrniv.so", prefix),
                    xprintf("%s/lib/aarch64-linux-gnu/libnrniv.so", prefix)};
    char *lib = first_existing((const char *const *)libs, 4);
    for (size_t i = 0; i < 4; i++)
        free(libs[i]);
    if (cfg->lib_dir)
        tc->lib_dir = xstrdup(cfg->lib_dir);
    else if (lib)
        tc->lib_dir = xstrndup(lib, strrchr(lib, '/') - lib);
    free(lib);

    char *mks[] = {xprintf("%s/lib/nrn/nrnmech_makefile", prefix),
                   xprintf("%s/bin/nrnmech_makefile", prefix),
                   tc->lib_dir ? xprintf("%s/nrnmech_makefile", tc->lib_dir) : NULL};
    tc->makefile = first_existing((const char *const *)mks, 3);
    for (size_t i = 0; i < 3; i++)
        free(mks[i]);
}

static void detect_flags(const struct config_neuron *cfg, struct toolchain *tc, const char *prefix)
{
    if (cfg->cflags) {
        char *copy = xstrdup(cfg->cflags), *save = NULL;
        for (char *f = strtok_r(copy, " \t", &save); f; f = strtok_r(NULL, " \t", &save))
            add_flag(tc, xstrdup(f));
        free(copy);
    } else {
        for (size_t i = 0; i < sizeof(base_flags) / sizeof(base_flags[0]); i++)
            add_flag(tc, xstrdup(base_flags[i]));
    }
    if (cfg->include_dirs) {
        size_t n;
        char **dirs = config_split_path(cfg->include_dirs, &n);
        for (size_t i = 0; i < n; i++)
            add_flag(tc, xprintf("-I%s", dirs[i]));
        strv_free(dirs, n);
        return;
    }
    add_flag(tc, xprintf("-I%s/include", prefix));
    if (tc->makefile)
        makefile_includes(tc, tc->makefile);
}

void toolchain_detect(const struct config_neuron *cfg, struct toolchain *tc)
{
    memset(tc, 0, sizeof(*tc));
    tc->timeout_ms = (unsigned)cfg->timeout_s * 1000u;
    tc->nocmodl = toolchain_which(cfg->nocmodl ? cfg->nocmodl : "nocmodl");
    tc->cc = toolchain_which(cfg->cc ? cfg->cc : "cc");
    tc->nrnivmodl = toolchain_which(cfg->nrnivmodl ? cfg->nrnivmodl : "nrnivmodl");
    char *prefix = prefix_of(tc->nocmodl ? tc->nocmodl : "/usr/bin/nocmodl");
    detect_paths(cfg, tc, prefix);
    detect_flags(cfg, tc, prefix);
    free(prefix);

    if (!tc->nocmodl && cfg->nocmodl)
        tc->problem = xprintf("[neuron] nocmodl %s is not an executable", cfg->nocmodl);
    else if (!tc->nocmodl)
        tc->problem = xstrdup("nocmodl not found: install NEURON's development files "
                              "(apt-get install neuron-dev) or set [neuron] nocmodl");
    else if (!tc->cc && cfg->cc)
        tc->problem = xprintf("[neuron] cc %s is not an executable", cfg->cc);
    else if (!tc->cc)
        tc->problem = xstrdup("no C compiler (cc) on PATH: install gcc or set [neuron] cc");
    else if (!tc->lib_dir)
        tc->problem = xstrdup("libnrniv.so not found next to nocmodl's NEURON: set "
                              "[neuron] lib_dir");
    else if (!exists(tc->nrnunits))
        tc->problem = xprintf("%s not found: set [neuron] nrnunits", tc->nrnunits);
}

/* ---- Probing versions ---- */

struct probe {
    struct toolchain *tc;
    void (*done)(void *);
    void *ud;
    int pending;
    char *nocmodl_version;
    char *cc_version;
    char *nrniv_version;
};

static char *first_line(const char *s)
{
    size_t n = strcspn(s, "\n");
    return xstrndup(s, n);
}

static void hash_file_stat(struct hash *h, const char *path)
{
    struct stat st;
    char buf[128] = "";
    if (path && stat(path, &st) == 0)
        snprintf(buf, sizeof(buf), "%lld:%lld", (long long)st.st_size, (long long)st.st_mtime);
    hash_str(h, path);
    hash_str(h, buf);
}

static void finish(struct probe *p)
{
    struct toolchain *tc = p->tc;
    struct hash h;
    hash_init(&h, "glia-toolchain-v1");
    hash_str(&h, p->nocmodl_version);
    hash_str(&h, p->cc_version);
    hash_file_stat(&h, tc->nocmodl);
    hash_file_stat(&h, tc->cc);
    hash_file_stat(&h, tc->nrnunits);
    char *lib = tc->lib_dir ? xprintf("%s/libnrniv.so", tc->lib_dir) : NULL;
    hash_file_stat(&h, lib);
    free(lib);
    for (size_t i = 0; i < tc->ncflags; i++)
        hash_str(&h, tc->cflags[i]);
    hash_hex(&h, tc->id);
    tc->describe = xprintf("nocmodl %s; %s; libnrniv in %s", p->nocmodl_version, p->cc_version,
                           tc->lib_dir ? tc->lib_dir : "?");
    /* "NEURON -- VERSION 8.2.2 ...": for people (a bundle's manifest);
     * libnrniv itself is in the identity. */
    const char *v = strstr(p->nrniv_version, "VERSION ");
    tc->neuron_version = v ? xstrndup(v + 8, strcspn(v + 8, " ")) : xstrdup(p->nrniv_version);
    free(p->nrniv_version);
    tc->ready = 1;
    log_info("toolchain: %s; NEURON %s", tc->describe, tc->neuron_version);
    free(p->nocmodl_version);
    free(p->cc_version);
    p->done(p->ud);
    free(p);
}

static void version_done(struct probe *p, char **slot, struct proc_result *r)
{
    *slot = first_line(r->outlen ? r->out : r->err);
    if (--p->pending == 0)
        finish(p);
}

static void nocmodl_done(void *ud, struct proc_result *r)
{
    struct probe *p = ud;
    version_done(p, &p->nocmodl_version, r);
}

static void cc_done(void *ud, struct proc_result *r)
{
    struct probe *p = ud;
    version_done(p, &p->cc_version, r);
}

static void nrniv_done(void *ud, struct proc_result *r)
{
    struct probe *p = ud;
    version_done(p, &p->nrniv_version, r);
}

static void run_version(uv_loop_t *loop, struct probe *p, const char *prog, proc_done_fn fn,
                        char **slot)
{
    char *argv[] = {(char *)prog, "--version", NULL};
    struct proc_opts o = {.timeout_ms = 20000};
    p->pending++;
    if (!prog || proc_run(loop, argv, &o, fn, p, NULL) < 0) {
        *slot = xstrdup("unknown");
        p->pending--;
    }
}

/* The nrniv of the NEURON whose nocmodl builds (malloc'd), or NULL. */
static char *nrniv_beside(const char *nocmodl)
{
    const char *slash = nocmodl ? strrchr(nocmodl, '/') : NULL;
    if (!slash)
        return NULL;
    char *path = xprintf("%.*s/nrniv", (int)(slash - nocmodl), nocmodl);
    if (access(path, X_OK) == 0)
        return path;
    free(path);
    return NULL;
}

void toolchain_probe(uv_loop_t *loop, struct toolchain *tc, void (*done)(void *ud), void *ud)
{
    struct probe *p = xcalloc(1, sizeof(*p));
    p->tc = tc;
    p->done = done;
    p->ud = ud;
    p->pending = 1; /* held until both are started */
    run_version(loop, p, tc->nocmodl, nocmodl_done, &p->nocmodl_version);
    run_version(loop, p, tc->cc, cc_done, &p->cc_version);
    char *nrniv = nrniv_beside(tc->nocmodl);
    run_version(loop, p, nrniv, nrniv_done, &p->nrniv_version);
    free(nrniv);
    if (--p->pending == 0)
        finish(p);
}

void toolchain_free(struct toolchain *tc)
{
    free(tc->nocmodl);
    free(tc->nrnunits);
    free(tc->cc);
    strv_free(tc->cflags, tc->ncflags);
    free(tc->lib_dir);
    free(tc->nrnivmodl);
    free(tc->makefile);
    free(tc->problem);
    free(tc->describe);
    free(tc->neuron_version);
    memset(tc, 0, sizeof(*tc));
}
