/*
 * gliactl collection: what the personal collection holds, read from its
 * files (gliad need not run): each mod's asset, variant, mechanism, kind.
 * `gliactl list` and `gliactl show` say what gliad made of them.
 */
#include "gliactl.h"
#include "mechname.h"
#include "os.h"
#include "pkg.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* One row: the mechanism's parts as the file declares them. */
static void describe(const char *path, char *kind, size_t klen, struct mechname *mn)
{
    size_t len;
    char *text = file_read(path, 4u << 20, &len);
    struct modfile_info info;
    struct modfile_error err;
    memset(mn, 0, sizeof(*mn));
    snprintf(kind, klen, "unreadable");
    if (text && modfile_parse(text, len, &info, &err) == 0) {
        snprintf(kind, klen, "%s", modfile_kind_name(info.kind));
        modfile_name_after_file(&info, path);
        if (mechname_parse(info.name, mn, NULL, 0) != MECHNAME_OK)
            mn->pkg = xstrdup(info.name); /* not a Glia name: shown as it is */
        modfile_info_free(&info);
    } else if (text) {
        snprintf(kind, klen, "line %d: %s", err.line, err.message);
    }
    free(text);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_collection, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_collection, "takes no arguments");
    struct pkg p;
    if (ctl_collection(ctl, 0, &p) < 0)
        return EXIT_FAILED;
    char **mods;
    size_t n;
    pkg_list_mods(p.mods, &mods, &n);
    struct table *t = table_new(5, "ASSET", "VARIANT", "MECHANISM", "KIND", "FILE");
    json_t *rows = ctl->json ? json_array() : NULL;
    for (size_t k = 0; k < n; k++) {
        char kind[200];
        struct mechname mn;
        describe(mods[k], kind, sizeof(kind), &mn);
        char *full = mn.asset ? mechname_format(mn.pkg, mn.asset, mn.variant) : xstrdup("");
        const char *rel = mods[k] + strlen(p.moddir) + 1;
        if (rows) {
            json_array_append_new(rows, json_pack("{s:o, s:o, s:o, s:o, s:o}", "asset",
                                                  json_cstr(mn.asset ? mn.asset : ""), "variant",
                                                  json_cstr(mn.variant ? mn.variant : ""),
                                                  "mechanism", json_cstr(full), "kind",
                                                  json_cstr(kind), "file", json_cstr(mods[k])));
        } else
            table_add(t, mn.asset ? mn.asset : "?", mn.variant ? mn.variant : "?",
                      mn.asset ? full
                      : mn.pkg ? mn.pkg
                               : "?",
                      kind, rel);
        free(full);
        mechname_free(&mn);
    }
    if (rows)
        json_emit(stdout, rows);
    else if (n)
        table_print(t, stdout);
    else
        printf("your collection (%s) holds no mods\n", p.root);
    table_free(t);
    strv_free(mods, n);
    pkg_free(&p);
    return EXIT_OK;
}

const struct ctl_cmd cmd_collection = {
    .name = "collection",
    .synopsis = "",
    .summary = "list your personal mod collection (package `local`)",
    .exec = exec,
};
