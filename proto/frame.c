/*
 * Framing: finds where each msgpack message ends in a byte stream.
 *
 * The scan walks headers only and never goes back over bytes it has passed,
 * so a message arriving in many small reads costs one pass in total. Limits
 * are checked against the sizes headers declare, before the bytes arrive: a
 * peer announcing a 4 GiB string is refused at once.
 */
#include "internal.h"
#include "proto.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

void proto_reader_init(struct proto_reader *r)
{
    memset(r, 0, sizeof(*r));
    r->max = PROTO_MAX_MESSAGE;
}

void proto_reader_free(struct proto_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

/* Moves the unconsumed bytes to the front once they no longer fit, so the
 * buffer never grows past one message plus one read. */
static int reserve(struct proto_reader *r, size_t want)
{
    if (r->cap - r->len >= want)
        return 0;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
        if (r->cap - r->len >= want)
            return 0;
    }
    size_t cap = r->cap ? r->cap : 4096;
    while (cap - r->len < want)
        cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b)
        return -1;
    r->buf = b;
    r->cap = cap;
    return 0;
}

int proto_reader_space(struct proto_reader *r, size_t want, char **base, size_t *len)
{
    if (want == 0 || want > READ_CHUNK)
        want = READ_CHUNK;
    if (reserve(r, want) < 0)
        return -1;
    *base = r->buf + r->len;
    *len = r->cap - r->len;
    return 0;
}

void proto_reader_commit(struct proto_reader *r, size_t n)
{
    r->len += n;
}

int proto_reader_feed(struct proto_reader *r, const void *data, size_t n)
{
    if (reserve(r, n) < 0)
        return -1;
    memcpy(r->buf + r->len, data, n);
    r->len += n;
    return 0;
}

int proto_reader_partial(const struct proto_reader *r)
{
    return r->len > r->start;
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int proto__element(const unsigned char *p, size_t avail, size_t *hdr, uint64_t *body,
                   uint64_t *items)
{
    unsigned char b = p[0];
    int lenbytes = 0; /* size of a length field following the type byte */
    *hdr = 1;
    *body = 0;
    *items = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 1;
    if (b <= 0x8f) {
        *items = 2u * (b & 0x0f);
        return 1;
    }
    if (b <= 0x9f) {
        *items = b & 0x0f;
        return 1;
    }
    if (b <= 0xbf) {
        *body = b & 0x1f;
        return 1;
    }
    switch (b) {
    case 0xc1:
        return -1;
    case 0xc4:
    case 0xd9:
        lenbytes = 1;
        break; /* bin8, str8 */
    case 0xc5:
    case 0xda:
        lenbytes = 2;
        break; /* bin16, str16 */
    case 0xc6:
    case 0xdb:
        lenbytes = 4;
        break; /* bin32, str32 */
    case 0xc7:
        lenbytes = 1;
        *body = 1;
        break; /* ext8: len + type */
    case 0xc8:
        lenbytes = 2;
        *body = 1;
        break;
    case 0xc9:
        lenbytes = 4;
        *body = 1;
        break;
    case 0xca:
        *body = 4;
        return 1;
    case 0xcb:
        *body = 8;
        return 1;
    case 0xcc:
    case 0xd0:
        *body = 1;
        return 1;
    case 0xcd:
    case 0xd1:
        *body = 2;
        return 1;
    case 0xce:
    case 0xd2:
        *body = 4;
        return 1;
    case 0xcf:
    case 0xd3:
        *body = 8;
        return 1;
    case 0xd4:
        *body = 2;
        return 1; /* fixext: type + data */
    case 0xd5:
        *body = 3;
        return 1;
    case 0xd6:
        *body = 5;
        return 1;
    case 0xd7:
        *body = 9;
        return 1;
    case 0xd8:
        *body = 17;
        return 1;
    case 0xdc:
    case 0xde:
        lenbytes = 2;
        break;
    case 0xdd:
    case 0xdf:
        lenbytes = 4;
        break;
    }
    if (avail < 1 + (size_t)lenbytes)
        return 0;
    *hdr = 1 + lenbytes;
    uint64_t n = be(p + 1, lenbytes);
    if (b == 0xdc || b == 0xdd)
        *items = n;
    else if (b == 0xde || b == 0xdf)
        *items = 2 * n;
    else
        *body += n;
    return 1;
}

/* fixmap, fixarray, array16/32, map16/32. */
static int is_container(unsigned char b)
{
    return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
}

/* Advances r->scan over the message at r->start as far as the bytes go.
 * 1: complete, 0: need more, -1: broken (*why set). */
static int scan(struct proto_reader *r, const char **why)
{
    struct proto_scan *s = &r->scan;
    const unsigned char *m = (const unsigned char *)r->buf + r->start;
    size_t avail = r->len - r->start;

    if (s->depth == 0 && s->pos == 0) {
        s->left[0] = 1;
        s->depth = 1;
    }
    for (;;) {
        while (s->depth > 0 && s->left[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0)
            return 1;
        if (s->pos >= avail)
            return 0;
        size_t hdr;
        uint64_t body, items;
        int rc = proto__element(m + s->pos, avail - s->pos, &hdr, &body, &items);
        if (rc < 0) {
            *why = "invalid msgpack: byte 0xc1 is never used";
            return -1;
        }
        if (rc == 0)
            return 0;
        /* Every child takes at least one byte: a count alone can exceed the limit. */
        if (s->pos + hdr + body + items > r->max) {
            *why = r->max == PROTO_MAX_MESSAGE ? "message larger than 1 MiB"
                                               : "message larger than 64 MiB";
            return -1;
        }
        if (s->pos + hdr + body > avail)
            return 0;
        /* An empty container opens no level to scan, but it is one level
         * deeper all the same, and msgpack-c refuses it past 32. */
        if (is_container(m[s->pos]) && s->depth > PROTO_MAX_DEPTH) {
            *why = "message nested deeper than 32 levels";
            return -1;
        }
        s->left[s->depth - 1]--;
        s->pos += hdr + body;
        if (items > 0)
            s->left[s->depth++] = (uint32_t)items;
    }
}

int proto_reader_next(struct proto_reader *r, const char **msg, size_t *len, const char **why)
{
    if (r->start == r->len) {
        r->start = r->len = 0; /* cheap reset while idle */
        return 0;
    }
    int rc = scan(r, why);
    if (rc <= 0)
        return rc;
    *msg = r->buf + r->start;
    *len = r->scan.pos;
    r->start += r->scan.pos;
    memset(&r->scan, 0, sizeof(r->scan));
    return 1;
}
