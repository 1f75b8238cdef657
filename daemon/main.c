/*
 * gliad: the Glia daemon. Startup, the loop, and an orderly shutdown.
 *
 * gliad never daemonizes itself: systemd (or the Python module's autostart)
 * decides how it runs, and its log goes to stderr.
 */
#include "build.h"
#include "builtins.h"
#include "cache.h"
#include "config.h"
#include "env.h"
#include "gliad.h"
#include "hostid.h"
#include "lease.h"
#include "log.h"
#include "methods.h"
#include "os.h"
#include "prefs.h"
#include "proc.h"
#include "sdnotify.h"
#include "server.h"
#include "store.h"
#include "store_writer.h"
#include "sync.h"
#include "util.h"
#include "work.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

static const char usage[] =
    "usage: gliad [--config FILE] [--socket PATH] [--log-level LEVEL]\n"
    "\n"
    "The Glia daemon: indexes the Glia packages of Python environments and\n"
    "answers gliactl and the glia Python module over a Unix socket.\n"
    "\n"
    "  -c, --config FILE      INI settings (default: $XDG_CONFIG_HOME/glia/gliad.ini;\n"
    "                         a missing file means defaults)\n"
    "  -s, --socket PATH      listen here (default: [daemon] socket, else $GLIA_SOCKET,\n"
    "                         else $XDG_RUNTIME_DIR/glia/gliad.sock, or\n"
    "                         /tmp/glia-$UID/gliad.sock when XDG_RUNTIME_DIR is unset)\n"
    "  -l, --log-level LEVEL  error, warn, info (default) or debug\n"
    "  -V, --version          print the version and exit\n"
    "  -h, --help             print this help and exit\n"
    "\n"
    "Without [env:NAME] sections the environment `default` is the site-packages\n"
    "of the python3 on PATH. For the configuration see man gliad (or\n"
    "man -l docs/man/gliad.1 in a source tree) and docs/.\n";

static void watch_signal(struct gliad *g, uv_signal_t *h, int signum)
{
    uv_signal_init(g->loop, h);
    h->data = g;
    uv_signal_start(h, gliad_on_signal, signum);
}

/* systemd socket activation: the listening socket is fd 3 when LISTEN_PID
 * names us. */
static int activated_fd(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return 3;
}

static void toolchain_ready(void *ud)
{
    struct gliad *g = ud;
    if (g->tc.problem)
        log_warn("cannot build mechanisms: %s", g->tc.problem);
    env_next_all(g); /* the builds that waited for it */
}

/* Whether the work dir `name` (<host id>-<pid>, or a bare pid as gliads
 * before host ids named them) may be removed: its gliad is gone. Only this
 * host's can be known to be: one of this boot whose pid is not running (or
 * is this gliad's own: a dead gliad's pid that came back), or one of an
 * earlier boot of this host. Another host's stays, however old. */
static int tmp_is_stale(const char *name)
{
    const char *me = hostid();
    size_t idlen, hostlen = hostid_host_len(me);
    long pid;
    char *end;
    if (hostid_parse(name, &idlen, &pid) == 0) {
        if (idlen != strlen(me) || strncmp(name, me, idlen) != 0)
            return hostid_host_len(name) == hostlen && idlen > hostlen &&
                   strncmp(name, me, hostlen + 1) == 0; /* this host, another boot */
    } else {
        pid = strtol(name, &end, 10);
        if (*end != '\0' || pid <= 0)
            return 1;
    }
    return pid > INT_MAX || pid == (long)getpid() || (kill((pid_t)pid, 0) < 0 && errno != EPERM);
}

/* Work dirs of gliads no longer running (a crash interrupted their
 * builds; nothing refers to them). */
static void clean_tmp(struct gliad *g)
{
    char *root = cache_tmp_root(g->cfg.cache_dir);
    DIR *d = opendir(root);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            !tmp_is_stale(de->d_name))
            continue;
        char *dir = xprintf("%s/%s", root, de->d_name);
        remove_tree(dir);
        free(dir);
    }
    if (d)
        closedir(d);
    free(root);
}

/* Every client holds a descriptor: systemd's default soft limit (1024) is
 * soon reached by idle ones, so the soft limit goes as high as allowed. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        log_warn("cannot raise the open files limit from %llu to %llu: %s", (unsigned long long)was,
                 (unsigned long long)rl.rlim_max, strerror(errno));
}

/*
 * One state_dir belongs to one gliad: a second would rebuild the first's
 * cookie dir under its watch and write its database behind its back. The
 * lock is an flock on <state_dir>/gliad.lock, held (fd open) for the life of
 * the process and released by the kernel however it ends; the file names
 * the holder's pid and socket for the message a second gliad prints.
 * Returns the fd, or -1 with err.
 */
