/*
 * config: see config.h. What the settings depend on besides the file (the
 * user's dirs, the number of processors) and the reading of the file are
 * here; the text itself is parsed in core/config_parse.c.
 */
#include "config.h"
#include "log.h"
#include "os.h"
#include "util.h"
#include "client.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A config file is a few hundred bytes; anything past this is no config. */
#define MAX_BYTES (1u << 20)

static char *home_path(const char *xdg_var, const char *fallback, const char *leaf)
{
    const char *x = getenv(xdg_var);
    if (x && *x == '/')
        return xprintf("%s/glia%s", x, leaf);
    const char *home = getenv("HOME");
    return xprintf("%s/%s/glia%s", home && *home ? home : "/tmp", fallback, leaf);
}

char *config_default_path(void)
{
    return home_path("XDG_CONFIG_HOME", ".config", "/gliad.ini");
}

static void defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    char sock[PATH_MAX];
    c->socket = xstrdup(proto_default_socket(sock, sizeof(sock)) ? sock : "/tmp/gliad.sock");
    c->state_dir = home_path("XDG_STATE_HOME", ".local/state", "");
    c->cache_dir = home_path("XDG_CACHE_HOME", ".cache", "");
    c->collection = home_path("XDG_DATA_HOME", ".local/share", "/collection");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->jobs = n > 0 ? (int)n : 1;
    c->debounce_ms = 200;
    c->log_level = LOG_INFO;
    c->keep_generations = 3;
    c->cache_max_mb = 1024;
    c->neuron.timeout_s = 300;
}

/* The file's text, or NULL with a reason in err. Relative values in it are
 * relative to the file's directory (*dir, malloc'd), made absolute now:
 * gliad's working directory is nobody's business. */
static char *read_file(const char *path, char **dir, char *err, size_t errlen)
{
    struct stat st;
    char *text = NULL;
    const char *why = stat(path, &st) < 0                          ? strerror(errno)
                      : !S_ISREG(st.st_mode)                       ? "not a regular file"
                      : !(text = file_read(path, MAX_BYTES, NULL)) ? strerror(errno)
                                                                   : NULL;
    if (why) {
        snprintf(err, errlen, "%s: cannot read: %s", path, why);
        return NULL;
    }
    char cwd[PATH_MAX];
    *dir =
        path[0] == '/' || !getcwd(cwd, sizeof(cwd)) ? xstrdup(path) : xprintf("%s/%s", cwd, path);
    char *slash = strrchr(*dir, '/');
    if (slash)
        *slash = '\0';
    else {
        free(*dir);
        *dir = NULL;
    }
    return text;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    defaults(c);
    if (!path)
        return 0;
    char *text = NULL, *dir = NULL;
    if (access(path, F_OK) < 0 && errno == ENOENT)
        log_info("no config file at %s; using defaults", path);
    else if (!(text = read_file(path, &dir, err, errlen)))
        return -1;
    struct config_source src = {
        .name = path, .dir = dir, .home = getenv("HOME"), .log_level_parse = log_level_parse};
    int rc = config_parse_text(c, text, &src, err, errlen);
    if (rc == 0 && text)
        c->path = xstrdup(path);
    free(text);
    free(dir);
    return rc;
}
