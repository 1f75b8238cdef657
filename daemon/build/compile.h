/*
 * compile: the daemon-wide queue that turns one prepared mod into one
 * cached object (nocmodl, then cc), at most `jobs` processes at a time.
 *
 * Tasks are keyed by object key, so two environments asking for the same
 * mod share one compilation; a task nobody waits for any more is dropped
 * from the queue, or killed if it is running. Failures are returned as a
 * diagnostic on the user's own file.
 */
#ifndef GLIA_COMPILE_H
#define GLIA_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cache.h"
#include "diag.h"
#include "strmap.h"

struct toolchain;

/* What a build asks for. Each task writes the text into a work dir of its
 * own, so a cancelled build can never pull files from under another's. */
struct compile_req {
    const char *key;
    const char *stem;      /* the full mechanism name */
    const char *orig_path; /* the user's .mod, for messages */
    const char *orig_dir;  /* nocmodl runs here, so INCLUDE finds its files */
    const char *mod_text;  /* as built (renamed when plain) */
};

struct compile_result {
    int ok;
    int cacheable;     /* a failure the tool decided on this input: it will repeat */
    int environmental; /* not the mod's failure (see fault.h): try again later */
    const char *key;
    struct diag diag; /* when !ok; borrowed for the callback's duration */
    double ms;
};

typedef void (*compile_done_fn)(void *ud, const struct compile_result *r);

struct compiler {
    uv_loop_t *loop;
    const struct toolchain *tc;
    char *cache_dir;
    int jobs;
    int running;
    struct strmap tasks; /* key -> struct compile_task*, queued or running */
    struct compile_task *queue_head, *queue_tail;
    struct defer *kick; /* starts queued work on the next loop turn */
    uint64_t processes; /* compiler processes started, ever */
    uint64_t seq;       /* names work dirs */
};

void compiler_init(struct compiler *c, uv_loop_t *loop, const struct toolchain *tc,
                   const char *cache_dir, int jobs);
/* Drops queued tasks (their callbacks never come) and kills running ones
 * (theirs come, as failures). Closes the loop handle it owns. */
void compiler_shutdown(struct compiler *c);
void compiler_free(struct compiler *c);

/* Asks for req's object; done(ud, ...) is called once it exists or failed
 * (never synchronously). */
void compiler_submit(struct compiler *c, const struct compile_req *req, compile_done_fn done,
                     void *ud);
/* Withdraws the interest of `ud` in key: done will not be called for it. */
void compiler_withdraw(struct compiler *c, const char *key, void *ud);

size_t compiler_queued(const struct compiler *c);

#endif
