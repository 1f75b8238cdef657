/*
 * mechname: Glia's mechanism naming, glia__<package>__<asset>__<variant>.
 *
 * Every mechanism a Glia package ships ends up in NEURON under such a name; the
 * parts are what users select by. A part must be non-empty and must not hold a
 * double underscore, or the name could not be split back unambiguously.
 * Pure string handling, no I/O.
 */
#ifndef GLIA_MECHNAME_H
#define GLIA_MECHNAME_H

#include <stddef.h>

#define MECHNAME_PREFIX "glia__"
#define MECHNAME_DEFAULT_VARIANT "0"

struct mechname {
    char *pkg;
    char *asset;
    char *variant;
};

enum mechname_status {
    MECHNAME_OK = 0,       /* namespaced and valid; parts filled */
    MECHNAME_PLAIN = 1,    /* not namespaced (does not start with glia__) */
    MECHNAME_INVALID = -1, /* starts with glia__ but the parts are wrong; err says why */
};

/* Splits a full mechanism name. On MECHNAME_OK *out owns three strings (free
 * with mechname_free); otherwise *out is zeroed. `err` may be NULL. */
enum mechname_status mechname_parse(const char *full, struct mechname *out, char *err,
                                    size_t errlen);

/* Asset and variant from a mod file's stem ("Kv1__fast" -> Kv1, fast;
 * "Kv1" -> Kv1, 0). out->pkg is left NULL. Returns 0, or -1 with err set
 * when a part is empty or holds a double underscore. */
int mechname_from_stem(const char *stem, struct mechname *out, char *err, size_t errlen);

/* Checks one part (package, asset or variant) on its own. Returns 0 or -1 with err. */
int mechname_check_part(const char *what, const char *part, char *err, size_t errlen);

/* "glia__<pkg>__<asset>__<variant>", malloc'd. */
char *mechname_format(const char *pkg, const char *asset, const char *variant);

void mechname_free(struct mechname *m);

#endif
