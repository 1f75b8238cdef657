/*
 * gliactl add SOURCE.mod...: `pkg add --local`, the short form: into the
 * personal collection that gliad serves in every environment.
 */
#include "gliactl.h"

static int exec(struct ctl *ctl, int argc, char **argv)
{
    return ctl_add_mods(ctl, &cmd_add, argc, argv, 1);
}

static const struct option options[] = {
    {"name", required_argument, NULL, 'n'},
    {"variant", required_argument, NULL, 'v'},
    {"target", required_argument, NULL, 't'},
    {"overwrite", no_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

const struct ctl_cmd cmd_add = {
    .name = "add",
    .synopsis = "SOURCE.mod... [-n|--name ASSET] [-v|--variant V] [-t|--target PATH] "
                "[-w|--overwrite]",
    .summary = "add mods to your personal collection (package `local`, every environment)",
    .help = "As `gliactl pkg add --local`: copies each mod into your collection, a Glia\n"
            "package named `local` kept where gliad's [daemon] collection says (default\n"
            "$XDG_DATA_HOME/glia/collection) and made on first use. gliad serves it in\n"
            "every environment without pip, and sees additions at once:\n"
            "`gliactl resolve ASSET --pkg local`. `gliactl collection` lists it,\n"
            "`gliactl remove ASSET` takes a mod out.\n",
    .options = options,
    .exec = exec,
};
