/*
 * env_build: an environment's builds and gliad's collections. It starts a
 * build (build.h) when its env wants one and may, and a collection (gc.h)
 * when one is due and no build runs; what runs after either ends is
 * decided above it, by env.c, through the hook given to env_build_init().
 */
#ifndef GLIA_ENV_BUILD_H
#define GLIA_ENV_BUILD_H

struct env;
struct gliad;

/* Asks for a build of the current index (force: ignoring the caches);
 * clear: the next collection keeps only the newest generation. */
void env_build(struct env *e, int force, int clear);
/* For env_next(): starts the build e wants when it may. */
void env_build_next(struct env *e);
/* Cancels e's build, if any. */
void env_build_stop(struct env *e, const char *why);
/* Starts the collection gliad wants when no build runs. */
void env_gc_next(struct gliad *g);

/* At startup: next_all(g) decides what runs next, every env's wants
 * included, after a build or a collection ended or a build was asked for
 * (env.c's env_next_all); the retry timer is initialised. */
void env_build_init(struct gliad *g, void (*next_all)(struct gliad *g));
/* The retry timer, closed when gliad stops. */
void env_build_retry_close(struct gliad *g);

#endif
