/*
 * diag: see diag.h.
 */
#include "diag.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *diag_replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    if (fl == 0)
        return xstrdup(s);
    for (const char *p = s; (p = strstr(p, from)); p += fl)
        n++;
    char *out = xmalloc(strlen(s) + n * tl + 1 - n * fl), *o = out;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        size_t k = q ? (size_t)(q - p) : strlen(p);
        memcpy(o, p, k);
        o += k;
        if (!q)
            break;
        memcpy(o, to, tl);
        o += tl;
        p = q + fl;
    }
    *o = '\0';
    return out;
}

/* Where a cut near p keeps lines whole (just after a newline at most 512
 * bytes back, or forward) or else characters (not inside a UTF-8 sequence). */
static const char *boundary(const char *s, const char *p, int backward)
{
    for (int i = 0; i < 512 && p - i > s && p[backward ? -i - 1 : i - 1]; i++)
        if (p[backward ? -i - 1 : i - 1] == '\n')
            return backward ? p - i : p + i;
    while (p > s && ((unsigned char)*p & 0xc0) == 0x80)
        p += backward ? -1 : 1;
    return p;
}

char *diag_clip(char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len <= max)
        return s;
    const char *head = boundary(s, s + max / 2, 1);
    const char *tail = boundary(s, s + len - max / 2, 0);
    char *out = xprintf("%.*s[... %zu bytes left out ...]\n%s", (int)(head - s), s,
                        (size_t)(tail - head), tail);
    free(s);
    return out;
}

/* Chatter nocmodl (and nrnivmodl around it) prints on success too. */
static int is_chatter(const char *line, size_t n)
{
    static const char *const prefixes[] = {"Translating ", "INCLUDEing ", "Thread Safe",
                                           "Notice:",      "Warning:",    " -> ",
                                           " => ",         "Creating '",  "/"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (n >= strlen(prefixes[i]) && strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* Appends a trimmed line to the summary being built, with a space. */
static void append(char *buf, size_t cap, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    size_t have = strlen(buf);
    if (!n || have + n + 2 >= cap)
        return;
    if (have)
        buf[have++] = ' ';
    memcpy(buf + have, s, n);
    buf[have + n] = '\0';
}

void diag_nocmodl(struct diag *d, const char *output, const char *copy_path, const char *orig_path)
{
    memset(d, 0, sizeof(*d));
    d->detail = diag_replace(output, copy_path, orig_path);
    char msg[512] = "";
    /* The message is the lines up to "... at line N in file F". */
    for (const char *line = d->detail; *line;) {
        size_t n = strcspn(line, "\n");
        /* Within this line only: searching the rest of the output for every
         * line would be quadratic in what the tool printed (up to 1 MiB). */
        const char *at = memmem(line, n, " at line ", 9);
        if (at) {
            append(msg, sizeof(msg), line, (size_t)(at - line));
            long no = strtol(at + 9, NULL, 10);
            /* nocmodl 8.2 checks a line for non-ASCII bytes before it
             * counts it, so it names the line before the offending one. */
            if (strncmp(msg, "Non-Ascii character", 19) == 0 && no >= 0 && no < INT_MAX)
                no++;
            d->line = no > 0 && no < INT_MAX ? (int)no : 0;
            break;
        }
        if (is_chatter(line, n))
            msg[0] = '\0'; /* the message is what follows the last chatter */
        else
            append(msg, sizeof(msg), line, n);
        line += n + (line[n] == '\n');
    }
    if (!msg[0])
        snprintf(msg, sizeof(msg), "failed without saying why");
    if (d->line)
        d->summary = xprintf("%s:%d: nocmodl: %s", orig_path, d->line, msg);
    else
        d->summary = xprintf("%s: nocmodl: %s", orig_path, msg);
    d->detail = diag_clip(d->detail, DIAG_DETAIL_MAX);
}

/* Line `no` (1-based) of text, trimmed, malloc'd; NULL past the end. */
static char *nth_line(const char *text, int no)
{
    const char *p = text;
    for (int i = 1; i < no && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return NULL;
    size_t n = strcspn(p, "\r\n");
    while (n && isspace((unsigned char)*p))
        p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    return xstrndup(p, n);
}

/* The one .mod line whose trimmed text is `want`, or 0. */
static int find_line(const char *mod, const char *want)
{
    int found = 0, no = 1;
    for (const char *p = mod; *p; no++) {
        size_t n = strcspn(p, "\n");
        const char *s = p;
        size_t k = n;
        while (k && isspace((unsigned char)*s))
            s++, k--;
        while (k && isspace((unsigned char)s[k - 1]))
            k--;
        if (k == strlen(want) && k && memcmp(s, want, k) == 0) {
            if (found)
                return 0; /* twice: not a reliable mapping */
            found = no;
        }
        p += n + (p[n] == '\n');
    }
    return found;
}

/* The length of s's first line, at most 1000 bytes (a summary is one line
 * of a reply) and not ending inside a UTF-8 sequence. */
static int first_line(const char *s)
{
    size_t n = strcspn(s, "\n");
    if (n > 1000) {
        n = 1000;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return (int)n;
}

void diag_cc(struct diag *d, const char *output, const char *c_path, const char *c_text,
             const char *mod_text, const char *orig_path)
{
    memset(d, 0, sizeof(*d));
    d->detail = diag_clip(xstrdup(output), DIAG_DETAIL_MAX);
    const char *err = strstr(output, ": error: ");
    if (!err)
        err = strstr(output, ": fatal error: ");
    if (!err) {
        int n = first_line(output);
        d->summary = xprintf("%s: cc: %.*s", orig_path, n ? n : 6, n ? output : "failed");
        return;
    }
    /* Back to the start of that line: "<path>.c:<line>:<col>: error: ..." */
    const char *start = err;
    while (start > output && start[-1] != '\n')
        start--;
    int msglen = first_line(err + 2);
    int cline = 0;
    size_t cpl = strlen(c_path);
    if (strncmp(start, c_path, cpl) == 0 && start[cpl] == ':')
        cline = atoi(start + cpl + 1);
    char *text = cline && c_text ? nth_line(c_text, cline) : NULL;
    d->line = text && mod_text ? find_line(mod_text, text) : 0;
    free(text);
    if (d->line)
        d->summary = xprintf("%s:%d: cc: %.*s", orig_path, d->line, msglen, err + 2);
    else
        d->summary =
            xprintf("%s: cc: generated C line %d: %.*s", orig_path, cline, msglen, err + 2);
}

void diag_plain(struct diag *d, const char *orig_path, const char *stage, const char *message,
                const char *output)
{
    memset(d, 0, sizeof(*d));
    d->summary = xprintf("%s: %s: %s", orig_path, stage, message);
    d->detail = diag_clip(xstrdup(output ? output : ""), DIAG_DETAIL_MAX);
}

void diag_free(struct diag *d)
{
    free(d->summary);
    free(d->detail);
    memset(d, 0, sizeof(*d));
}
