/*
 * lease: which libraries of a shared cache a gliad may still serve, where
 * every gliad sharing the cache (other hosts' too) sees it.
 *
 * Each gliad keeps <cache>/leases/<host id>-<pid>, one library key a line:
 * the libraries its store still names (every generation it keeps, which
 * includes those a live client loaded) and any it is about to publish or
 * reuse. It renews the file (its mtime) while it lives and removes it when
 * it stops. A collection removes a library only when no live lease but its
 * own names it: a lease of this host is live while its pid runs; another
 * host's, while its mtime is younger than LEASE_TTL_S (its pid cannot be
 * asked about from here).
 */
#ifndef GLIA_LEASE_H
#define GLIA_LEASE_H

#define LEASE_RENEW_S 60
#define LEASE_TTL_S (10 * LEASE_RENEW_S)

/* Replaces this gliad's lease by keys (NULL-terminated). 0, or -1 (errno). */
int lease_write(const char *cache_dir, char *const *keys);
/* Adds key to this gliad's lease (before a library is published or
 * reused). 0, or -1 (errno). */
int lease_add(const char *cache_dir, const char *key);
/* Marks this gliad's lease as live now. */
void lease_renew(const char *cache_dir);
/* Removes this gliad's lease (it stops). */
void lease_drop(const char *cache_dir);
/* Whether a live lease of another gliad names key. Removes the leases of
 * this host's gliads that are gone. */
int lease_held(const char *cache_dir, const char *key);

#endif
