/*
 * methods_env: sync, env.register, env.forget — keeping gliad's view of
 * the environments in step with the disk and with the clients' Pythons.
 */
#include "env.h"
#include "gliad_defs.h"
#include "index.h"
#include "log.h"
#include "methods.h"
#include "store.h"
#include "store_writer.h"
#include "sync.h"
#include "util.h"

#include <string.h>

/* sync {env}: answers once every change made on disk before the request is
 * in the env's index (see sync.h). */
static enum call_state m_sync(struct call *c)
{
    struct env *e = call_env(c);
    if (!e)
        return CALL_DONE;
    if (call_sync(c))
        return CALL_WAIT;
    if (call_wait_index(c, e))
        return CALL_WAIT;
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "env", e->name);
    proto_pack_kint(pk, "index_version", (int64_t)e->version);
    proto_pack_kint(pk, "scans", (int64_t)e->scans);
    proto_map_close(pk, map);
    return CALL_DONE;
}

static int same_dirs(const struct env *e, const char **site, size_t n)
{
    if (e->nsite != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(e->site[i], site[i]) != 0)
            return 0;
    return 1;
}

/* Dirs for a message, ':'-separated as in the config (malloc'd). */
static char *dirs_text(char *const *v, size_t n)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = xprintf("%s%s%s", s, i ? ":" : "", v[i]);
        free(s);
        s = t;
    }
    return s;
}

static void refuse_overlap(struct call *c, const char *name, const struct env_id *py,
                           const struct env *other)
{
    char *mine = dirs_text(py->id.own, py->id.nown);
    char *theirs = dirs_text(other->site, other->nsite);
    call_error(c, PROTO_E_ENV_OVERLAP,
               "the Python at %s installs into %s, and environment '%s' serves %s: they overlap "
               "only in part, so neither is the other; give '%s' exactly this Python's "
               "site-packages dirs, or set allow_overlap = yes in gliad's [daemon] config to "
               "serve both apart",
               name, mine, other->name, theirs, other->name);
    free(mine);
    free(theirs);
}

/* ---- One membership change at a time ----------------------------------
 *
 * env.register and env.forget decide on the environments gliad serves,
 * write the decision to the store (on the writer thread: store_writer.h),
 * and apply it to the loop's envs once it is durable, then answer. A second
 * call deciding while the first one's write is in flight would decide on
 * what is about to change (two registrations of one new Python would both
 * create it): so the calls take turns, in the order they came, and each
 * answers before the next decides. */

/* 1 when c waits for its turn (return CALL_WAIT). */
static int turn_wait(struct call *c)
{
    struct gliad *g = c->g;
    if (c->step == CALL_TURN || (!g->env_turns.writing && !g->env_turns.head))
        return 0;
    c->next_turn = NULL;
    if (g->env_turns.tail)
        g->env_turns.tail->next_turn = c;
    else
        g->env_turns.head = c;
    g->env_turns.tail = c;
    return 1;
}

/* A write is through: the calls that waited run, in order, until one
 * writes again. */
