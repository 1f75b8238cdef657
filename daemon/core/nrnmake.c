/*
 * nrnmake: see nrnmake.h.
 */
#include "nrnmake.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* An INCLUDES += line, indented or not (make's conditionals indent it). */
static int includes_line(const char *line)
{
    line += strspn(line, " \t");
    if (strncmp(line, "INCLUDES", 8) != 0)
        return 0;
    line += 8 + strspn(line + 8, " \t");
    return strncmp(line, "+=", 2) == 0;
}

/* $(if A;B, ...): the dirs of the condition, the first list of the line. */
static void add_dirs(const char *line, size_t len, char ***v, size_t *n, size_t *cap)
{
    const char *end = line + len;
    const char *p = memmem(line, len, "$(if ", 5);
    if (!p)
        return;
    p += 5;
    const char *stop = memchr(p, ',', (size_t)(end - p));
    if (!stop)
        return;
    while (p < stop) {
        size_t k = strcspn(p, ";,");
        if (p + k > stop)
            k = (size_t)(stop - p);
        size_t lead = strspn(p, " \t");
        if (k > lead)
            VEC_PUSH(*v, *n, *cap, xstrndup(p + lead, k - lead));
        p += k + 1;
    }
}

char **nrnmake_include_dirs(const char *text, size_t *n)
{
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        char *one = xstrndup(line, len);
        if (includes_line(one))
            add_dirs(one, len, &v, n, &cap);
        free(one);
        line += len + (line[len] == '\n');
    }
    return v;
}
