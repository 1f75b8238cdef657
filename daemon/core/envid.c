/*
 * envid: see envid.h.
 */
#include "envid.h"
#include "util.h"

#include <string.h>

static int has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

static int subset(char *const *a, size_t na, char *const *b, size_t nb)
{
    for (size_t i = 0; i < na; i++)
        if (!has(b, nb, a[i]))
            return 0;
    return 1;
}

static int meet(char *const *a, size_t na, char *const *b, size_t nb)
{
    for (size_t i = 0; i < na; i++)
        if (has(b, nb, a[i]))
            return 1;
    return 0;
}

static int under(const char *dir, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/')
        n--;
    if (n == 1) /* "/": a Python installed at the root owns nothing apart */
        return 0;
    return strncmp(dir, prefix, n) == 0 && dir[n] == '/';
}

char **envid_own(const char *prefix, char *const *dirs, size_t n, size_t *nown)
{
    char **own = xcalloc(n + 1, sizeof(*own));
    size_t k = 0;
    if (prefix && prefix[0] == '/')
        for (size_t i = 0; i < n; i++)
            if (under(dirs[i], prefix))
                own[k++] = dirs[i];
    if (k == 0)
        for (; k < n; k++)
            own[k] = dirs[k];
    *nown = k;
    return own;
}

enum envid_relation envid_relate(const struct envid *py, const struct envid *env)
{
    if (py->nown > 0 && subset(py->own, py->nown, env->all, env->nall) &&
        subset(env->all, env->nall, py->all, py->nall))
        return ENVID_SAME;
    if (meet(py->own, py->nown, env->own, env->nown))
        return ENVID_OVERLAP;
    return ENVID_APART;
}
