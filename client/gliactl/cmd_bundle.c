/*
 * gliactl bundle DIR | --check DIR | --rebuild DIR: a model's mechanisms,
 * frozen into a directory that runs with no gliad (GLIA_BUNDLE=DIR), and
 * compared with or rebuilt for the environment of now.
 *
 * --rebuild has gliad build the bundle's own sources: DIR/site is a
 * site-packages dir a scan reads like any other, registered for the time
 * of the build as an environment of its own, so the library comes out of
 * the same build (and cache) as every other and only the toolchain of this
 * host differs.
 */
#include "bundle.h"
#include "gliactl.h"
#include "os.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MODE_MAKE, MODE_CHECK, MODE_REBUILD };

static const struct option options[] = {
    {"check", no_argument, NULL, 'c'},
    {"rebuild", no_argument, NULL, 'r'},
    {NULL, 0, NULL, 0},
};

static int on_opt(void *ud, int val, const char *arg)
{
    (void)arg;
    *(int *)ud = val == 'c' ? MODE_CHECK : MODE_REBUILD;
    return 0;
}

/* The `bundle` answer for env (NULL: ctl's), kept in resp. */
static int ask(struct ctl *ctl, const char *env, struct proto_msg *resp, const msgpack_object **r)
{
    const char *saved = ctl->env;
    if (env)
        ctl->env = env;
    msgpack_packer *pk = ctl_begin(ctl, "bundle");
    ctl->env = saved;
    if (!pk)
        return EXIT_UNREACHABLE;
    return ctl_call(ctl, resp, r);
}

/* DIR may be written: it is new, empty or an earlier bundle; a directory
 * that holds something but no bundle is not overwritten. */
static int may_write(const char *dir)
{
    char path[PATH_MAX];
    DIR *d = opendir(dir);
    if (!d && errno == ENOENT)
        return 0;
    if (!d) {
        fprintf(stderr, "gliactl: cannot read %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)))
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
    if (!empty && access(path, F_OK) != 0) {
        fprintf(stderr, "gliactl: %s holds files but no bundle; give a new or empty directory\n",
                dir);
        return -1;
    }
    return 0;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "gliactl: cannot make %s: %s\n", dir, strerror(errno));
    return -1;
}

static int move(const char *dir, const char *from, const char *to, int missing_ok)
{
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof(a), "%s/%s", dir, from);
    snprintf(b, sizeof(b), "%s/%s", dir, to);
    if (rename(a, b) == 0 || (missing_ok && errno == ENOENT))
        return 0;
    fprintf(stderr, "gliactl: cannot move %s to %s: %s\n", a, b, strerror(errno));
    return -1;
}

/* Puts the bundle built in DIR/stage in place of DIR's: site/ (the old one
 * goes into the stage, so that a rebuild never reads a stale package), then
 * the library, then the manifest, which names what the others hold. */
static int swap_in(const char *dir, const char *stage)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof(from), "%s/site", stage);
    snprintf(to, sizeof(to), "%s/old-site", stage);
    if (move(dir, "site", to, 1) < 0 || move(dir, from, "site", 1) < 0)
        return -1;
    snprintf(from, sizeof(from), "%s/%s", stage, BUNDLE_LIBRARY);
    if (move(dir, from, BUNDLE_LIBRARY, 0) < 0)
        return -1;
    snprintf(from, sizeof(from), "%s/%s", stage, BUNDLE_MANIFEST);
    return move(dir, from, BUNDLE_MANIFEST, 0);
}

/* Builds the bundle of gliad's answer r in DIR/.new-PID, then swaps it in:
 * a failure on the way leaves DIR's earlier bundle whole. */
static int make_from(const char *dir, const msgpack_object *r)
{
    char stage[64], path[PATH_MAX];
    snprintf(stage, sizeof(stage), ".new-%d", (int)getpid());
    snprintf(path, sizeof(path), "%s/%s", dir, stage);
    if (make_dir(dir) < 0 || make_dir(path) < 0)
        return EXIT_FAILED;
    json_t *m = bundle_manifest(r, path, 1);
    int rc = m && bundle_write(path, m) == 0 && swap_in(dir, stage) == 0 ? EXIT_OK : EXIT_FAILED;
    json_decref(m);
    remove_tree(path);
    return rc;
}

static int make(struct ctl *ctl, const char *dir)
{
    if (may_write(dir) < 0)
        return EXIT_FAILED;
    struct proto_msg resp;
    const msgpack_object *r;
    int rc = ask(ctl, NULL, &resp, &r);
    if (rc != EXIT_OK)
        return rc;
    rc = make_from(dir, r);
    proto_msg_free(&resp);
    if (rc == EXIT_OK)
        printf("%s\n", dir);
    return rc;
}

