/*
 * gliad: the daemon as a whole, the top layer: it starts every subsystem,
 * routes the environments' events to the server, reloads and stops. Its
 * context struct is in gliad_defs.h, for the layers below.
 */
#ifndef GLIA_GLIAD_H
#define GLIA_GLIAD_H

#include "gliad_defs.h"

/* Starts shutting down: stop accepting, answer what is in flight, and let
 * the loop run dry. Safe to call twice. */
void gliad_stop(struct gliad *g, const char *why);

/* Puts the command line's overrides (cli_socket, cli_log_level) into c, a
 * config just read from the file. */
void gliad_apply_cli(const struct gliad *g, struct config *c);

/* The environments of the config, then those clients registered. */
void gliad_add_envs(struct gliad *g);
/* Sends the environments' events (an index, a build's progress) to the
 * clients subscribed to them, and READY=1 to systemd once all are indexed. */
void gliad_route_events(struct gliad *g);
/* Makes the personal collection's dir ([daemon] collection) when missing. */
void gliad_make_collection(struct gliad *g);
/* SIGHUP: reads the config again; environments follow it. */
void gliad_reload(struct gliad *g);
void gliad_on_signal(uv_signal_t *h, int signum);

#endif
