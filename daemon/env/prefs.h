/*
 * prefs: gliad's global preferences (gliactl select), kept in SQLite,
 * mirrored in memory as g->prefs (asset -> struct pref) and exported as
 * text beside the database. Script and context preferences arrive with
 * each resolve request instead: rpc/params.c decodes them and
 * core/scopes.c puts them above the global one.
 */
#ifndef GLIA_PREFS_H
#define GLIA_PREFS_H

struct gliad;

/* Reads the global preferences from the store into g->prefs. */
int prefs_load(struct gliad *g);
/* Sets or (pkg and variant both NULL) removes an asset's global
 * preference, durably first. Returns 0, or -1 when the store failed. */
int prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant);
int prefs_del(struct gliad *g, const char *asset);
void prefs_free(struct gliad *g);

#endif
