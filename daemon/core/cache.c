/*
 * cache: see cache.h.
 */
#include "cache.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cache_object_key(const char *toolchain_id, const char *stem, const char *text, size_t len,
                      const struct cache_include *incs, size_t ninc, cache_key out)
{
    struct hash h;
    hash_init(&h, "glia-object-v1");
    hash_str(&h, toolchain_id);
    hash_str(&h, stem);
    hash_field(&h, text, len);
    for (size_t i = 0; i < ninc; i++) {
        hash_str(&h, incs[i].name);
        if (incs[i].text)
            hash_field(&h, incs[i].text, incs[i].len);
        else
            hash_str(&h, NULL); /* missing: nocmodl will say so; differs from empty */
    }
    hash_hex(&h, out);
}

void cache_library_key(const char *toolchain_id, const char *backend, char *const *keys, size_t n,
                       cache_key out)
{
    struct hash h;
    hash_init(&h, "glia-library-v1");
    hash_str(&h, toolchain_id);
    hash_str(&h, backend);
    for (size_t i = 0; i < n; i++)
        hash_str(&h, keys[i]);
    hash_hex(&h, out);
}

char *cache_object_path(const char *cache_dir, const char *key)
{
    return xprintf("%s/objects/%.2s/%s.o", cache_dir, key, key);
}

char *cache_objects_dir(const char *cache_dir)
{
    return xprintf("%s/objects", cache_dir);
}

char *cache_library_dir(const char *cache_dir, const char *key)
{
    return xprintf("%s/libs/%s", cache_dir, key);
}

char *cache_library_path(const char *cache_dir, const char *key)
{
    return xprintf("%s/libs/%s/libglia.so", cache_dir, key);
}

char *cache_tmp_root(const char *cache_dir)
{
    return xprintf("%s/tmp", cache_dir);
}

char *cache_rename(const char *text, size_t len, size_t off, size_t namelen, const char *name,
                   size_t *outlen)
{
    size_t nl = strlen(name);
    if (off > len || namelen > len - off) { /* cannot happen with a parser's offsets */
        *outlen = len;
        return xstrndup(text, len);
    }
    *outlen = len - namelen + nl;
    char *out = xmalloc(*outlen + 1);
    memcpy(out, text, off);
    memcpy(out + off, name, nl);
    memcpy(out + off + nl, text + off + namelen, len - off - namelen);
    out[*outlen] = '\0';
    return out;
}
