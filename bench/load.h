/*
 * load: the client side of bench_rpc — connections that send resolve
 * requests and check every reply, one request in flight per connection.
 *
 * The same code drives gliad and the echo baseline, and both replies go
 * through the same framing and decoding (an echoed request is valid
 * msgpack-RPC too), so the client's own cost is the same on both sides of
 * the comparison.
 */
#ifndef GLIA_BENCH_LOAD_H
#define GLIA_BENCH_LOAD_H

#include "proto.h"

#include <stddef.h>
#include <stdint.h>

enum load_kind {
    LOAD_GLIAD, /* replies must be results whose `full` is `expect` */
    LOAD_ECHO,  /* replies must decode as the very request we sent */
};

struct load_target {
    enum load_kind kind;
    const char *name; /* for messages: "gliad", "echo" */
    const char *socket;
    const char *asset;
    const char *env;    /* sent when not NULL */
    const char *expect; /* LOAD_GLIAD: the full name every reply must carry */
};

struct load_conn {
    int fd;
    const struct load_target *t;
    struct proto_reader rd;
    msgpack_sbuffer out;
    msgpack_packer pk;
    uint32_t next_id;
    uint32_t id;          /* msgid of the request in flight */
    size_t request_bytes; /* sizes of the last exchange, for the report */
    size_t reply_bytes;
};

/* Connects to t->socket; dies on failure. */
void load_conn_open(struct load_conn *c, const struct load_target *t);
void load_conn_close(struct load_conn *c);

/* Sends one resolve request; dies on failure. */
void load_send(struct load_conn *c);

/* Reads what has arrived: 1 when the reply to the request in flight is
 * complete and correct, 0 when more bytes are needed. Dies on a wrong
 * reply, a lost connection or no reply within 5 s. */
int load_receive(struct load_conn *c);

/* n sequential round trips on c; the nanoseconds of each into samples. */
void load_latency(struct load_conn *c, size_t n, uint64_t *samples);

/* Keeps one request in flight on each of the n connections for about
 * `duration_ns`, then lets the last ones finish. Returns the replies
 * received; *elapsed_ns is the time from the first send to the last reply. */
uint64_t load_throughput(struct load_conn *conns, size_t n, uint64_t duration_ns,
                         uint64_t *elapsed_ns);

#endif
