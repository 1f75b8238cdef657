/*
 * direct_url: see direct_url.h.
 */
#include "direct_url.h"
#include "util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* The path of a file:// URL on this host, its %XX escapes decoded (pip
 * writes pathlib's as_uri(): spaces and non-ASCII bytes escaped). NULL
 * for another scheme or host, or a path that is no absolute path (a NUL
 * byte in it, say). */
static char *file_url_path(const char *url)
{
    static const char scheme[] = "file://";
    if (strncmp(url, scheme, strlen(scheme)) != 0)
        return NULL;
    const char *u = url + strlen(scheme);
    if (strncmp(u, "localhost/", 10) == 0)
        u += strlen("localhost");
    if (*u != '/')
        return NULL;
    char *out = xmalloc(strlen(u) + 1), *o = out;
    for (; *u; u++) {
        if (*u == '%' && isxdigit((unsigned char)u[1]) && isxdigit((unsigned char)u[2])) {
            *o = (char)(hex_value(u[1]) << 4 | hex_value(u[2]));
            if (*o++ == '\0') {
                free(out);
                return NULL;
            }
            u += 2;
        } else {
            *o++ = *u;
        }
    }
    *o = '\0';
    return out;
}

char *direct_url_editable_dir(const char *json)
{
    json_t *root = json ? json_loads(json, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *url = NULL;
    int editable = 0;
    /* dir_info is PEP 610's key for a local dir; `editable` is optional
     * there and false when absent. */
    int ok = root && json_unpack(root, "{s:s, s:{s?b}}", "url", &url, "dir_info", "editable",
                                 &editable) == 0;
    char *dir = ok && editable ? file_url_path(url) : NULL;
    json_decref(root);
    return dir;
}
