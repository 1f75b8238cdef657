/*
 * proc: runs a program through libuv (uv_spawn with an argv, never a shell)
 * and hands back its exit status and captured output when it ends. Used for
 * python3 and nrniv probes and for every compiler the builds run.
 */
#ifndef GLIA_PROC_H
#define GLIA_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct proc_result {
    int64_t exit_status;
    int term_signal;
    int timed_out; /* killed for running past the time limit */
    char *out;     /* captured stdout, NUL-terminated (truncated at the limit) */
    size_t outlen;
    char *err; /* captured stderr, likewise */
    size_t errlen;
    double ms; /* wall time */
};

typedef void (*proc_done_fn)(void *ud, struct proc_result *r);

struct proc_opts {
    const char *cwd;     /* NULL: inherit */
    char **env;          /* NULL: inherit */
    unsigned timeout_ms; /* 0: none */
    size_t max_output;   /* per stream; 0: 1 MiB */
    int nice;            /* added niceness (background compiles) */
};

/* Where gliad-child is (see child.c); NULL: programs are started directly
 * and a SIGKILLed gliad leaves them behind. Set once at startup. */
void proc_set_helper(const char *path);
/* The helper next to the running gliad, or in LIBEXECDIR; NULL if neither. */
char *proc_find_helper(const char *libexecdir);

struct proc;

/* gliad's environment with each "NAME=value" of `set` (NULL-terminated) in
 * place of NAME's own: MODLUNIT for nocmodl, TMPDIR for every compiler (so
 * gcc's temporary files land in a work dir gliad removes, even after a
 * kill). malloc'd with its strings; free with proc_env_free. */
char **proc_env(const char *const *set);
void proc_env_free(char **env);

/*
 * Starts argv[0] (looked up on PATH). On success returns 0 and calls done
 * exactly once, from the loop, when the process has ended and both pipes
 * are drained; the result is valid only during the call. On failure to
 * start returns a negative uv error and never calls done. *out (may be
 * NULL) lets the caller kill the process with proc_kill.
 */
int proc_run(uv_loop_t *loop, char *const *argv, const struct proc_opts *o, proc_done_fn done,
             void *ud, struct proc **out);

/* Sends SIGKILL; done is still called. */
void proc_kill(struct proc *p);

#endif
