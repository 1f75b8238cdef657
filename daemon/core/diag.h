/*
 * diag: compiler output turned into diagnostics on the user's own file.
 *
 * gliad compiles a copy of each mod (renamed, in a work dir), so the tools
 * name paths the user never saw. nocmodl says "at line N in file F": F
 * becomes the original path. cc names the generated C file, which carries
 * no #line: an error inside VERBATIM code is mapped back to the .mod line
 * holding the same text when exactly one does. Pure string work.
 */
#ifndef GLIA_DIAG_H
#define GLIA_DIAG_H

#include <stddef.h>

struct diag {
    int line;      /* in the original .mod; 0 when unknown */
    char *summary; /* "Kv1.mod:14: nocmodl: syntax error: Illegal expression" */
    char *detail;  /* the tool's output, paths rewritten, clipped to DIAG_DETAIL_MAX */
};

/* A failure's detail travels in replies and the store: a tool that prints
 * megabytes is cut to its head and tail, where the cause usually is. */
#define DIAG_DETAIL_MAX 16384

void diag_nocmodl(struct diag *d, const char *output, const char *copy_path, const char *orig_path);
void diag_cc(struct diag *d, const char *output, const char *c_path, const char *c_text,
             const char *mod_text, const char *orig_path);
/* For failures that are not a tool's complaint (timeouts, crashes, I/O). */
void diag_plain(struct diag *d, const char *orig_path, const char *stage, const char *message,
                const char *output);
void diag_free(struct diag *d);

/* s (malloc'd) cut to at most about max bytes: its head and tail at line
 * (else UTF-8 character) boundaries around a note of what was left out.
 * Returns s itself when it is short enough, else a new string (s freed). */
char *diag_clip(char *s, size_t max);

/* Every occurrence of `from` in s replaced by `to`; malloc'd. */
char *diag_replace(const char *s, const char *from, const char *to);

#endif
