/*
 * envid: which environment a set of site-packages dirs is. Pure: callers
 * pass the dirs as resolved real paths, dirs that do not exist left out
 * (they serve nothing, and a Python lists several that never exist).
 *
 * An environment is its set of dirs. A Python's *own* dirs are those under
 * its prefix (sys.prefix), where pip installs for it; the rest it inherits,
 * as every venv made with --system-site-packages inherits the system's
 * dist-packages. Sharing inherited dirs is how venvs are made, so it says
 * nothing; sharing own dirs says the two are one environment. A config
 * environment's dirs are all its own: the config says what it is.
 *
 * For a Python (own dirs O, all its dirs R) and an environment serving D
 * (own dirs OD):
 *   ENVID_SAME     O ⊆ D ⊆ R: D serves everything the Python installs into
 *                  and nothing it cannot see (equal sets the plain case);
 *   ENVID_OVERLAP  otherwise, when O and OD meet: the two would index and
 *                  build the same packages apart, under settings that may
 *                  differ (backend, name), the very thing to avoid;
 *   ENVID_APART    otherwise.
 */
#ifndef GLIA_ENVID_H
#define GLIA_ENVID_H

#include <stddef.h>

enum envid_relation { ENVID_APART, ENVID_SAME, ENVID_OVERLAP };

/* A set of dirs and the part of it that is its own. */
struct envid {
    char *const *all;
    size_t nall;
    char *const *own;
    size_t nown;
};

/* The dirs of `dirs` under `prefix` (a path; NULL or relative: none),
 * as pointers into dirs, in a malloc'd vector the caller frees; when none
 * are, all of them. */
char **envid_own(const char *prefix, char *const *dirs, size_t n, size_t *nown);

/* How the Python `py` relates to the environment `env` (see above). */
enum envid_relation envid_relate(const struct envid *py, const struct envid *env);

#endif
