/*
 * Unit tests for proto: framing (message boundaries, the size and depth
 * limits, buffer reuse), decoding msgpack-RPC shapes, typed params, the
 * packing helpers, and the blocking client against a socketpair standing in
 * for gliad.
 *
 * Messages are built with msgpack-c's own packer, so the framer is checked
 * against the library the decoder uses, not against our own idea of the format.
 */
#include "client.h"
#include "proto.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define countof(a) (sizeof(a) / sizeof((a)[0]))
#define MIB ((size_t)PROTO_MAX_MESSAGE)
#define READ_CHUNK 65536 /* what proto_reader_space hands out at most */

/* Payload for the big strings, bins and exts; the framer never looks inside. */
static const char blob[70000];

/* ---- Helpers ---------------------------------------------------------- */

/* A packer writing into its own buffer. Not movable once initialised. */
struct packbuf {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

static void pb_init(struct packbuf *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void pb_free(struct packbuf *b)
{
    msgpack_sbuffer_destroy(&b->sb);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* [0, id, "resolve", [{"asset": "Na", "prefs": [{"pkg": "x",
 *   "assets": {"Na": {"variant": "t"}}}]}]], packed without our helpers. */
static void pack_resolve(msgpack_packer *pk, uint32_t id)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint32(pk, id);
    pack_cstr(pk, "resolve");
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    pack_cstr(pk, "asset");
    pack_cstr(pk, "Na");
    pack_cstr(pk, "prefs");
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    pack_cstr(pk, "pkg");
    pack_cstr(pk, "x");
    pack_cstr(pk, "assets");
    msgpack_pack_map(pk, 1);
    pack_cstr(pk, "Na");
    msgpack_pack_map(pk, 1);
    pack_cstr(pk, "variant");
    pack_cstr(pk, "t");
}

/* The data is one msgpack value, whole, by msgpack-c's own reckoning. */
static void assert_valid_msgpack(const void *data, size_t n)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, data, n, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, n);
    msgpack_unpacked_destroy(&u);
}

static int next(struct proto_reader *r, const char **msg, size_t *len, const char **why)
{
    *msg = NULL;
    *len = 0;
    *why = NULL;
    return proto_reader_next(r, msg, len, why);
}

/* The reader hands out the message of n bytes at data, whole, and is then empty. */
static void expect_message(struct proto_reader *r, const void *data, size_t n)
{
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(r, &msg, &len, &why), 1);
    assert_int_equal(len, n);
    assert_memory_equal(msg, data, n);
}

static void expect_need_more(struct proto_reader *r)
{
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(r, &msg, &len, &why), 0);
}

/* Fed whole to a fresh reader: exactly one message of n bytes. */
static void expect_frame_whole(const void *data, size_t n)
{
    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, data, n), 0);
    expect_message(&r, data, n);
    expect_need_more(&r);
    assert_false(proto_reader_partial(&r));
    proto_reader_free(&r);
}

/* Fed one byte at a time: nothing until the last byte, then all n bytes. */
static void expect_frame_bytewise(const void *data, size_t n)
{
    struct proto_reader r;
    proto_reader_init(&r);
    const char *p = data;
    for (size_t i = 0; i + 1 < n; i++) {
        assert_int_equal(proto_reader_feed(&r, p + i, 1), 0);
        expect_need_more(&r);
        assert_true(proto_reader_partial(&r));
    }
    assert_int_equal(proto_reader_feed(&r, p + n - 1, 1), 0);
    expect_message(&r, data, n);
    assert_false(proto_reader_partial(&r));
    proto_reader_free(&r);
}

/* Split in two at every point: the first part is never a message. */
static void expect_frame_every_split(const void *data, size_t n)
{
    const char *p = data;
    for (size_t k = 1; k < n; k++) {
        struct proto_reader r;
        proto_reader_init(&r);
        assert_int_equal(proto_reader_feed(&r, p, k), 0);
        expect_need_more(&r);
        assert_true(proto_reader_partial(&r));
        assert_int_equal(proto_reader_feed(&r, p + k, n - k), 0);
        expect_message(&r, data, n);
        expect_need_more(&r);
        proto_reader_free(&r);
    }
}

/* Fed whole to a fresh reader: refused, for a reason naming `word`. */
static void expect_refused(const void *data, size_t n, const char *word)
{
    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, data, n), 0);
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(&r, &msg, &len, &why), -1);
    assert_non_null(why);
    assert_true(strlen(why) > 0);
    assert_non_null(strstr(why, word));
    proto_reader_free(&r);
}

/* gliad answers too_large exactly when the reason says "larger" (server.c). */
static void assert_size_reason(const char *why)
{
    assert_non_null(why);
    assert_non_null(strstr(why, "larger"));
    assert_non_null(strstr(why, "1 MiB"));
}

static void assert_depth_reason(const char *why)
{
    assert_non_null(why);
    assert_non_null(strstr(why, "nested"));
    assert_non_null(strstr(why, "32"));
    assert_null(strstr(why, "larger"));
}

/* Frames b's bytes (expecting one whole message) and decodes it. */
static void frame_and_decode(const struct packbuf *b, struct proto_msg *m)
{
    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, b->sb.data, b->sb.size), 0);
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(&r, &msg, &len, &why), 1);
    assert_int_equal(len, b->sb.size);
    char reason[160] = "";
    int has_id = -1;
    int rc = proto_msg_decode(msg, len, m, reason, sizeof(reason), &has_id);
    proto_reader_free(&r); /* the message keeps its own copy */
    if (rc != 0)
        fail_msg("decode failed: %s", reason);
}

/* The value under a string key of a map object, or NULL. */
static const msgpack_object *obj_get(const msgpack_object *map, const char *key)
{
    assert_int_equal(map->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (proto_str_eq(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

static void assert_obj_str(const msgpack_object *o, const char *s)
{
    assert_non_null(o);
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, strlen(s));
    assert_memory_equal(o->via.str.ptr, s, strlen(s));
}

/* ---- Framing ---------------------------------------------------------- */

static void frame_whole_request(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 7);
    assert_valid_msgpack(b.sb.data, b.sb.size);
    expect_frame_whole(b.sb.data, b.sb.size);
    pb_free(&b);
}

static void frame_request_byte_by_byte(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 7);
    expect_frame_bytewise(b.sb.data, b.sb.size);
    expect_frame_every_split(b.sb.data, b.sb.size);
    pb_free(&b);
}

static void frame_several_in_one_feed(void **state)
{
    (void)state;
    /* msgids of 1, 2, 3 and 5 bytes: lengths differ, so a boundary found
     * by a fixed stride or an off-by-one cannot line up by luck. */
    static const uint32_t ids[4] = {1, 200, 60000, 70000};
    struct packbuf msgs[4];
    struct packbuf all;
    pb_init(&all);
    for (int i = 0; i < 4; i++) {
        pb_init(&msgs[i]);
        pack_resolve(&msgs[i].pk, ids[i]);
        pack_resolve(&all.pk, ids[i]);
        if (i > 0)
            assert_int_not_equal(msgs[i].sb.size, msgs[i - 1].sb.size);
    }
    size_t first3 = msgs[0].sb.size + msgs[1].sb.size + msgs[2].sb.size;
    size_t half = msgs[3].sb.size / 2;

    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, all.sb.data, first3 + half), 0);
    for (int i = 0; i < 3; i++)
        expect_message(&r, msgs[i].sb.data, msgs[i].sb.size);
    expect_need_more(&r);
    assert_true(proto_reader_partial(&r));
    assert_int_equal(
        proto_reader_feed(&r, all.sb.data + first3 + half, all.sb.size - first3 - half), 0);
    expect_message(&r, msgs[3].sb.data, msgs[3].sb.size);
    expect_need_more(&r);
    assert_false(proto_reader_partial(&r));
    proto_reader_free(&r);

    /* Messages of different lengths back to back: a fixint, a nil, a request. */
    static const unsigned char mixed[] = {0x05, 0xc0, 0x93, 0x02, 0xa1, 'p', 0x90, 0xff};
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, mixed, sizeof(mixed)), 0);
    expect_message(&r, mixed, 1);
    expect_message(&r, mixed + 1, 1);
    expect_message(&r, mixed + 2, 5);
    expect_message(&r, mixed + 7, 1);
    expect_need_more(&r);
    proto_reader_free(&r);

    for (int i = 0; i < 4; i++)
        pb_free(&msgs[i]);
    pb_free(&all);
}

/* One sample per msgpack format, and the format byte msgpack-c must pick. */
struct sample {
    const char *name;
    unsigned char format;
    void (*pack)(msgpack_packer *pk);
};

static void s_posfixint(msgpack_packer *pk)
{
    msgpack_pack_uint8(pk, 0x7f);
}
static void s_negfixint(msgpack_packer *pk)
{
    msgpack_pack_int8(pk, -5);
}
static void s_int8(msgpack_packer *pk)
{
    msgpack_pack_int8(pk, -100);
}
static void s_int16(msgpack_packer *pk)
{
    msgpack_pack_int16(pk, -1000);
}
static void s_int32(msgpack_packer *pk)
{
    msgpack_pack_int32(pk, -100000);
}
static void s_int64(msgpack_packer *pk)
{
    msgpack_pack_int64(pk, -5000000000LL);
}
static void s_uint8(msgpack_packer *pk)
{
    msgpack_pack_uint8(pk, 200);
}
static void s_uint16(msgpack_packer *pk)
{
    msgpack_pack_uint16(pk, 60000);
}
static void s_uint32(msgpack_packer *pk)
{
    msgpack_pack_uint32(pk, 4000000000u);
}
static void s_uint64(msgpack_packer *pk)
{
    msgpack_pack_uint64(pk, UINT64_MAX);
}
static void s_float32(msgpack_packer *pk)
{
    msgpack_pack_float(pk, 1.5f);
}
static void s_float64(msgpack_packer *pk)
{
    msgpack_pack_double(pk, 2.25);
}
static void s_nil(msgpack_packer *pk)
{
    msgpack_pack_nil(pk);
}
static void s_true(msgpack_packer *pk)
{
    msgpack_pack_true(pk);
}
static void s_false(msgpack_packer *pk)
{
    msgpack_pack_false(pk);
}
static void s_fixstr(msgpack_packer *pk)
{
    pack_cstr(pk, "resolve");
}
static void s_fixstr_empty(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 0);
}
static void s_str8(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 200);
    msgpack_pack_str_body(pk, blob, 200);
}
static void s_str16(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 300);
    msgpack_pack_str_body(pk, blob, 300);
}
static void s_str32(msgpack_packer *pk)
{
    msgpack_pack_str(pk, 70000);
    msgpack_pack_str_body(pk, blob, 70000);
}
static void s_bin8(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 5);
    msgpack_pack_bin_body(pk, "\x01\x02\x03\x04\x05", 5);
}
static void s_bin16(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 300);
    msgpack_pack_bin_body(pk, blob, 300);
}
static void s_bin32(msgpack_packer *pk)
{
    msgpack_pack_bin(pk, 70000);
    msgpack_pack_bin_body(pk, blob, 70000);
}
static void pack_ext(msgpack_packer *pk, size_t n)
{
    msgpack_pack_ext(pk, n, 7);
    msgpack_pack_ext_body(pk, blob, n);
}
static void s_fixext1(msgpack_packer *pk)
{
    pack_ext(pk, 1);
}
static void s_fixext2(msgpack_packer *pk)
{
    pack_ext(pk, 2);
}
static void s_fixext4(msgpack_packer *pk)
{
    pack_ext(pk, 4);
}
static void s_fixext8(msgpack_packer *pk)
{
    pack_ext(pk, 8);
}
static void s_fixext16(msgpack_packer *pk)
{
    pack_ext(pk, 16);
}
static void s_ext8(msgpack_packer *pk)
{
    pack_ext(pk, 3);
}
static void s_ext8_empty(msgpack_packer *pk)
{
    pack_ext(pk, 0);
}
static void s_ext16(msgpack_packer *pk)
{
    pack_ext(pk, 300);
}
static void s_ext32(msgpack_packer *pk)
{
    pack_ext(pk, 70000);
}
static void s_fixarray(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 1);
    pack_cstr(pk, "a");
    msgpack_pack_nil(pk);
}
static void s_fixarray_empty(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}
static void s_array16(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 20);
    for (int i = 0; i < 18; i++)
        msgpack_pack_int32(pk, -70000 * i);
    s_fixarray(pk);
    s_str8(pk);
}
static void s_array32(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 70000);
    for (int i = 0; i < 70000; i++)
        msgpack_pack_uint8(pk, i & 0x7f);
}
static void s_fixmap(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    pack_cstr(pk, "a");
    msgpack_pack_uint8(pk, 1);
    pack_cstr(pk, "b");
    msgpack_pack_array(pk, 2);
    msgpack_pack_true(pk);
    msgpack_pack_false(pk);
}
static void s_fixmap_empty(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}
static void s_map16(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 20);
    for (int i = 0; i < 20; i++) {
        msgpack_pack_uint16(pk, 1000 + i);
        s_fixmap(pk);
    }
}
static void s_map32(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 70000);
    for (int i = 0; i < 70000; i++) {
        msgpack_pack_uint32(pk, i);
        msgpack_pack_nil(pk);
    }
}

