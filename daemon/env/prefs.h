/*
 * prefs: preferences as the resolver sees them. Global ones live in the
 * daemon (SQLite, mirrored in memory); script and context ones arrive with
 * each resolve request, flattened by the client into a list of scopes,
 * lowest first:
 *   [{pkg, variant, assets: {ASSET: {pkg, variant}}}, ...]
 */
#ifndef GLIA_PREFS_H
#define GLIA_PREFS_H

#include <msgpack.h>

#include "resolve.h"

struct gliad;

#define PREFS_MAX_SCOPES 64

/* Reads the global preferences from the store into g->prefs. */
int prefs_load(struct gliad *g);
/* Sets or (pkg and variant both NULL) removes an asset's global
 * preference, durably first. Returns 0, or -1 when the store failed. */
int prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant);
int prefs_del(struct gliad *g, const char *asset);
void prefs_free(struct gliad *g);

/*
 * The scopes to resolve `asset` with: global first, then the client's
 * (`client` may be NULL). Only what concerns `asset` is kept. Strings are
 * copied into `zone`; `scopes` must hold PREFS_MAX_SCOPES + 1. Returns the
 * count, or -1 with err describing the malformed part.
 */
int prefs_scopes(struct gliad *g, const msgpack_object *client, const char *asset,
                 msgpack_zone *zone, struct resolve_scope *scopes,
                 struct resolve_asset_pref *asset_prefs, char *err, size_t errlen);

#endif
