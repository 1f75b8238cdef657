/*
 * pkg: see pkg.h.
 */
#include "pkg.h"
#include "os.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- pyproject.toml ---- */

/* The line after s's current one, or NULL at the end. */
static const char *next_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? nl + 1 : NULL;
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A TOML key or string at s (bare, "..." or '...'), malloc'd; *end after it. */
static char *toml_word(const char *s, const char **end)
{
    if (*s == '"' || *s == '\'') {
        const char *close = strchr(s + 1, *s);
        if (!close)
            return NULL;
        *end = close + 1;
        return xstrndup(s + 1, (size_t)(close - s - 1));
    }
    const char *e = s;
    while (isalnum((unsigned char)*e) || *e == '_' || *e == '-' || *e == '.')
        e++;
    *end = e;
    return e > s ? xstrndup(s, (size_t)(e - s)) : NULL;
}

static int is_glia_table(const char *line)
{
    /* [project.entry-points."glia.package"], quoted either way, spaced or not. */
    char buf[128];
    size_t n = 0;
    for (const char *c = line; *c && *c != '\n' && n + 1 < sizeof(buf); c++)
        if (*c != ' ' && *c != '\t' && *c != '\r')
            buf[n++] = *c == '\'' ? '"' : *c;
    buf[n] = '\0';
    return strcmp(buf, "[project.entry-points.\"glia.package\"]") == 0;
}

int pkg_text_entry_point(const char *toml, char **name, char **target)
{
    *name = *target = NULL;
    const char *l = toml;
    while (l && !is_glia_table(skip_blank(l)))
        l = next_line(l);
    for (l = l ? next_line(l) : NULL; l; l = next_line(l)) {
        const char *s = skip_blank(l), *e;
        if (*s == '[')
            return -1; /* the next table: this one was empty */
        if (*s == '#' || *s == '\n' || *s == '\r' || !*s)
            continue;
        char *key = toml_word(s, &e);
        e = skip_blank(e);
        if (!key || *e != '=') {
            free(key);
            return -1;
        }
        char *val = toml_word(skip_blank(e + 1), &e);
        if (!val) {
            free(key);
            return -1;
        }
        *name = key;
        *target = val;
        return 0;
    }
    return -1;
}

/* ---- Finding the package ---- */

int pkg_open(const char *root, struct pkg *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    char *path = xprintf("%s/pyproject.toml", root);
    char *toml = file_read(path, 1u << 20, NULL);
    char *target = NULL;
    int rc = -1;
    if (!toml) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (pkg_text_entry_point(toml, &p->name, &target) < 0) {
        snprintf(err, errlen,
                 "%s has no [project.entry-points.\"glia.package\"] entry: it is not a Glia "
                 "package (`gliactl pkg new` makes one)",
                 path);
        goto out;
    }
    char *colon = strchr(target, ':');
    p->module = colon ? xstrndup(target, (size_t)(colon - target)) : xstrdup(target);
    for (char *c = p->module; *c; c++)
        if (*c == '.')
            *c = '/';
    p->root = xstrdup(root);
    const char *layouts[] = {"%s/%s", "%s/src/%s"};
    for (size_t i = 0; i < 2 && !p->moddir; i++) {
        char *dir = xprintf(layouts[i], root, p->module);
        if (is_dir(dir))
            p->moddir = dir;
        else
            free(dir);
    }
    if (!p->moddir) {
        snprintf(err, errlen,
                 "%s: entry point '%s = \"%s\"' names module '%s', but neither %s/%s nor "
                 "%s/src/%s is a directory",
                 path, p->name, target, p->module, root, p->module, root, p->module);
        goto out;
    }
    p->mods = xprintf("%s/mods", p->moddir);
    rc = 0;
out:
    free(path);
    free(toml);
    free(target);
    if (rc < 0)
        pkg_free(p);
    return rc;
}

int pkg_find(const char *start, struct pkg *p, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (!realpath(start, dir)) {
        snprintf(err, errlen, "%s: %s", start, strerror(errno));
        return -1;
    }
    for (;;) {
        char *toml = xprintf("%s/pyproject.toml", dir);
        int found = access(toml, F_OK) == 0;
        free(toml);
        if (found)
            return pkg_open(dir, p, err, errlen);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
    }
    snprintf(err, errlen,
             "no pyproject.toml in %s nor above it: run this inside a Glia package "
             "(`gliactl pkg new` makes one)",
             start);
    return -1;
}

