/*
 * entrypoints: the [glia.package] group of a dist-info's entry_points.txt.
 *
 * Two spellings are seen in the wild and both mean "this distribution ships a
 * Glia package":
 *   dbbs_mod_collection = dbbs_mod_collection      (Glia 0.x: module only)
 *   glia_test_mods=glia_test_mods:package          (Glia 4: module:attribute)
 * Parsed with inih from a string; pure, no I/O.
 */
#ifndef GLIA_ENTRYPOINTS_H
#define GLIA_ENTRYPOINTS_H

#include <stddef.h>

#define ENTRYPOINTS_GROUP "glia.package"

struct entrypoint {
    char *name;   /* the entry point's name (left of '=') */
    char *module; /* dotted module path ("a.b") */
    char *attr;   /* attribute after ':' or NULL (Glia 0.x) */
};

struct entrypoints {
    struct entrypoint *v;
    size_t n;
};

/*
 * Parses the text of an entry_points.txt and keeps the entries of the
 * [glia.package] group; other groups are ignored. Returns the number of
 * entries kept (0 when the group is absent). An entry whose value is not a
 * module path is skipped and described in `err` (the first such one; err
 * is left empty when there is none), the others are still kept. -1 only
 * when nothing can be said (no text, out of memory). *out is always valid
 * afterwards and must be freed with entrypoints_free.
 */
int entrypoints_parse(const char *text, struct entrypoints *out, char *err, size_t errlen);

void entrypoints_free(struct entrypoints *eps);

#endif
