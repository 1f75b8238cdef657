/*
 * Deferred counts: maps and arrays whose count nobody writes by hand.
 *
 * A msgpack map's header holds its number of pairs, ahead of them, and a
 * header that says one pair more or less than follows makes the peer read
 * every later byte of the stream wrong. So, as Redis does with its deferred
 * reply lengths, a container is opened with a placeholder header (map32 or
 * array32, 0xdf/0xdd and a 4-byte big-endian count), filled however the code
 * likes, and closed: the close counts the elements actually written since the
 * open and patches the header.
 *
 * The count walks the headers of what was written (payloads are skipped by
 * their lengths, as the framer does), so a container nested inside k open
 * ones is walked k + 1 times; replies are a few levels deep. The header is
 * then shrunk to the smallest form, the one msgpack_pack_map would have
 * chosen: the bytes are exactly those of a correct count by hand.
 *
 * The placeholder count is 0xffffffff, which no close leaves behind: an
 * inner container left open makes the walk of the outer one come up short,
 * and the outer close's assert() says so rather than send a corrupt reply.
 */
#include "internal.h"
#include "proto.h"

#include <assert.h>
#include <string.h>

#define PLACEHOLDER 0xffffffffu
#define MAP32 0xdf
#define ARRAY32 0xdd

static size_t open_container(msgpack_packer *pk, unsigned char type)
{
    const unsigned char hdr[5] = {type, 0xff, 0xff, 0xff, 0xff};
    const msgpack_sbuffer *sb = pk->data;
    size_t at = sb->size;
    pk->callback(pk->data, (const char *)hdr, sizeof(hdr));
    return at;
}

size_t proto_map_open(msgpack_packer *pk)
{
    return open_container(pk, MAP32);
}

size_t proto_array_open(msgpack_packer *pk)
{
    return open_container(pk, ARRAY32);
}

/* Elements at the top level of the len bytes at p; UINT64_MAX when the
 * bytes do not end where an element ends (a container inside left open). */
static uint64_t count_elements(const unsigned char *p, size_t len)
{
    uint64_t n = 0, pending = 0; /* children still to walk of those begun */
    size_t pos = 0;
    while (pos < len) {
        size_t hdr;
        uint64_t body, items;
        if (proto__element(p + pos, len - pos, &hdr, &body, &items) != 1 || body > len - pos - hdr)
            return UINT64_MAX;
        if (pending == 0)
            n++;
        else
            pending--;
        pending += items;
        pos += hdr + body;
    }
    return pending == 0 ? n : UINT64_MAX;
}

/* The smallest header for n elements (pairs, for a map): its length. */
static size_t header(unsigned char *h, int map, uint32_t n)
{
    if (n <= 15) {
        h[0] = (unsigned char)((map ? 0x80 : 0x90) | n);
        return 1;
    }
    if (n <= 0xffff) {
        h[0] = map ? 0xde : 0xdc;
        h[1] = (unsigned char)(n >> 8);
        h[2] = (unsigned char)n;
        return 3;
    }
    h[0] = map ? MAP32 : ARRAY32;
    for (int i = 0; i < 4; i++)
        h[1 + i] = (unsigned char)(n >> (24 - 8 * i));
    return 5;
}

static void close_container(msgpack_packer *pk, size_t at, int map)
{
    msgpack_sbuffer *sb = pk->data;
    unsigned char *p = (unsigned char *)sb->data;
    /* at came from the matching open on this buffer, and nothing closed it. */
    assert(at + 5 <= sb->size);
    assert(p[at] == (map ? MAP32 : ARRAY32) && memcmp(p + at + 1, "\xff\xff\xff\xff", 4) == 0);
    size_t len = sb->size - at - 5;
    uint64_t n = count_elements(p + at + 5, len);
    assert(n != UINT64_MAX);    /* an element inside was left unfinished */
    assert(!map || n % 2 == 0); /* a key without its value */
    if (map)
        n /= 2;
    assert(n <= PLACEHOLDER - 1);
    unsigned char h[5];
    size_t hlen = header(h, map, (uint32_t)n);
    if (hlen < 5) {
        memmove(p + at + hlen, p + at + 5, len);
        sb->size -= 5 - hlen;
    }
    memcpy(p + at, h, hlen);
}

void proto_map_close(msgpack_packer *pk, size_t at)
{
    close_container(pk, at, 1);
}

void proto_array_close(msgpack_packer *pk, size_t at)
{
    close_container(pk, at, 0);
}
