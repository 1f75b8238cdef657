/*
 * load: see load.h.
 *
 * Sockets are blocking, with a receive timeout: the epoll loop only reads a
 * socket it was told is readable, a small request always fits an empty
 * send buffer, and a daemon that stops answering ends the run with an error
 * instead of hanging it.
 */
#include "load.h"
#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_TIMEOUT_S 5
#define MAX_EVENTS 64

void load_conn_open(struct load_conn *c, const struct load_target *t)
{
    memset(c, 0, sizeof(*c));
    c->t = t;
    proto_reader_init(&c->rd);
    msgpack_sbuffer_init(&c->out);
    msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(t->socket) >= sizeof(sa.sun_path))
        bench_die("socket path too long: %s", t->socket);
    strcpy(sa.sun_path, t->socket);
    struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
        bench_die("%s: cannot connect to %s: %s", t->name, t->socket, strerror(errno));
}

void load_conn_close(struct load_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    proto_reader_free(&c->rd);
    msgpack_sbuffer_destroy(&c->out);
}

static void pack_resolve(struct load_conn *c)
{
    c->id = ++c->next_id;
    if (c->id == 0) /* wrapped: 0 means "none in flight" */
        c->id = ++c->next_id;
    proto_pack_request(&c->pk, c->id, "resolve", 1);
    size_t params = proto_map_open(&c->pk);
    proto_pack_kstr(&c->pk, "asset", c->t->asset);
    if (c->t->env)
        proto_pack_kstr(&c->pk, "env", c->t->env);
    proto_map_close(&c->pk, params);
}

void load_send(struct load_conn *c)
{
    msgpack_sbuffer_clear(&c->out);
    pack_resolve(c);
    c->request_bytes = c->out.size;
    size_t off = 0;
    while (off < c->out.size) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.size - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (n < 0)
            bench_die("%s: send: %s", c->t->name, strerror(errno));
        off += (size_t)n;
    }
}

/* The value under `key` in a msgpack map, or NULL. */
static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (proto_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

static void die_on_error_reply(const struct load_conn *c, const msgpack_object *error)
{
    const msgpack_object *code = map_get(error, "code"), *msg = map_get(error, "message");
    int cl = code && code->type == MSGPACK_OBJECT_STR ? (int)code->via.str.size : 0;
    int ml = msg && msg->type == MSGPACK_OBJECT_STR ? (int)msg->via.str.size : 0;
    bench_die("%s answered resolve %s with an error: %.*s: %.*s", c->t->name, c->t->asset, cl,
              cl ? code->via.str.ptr : "", ml, ml ? msg->via.str.ptr : "");
}

static void check_gliad(const struct load_conn *c, const struct proto_msg *m)
{
    if (m->type != PROTO_RESPONSE || m->msgid != c->id)
        bench_die("gliad: expected the response to request %u", c->id);
    if (m->error)
        die_on_error_reply(c, m->error);
    const msgpack_object *full = map_get(m->result, "full");
    if (!full || !proto_str_eq(full, c->t->expect))
        bench_die("gliad resolved %s to %.*s, not %s", c->t->asset,
                  full && full->type == MSGPACK_OBJECT_STR ? (int)full->via.str.size : 3,
                  full && full->type == MSGPACK_OBJECT_STR ? full->via.str.ptr : "nil",
                  c->t->expect);
}

static void check_echo(const struct load_conn *c, const struct proto_msg *m)
{
    const msgpack_object *asset = map_get(m->params, "asset");
    if (m->type != PROTO_REQUEST || m->msgid != c->id || strcmp(m->method, "resolve") != 0 ||
        !asset || !proto_str_eq(asset, c->t->asset))
        bench_die("echo: the reply is not request %u as sent", c->id);
}

/* Decodes and checks the whole message at the head of the reader. */
static void check_reply(struct load_conn *c, const char *data, size_t len)
{
    struct proto_msg m;
    char why[160];
    int has_id;
    if (proto_msg_decode(data, len, &m, why, sizeof(why), &has_id) < 0)
        bench_die("%s: unreadable reply: %s", c->t->name, why);
    if (c->t->kind == LOAD_GLIAD)
        check_gliad(c, &m);
    else
        check_echo(c, &m);
    proto_msg_free(&m);
    if (proto_reader_partial(&c->rd))
        bench_die("%s: bytes after the reply to request %u", c->t->name, c->id);
    c->reply_bytes = len;
    c->id = 0;
}

static void read_some(struct load_conn *c)
{
    char *base;
    size_t space;
    if (proto_reader_space(&c->rd, 0, &base, &space) < 0)
        bench_die("out of memory");
    ssize_t n;
    do
        n = recv(c->fd, base, space, 0);
    while (n < 0 && errno == EINTR && !bench_interrupted());
    if (bench_interrupted())
        bench_die("interrupted");
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        bench_die("%s: no reply to request %u within %d s", c->t->name, c->id, REPLY_TIMEOUT_S);
    if (n <= 0)
        bench_die("%s closed the connection%s%s", c->t->name, n ? ": " : "",
                  n ? strerror(errno) : "");
    proto_reader_commit(&c->rd, (size_t)n);
}

int load_receive(struct load_conn *c)
{
    read_some(c);
    const char *data, *why = NULL;
    size_t len;
    int rc = proto_reader_next(&c->rd, &data, &len, &why);
    if (rc < 0)
        bench_die("%s: unreadable reply: %s", c->t->name, why);
    if (rc == 0)
        return 0;
    check_reply(c, data, len);
    return 1;
}

void load_latency(struct load_conn *c, size_t n, uint64_t *samples)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = bench_now_ns();
        load_send(c);
        while (!load_receive(c))
            ;
        samples[i] = bench_now_ns() - t0;
    }
}

static int watch_all(struct load_conn *conns, size_t n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        bench_die("epoll_create1: %s", strerror(errno));
    for (size_t i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
            bench_die("epoll_ctl: %s", strerror(errno));
    }
    return ep;
}

uint64_t load_throughput(struct load_conn *conns, size_t n, uint64_t duration_ns,
                         uint64_t *elapsed_ns)
{
    int ep = watch_all(conns, n);
    uint64_t start = bench_now_ns(), now = start, done = 0;
    size_t in_flight = n;
    for (size_t i = 0; i < n; i++)
        load_send(&conns[i]);
    while (in_flight > 0) {
        struct epoll_event evs[MAX_EVENTS];
        int k = epoll_wait(ep, evs, MAX_EVENTS, REPLY_TIMEOUT_S * 1000);
        if (k == 0)
            bench_die("%s: no reply on any connection within %d s", conns[0].t->name,
                      REPLY_TIMEOUT_S);
        if (bench_interrupted())
            bench_die("interrupted");
        if (k < 0 && errno != EINTR)
            bench_die("epoll_wait: %s", strerror(errno));
        now = bench_now_ns();
        for (int i = 0; i < k; i++) {
            struct load_conn *c = evs[i].data.ptr;
            if (!load_receive(c))
                continue;
            done++;
            /* Past the deadline a connection just drains, so the next run
             * on it starts clean. */
            if (now - start < duration_ns)
                load_send(c);
            else
                in_flight--;
        }
    }
    close(ep);
    *elapsed_ns = now - start;
    return done;
}
