/*
 * build_load: the last step of the direct backend's link, on the loop: the
 * library of the packages' isolated objects (build_link.c), loaded by nrniv
 * in a child process before it may be published. A library NEURON cannot
 * load is never offered to a client: NEURON may exit the process that
 * loads it (two valences for one ion do), and cannot unload it.
 *
 * When NEURON refuses, the packages are added one at a time in a fixed
 * order, by bisection: packages a global preference names first
 * (`gliactl select ASSET --pkg=P`), then the rest in name order. The first
 * package whose addition NEURON refuses is left out, with NEURON's words
 * and the package it clashes with (found by a second bisection over those
 * already accepted); the others go on. Every try is a link and an nrniv
 * run of a fraction of a second: log2 of the packages per culprit.
 */
#include "build_internal.h"
#include "log.h"
#include "modfunc.h"
#include "os.h"
#include "toolchain.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOAD_OK_TAG "glia-load-ok"

typedef void (*try_done_fn)(struct build *b, int ok, const char *words);

struct build_load {
    char **pkg_objs; /* per package: its object, or NULL (borrowed) */
    char *nrniv;     /* NULL: not on PATH, nothing is loaded first */
    unsigned tries;
    char *try_lib;
    try_done_fn try_done;

    /* Packages known to load together, in the order they were accepted;
     * those not tried yet. The shortest failing prefix of pending (after
     * accepted) is hi long, with NEURON's words. */
    size_t *accepted, naccepted;
    size_t *pending, npending;
    size_t lo, hi;
    char *hi_words;
    size_t culprit; /* while its partner is searched */
};

void build_load_free(struct build_load *ld)
{
    if (!ld)
        return;
    free(ld->nrniv);
    free(ld->try_lib);
    free(ld->accepted); /* pending points into it */
    free(ld->hi_words);
    free(ld);
}

/* ---- One try: link a set of packages, load it ---- */

/* The nrniv of the NEURON the toolchain builds for: beside its nocmodl,
 * else the one on PATH. */
static char *find_nrniv(const struct toolchain *tc)
{
    const char *slash = tc->nocmodl ? strrchr(tc->nocmodl, '/') : NULL;
    if (slash) {
        char *beside = xprintf("%.*s/nrniv", (int)(slash - tc->nocmodl), tc->nocmodl);
        if (access(beside, X_OK) == 0)
            return beside;
        free(beside);
    }
    return toolchain_which("nrniv");
}

static void load_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    int ok = !build_proc_failed(r) && strstr(r->out, LOAD_OK_TAG) != NULL;
    char *words = ok ? NULL : build_tool_words(b, "NEURON", r);
    b->load->try_done(b, ok, words);
    free(words);
}

/* nrniv loads the library as a script would and registers every mechanism.
 * Its cwd is an empty dir: nrniv loads an x86_64/ it finds there by itself
 * (and nrnivmodl leaves one in the link dir). */
static void load_check(struct build *b)
{
    struct build_load *ld = b->load;
    if (!ld->nrniv) {
        ld->try_done(b, 1, NULL);
        return;
    }
    char *cwd = xprintf("%s/nrniv", b->link_dir);
    if (mkdir_p(cwd, 0755) < 0) {
        b->error = xprintf("cannot create %s: %s", cwd, strerror(errno));
        free(cwd);
        build_finish(b);
        return;
    }
    char *hoc = xprintf("if (nrn_load_dll(\"%s\")) print \"" LOAD_OK_TAG "\"", ld->try_lib);
    /* Without Python nrniv starts in a tenth of the time; mechanisms need none. */
    char *argv[] = {ld->nrniv, "-nopython", "-nobanner", "-nogui", "-c", hoc, "-c", "quit()", NULL};
    build_run_in(b, cwd, argv, load_done, 0);
    free(hoc);
    free(cwd);
}

static void try_link_done(void *ud, struct proc_result *r)
{
    struct build *b = ud;
    if (!build_resumed(b))
        return;
    if (build_proc_failed(r)) {
        char *w = build_tool_words(b, "cc -shared", r);
        b->error = xprintf("linking %s failed: %s", b->lib_path, w);
        free(w);
        build_finish(b);
    } else {
        load_check(b);
    }
}

/* cc -shared of src and objs into out, against libnrniv, in the link dir. */
static int link_shared(struct build *b, const char *out, const char *src, char *const *objs,
                       size_t nobjs, proc_done_fn done)
{
    char *owned[2];
    size_t n;
    char **argv = build_shared_argv(b, nobjs + 3, &n, owned);
    argv[n++] = "-o", argv[n++] = (char *)out, argv[n++] = (char *)src;
    for (size_t i = 0; i < nobjs; i++)
        argv[n++] = objs[i];
    int rc = build_run(b, argv, done, 0);
    free(owned[0]);
    free(owned[1]);
    free(argv);
    return rc;
}

