/*
 * builtin_list: see builtin_list.h.
 */
#include "builtin_list.h"
#include "index.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TAG "glia-builtin "

/* MechanismType(0) lists density mechanisms, (1) point processes. */
char *const builtin_list_argv[] = {
    "nrniv",
    "-nobanner",
    "-nogui",
    "-c",
    "objref mt",
    "-c",
    "strdef s",
    "-c",
    "for t = 0, 1 { mt = new MechanismType(t) for i = 0, mt.count() - 1 { mt.select(i) "
    "mt.selected(s) printf(\"" TAG "%d %d %s\\n\", t, mt.is_artificial(i), s) } }",
    "-c",
    "quit()",
    NULL};

int builtin_list_kind(const char *word, enum modfile_kind *kind)
{
    for (int i = MODFILE_DENSITY; i <= MODFILE_ARTIFICIAL; i++)
        if (strcmp(word, modfile_kind_name((enum modfile_kind)i)) == 0) {
            *kind = (enum modfile_kind)i;
            return 0;
        }
    return -1;
}

struct index_pkg *builtin_list_pkg(void)
{
    struct index_pkg *p = index_pkg_new();
    p->name = xstrdup(INDEX_NEURON_PKG);
    p->entry = xstrdup(INDEX_NEURON_PKG);
    p->module = xstrdup("neuron");
    p->layout = INDEX_BUILTIN;
    return p;
}

void builtin_list_add(struct index_pkg *p, const char *name, enum modfile_kind kind)
{
    p->mods = xrealloc(p->mods, (p->nmods + 1) * sizeof(*p->mods));
    struct index_mod *m = &p->mods[p->nmods++];
    memset(m, 0, sizeof(*m));
    m->pkg = p;
    m->full = xstrdup(name);
    m->asset = xstrdup(name);
    m->variant = xstrdup("0");
    m->pkgname = xstrdup(INDEX_NEURON_PKG);
    m->info.kind = kind;
    m->info.name = xstrdup(name);
}

/* A whole number and the blanks after it; NULL when there is none. */
static const char *number(const char *s, const char *end, long *out)
{
    char *after;
    *out = strtol(s, &after, 10);
    if (after == s || after >= end || (*after != ' ' && *after != '\t'))
        return NULL;
    return after + strspn(after, " \t");
}

/* One line of the listing, [line, end): "<TAG><type> <artificial> <name>". */
static void parse_line(struct index_pkg *p, const char *line, const char *end)
{
    size_t taglen = strlen(TAG);
    long type, art;
    if ((size_t)(end - line) <= taglen || strncmp(line, TAG, taglen) != 0)
        return;
    const char *s = number(line + taglen, end, &type);
    s = s ? number(s, end, &art) : NULL;
    if (!s)
        return;
    size_t n = strcspn(s, " \t\r\n");
    if (n == 0 || s + n > end)
        return;
    char *name = xstrndup(s, n);
    builtin_list_add(p, name,
                     type == 0 ? MODFILE_DENSITY
                     : art     ? MODFILE_ARTIFICIAL
                               : MODFILE_POINT);
    free(name);
}

struct index_pkg *builtin_list_parse(const char *out)
{
    struct index_pkg *p = builtin_list_pkg();
    for (const char *line = out; line && *line;) {
        size_t len = strcspn(line, "\n");
        parse_line(p, line, line + len);
        line += len + (line[len] == '\n');
    }
    return p;
}
