/*
 * methods: the life of a call: waiting, answering (see methods.h).
 */
#include "methods.h"
#include "env.h"
#include "gliad_defs.h"
#include "log.h"
#include "server.h"
#include "sync.h"
#include "util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void call_free(struct call *c)
{
    proto_msg_free(&c->msg);
    conn_call_end(c->conn);
    free(c);
}

/* A call is through: frees it, answering for a method that gave none. */
void call_end(struct call *c)
{
    if (!c->replied && c->msg.type == PROTO_REQUEST)
        call_error(c, PROTO_E_INTERNAL, "method %s gave no answer", c->method->name);
    call_free(c);
}

void call_flushed(struct call *c, void (*step)(struct call *c))
{
    struct conn *conn = c->conn;
    conn_ref(conn);
    step(c);
    conn_flush(conn);
    conn_unref(conn);
}

void call_complete(struct call *c)
{
    call_flushed(c, call_end);
}

/* ---- Waiting ---------------------------------------------------------- */

/* Answers a parked call that will never run again, and frees it. */
static void call_fail(struct call *c, const char *code, const char *message)
{
    call_error(c, code, "%s", message);
    call_flushed(c, call_free);
}

static void waited(struct env_waiter *w, enum env_wait_end end)
{
    struct call *c = (struct call *)((char *)w - offsetof(struct call, wait));
    if (end == ENV_WAIT_OK)
        c->resume(c);
    else if (end == ENV_WAIT_GONE)
        call_fail(c, PROTO_E_UNKNOWN_ENV, "the environment was removed");
    else
        call_fail(c, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
}

static struct env_waiter *waiter(struct call *c)
{
    c->wait = (struct env_waiter){.fn = waited};
    return &c->wait;
}

int call_wait_index(struct call *c, struct env *e)
{
    return env_wait_index(e, waiter(c));
}

void call_wait_rescan(struct call *c, struct env *e)
{
    env_wait_rescan(e, waiter(c));
}

void call_wait_settled(struct call *c, struct env *e)
{
    env_wait_settled(e, waiter(c));
}

/* After the cookie: scan what is pending now; park until it is published. */
static int cover(struct call *c)
{
    c->step = CALL_SYNCED;
    struct env *e = env_find(c->g, proto_args_str(&c->args, "env", 0));
    if (!e)
        return 0; /* the method answers unknown_env */
    /* Without events to go by (no cookie watch, or the env's dirs are polled)
     * only a rescan can tell what changed. */
    if (!sync_usable(c->g->sync) || e->watcher.fallback)
        watch_dirty_all(e);
    return env_wait_covered(e, waiter(c));
}

static void cookie_seen(struct sync_cookie *k, int ok)
{
    struct call *c = (struct call *)((char *)k - offsetof(struct call, cookie));
    if (!ok) {
        call_fail(c, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
        return;
    }
    c->step = CALL_COOKIE_SEEN;
    c->resume(c);
}

int call_sync(struct call *c)
{
    if (c->step >= CALL_SYNCED)
        return 0;
    if (c->step == CALL_COOKIE_SEEN || !sync_usable(c->g->sync) ||
        sync_cookie(c->g->sync, &c->cookie, cookie_seen) < 0)
        return cover(c);
    return 1;
}

/* ---- Answering -------------------------------------------------------- */

/* Where the call's answer is packed. Notifications get no answer: theirs
 * goes into a scratch buffer nobody reads. */
static msgpack_packer *answer_packer(struct call *c)
{
    static msgpack_sbuffer sink; /* loop thread only */
    static msgpack_packer sinkpk;
    if (c->msg.type == PROTO_REQUEST)
        return conn_packer(c->conn);
    if (!sinkpk.data)
        msgpack_packer_init(&sinkpk, &sink, msgpack_sbuffer_write);
    return &sinkpk;
}

/* The packer for a new answer (the scratch buffer emptied first). */
static msgpack_packer *reply_packer(struct call *c)
{
    c->replied = 1;
    msgpack_packer *pk = answer_packer(c);
    if (c->msg.type != PROTO_REQUEST)
        msgpack_sbuffer_clear(pk->data);
    return pk;
}

msgpack_packer *call_result(struct call *c)
{
    msgpack_packer *pk = reply_packer(c);
    proto_pack_result_header(pk, c->msg.msgid);
    return pk;
}

msgpack_packer *call_error_begin(struct call *c, const char *code, const char *message)
{
    msgpack_packer *pk = reply_packer(c);
    c->error_map = proto_pack_error_begin(pk, c->msg.msgid, code, message);
    return pk;
}

void call_error_end(struct call *c)
{
    proto_pack_error_end(answer_packer(c), c->error_map);
}

void call_error(struct call *c, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    call_error_begin(c, code, msg);
    call_error_end(c);
}

int call_bad_args(struct call *c)
{
    if (proto_args_ok(&c->args))
        return 0;
    call_error(c, PROTO_E_BAD_REQUEST, "%s: %s", c->method->name, c->args.err);
    return 1;
}

struct env *call_env(struct call *c)
{
    const char *name = proto_args_str(&c->args, "env", 0);
    if (call_bad_args(c))
        return NULL;
    struct env *e = env_find(c->g, name);
    if (e)
        return e;
    char known[512];
    size_t off = 0;
    known[0] = '\0';
    for (size_t i = 0; i < c->g->nenvs && off < sizeof(known); i++)
        off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s", i ? ", " : "",
                                c->g->envs[i]->name);
    call_error(c, PROTO_E_UNKNOWN_ENV, "no environment named '%s' (known: %s)",
               name ? name : CONFIG_DEFAULT_ENV, c->g->nenvs ? known : "none");
    return NULL;
}