/* Links the packages of list a (and `extra`, unless -1) into
 * link_dir/try-N.so; done says whether NEURON loads it. */
static void try_list(struct build *b, const size_t *a, size_t na, size_t extra, try_done_fn done)
{
    struct build_load *ld = b->load;
    unsigned char *chosen = xcalloc(b->npkgs + 1, 1);
    for (size_t i = 0; i < na; i++)
        chosen[a[i]] = 1;
    if (extra != (size_t)-1)
        chosen[extra] = 1;
    ld->try_done = done;
    ld->tries++;
    char *src = xprintf("%s/mod_func-%u.c", b->link_dir, ld->tries);
    free(ld->try_lib);
    ld->try_lib = xprintf("%s/try-%u.so", b->link_dir, ld->tries);
    char **objs = xcalloc(b->npkgs + 1, sizeof(*objs));
    size_t n = 0;
    for (size_t p = 0; p < b->npkgs; p++)
        if (chosen[p] && ld->pkg_objs[p])
            objs[n++] = ld->pkg_objs[p];
    if (build_write_mod_func(b, chosen, src) < 0) {
        b->error = xprintf("cannot write %s: %s", src, strerror(errno));
        build_finish(b);
    } else {
        link_shared(b, ld->try_lib, src, objs, n, try_link_done);
    }
    free(objs);
    free(src);
    free(chosen);
}

/* The try that loaded is the library; after packages were left out, it
 * may be the one the env has already (a build with the conflict unchanged). */
static void publish_try(struct build *b)
{
    build_compute_libkey(b);
    const struct generation *cur = build_current(b);
    /* Unless the cached one was found damaged: this one replaces it. */
    if (cur && strcmp(cur->libkey, b->libkey) == 0 && !b->force && build_library_sound(b)) {
        b->generation = cur->number;
        build_finish(b);
        return;
    }
    char *so = xprintf("%s/libglia.so", b->link_dir);
    if (rename(b->load->try_lib, so) < 0) {
        b->error = xprintf("cannot rename %s: %s", b->load->try_lib, strerror(errno));
        build_finish(b);
    } else {
        build_parts_start(b);
    }
    free(so);
}

/* ---- Who NEURON refuses ---- */

/* NEURON's words on one line, for a summary: hoc's echo of the statement
 * that failed ("near line 1 ...") and nrniv's path go. */
