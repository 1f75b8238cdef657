/*
 * server: the listening Unix socket and the client connections.
 *
 * Each connection reads into its own proto_reader and answers into its own
 * output buffer, flushed once per read, so many requests that arrive
 * together cost one write. A client that stops reading only grows its own
 * buffer: past a bound gliad stops reading its requests, and drops it when
 * it does not catch up; nobody else waits for it. Clients past what the open
 * files limit leaves for gliad's own work are turned away as busy.
 */
#ifndef GLIA_SERVER_H
#define GLIA_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

/* Notification topics; a client subscribes to a set of them. */
#define TOPIC_BUILD 1u /* build.started, build.progress, build.finished */
#define TOPIC_PREFS 2u /* prefs.changed */
#define TOPIC_INDEX 4u /* index.changed */

struct gliad;
struct server;
struct conn;
struct proto_msg;
struct build_note;

/* Takes ownership of a decoded request or notification (dispatch.c's). */
typedef void (*server_dispatch_fn)(struct gliad *g, struct conn *conn, struct proto_msg *m);

/*
 * Listens on `path`, creating its directory 0700 and the socket 0600. A
 * socket left by a dead daemon is replaced; a live one is refused with a
 * message naming the process that holds it. fd >= 0: use that listening
 * socket instead (socket activation). Returns 0 or -1 with err.
 */
int server_start(struct gliad *g, server_dispatch_fn dispatch, const char *path, int fd, char *err,
                 size_t errlen);

/* Stops accepting and removes the socket file (if we made it). */
void server_stop_listening(struct server *s);
/* Closes every connection once its pending output is written. */
void server_close_all(struct server *s);
void server_free(struct server *s);
size_t server_nclients(const struct server *s);

/* ---- Used by methods ---- */

/* The packer writing into c's output buffer. */
msgpack_packer *conn_packer(struct conn *c);
/* Writes out whatever is buffered (called after each batch of requests). */
void conn_flush(struct conn *c);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* A call holds its connection from dispatch to answer. Calls that wait (a
 * sync, a library wait) hold memory meanwhile, so one connection may have at
 * most CONN_MAX_CALLS in flight: begin returns -1 past that, having taken
 * nothing. */
#define CONN_MAX_CALLS 1024
int conn_call_begin(struct conn *c);
void conn_call_end(struct conn *c);
int conn_closed(const struct conn *c);
/* Which notifications the client asked for (a bit per topic). */
unsigned conn_subscriptions(const struct conn *c);
void conn_subscribe(struct conn *c, unsigned topics);
/* Process id and uid of the peer, from SO_PEERCRED. */
int conn_peer_pid(const struct conn *c);

/* Calls fn for every open connection subscribed to any of `topics`; fn
 * packs one notification with conn_packer, and it is flushed. */
void server_notify(struct server *s, unsigned topics, void (*fn)(void *ud, struct conn *c),
                   void *ud);

/* The common case: [2, method, [{env, version}]] to subscribers of topic. */
void server_notify_change(struct server *s, unsigned topic, const char *method, const char *env,
                          int64_t version);
/* A build's note (build.started, build.progress, build.finished). */
void server_notify_build(struct server *s, const struct build_note *n);

#endif
