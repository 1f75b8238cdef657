/*
 * strmap: string keys to pointers, open addressing with linear probing.
 * Keys are not copied: the caller keeps them alive as long as the entry.
 * The index and preferences are read on every request, so lookups are one
 * hash and, usually, one comparison.
 */
#ifndef GLIA_STRMAP_H
#define GLIA_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    const char *key;
    void *val;
    uint32_t hash;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
    size_t tombs;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m); /* frees the table, not keys or values */
void *strmap_get(const struct strmap *m, const char *key);
/* Sets key to val; returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v);) */
int strmap_next(const struct strmap *m, size_t *i, const char **key, void **val);

#endif
