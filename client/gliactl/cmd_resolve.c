/*
 * gliactl resolve ASSET [--pkg P] [--variant V]: the full mechanism name,
 * alone on stdout, for scripts: NAME=$(gliactl resolve Kv1).
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    printf("%s\n", obj_str(r, "full", ""));
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_pv pv = {0};
    int i = ctl_getopt(ctl, &cmd_resolve, argc, argv, ctl_pv_opt, &pv);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_resolve, "expected one ASSET");
    msgpack_packer *pk = ctl_begin_synced(ctl, "resolve");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "asset", argv[i]);
    ctl_pv_pack(pk, &pv);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_resolve = {
    .name = "resolve",
    .synopsis = "ASSET [--pkg PKG] [--variant VARIANT]",
    .summary = "print the full NEURON name an asset resolves to",
    .help = "Applies the global preferences (gliactl select) and the given package and\n"
            "variant, by the rules in docs/resolution.md. Fails (exit 1) when the asset is\n"
            "unknown, nothing matches, or several candidates remain.\n",
    .options = ctl_pv_options,
    .exec = exec,
};
