/*
 * gliactl: global options, the command table and dispatch.
 */
#include "gliactl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct ctl_cmd *const ctl_commands[] = {
    &cmd_resolve, &cmd_select, &cmd_unselect, &cmd_prefs, &cmd_list, &cmd_show,
    &cmd_packages, &cmd_show_package, &cmd_status, &cmd_rescan, &cmd_build, &cmd_library,
    &cmd_log, &cmd_sync, NULL,
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
    fprintf(stderr, "gliactl %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: gliactl %s %s\n(gliactl %s --help for more)\n", cmd->name,
            cmd->synopsis, cmd->name);
    return EXIT_USAGE;
}

static void cmd_help(const struct ctl_cmd *cmd)
{
    printf("usage: gliactl %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
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

/* As `glia`, the Python Glia's command name: its words for our commands. */
static const struct {
    const char *word;
    const char *as[2]; /* the command, and an option it implies, or NULL */
} glia_words[] = {
    {"compile", {"build", "--wait"}},
    {"show-pkg", {"show-package", NULL}},
};

/* argv with a Python Glia command word replaced by ours: a new vector
 * (to free) when it was one, else argv itself. */
static char **glia_spelling(int *argc, char **argv)
{
    for (size_t w = 0; *argc >= 1 && w < sizeof(glia_words) / sizeof(glia_words[0]); w++) {
        if (strcmp(argv[0], glia_words[w].word) != 0)
            continue;
        int extra = glia_words[w].as[1] ? 1 : 0;
        char **v = calloc((size_t)*argc + (size_t)extra + 1, sizeof(*v));
        if (!v)
            return argv;
        v[0] = (char *)glia_words[w].as[0];
        if (extra)
            v[1] = (char *)glia_words[w].as[1];
        for (int i = 1; i < *argc; i++)
            v[i + extra] = argv[i];
        *argc += extra;
        return v;
    }
    return argv;
}

int main(int argc, char **argv)
{
    struct ctl ctl = {0};
    const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    int as_glia = strcmp(self, "glia") == 0;
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
    char **respelled = as_glia ? glia_spelling(&argc, argv) : argv;
    if (respelled != argv)
        argv = respelled;
    else
        respelled = NULL; /* nothing of ours to free */
    for (const struct ctl_cmd *const *c = ctl_commands; *c; c++)
        if (strcmp((*c)->name, argv[0]) == 0) {
            rc = (*c)->exec(&ctl, argc, argv);
            if (ctl.connected)
                proto_client_close(&ctl.client);
            free(respelled);
            return rc;
        }
    fprintf(stderr, "gliactl: unknown command '%s' (gliactl --help lists them)\n", argv[0]);
    free(respelled);
    return EXIT_USAGE;
}
