/*
 * gliactl pkg SUBCOMMAND: authoring Glia packages, as Glia 4's `glia pkg`
 * does: `pkg new`, `pkg add`, `pkg check` (one file each).
 */
#include "gliactl.h"

#include <string.h>

static const struct ctl_cmd *const subcommands[] = {&cmd_pkg_new, &cmd_pkg_add, &cmd_pkg_check,
                                                    NULL};

static void list(FILE *f)
{
    for (const struct ctl_cmd *const *c = subcommands; *c; c++)
        fprintf(f, "  gliactl %-10s %s\n", (*c)->name, (*c)->summary);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: gliactl pkg new|add|check [ARGS...]\n\n");
        list(f);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (const struct ctl_cmd *const *c = subcommands; *c; c++)
        if (strcmp((*c)->name + strlen("pkg "), argv[1]) == 0)
            return (*c)->exec(ctl, argc - 1, argv + 1);
    fprintf(stderr, "gliactl pkg: unknown subcommand '%s'; these are:\n", argv[1]);
    list(stderr);
    return EXIT_USAGE;
}

const struct ctl_cmd cmd_pkg = {
    .name = "pkg",
    .synopsis = "new|add|check [ARGS...]",
    .summary = "make a Glia package, add mods to it, check it before publishing",
    .exec = exec,
};
