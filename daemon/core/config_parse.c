/*
 * config_parse: see config_parse.h. The inih handler checks each key as it
 * comes; inih reports the line of the first key the handler refused, and
 * the handler keeps the words for it, so the message names file, line and
 * key.
 */
#include "config_parse.h"
#include "util.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct loader {
    struct config *c;
    const struct config_source *src;
    const char *next; /* the text not yet handed to inih */
    int line;         /* of the line inih is working on: our reader counts them */
    int why_line;     /* where the first refusal was */
    char why[256];    /* first refusal, without the line */
    int too_long;     /* the reader stopped at a line inih cannot hold */
};

char **config_split_path(const char *s, size_t *n)
{
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    while (*s) {
        size_t len = strcspn(s, ":");
        if (len)
            VEC_PUSH(v, *n, cap, xstrndup(s, len));
        s += len + (s[len] == ':');
    }
    return v;
}

static int refuse(struct loader *l, const char *section, const char *key, const char *fmt,
                  const char *value)
{
    if (!l->why[0]) {
        l->why_line = l->line;
        char what[160];
        snprintf(what, sizeof(what), fmt, value);
        snprintf(l->why, sizeof(l->why), "[%s] %s: %s", section, key, what);
    }
    return 0;
}

/* "~/x" and paths relative to the config file's directory become absolute. */
static char *path_value(const struct loader *l, const char *v)
{
    const char *home = l->src->home;
    if (v[0] == '~' && v[1] == '/' && home)
        return xprintf("%s%s", home, v + 1);
    if (v[0] != '/' && l->src->dir)
        return xprintf("%s/%s", l->src->dir, v);
    return xstrdup(v);
}