static void turn_pass(struct gliad *g)
{
    g->env_turns.writing = 0;
    while (!g->env_turns.writing && g->env_turns.head) {
        struct call *c = g->env_turns.head;
        if (!(g->env_turns.head = c->next_turn))
            g->env_turns.tail = NULL;
        c->step = CALL_TURN;
        if (g->stopping) { /* as dispatch refuses a call that comes now */
            call_error(c, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
            call_complete(c);
        } else {
            c->resume(c);
        }
    }
}

/* A membership change on its way to the store: the writer thread reads
 * name and site only. */
struct env_change {
    struct call *c;
    enum { CHANGE_CREATE, CHANGE_DIRS, CHANGE_FORGET } what;
    char *name;
    char **site;
    size_t n;
};

/* Writer thread. */
static int change_write(struct store *s, void *ctx)
{
    struct env_change *m = ctx;
    if (m->what == CHANGE_FORGET)
        return store_env_del(s, m->name);
    return store_env_put(s, m->name, m->site, m->n);
}

static void answer_register(struct call *c, const char *name, int created, int changed, int joined)
{
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", name);
    proto_pack_kbool(pk, "created", created);
    proto_pack_kbool(pk, "changed", changed);
    proto_pack_kbool(pk, "joined", joined);
    proto_map_close(pk, map);
}

static void answer_forget(struct call *c, const char *name)
{
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", name);
    proto_map_close(pk, map);
}

/* Loop: the change is durable; the envs follow it. No other membership
 * change ran since it was decided; a config reload (SIGHUP) may have, and
 * the config wins over a registration, as it does at startup. A gliad
 * that stops meanwhile starts nothing: the next one reads the store. */
static void change_apply(struct gliad *g, struct env_change *m)
{
    if (g->stopping)
        return;
    const char *name = m->name;
    size_t n = m->n;
    struct env *e = env_find(g, name);
    int own = e && strcmp(e->name, name) == 0;
    if (m->what == CHANGE_CREATE && !e) {
        e = env_new(g, name, m->site, n);
        e->registered = 1;
        env_add(g, e);
        env_scan(e);
        log_info("[%s] registered with %zu site-packages dir%s", name, n, n == 1 ? "" : "s");
    } else if (m->what == CHANGE_DIRS && own && e->registered) {
        env_set_site(e, m->site, n);
        log_info("[%s] updated with %zu site-packages dir%s", name, n, n == 1 ? "" : "s");
    } else if (m->what == CHANGE_FORGET && e && !own) {
        log_info("[%s] %s forgotten", e->name, name);
        env_alias_drop(e, name);
    } else if (m->what == CHANGE_FORGET && own && e->registered) {
        log_info("[%s] forgotten", name);
        env_remove(g, e);
    }
}

static void change_written(void *ctx, int rc, const char *err)
{
    struct env_change *m = ctx;
    struct call *c = m->c;
    struct gliad *g = c->g;
    if (rc < 0) {
        call_error(c, PROTO_E_INTERNAL, "could not %s the environment: %s",
                   m->what == CHANGE_FORGET ? "forget" : "store", err);
    } else {
        change_apply(g, m);
        if (m->what == CHANGE_FORGET)
            answer_forget(c, m->name);
        else
            answer_register(c, m->name, m->what == CHANGE_CREATE, m->what == CHANGE_DIRS, 0);
    }
    free(m->name);
    strv_free(m->site, m->n);
    free(m);
    call_complete(c);
    turn_pass(g);
}

/* Writes the change and parks c until it is durable. */
static enum call_state change(struct call *c, int what, const char *name, const char **site,
                              size_t n)
{
    struct env_change *m = xcalloc(1, sizeof(*m));
    *m = (struct env_change){c, what, xstrdup(name), NULL, n};
    if (n) {
        m->site = xcalloc(n, sizeof(*m->site));
        for (size_t i = 0; i < n; i++)
            m->site[i] = xstrdup(site[i]);
    }
    c->g->env_turns.writing = 1;
    store_writer_submit(c->g->writer, change_write, change_written, m);
    return CALL_WAIT;
}

/* A new registration: the environment gliad serves for these dirs already
 * (envid.h's SAME), joined at once, or a new one, stored first. */
static enum call_state register_new(struct call *c, const char *name, const char **site, size_t n)
{
    struct env_id py;
    env_id_init(&py, name, (char *const *)site, n);
    struct env *overlap, *e = env_find_same(c->g, &py, &overlap);
    struct env *named = env_find(c->g, name);
    enum call_state st = CALL_DONE;
    if (named && named != e)
        env_alias_drop(named, name); /* a Python that is no longer what it joined */
    if (e) {
        env_alias_add(e, name);
        answer_register(c, e->name, 0, 0, strcmp(e->name, name) != 0);
    } else if (named && strcmp(named->name, name) == 0) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "environment '%s' is defined in gliad's config with other dirs", name);
    } else if (overlap && !c->g->cfg.allow_overlap) {
        refuse_overlap(c, name, &py, overlap);
    } else {
        st = change(c, CHANGE_CREATE, name, site, n);
    }
    env_id_free(&py);
    return st;
}

/* env.register {name, site_packages}: the environment a client runs in
 * (the glia module sends sys.prefix and its site dirs). One gliad serves
 * already is answered by its name; a new one is stored, watched, and
 * restored after a restart. */
static enum call_state m_register(struct call *c)
{
    const char *name = proto_args_str(&c->args, "name", 1);
    size_t n;
    const char **site = proto_args_strv(&c->args, "site_packages", &n);
    if (call_bad_args(c))
        return CALL_DONE;
    if (!*name || n == 0 || n > 64) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "env.register needs a name and 1 to 64 site_packages dirs");
        return CALL_DONE;
    }
    /* The store keeps the dirs one per line. */
    for (size_t i = 0; i < n; i++)
        if (site[i][0] != '/' || strchr(site[i], '\n')) {
            call_error(c, PROTO_E_BAD_REQUEST,
                       "site_packages must be absolute paths without newlines, not '%s'", site[i]);
            return CALL_DONE;
        }
    if (turn_wait(c))
        return CALL_WAIT;
    struct env *e = env_find(c->g, name);
    if (!(e && e->registered && strcmp(e->name, name) == 0))
        return register_new(c, name, site, n);
    /* The same Python again: its dirs may have grown (a first
     * `pip install --user`). */
    if (!same_dirs(e, site, n))
        return change(c, CHANGE_DIRS, name, site, n);
    answer_register(c, e->name, 0, 0, 0);
    return CALL_DONE;
}

/* env.forget {name}: the reverse, for registered environments only. */
static enum call_state m_forget(struct call *c)
{
    const char *name = proto_args_str(&c->args, "name", 1);
    if (call_bad_args(c))
        return CALL_DONE;
    if (turn_wait(c))
        return CALL_WAIT;
    struct env *e = env_find(c->g, name);
    if (!e) {
        call_error(c, PROTO_E_UNKNOWN_ENV, "no environment named '%s'", name);
        return CALL_DONE;
    }
    /* A Python that joined e: forgetting it leaves e to the others. */
    if (strcmp(e->name, name) == 0 && !e->registered) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "environment '%s' comes from gliad's config; remove it there", name);
        return CALL_DONE;
    }
    return change(c, CHANGE_FORGET, name, NULL, 0);
}

const struct method methods_env[] = {
    {"sync", m_sync},
    {"env.register", m_register},
    {"env.forget", m_forget},
    {NULL, NULL},
};
