/*
 * scopes: see scopes.h.
 */
#include "scopes.h"

#include <assert.h>
#include <stdio.h>

void scopes_build(struct scopes *s, const char *asset, const struct resolve_pref *global,
                  const struct resolve_scope *client, size_t nclient)
{
    assert(nclient <= SCOPES_MAX_CLIENT);
    s->v[0] = (struct resolve_scope){.name = "global"};
    if (global) {
        s->global = (struct resolve_asset_pref){asset, *global};
        s->v[0].assets = &s->global;
        s->v[0].nassets = 1;
    }
    for (size_t i = 0; i < nclient; i++) {
        struct resolve_scope *sc = &s->v[1 + i];
        *sc = client[i];
        if (sc->name)
            continue;
        if (i == 0)
            snprintf(s->names[i], sizeof(s->names[i]), "script");
        else
            snprintf(s->names[i], sizeof(s->names[i]), "context %zu", i);
        sc->name = s->names[i];
    }
    s->n = 1 + nclient;
}
