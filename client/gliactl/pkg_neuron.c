/*
 * pkg_neuron: one mechanism tried in a fresh NEURON process, for pkg check.
 *
 * A process per mechanism: NEURON cannot unload a library nor always
 * recover from an error, and one mod that crashes must not hide the next.
 * The python3 on PATH is the author's, with the NEURON they will run.
 */
#include "pkg.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEURON_TIMEOUT_S 120 /* a mod whose INITIAL loops forever */

static const char NEURON_SCRIPT[] =
    "import math, sys\n"
    "from neuron import h\n"
    "lib, name, kind = sys.argv[1:4]\n"
    "def stage(s): print('GLIA-CHECK-STAGE ' + s, flush=True)\n"
    "def fail(s): print('GLIA-CHECK-ERROR ' + s, flush=True); sys.exit(1)\n"
    "stage('load')\n"
    "if h.nrn_load_dll(lib) != 1: fail('cannot load ' + lib)\n"
    "sec = h.Section(name='soma'); sec.L = sec.diam = 10\n"
    "try:\n"
    "    stage('insert')\n"
    "    if kind == 'density': sec.insert(name)\n"
    "    elif kind == 'point': obj = getattr(h, name)(sec(0.5))\n"
    "    else: obj = getattr(h, name)()\n"
    "    stage('finitialize')\n"
    "    h.finitialize(-65)\n"
    "    stage('run')\n"
    "    for _ in range(20): h.fadvance()\n"
    "except Exception as e:\n"
    "    fail('%s: %s' % (type(e).__name__, e))\n"
    "v = sec(0.5).v\n"
    "if not math.isfinite(v): fail('the membrane potential is %s after 20 steps' % v)\n"
    "print('GLIA-CHECK-OK', flush=True)\n";

/* Runs python3 (the author's, from PATH) on the script; its output and
 * errors together in *out. Returns the wait status, or -1. */
static int run_neuron(const char *lib, const char *name, enum modfile_kind kind, char **out)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        setenv("NEURON_MODULE_OPTIONS", "-nogui", 1);
        alarm(NEURON_TIMEOUT_S); /* kept across exec: SIGALRM ends a hung run */
        execlp("python3", "python3", "-c", NEURON_SCRIPT, lib, name, modfile_kind_name(kind),
               (char *)NULL);
        fprintf(stderr, "GLIA-CHECK-ERROR cannot run python3: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    ssize_t n;
    while (pid > 0 &&
           ((n = read(fds[0], buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0 && (len += (size_t)n) + 1 >= cap)
            buf = xrealloc(buf, cap *= 2);
    buf[len] = '\0';
    close(fds[0]);
    int status = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out = buf;
    return pid > 0 ? status : -1;
}

/* What went wrong, at which stage, in NEURON's own words: its "NEURON: ..."
 * line when it printed one, else the script's account, else the last line
 * after the stage began (before it, NEURON lists the library's mechanisms). */
static char *failure(char *out, int status)
{
    char *last_stage = NULL, *err = NULL, *neuron = NULL, *last = NULL;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        if (strncmp(l, "GLIA-CHECK-STAGE ", 17) == 0)
            last_stage = l + 17;
        else if (strncmp(l, "GLIA-CHECK-ERROR ", 17) == 0)
            err = l + 17;
        else if (strstr(l, "NEURON: ") && !neuron && last_stage)
            neuron = strstr(l, "NEURON: ") + 8;
        if (*l && last_stage && l != last_stage - 17)
            last = l;
    }
    const char *why = neuron ? neuron : err ? err : last ? last : "no output";
    char *msg = WIFSIGNALED(status)
                    ? xprintf("NEURON %s at %s: %s",
                              WTERMSIG(status) == SIGALRM ? "hung (killed)" : "crashed",
                              last_stage ? last_stage : "start", strsignal(WTERMSIG(status)))
                    : xprintf("NEURON at %s: %s", last_stage ? last_stage : "start", why);
    return msg;
}

int pkg_neuron_try(const char *lib, const char *name, enum modfile_kind kind, char **why)
{
    char *out = NULL;
    int status = run_neuron(lib, name, kind, &out);
    *why = NULL;
    if (status == 0 && out && strstr(out, "GLIA-CHECK-OK")) {
        free(out);
        return 0;
    }
    if (!out)
        *why = xprintf("could not start python3: %s", strerror(errno));
    else
        *why = failure(out, status);
    free(out);
    return -1;
}