static const struct sample samples[] = {
    {"positive fixint", 0x7f, s_posfixint},
    {"negative fixint", 0xfb, s_negfixint},
    {"int8", 0xd0, s_int8},
    {"int16", 0xd1, s_int16},
    {"int32", 0xd2, s_int32},
    {"int64", 0xd3, s_int64},
    {"uint8", 0xcc, s_uint8},
    {"uint16", 0xcd, s_uint16},
    {"uint32", 0xce, s_uint32},
    {"uint64", 0xcf, s_uint64},
    {"float32", 0xca, s_float32},
    {"float64", 0xcb, s_float64},
    {"nil", 0xc0, s_nil},
    {"true", 0xc3, s_true},
    {"false", 0xc2, s_false},
    {"fixstr", 0xa7, s_fixstr},
    {"empty fixstr", 0xa0, s_fixstr_empty},
    {"str8", 0xd9, s_str8},
    {"str16", 0xda, s_str16},
    {"str32", 0xdb, s_str32},
    {"bin8", 0xc4, s_bin8},
    {"bin16", 0xc5, s_bin16},
    {"bin32", 0xc6, s_bin32},
    {"fixext1", 0xd4, s_fixext1},
    {"fixext2", 0xd5, s_fixext2},
    {"fixext4", 0xd6, s_fixext4},
    {"fixext8", 0xd7, s_fixext8},
    {"fixext16", 0xd8, s_fixext16},
    {"ext8", 0xc7, s_ext8},
    {"empty ext8", 0xc7, s_ext8_empty},
    {"ext16", 0xc8, s_ext16},
    {"ext32", 0xc9, s_ext32},
    {"fixarray", 0x93, s_fixarray},
    {"empty fixarray", 0x90, s_fixarray_empty},
    {"array16", 0xdc, s_array16},
    {"array32", 0xdd, s_array32},
    {"fixmap", 0x82, s_fixmap},
    {"empty fixmap", 0x80, s_fixmap_empty},
    {"map16", 0xde, s_map16},
    {"map32", 0xdf, s_map32},
};

static void frame_every_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < countof(samples); i++) {
        struct packbuf b;
        pb_init(&b);
        samples[i].pack(&b.pk);
        print_message("%s: %zu bytes\n", samples[i].name, b.sb.size);
        assert_int_equal((unsigned char)b.sb.data[0], samples[i].format);
        assert_valid_msgpack(b.sb.data, b.sb.size);
        expect_frame_whole(b.sb.data, b.sb.size);
        expect_frame_bytewise(b.sb.data, b.sb.size);
        if (b.sb.size < 400)
            expect_frame_every_split(b.sb.data, b.sb.size);
        pb_free(&b);
    }
}

/* All the samples as one request's params, and each followed by another
 * message in the same feed: the scan resumes after every kind of element. */
static void frame_every_type_in_context(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 0);
    msgpack_pack_uint8(&b.pk, 1);
    pack_cstr(&b.pk, "all");
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_map(&b.pk, countof(samples));
    for (size_t i = 0; i < countof(samples); i++) {
        pack_cstr(&b.pk, samples[i].name);
        samples[i].pack(&b.pk);
    }
    assert_valid_msgpack(b.sb.data, b.sb.size);
    expect_frame_bytewise(b.sb.data, b.sb.size);

    for (size_t i = 0; i < countof(samples); i++) {
        struct packbuf s;
        pb_init(&s);
        samples[i].pack(&s.pk);
        size_t n = s.sb.size;
        msgpack_pack_uint8(&s.pk, 0x2a);
        struct proto_reader r;
        proto_reader_init(&r);
        assert_int_equal(proto_reader_feed(&r, s.sb.data, s.sb.size), 0);
        expect_message(&r, s.sb.data, n);
        expect_message(&r, "\x2a", 1);
        expect_need_more(&r);
        proto_reader_free(&r);
        pb_free(&s);
    }
    pb_free(&b);
}

/* The daemon's way in: proto_reader_space, a read, proto_reader_commit. */
static void frame_via_space_and_commit(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    for (int i = 0; i < 50; i++)
        pack_resolve(&b.pk, i);
    size_t one = b.sb.size / 50;

    struct proto_reader r;
    proto_reader_init(&r);
    size_t off = 0, got = 0;
    while (off < b.sb.size) {
        char *base;
        size_t space;
        assert_int_equal(proto_reader_space(&r, 7, &base, &space), 0);
        assert_true(space >= 7);
        size_t n = b.sb.size - off < 7 ? b.sb.size - off : 7; /* reads that split messages */
        memcpy(base, b.sb.data + off, n);
        proto_reader_commit(&r, n);
        off += n;
        const char *msg, *why;
        size_t len;
        int rc;
        while ((rc = next(&r, &msg, &len, &why)) == 1) {
            assert_int_equal(len, one);
            assert_memory_equal(msg, b.sb.data + got * one, one);
            got++;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, 50);
    assert_false(proto_reader_partial(&r));
    proto_reader_free(&r);
    pb_free(&b);
}

/* ---- Limits ----------------------------------------------------------- */

/* [0, 1, "put", [{"data": <bin32>}]] of exactly `total` bytes; returns the
 * size of everything before the bin's payload. */
static size_t pack_request_of_size(struct packbuf *b, size_t total, const char *payload)
{
    msgpack_pack_array(&b->pk, 4);
    msgpack_pack_uint8(&b->pk, 0);
    msgpack_pack_uint8(&b->pk, 1);
    pack_cstr(&b->pk, "put");
    msgpack_pack_array(&b->pk, 1);
    msgpack_pack_map(&b->pk, 1);
    pack_cstr(&b->pk, "data");
    size_t body = total - b->sb.size - 5; /* bin32 header */
    assert_true(body > 0xffff);
    msgpack_pack_bin(&b->pk, body);
    size_t head = b->sb.size;
    msgpack_pack_bin_body(&b->pk, payload, body);
    assert_int_equal(b->sb.size, total);
    return head;
}

static void limit_exactly_1mib_accepted(void **state)
{
    (void)state;
    char *payload = calloc(1, MIB);
    assert_non_null(payload);
    struct packbuf b;
    pb_init(&b);
    size_t head = pack_request_of_size(&b, MIB, payload);
    assert_valid_msgpack(b.sb.data, b.sb.size);
    expect_frame_whole(b.sb.data, b.sb.size);

    /* In 64 KiB reads, as gliad gets it. */
    struct proto_reader r;
    proto_reader_init(&r);
    size_t off = 0;
    int rc = 0;
    const char *msg, *why;
    size_t len = 0;
    while (off < b.sb.size) {
        char *base;
        size_t space;
        assert_int_equal(proto_reader_space(&r, READ_CHUNK, &base, &space), 0);
        size_t n = b.sb.size - off < READ_CHUNK ? b.sb.size - off : READ_CHUNK;
        memcpy(base, b.sb.data + off, n);
        proto_reader_commit(&r, n);
        off += n;
        rc = next(&r, &msg, &len, &why);
        assert_int_equal(rc, off == b.sb.size ? 1 : 0);
    }
    assert_int_equal(len, MIB);
    /* One message plus one read, rounded up to a power of two. */
    assert_true(r.cap <= 2 * MIB);
    proto_reader_free(&r);

    struct proto_msg m;
    frame_and_decode(&b, &m);
    const msgpack_object *data = obj_get(m.params, "data");
    assert_non_null(data);
    assert_int_equal(data->type, MSGPACK_OBJECT_BIN);
    assert_int_equal(data->via.bin.size, MIB - head);
    proto_msg_free(&m);
    pb_free(&b);
    free(payload);
}

static void limit_1mib_plus_1_refused(void **state)
{
    (void)state;
    char *payload = calloc(1, MIB + 1);
    assert_non_null(payload);
    struct packbuf b;
    pb_init(&b);
    size_t head = pack_request_of_size(&b, MIB + 1, payload);
    expect_refused(b.sb.data, b.sb.size, "1 MiB");

    /* Refused on the bin's header, before any of its payload arrives. */
    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, b.sb.data, head - 1), 0);
    expect_need_more(&r);
    assert_int_equal(proto_reader_feed(&r, b.sb.data + head - 1, 1), 0);
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(&r, &msg, &len, &why), -1);
    assert_size_reason(why);
    assert_true(r.cap < 4096 * 2); /* nothing of the megabyte was buffered */
    proto_reader_free(&r);

    /* A bare bin announcing exactly 1 MiB is 1 MiB + 5 with its header. */
    static const unsigned char bin1m[] = {0xc6, 0x00, 0x10, 0x00, 0x00};
    expect_refused(bin1m, sizeof(bin1m), "larger");
    static const unsigned char bin1m_less5[] = {0xc6, 0x00, 0x0f, 0xff, 0xfb};
    struct proto_reader r2;
    proto_reader_init(&r2);
    assert_int_equal(proto_reader_feed(&r2, bin1m_less5, sizeof(bin1m_less5)), 0);
    expect_need_more(&r2); /* fits: waits for its payload */
    proto_reader_free(&r2);

    pb_free(&b);
    free(payload);
}

/* Headers announcing far more than the limit: refused the moment the header
 * is complete, never waiting for (or buffering) the payload. */
