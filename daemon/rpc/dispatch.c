/*
 * dispatch: the table of methods, and the running of a call: at once when
 * it arrives, and again each time what it waited for happens.
 */
#include "gliad_defs.h"
#include "methods.h"
#include "server.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct method *const groups[] = {methods_info,  methods_index, methods_resolve,
                                              methods_build, methods_env,   methods_bundle};

static const struct method *find(const char *name)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (const struct method *m = groups[g]; m->name; m++)
            if (strcmp(m->name, name) == 0)
                return m;
    return NULL;
}

/* Runs (or re-runs) a call; frees it unless it parked itself. A request
 * with sync: true first waits until its env has seen every change made
 * before it was sent. */
static void run(struct call *c)
{
    if (c->step < CALL_SYNCED && proto_args_bool(&c->args, "sync", 0) && call_sync(c))
        return;
    if (c->method->fn(c) == CALL_WAIT)
        return;
    call_end(c);
}

/* A parked call runs again, and what it answered is sent. */
static void rerun(struct call *c)
{
    call_flushed(c, run);
}

/* Answers a request that never became a call (a notification gets nothing)
 * and frees it. */
static void refuse(struct conn *conn, struct proto_msg *m, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(struct conn *conn, struct proto_msg *m, const char *code, const char *fmt, ...)
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
    c->resume = rerun;
    proto_args_init(&c->args, &c->msg);
    if (g->stopping) {
        call_error(c, PROTO_E_SHUTTING_DOWN, "gliad is shutting down");
        call_free(c);
        return;
    }
    run(c);
}
