/*
 * scopes: the preference scopes one resolution runs with, lowest first.
 *
 * gliad's own (global) preference for the asset is the lowest scope, named
 * "global". The client's follow in the order it sent them: its script scope,
 * then its contexts, outermost first. A scope the client did not name is
 * "script" when it is the first it sent and "context N" after; the names
 * only explain a choice (resolve_result's pkg_from). What a scope prefers,
 * and which scope wins, is resolve.h's business.
 *
 * Pure: fills a struct the caller owns; the strings stay the caller's.
 */
#ifndef GLIA_SCOPES_H
#define GLIA_SCOPES_H

#include <stddef.h>

#include "resolve.h"

#define SCOPES_MAX_CLIENT 64 /* scopes one request may send */

struct scopes {
    struct resolve_scope v[SCOPES_MAX_CLIENT + 1];
    size_t n;
    struct resolve_asset_pref global;  /* the global scope's only entry */
    char names[SCOPES_MAX_CLIENT][16]; /* room for "context 63" */
};

/*
 * The scopes for `asset`: global (NULL: gliad has no preference for it),
 * then client[0..nclient) (at most SCOPES_MAX_CLIENT; a NULL name gets its
 * default). s->v then points into s, client and global.
 */
void scopes_build(struct scopes *s, const char *asset, const struct resolve_pref *global,
                  const struct resolve_scope *client, size_t nclient);

#endif
