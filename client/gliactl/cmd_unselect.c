/*
 * gliactl unselect ASSET: drops the global preference `select` stored.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *asset)
{
    (void)ctl;
    if (obj_bool(r, "removed"))
        printf("%s: global preference removed\n", (const char *)asset);
    else
        printf("%s: had no global preference\n", (const char *)asset);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_unselect, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_unselect, "expected one ASSET");
    msgpack_packer *pk = ctl_begin(ctl, "unselect");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "asset", argv[i]);
    return ctl_finish(ctl, print, argv[i]);
}

const struct ctl_cmd cmd_unselect = {
    .name = "unselect",
    .synopsis = "ASSET",
    .summary = "forget the global preference of an asset",
    .exec = exec,
};
