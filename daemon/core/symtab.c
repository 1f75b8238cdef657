/*
 * symtab: see symtab.h.
 */
#include "symtab.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

char **symtab_ldd_paths(const char *out, size_t *n)
{
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *arrow = memmem(line, (size_t)(end - line), "=> ", 3);
        const char *p = arrow ? arrow + 3 : line;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '/') {
            const char *q = p;
            while (q < end && *q != ' ' && *q != '\t')
                q++;
            v = xgrow(v, &cap, *n + 2, sizeof(*v));
            v[(*n)++] = xstrndup(p, (size_t)(q - p));
            v[*n] = NULL;
        }
        line = nl ? nl + 1 : end;
    }
    return v;
}

/* One line: "FILE: NAME TYPE [VALUE SIZE]". Cache paths hold no ": ". */
static void each_line(const char *line, size_t len, symtab_fn fn, void *ud)
{
    const char *sep = memmem(line, len, ": ", 2);
    if (!sep)
        return;
    const char *name = sep + 2, *end = line + len;
    const char *sp = memchr(name, ' ', (size_t)(end - name));
    if (!sp || sp + 1 >= end || (sp + 2 < end && sp[2] != ' '))
        return;
    const char *at = memchr(name, '@', (size_t)(sp - name));
    char *file = xstrndup(line, (size_t)(sep - line));
    char *sym = xstrndup(name, (size_t)((at ? at : sp) - name));
    if (*sym)
        fn(ud, file, sym, sp[1]);
    free(file);
    free(sym);
}

void symtab_each(const char *out, symtab_fn fn, void *ud)
{
    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        each_line(line, len, fn, ud);
        line += len + (nl ? 1 : 0);
    }
}

int symtab_linker_provided(const char *name)
{
    static const char *const provided[] = {"_GLOBAL_OFFSET_TABLE_",
                                           "__dso_handle",
                                           "_DYNAMIC",
                                           "__ehdr_start",
                                           "_PROCEDURE_LINKAGE_TABLE_",
                                           NULL};
    for (size_t i = 0; provided[i]; i++)
        if (strcmp(name, provided[i]) == 0)
            return 1;
    return 0;
}
