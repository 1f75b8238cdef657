/*
 * Blocking client side of the protocol (see client.h).
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

const char *proto_default_socket(char *buf, size_t len)
{
    const char *s = getenv("GLIA_SOCKET");
    int n;
    if (s && *s)
        n = snprintf(buf, len, "%s", s);
    else if ((s = getenv("XDG_RUNTIME_DIR")) && *s)
        n = snprintf(buf, len, "%s/glia/gliad.sock", s);
    else
        n = snprintf(buf, len, "/tmp/glia-%u/gliad.sock", (unsigned)getuid());
    return n < 0 || (size_t)n >= len ? NULL : buf;
}

/* Closes a connection that failed; returns -1 with errno kept. */
static int drop_fd(struct proto_client *c)
{
    int e = errno;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    errno = e;
    return -1;
}

int proto_client_connect(struct proto_client *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->next_id = 1;
    proto_reader_init(&c->reader);
    c->reader.max = PROTO_MAX_REPLY; /* a log or a failure's detail can be long */
    msgpack_sbuffer_init(&c->out);
    msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long: %s", path);
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    if (proto_trust_socket_dir(path, err, errlen) < 0)
        return -1;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
        errno = e;
        return drop_fd(c);
    }
    if (proto_trust_peer(c->fd, path, err, errlen) < 0)
        return drop_fd(c);
    return 0;
}

void proto_client_close(struct proto_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    proto_reader_free(&c->reader);
    msgpack_sbuffer_destroy(&c->out);
}

/* The request packed last is whole: its params map closed. */
static void end_request(struct proto_client *c)
{
    if (c->params_open)
        proto_map_close(&c->pk, c->params);
    c->params_open = 0;
}

uint32_t proto_client_begin(struct proto_client *c, const char *method, int with_params)
{
    end_request(c);
    uint32_t id = c->next_id++;
    proto_pack_request(&c->pk, id, method, with_params);
    if (with_params) {
        c->params = proto_map_open(&c->pk);
        c->params_open = 1;
    }
    return id;
}

int proto_client_flush(struct proto_client *c, char *err, size_t errlen)
{
    end_request(c);
    size_t off = 0;
    while (off < c->out.size) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.size - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno; /* for the caller: EPIPE, ECONNRESET say gliad hung up */
            snprintf(err, errlen, "lost the connection to gliad: %s", strerror(e));
            errno = e;
            return -1;
        }
        off += (size_t)n;
    }
    msgpack_sbuffer_clear(&c->out);
    return 0;
}

/*
 * Waits until the socket has bytes to read. Between messages a client waits
 * as long as gliad takes (sync and library with wait answer only when
 * done); once part of a message is here, the rest comes at once unless
 * gliad is stuck, so then it waits at most PROTO_CLIENT_STALL_MS for more.
 * Returns 0, or -1 with err set.
 */
static int await_bytes(struct proto_client *c, char *err, size_t errlen)
{
    if (!proto_reader_partial(&c->reader))
        return 0; /* recv blocks */
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    for (;;) {
        int n = poll(&p, 1, PROTO_CLIENT_STALL_MS);
        if (n > 0)
            return 0; /* bytes, or the hang-up that recv then reports */
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            snprintf(err, errlen, "gliad stopped in the middle of a reply (nothing more for %d s)",
                     PROTO_CLIENT_STALL_MS / 1000);
        else
            snprintf(err, errlen, "lost the connection to gliad: %s", strerror(errno));
        return -1;
    }
}

int proto_client_read(struct proto_client *c, struct proto_msg *m, char *err, size_t errlen)
{
    for (;;) {
        const char *data, *why = NULL;
        size_t len;
        int rc = proto_reader_next(&c->reader, &data, &len, &why);
        if (rc < 0) {
            snprintf(err, errlen, "unreadable reply from gliad: %s", why);
            return -1;
        }
        if (rc > 0) {
            char reason[128];
            int has_id;
            if (proto_msg_decode(data, len, m, reason, sizeof(reason), &has_id) < 0) {
                proto_msg_free(m);
                snprintf(err, errlen, "unreadable reply from gliad: %s", reason);
                return -1;
            }
            return 0;
        }
        char *base;
        size_t space;
        if (proto_reader_space(&c->reader, 0, &base, &space) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (await_bytes(c, err, errlen) < 0)
            return -1;
        ssize_t n = recv(c->fd, base, space, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "gliad closed the connection%s%s", n < 0 ? ": " : "",
                     n < 0 ? strerror(errno) : "");
            return -1;
        }
        proto_reader_commit(&c->reader, (size_t)n);
    }
}

/* gliad's last word before it hangs up on a stream it cannot follow (a
 * request too large, bytes that are not msgpack): [2, "error", [{code,
 * message}]]. */
static int is_farewell(const struct proto_msg *m)
{
    return m->type == PROTO_NOTIFICATION && m->params && strcmp(m->method, "error") == 0;
}

int proto_client_call(struct proto_client *c, struct proto_msg *resp, proto_notify_fn on_note,
                      void *ud, char *err, size_t errlen)
{
    uint32_t id = c->next_id - 1;
    /* gliad refuses a request too large from its header and hangs up
     * without reading the rest, which can make the send fail: what gliad
     * said before hanging up is still to be read. */
    int sent = proto_client_flush(c, err, errlen) == 0;
    if (!sent && errno != EPIPE && errno != ECONNRESET)
        return -1;
    struct proto_msg farewell;
    int said = 0;
    for (;;) {
        char why[256];
        if (proto_client_read(c, resp, why, sizeof(why)) < 0) {
            if (said) {
                /* The answer to this request: gliad's error. */
                farewell.type = PROTO_RESPONSE;
                farewell.msgid = id;
                farewell.error = farewell.params;
                farewell.result = NULL;
                *resp = farewell;
                return 0;
            }
            if (sent)
                snprintf(err, errlen, "%s", why);
            return -1;
        }
        if (resp->type == PROTO_RESPONSE && resp->msgid == id) {
            if (said)
                proto_msg_free(&farewell);
            return 0;
        }
        if (resp->type == PROTO_NOTIFICATION && on_note)
            on_note(ud, resp);
        if (is_farewell(resp)) {
            if (said)
                proto_msg_free(&farewell);
            farewell = *resp;
            said = 1;
            continue;
        }
        proto_msg_free(resp);
    }
}
