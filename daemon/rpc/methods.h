/*
 * methods: the RPC method table and the life of one request (a call).
 *
 * A method either answers at once or parks its call (waiting for an index,
 * a build, a sync cookie) and is run again, from the start, when what it
 * waited for happens; methods therefore read state, never remember partial
 * progress in the call.
 */
#ifndef GLIA_METHODS_H
#define GLIA_METHODS_H

#include <msgpack.h>

#include "proto.h"

struct gliad;
struct conn;

/* What a method did with its call, as tmux's CMD_RETURN_*:
 *   CALL_DONE  answered: with a result (call_result), or with an error
 *              (call_error, the one way a method says no: a stable code and
 *              a message a person can act on). The call is then freed.
 *   CALL_WAIT  not answered yet: parked on the queue of what it waits for,
 *              which owns it until it is run again from the start. */
enum call_state { CALL_DONE, CALL_WAIT };

struct call {
    struct gliad *g;
    struct conn *conn; /* holds a reference */
    struct proto_msg msg;
    struct proto_args args;
    const struct method *method;
    struct call *next; /* in a wait queue */
    uint64_t wait_for; /* what a parked call waits for (e.g. a scan number) */
    int synced;        /* sync barrier: 0 not yet, 1 cookie seen, 2 index covers it */
    int rescanned;     /* rescan: parked for its own scan already */
    int retargets;     /* sync: times it waited for one more scan */
    int replied;
    size_t error_map; /* the error map call_error_begin opened */
};

typedef enum call_state (*method_fn)(struct call *c);

struct method {
    const char *name;
    method_fn fn;
};

/* A FIFO of parked calls. */
struct callq {
    struct call *head, *tail;
};

/* Takes ownership of m (a decoded request or notification) and runs it. */
void methods_dispatch(struct gliad *g, struct conn *conn, struct proto_msg *m);

void callq_push(struct callq *q, struct call *c);
/* Runs every parked call again (those that park again are re-queued). */
void callq_wake(struct callq *q);
/* Runs one parked call again and sends what it answered. */
void call_rerun(struct call *c);
/* Answers every parked call with an error and frees it (shutdown). */
void callq_fail(struct callq *q, const char *code, const char *message);
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
