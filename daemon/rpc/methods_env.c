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

/* A new registration: the environment gliad serves for these dirs already
 * (envid.h's SAME), or a new one. *joined: it was another's. NULL when
 * refused (the error is set). */
static struct env *register_new(struct call *c, const char *name, const char **site, size_t n,
                                int *joined, int *created)
{
    struct env_id py;
    env_id_init(&py, name, (char *const *)site, n);
    struct env *overlap, *e = env_find_same(c->g, &py, &overlap);
    struct env *named = env_find(c->g, name);
    if (named && named != e)
        env_alias_drop(named, name); /* a Python that is no longer what it joined */
    if (e) {
        env_alias_add(e, name);
        *joined = 1;
    } else if (named && strcmp(named->name, name) == 0) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "environment '%s' is defined in gliad's config with other dirs", name);
    } else if (overlap && !c->g->cfg.allow_overlap) {
        refuse_overlap(c, name, &py, overlap);
    } else if (store_env_put(c->g->store, name, (char *const *)site, n) < 0) {
        call_error(c, PROTO_E_INTERNAL, "could not store the environment: %s",
                   store_error(c->g->store));
    } else {
        e = env_new(c->g, name, (char *const *)site, n);
        e->registered = 1;
        env_add(c->g, e);
        env_scan(e);
        *created = 1;
        log_info("[%s] registered with %zu site-packages dir%s", name, n, n == 1 ? "" : "s");
    }
    env_id_free(&py);
    return e;
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
    struct env *e = env_find(c->g, name);
    int created = 0, changed = 0, joined = 0;
    if (e && e->registered && strcmp(e->name, name) == 0) {
        /* The same Python again: its dirs may have grown (a first
         * `pip install --user`). */
        if (!same_dirs(e, site, n)) {
            if (store_env_put(c->g->store, name, (char *const *)site, n) < 0) {
                call_error(c, PROTO_E_INTERNAL, "could not store the environment: %s",
                           store_error(c->g->store));
                return CALL_DONE;
            }
            env_set_site(e, (char *const *)site, n);
            changed = 1;
            log_info("[%s] updated with %zu site-packages dir%s", name, n, n == 1 ? "" : "s");
        }
    } else if (!(e = register_new(c, name, site, n, &joined, &created))) {
        return CALL_DONE;
    }
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", e->name);
    proto_pack_kbool(pk, "created", created);
    proto_pack_kbool(pk, "changed", changed);
    proto_pack_kbool(pk, "joined", joined && strcmp(e->name, name) != 0);
    proto_map_close(pk, map);
    return CALL_DONE;
}

/* env.forget {name}: the reverse, for registered environments only. */
static enum call_state m_forget(struct call *c)
{
    const char *name = proto_args_str(&c->args, "name", 1);
    if (call_bad_args(c))
        return CALL_DONE;
    struct env *e = env_find(c->g, name);
    if (!e) {
        call_error(c, PROTO_E_UNKNOWN_ENV, "no environment named '%s'", name);
        return CALL_DONE;
    }
    /* A Python that joined e: forgetting it leaves e to the others. */
    int joined = strcmp(e->name, name) != 0;
    if (!joined && !e->registered) {
        call_error(c, PROTO_E_BAD_REQUEST,
                   "environment '%s' comes from gliad's config; remove it there", name);
        return CALL_DONE;
    }
    if (store_env_del(c->g->store, name) < 0) {
        call_error(c, PROTO_E_INTERNAL, "could not forget the environment: %s",
                   store_error(c->g->store));
        return CALL_DONE;
    }
    if (joined) {
        log_info("[%s] %s forgotten", e->name, name);
        env_alias_drop(e, name);
    } else {
        log_info("[%s] forgotten", name);
        env_remove(c->g, e);
    }
    msgpack_packer *pk = call_result(c);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "name", name);
    proto_map_close(pk, map);
    return CALL_DONE;
}

const struct method methods_env[] = {
    {"sync", m_sync},
    {"env.register", m_register},
    {"env.forget", m_forget},
    {NULL, NULL},
};
