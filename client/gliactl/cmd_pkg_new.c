/*
 * gliactl pkg new [DIR]: a new Glia package in DIR/<slug> (DIR: the current
 * one), after Glia 4's questions: full name, email, project name,
 * description, version and licence. An empty answer, or the end of the
 * input, takes the default shown; the options answer without asking.
 */
#include "gliactl.h"
#include "pkg.h"
#include "util.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_NAME = 256, OPT_AUTHOR, OPT_EMAIL, OPT_DESCRIPTION, OPT_VERSION, OPT_LICENSE };

struct answers {
    const char *v[6]; /* indexed by OPT_* - OPT_NAME; NULL: ask */
    int yes;
};

static const struct option options[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"author", required_argument, NULL, OPT_AUTHOR},
    {"email", required_argument, NULL, OPT_EMAIL},
    {"description", required_argument, NULL, OPT_DESCRIPTION},
    {"version", required_argument, NULL, OPT_VERSION},
    {"license", required_argument, NULL, OPT_LICENSE},
    {"yes", no_argument, NULL, 'y'},
    {NULL, 0, NULL, 0},
};

static int on_opt(void *ud, int val, const char *arg)
{
    struct answers *a = ud;
    if (val == 'y')
        a->yes = 1;
    else
        a->v[val - OPT_NAME] = arg;
    return 0;
}

/* The user's name as the system knows it (the GECOS field's first part),
 * else the login. */
static const char *user_name(void)
{
    struct passwd *pw = getpwuid(getuid());
    if (!pw)
        return "Your Name";
    if (pw->pw_gecos && *pw->pw_gecos && *pw->pw_gecos != ',') {
        static char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(pw->pw_gecos, ","), pw->pw_gecos);
        return name;
    }
    return pw->pw_name;
}

/* One answer: given, else read (an empty line or EOF: the default).
 * malloc'd. *eof stays set once the input has ended. */
static char *ask(const char *question, const char *given, const char *def, int quiet, int *eof)
{
    if (given)
        return xstrdup(given);
    if (quiet || *eof)
        return xstrdup(def);
    printf("%s [%s]: ", question, def);
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        *eof = 1;
        printf("\n");
        free(line);
        return xstrdup(def);
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    if (n == 0) {
        free(line);
        return xstrdup(def);
    }
    return line;
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    struct answers a = {0};
    int i = ctl_getopt(ctl, &cmd_pkg_new, argc, argv, on_opt, &a);
    if (i < 0)
        return -i - 1;
    if (argc - i > 1)
        return ctl_usage(&cmd_pkg_new, "expected at most one DIR");
    const char *parent = argc - i == 1 ? argv[i] : ".";
    int eof = 0;
    const char *q[] = {"Project name", "Full name", "Email", "Description", "Version", "License"};
    const char *def[] = {"Glia Package", user_name(), "", "NEURON mechanisms packaged for Glia",
                         "0.1.0",        "MIT"};
    /* Glia 4 asks in this order: who, then what. */
    const int order[] = {1, 2, 0, 3, 4, 5};
    char *ans[6];
    for (size_t k = 0; k < 6; k++) {
        int o = order[k];
        ans[o] = ask(q[o], a.v[o], def[o], a.yes, &eof);
    }
    char *slug = pkg_text_slug(ans[0]);
    struct pkg_meta m = {ans[0], slug, ans[1], ans[2], ans[3], ans[4], ans[5]};
    char *dir = xprintf("%s/%s", parent, slug);
    int rc = EXIT_FAILED;
    if (pkg_create(dir, &m, 0) == 0) {
        printf("created %s: Glia package '%s'\n"
               "next: cd %s && glia pkg add FILE.mod && glia pkg check\n",
               dir, slug, dir);
        rc = EXIT_OK;
    }
    free(dir);
    free(slug);
    for (size_t k = 0; k < 6; k++)
        free(ans[k]);
    return rc;
}

const struct ctl_cmd cmd_pkg_new = {
    .name = "pkg new",
    .synopsis = "[DIR] [--name NAME] [--author NAME] [--email ADDR] [--description TEXT] "
                "[--version V] [--license SPDX] [--yes]",
    .summary = "make a new Glia package in DIR/<slug>",
    .help = "Asks for your full name, email, the project's name (its slug, lower case with\n"
            "'_', names the dir, the module and the package), a description, the version\n"
            "and the licence; an empty answer or the end of the input takes the default in\n"
            "brackets. The options answer a question without asking it; --yes (-y) takes\n"
            "every default. Writes <slug>/pyproject.toml (flit_core, entry point\n"
            "<slug> = \"<slug>:package\"), <slug>/<slug>/__init__.py, <slug>/<slug>/mods/,\n"
            "README.md and LICENSE. An existing <slug> is never touched.\n",
    .options = options,
    .exec = exec,
};
