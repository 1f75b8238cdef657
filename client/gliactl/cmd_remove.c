/*
 * gliactl remove ASSET [--variant V]: takes a mod out of the personal
 * collection (its file and its Mod entry; INCLUDEd files stay, another mod
 * may use them).
 */
#include "gliactl.h"
#include "mechname.h"
#include "os.h"
#include "pkg.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int on_opt(void *ud, int val, const char *arg)
{
    (void)val;
    *(const char **)ud = arg;
    return 0;
}

static void drop_entry(const struct pkg *p, const char *rel)
{
    char *init = xprintf("%s/__init__.py", p->moddir);
    char *text = file_read(init, 1u << 20, NULL);
    char *edited = text ? pkg_text_remove_mod(text, rel) : NULL;
    if (edited && pkg_write_file(init, edited, strlen(edited)) < 0)
        fprintf(stderr, "gliactl: warning: cannot write %s: %s\n", init, strerror(errno));
    free(edited);
    free(text);
    free(init);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    const char *variant = MECHNAME_DEFAULT_VARIANT;
    int i = ctl_getopt(ctl, &cmd_remove, argc, argv, on_opt, &variant);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_remove, "expected one ASSET");
    struct pkg p;
    if (ctl_collection(ctl, 0, &p) < 0)
        return EXIT_FAILED;
    char *rel = xprintf("mods/%s__%s.mod", argv[i], variant);
    char *path = xprintf("%s/%s", p.moddir, rel);
    int rc = EXIT_OK;
    if (strchr(argv[i], '/') || strchr(variant, '/') || unlink(path) < 0) {
        fprintf(stderr, "gliactl: %s: %s (`gliactl collection` lists what it holds)\n", path,
                errno == ENOENT || strchr(argv[i], '/') ? "not in your collection"
                                                        : strerror(errno));
        rc = EXIT_FAILED;
    } else {
        drop_entry(&p, rel);
        printf("removed %s__%s from your collection\n", argv[i], variant);
    }
    free(path);
    free(rel);
    pkg_free(&p);
    return rc;
}

static const struct option options[] = {
    {"variant", required_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

const struct ctl_cmd cmd_remove = {
    .name = "remove",
    .synopsis = "ASSET [-v|--variant V]",
    .summary = "take a mod out of your personal collection",
    .help = "Removes mods/ASSET__V.mod (V: 0 unless --variant) from your collection and its\n"
            "entry from the collection's __init__.py; gliad drops it from every environment.\n",
    .options = options,
    .exec = exec,
};
