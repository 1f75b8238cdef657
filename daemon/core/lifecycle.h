/*
 * lifecycle: an environment's states and their legal transitions, as pure
 * functions of plain facts. What each state means and why is written where
 * the state lives, in env/env.h.
 */
#ifndef GLIA_LIFECYCLE_H
#define GLIA_LIFECYCLE_H

enum env_state {
    ENV_PROBING,
    ENV_SCANNING,
    ENV_BUILDING,
    ENV_PUBLISHING,
    ENV_SETTLED,
    ENV_STOPPING,
    ENV_RELEASED,
};

/* What an environment is doing and was asked to do. */
struct lifecycle_facts {
    int released, stopping;
    int publishing;             /* its build commits its generation */
    int building, build_wanted; /* a build runs; one is due */
    int probing;                /* python3 is asked for the site dirs */
    int scanning, scan_wanted;  /* a scan runs; one is due */
    int indexed;                /* it has an index */
};

/* The state those facts make (env.h says which wins when several hold). */
enum env_state lifecycle_state(const struct lifecycle_facts *f);
/* 1 when env.h lists from -> to (staying is always legal). */
int lifecycle_legal(enum env_state from, enum env_state to);
const char *lifecycle_name(enum env_state s);

#endif
