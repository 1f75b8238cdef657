/*
 * bench_rpc: gliad's resolve latency and throughput, next to a plain
 * Unix-socket round trip measured in the same run.
 *
 * The machine is shared and noisy, so a figure means little alone: each one
 * is printed beside the echo baseline's, and the two are measured
 * alternately (latency in interleaved blocks, throughput in alternating
 * one-second rounds) so that a burst of noise hits both rather than one.
 *
 * Where the processes run matters more than anything either server does
 * (see placement.h), so the comparison is made for each placement, the
 * baseline always pinned exactly like gliad.
 *
 * Every reply is checked — a success carrying the expected full name — and
 * any other answer ends the run: a benchmark that silently counts errors
 * measures the error path.
 */
#include "bench_util.h"
#include "client.h"
#include "echo_server.h"
#include "load.h"
#include "placement.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What gliad must reach: a resolve's median latency within twice an echo
 * server's on the same kind of socket, and 50 000 resolves a second. */
#define TARGET_P50_RATIO 2.0
#define TARGET_RESOLVES_PER_S 50000.0

#define NPLACEMENTS 2
#define LATENCY_BLOCKS 20 /* interleaved blocks per server */

static const char usage[] =
    "usage: bench_rpc --socket PATH --asset NAME [options]\n"
    "\n"
    "Measures gliad's resolve latency (one client) and throughput (many\n"
    "clients) beside an echo server on a Unix socket, in the same run.\n"
    "\n"
    "  --socket PATH     gliad's socket (required)\n"
    "  --asset NAME      the asset to resolve; it must resolve (required)\n"
    "  --expect FULL     the full name every reply must carry (default: the\n"
    "                    answer to a first resolve, which must then not change)\n"
    "  --env NAME        send this environment in every request\n"
    "  --count N         sequential requests timed per server (20000)\n"
    "  --warmup N        untimed requests first (2000)\n"
    "  --clients N       concurrent connections for throughput (32)\n"
    "  --seconds N       throughput time per server, in alternating rounds (3)\n"
    "  --placements LIST split, same or split,same (default)\n"
    "\n"
    "gliad's loop thread is pinned for each placement, then given its mask back.\n";

struct options {
    const char *socket, *asset, *expect, *env;
    size_t count, warmup, clients, seconds;
    int placements[NPLACEMENTS]; /* indexed by enum placement: measure it? */
};

/* One server's figures under one placement. */
struct figures {
    uint64_t p50, p90, p99, max; /* ns */
    double per_s;
    size_t request_bytes, reply_bytes;
};

static void parse_placements(const char *arg, int *on)
{
    on[PLACE_SPLIT] = strstr(arg, "split") != NULL;
    on[PLACE_SAME] = strstr(arg, "same") != NULL;
    if (!on[PLACE_SPLIT] && !on[PLACE_SAME])
        bench_die("--placements: expected split, same or both, got '%s'", arg);
}

/* --help prints to stdout and succeeds; a usage error goes to stderr. */
static _Noreturn void usage_exit(int rc)
{
    fputs(usage, rc ? stderr : stdout);
    exit(rc);
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"asset", required_argument, NULL, 'a'},
                                         {"expect", required_argument, NULL, 'x'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"clients", required_argument, NULL, 'c'},
                                         {"seconds", required_argument, NULL, 't'},
                                         {"placements", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *o = (struct options){
        .count = 20000, .warmup = 2000, .clients = 32, .seconds = 3, .placements = {1, 1}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            o->socket = optarg;
        else if (c == 'a')
            o->asset = optarg;
        else if (c == 'x')
            o->expect = optarg;
        else if (c == 'e')
            o->env = optarg;
        else if (c == 'n')
            o->count = (size_t)bench_parse_count("--count", optarg);
        else if (c == 'w')
            o->warmup = (size_t)bench_parse_count("--warmup", optarg);
        else if (c == 'c')
            o->clients = (size_t)bench_parse_count("--clients", optarg);
        else if (c == 't')
            o->seconds = (size_t)bench_parse_count("--seconds", optarg);
        else if (c == 'p')
            parse_placements(optarg, o->placements);
        else
            usage_exit(c == 'h' ? 0 : 2);
    }
    if (!o->socket || !o->asset || optind < argc)
        usage_exit(2);
}

static pid_t peer_pid(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
}

/* One resolve through the ordinary client: it waits out gliad's first scan
 * and tells what the asset resolves to, and which process gliad is.
 * Returns the full name, malloc'd. */
