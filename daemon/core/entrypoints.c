/*
 * entrypoints: the [glia.package] group of entry_points.txt, read with inih.
 *
 * A value follows the entry-point syntax Python's importlib.metadata accepts:
 *   module[.sub...] [ : attr[.sub...] ] [ [extras] ]
 * with optional whitespace around ':' and before the extras, which we drop
 * (Glia has no use for them). Module and attribute must be dotted Python
 * identifiers; only ASCII ones are accepted, since every Glia package in the
 * wild uses ASCII and a non-ASCII byte is far likelier to be damage.
 *
 * inih's settings are process-wide globals, so they are left alone and their
 * defaults are lived with:
 *  - A line longer than inih's limit (INI_MAX_LINE) is cut, and the rest is
 *    read as a line of its own in the same section. Long lines are usual in
 *    [console_scripts] and harmless there: whatever the pieces parse to, only
 *    the [glia.package] group is kept. In [glia.package] the pieces would be
 *    a cut module path and a phantom entry, so such a line is blanked before
 *    inih sees it, and reported.
 *  - Syntax errors inih reports (a line without '=', say) are ignored: they
 *    may sit in any group, and a broken [console_scripts] line must not hide
 *    a Glia package. Only values inside [glia.package] are judged, here.
 *  - A line that starts with whitespace continues the previous value (as in
 *    configparser), so an indented entry arrives as "name = value" text; the
 *    error for it says so.
 *  - "; comment" after a value is stripped.
 */
#include "entrypoints.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the inih callback works on. */
struct parse_state {
    struct entrypoints *out;
    size_t cap;
    int failed; /* a problem is in err already: the first one is the one reported */
    int fatal;  /* nothing can be trusted (out of memory) */
    char *err;
    size_t errlen;
};

/* A slice of the value being parsed: not NUL terminated. */
struct span {
    const char *p;
    size_t len;
};

