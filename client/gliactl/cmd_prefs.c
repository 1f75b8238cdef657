/*
 * gliactl prefs: the global preferences, one line per asset.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    const msgpack_object *assets = obj_get(r, "assets");
    if (!assets || assets->type != MSGPACK_OBJECT_MAP || assets->via.map.size == 0) {
        printf("no global preferences (gliactl select ASSET --pkg=P sets one)\n");
        return;
    }
    struct table *t = table_new(3, "ASSET", "PACKAGE", "VARIANT");
    for (uint32_t i = 0; i < assets->via.map.size; i++) {
        char asset[256];
        const msgpack_object *v = &assets->via.map.ptr[i].val;
        table_add(t, obj_cstr(&assets->via.map.ptr[i].key, asset, sizeof(asset)),
                  obj_str(v, "pkg", "(any)"), obj_str(v, "variant", "(any)"));
    }
    table_print(t, stdout);
    table_free(t);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_prefs, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_prefs, "takes no arguments");
    if (!ctl_begin(ctl, "prefs", 0))
        return EXIT_UNREACHABLE;
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_prefs = {
    .name = "prefs",
    .synopsis = "",
    .summary = "list the global preferences",
    .exec = exec,
};
