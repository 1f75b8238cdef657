/*
 * env_internal: what env.c (scans and the lifecycle), env_build.c (its
 * builds and collections) and watch.c (its watches) share about an env.
 */
#ifndef GLIA_ENV_INTERNAL_H
#define GLIA_ENV_INTERNAL_H

#include "env.h"

/* env_build.c, for env_next(): starts the build e wants when it may. */
void env_build_next(struct env *e);
/* Cancels e's build, if any. */
void env_build_stop(struct env *e, const char *why);
/* Starts the collection gliad wants when no build runs. */
void env_gc_next(struct gliad *g);

#endif