static void set_err(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct parse_state *st, const char *fmt, ...)
{
    va_list ap;

    if (st->failed)
        return; /* the first problem is the one a person fixes first */
    st->failed = 1;
    if (st->err == NULL || st->errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(st->err, st->errlen, fmt, ap);
    va_end(ap);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static struct span trim(struct span s)
{
    while (s.len > 0 && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* "a", "a.b_2.c"; not "", ".a", "a.", "a..b", "2a". */
static int is_dotted_path(struct span s)
{
    int at_start = 1;

    if (s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];

        if (c == '.') {
            if (at_start)
                return 0;
            at_start = 1;
        } else if (at_start ? is_ident_start(c) : is_ident_char(c)) {
            at_start = 0;
        } else {
            return 0;
        }
    }
    return !at_start;
}

/*
 * Splits a value into module and attribute (attr->p NULL when there is no
 * ':'), extras dropped. Returns 0, or -1 when it is not an entry-point value.
 */
static int split_value(const char *value, struct span *module, struct span *attr)
{
    struct span v = trim((struct span){value, strlen(value)});
    const char *bracket = memchr(v.p, '[', v.len);
    const char *colon;

    if (bracket != NULL) {
        if (v.p[v.len - 1] != ']')
            return -1;
        v.len = (size_t)(bracket - v.p);
    }
    colon = memchr(v.p, ':', v.len);
    if (colon == NULL) {
        *module = trim(v);
        *attr = (struct span){NULL, 0};
        return is_dotted_path(*module) ? 0 : -1;
    }
    *module = trim((struct span){v.p, (size_t)(colon - v.p)});
    *attr = trim((struct span){colon + 1, (size_t)(v.p + v.len - colon - 1)});
    return is_dotted_path(*module) && is_dotted_path(*attr) ? 0 : -1;
}

static char *span_dup(struct span s)
{
    char *d = malloc(s.len + 1);

    if (d != NULL) {
        memcpy(d, s.p, s.len);
        d[s.len] = '\0';
    }
    return d;
}

static void entry_free(struct entrypoint *e)
{
    free(e->name);
    free(e->module);
    free(e->attr);
}

static int grow(struct parse_state *st)
{
    size_t cap = st->cap ? 2 * st->cap : 4;
    struct entrypoint *v;

    if (st->out->n < st->cap)
        return 0;
    v = realloc(st->out->v, cap * sizeof(*v));
    if (v == NULL)
        return -1;
    st->out->v = v;
    st->cap = cap;
    return 0;
}

static int append(struct parse_state *st, const char *name, struct span module, struct span attr)
{
    struct entrypoint e;

    e.name = strdup(name);
    e.module = span_dup(module);
    e.attr = attr.p ? span_dup(attr) : NULL;
    if (e.name == NULL || e.module == NULL || (attr.p && e.attr == NULL) || grow(st) != 0) {
        entry_free(&e);
        return -1;
    }
    st->out->v[st->out->n++] = e;
    return 0;
}

static void report_bad_value(struct parse_state *st, const char *name, const char *value)
{
    /* "=" in a value is what a continuation line looks like (see the top). */
    const char *hint = strchr(value, '=') ? "; an indented line continues the previous entry, "
                                            "remove the indentation"
                                          : "; expected module or module:attribute";

    set_err(st, "entry '%s': '%s' is not a module path%s", name, value, hint);
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    struct span module, attr;

    if (st->fatal || strcmp(section, ENTRYPOINTS_GROUP) != 0)
        return 1;
    if (value == NULL)
        value = "";
    /* A bad entry is reported and skipped; the distribution's other
     * packages are still good ones. */
    if (name[0] == '\0') {
        set_err(st, "[" ENTRYPOINTS_GROUP "] entry with no name before '=' (value '%s')", value);
        return 1;
    }
    if (split_value(value, &module, &attr) != 0) {
        report_bad_value(st, name, value);
        return 1;
    }
    if (append(st, name, module, attr) != 0) {
        set_err(st, "entry '%s': out of memory", name);
        st->fatal = 1;
        return 0;
    }
    return 1;
}

/* 1 when the line is the header of section `name`, 0 for another header,
 * -1 when it is no header. */
static int is_section(const char *line, size_t len, const char *name)
{
    struct span l = trim((struct span){line, len});
    size_t n = strlen(name);

    if (l.len < 2 || l.p[0] != '[' || memchr(l.p, ']', l.len) == NULL)
        return -1;
    l = trim((struct span){l.p + 1, (size_t)((const char *)memchr(l.p, ']', l.len) - l.p - 1)});
    return l.len == n && memcmp(l.p, name, n) == 0;
}

/* A copy of text with every [glia.package] line that inih would cut made
 * blank (line numbers stay), the first one reported. NULL when out of memory. */
static char *blank_long_lines(struct parse_state *st, const char *text)
{
    char *copy = strdup(text);
    int in_group = 0;
    unsigned lineno = 0;

    if (copy == NULL)
        return NULL;
    for (char *line = copy; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        int sec = is_section(line, len, ENTRYPOINTS_GROUP);

        lineno++;
        if (sec >= 0)
            in_group = sec;
        else if (in_group && len > INI_MAX_LINE - 1) {
            set_err(st,
                    "line %u is %zu bytes long; entry_points.txt lines in [" ENTRYPOINTS_GROUP
                    "] may be at most %d",
                    lineno, len, INI_MAX_LINE - 1);
            memset(line, ' ', len);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    return copy;
}

int entrypoints_parse(const char *text, struct entrypoints *out, char *err, size_t errlen)
{
    struct parse_state st = {.out = out, .err = err, .errlen = errlen};
    int rc;
    char *safe;

    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        set_err(&st, "no entry_points.txt text given");
        return -1;
    }
    if ((safe = blank_long_lines(&st, text)) == NULL) {
        set_err(&st, "entry '?': out of memory");
        return -1;
    }
    rc = ini_parse_string(safe, on_entry, &st);
    free(safe);
    /* rc > 0 is inih's syntax error line, deliberately ignored (see the top);
     * rc < 0 means inih itself could not run. */
    if (rc < 0 && !st.failed) {
        set_err(&st, "entry_points.txt could not be read (inih error %d)", rc);
        st.fatal = 1;
    }
    if (st.fatal) {
        entrypoints_free(out);
        return -1;
    }
    return (int)out->n;
}

void entrypoints_free(struct entrypoints *eps)
{
    if (eps == NULL)
        return;
    for (size_t i = 0; i < eps->n; i++)
        entry_free(&eps->v[i]);
    free(eps->v);
    eps->v = NULL;
    eps->n = 0;
}
