/*
 * gliactl: the command-line client of gliad. One file per command
 * (cmd_<name>.c), each holding one table entry and its exec function; this
 * header is what they share.
 */
#ifndef GLIACTL_H
#define GLIACTL_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "client.h"

/* Exit codes, by contract. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1, /* the request failed: unknown, ambiguous, build failed... */
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3, /* no daemon answering */
};

struct ctl {
    const char *socket; /* NULL: the default */
    const char *env;    /* NULL: the daemon's default env */
    int json;
    struct proto_client client;
    int connected;
};

struct ctl_cmd {
    const char *name;
    const char *synopsis;         /* arguments after the name */
    const char *summary;          /* one line for `gliactl --help` */
    const char *help;             /* the rest of `gliactl CMD --help`, may be NULL */
    const struct option *options; /* command-specific long options, or NULL */
    int (*exec)(struct ctl *ctl, int argc, char **argv);
};

/* The program's name in messages: "gliactl", or "glia" when the `glia`
 * command runs gliactl for its environment (main.c sets it once). */
extern const char *ctl_prog;

/* The table (main.c); every cmd_<name>.c defines its entry. */
extern const struct ctl_cmd *const ctl_commands[];
extern const struct ctl_cmd cmd_resolve, cmd_select, cmd_unselect, cmd_prefs, cmd_list, cmd_show,
    cmd_packages, cmd_show_package, cmd_status, cmd_rescan, cmd_build, cmd_library, cmd_log,
    cmd_sync, cmd_pkg, cmd_pkg_new, cmd_pkg_add, cmd_pkg_check, cmd_add, cmd_collection, cmd_remove,
    cmd_bundle;

/*
 * Parses argv of a command: the common options (--env, --socket, --json,
 * --help) and the command's own, which go to on_opt (val, optarg). Returns
 * the index of the first operand, or -(exit code + 1) when done (--help
 * printed: -1; usage error: -3).
 */
int ctl_getopt(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
               int (*on_opt)(void *ud, int val, const char *arg), void *ud);
/* Prints "gliactl CMD: message" and the command's synopsis; returns EXIT_USAGE. */
int ctl_usage(const struct ctl_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --pkg and --variant, shared by the commands that take them. */
struct ctl_pv {
    const char *pkg, *variant;
};
extern const struct option ctl_pv_options[];
int ctl_pv_opt(void *pv, int val, const char *arg);
void ctl_pv_pack(msgpack_packer *pk, const struct ctl_pv *pv);

/* --all, for the commands that hide NEURON's built-ins by default;
 * ctl_flag_opt sets the int its ud points to. */
extern const struct option ctl_all_options[];
int ctl_flag_opt(void *flag, int val, const char *arg);

/* ---- Authoring (pkg*.c, collection.c) ---- */

struct pkg;
/* `pkg add` and `add`: parses the options, finds the package (local: the
 * collection) and adds each SOURCE.mod. Returns the exit code. */
int ctl_add_mods(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv, int local);
/* Opens the personal collection into *p (made first when `create`; else a
 * missing one is an error). Returns 0, or -1 after telling the user. */
int ctl_collection(struct ctl *ctl, int create, struct pkg *p);
/* Where the collection is: gliad's [daemon] collection, else the default. malloc'd. */
char *ctl_collection_dir(struct ctl *ctl);

/* ---- Talking to gliad ---- */

/* Connects (on first use) and begins a request whose params map holds the
 * env when set. Returns the packer for the caller's keys and values (the
 * map counts them itself), or NULL after telling the user gliad is
 * unreachable (exit with EXIT_UNREACHABLE). */
msgpack_packer *ctl_begin(struct ctl *ctl, const char *method);
/* The same, asking gliad to first take in every change made on disk before
 * now (sync: true), so `pip install x && gliactl resolve X` sees x. */
msgpack_packer *ctl_begin_synced(struct ctl *ctl, const char *method);

/*
 * Sends the request and waits for the reply. Returns EXIT_OK with *result
 * set (valid until proto_msg_free(resp)), or an exit code after printing
 * the error: EXIT_FAILED for an error reply, EXIT_UNREACHABLE when the
 * connection broke.
 */
int ctl_call(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result);

/* As ctl_call, but an error reply is not printed: *why gets its message
 * (malloc'd), for a command that reports it among its own findings. */
int ctl_call_why(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result,
                 char **why);

/* As ctl_call, with a callback for notifications arriving meanwhile. */
int ctl_call_notify(struct ctl *ctl, struct proto_msg *resp, const msgpack_object **result,
                    proto_notify_fn fn, void *ud);

/* Sends the request begun with ctl_begin, prints the result (as JSON with
 * --json, else with `print`) and returns the exit code. */
typedef void (*ctl_print_fn)(struct ctl *ctl, const msgpack_object *result, void *ud);
int ctl_finish(struct ctl *ctl, ctl_print_fn print, void *ud);
/* The same, for a result that can still mean failure (library: none
 * yet): verdict gives the exit code, whichever way the result is printed. */
typedef int (*ctl_verdict_fn)(const msgpack_object *result);
int ctl_finish_verdict(struct ctl *ctl, ctl_print_fn print, ctl_verdict_fn verdict, void *ud);

/* A whole command that takes no arguments: parses the common options,
 * calls `method` with no params and prints the result. */
int ctl_run_plain(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
                  const char *method, ctl_print_fn print);

/* Sends the request begun with ctl_begin and drops the answer: for the
 * calls a command makes on its way (subscribe, build). */
int ctl_call_quiet(struct ctl *ctl);

/* ---- Reading a result ---- */

/* The strings obj_str, obj_cstr and obj_print_lines give are for people:
 * control characters (ESC, BEL, newlines...) of a package's strings could
 * drive the terminal or break a table, and come out as '?'. Compare or pass
 * on the msgpack string itself, not these. */

const msgpack_object *obj_get(const msgpack_object *map, const char *key);
/* The string at key, NUL-terminated in one of a ring of 16 buffers of 4 KiB
 * (so a printf can take several); `fallback` when absent or nil. */
const char *obj_str(const msgpack_object *map, const char *key, const char *fallback);
long long obj_int(const msgpack_object *map, const char *key);
double obj_double(const msgpack_object *map, const char *key);
int obj_bool(const msgpack_object *map, const char *key);
/* Copies a msgpack string into buf (truncating); "" when not a string. */
const char *obj_cstr(const msgpack_object *o, char *buf, size_t len);
/* Multi-line text, whole (no buffer limits it): each non-empty line of the
 * string after prefix; its newlines are kept, other control characters
 * shown as '?'. Nothing when o is not a string. */
void obj_print_lines(FILE *f, const msgpack_object *o, const char *prefix);

/* ---- Output ---- */

/* --json output is built with jansson, so it is always one valid document:
 * strings that are not UTF-8 (a path can be any bytes) carry U+FFFD. */
/* JSON of any msgpack value, a new reference. */
json_t *json_of_msgpack(const msgpack_object *o);
/* A JSON string of n bytes, or of a C string (NULL: null). New references. */
json_t *json_text(const char *s, size_t n);
json_t *json_cstr(const char *s);
/* Prints v and a newline, and drops the reference to v. */
void json_emit(FILE *f, json_t *v);
/* json_emit of a msgpack value. */
void json_print(FILE *f, const msgpack_object *o);

/* A table printed with aligned columns. Cells are copied. */
struct table;
struct table *table_new(int ncols, ...); /* header cells */
void table_add(struct table *t, ...);    /* ncols const char* cells */
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

#endif
