/*
 * artifact: is what the cache holds under a key still what was put there?
 *
 * Cache paths are content-addressed, so a file found at its path is taken
 * for the right one; a file damaged in place (a crash before the data
 * reached the disk, a full disk, a stray write) would be reused forever,
 * `build --force` included. Libraries are sealed at publish with their
 * SHA-256 and size in a file beside them and checked whole before reuse;
 * objects, many and small, get a cheaper check before reuse: a whole ELF
 * relocatable that defines the mechanism's registration function.
 */
#ifndef GLIA_ARTIFACT_H
#define GLIA_ARTIFACT_H

#include <stddef.h>

/* <path>.sha256: "<64 hex digits> <size>\n". */
#define ARTIFACT_SEAL_SUFFIX ".sha256"

/* Writes (and fsyncs) path's seal, atomically. 0, or -1 with errno set. */
int artifact_seal(const char *path);
/* An existing file with no seal beside it: published before gliad sealed
 * libraries. Not damaged; the caller seals it (off the loop: a digest). */
#define ARTIFACT_UNSEALED 1

/* 0 when path matches its seal; ARTIFACT_UNSEALED when it has none; -1
 * with the reason in why otherwise (another size or digest, an unreadable
 * file or seal, a seal gliad did not write). */
int artifact_check(const char *path, char *why, size_t whylen);

/* 0 when the object file at path passes artifact_elf_check. */
int artifact_check_object(const char *path, const char *symbol, char *why, size_t whylen);
/*
 * Pure: buf (len bytes) is an ELF relocatable object whose section headers
 * and sections all lie within it (so it is not cut short) and whose string
 * table names `symbol`. 0, or -1 with the reason in why.
 */
int artifact_elf_check(const unsigned char *buf, size_t len, const char *symbol, char *why,
                       size_t whylen);

#endif