static char *probe_gliad(const struct options *o, pid_t *pid)
{
    struct proto_client pc;
    struct proto_msg m;
    char err[512];
    if (proto_client_connect(&pc, o->socket, err, sizeof(err)) < 0)
        bench_die("gliad: %s", err);
    *pid = peer_pid(pc.fd);
    proto_client_begin(&pc, "resolve", 1);
    proto_pack_kstr(&pc.pk, "asset", o->asset);
    if (o->env)
        proto_pack_kstr(&pc.pk, "env", o->env);
    if (proto_client_call(&pc, &m, NULL, NULL, err, sizeof(err)) < 0)
        bench_die("gliad: %s", err);
    if (m.error)
        bench_die("gliad cannot resolve %s: pick an asset that resolves (gliactl list)", o->asset);
    const msgpack_object *r = m.result;
    char *full = NULL;
    for (uint32_t i = 0; r && r->type == MSGPACK_OBJECT_MAP && i < r->via.map.size; i++)
        if (proto_str_eq(&r->via.map.ptr[i].key, "full"))
            full = strdup(proto_zone_str(m.unpacked.zone, &r->via.map.ptr[i].val));
    proto_msg_free(&m);
    proto_client_close(&pc);
    if (!full)
        bench_die("gliad's resolve result has no full name");
    return full;
}

static void summarize_latency(uint64_t *samples, size_t n, struct figures *f)
{
    bench_sort_u64(samples, n);
    f->p50 = bench_percentile_u64(samples, n, 50);
    f->p90 = bench_percentile_u64(samples, n, 90);
    f->p99 = bench_percentile_u64(samples, n, 99);
    f->max = samples[n - 1];
}

/* Sequential round trips on one connection per server, in blocks taken
 * alternately from each. t[0] is the baseline, t[1] gliad. */
static void measure_latency(const struct options *o, const struct load_target *t, struct figures *f)
{
    struct load_conn c[2];
    uint64_t *samples[2];
    for (int k = 0; k < 2; k++) {
        load_conn_open(&c[k], &t[k]);
        samples[k] = malloc((o->count > o->warmup ? o->count : o->warmup) * sizeof(uint64_t));
        if (!samples[k])
            bench_die("out of memory");
        load_latency(&c[k], o->warmup, samples[k]);
    }
    size_t block = (o->count + LATENCY_BLOCKS - 1) / LATENCY_BLOCKS;
    for (size_t done = 0; done < o->count; done += block) {
        if (block > o->count - done)
            block = o->count - done;
        for (int k = 0; k < 2; k++)
            load_latency(&c[k], block, samples[k] + done);
    }
    for (int k = 0; k < 2; k++) {
        summarize_latency(samples[k], o->count, &f[k]);
        f[k].request_bytes = c[k].request_bytes;
        f[k].reply_bytes = c[k].reply_bytes;
        free(samples[k]);
        load_conn_close(&c[k]);
    }
}

/* Many connections per server, one request in flight on each, in rounds of
 * a second taken alternately from each server. */
