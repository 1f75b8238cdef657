/*
 * Unit tests for the store's typed rows (what is recorded is what is read
 * back, field by field) and its writer thread (writes in order, off the
 * loop thread, completions on the loop, the loop kept alive until the last).
 */
#include "store.h"
#include "store_writer.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static char state_dir[] = "/tmp/glia-test-store-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(state_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_store(void)
{
    char err[512] = "";
    struct store *s = store_open(state_dir, err, sizeof(err));
    if (!s)
        fail_msg("%s", err);
    return s;
}

/* ---- typed rows ---- */

static const struct store_gen_mod mods[] = {
    {"glia__p__Kv1__0", "SUFFIX", "p", "Kv1", "0", "/site/p/mods/Kv1__0.mod", "aa11"},
    {"glia__p__Syn__fast", "POINT_PROCESS", "p", "Syn", "fast", "/site/p/mods/Syn__fast.mod",
     "bb22"},
};
static const struct store_gen_failure fails[] = {
    {"glia__p__Na__0", "p", "Na", "0", "/site/p/mods/Na__0.mod", 14,
     "Na__0.mod:14: nocmodl: syntax error", "line one\nline two\tand a tab"},
};

struct seen {
    struct store_gen_mod mods[4];
    struct store_gen_failure fails[4];
    size_t nmods, nfails;
};

static const char *copy(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_mod(void *ud, const struct store_gen_mod *m)
{
    struct seen *s = ud;
    s->mods[s->nmods++] =
        (struct store_gen_mod){copy(m->full),    copy(m->kind), copy(m->pkg),   copy(m->asset),
                               copy(m->variant), copy(m->path), copy(m->objkey)};
}

static void on_failure(void *ud, const struct store_gen_failure *f)
{
    struct seen *s = ud;
    s->fails[s->nfails++] =
        (struct store_gen_failure){copy(f->full), copy(f->pkg), copy(f->asset),   copy(f->variant),
                                   copy(f->path), f->line,      copy(f->summary), copy(f->detail)};
}

static void assert_mod(const struct store_gen_mod *a, const struct store_gen_mod *b)
{
    assert_string_equal(a->full, b->full);
    assert_string_equal(a->kind, b->kind);
    assert_string_equal(a->pkg, b->pkg);
    assert_string_equal(a->asset, b->asset);
    assert_string_equal(a->variant, b->variant);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->objkey, b->objkey);
}

static void free_seen(struct seen *s)
{
    for (size_t i = 0; i < s->nmods; i++) {
        const char *const *f = &s->mods[i].full;
        for (size_t k = 0; k < 7; k++)
            free((void *)f[k]);
    }
    for (size_t i = 0; i < s->nfails; i++) {
        struct store_gen_failure *f = &s->fails[i];
        free((void *)f->full), free((void *)f->pkg), free((void *)f->asset);
        free((void *)f->variant), free((void *)f->path), free((void *)f->summary);
        free((void *)f->detail);
    }
}

static void a_generation_reads_back_field_by_field(void **state)
{
    (void)state;
    struct store *s = open_store();
    struct store_generation g = {.env = "e1",
                                 .libkey = "libkey1",
                                 .path = "/c/lib.so",
                                 .manifest = "/c/m.json",
                                 .mods = mods,
                                 .nmods = 2,
                                 .fails = fails,
                                 .nfails = 1};
    int64_t gen = store_generation_add(s, &g);
    assert_true(gen > 0);
    struct seen seen = {0};
    assert_int_equal(store_generation_mods(s, "e1", gen, on_mod, &seen), 0);
    assert_int_equal(store_generation_failures(s, "e1", gen, on_failure, &seen), 0);
    assert_int_equal(seen.nmods, 2);
    assert_mod(&seen.mods[0], &mods[0]); /* in the order recorded */
    assert_mod(&seen.mods[1], &mods[1]);
    assert_int_equal(seen.nfails, 1);
    const struct store_gen_failure *f = &seen.fails[0];
    assert_string_equal(f->full, fails[0].full);
    assert_string_equal(f->pkg, fails[0].pkg);
    assert_string_equal(f->asset, fails[0].asset);
    assert_string_equal(f->variant, fails[0].variant);
    assert_string_equal(f->path, fails[0].path);
    assert_int_equal(f->line, 14);
    assert_string_equal(f->summary, fails[0].summary);
    assert_string_equal(f->detail, fails[0].detail);
    free_seen(&seen);
    store_close(s);
}

