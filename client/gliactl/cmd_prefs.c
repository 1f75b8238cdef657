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
    return ctl_run_plain(ctl, &cmd_prefs, argc, argv, "prefs", print);
}

const struct ctl_cmd cmd_prefs = {
    .name = "prefs",
    .synopsis = "",
    .summary = "list the global preferences",
    .exec = exec,
};