void pkg_free(struct pkg *p)
{
    free(p->root);
    free(p->name);
    free(p->module);
    free(p->moddir);
    free(p->mods);
    memset(p, 0, sizeof(*p));
}

/* ---- Names ---- */

char *pkg_text_slug(const char *project)
{
    size_t len = strlen(project);
    char *out = xmalloc(len + 6), *o = out;
    for (const char *c = project; *c; c++) {
        if (isalnum((unsigned char)*c))
            *o++ = (char)tolower((unsigned char)*c);
        else if (o > out && o[-1] != '_')
            *o++ = '_';
    }
    while (o > out && o[-1] == '_')
        o--;
    *o = '\0';
    if (!*out || isdigit((unsigned char)*out)) {
        memmove(out + 5, out, strlen(out) + 1);
        memcpy(out, "glia_", 5);
        if (!out[5])
            out[4] = '\0';
    }
    return out;
}

/* ---- __init__.py's mods list ---- */

/* Python text to skip while matching brackets: a string literal or a
 * comment at s; returns the position after it, or s when neither. */
static const char *skip_py_literal(const char *s)
{
    if (*s == '#') {
        const char *nl = strchr(s, '\n');
        return nl ? nl : s + strlen(s);
    }
    if (*s != '"' && *s != '\'')
        return s;
    char q = *s;
    int triple = s[1] == q && s[2] == q;
    const char *c = s + (triple ? 3 : 1);
    for (; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            continue;
        }
        if (*c == q && (!triple || (c[1] == q && c[2] == q)))
            return c + (triple ? 3 : 1);
        if (!triple && *c == '\n')
            return c;
    }
    return c;
}

/* The '[' of the list after `mods=` inside `Package(`, and its ']'. */
static int find_mods_list(const char *text, const char **open, const char **close)
{
    const char *pk = strstr(text, "Package(");
    const char *c = pk;
    while (c && *c) {
        const char *after = skip_py_literal(c);
        if (after != c) {
            c = after;
            continue;
        }
        if (strncmp(c, "mods", 4) == 0 && (c == text || !isalnum((unsigned char)c[-1]))) {
            const char *e = skip_blank(c + 4);
            if (*e == '=' && *skip_blank(e + 1) == '[') {
                *open = skip_blank(e + 1);
                break;
            }
        }
        c++;
    }
    if (!c || !*c)
        return -1;
    int depth = 0;
    for (c = *open; *c;) {
        const char *after = skip_py_literal(c);
        if (after != c) {
            c = after;
            continue;
        }
        if (*c == '[' || *c == '(' || *c == '{')
            depth++;
        else if ((*c == ']' || *c == ')' || *c == '}') && --depth == 0) {
            *close = c;
            return 0;
        }
        c++;
    }
    return -1;
}

static size_t line_start(const char *text, const char *at)
{
    const char *c = at;
    while (c > text && c[-1] != '\n')
        c--;
    return (size_t)(c - text);
}

/* The list item (a whole line "    Mod(...),\n") naming path, as offsets. */
static int find_item(const char *text, const char *open, const char *close, const char *path,
                     size_t *from, size_t *to)
{
    char *quoted = xprintf("\"%s\"", path);
    const char *hit = strstr(open, quoted);
    free(quoted);
    if (!hit || hit > close)
        return -1;
    *from = line_start(text, hit);
    const char *nl = strchr(hit, '\n');
    if (!nl || nl > close)
        return -1; /* an item sharing its line with others: not ours to cut */
    *to = (size_t)(nl + 1 - text);
    return 0;
}

static char *text_splice(const char *text, size_t from, size_t to, const char *insert)
{
    return xprintf("%.*s%s%s", (int)from, text, insert, text + to);
}

/* Just after the list's last character that is neither blank nor in a
 * comment (open + 1 when there is none). */
static const char *last_significant(const char *open, const char *close)
{
    const char *last = open + 1;
    for (const char *c = open + 1; c < close;) {
        const char *after = skip_py_literal(c);
        if (after != c) {
            if (*c != '#')
                last = after;
            c = after;
            continue;
        }
        if (!isspace((unsigned char)*c))
            last = c + 1;
        c++;
    }
    return last;
}

