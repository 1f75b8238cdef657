/*
 * gliactl status: the daemon and each environment, in a few lines.
 */
#include "gliactl.h"

/* One line: the generation, and whether it holds every mod, else how many
 * are left out at which step. */
static void print_library(const msgpack_object *e)
{
    printf("  library: generation %lld (%s backend)%s, ", obj_int(e, "generation"),
           obj_str(e, "backend", "?"), obj_bool(e, "building") ? ", building" : "");
    long long failed = obj_int(e, "built_failed"), link = obj_int(e, "left_out_link"),
              load = obj_int(e, "left_out_load");
    if (failed == 0) {
        printf("complete\n");
        return;
    }
    printf("incomplete: %lld mod%s left out (%lld failed to build, %lld to link, %lld "
           "refused by NEURON at load); gliactl log says why\n",
           failed, failed == 1 ? "" : "s", failed - link - load, link, load);
}

static void print(struct ctl *ctl, const msgpack_object *r, void *ud)
{
    (void)ctl;
    (void)ud;
    printf("gliad %s, pid %lld, up %.0f s, %lld client%s\n", obj_str(r, "version", "?"),
           obj_int(r, "pid"), obj_double(r, "uptime_s"), obj_int(r, "clients"),
           obj_int(r, "clients") == 1 ? "" : "s");
    printf("  socket:    %s\n  state:     %s\n  cache:     %s\n  config:    %s\n",
           obj_str(r, "socket", "?"), obj_str(r, "state_dir", "?"), obj_str(r, "cache_dir", "?"),
           obj_str(r, "config", "(none: defaults)"));
    printf("  NEURON built-ins: %lld\n", obj_int(r, "builtins"));
    printf("  toolchain: %s\n", obj_str(r, "toolchain", "(being probed)"));
    printf("  compiling: %lld queued or running; %lld compiler processes so far\n",
           obj_int(r, "compile_queue"), obj_int(r, "compiler_processes"));
    const msgpack_object *envs = obj_get(r, "envs");
    for (uint32_t i = 0; envs && envs->type == MSGPACK_OBJECT_ARRAY && i < envs->via.array.size;
         i++) {
        const msgpack_object *e = &envs->via.array.ptr[i];
        printf("\nenv %s: %s%lld packages, %lld mods, %lld assets, %lld problems\n",
               obj_str(e, "name", "?"), obj_bool(e, "scanning") ? "(scanning) " : "",
               obj_int(e, "packages"), obj_int(e, "mods"), obj_int(e, "assets"),
               obj_int(e, "problems"));
        /* A count alone leaves the user guessing where to look: packages
         * counts them per package and lists the env's own (site dirs,
         * entry points), show-package lists one package's. */
        if (obj_int(e, "problems") > 0)
            printf("  problems: see gliactl --env %s packages, and gliactl --env %s "
                   "show-package NAME for a package's own\n",
                   obj_str(e, "name", "?"), obj_str(e, "name", "?"));
        print_library(e);
        printf("  watching %lld dirs: %lld events, %lld scans, %lld builds\n",
               obj_int(e, "watched_dirs"), obj_int(e, "events"), obj_int(e, "scans"),
               obj_int(e, "builds"));
        /* Which Pythons' scripts use this env (the module registers sys.prefix). */
        const msgpack_object *by = obj_get(e, "joined_by");
        for (uint32_t k = 0; by && by->type == MSGPACK_OBJECT_ARRAY && k < by->via.array.size;
             k++) {
            char who[4096];
            printf("  joined by: %s\n", obj_cstr(&by->via.array.ptr[k], who, sizeof(who)));
        }
        const char *fallback = obj_str(e, "watch_fallback", NULL);
        if (fallback)
            printf("  polling instead of watching: %s\n", fallback);
        const msgpack_object *site = obj_get(e, "site_packages");
        for (uint32_t k = 0; site && site->type == MSGPACK_OBJECT_ARRAY && k < site->via.array.size;
             k++) {
            char dir[4096];
            printf("  %s\n", obj_cstr(&site->via.array.ptr[k], dir, sizeof(dir)));
        }
    }
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    return ctl_run_plain(ctl, &cmd_status, argc, argv, "status", print);
}

const struct ctl_cmd cmd_status = {
    .name = "status",
    .synopsis = "",
    .summary = "show the daemon's state and each environment's",
    .exec = exec,
};
