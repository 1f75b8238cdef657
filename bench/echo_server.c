/*
 * echo_server: see echo_server.h.
 *
 * Sockets stay blocking: the loop only reads a socket epoll calls readable,
 * so read() returns at once, and a reply the size of a request always fits
 * the empty send buffer of a client that waits for it.
 */
#include "echo_server.h"
#include "bench_util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_EVENTS 64

static int listen_on(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        bench_die("echo socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 512) < 0)
        bench_die("echo server: cannot listen on %s: %s", path, strerror(errno));
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Echoes what one readable connection holds; closes it on EOF or error. */
static void echo_once(int ep, int fd)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0 || write_all(fd, buf, (size_t)n) < 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
    }
}

static void accept_one(int ep, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        close(fd);
}

static _Noreturn void serve(int lfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
        _exit(1);
    for (;;) {
        struct epoll_event evs[MAX_EVENTS];
        int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == lfd)
                accept_one(ep, lfd);
            else
                echo_once(ep, evs[i].data.fd);
        }
        if (n < 0 && errno != EINTR)
            _exit(1);
    }
}

pid_t echo_server_start(const char *path)
{
    int lfd = listen_on(path);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Never outlive the benchmark, even when it is killed, and die
         * on SIGTERM whatever the parent made of it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (getppid() != parent)
            _exit(0);
        serve(lfd);
    }
    close(lfd);
    return pid;
}

void echo_server_stop(pid_t pid, const char *path)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(path);
}