char *pkg_text_add_mod(const char *text, const char *path, const char *entry)
{
    const char *open, *close;
    if (find_mods_list(text, &open, &close) < 0)
        return NULL;
    size_t ls = line_start(text, open);
    size_t indent = (size_t)(skip_blank(text + ls) - (text + ls));
    size_t from, to;
    if (find_item(text, open, close, path, &from, &to) == 0) {
        size_t item_indent = (size_t)(skip_blank(text + from) - (text + from));
        char *line = xprintf("%.*s%s,\n", (int)item_indent, text + from, entry);
        char *out = text_splice(text, from, to, line);
        free(line);
        return out;
    }
    const char *body = skip_blank(open + 1);
    while (*body == '\n' || *body == ' ' || *body == '\t' || *body == '\r')
        body++;
    if (body == close) {
        /* An empty list, "[]" or "[\n    ]": written out one item a line. */
        char *mid = xprintf("[\n%*s%s,\n%*s]", (int)indent + 4, "", entry, (int)indent, "");
        char *out = text_splice(text, (size_t)(open - text), (size_t)(close + 1 - text), mid);
        free(mid);
        return out;
    }
    /* After the last item (its comment, if any, stays after its comma): on
     * a line of its own before the ']' when that has one, else inline. */
    const char *last = last_significant(open, close);
    size_t cls = line_start(text, close);
    int own_line = (size_t)(skip_blank(text + cls) - text) == (size_t)(close - text);
    size_t item_indent = indent + 4;
    const char *first = skip_blank(open + 1);
    if (*first == '\n') { /* the items' own indent, from the first one */
        size_t fl = (size_t)(first + 1 - text);
        item_indent = (size_t)(skip_blank(text + fl) - (text + fl));
    }
    const char *comma = last[-1] == ',' ? "" : ",";
    size_t at = (size_t)(last - text);
    if (!own_line)
        return xprintf("%.*s%s %s%s", (int)at, text, comma, entry, text + at);
    return xprintf("%.*s%s%.*s%*s%s,\n%s", (int)at, text, comma, (int)(cls - at), text + at,
                   (int)item_indent, "", entry, text + cls);
}

char *pkg_text_remove_mod(const char *text, const char *path)
{
    const char *open, *close;
    size_t from, to;
    if (find_mods_list(text, &open, &close) < 0 ||
        find_item(text, open, close, path, &from, &to) < 0)
        return NULL;
    return text_splice(text, from, to, "");
}

char *pkg_text_mod_entry(const char *path, const char *asset, const char *variant,
                         enum modfile_kind kind)
{
    char *v = strcmp(variant, "0") == 0 ? xstrdup("") : xprintf(", variant=\"%s\"", variant);
    const char *k = kind == MODFILE_POINT        ? ", is_point_process=True"
                    : kind == MODFILE_ARTIFICIAL ? ", is_artificial_cell=True"
                                                 : "";
    char *out = xprintf("Mod(\"%s\", \"%s\"%s%s)", path, asset, v, k);
    free(v);
    return out;
}

/* ---- Files ---- */

int pkg_write_file(const char *path, const char *data, size_t len)
{
    const char *slash = strrchr(path, '/');
    char *tmp = slash ? xprintf("%.*s/.%s.tmp%d", (int)(slash - path), path, slash + 1, getpid())
                      : xprintf(".%s.tmp%d", path, getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : 0;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno != EINTR)
            rc = -1;
        else if (n > 0)
            off += (size_t)n;
    }
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    int e = errno;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    errno = e;
    return rc;
}

struct modlist {
    char **v;
    size_t n, cap;
};

static void walk_mods(const char *dir, int depth, struct modlist *out)
{
    DIR *d = depth < 16 ? opendir(dir) : NULL; /* 16: as gliad, also stops link loops */
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "arbor") == 0)
            continue;
        char *path = xprintf("%s/%s", dir, de->d_name);
        if (str_has_suffix(de->d_name, ".mod")) {
            VEC_PUSH(out->v, out->n, out->cap, path);
            continue;
        }
        if (is_dir(path))
            walk_mods(path, depth + 1, out);
        free(path);
    }
    if (d)
        closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void pkg_list_mods(const char *mods_dir, char ***paths, size_t *n)
{
    struct modlist l = {0};
    walk_mods(mods_dir, 0, &l);
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), cmp_str);
    *paths = l.v;
    *n = l.n;
}
