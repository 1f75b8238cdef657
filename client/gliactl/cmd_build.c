/*
 * gliactl build [--wait] [--force]: starts a build of the environment's
 * library; with --wait, follows it (a progress line on a terminal, plain
 * lines otherwise) and exits 1 if anything was left out.
 */
#include "gliactl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
    int wait, force;
};

static const struct option options[] = {
    {"wait", no_argument, NULL, 'w'},
    {"force", no_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

static int on_opt(void *ud, int val, const char *arg)
{
    struct opts *o = ud;
    (void)arg;
    if (val == 'w')
        o->wait = 1;
    else
        o->force = 1;
    return 0;
}

struct progress {
    /* The env to follow, as gliad named it in its answer to `build`: the
     * one --env asked for, else gliad's default. A subscriber hears the
     * builds of every env; NULL (gliad named none): all are shown. */
    char *env;
    int tty;        /* stderr, where progress goes, is a terminal */
    int drawn;      /* a progress line is on the terminal, its newline owed */
    long long last; /* last figure printed */
    int printed;
};

static void on_note(void *ud, struct proto_msg *m)
{
    struct progress *p = ud;
    if (!m->params || strncmp(m->method, "build.", 6) != 0)
        return;
    const msgpack_object *env = obj_get(m->params, "env");
    if (p->env && !(env && env->type == MSGPACK_OBJECT_STR && proto_str_eq(env, p->env)))
        return;
    long long done = obj_int(m->params, "done"), total = obj_int(m->params, "total");
    const char *name = obj_str(m->params, "env", "?");
    if (p->tty) {
        fprintf(stderr, "\r[%s] building: %lld/%lld mods", name, done, total);
        fflush(stderr);
        p->drawn = 1;
        return;
    }
    /* A log file gets a line per tenth, not per mod, and no figure twice. */
    if (p->printed && done == p->last)
        return;
    if (done == total || total == 0 || (done - p->last) * 10 >= total) {
        fprintf(stderr, "[%s] building: %lld/%lld mods\n", name, done, total);
        p->last = done;
        p->printed = 1;
    }
}

/* Begins the `build` request; the caller sends it. */
static int begin_build(struct ctl *ctl, int force)
{
    msgpack_packer *pk = ctl_begin(ctl, "build");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kbool(pk, "force", force);
    return EXIT_OK;
}

static void print_started(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)r;
    (void)ud;
    printf("build started (gliactl build --wait follows it)\n");
}

/* Starts the build to follow; *env is the env gliad says it builds
 * (malloc'd; NULL when it named none). */
static int start(struct ctl *ctl, int force, char **env)
{
    int rc = begin_build(ctl, force);
    struct proto_msg resp;
    const msgpack_object *r;
    if (rc == EXIT_OK)
        rc = ctl_call(ctl, &resp, &r);
    if (rc != EXIT_OK)
        return rc;
    const msgpack_object *e = obj_get(r, "env");
    *env = e && e->type == MSGPACK_OBJECT_STR ? strndup(e->via.str.ptr, e->via.str.size) : NULL;
    proto_msg_free(&resp);
    return EXIT_OK;
}

static int subscribe(struct ctl *ctl)
{
    msgpack_packer *pk = ctl_begin(ctl, "subscribe");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_key(pk, "topics");
    msgpack_pack_array(pk, 1);
    proto_pack_str(pk, "build");
    return ctl_call_quiet(ctl);
}

static int report(struct ctl *ctl, const msgpack_object *lib)
{
    const msgpack_object *b = obj_get(lib, "last_build");
    long long failed = obj_int(b, "failed");
    const char *error = obj_str(b, "error", NULL);
    if (ctl->json) {
        json_print(stdout, lib);
    } else {
        if (error)
            printf("build failed: %s\n", error);
        else
            printf("%lld mechanisms: %lld compiled, %lld cached, %lld failed (%.1f s); "
                   "generation %lld%s\n%s\n",
                   obj_int(b, "total") - failed, obj_int(b, "compiled"), obj_int(b, "cached"),
                   failed, obj_double(b, "ms") / 1000.0, obj_int(lib, "generation"),
                   obj_bool(b, "unchanged") ? " (unchanged)" : "", obj_str(lib, "path", "-"));
        if (failed)
            printf("%lld mod%s left out: gliactl%s%s log shows why\n", failed,
                   failed == 1 ? "" : "s", ctl->env ? " --env " : "", ctl->env ? ctl->env : "");
    }
    return error || failed ? EXIT_FAILED : EXIT_OK;
}

/* Waits for the library, showing the build's progress meanwhile. */
static int follow(struct ctl *ctl, struct progress *p)
{
    msgpack_packer *pk = ctl_begin(ctl, "library");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kbool(pk, "wait", 1);
    struct proto_msg resp;
    const msgpack_object *lib;
    int rc = ctl_call_notify(ctl, &resp, &lib, on_note, p);
    if (p->drawn)
        fputc('\n', stderr);
    if (rc != EXIT_OK)
        return rc;
    rc = report(ctl, lib);
    proto_msg_free(&resp);
    return rc;
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    struct opts o = {0};
    int i = ctl_getopt(ctl, &cmd_build, argc, argv, on_opt, &o);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(&cmd_build, "takes no arguments");
    if (!o.wait) {
        int rc = begin_build(ctl, o.force);
        return rc != EXIT_OK ? rc : ctl_finish(ctl, print_started, NULL);
    }
    struct progress p = {.tty = isatty(STDERR_FILENO)};
    int rc = subscribe(ctl);
    if (rc == EXIT_OK)
        rc = start(ctl, o.force, &p.env);
    if (rc == EXIT_OK)
        rc = follow(ctl, &p);
    free(p.env);
    return rc;
}

const struct ctl_cmd cmd_build = {
    .name = "build",
    .synopsis = "[--wait] [--force]",
    .summary = "build the environment's mechanism library now",
    .help = "gliad builds by itself after every change; this is for asking explicitly.\n"
            "  --wait    follow the build and print its outcome; exit 1 if a mod failed\n"
            "  --force   ignore the caches: recompile every mod\n",
    .options = options,
    .exec = exec,
};
