/*
 * sdnotify: systemd's readiness protocol, without libsystemd: one datagram
 * to $NOTIFY_SOCKET per state change (READY=1, STATUS=..., WATCHDOG=1).
 * Without NOTIFY_SOCKET every call is a no-op.
 */
#ifndef GLIA_SDNOTIFY_H
#define GLIA_SDNOTIFY_H

#include <uv.h>

/* Sends one message ("READY=1\nSTATUS=..."). Returns 0, or -1 when it could
 * not be sent (not under systemd is 0). */
int sdnotify(const char *msg);
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Starts pinging the watchdog at half of $WATCHDOG_USEC, when systemd asked
 * for it. The timer is the caller's, initialised and later closed by it. */
void sdnotify_watchdog(uv_timer_t *timer);

#endif