static void limit_huge_headers_refused_at_once(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned char hdr[5];
        size_t n;
    } huge[] = {
        {"str32 of 2^32-1 bytes", {0xdb, 0xff, 0xff, 0xff, 0xff}, 5},
        {"bin32 of 2^32-1 bytes", {0xc6, 0xff, 0xff, 0xff, 0xff}, 5},
        {"ext32 of 2^32-1 bytes", {0xc9, 0xff, 0xff, 0xff, 0xff}, 5},
        {"array32 of 2^32-1 items", {0xdd, 0xff, 0xff, 0xff, 0xff}, 5},
        {"map32 of 2^32-1 pairs", {0xdf, 0xff, 0xff, 0xff, 0xff}, 5},
        {"map32 of 2^31 pairs", {0xdf, 0x80, 0x00, 0x00, 0x00}, 5},
        {"array32 of 2^20 items", {0xdd, 0x00, 0x10, 0x00, 0x00}, 5},
        {"map32 of 2^19 pairs", {0xdf, 0x00, 0x08, 0x00, 0x00}, 5},
    };
    for (size_t i = 0; i < countof(huge); i++) {
        print_message("%s\n", huge[i].name);
        struct proto_reader r;
        proto_reader_init(&r);
        for (size_t k = 0; k + 1 < huge[i].n; k++) {
            assert_int_equal(proto_reader_feed(&r, huge[i].hdr + k, 1), 0);
            expect_need_more(&r);
        }
        assert_int_equal(proto_reader_feed(&r, huge[i].hdr + huge[i].n - 1, 1), 0);
        const char *msg, *why;
        size_t len;
        assert_int_equal(next(&r, &msg, &len, &why), -1);
        assert_size_reason(why);
        proto_reader_free(&r);
    }

    /* Just inside the limit, the same headers wait for more. */
    static const unsigned char fits[][5] = {
        {0xdd, 0x00, 0x0f, 0xff, 0xfb}, /* 2^20-5 items, each at least a byte */
        {0xdf, 0x00, 0x07, 0xff, 0xfd}, /* 2^19-3 pairs */
        {0xdb, 0x00, 0x0f, 0xff, 0xfb}, /* 2^20-5 bytes */
    };
    for (size_t i = 0; i < countof(fits); i++) {
        struct proto_reader r;
        proto_reader_init(&r);
        assert_int_equal(proto_reader_feed(&r, fits[i], 5), 0);
        expect_need_more(&r);
        proto_reader_free(&r);
    }

    /* Deep inside a request, the same: [0, 1, "m", [{"k": <str32 2^32-1>. */
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 0);
    msgpack_pack_uint8(&b.pk, 1);
    pack_cstr(&b.pk, "m");
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_map(&b.pk, 1);
    pack_cstr(&b.pk, "k");
    msgpack_pack_str(&b.pk, UINT32_MAX);
    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, b.sb.data, b.sb.size - 1), 0);
    expect_need_more(&r);
    assert_int_equal(proto_reader_feed(&r, b.sb.data + b.sb.size - 1, 1), 0);
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(&r, &msg, &len, &why), -1);
    assert_size_reason(why);
    proto_reader_free(&r);
    pb_free(&b);
}

/* `levels` containers, one inside the other; the innermost holds 1 or nothing. */
static void pack_nested(msgpack_packer *pk, int levels, int maps, int innermost_empty)
{
    for (int i = 0; i < levels; i++) {
        int last = i == levels - 1;
        int n = last && innermost_empty ? 0 : 1;
        int map = maps == 1 || (maps == 2 && i % 2);
        if (map) {
            msgpack_pack_map(pk, n);
            if (n)
                pack_cstr(pk, "k");
        } else {
            msgpack_pack_array(pk, n);
        }
    }
    if (!innermost_empty)
        msgpack_pack_uint8(pk, 1);
}

static void limit_depth(void **state)
{
    (void)state;
    /* maps: 0 arrays only, 1 maps only, 2 alternating. */
    for (int maps = 0; maps <= 2; maps++) {
        for (int empty = 0; empty <= 1; empty++) {
            print_message("maps=%d innermost_empty=%d\n", maps, empty);
            struct packbuf ok, deep;
            pb_init(&ok);
            pb_init(&deep);
            pack_nested(&ok.pk, PROTO_MAX_DEPTH, maps, empty);
            pack_nested(&deep.pk, PROTO_MAX_DEPTH + 1, maps, empty);

            /* 32 levels is what msgpack-c's decoder takes, so the framer
             * must let exactly that through. */
            assert_valid_msgpack(ok.sb.data, ok.sb.size);
            expect_frame_whole(ok.sb.data, ok.sb.size);
            expect_frame_bytewise(ok.sb.data, ok.sb.size);

            expect_refused(deep.sb.data, deep.sb.size, "nested");
            /* Refused as soon as the 33rd header (one byte) arrives: it
             * starts where 32 filled levels end, less their innermost 1. */
            struct packbuf lead;
            pb_init(&lead);
            pack_nested(&lead.pk, PROTO_MAX_DEPTH, maps, 0);
            size_t hdr33 = lead.sb.size - 1;
            pb_free(&lead);
            struct proto_reader r;
            proto_reader_init(&r);
            const char *msg, *why;
            size_t len;
            int rc = 0;
            size_t k;
            for (k = 0; k < deep.sb.size && rc == 0; k++) {
                assert_int_equal(proto_reader_feed(&r, deep.sb.data + k, 1), 0);
                rc = next(&r, &msg, &len, &why);
            }
            assert_int_equal(rc, -1);
            assert_depth_reason(why);
            assert_int_equal(k, hdr33 + 1);
            proto_reader_free(&r);
            pb_free(&ok);
            pb_free(&deep);
        }
    }

    /* Depth is a level count, not a running total: containers closed
     * earlier give their levels back. [[..31..], [..31..], 5] is 32 deep. */
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 3);
    pack_nested(&b.pk, PROTO_MAX_DEPTH - 1, 0, 0);
    pack_nested(&b.pk, PROTO_MAX_DEPTH - 1, 2, 0);
    msgpack_pack_uint8(&b.pk, 5);
    assert_valid_msgpack(b.sb.data, b.sb.size);
    expect_frame_whole(b.sb.data, b.sb.size);
    pb_free(&b);

    /* A request whose params go one level too deep. */
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 0);
    msgpack_pack_uint8(&b.pk, 1);
    pack_cstr(&b.pk, "m");
    msgpack_pack_array(&b.pk, 1);
    pack_nested(&b.pk, PROTO_MAX_DEPTH - 1, 1, 0);
    expect_refused(b.sb.data, b.sb.size, "nested");
    pb_free(&b);
}

static void limit_byte_c1_refused(void **state)
{
    (void)state;
    static const unsigned char alone[] = {0xc1};
    static const unsigned char in_array[] = {0x92, 0x01, 0xc1};
    static const unsigned char as_key[] = {0x81, 0xc1, 0x01};
    static const unsigned char after_str[] = {0x92, 0xa2, 'h', 'i', 0xc1, 0x00};
    expect_refused(alone, sizeof(alone), "0xc1");
    expect_refused(in_array, sizeof(in_array), "0xc1");
    expect_refused(as_key, sizeof(as_key), "0xc1");
    expect_refused(after_str, sizeof(after_str), "0xc1");

    /* Inside a string it is just a byte. */
    static const unsigned char in_str[] = {0xa2, 0xc1, 0xc1};
    expect_frame_whole(in_str, sizeof(in_str));

    struct proto_reader r;
    proto_reader_init(&r);
    assert_int_equal(proto_reader_feed(&r, alone, 1), 0);
    const char *msg, *why;
    size_t len;
    assert_int_equal(next(&r, &msg, &len, &why), -1);
    assert_null(strstr(why, "larger")); /* a bad_request, not too_large */
    proto_reader_free(&r);
}

/* ---- Reader buffer ---------------------------------------------------- */

static void reader_buffer_stays_small(void **state)
{
    (void)state;
    struct proto_reader r;
    proto_reader_init(&r);
    size_t maxcap = 0;
    for (uint32_t i = 0; i < 10000; i++) {
        struct packbuf b;
        pb_init(&b);
        pack_resolve(&b.pk, i);
        assert_int_equal(proto_reader_feed(&r, b.sb.data, b.sb.size), 0);
        expect_message(&r, b.sb.data, b.sb.size);
        if (r.cap > maxcap)
            maxcap = r.cap;
        pb_free(&b);
    }
    assert_true(maxcap <= 64 * 1024);
    assert_true(r.len < 64 * 1024);
    proto_reader_free(&r);

    /* One and a half messages per feed, so a partial one is always held. */
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 1);
    size_t one = b.sb.size;
    pack_resolve(&b.pk, 1);
    proto_reader_init(&r);
    maxcap = 0;
    size_t half = one / 2;
    assert_int_equal(proto_reader_feed(&r, b.sb.data, half), 0);
    expect_need_more(&r);
    for (int i = 0; i < 10000; i++) {
        /* rest of one message and half of the next */
        assert_int_equal(proto_reader_feed(&r, b.sb.data + half, one), 0);
        expect_message(&r, b.sb.data, one);
        expect_need_more(&r);
        assert_true(proto_reader_partial(&r));
        if (r.cap > maxcap)
            maxcap = r.cap;
    }
    assert_true(maxcap <= 64 * 1024);
    proto_reader_free(&r);

    /* Through proto_reader_space in odd-sized reads: one message plus one read. */
    struct packbuf stream;
    pb_init(&stream);
    for (int i = 0; i < 10000; i++)
        pack_resolve(&stream.pk, 1);
    proto_reader_init(&r);
    maxcap = 0;
    size_t off = 0, got = 0;
    while (off < stream.sb.size) {
        char *base;
        size_t space;
        assert_int_equal(proto_reader_space(&r, 0, &base, &space), 0);
        assert_true(space >= READ_CHUNK);
        size_t n = stream.sb.size - off < 1000 ? stream.sb.size - off : 1000;
        memcpy(base, stream.sb.data + off, n);
        proto_reader_commit(&r, n);
        off += n;
        const char *msg, *why;
        size_t len;
        while (next(&r, &msg, &len, &why) == 1) {
            assert_int_equal(len, one);
            got++;
        }
        if (r.cap > maxcap)
            maxcap = r.cap;
    }
    assert_int_equal(got, 10000);
    assert_true(maxcap <= 2 * READ_CHUNK);
    proto_reader_free(&r);
    pb_free(&stream);
    pb_free(&b);
}

static void reader_space_is_bounded(void **state)
{
    (void)state;
    struct proto_reader r;
    proto_reader_init(&r);
    char *base;
    size_t space;
    assert_int_equal(proto_reader_space(&r, 10, &base, &space), 0);
    assert_non_null(base);
    assert_true(space >= 10);
    assert_int_equal(proto_reader_space(&r, 0, &base, &space), 0);
    assert_true(space >= READ_CHUNK);
    /* A read never asks for more than 64 KiB at once. */
    assert_int_equal(proto_reader_space(&r, 10 * MIB, &base, &space), 0);
    assert_true(space >= READ_CHUNK);
    assert_true(r.cap < MIB);
    /* Space follows what is held. */
    memcpy(base, "\x92\x01", 2);
    proto_reader_commit(&r, 2);
    assert_int_equal(proto_reader_space(&r, 1, &base, &space), 0);
    assert_ptr_equal(base, r.buf + 2);
    *base = 0x02;
    proto_reader_commit(&r, 1);
    expect_message(&r, "\x92\x01\x02", 3);
    proto_reader_free(&r);
    assert_null(r.buf);
}

static void reader_partial(void **state)
{
    (void)state;
    struct proto_reader r;
    proto_reader_init(&r);
    assert_false(proto_reader_partial(&r));
    expect_need_more(&r);
    assert_false(proto_reader_partial(&r));

    static const unsigned char two[] = {0x92, 0x01, 0x02, 0x92, 0x03, 0x04};
    assert_int_equal(proto_reader_feed(&r, two, 1), 0);
    assert_true(proto_reader_partial(&r));
    expect_need_more(&r);
    assert_true(proto_reader_partial(&r));
    assert_int_equal(proto_reader_feed(&r, two + 1, 2), 0);
    assert_true(proto_reader_partial(&r)); /* whole, but not handed out yet */
    expect_message(&r, two, 3);
    assert_false(proto_reader_partial(&r));

    assert_int_equal(proto_reader_feed(&r, two + 3, 2), 0);
    assert_true(proto_reader_partial(&r));
    expect_need_more(&r);
    assert_int_equal(proto_reader_feed(&r, two + 5, 1), 0);
    expect_message(&r, two + 3, 3);
    assert_false(proto_reader_partial(&r));
    expect_need_more(&r);
    assert_false(proto_reader_partial(&r));
    proto_reader_free(&r);
}

/* ---- Decoding --------------------------------------------------------- */

static int decode(const struct packbuf *b, struct proto_msg *m, char *why, size_t whylen,
                  int *has_id)
{
    why[0] = '\0';
    *has_id = -1;
    return proto_msg_decode(b->sb.data, b->sb.size, m, why, whylen, has_id);
}