static int lock_state_dir(const struct config *cfg, char *err, size_t errlen)
{
    if (mkdir_p(cfg->state_dir, 0700) < 0) {
        snprintf(err, errlen, "cannot create state_dir %s: %s; set [daemon] state_dir",
                 cfg->state_dir, strerror(errno));
        return -1;
    }
    char *path = xprintf("%s/gliad.lock", cfg->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "state_dir %s is not writable: %s: %s; set [daemon] state_dir",
                 cfg->state_dir, path, strerror(errno));
        free(path);
        return -1;
    }
    /* A gliad that was just killed can hold its lock a little longer
     * through a child forked but not yet exec'd (the fd is O_CLOEXEC):
     * a restart right after a crash waits that out instead of refusing. */
    int held;
    for (int tries = 0;
         (held = flock(fd, LOCK_EX | LOCK_NB) < 0) && errno == EWOULDBLOCK && tries < 40; tries++)
        usleep(50 * 1000);
    if (held) {
        char who[512] = "";
        ssize_t n = pread(fd, who, sizeof(who) - 1, 0);
        who[n > 0 ? n : 0] = '\0';
        int pid = 0;
        char sock[sizeof(who)] = "?";
        sscanf(who, "pid %d socket %511[^\n]", &pid, sock);
        snprintf(err, errlen,
                 "state_dir %s is in use by another gliad (pid %d) serving %s; stop it, or "
                 "give this one its own [daemon] state_dir",
                 cfg->state_dir, pid, sock);
        close(fd);
        free(path);
        return -1;
    }
    char *who = xprintf("pid %d socket %s\n", (int)getpid(), cfg->socket);
    if (ftruncate(fd, 0) < 0 || pwrite(fd, who, strlen(who), 0) < 0)
        log_warn("%s: %s", path, strerror(errno));
    free(who);
    free(path);
    return fd;
}

/* Worker (ctx: a copy of the cache dir): the lease may be on a network
 * filesystem. */
static void renew_work(void *cache_dir)
{
    lease_renew(cache_dir);
}

static void renew_lease(uv_timer_t *t)
{
    struct gliad *g = t->data;
    work_submit(g->loop, renew_work, free, xstrdup(g->cfg.cache_dir));
}

struct lease_job {
    char *cache_dir;
    char **keys;
};

/* Worker. */
static void lease_write_work(void *ctx)
{
    struct lease_job *j = ctx;
    if (lease_write(j->cache_dir, j->keys) < 0)
        log_warn("cannot write this gliad's lease in %s/leases: %s; other gliads sharing the "
                 "cache may collect libraries it serves",
                 j->cache_dir, strerror(errno));
    for (size_t i = 0; j->keys[i]; i++)
        free(j->keys[i]);
    free(j->keys);
    free(j->cache_dir);
    free(j);
}

/* Every library this gliad's store names is leased before anything could
 * collect it, and the lease is renewed while gliad lives (lease.h). */
static void lease_start(struct gliad *g)
{
    char **keys = store_generation_libkeys(g->store);
    if (!keys) {
        log_warn("cannot write this gliad's lease in %s/leases: %s; other gliads sharing the "
                 "cache may collect libraries it serves",
                 g->cfg.cache_dir, store_error(g->store));
    } else {
        struct lease_job *j = xcalloc(1, sizeof(*j));
        *j = (struct lease_job){xstrdup(g->cfg.cache_dir), keys};
        work_submit(g->loop, lease_write_work, NULL, j);
    }
    uv_timer_init(g->loop, &g->lease_timer);
    g->lease_timer.data = g;
    uv_timer_start(&g->lease_timer, renew_lease, LEASE_RENEW_S * 1000, LEASE_RENEW_S * 1000);
    uv_unref((uv_handle_t *)&g->lease_timer);
}

static int parse_args(int argc, char **argv, char **config, char **sock, int *level)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"socket", required_argument, NULL, 's'},
                                         {"log-level", required_argument, NULL, 'l'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "c:s:l:Vh", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            *config = optarg;
            break;
        case 's':
            *sock = optarg;
            break;
        case 'l':
            if ((*level = log_level_parse(optarg)) < 0) {
                fprintf(stderr, "gliad: --log-level: expected error, warn, info or debug\n");
                return 2;
            }
            break;
        case 'V':
            printf("gliad %s (protocol %d)\n", GLIAD_VERSION, GLIAD_PROTOCOL);
            return 0;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gliad: unexpected argument '%s'\n%s", argv[optind], usage);
        return 2;
    }
    return -1;
}