static int int_value(const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

/* yes/no, as INI files say it. 0, or -1 for anything else. */
static int bool_value(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int set_path(struct loader *l, char **slot, const char *value)
{
    free(*slot);
    *slot = path_value(l, value);
    return 1;
}

static int daemon_key(struct loader *l, const char *key, const char *value)
{
    struct config *c = l->c;
    if (!*value)
        return refuse(l, "daemon", key, "empty value%s", "");
    if (strcmp(key, "socket") == 0)
        return set_path(l, &c->socket, value);
    if (strcmp(key, "state_dir") == 0)
        return set_path(l, &c->state_dir, value);
    if (strcmp(key, "cache_dir") == 0)
        return set_path(l, &c->cache_dir, value);
    if (strcmp(key, "collection") == 0)
        return set_path(l, &c->collection, value);
    if (strcmp(key, "jobs") == 0)
        return int_value(value, 1, 256, &c->jobs) == 0
                   ? 1
                   : refuse(l, "daemon", key, "expected a whole number from 1 to 256, got '%s'",
                            value);
    if (strcmp(key, "debounce_ms") == 0)
        return int_value(value, 0, 60000, &c->debounce_ms) == 0
                   ? 1
                   : refuse(l, "daemon", key, "expected milliseconds from 0 to 60000, got '%s'",
                            value);
    if (strcmp(key, "keep_generations") == 0)
        return int_value(value, 1, 1000, &c->keep_generations) == 0
                   ? 1
                   : refuse(l, "daemon", key, "expected a whole number from 1 to 1000, got '%s'",
                            value);
    if (strcmp(key, "cache_max_mb") == 0)
        return int_value(value, 16, 1 << 20, &c->cache_max_mb) == 0
                   ? 1
                   : refuse(l, "daemon", key, "expected megabytes, at least 16, got '%s'", value);
    if (strcmp(key, "allow_overlap") == 0)
        return bool_value(value, &c->allow_overlap) == 0
                   ? 1
                   : refuse(l, "daemon", key, "expected yes or no, got '%s'", value);
    if (strcmp(key, "log_level") == 0) {
        int lv = l->src->log_level_parse(value);
        if (lv < 0)
            return refuse(l, "daemon", key, "expected error, warn, info or debug, got '%s'", value);
        c->log_level = lv;
        return 1;
    }
    return refuse(l, "daemon", key,
                  "unknown key (known: socket, state_dir, cache_dir, jobs, debounce_ms, "
                  "log_level, keep_generations, cache_max_mb, allow_overlap, collection)%s",
                  "");
}

static int neuron_key(struct loader *l, const char *key, const char *value)
{
    struct config_neuron *n = &l->c->neuron;
    if (!*value)
        return refuse(l, "neuron", key, "empty value%s", "");
    struct {
        const char *key;
        char **slot;
        int is_path;
    } strs[] = {{"nocmodl", &n->nocmodl, 1},
                {"nrnunits", &n->nrnunits, 1},
                {"cc", &n->cc, 0},
                {"cflags", &n->cflags, 0},
                {"include_dirs", &n->include_dirs, 0},
                {"lib_dir", &n->lib_dir, 1},
                {"nrnivmodl", &n->nrnivmodl, 0}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(key, strs[i].key) == 0) {
            if (strs[i].is_path)
                return set_path(l, strs[i].slot, value);
            free(*strs[i].slot);
            *strs[i].slot = xstrdup(value);
            return 1;
        }
    if (strcmp(key, "timeout_s") == 0)
        return int_value(value, 1, 86400, &n->timeout_s) == 0
                   ? 1
                   : refuse(l, "neuron", key, "expected seconds from 1 to 86400, got '%s'", value);
    return refuse(l, "neuron", key,
                  "unknown key (known: nocmodl, nrnunits, cc, cflags, include_dirs, lib_dir, "
                  "nrnivmodl, timeout_s)%s",
                  "");
}

static struct config_env *env_find(struct config *c, const char *name)
{
    for (size_t i = 0; i < c->nenvs; i++)
        if (strcmp(c->envs[i].name, name) == 0)
            return &c->envs[i];
    return NULL;
}

static struct config_env *env_get(struct config *c, const char *name)
{
    struct config_env *found = env_find(c, name);
    if (found)
        return found;
    c->envs = xrealloc(c->envs, (c->nenvs + 1) * sizeof(*c->envs));
    struct config_env *e = &c->envs[c->nenvs++];
    memset(e, 0, sizeof(*e));
    e->name = xstrdup(name);
    return e;
}

static int env_key(struct loader *l, const char *section, const char *key, const char *value)
{
    const char *name = section + 4;
    if (!*name || strpbrk(name, " \t/:"))
        return refuse(l, section, key,
                      "environment names must be non-empty, without spaces, '/' or ':'%s", "");
    struct config_env *e = env_get(l->c, name);
    if (strcmp(key, "backend") == 0) {
        if (strcmp(value, "direct") == 0)
            e->backend = CONFIG_BACKEND_DIRECT;
        else if (strcmp(value, "nrnivmodl") == 0)
            e->backend = CONFIG_BACKEND_NRNIVMODL;
        else
            return refuse(l, section, key, "expected direct or nrnivmodl, got '%s'", value);
        return 1;
    }
    if (strcmp(key, "site_packages") != 0)
        return refuse(l, section, key, "unknown key (known: site_packages, backend)%s", "");
    if (e->site_packages)
        return refuse(l, section, key, "given twice%s", "");
    size_t n;
    char **parts = config_split_path(value, &n);
    if (n == 0) {
        free(parts);
        return refuse(l, section, key, "expected DIR[:DIR...], got '%s'", value);
    }
    for (size_t i = 0; i < n; i++) {
        char *abs = path_value(l, parts[i]);
        free(parts[i]);
        parts[i] = abs;
    }
    e->site_packages = parts;
    e->nsite = n;
    return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    struct loader *l = user;
    if (strcmp(section, "daemon") == 0)
        return daemon_key(l, key, value);
    if (strncmp(section, "env:", 4) == 0)
        return env_key(l, section, key, value);
    if (strcmp(section, "neuron") == 0)
        return neuron_key(l, key, value);
    if (!*section)
        return refuse(l, "", key, "keys must be inside a section such as [daemon]%s", "");
    return refuse(l, section, key, "unknown section (known: [daemon], [neuron], [env:NAME])%s", "");
}

static void see_env_header(struct loader *l, const char *buf)
{
    const char *p = buf + strspn(buf, " \t");
    if (strncmp(p, "[env:", 5) != 0)
        return;
    size_t n = strcspn(p + 5, "]");
    if (p[5 + n] != ']' || n == 0)
        return;
    char *name = xstrndup(p + 5, n);
    if (!strpbrk(name, " \t/:") && !env_find(l->c, name)) {
        env_get(l->c, name);
        l->c->envs[l->c->nenvs - 1].line = l->line;
    }
    free(name);
}

/*
 * inih's line reader, over the text, counting lines so a refusal knows its
 * line (Debian's inih passes the handler none), and seeing [env:NAME]
 * headers so an env section without keys is still an env (inih calls the
 * handler per key only).
 */
static char *read_line(char *buf, int size, void *ud)
{
    struct loader *l = ud;
    if (!*l->next)
        return NULL;
    l->line++;
    size_t len = strcspn(l->next, "\n");
    /* inih's buffer is fixed (200 bytes in Debian's build): the rest of a
     * longer line would come back as a line of its own, misread. A line
     * that just fits without its newline is whole. */
    size_t room = (size_t)size - 1;
    if (len > room) {
        l->too_long = size - 2;
        return NULL;
    }
    size_t take = len + (l->next[len] == '\n' && len < room);
    memcpy(buf, l->next, take);
    buf[take] = '\0';
    l->next += len + (l->next[len] == '\n');
    see_env_header(l, buf);
    return buf;
}

static int parse(struct config *c, const char *text, const struct config_source *src, char *err,
                 size_t errlen)
{
    struct loader l = {.c = c, .src = src, .next = text};
    int line = ini_parse_stream(read_line, &l, handler, &l);
    if (l.too_long) {
        snprintf(err, errlen, "%s:%d: line longer than %d characters, which is all inih reads",
                 src->name, l.line, l.too_long);
        return -1;
    }
    if (line < 0) {
        snprintf(err, errlen, "%s: cannot read: %s", src->name,
                 line == -2 ? "out of memory" : strerror(EIO));
        return -1;
    }
    /* inih reports its first error's line: ours, or a line it could not parse. */
    if (line > 0 && l.why[0] && l.why_line == line) {
        snprintf(err, errlen, "%s:%d: %s", src->name, line, l.why);
        return -1;
    }
    if (line > 0) {
        snprintf(err, errlen, "%s:%d: not a valid INI line (expected [section] or key = value)",
                 src->name, line);
        return -1;
    }
    return 0;
}

int config_parse_text(struct config *c, const char *text, const struct config_source *src,
                      char *err, size_t errlen)
{
    if (text && parse(c, text, src, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < c->nenvs; i++)
        if (!c->envs[i].site_packages) {
            snprintf(err, errlen, "%s:%d: [env:%s] needs site_packages = DIR[:DIR...]", src->name,
                     c->envs[i].line, c->envs[i].name);
            return -1;
        }
    if (c->nenvs == 0) {
        c->python_default = 1;
        env_get(c, CONFIG_DEFAULT_ENV);
    }
    return 0;
}

void config_free(struct config *c)
{
    struct config_neuron *n = &c->neuron;
    free(n->nocmodl);
    free(n->nrnunits);
    free(n->cc);
    free(n->cflags);
    free(n->include_dirs);
    free(n->lib_dir);
    free(n->nrnivmodl);
    free(c->path);
    free(c->socket);
    free(c->state_dir);
    free(c->cache_dir);
    free(c->collection);
    for (size_t i = 0; i < c->nenvs; i++) {
        free(c->envs[i].name);
        strv_free(c->envs[i].site_packages, c->envs[i].nsite);
    }
    free(c->envs);
    memset(c, 0, sizeof(*c));
}