static void decode_request(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 7);
    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.type, PROTO_REQUEST);
    assert_int_equal(m.msgid, 7);
    assert_string_equal(m.method, "resolve");
    assert_non_null(m.params);
    assert_int_equal(m.params->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(m.params->via.map.size, 2);
    assert_obj_str(obj_get(m.params, "asset"), "Na");
    const msgpack_object *prefs = obj_get(m.params, "prefs");
    assert_non_null(prefs);
    assert_int_equal(prefs->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(prefs->via.array.size, 1);
    const msgpack_object *na = obj_get(obj_get(&prefs->via.array.ptr[0], "assets"), "Na");
    assert_obj_str(obj_get(na, "variant"), "t");
    assert_null(m.error);
    assert_null(m.result);
    proto_msg_free(&m);
    pb_free(&b);

    /* The largest msgid there is. */
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 0);
    msgpack_pack_uint32(&b.pk, UINT32_MAX);
    pack_cstr(&b.pk, "status");
    msgpack_pack_array(&b.pk, 0);
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.msgid, UINT32_MAX);
    assert_string_equal(m.method, "status");
    assert_null(m.params);
    proto_msg_free(&m);
    pb_free(&b);
}

static void decode_response(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint16(&b.pk, 300);
    msgpack_pack_nil(&b.pk);
    msgpack_pack_map(&b.pk, 1);
    pack_cstr(&b.pk, "ok");
    msgpack_pack_true(&b.pk);
    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.type, PROTO_RESPONSE);
    assert_int_equal(m.msgid, 300);
    assert_null(m.error);
    assert_non_null(m.result);
    const msgpack_object *ok = obj_get(m.result, "ok");
    assert_non_null(ok);
    assert_int_equal(ok->type, MSGPACK_OBJECT_BOOLEAN);
    assert_true(ok->via.boolean);
    assert_null(m.method);
    assert_null(m.params);
    proto_msg_free(&m);
    pb_free(&b);

    /* An error response: error set, result nil but present. */
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint8(&b.pk, 2);
    msgpack_pack_map(&b.pk, 2);
    pack_cstr(&b.pk, "code");
    pack_cstr(&b.pk, "no_match");
    pack_cstr(&b.pk, "message");
    pack_cstr(&b.pk, "nothing");
    msgpack_pack_nil(&b.pk);
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.msgid, 2);
    assert_non_null(m.error);
    assert_obj_str(obj_get(m.error, "code"), "no_match");
    assert_non_null(m.result);
    assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
    proto_msg_free(&m);
    pb_free(&b);
}

static void decode_notification(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_uint8(&b.pk, 2);
    pack_cstr(&b.pk, "progress");
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_map(&b.pk, 1);
    pack_cstr(&b.pk, "done");
    msgpack_pack_uint8(&b.pk, 3);
    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.type, PROTO_NOTIFICATION);
    assert_string_equal(m.method, "progress");
    assert_non_null(m.params);
    const msgpack_object *done = obj_get(m.params, "done");
    assert_non_null(done);
    assert_int_equal(done->via.u64, 3);
    proto_msg_free(&m);
    pb_free(&b);
}

/* params: [nil], [] and a bare nil all mean "no params"; [{}] is an empty map. */
static void decode_params_forms(void **state)
{
    (void)state;
    for (int form = 0; form < 4; form++) {
        struct packbuf b;
        pb_init(&b);
        msgpack_pack_array(&b.pk, 4);
        msgpack_pack_uint8(&b.pk, 0);
        msgpack_pack_uint8(&b.pk, 9);
        pack_cstr(&b.pk, "m");
        switch (form) {
        case 0:
            msgpack_pack_array(&b.pk, 1);
            msgpack_pack_nil(&b.pk);
            break;
        case 1:
            msgpack_pack_array(&b.pk, 0);
            break;
        case 2:
            msgpack_pack_nil(&b.pk);
            break;
        case 3:
            msgpack_pack_array(&b.pk, 1);
            msgpack_pack_map(&b.pk, 0);
            break;
        }
        struct proto_msg m;
        char why[160];
        int has_id;
        assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
        assert_int_equal(m.msgid, 9);
        if (form == 3) {
            assert_non_null(m.params);
            assert_int_equal(m.params->type, MSGPACK_OBJECT_MAP);
            assert_int_equal(m.params->via.map.size, 0);
        } else {
            assert_null(m.params);
        }
        proto_msg_free(&m);
        pb_free(&b);
    }
}

/* Empty strings: msgpack-c gives them a NULL pointer, which must never
 * reach memcpy or memcmp (UBSan fails this test in a sanitizer build;
 * found by tests/fuzz). */
static void decode_empty_strings(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_uint8(&b.pk, 2);
    pack_cstr(&b.pk, "");
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_map(&b.pk, 1);
    pack_cstr(&b.pk, "asset");
    pack_cstr(&b.pk, "");
    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), 0);
    assert_string_equal(m.method, "");
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_string_equal(proto_args_str(&a, "asset", 1), "");
    assert_true(proto_args_ok(&a));
    assert_true(proto_str_eq(&m.params->via.map.ptr[0].val, ""));
    assert_false(proto_str_eq(&m.params->via.map.ptr[0].val, "x"));
    proto_msg_free(&m);
    pb_free(&b);
}

/* Messages of the wrong shape, and whether the peer can still be answered. */
struct shape {
    const char *name;
    void (*pack)(msgpack_packer *pk);
    int has_id;
    uint32_t msgid;  /* when has_id */
    const char *why; /* a word the reason must hold */
};

static void req_head(msgpack_packer *pk, size_t n, uint32_t id)
{
    msgpack_pack_array(pk, n);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint32(pk, id);
}

static void bad_map(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    pack_cstr(pk, "type");
    msgpack_pack_uint8(pk, 0);
}
static void bad_scalar(msgpack_packer *pk)
{
    msgpack_pack_uint8(pk, 0);
}
static void bad_array_of_2(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint8(pk, 1);
}
static void bad_type_3(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 3);
    msgpack_pack_uint8(pk, 1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_type_string(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    pack_cstr(pk, "0");
    msgpack_pack_uint8(pk, 1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_type_negative(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_int8(pk, -1);
    msgpack_pack_uint8(pk, 1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_request_of_5(msgpack_packer *pk)
{
    req_head(pk, 5, 1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
    msgpack_pack_nil(pk);
}
static void bad_request_of_3(msgpack_packer *pk)
{
    req_head(pk, 3, 1);
    pack_cstr(pk, "m");
}
static void bad_msgid_negative(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_int8(pk, -1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_msgid_too_big(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_msgid_string(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    pack_cstr(pk, "1");
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_msgid_float(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_double(pk, 1.0);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
}
static void bad_method_int(msgpack_packer *pk)
{
    req_head(pk, 4, 5);
    msgpack_pack_uint8(pk, 42);
    msgpack_pack_array(pk, 0);
}
static void bad_method_nil(msgpack_packer *pk)
{
    req_head(pk, 4, 6);
    msgpack_pack_nil(pk);
    msgpack_pack_array(pk, 0);
}
static void bad_method_bin(msgpack_packer *pk)
{
    req_head(pk, 4, 7);
    msgpack_pack_bin(pk, 6);
    msgpack_pack_bin_body(pk, "status", 6);
    msgpack_pack_array(pk, 0);
}
static void bad_method_nul(msgpack_packer *pk)
{
    req_head(pk, 4, 8);
    msgpack_pack_str(pk, 10);
    msgpack_pack_str_body(pk, "status\0xyz", 10);
    msgpack_pack_array(pk, 0);
}
static void bad_params_map(msgpack_packer *pk)
{
    req_head(pk, 4, 10);
    pack_cstr(pk, "m");
    msgpack_pack_map(pk, 0);
}
static void bad_params_int(msgpack_packer *pk)
{
    req_head(pk, 4, 11);
    pack_cstr(pk, "m");
    msgpack_pack_uint8(pk, 5);
}
static void bad_params_of_2(msgpack_packer *pk)
{
    req_head(pk, 4, 12);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 2);
    msgpack_pack_map(pk, 0);
    msgpack_pack_map(pk, 0);
}
static void bad_params_5(msgpack_packer *pk)
{
    req_head(pk, 4, 13);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint8(pk, 5);
}
static void bad_params_string(msgpack_packer *pk)
{
    req_head(pk, 4, 14);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 1);
    pack_cstr(pk, "x");
}
static void bad_response_of_3(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_nil(pk);
}
static void bad_response_msgid(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_int8(pk, -3);
    msgpack_pack_nil(pk);
    msgpack_pack_nil(pk);
}
static void bad_notification_of_4(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 2);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 0);
    msgpack_pack_nil(pk);
}
static void bad_notification_method(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 2);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_array(pk, 0);
}
static void bad_notification_nul(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 2);
    msgpack_pack_str(pk, 10);
    msgpack_pack_str_body(pk, "progress\0x", 10);
    msgpack_pack_array(pk, 0);
}
static void bad_notification_params(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 2);
    pack_cstr(pk, "m");
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint8(pk, 5);
}

static const struct shape bad_shapes[] = {
    {"not an array (map)", bad_map, 0, 0, "array"},
    {"not an array (int)", bad_scalar, 0, 0, "array"},
    /* A request's msgid is read before its length is checked, so the peer
     * of a request of the wrong length still gets an answer. */
    {"array of 2", bad_array_of_2, 1, 1, "array"},
    {"type 3", bad_type_3, 0, 0, "type"},
    {"type as a string", bad_type_string, 0, 0, "type"},
    {"type negative", bad_type_negative, 0, 0, "type"},
    {"request of 5", bad_request_of_5, 1, 1, "request"},
    {"request of 3", bad_request_of_3, 1, 1, "request"},
    {"msgid negative", bad_msgid_negative, 0, 0, "msgid"},
    {"msgid over UINT32_MAX", bad_msgid_too_big, 0, 0, "msgid"},
    {"msgid a string", bad_msgid_string, 0, 0, "msgid"},
    {"msgid a float", bad_msgid_float, 0, 0, "msgid"},
    {"method an int", bad_method_int, 1, 5, "method"},
    {"method nil", bad_method_nil, 1, 6, "method"},
    {"method a bin", bad_method_bin, 1, 7, "method"},
    {"method holding NUL", bad_method_nul, 1, 8, "NUL"},
    {"params a map", bad_params_map, 1, 10, "params"},
    {"params an int", bad_params_int, 1, 11, "params"},
    {"params of 2", bad_params_of_2, 1, 12, "params"},
    {"params [5]", bad_params_5, 1, 13, "params"},
    {"params [\"x\"]", bad_params_string, 1, 14, "params"},
    {"response of 3", bad_response_of_3, 0, 0, "response"},
    {"response msgid negative", bad_response_msgid, 0, 0, "msgid"},
    {"notification of 4", bad_notification_of_4, 0, 0, "notification"},
    {"notification method an int", bad_notification_method, 0, 0, "method"},
    {"notification params [5]", bad_notification_params, 0, 0, "params"},
    {"notification method holding NUL", bad_notification_nul, 0, 0, "NUL"},
};

static void decode_bad_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < countof(bad_shapes); i++) {
        const struct shape *s = &bad_shapes[i];
        print_message("%s\n", s->name);
        struct packbuf b;
        pb_init(&b);
        s->pack(&b.pk);
        assert_valid_msgpack(b.sb.data, b.sb.size);
        expect_frame_whole(b.sb.data, b.sb.size);
        struct proto_msg m;
        char why[160];
        int has_id;
        assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), -1);
        assert_true(strlen(why) > 0);
        if (!strstr(why, s->why))
            fail_msg("%s: reason \"%s\" does not mention %s", s->name, why, s->why);
        assert_int_equal(has_id, s->has_id);
        if (s->has_id)
            assert_int_equal(m.msgid, s->msgid);
        proto_msg_free(&m);
        pb_free(&b);
    }
}