static void cleanup(struct gliad *g)
{
    for (size_t i = 0; i < g->nenvs; i++)
        env_release(g->envs[i]);
    free(g->envs);
    index_pkg_unref(g->builtins);
    prefs_free(g);
    compiler_free(&g->compiler);
    build_symbols_free(g->neuron_symbols);
    toolchain_free(&g->tc);
    server_free(g->server);
    store_close(g->store);
    config_free(&g->cfg);
    free(g->config_path);
}

int main(int argc, char **argv)
{
    char *config = NULL, *sock = NULL;
    int level = -1;
    int rc = parse_args(argc, argv, &config, &sock, &level);
    if (rc >= 0)
        return rc;

    struct gliad daemon = {0};
    struct gliad *g = &daemon;
    g->started_ms = now_ms();
    g->cli_socket = sock;
    g->cli_log_level = level;
    log_init(LOG_INFO);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    char err[512];
    g->config_path = config ? xstrdup(config) : config_default_path();
    if (config_load(&g->cfg, g->config_path, err, sizeof(err)) < 0) {
        log_error("%s", err);
        config_free(&g->cfg);
        free(g->config_path);
        return 1;
    }
    gliad_apply_cli(g, &g->cfg);
    log_set_level((enum log_level)g->cfg.log_level);

    uv_loop_t loop;
    uv_loop_init(&loop);
    g->loop = &loop;
    rc = 1;
    int lock = lock_state_dir(&g->cfg, err, sizeof(err));
    if (lock < 0) {
        log_error("%s", err);
        goto out;
    }
    if (!(g->store = store_open(g->cfg.state_dir, err, sizeof(err)))) {
        log_error("%s", err);
        goto out;
    }
    if (prefs_load(g) < 0) {
        log_error("cannot read the preferences from %s: %s", store_path(g->store),
                  store_error(g->store));
        goto out;
    }
    if (!(g->writer = store_writer_start(g->loop, g->cfg.state_dir, err, sizeof(err)))) {
        log_error("%s", err);
        goto out;
    }
    if (server_start(g, methods_dispatch, g->cfg.socket, activated_fd(), err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto out;
    }
    log_info("gliad %s listening on %s (pid %d)", GLIAD_VERSION, g->cfg.socket, getpid());
    watch_signal(g, &g->sigint, SIGINT);
    watch_signal(g, &g->sigterm, SIGTERM);
    watch_signal(g, &g->sighup, SIGHUP);
    uv_timer_init(g->loop, &g->watchdog);
    sdnotify_watchdog(&g->watchdog);
    clean_tmp(g);
    lease_start(g);
    g->sync = sync_open(g->loop, g->cfg.state_dir);
    char *helper = proc_find_helper(LIBEXECDIR);
    if (!helper)
        log_warn("gliad-child not found next to gliad nor in %s: compilers run at full "
                 "priority and outlive a killed gliad",
                 LIBEXECDIR);
    proc_set_helper(helper);
    free(helper);
    toolchain_detect(&g->cfg.neuron, &g->tc);
    g->neuron_symbols = build_symbols_load(g->loop, &g->tc);
    compiler_init(&g->compiler, g->loop, &g->tc, g->cfg.cache_dir, g->cfg.jobs);
    gliad_make_collection(g);
    env_build_init(g, env_next_all);
    gliad_route_events(g);
    gliad_add_envs(g);
    builtins_load(g);
    toolchain_probe(g->loop, &g->tc, toolchain_ready, g);

    uv_run(&loop, UV_RUN_DEFAULT);
    lease_drop(g->cfg.cache_dir);
    rc = 0;
    log_info("stopped");
out:
    if (!g->stopping) {
        g->stopping = 1;
        server_stop_listening(g->server);
    }
    store_writer_stop(g->writer);  /* the loop ran dry: no write is pending */
    uv_run(&loop, UV_RUN_DEFAULT); /* let closes finish */
    cleanup(g);
    proc_set_helper(NULL);
    if (uv_loop_close(&loop) != 0)
        log_debug("loop closed with handles still open");
    if (lock >= 0)
        close(lock);
    return rc;
}
