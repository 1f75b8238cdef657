/*
 * proto's own helpers, shared by its files and by nothing else.
 */
#ifndef GLIA_PROTO_INTERNAL_H
#define GLIA_PROTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sizes of the msgpack element whose header starts at p (avail bytes
 * readable): *hdr header bytes, *body payload bytes, *items child elements
 * (a map's pairs count twice). Returns 1, 0 when the header itself is not
 * complete yet, -1 for the unused byte 0xc1. frame.c.
 */
int proto__element(const unsigned char *p, size_t avail, size_t *hdr, uint64_t *body,
                   uint64_t *items);

#endif