/* The decoder is handed exactly one frame: anything else is refused. */
static void decode_not_one_message(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 7);
    size_t whole = b.sb.size;
    msgpack_pack_uint8(&b.pk, 0); /* trailing garbage */
    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(decode(&b, &m, why, sizeof(why), &has_id), -1);
    assert_non_null(strstr(why, "msgpack"));
    assert_int_equal(has_id, 0);
    proto_msg_free(&m);

    /* Two whole requests are not one. */
    struct packbuf two;
    pb_init(&two);
    pack_resolve(&two.pk, 7);
    pack_resolve(&two.pk, 8);
    assert_int_equal(decode(&two, &m, why, sizeof(why), &has_id), -1);
    assert_int_equal(has_id, 0);
    proto_msg_free(&m);
    pb_free(&two);

    /* Truncated by one byte. */
    assert_int_equal(proto_msg_decode(b.sb.data, whole - 1, &m, why, sizeof(why), &has_id), -1);
    assert_true(strlen(why) > 0);
    assert_int_equal(has_id, 0);
    proto_msg_free(&m);

    /* Nothing at all, and the unused byte. */
    assert_int_equal(proto_msg_decode(b.sb.data, 0, &m, why, sizeof(why), &has_id), -1);
    assert_true(strlen(why) > 0);
    proto_msg_free(&m);
    assert_int_equal(proto_msg_decode("\xc1", 1, &m, why, sizeof(why), &has_id), -1);
    assert_true(strlen(why) > 0);
    proto_msg_free(&m);

    /* Exactly the frame decodes. */
    assert_int_equal(proto_msg_decode(b.sb.data, whole, &m, why, sizeof(why), &has_id), 0);
    assert_int_equal(m.msgid, 7);
    proto_msg_free(&m);

    /* A short why buffer is truncated, not overrun. */
    char tiny[6];
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(proto_msg_decode("\x01", 1, &m, tiny, 4, &has_id), -1);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(tiny[4], 'x');
    proto_msg_free(&m);
    pb_free(&b);
}

/* A parked call outlives the reader's buffer: nothing may point into it. */
static void decode_copies_frame(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    pack_resolve(&b.pk, 7);
    size_t n = b.sb.size;
    char *data = malloc(n);
    assert_non_null(data);
    memcpy(data, b.sb.data, n);
    pb_free(&b);

    struct proto_msg m;
    char why[160];
    int has_id;
    assert_int_equal(proto_msg_decode(data, n, &m, why, sizeof(why), &has_id), 0);
    memset(data, 0xa1, n); /* every byte now a one-byte string header */
    free(data);

    assert_string_equal(m.method, "resolve");
    assert_obj_str(obj_get(m.params, "asset"), "Na");
    const msgpack_object *prefs = obj_get(m.params, "prefs");
    assert_non_null(prefs);
    assert_obj_str(obj_get(&prefs->via.array.ptr[0], "pkg"), "x");
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_string_equal(proto_args_str(&a, "asset", 1), "Na");
    assert_true(proto_args_ok(&a));
    proto_msg_free(&m);
    assert_null(m.frame);
}

/* ---- proto_args ------------------------------------------------------- */

/* A request whose params exercise every getter. */
static void args_message(struct proto_msg *m)
{
    struct packbuf b;
    pb_init(&b);
    proto_pack_request(&b.pk, 1, "t", 1);
    msgpack_pack_map(&b.pk, 17);
    proto_pack_kstr(&b.pk, "s", "Na");
    proto_pack_key(&b.pk, "nul");
    proto_pack_strn(&b.pk, "a\0b", 3);
    proto_pack_kint(&b.pk, "i", 42);
    proto_pack_kint(&b.pk, "neg", -7);
    proto_pack_kint(&b.pk, "min", INT64_MIN);
    proto_pack_kint(&b.pk, "max", INT64_MAX);
    proto_pack_key(&b.pk, "big");
    msgpack_pack_uint64(&b.pk, (uint64_t)INT64_MAX + 1);
    proto_pack_kdouble(&b.pk, "f", 1.5);
    proto_pack_kbool(&b.pk, "t", 1);
    proto_pack_kbool(&b.pk, "fls", 0);
    proto_pack_kstr(&b.pk, "nil", NULL);
    proto_pack_key(&b.pk, "v");
    msgpack_pack_array(&b.pk, 2);
    proto_pack_str(&b.pk, "a");
    proto_pack_str(&b.pk, "bc");
    proto_pack_key(&b.pk, "empty");
    msgpack_pack_array(&b.pk, 0);
    proto_pack_key(&b.pk, "vbad");
    msgpack_pack_array(&b.pk, 2);
    proto_pack_str(&b.pk, "a");
    msgpack_pack_uint8(&b.pk, 1);
    proto_pack_key(&b.pk, "vnul");
    msgpack_pack_array(&b.pk, 2);
    proto_pack_str(&b.pk, "a");
    proto_pack_strn(&b.pk, "b\0c", 3);
    proto_pack_key(&b.pk, "m");
    msgpack_pack_map(&b.pk, 1);
    proto_pack_kint(&b.pk, "k", 1);
    proto_pack_key(&b.pk, "asset"); /* a key that is a prefix of another */
    msgpack_pack_uint8(&b.pk, 3);
    frame_and_decode(&b, m);
    pb_free(&b);
}

static void args_str(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    const char *s = proto_args_str(&a, "s", 1);
    assert_string_equal(s, "Na");
    assert_null(proto_args_str(&a, "absent", 0));
    assert_null(proto_args_str(&a, "nil", 0));
    assert_null(proto_args_str(&a, "S", 0)); /* keys are case-sensitive */
    assert_true(proto_args_ok(&a));
    assert_string_equal(a.err, "");

    proto_args_init(&a, &m);
    assert_null(proto_args_str(&a, "pkg", 1));
    assert_false(proto_args_ok(&a));
    assert_string_equal(a.err, "missing parameter 'pkg'");

    proto_args_init(&a, &m); /* nil counts as absent */
    assert_null(proto_args_str(&a, "nil", 1));
    assert_string_equal(a.err, "missing parameter 'nil'");

    proto_args_init(&a, &m);
    assert_null(proto_args_str(&a, "i", 0));
    assert_string_equal(a.err, "parameter 'i' must be a string");

    proto_args_init(&a, &m);
    assert_null(proto_args_str(&a, "m", 1));
    assert_string_equal(a.err, "parameter 'm' must be a string");

    proto_args_init(&a, &m);
    assert_null(proto_args_str(&a, "nul", 0));
    assert_false(proto_args_ok(&a));
    assert_non_null(strstr(a.err, "'nul'"));
    assert_non_null(strstr(a.err, "NUL"));
    proto_msg_free(&m);
}

static void args_int(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_int_equal(proto_args_int(&a, "i", -1), 42);
    assert_int_equal(proto_args_int(&a, "neg", 0), -7);
    assert_true(proto_args_int(&a, "min", 0) == INT64_MIN);
    assert_true(proto_args_int(&a, "max", 0) == INT64_MAX);
    assert_int_equal(proto_args_int(&a, "absent", 99), 99);
    assert_int_equal(proto_args_int(&a, "nil", -99), -99);
    assert_true(proto_args_ok(&a));

    static const char *const wrong[] = {"s", "big", "f", "t", "v", "m"};
    for (size_t i = 0; i < countof(wrong); i++) {
        proto_args_init(&a, &m);
        assert_int_equal(proto_args_int(&a, wrong[i], 17), 17);
        assert_false(proto_args_ok(&a));
        char want[80];
        snprintf(want, sizeof(want), "parameter '%s' must be an integer", wrong[i]);
        assert_string_equal(a.err, want);
    }
    proto_msg_free(&m);
}

static void args_bool(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_int_equal(proto_args_bool(&a, "t", 0), 1);
    assert_int_equal(proto_args_bool(&a, "fls", 1), 0);
    assert_int_equal(proto_args_bool(&a, "absent", 1), 1);
    assert_int_equal(proto_args_bool(&a, "absent", 0), 0);
    assert_int_equal(proto_args_bool(&a, "nil", 1), 1);
    assert_true(proto_args_ok(&a));

    proto_args_init(&a, &m);
    assert_int_equal(proto_args_bool(&a, "i", 1), 1); /* 42 is not true */
    assert_string_equal(a.err, "parameter 'i' must be true or false");
    proto_args_init(&a, &m);
    assert_int_equal(proto_args_bool(&a, "s", 0), 0);
    assert_false(proto_args_ok(&a));
    proto_msg_free(&m);
}

static void args_strv(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    size_t n = 77;
    const char **v = proto_args_strv(&a, "v", &n);
    assert_non_null(v);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "bc");
    assert_null(v[2]);

    n = 77;
    v = proto_args_strv(&a, "empty", &n);
    assert_non_null(v);
    assert_int_equal(n, 0);
    assert_null(v[0]);

    n = 77;
    assert_null(proto_args_strv(&a, "absent", &n));
    assert_int_equal(n, 0);
    n = 77;
    assert_null(proto_args_strv(&a, "nil", &n));
    assert_int_equal(n, 0);
    assert_true(proto_args_ok(&a));

    static const char *const wrong[] = {"s", "vbad", "m", "vnul"};
    for (size_t i = 0; i < countof(wrong); i++) {
        proto_args_init(&a, &m);
        n = 77;
        assert_null(proto_args_strv(&a, wrong[i], &n));
        assert_int_equal(n, 0);
        assert_false(proto_args_ok(&a));
        char key[16];
        snprintf(key, sizeof(key), "'%s'", wrong[i]);
        assert_non_null(strstr(a.err, key));
    }
    proto_args_init(&a, &m);
    assert_null(proto_args_strv(&a, "vnul", &n));
    assert_string_equal(a.err, "parameter 'vnul' holds a NUL byte");
    proto_msg_free(&m);
}

static void args_map(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    const msgpack_object *o = proto_args_map(&a, "m");
    assert_non_null(o);
    assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(o->via.map.size, 1);
    assert_true(proto_str_eq(&o->via.map.ptr[0].key, "k"));
    assert_null(proto_args_map(&a, "absent"));
    assert_null(proto_args_map(&a, "nil"));
    assert_true(proto_args_ok(&a));

    proto_args_init(&a, &m);
    assert_null(proto_args_map(&a, "v"));
    assert_string_equal(a.err, "parameter 'v' must be a map");
    proto_msg_free(&m);
}

static void args_get_matches_whole_key(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    const msgpack_object *o = proto_args_get(&a, "asset");
    assert_non_null(o);
    assert_int_equal(o->via.u64, 3);
    assert_null(proto_args_get(&a, "asse"));
    assert_null(proto_args_get(&a, "assets"));
    assert_null(proto_args_get(&a, ""));
    assert_null(proto_args_get(&a, "nil"));
    o = proto_args_get(&a, "i");
    assert_non_null(o);
    assert_int_equal(o->via.u64, 42);
    proto_msg_free(&m);

    /* Keys that are not strings are skipped, not misread. */
    struct packbuf b;
    pb_init(&b);
    proto_pack_request(&b.pk, 1, "t", 1);
    msgpack_pack_map(&b.pk, 2);
    msgpack_pack_uint8(&b.pk, 'k');
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_bin(&b.pk, 1);
    msgpack_pack_bin_body(&b.pk, "k", 1);
    msgpack_pack_uint8(&b.pk, 2);
    frame_and_decode(&b, &m);
    proto_args_init(&a, &m);
    assert_null(proto_args_get(&a, "k"));
    proto_msg_free(&m);
    pb_free(&b);
}