static int check(struct ctl *ctl, const char *dir)
{
    json_t *was = bundle_read(dir);
    if (!was)
        return EXIT_FAILED;
    struct proto_msg resp;
    const msgpack_object *r;
    int rc = ask(ctl, NULL, &resp, &r);
    if (rc != EXIT_OK) {
        json_decref(was);
        return rc;
    }
    json_t *now = bundle_manifest(r, dir, 0);
    proto_msg_free(&resp);
    if (!now) {
        json_decref(was);
        return EXIT_FAILED;
    }
    int n = bundle_diff(was, now, stdout);
    json_decref(was);
    json_decref(now);
    return n ? EXIT_FAILED : EXIT_OK;
}

/* env.register {name: DIR, site_packages: [DIR/site]}: the environment
 * name gliad answers, malloc'd, or NULL after printing why. */
static char *register_site(struct ctl *ctl, const char *dir)
{
    char site[PATH_MAX + 8];
    snprintf(site, sizeof(site), "%s/site", dir);
    msgpack_packer *pk = ctl_begin(ctl, "env.register");
    if (!pk)
        return NULL;
    proto_pack_kstr(pk, "name", dir);
    proto_pack_key(pk, "site_packages");
    msgpack_pack_array(pk, 1);
    proto_pack_str(pk, site);
    struct proto_msg resp;
    const msgpack_object *r;
    if (ctl_call(ctl, &resp, &r) != EXIT_OK)
        return NULL;
    char *name = strdup(obj_str(r, "name", ""));
    proto_msg_free(&resp);
    return name;
}

static void forget(struct ctl *ctl, const char *name)
{
    msgpack_packer *pk = ctl_begin(ctl, "env.forget");
    if (pk) {
        proto_pack_kstr(pk, "name", name);
        ctl_call_quiet(ctl);
    }
}

/* Writes the rebuilt library and a manifest that keeps what the bundle
 * froze (its environment's name, its global preferences). */
static int rebuild_into(const char *dir, json_t *was, const msgpack_object *r)
{
    json_t *now = bundle_manifest(r, dir, 1);
    if (!now)
        return EXIT_FAILED;
    json_object_set(now, "prefs", json_object_get(was, "prefs"));
    json_object_set(now, "env", json_object_get(was, "env"));
    int changed = bundle_diff(was, now, stderr);
    int rc = bundle_write(dir, now) == 0 ? EXIT_OK : EXIT_FAILED;
    json_decref(now);
    if (rc == EXIT_OK)
        printf("%s%s\n", dir, changed ? "" : " (unchanged)");
    return rc;
}

static int rebuild(struct ctl *ctl, const char *dir)
{
    char real[PATH_MAX];
    json_t *was = bundle_read(dir);
    if (!was)
        return EXIT_FAILED;
    if (!realpath(dir, real)) {
        fprintf(stderr, "gliactl: %s: %s\n", dir, strerror(errno));
        json_decref(was);
        return EXIT_FAILED;
    }
    char *env = register_site(ctl, real);
    int rc = EXIT_FAILED;
    if (env) {
        struct proto_msg resp;
        const msgpack_object *r;
        rc = ask(ctl, env, &resp, &r);
        if (rc == EXIT_OK) {
            rc = rebuild_into(real, was, r);
            proto_msg_free(&resp);
        }
        forget(ctl, env);
        free(env);
    }
    json_decref(was);
    return rc;
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int mode = MODE_MAKE;
    int i = ctl_getopt(ctl, &cmd_bundle, argc, argv, on_opt, &mode);
    if (i < 0)
        return -i - 1;
    if (argc - i != 1)
        return ctl_usage(&cmd_bundle, "takes one directory");
    const char *dir = argv[i];
    return mode == MODE_CHECK     ? check(ctl, dir)
           : mode == MODE_REBUILD ? rebuild(ctl, dir)
                                  : make(ctl, dir);
}

const struct ctl_cmd cmd_bundle = {
    .name = "bundle",
    .synopsis = "[--check | --rebuild] DIR",
    .summary = "freeze the environment's library, manifest and sources into DIR",
    .help = "  (none)     wait for the library, then write DIR: libglia.so, manifest.json and\n"
            "             site/ (every mod source); GLIA_BUNDLE=DIR runs a script from it\n"
            "  --check    compare DIR with the environment now: exit 0 if identical, else 1\n"
            "             and one line per difference\n"
            "  --rebuild  rebuild DIR's library from its own sources with this host's toolchain\n",
    .options = options,
    .exec = exec,
};
