/*
 * gliactl sync: returns once gliad has taken in every change made on disk
 * before it was run (installs, uninstalls, edits).
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    printf("%s: in sync (index version %lld)\n", obj_str(r, "env", "?"),
           obj_int(r, "index_version"));
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    return ctl_run_plain(ctl, &cmd_sync, argc, argv, "sync", print);
}

const struct ctl_cmd cmd_sync = {
    .name = "sync",
    .synopsis = "",
    .summary = "wait until gliad has seen every change made on disk so far",
    .exec = exec,
};
