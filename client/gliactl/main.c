/*
 * gliactl: global options, the command table and dispatch.
 */
#include "gliactl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ctl_prog = "gliactl";

const struct ctl_cmd *const ctl_commands[] = {
    &cmd_resolve, &cmd_select,     &cmd_unselect,     &cmd_prefs,  &cmd_list,
    &cmd_show,    &cmd_packages,   &cmd_show_package, &cmd_status, &cmd_rescan,
    &cmd_build,   &cmd_library,    &cmd_log,          &cmd_sync,   &cmd_pkg,
    &cmd_add,     &cmd_collection, &cmd_remove,       &cmd_bundle, NULL,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gliactl [--socket PATH] [--env NAME] [--json] COMMAND [ARGS...]\n\n"
               "Asks gliad which NEURON mechanism an asset name means, and more.\n\n"
               "Commands:\n");
    for (const struct ctl_cmd *const *c = ctl_commands; *c; c++)
        fprintf(f, "  %-14s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "\nOptions (also accepted after the command):\n"
               "  --socket PATH  gliad's socket (default: $GLIA_SOCKET, else\n"
               "                 $XDG_RUNTIME_DIR/glia/gliad.sock, or\n"
               "                 /tmp/glia-$UID/gliad.sock when XDG_RUNTIME_DIR is unset)\n"
               "  --env NAME     the Python environment (default: gliad's `default`)\n"
               "  --json         print the daemon's answer as JSON\n"
               "  --help         help; `gliactl COMMAND --help` for a command\n\n"
               "Exit status: 0 ok, 1 the request failed, 2 usage error, 3 gliad unreachable.\n");
}

int ctl_usage(const struct ctl_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", ctl_prog, cmd->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s %s %s\n(%s %s --help for more)\n", ctl_prog, cmd->name,
            cmd->synopsis, ctl_prog, cmd->name);
    return EXIT_USAGE;
}

static void cmd_help(const struct ctl_cmd *cmd)
{
    printf("usage: %s %s %s\n\n%s\n", ctl_prog, cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->help)
        printf("\n%s", cmd->help);
    printf("\nCommon options: --env NAME, --socket PATH, --json, --help\n");
}

enum { OPT_ENV = 1000, OPT_SOCKET, OPT_JSON, OPT_HELP };

/* The short options: -h, and each command option whose value is a letter
 * has that letter too (-p for --pkg, -v for --variant, as the Python Glia
 * spelled them). ':' first makes a missing value ':' rather than '?'. */
static void short_options(const struct option *opts, char *buf, size_t len)
{
    size_t n = 0;
    buf[n++] = ':';
    buf[n++] = 'h';
    for (const struct option *o = opts; o && o->name && n + 3 < len; o++)
        if (o->val > 0 && o->val < 128 && isalpha(o->val) && !memchr(buf, o->val, n)) {
            buf[n++] = (char)o->val;
            if (o->has_arg == required_argument)
                buf[n++] = ':';
        }
    buf[n] = '\0';
}

/*
 * Says which option getopt refused (o: '?' or ':'). A long option is the
 * word getopt has just stepped past; a short one can sit inside a group
 * ("-xh") that getopt has not left, so it is named by optopt. getopt
 * leaves optopt 0 for an unknown long option and sets it to the option's
 * value for one given a value it does not take or missing its value.
 */
static int bad_option(const struct ctl_cmd *cmd, int o, char **argv, const char *shorts)
{
    const char *word = argv[optind - 1];
    int is_long = strncmp(word, "--", 2) == 0 &&
                  (o == ':' || optopt == 0 || optopt >= 128 || strchr(shorts, optopt));
    if (!is_long)
        return o == '?' ? ctl_usage(cmd, "unknown option '-%c'", optopt)
                        : ctl_usage(cmd, "option '-%c' needs a value", optopt);
    if (o == ':')
        return ctl_usage(cmd, "option '%s' needs a value", word);
    if (optopt)
        return ctl_usage(cmd, "option '%s' takes no value", word);
    return ctl_usage(cmd, "unknown option '%s'", word);
}

int ctl_getopt(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
               int (*on_opt)(void *ud, int val, const char *arg), void *ud)
{
    struct option opts[32];
    size_t n = 0;
    for (const struct option *o = cmd->options; o && o->name && n < 27; o++)
        opts[n++] = *o;
    opts[n++] = (struct option){"env", required_argument, NULL, OPT_ENV};
    opts[n++] = (struct option){"socket", required_argument, NULL, OPT_SOCKET};
    opts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    char shorts[64];
    short_options(cmd->options, shorts, sizeof(shorts));
    optind = 0; /* 0, not 1: GNU getopt must forget the global parse */
    opterr = 0;
    int o;
    /* GNU getopt permutes: options may follow the operands. */
    while ((o = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        switch (o) {
        case OPT_ENV:
            ctl->env = optarg;
            break;
        case OPT_SOCKET:
            ctl->socket = optarg;
            break;
        case OPT_JSON:
            ctl->json = 1;
            break;
        case 'h':
        case OPT_HELP:
            cmd_help(cmd);
            return -1;
        case '?':
        case ':':
            return -(bad_option(cmd, o, argv, shorts) + 1);
        default:
            if (!on_opt || on_opt(ud, o, optarg) < 0)
                return -(EXIT_USAGE + 1);
        }
    }
    return optind;
}

/* Global options come before the command; getopt stops at the command. */
static int global_options(struct ctl *ctl, int *argc, char ***argv)
{
    static const struct option opts[] = {{"env", required_argument, NULL, 'e'},
                                         {"socket", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(*argc, *argv, "+h", opts, NULL)) != -1) {
        switch (o) {
        case 'e':
            ctl->env = optarg;
            break;
        case 's':
            ctl->socket = optarg;
            break;
        case 'j':
            ctl->json = 1;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    *argc -= optind;
    *argv += optind;
    return -1;
}

int main(int argc, char **argv)
{
    struct ctl ctl = {0};
    const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    /* The `glia` command runs us as glia: messages then name glia. */
    if (strcmp(self, "glia") == 0)
        ctl_prog = "glia";
    int rc = global_options(&ctl, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (argc == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (const struct ctl_cmd *const *c = ctl_commands; *c; c++)
        if (strcmp((*c)->name, argv[0]) == 0) {
            rc = (*c)->exec(&ctl, argc, argv);
            if (ctl.connected)
                proto_client_close(&ctl.client);
            return rc;
        }
    fprintf(stderr, "%s: unknown command '%s' (%s --help lists them)\n", ctl_prog, argv[0],
            ctl_prog);
    return EXIT_USAGE;
}
