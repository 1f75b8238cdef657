/*
 * sdnotify: see sdnotify.h. The protocol is a datagram of KEY=VALUE lines to
 * a Unix socket, whose name starts with '@' when it is abstract.
 */
#include "sdnotify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdnotify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@'))
        return -1;
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    close(fd);
    return n < 0 ? -1 : 0;
}

int sdnotify_status(const char *fmt, ...)
{
    char msg[512] = "STATUS=";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
    va_end(ap);
    return sdnotify(msg);
}

static void ping(uv_timer_t *t)
{
    (void)t;
    sdnotify("WATCHDOG=1");
}

void sdnotify_watchdog(uv_timer_t *timer)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    if (!usec || (pid && atol(pid) != (long)getpid()))
        return;
    unsigned long long ms = strtoull(usec, NULL, 10) / 2000;
    if (ms == 0)
        return;
    uv_timer_start(timer, ping, ms, ms);
}
