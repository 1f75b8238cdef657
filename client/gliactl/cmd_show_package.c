/*
 * gliactl show-package NAME: where a package lives, its mechanisms and
 * what could not be used.
 */
#include "gliactl.h"

/* A library mod (SUFFIX nothing) inserts nothing: what it gives is names. */
static void print_provides(const msgpack_object *mechs)
{
    for (uint32_t i = 0; i < mechs->via.array.size; i++) {
        const msgpack_object *m = &mechs->via.array.ptr[i];
        const msgpack_object *names = obj_get(m, "provides");
        if (!names || names->type != MSGPACK_OBJECT_ARRAY || !names->via.array.size)
            continue;
        printf("%s provides the global hoc names", obj_str(m, "file", "?"));
        for (uint32_t k = 0; k < names->via.array.size; k++) {
            char name[256];
            printf("%s %s", k ? "," : "", obj_cstr(&names->via.array.ptr[k], name, sizeof(name)));
        }
        printf("\n");
    }
}

static void print(struct ctl *ctl, const msgpack_object *p, void *ud)
{
    (void)ctl;
    (void)ud;
    printf("%s %s (%s layout%s)\n", obj_str(p, "name", "?"), obj_str(p, "version", ""),
           obj_str(p, "layout", "?"), obj_bool(p, "editable") ? ", editable install" : "");
    printf("  entry point: %s = %s\n", obj_str(p, "entry", "?"), obj_str(p, "module", "?"));
    printf("  module dir:  %s\n", obj_str(p, "root", "-"));
    printf("  dist-info:   %s\n", obj_str(p, "dist_info", "-"));
    const msgpack_object *mechs = obj_get(p, "mechanisms");
    if (mechs && mechs->type == MSGPACK_OBJECT_ARRAY && mechs->via.array.size) {
        printf("\n");
        struct table *t = table_new(5, "MECHANISM", "ASSET", "VARIANT", "KIND", "FILE");
        for (uint32_t i = 0; i < mechs->via.array.size; i++) {
            const msgpack_object *m = &mechs->via.array.ptr[i];
            table_add(t, obj_str(m, "full", "?"), obj_str(m, "asset", "?"),
                      obj_str(m, "variant", "?"), obj_str(m, "kind", "?"), obj_str(m, "file", "-"));
        }
        table_print(t, stdout);
        table_free(t);
        print_provides(mechs);
    }
    const msgpack_object *probs = obj_get(p, "problem_list");
    for (uint32_t i = 0; probs && probs->type == MSGPACK_OBJECT_ARRAY && i < probs->via.array.size;
         i++) {
        const msgpack_object *pr = &probs->via.array.ptr[i];
        long long line = obj_int(pr, "line");
        if (line)
            printf("problem: %s:%lld: %s\n", obj_str(pr, "file", "?"), line,
                   obj_str(pr, "reason", "?"));
        else
            printf("problem: %s: %s\n", obj_str(pr, "file", "?"), obj_str(pr, "reason", "?"));
    }
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_show_package, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_show_package, "expected one package NAME");
    msgpack_packer *pk = ctl_begin_synced(ctl, "package");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "name", argv[i]);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_show_package = {
    .name = "show-package",
    .synopsis = "NAME",
    .summary = "show a package: where it lives, its mechanisms, its problems",
    .exec = exec,
};
