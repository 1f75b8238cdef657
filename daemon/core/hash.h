/*
 * hash: SHA-256 (nettle) for cache keys.
 *
 * Packages are untrusted input, so keys must be collision resistant: one
 * package must never be able to forge another's cache entry. Every field is
 * length-prefixed, so no two different field sequences hash the same bytes.
 */
#ifndef GLIA_HASH_H
#define GLIA_HASH_H

#include <nettle/sha2.h>
#include <stddef.h>

#define HASH_HEX_LEN (2 * SHA256_DIGEST_SIZE)

struct hash {
    struct sha256_ctx ctx;
};

void hash_init(struct hash *h, const char *domain); /* domain separates key kinds */
void hash_field(struct hash *h, const void *data, size_t len);
void hash_str(struct hash *h, const char *s); /* NULL hashes as a distinct empty field */
/* Writes HASH_HEX_LEN lowercase hex digits and a NUL into hex. */
void hash_hex(struct hash *h, char hex[HASH_HEX_LEN + 1]);

#endif