static void on_env(void *ud, const struct store_env *e)
{
    char *out = ud;
    strcat(out, e->name);
    strcat(out, "=");
    strcat(out, e->site);
    strcat(out, ";");
}

static void a_registered_env_reads_back(void **state)
{
    (void)state;
    struct store *s = open_store();
    char *site[] = {"/a/site-packages", "/b/site-packages"};
    assert_int_equal(store_env_put(s, "py", site, 2), 0);
    char out[256] = "";
    assert_int_equal(store_envs_load(s, on_env, out), 0);
    assert_string_equal(out, "py=/a/site-packages\n/b/site-packages;");
    assert_int_equal(store_env_del(s, "py"), 0);
    store_close(s);
}

/* ---- the writer ---- */

struct writes {
    uv_thread_t loop_thread;
    int order[8], norder; /* written, by index */
    int completed[8], ncompleted;
    int off_loop; /* every write ran on another thread */
    const char *errs[8];
};

struct one {
    struct writes *w;
    int i, fail;
};

static int write_pref(struct store *s, void *ctx)
{
    struct one *o = ctx;
    uv_thread_t self = uv_thread_self();
    o->w->off_loop &= !uv_thread_equal(&self, &o->w->loop_thread);
    o->w->order[o->w->norder++] = o->i; /* the writer's: one thread, no race */
    if (o->fail)
        return -1;
    char asset[16];
    snprintf(asset, sizeof(asset), "A%d", o->i);
    return store_pref_set(s, asset, "pkg", NULL);
}

static void written(void *ctx, int rc, const char *err)
{
    struct one *o = ctx;
    uv_thread_t self = uv_thread_self();
    assert_true(uv_thread_equal(&self, &o->w->loop_thread));
    assert_int_equal(rc, o->fail ? -1 : 0);
    o->w->errs[o->i] = err ? strdup(err) : NULL;
    o->w->completed[o->w->ncompleted++] = o->i;
    free(o);
}

static void count_pref(void *ud, const char *asset, const char *pkg, const char *variant)
{
    (void)asset, (void)pkg, (void)variant;
    ++*(int *)ud;
}

static void writes_run_in_order_off_the_loop(void **state)
{
    (void)state;
    struct store *s = open_store(); /* creates the schema, as gliad's start does */
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[512] = "";
    struct store_writer *wr = store_writer_start(&loop, state_dir, err, sizeof(err));
    assert_non_null(wr);
    struct writes w = {.loop_thread = uv_thread_self(), .off_loop = 1};
    for (int i = 0; i < 8; i++) {
        struct one *o = malloc(sizeof(*o));
        *o = (struct one){&w, i, i == 5};
        store_writer_submit(wr, write_pref, written, o);
    }
    assert_int_equal(store_writer_pending(wr), 8);
    /* The pending writes keep the loop alive until the last completes. */
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(store_writer_pending(wr), 0);
    assert_int_equal(w.norder, 8);
    assert_int_equal(w.ncompleted, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(w.order[i], i);
        assert_int_equal(w.completed[i], i);
        if (i == 5)
            assert_non_null(w.errs[i]); /* the store's words come with a failure */
        else
            assert_null(w.errs[i]);
        free((void *)w.errs[i]);
    }
    assert_true(w.off_loop);
    /* Durable and visible to the loop's own connection once completed. */
    int n = 0;
    assert_int_equal(store_prefs_load(s, count_pref, &n), 0);
    assert_int_equal(n, 7);
    store_writer_stop(wr);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the handle closes */
    assert_int_equal(uv_loop_close(&loop), 0);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_generation_reads_back_field_by_field),
        cmocka_unit_test(a_registered_env_reads_back),
        cmocka_unit_test(writes_run_in_order_off_the_loop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
