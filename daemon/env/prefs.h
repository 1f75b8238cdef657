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
/* On the loop, once the change is durable (in the store and in
 * preferences.txt) and in g->prefs; err is NULL, or why the store refused
 * it (then nothing changed). */
typedef void (*prefs_done_fn)(void *ud, const char *err);
/* Sets or removes an asset's global preference through the store's writer
 * thread (store_writer.h): changes take effect in the order made. */
void prefs_set(struct gliad *g, const char *asset, const char *pkg, const char *variant,
               prefs_done_fn done, void *ud);
void prefs_del(struct gliad *g, const char *asset, prefs_done_fn done, void *ud);
void prefs_free(struct gliad *g);

#endif