static void args_first_error_wins(void **state)
{
    (void)state;
    struct proto_msg m;
    args_message(&m);
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_true(proto_args_ok(&a));
    assert_int_equal(proto_args_int(&a, "s", 5), 5);
    assert_null(proto_args_str(&a, "i", 1));
    assert_int_equal(proto_args_bool(&a, "s", 0), 0);
    assert_null(proto_args_str(&a, "absent", 1));
    proto_args_fail(&a, "the method says %s", "no");
    assert_string_equal(a.err, "parameter 's' must be an integer");
    /* Good values still come back after an error. */
    assert_string_equal(proto_args_str(&a, "s", 1), "Na");
    assert_int_equal(proto_args_int(&a, "i", 0), 42);
    assert_false(proto_args_ok(&a));

    proto_args_init(&a, &m);
    proto_args_fail(&a, "bad %s: %d", "count", 5);
    assert_string_equal(a.err, "bad count: 5");
    proto_args_fail(&a, "second");
    assert_string_equal(a.err, "bad count: 5");

    /* An overlong message is cut to fit, and still terminated. */
    char longkey[400];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    proto_args_init(&a, &m);
    assert_null(proto_args_str(&a, longkey, 1));
    assert_int_equal(strlen(a.err), sizeof(a.err) - 1);
    assert_memory_equal(a.err, "missing parameter 'kkk", 22);
    proto_msg_free(&m);
}

static void args_without_params(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    proto_pack_request(&b.pk, 3, "status", 0);
    struct proto_msg m;
    frame_and_decode(&b, &m);
    assert_null(m.params);
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_null(a.map);
    assert_null(proto_args_get(&a, "x"));
    assert_null(proto_args_str(&a, "x", 0));
    assert_int_equal(proto_args_int(&a, "x", 8), 8);
    assert_int_equal(proto_args_bool(&a, "x", 1), 1);
    size_t n = 5;
    assert_null(proto_args_strv(&a, "x", &n));
    assert_int_equal(n, 0);
    assert_null(proto_args_map(&a, "x"));
    assert_true(proto_args_ok(&a));
    assert_null(proto_args_str(&a, "asset", 1));
    assert_string_equal(a.err, "missing parameter 'asset'");
    proto_msg_free(&m);
    pb_free(&b);
}

static void zone_str_and_str_eq(void **state)
{
    (void)state;
    msgpack_zone *zone = msgpack_zone_new(1024);
    assert_non_null(zone);
    msgpack_object s = {.type = MSGPACK_OBJECT_STR, .via.str = {.size = 3, .ptr = "abcdef"}};
    const char *c = proto_zone_str(zone, &s);
    assert_string_equal(c, "abc");
    assert_ptr_not_equal(c, s.via.str.ptr);
    msgpack_object empty = {.type = MSGPACK_OBJECT_STR, .via.str = {.size = 0, .ptr = "x"}};
    assert_string_equal(proto_zone_str(zone, &empty), "");
    msgpack_object bin = {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = 3, .ptr = "abc"}};
    assert_null(proto_zone_str(zone, &bin));
    assert_null(proto_zone_str(zone, NULL));

    assert_true(proto_str_eq(&s, "abc"));
    assert_false(proto_str_eq(&s, "ab"));
    assert_false(proto_str_eq(&s, "abcd"));
    assert_false(proto_str_eq(&s, "abd"));
    assert_true(proto_str_eq(&empty, ""));
    assert_false(proto_str_eq(&bin, "abc"));
    msgpack_zone_free(zone);
}

/* ---- Packing helpers -------------------------------------------------- */

static void pack_request_round_trip(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    proto_pack_request(&b.pk, 4000000000u, "resolve", 1);
    msgpack_pack_map(&b.pk, 6);
    proto_pack_kstr(&b.pk, "asset", "Na");
    proto_pack_kint(&b.pk, "n", -3);
    proto_pack_kbool(&b.pk, "yes", 1);
    proto_pack_kbool(&b.pk, "no", 0);
    proto_pack_kdouble(&b.pk, "d", 2.5);
    proto_pack_kstr(&b.pk, "none", NULL);
    struct proto_msg m;
    frame_and_decode(&b, &m);
    assert_int_equal(m.type, PROTO_REQUEST);
    assert_int_equal(m.msgid, 4000000000u);
    assert_string_equal(m.method, "resolve");
    assert_int_equal(m.params->via.map.size, 6);
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_string_equal(proto_args_str(&a, "asset", 1), "Na");
    assert_int_equal(proto_args_int(&a, "n", 0), -3);
    assert_int_equal(proto_args_bool(&a, "yes", 0), 1);
    assert_int_equal(proto_args_bool(&a, "no", 1), 0);
    const msgpack_object *d = proto_args_get(&a, "d");
    assert_non_null(d);
    assert_int_equal(d->type, MSGPACK_OBJECT_FLOAT64);
    assert_true(d->via.f64 == 2.5);
    assert_null(proto_args_get(&a, "none"));
    assert_true(proto_args_ok(&a));
    proto_msg_free(&m);
    pb_free(&b);

    /* Without params: [0, id, method, []]. */
    pb_init(&b);
    proto_pack_request(&b.pk, 0, "status", 0);
    frame_and_decode(&b, &m);
    assert_int_equal(m.msgid, 0);
    assert_string_equal(m.method, "status");
    assert_null(m.params);
    const msgpack_object *raw = &m.unpacked.data;
    assert_int_equal(raw->via.array.size, 4);
    assert_int_equal(raw->via.array.ptr[3].type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(raw->via.array.ptr[3].via.array.size, 0);
    proto_msg_free(&m);
    pb_free(&b);
}

static void pack_notification_round_trip(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    proto_pack_notification(&b.pk, "progress");
    msgpack_pack_map(&b.pk, 2);
    proto_pack_kint(&b.pk, "done", 3);
    proto_pack_kstr(&b.pk, "of", "build");
    struct proto_msg m;
    frame_and_decode(&b, &m);
    assert_int_equal(m.type, PROTO_NOTIFICATION);
    assert_string_equal(m.method, "progress");
    struct proto_args a;
    proto_args_init(&a, &m);
    assert_int_equal(proto_args_int(&a, "done", 0), 3);
    assert_string_equal(proto_args_str(&a, "of", 1), "build");
    proto_msg_free(&m);
    pb_free(&b);
}

static void pack_result_round_trip(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    proto_pack_result_header(&b.pk, 9);
    msgpack_pack_map(&b.pk, 1);
    proto_pack_kstr(&b.pk, "mech", "glia__dbbs__Kv1__0");
    struct proto_msg m;
    frame_and_decode(&b, &m);
    assert_int_equal(m.type, PROTO_RESPONSE);
    assert_int_equal(m.msgid, 9);
    assert_null(m.error);
    assert_obj_str(obj_get(m.result, "mech"), "glia__dbbs__Kv1__0");
    proto_msg_free(&m);
    pb_free(&b);

    /* A nil result is still a result. */
    pb_init(&b);
    proto_pack_result_header(&b.pk, 70000);
    msgpack_pack_nil(&b.pk);
    frame_and_decode(&b, &m);
    assert_int_equal(m.msgid, 70000);
    assert_null(m.error);
    assert_non_null(m.result);
    assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
    proto_msg_free(&m);
    pb_free(&b);
}

static void pack_error_round_trip(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    proto_pack_error(&b.pk, 12, PROTO_E_UNKNOWN_ASSET, "no asset named 'Na'");
    struct proto_msg m;
    frame_and_decode(&b, &m);
    assert_int_equal(m.type, PROTO_RESPONSE);
    assert_int_equal(m.msgid, 12);
    assert_non_null(m.error);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(m.error->via.map.size, 2);
    assert_obj_str(obj_get(m.error, "code"), "unknown_asset");
    assert_obj_str(obj_get(m.error, "message"), "no asset named 'Na'");
    assert_non_null(m.result);
    assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
    proto_msg_free(&m);
    pb_free(&b);
}

static void pack_error_with_extras_round_trip(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    size_t mark = proto_pack_error_begin(&b.pk, 13, PROTO_E_AMBIGUOUS, "two candidates");
    proto_pack_kstr(&b.pk, "asset", "Kv1");
    proto_pack_key(&b.pk, "candidates");
    msgpack_pack_array(&b.pk, 2);
    proto_pack_str(&b.pk, "glia__a__Kv1__fast");
    proto_pack_str(&b.pk, "glia__b__Kv1__slow");
    proto_pack_error_end(&b.pk, mark);
    struct proto_msg m;
    frame_and_decode(&b, &m); /* one frame exactly: the map count was right */
    assert_int_equal(m.msgid, 13);
    assert_int_equal(m.error->via.map.size, 4);
    assert_obj_str(obj_get(m.error, "code"), "ambiguous");
    assert_obj_str(obj_get(m.error, "message"), "two candidates");
    assert_obj_str(obj_get(m.error, "asset"), "Kv1");
    const msgpack_object *c = obj_get(m.error, "candidates");
    assert_non_null(c);
    assert_int_equal(c->via.array.size, 2);
    assert_obj_str(&c->via.array.ptr[1], "glia__b__Kv1__slow");
    assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
    proto_msg_free(&m);
    pb_free(&b);
}

static void pack_strings(void **state)
{
    (void)state;
    struct packbuf b;
    pb_init(&b);
    msgpack_pack_array(&b.pk, 4);
    proto_pack_str(&b.pk, "abc");
    proto_pack_str(&b.pk, NULL);
    proto_pack_strn(&b.pk, "a\0b", 3);
    proto_pack_str(&b.pk, "");
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, b.sb.data, b.sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, b.sb.size);
    const msgpack_object *v = u.data.via.array.ptr;
    assert_obj_str(&v[0], "abc");
    assert_int_equal(v[1].type, MSGPACK_OBJECT_NIL);
    assert_int_equal(v[2].type, MSGPACK_OBJECT_STR);
    assert_int_equal(v[2].via.str.size, 3);
    assert_memory_equal(v[2].via.str.ptr, "a\0b", 3);
    assert_obj_str(&v[3], "");
    msgpack_unpacked_destroy(&u);
    pb_free(&b);
}

/* ---- Client ----------------------------------------------------------- */

struct saved_env {
    char *glia, *xdg;
};

