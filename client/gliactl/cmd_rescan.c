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
    int i = ctl_getopt(ctl, &cmd_rescan, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_rescan, "takes no arguments");
    if (!ctl_begin(ctl, "rescan", 0))
        return EXIT_UNREACHABLE;
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_rescan = {
    .name = "rescan",
    .synopsis = "",
    .summary = "scan the environment's site-packages again",
    .exec = exec,
};
