/*
 * gliactl rescan: reads the environment's site-packages again and waits
 * until the new index is served.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    printf("%s: %lld packages, %lld mods (scanned in %.1f ms)\n", obj_str(r, "env", "?"),
           obj_int(r, "packages"), obj_int(r, "mods"), obj_double(r, "ms"));
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    return ctl_run_plain(ctl, &cmd_rescan, argc, argv, "rescan", print);
}

const struct ctl_cmd cmd_rescan = {
    .name = "rescan",
    .synopsis = "",
    .summary = "scan the environment's site-packages again",
    .exec = exec,
};
