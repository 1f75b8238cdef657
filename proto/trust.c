/*
 * Trusting the socket before talking to it (see client.h).
 *
 * Without XDG_RUNTIME_DIR the socket is /tmp/glia-<uid>/gliad.sock, and any
 * user can create /tmp/glia-<uid> first and serve a gliad of their own
 * there, whose answers name the library the client then loads into its
 * process. So a client sends nothing until it knows that the socket's
 * directory is this user's and writable by no one else (refused early, with
 * a message naming what to remove), and that the process listening runs as
 * this user (SO_PEERCRED: the proof; no swap between the check of the
 * directory and the connect gets around it).
 */
#include "client.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The real directory (symlinks resolved) holding what `path` reaches: the
 * socket's, else, before gliad made the socket, the one named. Returns 0,
 * or -1 when neither exists: connecting then says so. */
static int real_socket_dir(const char *path, char dir[PATH_MAX])
{
    if (realpath(path, dir)) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash++; /* "/x" is in "/" */
        *slash = '\0';
        return 0;
    }
    char *copy = strdup(path);
    int rc = copy && realpath(dirname(copy), dir) ? 0 : -1;
    free(copy);
    return rc;
}

int proto_trust_socket_dir(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    struct stat st;
    if (real_socket_dir(path, dir) < 0 || stat(dir, &st) < 0)
        return 0;
    uid_t me = geteuid();
    if (st.st_uid != me) {
        snprintf(err, errlen,
                 "refusing %s: its directory %s is owned by uid %u, not by you (uid %u), so "
                 "another user may be answering there; remove %s (its owner or root can), "
                 "or set GLIA_SOCKET to a socket in a directory of your own",
                 path, dir, (unsigned)st.st_uid, (unsigned)me, dir);
        errno = EPERM;
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen,
                 "refusing %s: its directory %s is writable by others (mode %03o), so anyone "
                 "could put a socket of their own there; run `chmod go-w %s`, or set "
                 "GLIA_SOCKET to a socket in a directory of your own",
                 path, dir, (unsigned)(st.st_mode & 0777), dir);
        errno = EPERM;
        return -1;
    }
    return 0;
}

int proto_trust_peer(int fd, const char *path, char *err, size_t errlen)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        int e = errno;
        snprintf(err, errlen, "refusing %s: cannot tell who serves it: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    if (cred.uid != geteuid()) {
        snprintf(err, errlen,
                 "refusing %s: the process serving it (pid %d) runs as uid %u, not as you "
                 "(uid %u), so it is not your gliad; set GLIA_SOCKET to your own gliad's "
                 "socket, or have that process stopped",
                 path, (int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
        errno = EPERM;
        return -1;
    }
    return 0;
}
