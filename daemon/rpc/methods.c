/*
 * methods: dispatch and the life of a call (see methods.h).
 */
#include "methods.h"
#include "env.h"
#include "gliad.h"
#include "log.h"
#include "server.h"
#include "sync.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct method *const groups[] = {methods_info, methods_index, methods_resolve,
                                              methods_build, methods_env, methods_bundle};

static const struct method *find(const char *name)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (const struct method *m = groups[g]; m->name; m++)
            if (strcmp(m->name, name) == 0)
                return m;
    return NULL;
}

static void call_free(struct call *c)
{
    proto_msg_free(&c->msg);
    conn_call_end(c->conn);
    free(c);
}

/* A call is through: frees it, answering for a method that gave none. */
static void end(struct call *c)
{
    if (!c->replied && c->msg.type == PROTO_REQUEST)
        call_error(c, PROTO_E_INTERNAL, "method %s gave no answer", c->method->name);
    call_free(c);
}

/* Runs (or re-runs) a call; frees it unless it parked itself. A request
 * with sync: true first waits until its env has seen every change made
 * before it was sent. */
static void run(struct call *c)
{
    if (c->synced != 2 && proto_args_bool(&c->args, "sync", 0) && sync_gate(c))
        return;
    if (c->method->fn(c) == CALL_WAIT)
        return;
    end(c);
}

/* step(c) outside the server's read path, which flushes nothing for it:
 * what it answered is sent, and the connection outlives the call's end. */
static void flushed(struct call *c, void (*step)(struct call *c))
{
    struct conn *conn = c->conn;
    conn_ref(conn);
    step(c);
    conn_flush(conn);
    conn_unref(conn);
}

void call_complete(struct call *c)
{
    flushed(c, end);
}

/* Answers a request that never became a call (a notification gets nothing)
 * and frees it. */
static void refuse(struct conn *conn, struct proto_msg *m, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
static void refuse(struct conn *conn, struct proto_msg *m, const char *code, const char *fmt,
                   ...)
{
    if (m->type == PROTO_REQUEST) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        proto_pack_error(conn_packer(conn), m->msgid, code, msg);
    }
    proto_msg_free(m);
}

void methods_dispatch(struct gliad *g, struct conn *conn, struct proto_msg *m)
{
    const struct method *method = find(m->method);
    if (!method) {
        refuse(conn, m, PROTO_E_UNKNOWN_METHOD, "no method named '%.100s' (see PROTOCOL.md)",
               m->method);
        return;
    }
    /* A client pipelining faster than its calls finish; those in flight
     * are still answered. */
    if (conn_call_begin(conn) < 0) {
        refuse(conn, m, PROTO_E_BUSY,
               "this connection already has %d requests waiting for replies; "
               "wait for those before sending more",
               CONN_MAX_CALLS);
        return;
    }
    struct call *c = xcalloc(1, sizeof(*c));
    c->g = g;
    c->conn = conn;
    c->msg = *m; /* ownership moves to the call */
    c->method = method;
    proto_args_init(&c->args, &c->msg);
    if (g->stopping) {
        call_error(c, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
        call_free(c);
        return;
    }
    run(c);
}

void callq_push(struct callq *q, struct call *c)
{
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
}

void call_rerun(struct call *c)
{
    flushed(c, run);
}

void callq_wake(struct callq *q)
{
    /* Detach first: a call that parks again goes onto a fresh queue. */
    struct call *c = q->head;
    q->head = q->tail = NULL;
    while (c) {
        struct call *next = c->next;
        call_rerun(c);
        c = next;
    }
}

void callq_fail(struct callq *q, const char *code, const char *message)
{
    struct call *c = q->head;
    q->head = q->tail = NULL;
    while (c) {
        struct call *next = c->next;
        struct conn *conn = c->conn;
        conn_ref(conn);
        call_error(c, code, "%s", message);
        call_free(c);
        conn_flush(conn);
        conn_unref(conn);
        c = next;
    }
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
    struct env *e = gliad_env(c->g, name);
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
