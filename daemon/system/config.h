/*
 * config: gliad's settings, from an INI file read with inih.
 *
 *   [daemon]     socket, state_dir, cache_dir, jobs, debounce_ms, log_level,
 *                keep_generations, cache_max_mb, allow_overlap, collection
 *   [neuron]     nocmodl, nrnunits, cc, cflags, include_dirs, lib_dir, nrnivmodl,
 *                timeout_s (all detected from the installed NEURON when absent)
 *   [env:NAME]   site_packages = DIR[:DIR...], backend = direct | nrnivmodl
 *
 * Every key has a default and no file is needed. The environment named
 * `default` is used when a client names none; with no [env:...] section at
 * all, `default` is the site-packages of the python3 found on PATH (resolved
 * later, by the daemon, since that means running python3).
 */
#ifndef GLIA_CONFIG_H
#define GLIA_CONFIG_H

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
    int timeout_s;      /* per compiler process */
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
    int log_level; /* enum log_level */
    int keep_generations; /* newest libraries kept per environment */
    int cache_max_mb;     /* object cache bound (least recently used out first) */
    int allow_overlap;    /* serve a Python apart from an env it overlaps in part (envid.h) */
    struct config_neuron neuron;
    struct config_env *envs;
    size_t nenvs;
    int python_default; /* no [env:...]: `default` comes from python3 on PATH */
};

/* The file read when --config is not given: $XDG_CONFIG_HOME/glia/gliad.ini
 * or ~/.config/glia/gliad.ini. malloc'd. */
char *config_default_path(void);

/*
 * Fills *c with defaults, then with the file at `path` when it exists (a
 * missing file is not an error: defaults apply). Returns 0, or -1 with err
 * naming file, line and key ("gliad.ini:7: [daemon] jobs: expected a
 * positive integer, got 'many'"). Always free with config_free.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
void config_free(struct config *c);

/* Splits "a:b:c" into a vector of non-empty parts. */
char **config_split_path(const char *s, size_t *n);

#endif