static char *one_line(const char *words, const char *nrniv)
{
    char *s = xstrndup(words ? words : "", 400);
    for (char *c = s; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    char *near = strstr(s, " near line ");
    if (near)
        *near = '\0';
    char *prog = nrniv ? xprintf("%s: ", nrniv) : NULL, *at = prog ? strstr(s, prog) : NULL;
    if (at)
        memmove(at, at + strlen(prog), strlen(at + strlen(prog)) + 1);
    free(prog);
    for (size_t n = strlen(s); n > 0 && s[n - 1] == ' ';)
        s[--n] = '\0';
    return s;
}

/* Every linked mod of package p goes, with NEURON's words and, when there
 * is one, the package it cannot load with (partner, else -1). */
static void leave_out_package(struct build *b, size_t p, size_t partner, const char *words)
{
    char *said = one_line(words, b->load->nrniv);
    const char *name = b->pkgs[p]->name;
    for (size_t i = 0; i < b->n; i++) {
        struct build_item *it = &b->items[i];
        if (!build_in_pkg(b, it, p))
            continue;
        char *msg;
        if (partner == (size_t)-1)
            msg = xprintf("NEURON cannot load package %s (%s); it is left out of the library", name,
                          said);
        else
            msg = xprintf("NEURON cannot load package %s together with package %s (%s); %s is "
                          "kept and %s left out. To keep %s instead: gliactl select %s --pkg=%s, "
                          "then gliactl build",
                          name, b->pkgs[partner]->name, said, b->pkgs[partner]->name, name, name,
                          it->mod->asset, name);
        build_leave_out(it, "load", msg, words);
        free(msg);
    }
    free(said);
}

static void bisect_step(struct build *b);
static void rest_tried(struct build *b, int ok, const char *words);

static void narrowed(struct build *b, int ok, const char *words)
{
    struct build_load *ld = b->load;
    size_t mid = ld->lo + (ld->hi - ld->lo) / 2;
    if (ok) {
        ld->lo = mid + 1;
    } else {
        ld->hi = mid;
        free(ld->hi_words);
        ld->hi_words = xstrdup(words);
    }
    bisect_step(b);
}

/* The culprit's partner: the shortest prefix of accepted it fails with
 * (hi of them; none when it fails alone). */
static void partner_step(struct build *b)
{
    struct build_load *ld = b->load;
    if (ld->lo < ld->hi) {
        try_list(b, ld->accepted, ld->lo + (ld->hi - ld->lo) / 2, ld->culprit, narrowed);
        return;
    }
    leave_out_package(b, ld->culprit, ld->hi ? ld->accepted[ld->hi - 1] : (size_t)-1, ld->hi_words);
    ld->culprit = (size_t)-1;
    try_list(b, ld->accepted, ld->naccepted + ld->npending, (size_t)-1, rest_tried);
}

/* The shortest failing prefix of pending is known once lo == hi: its last
 * package is the culprit; those before it load with the accepted ones. */
static void bisect_step(struct build *b)
{
    struct build_load *ld = b->load;
    if (ld->culprit != (size_t)-1) {
        partner_step(b);
        return;
    }
    if (ld->lo < ld->hi) {
        try_list(b, ld->accepted, ld->naccepted + ld->lo + (ld->hi - ld->lo) / 2, (size_t)-1,
                 narrowed);
        return;
    }
    /* pending follows accepted in one array: accepting a prefix is a move
     * of the boundary. */
    size_t *slot = ld->pending + ld->hi - 1;
    ld->culprit = *slot;
    memmove(slot, slot + 1, (ld->npending - ld->hi) * sizeof(*slot));
    ld->npending -= ld->hi;
    ld->naccepted += ld->hi - 1;
    ld->pending = ld->accepted + ld->naccepted;
    ld->lo = 0;
    ld->hi = ld->naccepted;
    partner_step(b);
}

/* accepted + every pending package: the library, unless it fails too. */
static void rest_tried(struct build *b, int ok, const char *words)
{
    struct build_load *ld = b->load;
    if (ok) {
        publish_try(b);
        return;
    }
    if (ld->npending == 0) { /* what loaded with the culprit fails without it */
        b->error = xprintf("NEURON cannot load the library: %s", words);
        build_finish(b);
        return;
    }
    ld->lo = 1;
    ld->hi = ld->npending;
    free(ld->hi_words);
    ld->hi_words = xstrdup(words);
    bisect_step(b);
}

/* Named by a global preference (gliactl select ... --pkg=P). */
static int preferred(const struct build *b, size_t p)
{
    return b->hooks.preferred && b->hooks.preferred(b->hooks.ud, b->pkgs[p]->name);
}

static void all_tried(struct build *b, int ok, const char *words)
{
    struct build_load *ld = b->load;
    if (ok) {
        publish_try(b);
        return;
    }
    log_warn("[%s] NEURON cannot load the library; finding the package responsible: %s",
             b->env_name, words);
    /* One array: accepted packages, then pending ones, in the order tried. */
    ld->accepted = xcalloc(b->npkgs + 1, sizeof(*ld->accepted));
    ld->pending = ld->accepted;
    for (int pass = 0; pass < 2; pass++)
        for (size_t p = 0; p < b->npkgs; p++)
            if (ld->pkg_objs[p] && preferred(b, p) == !pass)
                ld->pending[ld->npending++] = p;
    rest_tried(b, 0, words);
}

void build_load_start(struct build *b, char *const *pkg_objs)
{
    struct build_load *ld = xcalloc(1, sizeof(*ld));
    b->load = ld;
    ld->pkg_objs = (char **)pkg_objs;
    ld->culprit = (size_t)-1;
    ld->nrniv = find_nrniv(b->tc);
    if (!ld->nrniv)
        log_warn("[%s] no nrniv beside nocmodl nor on PATH: the library is published without "
                 "loading it first",
                 b->env_name);
    size_t *all = xcalloc(b->npkgs + 1, sizeof(*all));
    size_t n = 0;
    for (size_t p = 0; p < b->npkgs; p++)
        if (pkg_objs[p])
            all[n++] = p;
    try_list(b, all, n, (size_t)-1, all_tried);
    free(all);
}

/* ---- The nrnivmodl backend's library: loaded, or not published ---- */

static void verified(struct build *b, int ok, const char *words)
{
    if (!ok) {
        b->error = xprintf("NEURON cannot load the library nrnivmodl made, so it is not "
                           "published (the direct backend would leave out the package "
                           "responsible): %s",
                           words);
        build_finish(b);
        return;
    }
    build_publish(b);
}

void build_load_verify(struct build *b)
{
    struct build_load *ld = xcalloc(1, sizeof(*ld));
    b->load = ld;
    ld->culprit = (size_t)-1;
    ld->nrniv = find_nrniv(b->tc);
    ld->try_lib = xprintf("%s/libglia.so", b->link_dir);
    ld->try_done = verified;
    load_check(b);
}
