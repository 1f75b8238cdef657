/*
 * methods: the life of one request (a call), for the method groups.
 *
 * A method either answers at once or parks its call (waiting for an index,
 * a build, a sync cookie) and is run again, from the start, when what it
 * waited for happens; methods therefore read state, and remember only
 * which named step of theirs they passed (call->step). The waits are the
 * domain's (env_waiter, sync_cookie), embedded in the call; the table of
 * methods and the running of calls are dispatch.c's.
 */
#ifndef GLIA_METHODS_H
#define GLIA_METHODS_H

#include <msgpack.h>

#include "env.h"
#include "proto.h"
#include "sync.h"

struct gliad;
struct conn;

/* What a method did with its call, as tmux's CMD_RETURN_*:
 *   CALL_DONE  answered: with a result (call_result), or with an error
 *              (call_error, the one way a method says no: a stable code and
 *              a message a person can act on). The call is then freed.
 *   CALL_WAIT  not answered yet: parked on what it waits for (an env_waiter
 *              or a sync_cookie in it), and run again from the start. */
enum call_state { CALL_DONE, CALL_WAIT };

/* Where a call that waits is; the steps only ever go forward. */
enum call_step {
    CALL_FRESH,
    CALL_COOKIE_SEEN, /* sync: the cookie's event is in; the index is next */
    CALL_SYNCED,      /* sync: the index covers every change before the call */
    CALL_RESCANNED,   /* rescan: parked for a scan of its own once */
};

struct call {
    struct gliad *g;
    struct conn *conn; /* holds a reference */
    struct proto_msg msg;
    struct proto_args args;
    const struct method *method;
    enum call_step step;
    struct env_waiter wait;         /* while parked on an env */
    struct sync_cookie cookie;      /* while its sync cookie is out */
    void (*resume)(struct call *c); /* dispatch.c's: runs it again */
    int replied;
    size_t error_map; /* the error map call_error_begin opened */
};

typedef enum call_state (*method_fn)(struct call *c);

struct method {
    const char *name;
    method_fn fn;
};

/* Takes ownership of m (a decoded request or notification) and runs it
 * (dispatch.c). */
void methods_dispatch(struct gliad *g, struct conn *conn, struct proto_msg *m);

/* Frees a call that is answered. */
void call_free(struct call *c);
/* A call is through: frees it, answering for a method that gave none. */
void call_end(struct call *c);
/* step(c) outside the server's read path, which flushes nothing for it:
 * what it answered is sent, and the connection outlives the call's end. */
void call_flushed(struct call *c, void (*step)(struct call *c));

/* ---- Waiting: each returns 1 when c is parked (return CALL_WAIT), 0
 * when it may go on at once ---- */

/* Until e has an index. */
int call_wait_index(struct call *c, struct env *e);
/* Until a scan that starts now is published. */
void call_wait_rescan(struct call *c, struct env *e);
/* Until e is settled (nothing scans or builds). */
void call_wait_settled(struct call *c, struct env *e);
/* Until c's env has seen every change made before c (sync.h). */
int call_sync(struct call *c);
/* Ends a call whose method returned CALL_WAIT to finish it from a
 * completion of its own (a store write), once that has answered it: sends
 * the answer and frees the call. */
void call_complete(struct call *c);

/* ---- Answering ---- */

/* Packs the response header; the method then packs exactly one result
 * (its maps opened and closed with proto_map_open/close, which count). */
msgpack_packer *call_result(struct call *c);
/* The error answer: code is one of proto.h's PROTO_E_*; the message says
 * what was asked, what is wrong and what to do about it. */
void call_error(struct call *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* call_error with more key/value pairs in the error, packed by the caller
 * between begin and end (their count is not the caller's to keep). */
msgpack_packer *call_error_begin(struct call *c, const char *code, const char *message);
void call_error_end(struct call *c);
/* Answers bad_request with the first argument problem, if any. Returns 1
 * when it answered. */
int call_bad_args(struct call *c);

/* The env the call names ("env" parameter; the default one when absent).
 * NULL after answering unknown_env or bad_request. */
struct env *call_env(struct call *c);

/* f's summary and detail (malloc'd) naming f's own file, not that of
 * another env's copy the failure was first met in (objects and failures
 * are shared by content). methods_build.c; resolve's build_failed uses it. */
struct build_failure;
void build_failure_words(const struct build_failure *f, char **summary, char **detail);
/* The failure of a mod the parser rejected, as a build's: its fields point
 * into m, summary and detail are malloc'd ("<path>:<line>: <reason>"). */
struct index_mod;
struct build_failure build_failure_rejected(const struct index_mod *m);

/* A mod's PARAMETER block as [{name, value, units}] under key
 * (methods_resolve.c: asset's `params`, bundle's `parameters`). */
struct modfile_info;
void pack_mod_params(msgpack_packer *pk, const char *key, const struct modfile_info *in);

/* The global preferences as {ASSET: {pkg, variant}} under key
 * (methods_resolve.c: prefs' `assets`, bundle's `prefs`). */
void pack_global_prefs(msgpack_packer *pk, const char *key, const struct gliad *g);

/* The method groups, each in its own file. */
extern const struct method methods_info[];    /* methods_info.c: hello, status, envs */
extern const struct method methods_index[];   /* methods_index.c: packages, assets, ... */
extern const struct method methods_resolve[]; /* methods_resolve.c: resolve, select, ... */
extern const struct method methods_build[];   /* methods_build.c: library, build, log, ... */
extern const struct method methods_env[];     /* methods_env.c: sync, env.register, ... */
extern const struct method methods_bundle[];  /* methods_bundle.c: bundle */

#endif