static char *dup_env(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static void env_save(struct saved_env *e)
{
    e->glia = dup_env("GLIA_SOCKET");
    e->xdg = dup_env("XDG_RUNTIME_DIR");
}

static void env_put(const char *name, const char *val)
{
    if (val)
        assert_int_equal(setenv(name, val, 1), 0);
    else
        assert_int_equal(unsetenv(name), 0);
}

static void env_restore(struct saved_env *e)
{
    env_put("GLIA_SOCKET", e->glia);
    env_put("XDG_RUNTIME_DIR", e->xdg);
    free(e->glia);
    free(e->xdg);
}

/* ---- Deferred counts -------------------------------------------------- */

/* The one msgpack value in b, decoded by msgpack-c (free with
 * msgpack_unpacked_destroy). */
static const msgpack_object *unpack_whole(const struct packbuf *b, msgpack_unpacked *u)
{
    msgpack_unpacked_init(u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(u, b->sb.data, b->sb.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, b->sb.size);
    return &u->data;
}

static void assert_same_bytes(const struct packbuf *a, const struct packbuf *b)
{
    assert_int_equal(a->sb.size, b->sb.size);
    assert_memory_equal(a->sb.data, b->sb.data, a->sb.size);
}

/* Every header size: fix, 16 and 32 bits, and their edges. */
static const uint32_t defer_sizes[] = {0, 1, 15, 16, 65535, 65536, 70000};

/* n elements: n pairs {i: "odd"/"even"} for a map, n integers for an array. */
static void pack_elements(msgpack_packer *pk, int map, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_uint32(pk, i);
        if (map)
            proto_pack_str(pk, i % 2 ? "odd" : "even");
    }
}

/* A deferred map or array holds what one counted by hand holds, byte for
 * byte, and msgpack-c reads back every element. */
static void check_counts_itself(int map)
{
    for (size_t s = 0; s < countof(defer_sizes); s++) {
        uint32_t n = defer_sizes[s];
        struct packbuf d, h;
        pb_init(&d);
        pb_init(&h);
        size_t mark = map ? proto_map_open(&d.pk) : proto_array_open(&d.pk);
        pack_elements(&d.pk, map, n);
        if (map)
            proto_map_close(&d.pk, mark);
        else
            proto_array_close(&d.pk, mark);
        if (map)
            msgpack_pack_map(&h.pk, n);
        else
            msgpack_pack_array(&h.pk, n);
        pack_elements(&h.pk, map, n);
        assert_same_bytes(&d, &h);

        msgpack_unpacked u;
        const msgpack_object *o = unpack_whole(&d, &u);
        assert_int_equal(o->type, map ? MSGPACK_OBJECT_MAP : MSGPACK_OBJECT_ARRAY);
        assert_int_equal(map ? o->via.map.size : o->via.array.size, n);
        for (uint32_t i = 0; i < n; i++) {
            const msgpack_object *first = map ? &o->via.map.ptr[i].key : &o->via.array.ptr[i];
            assert_int_equal(first->via.u64, i);
            if (map)
                assert_obj_str(&o->via.map.ptr[i].val, i % 2 ? "odd" : "even");
        }
        msgpack_unpacked_destroy(&u);
        pb_free(&d);
        pb_free(&h);
    }
}

static void defer_map_counts_itself(void **state)
{
    (void)state;
    check_counts_itself(1);
}

static void defer_array_counts_itself(void **state)
{
    (void)state;
    check_counts_itself(0);
}

/* Payload bytes that look like headers: the count must skip them by the
 * lengths their own headers give, not read them. */
static const char lookalike[] = "\xdf\xff\xff\xff\xff\x81\x92\xdd";

/* {"name": "Kv1", "deps": [{"a": 1}, {}, []], "inner": {"deep": {"deeper":
 * [nil, true, BIN]}}, "big": 70000 x "x", "empty": {}}, its maps and
 * arrays opened and closed nested, or counted by hand. */
static void pack_reply_shape(msgpack_packer *pk, int deferred)
{
    size_t top = 0, deps = 0, a = 0, e1 = 0, e2 = 0, inner = 0, deep = 0, deeper = 0, e3 = 0;
#define OPEN_MAP(mark, n)                                                                          \
    (deferred ? (void)(mark = proto_map_open(pk)) : (void)msgpack_pack_map(pk, n))
#define OPEN_ARRAY(mark, n)                                                                        \
    (deferred ? (void)(mark = proto_array_open(pk)) : (void)msgpack_pack_array(pk, n))
#define CLOSE_MAP(mark) (deferred ? proto_map_close(pk, mark) : (void)0)
#define CLOSE_ARRAY(mark) (deferred ? proto_array_close(pk, mark) : (void)0)
    OPEN_MAP(top, 5);
    proto_pack_kstr(pk, "name", "Kv1");
    proto_pack_key(pk, "deps");
    OPEN_ARRAY(deps, 3);
    OPEN_MAP(a, 1);
    proto_pack_kint(pk, "a", 1);
    CLOSE_MAP(a);
    OPEN_MAP(e1, 0);
    CLOSE_MAP(e1);
    OPEN_ARRAY(e2, 0);
    CLOSE_ARRAY(e2);
    CLOSE_ARRAY(deps);
    proto_pack_key(pk, "inner");
    OPEN_MAP(inner, 1);
    proto_pack_key(pk, "deep");
    OPEN_MAP(deep, 1);
    proto_pack_key(pk, "deeper");
    OPEN_ARRAY(deeper, 3);
    msgpack_pack_nil(pk);
    msgpack_pack_true(pk);
    msgpack_pack_bin(pk, sizeof(lookalike) - 1);
    msgpack_pack_bin_body(pk, lookalike, sizeof(lookalike) - 1);
    CLOSE_ARRAY(deeper);
    CLOSE_MAP(deep);
    CLOSE_MAP(inner);
    proto_pack_key(pk, "big");
    msgpack_pack_str(pk, sizeof(blob));
    msgpack_pack_str_body(pk, blob, sizeof(blob));
    proto_pack_key(pk, "empty");
    OPEN_MAP(e3, 0);
    CLOSE_MAP(e3);
    CLOSE_MAP(top);
#undef OPEN_MAP
#undef OPEN_ARRAY
#undef CLOSE_MAP
#undef CLOSE_ARRAY
}

static void defer_nested(void **state)
{
    (void)state;
    struct packbuf d, h;
    pb_init(&d);
    pb_init(&h);
    pack_reply_shape(&d.pk, 1);
    pack_reply_shape(&h.pk, 0);
    assert_same_bytes(&d, &h);

    msgpack_unpacked u;
    const msgpack_object *o = unpack_whole(&d, &u);
    assert_int_equal(o->via.map.size, 5);
    assert_obj_str(obj_get(o, "name"), "Kv1");
    const msgpack_object *deps = obj_get(o, "deps");
    assert_int_equal(deps->via.array.size, 3);
    assert_int_equal(obj_get(&deps->via.array.ptr[0], "a")->via.u64, 1);
    assert_int_equal(deps->via.array.ptr[1].type, MSGPACK_OBJECT_MAP);
    assert_int_equal(deps->via.array.ptr[1].via.map.size, 0);
    assert_int_equal(deps->via.array.ptr[2].type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(deps->via.array.ptr[2].via.array.size, 0);
    const msgpack_object *deeper = obj_get(obj_get(obj_get(o, "inner"), "deep"), "deeper");
    assert_int_equal(deeper->via.array.size, 3);
    assert_int_equal(deeper->via.array.ptr[2].via.bin.size, sizeof(lookalike) - 1);
    assert_int_equal(obj_get(o, "big")->via.str.size, sizeof(blob));
    assert_int_equal(obj_get(o, "empty")->via.map.size, 0);
    msgpack_unpacked_destroy(&u);
    pb_free(&d);
    pb_free(&h);
}

/* Every kind of element, each as a map's value and an array's item: the
 * count steps over each by its own header. */
static void defer_every_type(void **state)
{
    (void)state;
    struct packbuf d, h;
    pb_init(&d);
    pb_init(&h);
    size_t map = proto_map_open(&d.pk);
    msgpack_pack_map(&h.pk, countof(samples));
    for (size_t i = 0; i < countof(samples); i++) {
        pack_cstr(&d.pk, samples[i].name);
        size_t arr = proto_array_open(&d.pk);
        samples[i].pack(&d.pk);
        samples[i].pack(&d.pk);
        proto_array_close(&d.pk, arr);
        pack_cstr(&h.pk, samples[i].name);
        msgpack_pack_array(&h.pk, 2);
        samples[i].pack(&h.pk);
        samples[i].pack(&h.pk);
    }
    proto_map_close(&d.pk, map);
    assert_same_bytes(&d, &h);
    pb_free(&d);
    pb_free(&h);
}

/* What a miscount by hand would send on, a deferred count refuses: the
 * process stops (assert) rather than write a header that lies. */
static void key_without_value(void)
{
    struct packbuf b;
    pb_init(&b);
    size_t m = proto_map_open(&b.pk);
    proto_pack_kstr(&b.pk, "env", "default");
    proto_pack_key(&b.pk, "status");
    proto_map_close(&b.pk, m);
}

static void inner_left_open(void)
{
    struct packbuf b;
    pb_init(&b);
    size_t outer = proto_map_open(&b.pk);
    proto_pack_key(&b.pk, "last_build");
    proto_map_open(&b.pk);
    proto_pack_kint(&b.pk, "build", 1);
    proto_map_close(&b.pk, outer);
}

static void closed_twice(void)
{
    struct packbuf b;
    pb_init(&b);
    size_t m = proto_array_open(&b.pk);
    msgpack_pack_nil(&b.pk);
    proto_array_close(&b.pk, m);
    proto_array_close(&b.pk, m);
}

static void expect_abort(void (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2); /* the assert's own message is expected */
        fn();
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
}

static void defer_refuses_a_wrong_shape(void **state)
{
    (void)state;
    expect_abort(key_without_value);
    expect_abort(inner_left_open);
    expect_abort(closed_twice);
}

static void default_socket(void **state)
{
    (void)state;
    struct saved_env saved;
    env_save(&saved);
    char buf[256], want[256];

    env_put("GLIA_SOCKET", "/srv/glia/test.sock");
    env_put("XDG_RUNTIME_DIR", "/run/user/4321");
    assert_ptr_equal(proto_default_socket(buf, sizeof(buf)), buf);
    assert_string_equal(buf, "/srv/glia/test.sock");

    env_put("GLIA_SOCKET", ""); /* empty means unset */
    assert_ptr_equal(proto_default_socket(buf, sizeof(buf)), buf);
    assert_string_equal(buf, "/run/user/4321/glia/gliad.sock");

    env_put("GLIA_SOCKET", NULL);
    assert_ptr_equal(proto_default_socket(buf, sizeof(buf)), buf);
    assert_string_equal(buf, "/run/user/4321/glia/gliad.sock");

    snprintf(want, sizeof(want), "/tmp/glia-%u/gliad.sock", (unsigned)getuid());
    env_put("XDG_RUNTIME_DIR", NULL);
    assert_ptr_equal(proto_default_socket(buf, sizeof(buf)), buf);
    assert_string_equal(buf, want);
    env_put("XDG_RUNTIME_DIR", "");
    assert_ptr_equal(proto_default_socket(buf, sizeof(buf)), buf);
    assert_string_equal(buf, want);

    /* Exactly fitting, and one byte short, for each source. */
    size_t n = strlen(want);
    assert_ptr_equal(proto_default_socket(buf, n + 1), buf);
    assert_string_equal(buf, want);
    assert_null(proto_default_socket(buf, n));
    env_put("XDG_RUNTIME_DIR", "/run/user/4321");
    n = strlen("/run/user/4321/glia/gliad.sock");
    assert_ptr_equal(proto_default_socket(buf, n + 1), buf);
    assert_null(proto_default_socket(buf, n));
    env_put("GLIA_SOCKET", "/srv/glia/test.sock");
    n = strlen("/srv/glia/test.sock");
    assert_ptr_equal(proto_default_socket(buf, n + 1), buf);
    assert_null(proto_default_socket(buf, n));
    assert_null(proto_default_socket(buf, 1));

    env_restore(&saved);
}

static void client_connect_missing_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_proto.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/gliad.sock", dir);
    struct proto_client c;
    char err[256] = "";
    errno = 0;
    assert_int_equal(proto_client_connect(&c, path, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, path));
    assert_int_equal(c.fd, -1);
    proto_client_close(&c);
    assert_int_equal(rmdir(dir), 0);

    /* A path that cannot be a Unix socket address at all. */
    char longpath[200];
    memset(longpath, 'p', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    errno = 0;
    assert_int_equal(proto_client_connect(&c, longpath, err, sizeof(err)), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(c.fd, -1);
    proto_client_close(&c);
}

/* As proto_client_connect leaves a client, on an fd we already hold. */
static void client_on_fd(struct proto_client *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->next_id = 1;
    proto_reader_init(&c->reader);
    msgpack_sbuffer_init(&c->out);
    msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);
}

/* A client on one end of a socketpair; returns the other end, gliad's. */
static int client_on_socketpair(struct proto_client *c)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    client_on_fd(c, sv[0]);
    return sv[1];
}

static void send_all(int fd, const struct packbuf *b)
{
    size_t off = 0;
    while (off < b->sb.size) {
        ssize_t n = write(fd, b->sb.data + off, b->sb.size - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
}

/* The fake server's side: reads until one whole message, and decodes it. */
static void server_read(int fd, struct proto_reader *r, struct proto_msg *m)
{
    for (;;) {
        const char *msg, *why;
        size_t len;
        int rc = next(r, &msg, &len, &why);
        assert_int_not_equal(rc, -1);
        if (rc == 1) {
            char reason[160];
            int has_id;
            if (proto_msg_decode(msg, len, m, reason, sizeof(reason), &has_id) < 0)
                fail_msg("server got a bad message: %s", reason);
            return;
        }
        char *base;
        size_t space;
        assert_int_equal(proto_reader_space(r, 0, &base, &space), 0);
        ssize_t n = read(fd, base, space);
        assert_true(n > 0);
        proto_reader_commit(r, (size_t)n);
    }
}

struct notes {
    int count;
    int64_t last_done;
    char method[32];
};

static void on_note(void *ud, struct proto_msg *note)
{
    struct notes *n = ud;
    struct proto_args a;
    proto_args_init(&a, note);
    n->count++;
    n->last_done = proto_args_int(&a, "done", -1);
    snprintf(n->method, sizeof(n->method), "%s", note->method);
}

static void pack_progress(msgpack_packer *pk, int done)
{
    proto_pack_notification(pk, "progress");
    msgpack_pack_map(pk, 1);
    proto_pack_kint(pk, "done", done);
}

/* gliad's side is written ahead into the socket buffer: the client sends
 * first and reads after, so no second thread is needed to answer it. */
static void client_call_over_socketpair(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct proto_client c;
    client_on_fd(&c, sv[0]);

    struct packbuf srv;
    pb_init(&srv);
    pack_progress(&srv.pk, 1);
    proto_pack_result_header(&srv.pk, 99); /* someone else's answer: skipped */
    proto_pack_str(&srv.pk, "stale");
    pack_progress(&srv.pk, 2);
    proto_pack_result_header(&srv.pk, 1);
    msgpack_pack_map(&srv.pk, 1);
    proto_pack_kbool(&srv.pk, "ok", 1);
    send_all(sv[1], &srv);
    pb_free(&srv);

    uint32_t id = proto_client_begin(&c, "status", 1);
    assert_int_equal(id, 1);
    proto_pack_kbool(&c.pk, "verbose", 1); /* the map around it is the client's */
    struct proto_msg resp;
    struct notes notes = {0};
    char err[256] = "";
    assert_int_equal(proto_client_call(&c, &resp, on_note, &notes, err, sizeof(err)), 0);
    assert_int_equal(resp.type, PROTO_RESPONSE);
    assert_int_equal(resp.msgid, 1);
    assert_null(resp.error);
    const msgpack_object *ok = obj_get(resp.result, "ok");
    assert_non_null(ok);
    assert_true(ok->via.boolean);
    proto_msg_free(&resp);
    assert_int_equal(notes.count, 2);
    assert_int_equal(notes.last_done, 2);
    assert_string_equal(notes.method, "progress");
    assert_int_equal(c.out.size, 0); /* flushed */

    /* What gliad received. */
    struct proto_reader sr;
    proto_reader_init(&sr);
    struct proto_msg req;
    server_read(sv[1], &sr, &req);
    assert_int_equal(req.type, PROTO_REQUEST);
    assert_int_equal(req.msgid, 1);
    assert_string_equal(req.method, "status");
    struct proto_args a;
    proto_args_init(&a, &req);
    assert_int_equal(proto_args_bool(&a, "verbose", 0), 1);
    assert_true(proto_args_ok(&a));
    proto_msg_free(&req);

    /* Second call: the next msgid, an error answer, notifications ignored
     * without a callback. An error response is still a completed call. */
    pb_init(&srv);
    pack_progress(&srv.pk, 3);
    proto_pack_error(&srv.pk, 2, PROTO_E_UNKNOWN_METHOD, "no method 'nope'");
    send_all(sv[1], &srv);
    pb_free(&srv);
    assert_int_equal(proto_client_begin(&c, "nope", 0), 2);
    assert_int_equal(proto_client_call(&c, &resp, NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(resp.msgid, 2);
    assert_non_null(resp.error);
    assert_obj_str(obj_get(resp.error, "code"), "unknown_method");
    proto_msg_free(&resp);
    server_read(sv[1], &sr, &req);
    assert_int_equal(req.msgid, 2);
    assert_string_equal(req.method, "nope");
    assert_null(req.params);
    proto_msg_free(&req);
    proto_reader_free(&sr);

    /* gliad hangs up before answering. */
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    proto_client_begin(&c, "status", 0);
    assert_int_equal(proto_client_call(&c, &resp, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "closed the connection"));

    /* ... and goes away entirely: the send itself fails, with no SIGPIPE. */
    close(sv[1]);
    proto_client_begin(&c, "status", 0);
    assert_int_equal(proto_client_call(&c, &resp, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "lost the connection"));

    proto_client_close(&c);
    assert_int_equal(c.fd, -1);
}

static void client_unreadable_replies(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        struct proto_client c;
        client_on_fd(&c, sv[0]);
        struct packbuf srv;
        pb_init(&srv);
        const char *word;
        if (kind == 0) {
            msgpack_sbuffer_write(&srv.sb, "\xc1", 1);
            word = "0xc1";
        } else if (kind == 1) {
            msgpack_pack_array(&srv.pk, 1); /* framed, but not a message */
            msgpack_pack_uint8(&srv.pk, 5);
            word = "array";
        } else {
            msgpack_pack_str(&srv.pk, UINT32_MAX);
            word = "1 MiB";
        }
        send_all(sv[1], &srv);
        pb_free(&srv);
        proto_client_begin(&c, "status", 0);
        struct proto_msg resp;
        char err[256] = "";
        assert_int_equal(proto_client_call(&c, &resp, NULL, NULL, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unreadable reply"));
        assert_non_null(strstr(err, word));
        proto_client_close(&c);
        close(sv[1]);
    }
}

/* gliad's last word before it hangs up (proto_pack_error_note) is the
 * answer to the call in flight. */
static void client_takes_the_farewell_as_its_answer(void **state)
{
    (void)state;
    struct proto_client c;
    int gliad = client_on_socketpair(&c);
    struct packbuf srv;
    pb_init(&srv);
    proto_pack_error_note(&srv.pk, PROTO_E_TOO_LARGE, "message larger than 1 MiB");
    send_all(gliad, &srv);
    pb_free(&srv);
    assert_int_equal(shutdown(gliad, SHUT_WR), 0);

    proto_client_begin(&c, "status", 1);
    proto_pack_kbool(&c.pk, "verbose", 1);
    struct proto_msg resp;
    char err[256] = "";
    assert_int_equal(proto_client_call(&c, &resp, NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(resp.msgid, 1);
    assert_non_null(resp.error);
    assert_int_equal(resp.error->via.map.size, 2);
    assert_obj_str(obj_get(resp.error, "code"), "too_large");
    assert_obj_str(obj_get(resp.error, "message"), "message larger than 1 MiB");
    proto_msg_free(&resp);
    proto_client_close(&c);
    close(gliad);
}

/* A real listening socket: connect, pipeline requests, read answers. */
static void client_connect_and_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_proto.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/gliad.sock", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 1), 0);

    struct proto_client c;
    char err[256] = "";
    assert_int_equal(proto_client_connect(&c, sa.sun_path, err, sizeof(err)), 0);
    assert_true(c.fd >= 0);
    int sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);

    /* Pipelined: each request's params close before the next begins. */
    assert_int_equal(proto_client_begin(&c, "a", 1), 1);
    proto_pack_kint(&c.pk, "x", 1);
    proto_pack_kint(&c.pk, "y", 2);
    assert_int_equal(proto_client_begin(&c, "b", 1), 2);
    assert_int_equal(proto_client_begin(&c, "c", 1), 3);
    proto_pack_kstr(&c.pk, "z", "last");
    assert_int_equal(proto_client_flush(&c, err, sizeof(err)), 0);
    assert_int_equal(c.out.size, 0);

    struct proto_reader sr;
    proto_reader_init(&sr);
    struct proto_msg m;
    server_read(sfd, &sr, &m);
    assert_string_equal(m.method, "a");
    assert_int_equal(m.params->via.map.size, 2);
    assert_int_equal(obj_get(m.params, "y")->via.u64, 2);
    proto_msg_free(&m);
    server_read(sfd, &sr, &m);
    assert_string_equal(m.method, "b");
    assert_int_equal(m.msgid, 2);
    assert_int_equal(m.params->via.map.size, 0);
    proto_msg_free(&m);
    server_read(sfd, &sr, &m);
    assert_string_equal(m.method, "c");
    assert_obj_str(obj_get(m.params, "z"), "last");
    proto_msg_free(&m);
    proto_reader_free(&sr);

    struct packbuf srv;
    pb_init(&srv);
    proto_pack_result_header(&srv.pk, 2);
    msgpack_pack_uint8(&srv.pk, 22);
    pack_progress(&srv.pk, 7);
    proto_pack_result_header(&srv.pk, 1);
    msgpack_pack_uint8(&srv.pk, 11);
    send_all(sfd, &srv);
    pb_free(&srv);

    assert_int_equal(proto_client_read(&c, &m, err, sizeof(err)), 0);
    assert_int_equal(m.type, PROTO_RESPONSE);
    assert_int_equal(m.msgid, 2);
    assert_int_equal(m.result->via.u64, 22);
    proto_msg_free(&m);
    assert_int_equal(proto_client_read(&c, &m, err, sizeof(err)), 0);
    assert_int_equal(m.type, PROTO_NOTIFICATION);
    assert_string_equal(m.method, "progress");
    proto_msg_free(&m);
    assert_int_equal(proto_client_read(&c, &m, err, sizeof(err)), 0);
    assert_int_equal(m.msgid, 1);
    assert_int_equal(m.result->via.u64, 11);
    proto_msg_free(&m);

    close(sfd);
    assert_int_equal(proto_client_read(&c, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "closed the connection"));
    proto_client_close(&c);
    close(lfd);
    assert_int_equal(unlink(sa.sun_path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_whole_request),
        cmocka_unit_test(frame_request_byte_by_byte),
        cmocka_unit_test(frame_several_in_one_feed),
        cmocka_unit_test(frame_every_type),
        cmocka_unit_test(frame_every_type_in_context),
        cmocka_unit_test(frame_via_space_and_commit),
        cmocka_unit_test(limit_exactly_1mib_accepted),
        cmocka_unit_test(limit_1mib_plus_1_refused),
        cmocka_unit_test(limit_huge_headers_refused_at_once),
        cmocka_unit_test(limit_depth),
        cmocka_unit_test(limit_byte_c1_refused),
        cmocka_unit_test(reader_buffer_stays_small),
        cmocka_unit_test(reader_space_is_bounded),
        cmocka_unit_test(reader_partial),
        cmocka_unit_test(decode_request),
        cmocka_unit_test(decode_response),
        cmocka_unit_test(decode_notification),
        cmocka_unit_test(decode_params_forms),
        cmocka_unit_test(decode_empty_strings),
        cmocka_unit_test(decode_bad_shapes),
        cmocka_unit_test(decode_not_one_message),
        cmocka_unit_test(decode_copies_frame),
        cmocka_unit_test(args_str),
        cmocka_unit_test(args_int),
        cmocka_unit_test(args_bool),
        cmocka_unit_test(args_strv),
        cmocka_unit_test(args_map),
        cmocka_unit_test(args_get_matches_whole_key),
        cmocka_unit_test(args_first_error_wins),
        cmocka_unit_test(args_without_params),
        cmocka_unit_test(zone_str_and_str_eq),
        cmocka_unit_test(pack_request_round_trip),
        cmocka_unit_test(pack_notification_round_trip),
        cmocka_unit_test(pack_result_round_trip),
        cmocka_unit_test(pack_error_round_trip),
        cmocka_unit_test(pack_error_with_extras_round_trip),
        cmocka_unit_test(pack_strings),
        cmocka_unit_test(defer_map_counts_itself),
        cmocka_unit_test(defer_array_counts_itself),
        cmocka_unit_test(defer_nested),
        cmocka_unit_test(defer_every_type),
        cmocka_unit_test(defer_refuses_a_wrong_shape),
        cmocka_unit_test(default_socket),
        cmocka_unit_test(client_connect_missing_socket),
        cmocka_unit_test(client_call_over_socketpair),
        cmocka_unit_test(client_unreadable_replies),
        cmocka_unit_test(client_connect_and_read),
        cmocka_unit_test(client_takes_the_farewell_as_its_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