static void measure_throughput(const struct options *o, const struct load_target *t,
                               struct figures *f)
{
    const uint64_t second = 1000000000u;
    struct load_conn *conns[2];
    uint64_t done[2] = {0, 0}, elapsed[2] = {0, 0}, ns;
    for (int k = 0; k < 2; k++) {
        if (!(conns[k] = calloc(o->clients, sizeof(struct load_conn))))
            bench_die("out of memory");
        for (size_t i = 0; i < o->clients; i++)
            load_conn_open(&conns[k][i], &t[k]);
        load_throughput(conns[k], o->clients, second / 5, &ns); /* warm-up */
    }
    for (size_t round = 0; round < o->seconds; round++)
        for (int k = 0; k < 2; k++) {
            done[k] += load_throughput(conns[k], o->clients, second, &ns);
            elapsed[k] += ns;
        }
    for (int k = 0; k < 2; k++) {
        f[k].per_s = (double)done[k] / ((double)elapsed[k] / 1e9);
        for (size_t i = 0; i < o->clients; i++)
            load_conn_close(&conns[k][i]);
        free(conns[k]);
    }
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static const char *verdict(int met)
{
    return met ? "met" : "NOT MET";
}

static void report_latency_row(const char *label, uint64_t echo, uint64_t gliad, const char *target)
{
    printf("  %-26s %10.1f %10.1f %9.2fx%s%s\n", label, us(echo), us(gliad),
           (double)gliad / (double)echo, *target ? "  " : "", target);
}

static void report(const struct options *o, const struct pinning *pin, enum placement pl,
                   const struct figures *f)
{
    const struct figures *e = &f[0], *g = &f[1];
    double ratio = (double)g->p50 / (double)e->p50;
    char where[128], label[64], target[64];
    placement_describe(pin, pl, where, sizeof(where));
    printf("\nplacement %s: %s\n", placement_name(pl), where);
    printf("  %-26s %10s %10s %10s  %s\n", "", "echo", "gliad", "gliad/echo", "target");
    snprintf(target, sizeof(target), "p50 <= %.0fx echo: %s", TARGET_P50_RATIO,
             verdict(ratio <= TARGET_P50_RATIO));
    report_latency_row("1 client, p50 (us)", e->p50, g->p50, target);
    report_latency_row("1 client, p90 (us)", e->p90, g->p90, "");
    report_latency_row("1 client, p99 (us)", e->p99, g->p99, "");
    printf("  %-26s %10.1f %10.1f\n", "1 client, max (us)", us(e->max), us(g->max));
    snprintf(label, sizeof(label), "%zu clients, requests/s", o->clients);
    printf("  %-26s %10.0f %10.0f %9.2fx  ", label, e->per_s, g->per_s, g->per_s / e->per_s);
    /* The throughput target is for two cores; `same` gives everything one. */
    if (pl == PLACE_SAME)
        printf("(one core: no target)\n");
    else if (g->per_s < TARGET_RESOLVES_PER_S && e->per_s < TARGET_RESOLVES_PER_S)
        /* When not even the echo server gets there, the machine is too
         * busy to tell anything about gliad. */
        printf(">= %.0f/s: can't tell (machine busy: echo is below it too)\n",
               TARGET_RESOLVES_PER_S);
    else
        printf(">= %.0f/s: %s\n", TARGET_RESOLVES_PER_S,
               verdict(g->per_s >= TARGET_RESOLVES_PER_S));
}

/* Undone at exit, also when bench_die ends the run halfway: gliad must not
 * stay pinned, nor the echo server or its socket stay behind. */
static struct {
    struct pinning pin;
    int pinned;
    pid_t echo;
    char dir[64], path[128];
} at_exit;

static void clean_up(void)
{
    if (at_exit.pinned)
        pinning_restore(&at_exit.pin);
    if (at_exit.echo > 0)
        echo_server_stop(at_exit.echo, at_exit.path);
    if (at_exit.dir[0])
        rmdir(at_exit.dir);
}

static void start_echo(void)
{
    snprintf(at_exit.dir, sizeof(at_exit.dir), "/tmp/bench_rpc.XXXXXX");
    if (!mkdtemp(at_exit.dir))
        bench_die("mkdtemp: cannot create a directory in /tmp");
    snprintf(at_exit.path, sizeof(at_exit.path), "%s/echo.sock", at_exit.dir);
    at_exit.echo = echo_server_start(at_exit.path);
}

/* Measures and reports one placement. Returns 0, or -1 when this machine
 * cannot have it. */
static int run_placement(const struct options *o, const struct load_target *t, enum placement pl,
                         int first)
{
    if (pinning_apply(&at_exit.pin, pl) < 0) {
        fprintf(stderr, "bench_rpc: placement %s is not possible here; skipped\n",
                placement_name(pl));
        return -1;
    }
    struct figures f[2];
    memset(f, 0, sizeof(f));
    fprintf(stderr, "bench_rpc: %s: latency, %zu requests per server...\n", placement_name(pl),
            o->count);
    measure_latency(o, t, f);
    fprintf(stderr, "bench_rpc: %s: throughput, %zu clients, %zu s per server...\n",
            placement_name(pl), o->clients, o->seconds);
    measure_throughput(o, t, f);
    if (first)
        printf("request %zu B, reply %zu B (echo: %zu B each way)\n", f[1].request_bytes,
               f[1].reply_bytes, f[0].reply_bytes);
    report(o, &at_exit.pin, pl, f);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    pid_t gliad_pid;
    char *full = probe_gliad(&o, &gliad_pid);
    if (o.expect && strcmp(full, o.expect) != 0)
        bench_die("gliad resolves %s to %s, not %s", o.asset, full, o.expect);
    o.expect = full;

    atexit(clean_up);
    bench_catch_signals();
    start_echo();
    if (pinning_init(&at_exit.pin, at_exit.echo, gliad_pid) < 0)
        bench_die("cannot pin gliad (pid %d): without pinning the comparison measures where "
                  "the scheduler puts each server, not the servers",
                  (int)gliad_pid);
    at_exit.pinned = 1;

    const struct load_target t[2] = {
        {LOAD_ECHO, "echo", at_exit.path, o.asset, o.env, NULL},
        {LOAD_GLIAD, "gliad", o.socket, o.asset, o.env, full},
    };
    printf("resolve %s -> %s\n", o.asset, full);
    int first = 1;
    for (int pl = 0; pl < NPLACEMENTS; pl++)
        if (o.placements[pl] && run_placement(&o, t, (enum placement)pl, first) == 0)
            first = 0;
    free(full);
    return 0;
}
