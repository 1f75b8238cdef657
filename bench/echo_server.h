/*
 * echo_server: the baseline gliad is measured against — a process that
 * listens on a Unix socket and writes back every byte it reads.
 *
 * It is shaped like gliad on purpose (a separate process, one thread, one
 * epoll loop serving every connection), so the difference between the two
 * is what gliad does per request: decoding, the method, packing the reply,
 * libuv — not the kernel's socket path or the scheduling of a second
 * process, which both pay.
 */
#ifndef GLIA_BENCH_ECHO_SERVER_H
#define GLIA_BENCH_ECHO_SERVER_H

#include <sys/types.h>

/* Binds `path` (which must not exist), forks the server and returns its
 * pid; dies on failure. The socket accepts connections once this returns. */
pid_t echo_server_start(const char *path);

/* Stops the server and removes its socket. */
void echo_server_stop(pid_t pid, const char *path);

#endif
