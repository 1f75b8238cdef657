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
    int i = ctl_getopt(ctl, &cmd_sync, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_sync, "takes no arguments");
    if (!ctl_begin(ctl, "sync", 0))
        return EXIT_UNREACHABLE;
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_sync = {
    .name = "sync",
    .synopsis = "",
    .summary = "wait until gliad has seen every change made on disk so far",
    .exec = exec,
};
