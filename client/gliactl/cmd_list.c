/*
 * gliactl list [--all]: every asset and where it comes from.
 */
#include "gliactl.h"

#include <string.h>

/* Is candidate c's package pkg? Compared in place: obj_str's buffers are
 * a ring that a long list of variants would wrap. */
static int of_pkg(const msgpack_object *c, const char *pkg)
{
    const msgpack_object *o = obj_get(c, "pkg");
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return *pkg == '\0';
    return proto_str_eq(o, pkg);
}

/* One row per asset and package: "Na  density  glia_test_mods  0, t". */
static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    if (r->type != MSGPACK_OBJECT_ARRAY || r->via.array.size == 0) {
        printf("no assets: no Glia package is installed in this environment\n");
        return;
    }
    struct table *t = table_new(4, "ASSET", "KIND", "PACKAGE", "VARIANTS");
    for (uint32_t i = 0; i < r->via.array.size; i++) {
        const msgpack_object *a = &r->via.array.ptr[i];
        const msgpack_object *c = obj_get(a, "candidates");
        if (!c || c->type != MSGPACK_OBJECT_ARRAY)
            continue;
        const msgpack_object *cand = c->via.array.ptr;
        for (uint32_t j = 0; j < c->via.array.size; j++) {
            char pkg[4096];
            snprintf(pkg, sizeof(pkg), "%s", obj_str(&cand[j], "pkg", ""));
            /* Rows of one package are grouped: the first of each says it all. */
            int first = 1;
            for (uint32_t k = 0; k < j && first; k++)
                first = !of_pkg(&cand[k], pkg);
            if (!first)
                continue;
            char variants[1024] = "";
            size_t off = 0;
            for (uint32_t k = j; k < c->via.array.size && off < sizeof(variants); k++)
                if (of_pkg(&cand[k], pkg))
                    off += (size_t)snprintf(variants + off, sizeof(variants) - off, "%s%s",
                                            off ? ", " : "", obj_str(&cand[k], "variant", "?"));
            table_add(t, obj_str(a, "asset", "?"), obj_str(&cand[j], "kind", "?"), pkg,
                      variants);
        }
    }
    table_print(t, stdout);
    table_free(t);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int all = 0;
    int i = ctl_getopt(ctl, &cmd_list, argc, argv, ctl_flag_opt, &all);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_list, "takes no arguments");
    msgpack_packer *pk = ctl_begin_synced(ctl, "assets", 1);
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kbool(pk, "builtins", all);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_list = {
    .name = "list",
    .synopsis = "[--all]",
    .summary = "list the assets of the environment",
    .help = "  --all   include NEURON's built-in mechanisms (package NEURON)\n",
    .options = ctl_all_options,
    .exec = exec,
};
