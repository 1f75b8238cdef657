/*
 * placement: which CPUs the client, the echo baseline and gliad run on.
 *
 * On this kind of VM a round trip between two vCPUs costs tens of
 * microseconds in wake-ups alone, several times a whole round trip on one
 * CPU. Left alone, the scheduler keeps waking each server on the CPU it last
 * ran on: the echo server (forked from the client) stays on the client's
 * CPU, gliad on whichever it has been using, and the two latencies compare
 * placements, not servers (5x one way or 0.25x the other, from one binary).
 * So every figure is taken with the baseline pinned exactly like gliad:
 *
 *   split  the client on one CPU, both servers on another (a daemon on its
 *          own core: the case the 2-core throughput target is about)
 *   same   everything on one CPU (no cross-CPU wake-up at all: the purest
 *          view of what gliad itself adds per request)
 *
 * gliad's loop thread — the one that answers — is pinned with
 * sched_setaffinity and given its own mask back afterwards.
 */
#ifndef GLIA_BENCH_PLACEMENT_H
#define GLIA_BENCH_PLACEMENT_H

#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

enum placement {
    PLACE_SPLIT,
    PLACE_SAME,
};

struct pinning {
    pid_t pid[3]; /* the client (this thread), the echo server, gliad */
    cpu_set_t orig[3];
    int cpus[2]; /* the first two CPUs the client may use; -1 if missing */
};

/* Reads everyone's mask. Returns 0, or -1 when gliad cannot be pinned (no
 * pid, or not ours to change). */
int pinning_init(struct pinning *p, pid_t echo, pid_t gliad);

/* Pins everyone for placement `pl`. Returns 0, or -1 when this machine
 * cannot have it (split on one CPU) or a process went away. */
int pinning_apply(struct pinning *p, enum placement pl);

/* Gives everyone the mask they had at pinning_init. */
void pinning_restore(struct pinning *p);

const char *placement_name(enum placement pl);

/* "client on CPU 0, echo and gliad on CPU 1", for the report. */
void placement_describe(const struct pinning *p, enum placement pl, char *buf, size_t len);

#endif
