/*
 * config: gliad's settings, from an INI file (its keys: config_parse.h).
 * Every key has a default and no file is needed.
 */
#ifndef GLIA_CONFIG_H
#define GLIA_CONFIG_H

#include "config_parse.h"

#include <stddef.h>

/* The file read when --config is not given: $XDG_CONFIG_HOME/glia/gliad.ini
 * or ~/.config/glia/gliad.ini. malloc'd. */
char *config_default_path(void);

/*
 * Fills *c with defaults, then with the file at `path` when it exists (a
 * missing file is not an error: defaults apply). Returns 0, or -1 with err
 * naming file, line and key (see config_parse_text). Always free with
 * config_free.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

#endif
