/*
 * lifecycle: see lifecycle.h.
 */
#include "lifecycle.h"

enum env_state lifecycle_state(const struct lifecycle_facts *f)
{
    if (f->released)
        return ENV_RELEASED;
    if (f->stopping)
        return ENV_STOPPING;
    if (f->publishing)
        return ENV_PUBLISHING;
    if (f->building || f->build_wanted)
        return ENV_BUILDING;
    if (f->probing)
        return ENV_PROBING;
    if (f->scanning || f->scan_wanted || !f->indexed)
        return ENV_SCANNING;
    return ENV_SETTLED;
}

int lifecycle_legal(enum env_state from, enum env_state to)
{
    if (from == to)
        return 1;
    switch (to) {
    case ENV_RELEASED:
        return 1;
    case ENV_STOPPING:
        return from != ENV_RELEASED;
    case ENV_PUBLISHING: /* only a build that runs commits */
        return from == ENV_BUILDING;
    default: /* the end is the end */
        return from != ENV_RELEASED && from != ENV_STOPPING;
    }
}

const char *lifecycle_name(enum env_state s)
{
    static const char *const names[] = {"probing", "scanning", "building", "publishing",
                                        "settled", "stopping", "released"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
