/*
 * collection: the user's personal mod collection, a Glia package named
 * `local` that gliad serves in every environment without pip.
 *
 * It lives where gliad's [daemon] collection says (by default
 * $XDG_DATA_HOME/glia/collection, i.e. ~/.local/share/glia/collection) and
 * is laid out as if pip had installed it there: gliad reads that dir as one
 * more site-packages dir of every environment, so it finds the package
 * through the dist-info as it finds any other, and watches it likewise.
 *
 *   collection/local-0.dist-info/entry_points.txt   [glia.package] local = local:package
 *   collection/local/__init__.py, collection/local/mods/ (the mods)
 *   collection/pyproject.toml, README.md, LICENSE   (a project like any `pkg new` makes)
 */
#include "gliactl.h"
#include "os.h"
#include "pkg.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COLLECTION_PKG "local"

/* gliad's [daemon] collection when it answers, else the same default it
 * has. Asking costs nothing when gliad is not there: the collection can be
 * added to before gliad ever runs. */
char *ctl_collection_dir(struct ctl *ctl)
{
    char path[PATH_MAX], err[PATH_MAX + 128];
    const char *sock = ctl->socket ? ctl->socket : proto_default_socket(path, sizeof(path));
    if (!ctl->connected && sock && proto_client_connect(&ctl->client, sock, err, sizeof(err)) == 0)
        ctl->connected = 1;
    else if (!ctl->connected)
        proto_client_close(&ctl->client);
    if (ctl->connected && ctl_begin(ctl, "status")) {
        struct proto_msg resp;
        const msgpack_object *r;
        if (ctl_call(ctl, &resp, &r) == EXIT_OK) {
            const msgpack_object *c = obj_get(r, "collection");
            char *dir = c && c->type == MSGPACK_OBJECT_STR
                            ? xstrndup(c->via.str.ptr, c->via.str.size)
                            : NULL;
            proto_msg_free(&resp);
            if (dir)
                return dir;
        }
    }
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (x && *x == '/')
        return xprintf("%s/glia/collection", x);
    return xprintf("%s/.local/share/glia/collection", home && *home ? home : "/tmp");
}

/* The dist-info goes last, made whole under another name and renamed:
 * once gliad sees it, its files and the module dir are there. */
static int make_collection(const char *dir)
{
    const char *user = getenv("USER");
    struct pkg_meta m = {"Personal mod collection",
                         COLLECTION_PKG,
                         user ? user : "me",
                         "",
                         "My own NEURON mechanisms, served by gliad in every environment",
                         "0",
                         "MIT"};
    if (pkg_create(dir, &m, 1) < 0)
        return -1;
    char *final = xprintf("%s/" COLLECTION_PKG "-0.dist-info", dir);
    char *di = xprintf("%s/." COLLECTION_PKG "-0.dist-info.tmp%d", dir, (int)getpid());
    char *meta = xprintf("%s/METADATA", di), *eps = xprintf("%s/entry_points.txt", di);
    static const char metadata[] = "Metadata-Version: 2.1\nName: " COLLECTION_PKG
                                   "\nVersion: 0\nSummary: gliactl's personal mod collection\n";
    static const char entry[] = "[glia.package]\n" COLLECTION_PKG " = " COLLECTION_PKG ":package\n";
    int rc = mkdir_p(di, 0755) == 0 && pkg_write_file(meta, metadata, strlen(metadata)) == 0 &&
                     pkg_write_file(eps, entry, strlen(entry)) == 0 && rename(di, final) == 0
                 ? 0
                 : -1;
    if (rc < 0)
        fprintf(stderr, "gliactl: cannot write %s: %s\n", final, strerror(errno));
    else
        printf("created your mod collection in %s\n", dir);
    free(di);
    free(final);
    free(meta);
    free(eps);
    return rc;
}

int ctl_collection(struct ctl *ctl, int create, struct pkg *p)
{
    char *dir = ctl_collection_dir(ctl);
    char *marker = xprintf("%s/" COLLECTION_PKG "-0.dist-info/entry_points.txt", dir);
    int rc = 0;
    if (access(marker, F_OK) != 0) {
        if (!create) {
            fprintf(stderr,
                    "gliactl: your mod collection (%s) is empty: `gliactl add FILE.mod` "
                    "starts it\n",
                    dir);
            rc = -1;
        } else {
            rc = make_collection(dir);
        }
    }
    char err[1024];
    if (rc == 0 && pkg_open(dir, p, err, sizeof(err)) < 0) {
        fprintf(stderr, "gliactl: your mod collection: %s\n", err);
        rc = -1;
    }
    free(marker);
    free(dir);
    return rc;
}
