/*
 * modfile: reads the interface of an NMODL (.mod) file.
 *
 * Only what the daemon needs to index and rename a mechanism is extracted: the
 * NEURON block (kind, name, ions, RANGE/GLOBAL/POINTER names), the PARAMETER
 * block (defaults and units, shown by `gliactl show`), the TITLE, every
 * INCLUDE (part of the build's cache key) and the names of FUNCTIONs and
 * PROCEDUREs. The rest of the language is skipped. What is read agrees with
 * what nocmodl makes NEURON register (tests/diff checks it against nocmodl).
 *
 * Pure: no I/O, no allocation beyond the result. The text need not be NUL
 * terminated and may hold any bytes (CRLF, tabs, Latin-1 in comments).
 */
#ifndef GLIA_MODFILE_H
#define GLIA_MODFILE_H

#include <stddef.h>

/* The largest mod or INCLUDE file read (scans and builds alike). */
#define MODFILE_MAX_BYTES (4u << 20)

/* In this order: of several name statements the larger kind wins. */
enum modfile_kind {
    MODFILE_DENSITY,    /* SUFFIX */
    MODFILE_POINT,      /* POINT_PROCESS */
    MODFILE_ARTIFICIAL, /* ARTIFICIAL_CELL */
    /* SUFFIX nothing: no mechanism; its GLOBALs, FUNCTIONs and PROCEDUREs
     * are global hoc names and C symbols for other mods. Decided once the
     * whole file is read (the last name is the one), never compared. */
    MODFILE_LIBRARY,
};

struct modfile_ion {
    char *name;  /* "na" */
    char **read; /* READ names */
    size_t nread;
    char **write; /* WRITE names */
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
    /* The SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name; the last one when
     * there are several, as nocmodl takes. NULL when named_by_file. */
    char *name;
    /* Where that name sits in the source, so a build can rewrite exactly
     * those bytes in its own copy of the file. */
    size_t name_offset;
    size_t name_length;
    int name_line;
    /* No name statement at all (no NEURON block, or one without SUFFIX,
     * POINT_PROCESS or ARTIFICIAL_CELL): nocmodl makes such a mod a density
     * mechanism named after its file's stem. modfile_name_after_file() fills
     * `name` in; there are no bytes to rewrite (name_length 0): a copy is
     * renamed by its file name. */
    int named_by_file;

    char *title; /* TITLE text, trimmed, or NULL */

    /* USEION statements; none under SUFFIX nothing, which registers no
     * mechanism and so no ion. */
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
    /* FUNCTION, PROCEDURE and FUNCTION_TABLE names, in source order: hoc
     * functions of the mechanism, global ones under SUFFIX nothing. */
    char **functions;
    size_t nfunctions;
    /* The variables NEURON makes global hoc names (suffixed with the
     * mechanism's name unless it is SUFFIX nothing), as nocmodl decides: the
     * GLOBALs, every PARAMETER that is not RANGE, an ion's, a POINTER,
     * a current or NEURON's own (v, celsius, ...), and `usetable` when a
     * FUNCTION or PROCEDURE has a TABLE. */
    char **hoc_globals;
    size_t nhoc_globals;

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

/* For a mod that is named_by_file: sets its name to the stem of `path` (the
 * file name without its directory and ".mod"), as nocmodl names it. Does
 * nothing for a mod that names itself. Returns 0, or -1 out of memory. */
int modfile_name_after_file(struct modfile_info *info, const char *path);

/* "density", "point", "artificial", "library" */
const char *modfile_kind_name(enum modfile_kind kind);

#endif
