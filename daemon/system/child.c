/*
 * gliad-child: how gliad starts every program (compilers, nrniv, python3).
 *
 *   gliad-child PARENT_PID NICE PROG [ARGS...]
 *
 * libuv gives no hook between fork and exec, and two things must happen
 * there: the child must die with gliad (a SIGKILLed gliad otherwise leaves
 * compilers, or an nrniv spinning on EPIPE, running forever), and
 * background compiles must yield the CPU to the user's own work. So this
 * sets PR_SET_PDEATHSIG and the niceness, then execs PROG.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: gliad-child PARENT_PID NICE PROG [ARGS...] (gliad runs this)\n");
        return 127;
    }
    pid_t parent = (pid_t)atol(argv[1]);
    int nice = atoi(argv[2]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        perror("gliad-child: prctl");
    /* gliad may have died before the line above: then nobody waits for us. */
    if (getppid() != parent)
        return 127;
    if (nice > 0 && setpriority(PRIO_PROCESS, 0, nice) < 0)
        perror("gliad-child: setpriority");
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "gliad-child: cannot run %s: %s\n", argv[3], strerror(errno));
    return 127;
}
