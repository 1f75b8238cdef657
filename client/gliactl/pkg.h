/*
 * pkg: a Glia package's project on disk, as `gliactl pkg` and the personal
 * collection see it: pyproject.toml's glia.package entry point, the module
 * dir it names, mods/ in it and the `mods=[...]` list of its __init__.py.
 *
 * The pkg_text_* functions are pure (text in, text out) so the edits they
 * make can be checked on plain strings; the rest reads and writes files.
 */
#ifndef GLIACTL_PKG_H
#define GLIACTL_PKG_H

#include <stddef.h>

#include "modfile.h"

struct pkg {
    char *root;   /* the project dir: where pyproject.toml is */
    char *name;   /* the package name: the entry point's name */
    char *module; /* the module the entry point names ("x" of "x:package") */
    char *moddir; /* root/module, or root/src/module */
    char *mods;   /* moddir/mods */
};

/* The package whose project holds `start` (start itself or a dir above,
 * as cargo finds Cargo.toml). Returns 0, or -1 with err saying what is
 * missing. Free with pkg_free. */
int pkg_find(const char *start, struct pkg *p, char *err, size_t errlen);
/* The package of the project at exactly `root`. */
int pkg_open(const char *root, struct pkg *p, char *err, size_t errlen);
void pkg_free(struct pkg *p);

/* ---- Pure text work ---- */

/* The first entry of pyproject.toml's [project.entry-points."glia.package"]
 * table: *name and *target ("module:attr") malloc'd. Returns 0, or -1 when
 * there is none. */
int pkg_text_entry_point(const char *pyproject, char **name, char **target);

/* A project name as a Python module and Glia package name: lower case,
 * runs of anything but letters and digits as one '_' ("Glia Package" ->
 * "glia_package"), never empty nor starting with a digit. malloc'd. */
char *pkg_text_slug(const char *project_name);

/* __init__.py's text with `entry` (one Python expression, "Mod(...)") added
 * as the last item of the list after `mods=` in `package = Package(...)`,
 * on its own line, indented as the list's items are; nothing else changes.
 * An entry naming the same file (`"mods/X.mod"`) is replaced instead.
 * Returns the new text (malloc'd), or NULL when no such list is found. */
char *pkg_text_add_mod(const char *init, const char *path, const char *entry);
/* The text without the list item naming `path` (NULL when none does). */
char *pkg_text_remove_mod(const char *init, const char *path);

/* "Mod(\"mods/X__0.mod\", \"X\", variant=..., is_point_process=True)",
 * as Glia 4 writes them (variant only when not 0). malloc'd. */
char *pkg_text_mod_entry(const char *path, const char *asset, const char *variant,
                         enum modfile_kind kind);

/* ---- Files ---- */

/* Every *.mod under mods_dir, sorted, as gliad finds them: recursively,
 * hidden entries and Arbor's arbor/ folders left out. *paths malloc'd
 * (strv_free). */
void pkg_list_mods(const char *mods_dir, char ***paths, size_t *n);

/* Writes len bytes to path through a temporary file and a rename, so a
 * reader (gliad's scan) sees the old file or the new one, never a part.
 * Returns 0, or -1 with errno. */
int pkg_write_file(const char *path, const char *data, size_t len);

/* What `pkg new` asks for. */
struct pkg_meta {
    const char *project; /* "Glia Package" */
    const char *slug;    /* "glia_package": dir, module, entry point and package name */
    const char *author, *email, *description, *version, *license;
};

/* Writes a Glia 4 project into `dir` (which must not exist; into_existing:
 * may exist, but holds no pyproject.toml yet): pyproject.toml
 * (flit_core, the glia.package entry point, version and description taken
 * from the module), <slug>/__init__.py declaring `package`, <slug>/mods/,
 * README.md and LICENSE. Returns 0, or -1 after telling the user why. */
int pkg_create(const char *dir, const struct pkg_meta *m, int into_existing);

/* A mod to add: what `pkg add` and `gliactl add` take. */
struct pkg_add_opts {
    const char *asset;   /* NULL: from the file */
    const char *variant; /* NULL: from the file, else 0 */
    const char *target;  /* NULL: ASSET__VARIANT.mod; else a path under mods/ */
    int overwrite;
};

/* Copies `source` into p's mods/, renamed to glia__<pkg>__<asset>__<variant>,
 * with the files it INCLUDEs, and adds its Mod entry to __init__.py. Tells
 * the user what it did (stdout) or why not (stderr). Returns an exit code. */
int pkg_add_mod(const struct pkg *p, const char *source, const struct pkg_add_opts *o);

/* Loads `lib` in a fresh python3 with NEURON, inserts the density mechanism
 * `name` into a section (places the point process, makes the artificial
 * cell), then finitialize and 20 steps. Returns 0 when all went well, else
 * -1 with *why (malloc'd): the stage and NEURON's own words. */
int pkg_neuron_try(const char *lib, const char *name, enum modfile_kind kind, char **why);

#endif
