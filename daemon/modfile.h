/*
 * modfile: reads the interface of an NMODL (.mod) file.
 *
 * Only what the daemon needs to index and rename a mechanism is extracted: the
 * NEURON block (kind, name, ions, RANGE/GLOBAL/POINTER names), the PARAMETER
 * block (defaults and units, shown by `gliactl show`), the TITLE and every
 * INCLUDE (part of the build's cache key). The rest of the language is skipped.
 *
 * Pure: no I/O, no allocation beyond the result. The text need not be NUL
 * terminated and may hold any bytes (CRLF, tabs, Latin-1 in comments).
 */
#ifndef GLIA_MODFILE_H
#define GLIA_MODFILE_H

#include <stddef.h>

enum modfile_kind {
    MODFILE_DENSITY,    /* SUFFIX */
    MODFILE_POINT,      /* POINT_PROCESS */
    MODFILE_ARTIFICIAL, /* ARTIFICIAL_CELL */
};

struct modfile_ion {
    char *name;    /* "na" */
    char **read;   /* READ names */
    size_t nread;
    char **write;  /* WRITE names */
    size_t nwrite;
    char *valence; /* VALENCE value as written, or NULL */
};

struct modfile_param {
    char *name;
    char *value; /* default as written ("0.013", "-65", "1e-3"), or NULL if none */
    char *units; /* "mho/cm2" without parentheses, or NULL if none */
    int line;    /* 1-based */
};

struct modfile_info {
    enum modfile_kind kind;
    char *name; /* the SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name */
    /* Where that name sits in the source, so a build can rewrite exactly
     * those bytes in its own copy of the file. */
    size_t name_offset;
    size_t name_length;
    int name_line;

    char *title; /* TITLE text, trimmed, or NULL */

    struct modfile_ion *ions;
    size_t nions;
    char **ranges;
    size_t nranges;
    char **globals;
    size_t nglobals;
    char **pointers; /* POINTER and BBCOREPOINTER names */
    size_t npointers;
    char **nonspecific; /* NONSPECIFIC_CURRENT names */
    size_t nnonspecific;

    struct modfile_param *params;
    size_t nparams;

    char **includes; /* INCLUDE "file" names, in source order */
    size_t nincludes;
    /* #include "file" lines inside VERBATIM blocks: the C compiler reads
     * those from the mod's dir, so they are part of what is built too. */
    char **c_includes;
    size_t nc_includes;
};

/* Why a file could not be read. */
struct modfile_error {
    int line; /* 1-based line the problem was found at */
    char message[160];
};

/*
 * Parses `len` bytes of `text`. On success fills *out (free with
 * modfile_info_free) and returns 0. On failure returns -1, fills *err and
 * leaves *out zeroed; nothing to free.
 */
int modfile_parse(const char *text, size_t len, struct modfile_info *out,
                  struct modfile_error *err);

void modfile_info_free(struct modfile_info *info);

const char *modfile_kind_name(enum modfile_kind kind); /* "density", "point", "artificial" */

#endif
