/*
 * gliactl pkg add SOURCE.mod...: copies mods into the Glia package the
 * current dir belongs to (or, with --local, into the personal collection),
 * each renamed to glia__<pkg>__<asset>__<variant> and listed in the
 * package's __init__.py. The sources are only read.
 */
#include "gliactl.h"
#include "pkg.h"

#include <string.h>

enum { OPT_LOCAL = 256 };

struct add_args {
    struct pkg_add_opts o;
    int local;
};

static const struct option options[] = {
    {"name", required_argument, NULL, 'n'},   {"variant", required_argument, NULL, 'v'},
    {"target", required_argument, NULL, 't'}, {"overwrite", no_argument, NULL, 'w'},
    {"local", no_argument, NULL, OPT_LOCAL},  {NULL, 0, NULL, 0},
};

static int on_opt(void *ud, int val, const char *arg)
{
    struct add_args *a = ud;
    switch (val) {
    case 'n':
        a->o.asset = arg;
        break;
    case 'v':
        a->o.variant = arg;
        break;
    case 't':
        a->o.target = arg;
        break;
    case 'w':
        a->o.overwrite = 1;
        break;
    default:
        a->local = 1;
    }
    return 0;
}

int ctl_add_mods(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv, int local)
{
    struct add_args a = {.local = local};
    int i = ctl_getopt(ctl, cmd, argc, argv, on_opt, &a);
    if (i < 0)
        return -i - 1;
    if (argc - i < 1)
        return ctl_usage(cmd, "expected SOURCE.mod");
    if (argc - i > 1 && (a.o.asset || a.o.target))
        return ctl_usage(cmd, "--name and --target name one mod: give one SOURCE.mod");
    struct pkg p;
    char err[1024];
    int found = a.local ? ctl_collection(ctl, 1, &p) : pkg_find(".", &p, err, sizeof(err));
    if (found < 0) {
        if (!a.local)
            fprintf(stderr, "gliactl: %s\n", err);
        return EXIT_FAILED;
    }
    int rc = EXIT_OK;
    for (; i < argc; i++)
        if (pkg_add_mod(&p, argv[i], &a.o) != EXIT_OK)
            rc = EXIT_FAILED;
    pkg_free(&p);
    return rc;
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    return ctl_add_mods(ctl, &cmd_pkg_add, argc, argv, 0);
}

const struct ctl_cmd cmd_pkg_add = {
    .name = "pkg add",
    .synopsis = "SOURCE.mod... [-n|--name ASSET] [-v|--variant V] [-t|--target PATH] "
                "[-w|--overwrite] [--local]",
    .summary = "copy mods into this package under their Glia names",
    .help = "Run inside a Glia package (its pyproject.toml is found from the current dir\n"
            "up). Each SOURCE.mod is copied to mods/ASSET__VARIANT.mod with its mechanism\n"
            "(SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL) renamed to\n"
            "glia__<package>__ASSET__VARIANT and nothing else changed, the files it\n"
            "INCLUDEs beside it, and a Mod(...) entry added to __init__.py's mods list.\n"
            "ASSET defaults to the file's ASSET__VARIANT.mod form, else to the mechanism's\n"
            "own name; VARIANT to 0. --target puts it at PATH under mods/ (a dir when it\n"
            "ends in '/'). An existing different file is refused unless --overwrite.\n"
            "--local adds to your personal collection instead (as `gliactl add`).\n",
    .options = options,
    .exec = exec,
};
