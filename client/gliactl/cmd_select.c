/*
 * gliactl select ASSET [--pkg=P] [--variant=V]: a global preference, as the
 * Python Glia's `glia select` spelled it.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *asset)
{
    (void)ctl;
    printf("%s: package %s, variant %s (global preference)\n", (const char *)asset,
           obj_str(r, "pkg", "any"), obj_str(r, "variant", "any"));
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_pv pv = {0};
    int i = ctl_getopt(ctl, &cmd_select, argc, argv, ctl_pv_opt, &pv);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_select, "expected one ASSET");
    if (!pv.pkg && !pv.variant)
        return ctl_usage(&cmd_select, "give --pkg, --variant or both");
    msgpack_packer *pk = ctl_begin_synced(ctl, "select");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "asset", argv[i]);
    ctl_pv_pack(pk, &pv);
    return ctl_finish(ctl, print, argv[i]);
}

const struct ctl_cmd cmd_select = {
    .name = "select",
    .synopsis = "ASSET [--pkg=PKG] [--variant=VARIANT]",
    .summary = "prefer a package and/or variant of an asset, for every script",
    .help = "Stored by gliad and kept across restarts; scripts' own choices (glia.select,\n"
            "glia.context, pkg=/variant= on insert) still come first. Undo with unselect.\n",
    .options = ctl_pv_options,
    .exec = exec,
};
