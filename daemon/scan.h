/*
 * scan: finds the Glia packages of a site-packages dir and reads their mods.
 *
 * Blocking file I/O: gliad runs these on libuv's worker threads, never on
 * the loop. Nothing here touches shared state; results are new packages the
 * loop publishes in an index (see index.h).
 */
#ifndef GLIA_SCAN_H
#define GLIA_SCAN_H

#include "index.h"

#define SCAN_MAX_MOD_BYTES (4u << 20)

/* Every Glia package of one site-packages dir, in a stable order, appended
 * to *pkgs. Problems of the dir itself (missing, unreadable, a broken
 * entry_points.txt) go to *probs; problems of a package stay with it. */
void scan_site(const char *site, struct index_pkg ***pkgs, size_t *npkgs,
               struct index_problem **probs, size_t *nprobs);

/* The Glia packages of one *.dist-info dir (usually one; none when it has no
 * [glia.package] entry point), appended to *pkgs. */
void scan_dist_info(const char *site, const char *dist_info_name, struct index_pkg ***pkgs,
                    size_t *npkgs, struct index_problem **probs, size_t *nprobs);

/* The source dir of an editable install, from direct_url.json's text
 * ({"url": "file:///src", "dir_info": {"editable": true}}); malloc'd, or
 * NULL when the install is not editable. Pure. */
char *scan_editable_dir(const char *direct_url_json);

#endif
