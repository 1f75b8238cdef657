/*
 * params: a request's structured parameters, decoded into the plain structs
 * the domain takes, so that nothing below rpc/ reads msgpack. (proto_args
 * reads the single values: strings, numbers, flags.)
 */
#ifndef GLIA_PARAMS_H
#define GLIA_PARAMS_H

#include <msgpack.h>

#include "resolve.h"

/*
 * The client's preference scopes, lowest first, as the `prefs` parameter
 * sends them:
 *   [{name, pkg, variant, assets: {ASSET: {pkg, variant}}}, ...]
 * every key optional, a nil value the same as absent. o NULL: none. The
 * scopes and their strings are allocated in zone; a scope without a name
 * has name NULL (scopes_build names it). Returns the count (at most
 * SCOPES_MAX_CLIENT), or -1 with err saying which part is malformed.
 */
int params_scopes(const msgpack_object *o, msgpack_zone *zone, struct resolve_scope **out,
                  char *err, size_t errlen);

#endif
