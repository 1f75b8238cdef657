/*
 * cache: content-addressed keys and paths of compiled objects and linked
 * libraries, shared by every environment: the same mod in five venvs
 * compiles once.
 *
 *   object key  = H(toolchain, stem, mod text as built, each INCLUDE's name and text)
 *   library key = H(toolchain, backend, sorted object keys)
 *
 * Keys are pure functions of their inputs; the paths live under cache_dir.
 */
#ifndef GLIA_CACHE_H
#define GLIA_CACHE_H

#include <stddef.h>

#include "hash.h"

typedef char cache_key[HASH_HEX_LEN + 1];

struct cache_include {
    const char *name; /* as written after INCLUDE */
    const char *text; /* NULL when the file could not be read */
    size_t len;
};

void cache_object_key(const char *toolchain_id, const char *stem, const char *text, size_t len,
                      const struct cache_include *incs, size_t ninc, cache_key out);
/* keys must be sorted (strcmp order) by the caller. */
void cache_library_key(const char *toolchain_id, const char *backend, char *const *keys, size_t n,
                       cache_key out);

/* <cache>/objects/<k[0..1]>/<k>.o */
char *cache_object_path(const char *cache_dir, const char *key);
char *cache_objects_dir(const char *cache_dir);
/* <cache>/libs/<k>/libglia.so: a directory per library, so its manifest and
 * anything NEURON writes beside it stay together. */
char *cache_library_dir(const char *cache_dir, const char *key);
char *cache_library_path(const char *cache_dir, const char *key);
/* <cache>/tmp: the work dirs of the gliads sharing this cache
 * (scratch.h); <cache>/tmp/<host id>-<pid> is one gliad's work dirs (hostid.h). gliads
 * on different sockets, or hosts, may share a cache (the tests' do, NFS
 * homes do), and their build ids and compile numbers all start at 1: each
 * works in a dir of its own. At startup the dirs of this host's gliads no
 * longer running go (a crash leaves only these); another host's are its
 * own business. */
char *cache_tmp_root(const char *cache_dir);

/*
 * The mod text with `len` bytes at `off` (the mechanism name) replaced by
 * `name`: a build's copy of a mod whose own name is not namespaced. The
 * user's file is never written. malloc'd, NUL-terminated, *outlen set.
 */
char *cache_rename(const char *text, size_t len, size_t off, size_t namelen, const char *name,
                   size_t *outlen);

#endif
