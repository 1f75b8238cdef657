/*
 * gliactl library [--wait]: the path of the environment's mechanism
 * library, alone on stdout (for h.nrn_load_dll or a shell variable); with
 * --json, the whole reply, the packages' parts included.
 */
#include "gliactl.h"

#include <string.h>
#include <time.h>

static const struct option options[] = {
    {"wait", no_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

/* No library yet is a failure (exit 1): a script's $(gliactl library)
 * must not go on with nothing. */
static int verdict(const msgpack_object *r)
{
    const msgpack_object *path = obj_get(r, "path");
    return path && path->type == MSGPACK_OBJECT_STR ? EXIT_OK : EXIT_FAILED;
}

/* A library older than the last build, which failed: the path alone
 * would pass it off as current. One line on stderr says since when and
 * why (the reason's first line; `gliactl log` has the rest). */
static void print_stale(const msgpack_object *r)
{
    const msgpack_object *st = obj_get(r, "stale");
    if (!st || st->type != MSGPACK_OBJECT_MAP)
        return;
    char when[64] = "an earlier run";
    time_t since = (time_t)obj_int(st, "since");
    struct tm tm;
    if (since > 0 && localtime_r(&since, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    const char *reason = obj_str(st, "reason", "unknown");
    int n = (int)strcspn(reason, "?\n"); /* obj_str shows a newline as '?' */
    const msgpack_object *retry = obj_get(st, "retry_in_ms");
    fprintf(stderr, "gliactl: serving generation %lld from %s; the newest build failed: %.*s",
            obj_int(r, "generation"), when, n, reason);
    if (retry && (retry->type == MSGPACK_OBJECT_POSITIVE_INTEGER))
        fprintf(stderr, "; retrying in %lld s", (long long)(retry->via.u64 + 999) / 1000);
    fputc('\n', stderr);
}

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    const char *path = obj_str(r, "path", NULL);
    if (path) {
        printf("%s\n", path);
        print_stale(r);
        return;
    }
    fprintf(stderr, "%s: no library yet for %s (%s)%s\n", ctl_prog, obj_str(r, "env", "?"),
            obj_str(r, "status", "?"),
            strcmp(obj_str(r, "status", ""), "building") == 0 ? "; gliactl library --wait waits"
                                                              : "");
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int wait = 0;
    int i = ctl_getopt(ctl, &cmd_library, argc, argv, ctl_flag_opt, &wait);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_library, "takes no arguments");
    /* --json shows the whole reply: the packages' parts too. */
    msgpack_packer *pk = ctl_begin(ctl, "library");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kbool(pk, "wait", wait);
    if (ctl->json)
        proto_pack_kbool(pk, "parts", 1);
    return ctl_finish_verdict(ctl, print, verdict, NULL);
}

const struct ctl_cmd cmd_library = {
    .name = "library",
    .synopsis = "[--wait]",
    .summary = "print the path of the environment's mechanism library",
    .help = "  --wait   first wait until what is installed now is scanned and built\n",
    .options = options,
    .exec = exec,
};
