/*
 * rpc: gliactl's side of a request: connecting, sending, and turning the
 * reply into an exit code and a message a person can act on.
 */
#include "gliactl.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static int connect_daemon(struct ctl *ctl)
{
    char path[PATH_MAX], err[PATH_MAX + 128];
    const char *sock = ctl->socket ? ctl->socket : proto_default_socket(path, sizeof(path));
    if (!sock) {
        fprintf(stderr, "%s: the socket path is too long\n", ctl_prog);
        return EXIT_UNREACHABLE;
    }
    if (proto_client_connect(&ctl->client, sock, err, sizeof(err)) < 0) {
        int e = errno;
        proto_client_close(&ctl->client);
        if (e == ENOENT || e == ECONNREFUSED)
            fprintf(stderr,
                    "%s: gliad is not running (nothing listens on %s).\n"
                    "Start it with `systemctl --user start gliad.socket`, or run `gliad &` "
                    "(from a source tree: tools/run).\n",
                    ctl_prog, sock);
        else
            fprintf(stderr, "%s: %s\n", ctl_prog, err);
        return EXIT_UNREACHABLE;
    }
    ctl->connected = 1;
    return EXIT_OK;
}

msgpack_packer *ctl_begin(struct ctl *ctl, const char *method)
{
    if (!ctl->connected && connect_daemon(ctl) != EXIT_OK)
        return NULL;
    msgpack_packer *pk = &ctl->client.pk;
    proto_client_begin(&ctl->client, method, 1);
    if (ctl->env)
        proto_pack_kstr(pk, "env", ctl->env);
    return pk;
}

msgpack_packer *ctl_begin_synced(struct ctl *ctl, const char *method)
{
    msgpack_packer *pk = ctl_begin(ctl, method);
    if (pk)
        proto_pack_kbool(pk, "sync", 1);
    return pk;
}

static void print_error(struct ctl *ctl, const msgpack_object *err)
{
    if (ctl->json) {
        /* The same shape as a result: one JSON document on stdout. */
        json_t *doc = json_object();
        json_object_set_new(doc, "error", json_of_msgpack(err));
        json_emit(stdout, doc);
        return;
    }
    if (err->type != MSGPACK_OBJECT_MAP) {
        fprintf(stderr, "%s: gliad answered with an error it did not explain\n", ctl_prog);
        return;
    }
    fprintf(stderr, "%s: %s (%s)\n", ctl_prog, obj_str(err, "message", "?"),
            obj_str(err, "code", "?"));
}

/* An error reply: printed, or with why its message kept there (malloc'd)
 * for the caller to report. */
static int error_reply(struct ctl *ctl, struct proto_msg *resp, char **why)
{
    if (why)
        *why = xprintf("%s (%s)", obj_str(resp->error, "message", "?"),
                       obj_str(resp->error, "code", "?"));
    else
        print_error(ctl, resp->error);
    proto_msg_free(resp);
    return EXIT_FAILED;
}

static int call(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result,
                proto_notify_fn fn, void *ud, char **why)
{
    char err[512];
    if (proto_client_call(&ctl->client, resp, fn, ud, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", ctl_prog, err);
        return EXIT_UNREACHABLE;
    }
    if (resp->error)
        return error_reply(ctl, resp, why);
    *result = resp->result;
    return EXIT_OK;
}

int ctl_call_notify(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result,
                    proto_notify_fn fn, void *ud)
{
    return call(ctl, resp, result, fn, ud, NULL);
}

int ctl_call(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result)
{
    return call(ctl, resp, result, NULL, NULL, NULL);
}

int ctl_call_why(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result, char **why)
{
    return call(ctl, resp, result, NULL, NULL, why);
}

const struct option ctl_pv_options[] = {
    {"pkg", required_argument, NULL, 'p'},
    {"package", required_argument, NULL, 'p'}, /* the Python Glia's spelling */
    {"variant", required_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

int ctl_pv_opt(void *ud, int val, const char *arg)
{
    struct ctl_pv *pv = ud;
    if (val == 'p')
        pv->pkg = arg;
    else
        pv->variant = arg;
    return 0;
}

void ctl_pv_pack(msgpack_packer *pk, const struct ctl_pv *pv)
{
    if (pv->pkg)
        proto_pack_kstr(pk, "pkg", pv->pkg);
    if (pv->variant)
        proto_pack_kstr(pk, "variant", pv->variant);
}

int ctl_finish_verdict(struct ctl *ctl, ctl_print_fn print, ctl_verdict_fn verdict, void *ud)
{
    struct proto_msg resp;
    const msgpack_object *r;
    int rc = ctl_call(ctl, &resp, &r);
    if (rc != EXIT_OK)
        return rc;
    if (ctl->json)
        json_print(stdout, r);
    else
        print(ctl, r, ud);
    rc = verdict ? verdict(r) : EXIT_OK;
    proto_msg_free(&resp);
    return rc;
}

int ctl_finish(struct ctl *ctl, ctl_print_fn print, void *ud)
{
    return ctl_finish_verdict(ctl, print, NULL, ud);
}

const struct option ctl_all_options[] = {
    {"all", no_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

int ctl_flag_opt(void *flag, int val, const char *arg)
{
    (void)val;
    (void)arg;
    *(int *)flag = 1;
    return 0;
}

int ctl_run_plain(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
                  const char *method, ctl_print_fn print)
{
    int i = ctl_getopt(ctl, cmd, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i != 0)
        return ctl_usage(cmd, "takes no arguments");
    if (!ctl_begin(ctl, method))
        return EXIT_UNREACHABLE;
    return ctl_finish(ctl, print, NULL);
}

int ctl_call_quiet(struct ctl *ctl)
{
    struct proto_msg resp;
    const msgpack_object *r;
    int rc = ctl_call(ctl, &resp, &r);
    if (rc == EXIT_OK)
        proto_msg_free(&resp);
    return rc;
}
