/*
 * proto client: a blocking msgpack-RPC connection to gliad, for gliactl and
 * the benchmarks. One request in flight at a time; notifications that arrive
 * while waiting for a response are handed to a callback.
 */
#ifndef GLIA_PROTO_CLIENT_H
#define GLIA_PROTO_CLIENT_H

#include "proto.h"

struct proto_client {
    int fd;
    uint32_t next_id;
    struct proto_reader reader;
    msgpack_sbuffer out;
    msgpack_packer pk; /* packs into `out` */
    int params_open;   /* a request's params map is being packed */
    size_t params;     /* ... from here (proto_map_open's mark) */
};

/* The socket path by the contract: $GLIA_SOCKET, else
 * $XDG_RUNTIME_DIR/glia/gliad.sock, else /tmp/glia-<uid>/gliad.sock.
 * Writes into buf; returns buf, or NULL when it does not fit. */
const char *proto_default_socket(char *buf, size_t len);

/* Connects, and sends nothing to a socket another user could be serving
 * (proto_trust_*). Returns 0, or -1 with err saying why (errno kept; EPERM
 * when the socket is not to be trusted). */
int proto_client_connect(struct proto_client *c, const char *path, char *err, size_t errlen);

/* The directory holding the socket at `path` (symlinks resolved) must be
 * this user's and writable by no one else. Returns 0 (also when neither
 * socket nor directory exists yet), or -1 with err and errno EPERM. */
int proto_trust_socket_dir(const char *path, char *err, size_t errlen);

/* The process listening at the other end of the connected `fd` must run as
 * this user. Returns 0, or -1 with err (errno EPERM when it does not). */
int proto_trust_peer(int fd, const char *path, char *err, size_t errlen);
void proto_client_close(struct proto_client *c);

/* Starts a request; when with_params, its params map is opened and the
 * caller packs the map's keys and values into c->pk (the count is written
 * when the request is sent, or the next one begun). Returns the msgid. */
uint32_t proto_client_begin(struct proto_client *c, const char *method, int with_params);

/* A reply whose first bytes came and then nothing more for this long is
 * given up (the wait for a reply's first byte has no limit). */
#define PROTO_CLIENT_STALL_MS 30000

typedef void (*proto_notify_fn)(void *ud, struct proto_msg *note);

/*
 * Sends the request begun with proto_client_begin and waits for its
 * response, which is decoded into *resp (free with proto_msg_free). Returns
 * 0, or -1 with err set when the connection failed (the daemon went away,
 * sent something unreadable, or stalled in the middle of a message); a
 * response carrying an error is still 0. When gliad hangs up after its
 * closing `error` notification (a request too large...), that error comes
 * back as the response's: resp->error is the notification's {code, message}.
 */
int proto_client_call(struct proto_client *c, struct proto_msg *resp, proto_notify_fn on_note,
                      void *ud, char *err, size_t errlen);

/* Sends whatever is packed in c->out without waiting (for pipelining). */
int proto_client_flush(struct proto_client *c, char *err, size_t errlen);

/* Reads the next message of any kind. Returns 0 or -1 with err (also after
 * PROTO_CLIENT_STALL_MS without a byte in the middle of a message). */
int proto_client_read(struct proto_client *c, struct proto_msg *m, char *err, size_t errlen);

#endif
