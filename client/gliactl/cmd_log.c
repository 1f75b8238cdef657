/*
 * gliactl log [NAME]: why mechanisms were left out of the library, with
 * the compiler's own words; NAME narrows it to an asset, a package or a
 * full mechanism name.
 */
#include "gliactl.h"

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    const char *error = obj_str(r, "error", NULL);
    if (error)
        printf("the last build failed: %s\n", error);
    const msgpack_object *f = obj_get(r, "failures");
    if (!f || f->type != MSGPACK_OBJECT_ARRAY || f->via.array.size == 0) {
        if (!error)
            printf("no build problems in %s\n", obj_str(r, "env", "?"));
        return;
    }
    for (uint32_t i = 0; i < f->via.array.size; i++) {
        const msgpack_object *x = &f->via.array.ptr[i];
        printf("%s%s (package %s)\n  %s\n", i ? "\n" : "", obj_str(x, "full", "?"),
               obj_str(x, "pkg", "?"), obj_str(x, "summary", "?"));
        obj_print_lines(stdout, obj_get(x, "detail"), "    | ");
    }
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_log, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i > 1)
        return ctl_usage(&cmd_log, "expected at most one NAME");
    msgpack_packer *pk = ctl_begin(ctl, "log");
    if (!pk)
        return EXIT_UNREACHABLE;
    if (argc - i == 1)
        proto_pack_kstr(pk, "name", argv[i]);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_log = {
    .name = "log",
    .synopsis = "[ASSET|PACKAGE|MECHANISM]",
    .summary = "show why mechanisms were left out of the library",
    .exec = exec,
};
