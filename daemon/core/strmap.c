/*
 * strmap: see strmap.h. FNV-1a: keys are short names, not attacker-sized
 * input to a hot path, and the table never holds more than a few thousand.
 */
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TOMB ((const char *)1)

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void strmap_init(struct strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void strmap_free(struct strmap *m)
{
    free(m->slots);
    strmap_init(m);
}

static struct strmap_slot *find(const struct strmap *m, const char *key, uint32_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMB && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void rehash(struct strmap *m, size_t cap)
{
    struct strmap_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->tombs = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key || old[i].key == TOMB)
            continue;
        size_t j = old[i].hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *strmap_get(const struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key, hash(key));
    return s ? s->val : NULL;
}

void *strmap_put(struct strmap *m, const char *key, void *val)
{
    uint32_t h = hash(key);
    struct strmap_slot *s = find(m, key, h);
    if (s) {
        void *prev = s->val;
        s->val = val;
        return prev;
    }
    if ((m->len + m->tombs + 1) * 4 >= m->cap * 3)
        rehash(m, m->cap ? (m->len * 4 >= m->cap ? m->cap * 2 : m->cap) : 16);
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key && m->slots[i].key != TOMB)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].key == TOMB)
        m->tombs--;
    m->slots[i] = (struct strmap_slot){key, val, h};
    m->len++;
    return NULL;
}

void *strmap_del(struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key, hash(key));
    if (!s)
        return NULL;
    void *val = s->val;
    s->key = TOMB;
    s->val = NULL;
    m->len--;
    m->tombs++;
    return val;
}

int strmap_next(const struct strmap *m, size_t *i, const char **key, void **val)
{
    for (; *i < m->cap; (*i)++) {
        struct strmap_slot *s = &m->slots[*i];
        if (s->key && s->key != TOMB) {
            *key = s->key;
            *val = s->val;
            (*i)++;
            return 1;
        }
    }
    return 0;
}
