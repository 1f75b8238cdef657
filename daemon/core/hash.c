/*
 * hash: see hash.h.
 */
#include "hash.h"

#include <stdint.h>
#include <string.h>

static void put_len(struct hash *h, uint64_t n)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(n >> (56 - 8 * i));
    sha256_update(&h->ctx, sizeof(b), b);
}

void hash_init(struct hash *h, const char *domain)
{
    sha256_init(&h->ctx);
    hash_str(h, domain);
}

void hash_field(struct hash *h, const void *data, size_t len)
{
    put_len(h, len);
    sha256_update(&h->ctx, len, data);
}

void hash_str(struct hash *h, const char *s)
{
    if (!s) {
        put_len(h, UINT64_MAX); /* unlike any real length */
        return;
    }
    hash_field(h, s, strlen(s));
}

void hash_hex(struct hash *h, char hex[HASH_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&h->ctx, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[HASH_HEX_LEN] = '\0';
}
