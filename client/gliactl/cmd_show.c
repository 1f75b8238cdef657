/*
 * gliactl show ASSET [--pkg P] [--variant V]: the candidates of an asset,
 * their parameters, and which one resolves now and why.
 */
#include "gliactl.h"

#include <string.h>

/* "a, b, c" of a string array. */
static const char *joined(const msgpack_object *arr, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    if (!arr || arr->type != MSGPACK_OBJECT_ARRAY)
        return buf;
    for (uint32_t i = 0; i < arr->via.array.size && off < len; i++) {
        char item[256];
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
                                obj_cstr(&arr->via.array.ptr[i], item, sizeof(item)));
    }
    return buf;
}

static void print_ions(const msgpack_object *ions)
{
    if (!ions || ions->type != MSGPACK_OBJECT_ARRAY || ions->via.array.size == 0)
        return;
    printf("  ions:");
    for (uint32_t i = 0; i < ions->via.array.size; i++) {
        const msgpack_object *ion = &ions->via.array.ptr[i];
        char r[512], w[512];
        joined(obj_get(ion, "read"), r, sizeof(r));
        joined(obj_get(ion, "write"), w, sizeof(w));
        printf("%s %s (%s%s%s%s%s)", i ? ";" : "", obj_str(ion, "name", "?"), *r ? "reads " : "", r,
               *r && *w ? ", " : "", *w ? "writes " : "", w);
    }
    printf("\n");
}

static void print_params(const msgpack_object *params)
{
    if (!params || params->type != MSGPACK_OBJECT_ARRAY || params->via.array.size == 0)
        return;
    printf("  parameters:\n");
    struct table *t = table_new(3, "    NAME", "DEFAULT", "UNITS");
    for (uint32_t i = 0; i < params->via.array.size; i++) {
        const msgpack_object *p = &params->via.array.ptr[i];
        char name[300];
        snprintf(name, sizeof(name), "    %s", obj_str(p, "name", "?"));
        table_add(t, name, obj_str(p, "value", "-"), obj_str(p, "units", ""));
    }
    table_print(t, stdout);
    table_free(t);
}

static void print_candidate(const msgpack_object *c)
{
    char buf[4096];
    printf("\n%s  [%s]  package %s, variant %s\n", obj_str(c, "full", "?"), obj_str(c, "kind", "?"),
           obj_str(c, "pkg", "?"), obj_str(c, "variant", "?"));
    const char *file = obj_str(c, "file", NULL);
    if (file)
        printf("  file: %s%s\n", file,
               obj_bool(c, "renamed") ? " (plain NEURON name; renamed in the build)" : "");
    const char *title = obj_str(c, "title", NULL);
    if (title)
        printf("  title: %s\n", title);
    print_ions(obj_get(c, "ions"));
    if (*joined(obj_get(c, "ranges"), buf, sizeof(buf)))
        printf("  range: %s\n", buf);
    if (*joined(obj_get(c, "globals"), buf, sizeof(buf)))
        printf("  global: %s\n", buf);
    print_params(obj_get(c, "params"));
}

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    const msgpack_object *cands = obj_get(r, "candidates");
    const msgpack_object *res = obj_get(r, "resolved");
    uint32_t n = cands && cands->type == MSGPACK_OBJECT_ARRAY ? cands->via.array.size : 0;
    printf("%s: %u candidate%s\n", obj_str(r, "asset", "?"), n, n == 1 ? "" : "s");
    if (strcmp(obj_str(res, "code", ""), "ok") == 0)
        printf("resolves to %s: %s\n", obj_str(res, "full", "?"), obj_str(res, "why", ""));
    else
        printf("does not resolve: %s\n", obj_str(res, "why", "?"));
    for (uint32_t i = 0; i < n; i++)
        print_candidate(&cands->via.array.ptr[i]);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    struct ctl_pv pv = {0};
    int i = ctl_getopt(ctl, &cmd_show, argc, argv, ctl_pv_opt, &pv);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_show, "expected one ASSET");
    msgpack_packer *pk = ctl_begin_synced(ctl, "asset");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "asset", argv[i]);
    ctl_pv_pack(pk, &pv);
    return ctl_finish(ctl, print, NULL);
}

const struct ctl_cmd cmd_show = {
    .name = "show",
    .synopsis = "ASSET [--pkg PKG] [--variant VARIANT]",
    .summary = "show an asset's candidates, their parameters, and the choice",
    .options = ctl_pv_options,
    .exec = exec,
};
