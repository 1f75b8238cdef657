/*
 * placement: see placement.h.
 */
#include "placement.h"

#include <stdio.h>

enum { CLIENT, ECHO, GLIAD };

int pinning_init(struct pinning *p, pid_t echo, pid_t gliad)
{
    p->pid[CLIENT] = 0; /* this thread */
    p->pid[ECHO] = echo;
    p->pid[GLIAD] = gliad;
    p->cpus[0] = p->cpus[1] = -1;
    for (int i = 0; i < 3; i++)
        if (sched_getaffinity(p->pid[i], sizeof(cpu_set_t), &p->orig[i]) < 0)
            return -1;
    for (int c = 0, found = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET(c, &p->orig[CLIENT]))
            p->cpus[found++] = c;
    /* Setting gliad's own mask again tells whether it is ours to pin. */
    if (gliad <= 0 || sched_setaffinity(gliad, sizeof(cpu_set_t), &p->orig[GLIAD]) < 0)
        return -1;
    return 0;
}

static int pin(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(pid, sizeof(set), &set);
}

int pinning_apply(struct pinning *p, enum placement pl)
{
    int client = p->cpus[0], server = pl == PLACE_SPLIT ? p->cpus[1] : p->cpus[0];
    if (client < 0 || server < 0)
        return -1;
    if (pin(p->pid[CLIENT], client) < 0 || pin(p->pid[ECHO], server) < 0 ||
        pin(p->pid[GLIAD], server) < 0)
        return -1;
    return 0;
}

void pinning_restore(struct pinning *p)
{
    for (int i = 0; i < 3; i++)
        sched_setaffinity(p->pid[i], sizeof(cpu_set_t), &p->orig[i]);
}

const char *placement_name(enum placement pl)
{
    return pl == PLACE_SPLIT ? "split" : "same";
}

void placement_describe(const struct pinning *p, enum placement pl, char *buf, size_t len)
{
    if (pl == PLACE_SPLIT)
        snprintf(buf, len, "client on CPU %d, echo and gliad on CPU %d", p->cpus[0], p->cpus[1]);
    else
        snprintf(buf, len, "client, echo and gliad all on CPU %d", p->cpus[0]);
}
