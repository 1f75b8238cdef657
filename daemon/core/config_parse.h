/*
 * config_parse: gliad's settings from the text of an INI file, on plain
 * data. system/config.c fills in the defaults (which depend on the user's
 * directories and the machine), reads the file and hands its text here.
 *
 *   [daemon]     socket, state_dir, cache_dir, jobs, debounce_ms, log_level,
 *                keep_generations, cache_max_mb, allow_overlap, collection
 *   [neuron]     nocmodl, nrnunits, cc, cflags, include_dirs, lib_dir, nrnivmodl,
 *                timeout_s (all detected from the installed NEURON when absent)
 *   [env:NAME]   site_packages = DIR[:DIR...], backend = direct | nrnivmodl
 *
 * The environment named `default` is used when a client names none; with
 * no [env:...] section at all, `default` is the site-packages of the
 * python3 found on PATH (resolved later, by the daemon, since that means
 * running python3).
 */
#ifndef GLIA_CONFIG_PARSE_H
#define GLIA_CONFIG_PARSE_H

#include <stddef.h>

#define CONFIG_DEFAULT_ENV "default"

enum config_backend {
    CONFIG_BACKEND_DIRECT,    /* gliad runs nocmodl and cc per mod itself */
    CONFIG_BACKEND_NRNIVMODL, /* the installation's nrnivmodl on a staging dir */
};

struct config_env {
    char *name;
    char **site_packages;
    size_t nsite;
    enum config_backend backend;
    int line; /* of its [env:NAME] header */
};

/* NULL / 0: detect from the installed NEURON. */
struct config_neuron {
    char *nocmodl;
    char *nrnunits;
    char *cc;
    char *cflags;
    char *include_dirs; /* DIR[:DIR...] */
    char *lib_dir;      /* where libnrniv.so is */
    char *nrnivmodl;
    int timeout_s; /* per compiler process */
};

struct config {
    char *path; /* file read, or NULL when none */
    char *socket;
    char *state_dir;
    char *cache_dir;
    /* The user's personal mod collection (gliactl add): a Glia package laid
     * out as if installed, scanned as one more site dir of every env. */
    char *collection;
    int jobs;
    int debounce_ms;
    int log_level;        /* enum log_level */
    int keep_generations; /* newest libraries kept per environment */
    int cache_max_mb;     /* object cache bound (least recently used out first) */
    int allow_overlap;    /* serve a Python apart from an env it overlaps in part (envid.h) */
    struct config_neuron neuron;
    struct config_env *envs;
    size_t nenvs;
    int python_default; /* no [env:...]: `default` comes from python3 on PATH */
};

/* What the text alone does not say. */
struct config_source {
    const char *name; /* the file's name, for messages */
    const char *dir;  /* absolute dir relative paths are taken from, or NULL */
    const char *home; /* what "~/" stands for, or NULL */
    /* log_level's words to their level (enum log_level), -1 for others:
     * the levels belong to the log, which the config only names. */
    int (*log_level_parse)(const char *word);
};

/*
 * Applies the INI `text` (NULL: there is no file) over *c, which holds the
 * defaults, and then sees that every environment is complete. Returns 0,
 * or -1 with err naming file, line and key ("gliad.ini:7: [daemon] jobs:
 * expected a whole number from 1 to 256, got 'many'"); *c is then partly
 * set and is only to be freed.
 */
int config_parse_text(struct config *c, const char *text, const struct config_source *src,
                      char *err, size_t errlen);

void config_free(struct config *c);

/* Splits "a:b:c" into a vector of non-empty parts. */
char **config_split_path(const char *s, size_t *n);

#endif
