/*
 * gliactl list [--all]: every asset and where it comes from.
 */
#include "gliactl.h"

#include <string.h>

/* Are candidates a and b of one package? Compared as gliad sent them:
 * obj_str's copies are for display (control characters replaced), and a
 * ring that a long list of variants would wrap. */
static int same_pkg(const msgpack_object *a, const msgpack_object *b)
{
    const msgpack_object *x = obj_get(a, "pkg"), *y = obj_get(b, "pkg");
    int xs = x && x->type == MSGPACK_OBJECT_STR, ys = y && y->type == MSGPACK_OBJECT_STR;
    if (!xs || !ys)
        return xs == ys;
    return x->via.str.size == y->via.str.size &&
           (x->via.str.size == 0 || memcmp(x->via.str.ptr, y->via.str.ptr, x->via.str.size) == 0);
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
            /* Rows of one package are grouped: the first of each says it all. */
            int first = 1;
            for (uint32_t k = 0; k < j && first; k++)
                first = !same_pkg(&cand[k], &cand[j]);
            if (!first)
                continue;
            char variants[1024] = "";
            size_t off = 0;
            for (uint32_t k = j; k < c->via.array.size && off < sizeof(variants); k++)
                if (same_pkg(&cand[k], &cand[j]))
                    off += (size_t)snprintf(variants + off, sizeof(variants) - off, "%s%s",
                                            off ? ", " : "", obj_str(&cand[k], "variant", "?"));
            table_add(t, obj_str(a, "asset", "?"), obj_str(&cand[j], "kind", "?"),
                      obj_str(&cand[j], "pkg", ""), variants);
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
    msgpack_packer *pk = ctl_begin_synced(ctl, "assets");
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
