/*
 * bundle: a bundle directory's manifest and files, for `gliactl bundle`.
 *
 * A bundle is DIR/libglia.so, DIR/manifest.json and DIR/site/, a
 * site-packages dir holding each package's entry_points.txt and mod
 * sources where a scan finds them again (so gliad can rebuild the library
 * from the bundle alone). docs/bundle.md describes the manifest.
 */
#ifndef GLIACTL_BUNDLE_H
#define GLIACTL_BUNDLE_H

#include <jansson.h>
#include <msgpack.h>

#define BUNDLE_FORMAT 1
#define BUNDLE_LIBRARY "libglia.so"
#define BUNDLE_MANIFEST "manifest.json"

/*
 * The manifest of gliad's `bundle` answer r, for a bundle in dir. With
 * copy, the library and every source are copied into dir (each written to
 * a temporary name and renamed); without, the files are only hashed (for
 * --check). NULL after printing what failed.
 */
json_t *bundle_manifest(const msgpack_object *r, const char *dir, int copy);

/* Writes m as dir/manifest.json (temporary name, renamed). 0 or -1 after
 * printing why. */
int bundle_write(const char *dir, json_t *m);

/* dir/manifest.json, or NULL after printing why. */
json_t *bundle_read(const char *dir);

/* Prints every difference between the bundle's manifest `was` and `now`
 * (the environment's now), one per line; returns how many. */
int bundle_diff(const json_t *was, const json_t *now, FILE *out);

#endif
