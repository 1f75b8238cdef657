/*
 * gliactl packages [--all]: the Glia packages of the environment.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    const msgpack_object *pkgs = obj_get(r, "packages");
    const msgpack_object *probs = obj_get(r, "problems");
    if (pkgs && pkgs->type == MSGPACK_OBJECT_ARRAY && pkgs->via.array.size > 0) {
        struct table *t = table_new(6, "PACKAGE", "VERSION", "MODS", "LAYOUT", "PROBLEMS", "ROOT");
        for (uint32_t i = 0; i < pkgs->via.array.size; i++) {
            const msgpack_object *p = &pkgs->via.array.ptr[i];
            char mods[32], nprob[32];
            snprintf(mods, sizeof(mods), "%lld", obj_int(p, "mods"));
            snprintf(nprob, sizeof(nprob), "%lld", obj_int(p, "problems"));
            table_add(t, obj_str(p, "name", "?"), obj_str(p, "version", "-"), mods,
                      obj_str(p, "layout", "?"), nprob, obj_str(p, "root", "-"));
        }
        table_print(t, stdout);
        table_free(t);
    } else {
        printf("no Glia packages in this environment\n");
    }
    for (uint32_t i = 0; probs && probs->type == MSGPACK_OBJECT_ARRAY && i < probs->via.array.size;
         i++)
        printf("warning: %s\n", obj_str(&probs->via.array.ptr[i], "reason", "?"));
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int all = 0;
    int i = ctl_getopt(ctl, &cmd_packages, argc, argv, ctl_flag_opt, &all);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_packages, "takes no arguments");
    msgpack_packer *pk = ctl_begin_synced(ctl, "packages");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kbool(pk, "builtins", all);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_packages = {
    .name = "packages",
    .synopsis = "[--all]",
    .summary = "list the Glia packages of the environment",
    .help = "  --all   include NEURON's built-in mechanisms (package NEURON)\n",
    .options = ctl_all_options,
    .exec = exec,
};
