/*
 * gliactl pkg check [DIR]: all a package author needs to know before
 * publishing, as `cargo check` would say it: each problem at file:line.
 *
 * 1. The entry point names a module dir holding mods/ with mods in it.
 * 2. Every mod parses (the daemon's own parser), its mechanism is
 *    glia__<package>__<asset>__<variant> and its file ASSET__VARIANT.mod;
 *    no two mods define one mechanism; each asset has a variant 0 (else a
 *    warning saying what that costs).
 * 3. gliad compiles the package, reusing its cache: the project is offered
 *    to it as a temporary environment (env.register of a site dir holding
 *    only a dist-info that points at the project, as `pip install -e`
 *    would write), then `library {wait}` and `log`; the environment is
 *    forgotten afterwards. No method of its own: a check builds exactly
 *    what an install would.
 * 4. Every mod that compiled is inserted (density), instantiated (point
 *    process, artificial cell) in a fresh NEURON process of its own, then
 *    finitialize and a few steps (pkg_neuron.c).
 */
#include "gliactl.h"
#include "mechname.h"
#include "os.h"
#include "pkg.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The temporary env's name: the prefix, the project dir, ':' and our pid. */
#define CHECK_ENV_PREFIX "pkg-check:"

struct finding {
    int error; /* else a warning */
    char *stage, *file, *message, *detail;
    int line;
};

struct mod {
    char *path;
    char *full;    /* NULL: did not parse */
    char *libname; /* its name in the library: full, or gliad's for a plain one */
    enum modfile_kind kind;
    int line;  /* the mechanism name's */
    int built; /* in the library */
    int ran;   /* passed in NEURON */
};

struct check {
    struct pkg p;
    struct mod *mods;
    size_t nmods;
    struct finding *f;
    size_t nf, fcap;
    char *library;
    size_t compiled, ran;
};

/* The path as the author reads it: from the current dir when under it
 * (as a compiler names it), else from the project dir's parent. */
static const char *shown_path(const struct check *c, const char *path)
{
    char cwd[PATH_MAX];
    size_t cl = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
    if (cl > 1 && strncmp(path, cwd, cl) == 0 && path[cl] == '/')
        return path + cl + 1;
    const char *slash = strrchr(c->p.root, '/');
    size_t n = slash ? (size_t)(slash - c->p.root) + 1 : 0;
    return strncmp(path, c->p.root, n) == 0 ? path + n : path;
}

static void add(struct check *c, int error, const char *stage, const char *file, int line,
                char *message, char *detail)
{
    struct finding f = {error, xstrdup(stage), xstrdup(file), message, detail, line};
    VEC_PUSH(c->f, c->nf, c->fcap, f);
}

/* ---- 1 and 2: what can be seen without compiling ---- */

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    return xstrndup(base, strlen(base) - strlen(".mod"));
}

static void check_name(struct check *c, struct mod *m, const char *name)
{
    char why[200];
    struct mechname mn;
    enum mechname_status st = mechname_parse(name, &mn, why, sizeof(why));
    if (st != MECHNAME_OK) {
        add(c, 1, "name", m->path, m->line,
            st == MECHNAME_PLAIN
                ? xprintf("mechanism '%s' is not a Glia name: expected glia__%s__<asset>__"
                          "<variant> (`glia pkg add` copies a mod under one)",
                          name, c->p.name)
                : xprintf("mechanism '%s': %s", name, why),
            NULL);
        return;
    }
    char *stem = stem_of(m->path), *want = xprintf("%s__%s", mn.asset, mn.variant);
    if (strcmp(mn.pkg, c->p.name) != 0)
        add(c, 1, "name", m->path, m->line,
            xprintf("mechanism '%s' names package '%s', but this package is '%s'", name, mn.pkg,
                    c->p.name),
            NULL);
    else if (strcmp(stem, want) != 0 && strcmp(stem, name) != 0)
        add(c, 1, "name", m->path, m->line,
            xprintf("mechanism '%s' does not match its file name %s.mod: expected %s.mod", name,
                    stem, want),
            NULL);
    free(stem);
    free(want);
    mechname_free(&mn);
}

/* gliad builds a mod whose name is not a Glia one under
 * glia__<package>__<stem's asset>__<stem's variant>, as scan.c names it. */
static char *built_name(const struct check *c, const char *path, const char *name)
{
    struct mechname mn;
    if (mechname_parse(name, &mn, NULL, 0) != MECHNAME_PLAIN) {
        mechname_free(&mn);
        return xstrdup(name);
    }
    char *stem = stem_of(path), *out = NULL;
    if (mechname_from_stem(stem, &mn, NULL, 0) == 0)
        out = mechname_format(c->p.name, mn.asset, mn.variant);
    mechname_free(&mn);
    free(stem);
    return out ? out : xstrdup(name);
}

static void check_file_name(struct check *c, struct mod *m)
{
    char why[200], *stem = stem_of(m->path);
    struct mechname mn;
    if (mechname_from_stem(stem, &mn, why, sizeof(why)) < 0) {
        add(c, 1, "name", m->path, 0,
            xprintf("names no mechanism, so its file name does, and %s", why), NULL);
    } else {
        m->full = mechname_format(c->p.name, mn.asset, mn.variant);
        m->libname = xstrdup(m->full);
        mechname_free(&mn);
    }
    free(stem);
}

static void read_mod(struct check *c, struct mod *m)
{
    size_t len;
    char *text = file_read(m->path, 4u << 20, &len);
    struct modfile_info info;
    struct modfile_error err;
    if (!text) {
        add(c, 1, "read", m->path, 0, xprintf("cannot read: %s", strerror(errno)), NULL);
    } else if (modfile_parse(text, len, &info, &err) < 0) {
        add(c, 1, "parse", m->path, err.line, xstrdup(err.message), NULL);
    } else if (info.named_by_file) {
        /* No name statement: gliad names it glia__<package>__ after its file. */
        check_file_name(c, m);
        m->kind = info.kind;
        modfile_info_free(&info);
    } else {
        m->full = xstrdup(info.name);
        m->libname = built_name(c, m->path, info.name);
        m->kind = info.kind;
        m->line = info.name_line;
        check_name(c, m, info.name);
        modfile_info_free(&info);
    }
    free(text);
}

static void check_duplicates(struct check *c)
{
    for (size_t i = 0; i < c->nmods; i++)
        for (size_t j = 0; j < i && c->mods[i].full; j++)
            if (c->mods[j].full && strcmp(c->mods[i].full, c->mods[j].full) == 0) {
                add(c, 1, "duplicate", c->mods[i].path, c->mods[i].line,
                    xprintf("mechanism '%s' is also defined by %s:%d; NEURON takes one name "
                            "once",
                            c->mods[i].full, shown_path(c, c->mods[j].path), c->mods[j].line),
                    NULL);
                break;
            }
}

/* An asset without variant 0 has no default: a script that names no
 * variant gets an ambiguity error as soon as there are two. */
static void check_defaults(struct check *c)
{
    for (size_t i = 0; i < c->nmods; i++) {
        struct mechname a;
        if (!c->mods[i].full || mechname_parse(c->mods[i].full, &a, NULL, 0) != MECHNAME_OK)
            continue;
        int first = 1, has0 = 0;
        char variants[512] = "";
        for (size_t j = 0; j < c->nmods; j++) {
            struct mechname b;
            if (!c->mods[j].full || mechname_parse(c->mods[j].full, &b, NULL, 0) != MECHNAME_OK)
                continue;
            if (strcmp(a.asset, b.asset) == 0) {
                first &= j >= i;
                has0 |= strcmp(b.variant, MECHNAME_DEFAULT_VARIANT) == 0;
                size_t n = strlen(variants);
                snprintf(variants + n, sizeof(variants) - n, "%s%s", n ? ", " : "", b.variant);
            }
            mechname_free(&b);
        }
        if (first && !has0)
            add(c, 0, "variant", c->mods[i].path, c->mods[i].line,
                xprintf("asset '%s' has no variant 0 (it has %s): `glia.insert(sec, \"%s\")` "
                        "must then name a variant, and fails as ambiguous once there are two; "
                        "name the default one %s__0.mod",
                        a.asset, variants, a.asset, a.asset),
                NULL);
        mechname_free(&a);
    }
}

static int check_static(struct check *c)
{
    char **paths;
    size_t n;
    pkg_list_mods(c->p.mods, &paths, &n);
    if (n == 0) {
        add(c, 1, "package", c->p.moddir, 0,
            xprintf("no mods: the entry point's module has %s",
                    access(c->p.mods, F_OK) == 0 ? "an empty mods/ folder" : "no mods/ folder"),
            NULL);
        free(paths);
        return -1;
    }
    c->mods = xcalloc(n, sizeof(*c->mods));
    for (size_t i = 0; i < n; i++) {
        c->mods[c->nmods].path = paths[i];
        read_mod(c, &c->mods[c->nmods++]);
    }
    free(paths);
    check_duplicates(c);
    check_defaults(c);
    return 0;
}

/* ---- 3: gliad builds it ---- */

/* Is the project the personal collection? gliad serves that in every env
 * already: lent a second time, each of its mechanisms would be a duplicate. */
static int is_collection(struct ctl *ctl, const struct check *c)
{
    char *dir = ctl_collection_dir(ctl);
    char real[PATH_MAX];
    int same = realpath(dir, real) && strcmp(real, c->p.root) == 0;
    free(dir);
    return same;
}

/* The project as pip -e would install it, in a site dir of its own (left
 * empty for the collection, which comes into every env by itself). */
static char *fake_site(struct ctl *ctl, const struct check *c)
{
    const char *tmp = getenv("TMPDIR");
    char *site = xprintf("%s/glia-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(site)) {
        fprintf(stderr, "gliactl: cannot make a temporary dir %s: %s\n", site, strerror(errno));
        free(site);
        return NULL;
    }
    if (is_collection(ctl, c))
        return site;
    char *di = xprintf("%s/%s-0.dist-info", site, c->p.name);
    char *module = xstrdup(c->p.module);
    for (char *s = module; *s; s++)
        if (*s == '/')
            *s = '.';
    char *eps = xprintf("[glia.package]\n%s = %s:package\n", c->p.name, module);
    /* direct_url.json's url is a file: URL: percent-encode what is not plain. */
    char *url = xmalloc(3 * strlen(c->p.root) + 1), *u = url;
    for (const unsigned char *s = (const unsigned char *)c->p.root; *s; s++)
        u += sprintf(u, strchr("/-_.~", *s) || (*s < 128 && isalnum(*s)) ? "%c" : "%%%02X", *s);
    char *du = xprintf("{\"url\": \"file://%s\", \"dir_info\": {\"editable\": true}}\n", url);
    char *p1 = xprintf("%s/entry_points.txt", di), *p2 = xprintf("%s/direct_url.json", di);
    int rc = mkdir_p(di, 0700) == 0 && pkg_write_file(p1, eps, strlen(eps)) == 0 &&
                     pkg_write_file(p2, du, strlen(du)) == 0
                 ? 0
                 : -1;
    if (rc < 0) {
        fprintf(stderr, "gliactl: cannot write %s: %s\n", di, strerror(errno));
        remove_tree(site);
        free(site);
        site = NULL;
    }
    free(di), free(module), free(eps), free(url), free(du), free(p1), free(p2);
    return site;
}

static struct mod *mod_at(struct check *c, const char *file)
{
    for (size_t i = 0; i < c->nmods; i++)
        if (strcmp(c->mods[i].path, file) == 0)
            return &c->mods[i];
    return NULL;
}

/* `log {env, name}`; the result stays valid until proto_msg_free. An
 * error reply is not printed: *why gets it. */
static int call_log(struct ctl *ctl, const char *env, const char *name, struct proto_msg *resp,
                    const msgpack_object **r, char **why)
{
    msgpack_packer *pk = ctl_begin(ctl, "log");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "env", env);
    proto_pack_kstr(pk, "name", name);
    return ctl_call_why(ctl, resp, r, why);
}

static int reported(const struct check *c, const char *stage, const char *file)
{
    for (size_t i = 0; i < c->nf; i++)
        if (strcmp(c->f[i].stage, stage) == 0 && strcmp(c->f[i].file, file) == 0)
            return 1;
    return 0;
}

static void take_failures(struct check *c, const msgpack_object *r)
{
    const msgpack_object *fs = obj_get(r, "failures");
    for (uint32_t i = 0; fs && fs->type == MSGPACK_OBJECT_ARRAY && i < fs->via.array.size; i++) {
        const msgpack_object *x = &fs->via.array.ptr[i];
        const msgpack_object *file = obj_get(x, "file"), *summary = obj_get(x, "summary"),
                             *detail = obj_get(x, "detail");
        char *path = file && file->type == MSGPACK_OBJECT_STR
                         ? xstrndup(file->via.str.ptr, file->via.str.size)
                         : xstrdup("?");
        char *sum = summary && summary->type == MSGPACK_OBJECT_STR
                        ? xstrndup(summary->via.str.ptr, summary->via.str.size)
                        : xstrdup("did not compile");
        /* The summary starts "FILE:LINE: tool: words": the words alone here. */
        const char *words = sum;
        if (strncmp(sum, path, strlen(path)) == 0) {
            words = sum + strlen(path);
            words += strspn(words, ":0123456789 ");
        }
        /* gliad leaves out what its parser rejects and duplicates too:
         * each said once already, at the line the parser gave. */
        int said = reported(c, "parse", path) || reported(c, "read", path) ||
                   (strncmp(words, "duplicate:", 10) == 0 && reported(c, "duplicate", path));
        if (!said)
            add(c, 1, "compile", path, (int)obj_int(x, "line"), xstrdup(words),
                detail && detail->type == MSGPACK_OBJECT_STR
                    ? xstrndup(detail->via.str.ptr, detail->via.str.size)
                    : NULL);
        struct mod *m = mod_at(c, path);
        if (m)
            m->built = -1;
        free(path);
        free(sum);
    }
}

/* `library {wait}` on env: c->library, or gliad's reason for having none
 * as a finding (EXIT_FAILED); EXIT_UNREACHABLE after printing why. */
static int wait_library(struct ctl *ctl, struct check *c, const char *env)
{
    msgpack_packer *pk = ctl_begin(ctl, "library");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "env", env);
    proto_pack_kbool(pk, "wait", 1);
    struct proto_msg resp;
    const msgpack_object *r;
    char *why = NULL;
    int rc = ctl_call_why(ctl, &resp, &r, &why);
    if (rc == EXIT_OK) {
        const msgpack_object *path = obj_get(r, "path");
        if (path && path->type == MSGPACK_OBJECT_STR)
            c->library = xstrndup(path->via.str.ptr, path->via.str.size);
        proto_msg_free(&resp);
    } else if (why) {
        add(c, 1, "library", c->p.moddir, 0, why, NULL);
    }
    return rc;
}

static int build_in_gliad(struct ctl *ctl, struct check *c, const char *env, const char *site)
{
    msgpack_packer *pk = ctl_begin(ctl, "env.register");
    if (!pk)
        return EXIT_UNREACHABLE;
    proto_pack_kstr(pk, "name", env);
    proto_pack_key(pk, "site_packages");
    msgpack_pack_array(pk, 1);
    proto_pack_str(pk, site);
    int rc = ctl_call_quiet(ctl);
    if (rc != EXIT_OK)
        return rc;
    rc = wait_library(ctl, c, env);
    /* The log says which mods failed also when no library came of them. */
    struct proto_msg resp;
    const msgpack_object *r;
    char *why = NULL;
    int lrc = rc == EXIT_UNREACHABLE ? rc : call_log(ctl, env, c->p.name, &resp, &r, &why);
    if (lrc == EXIT_OK) {
        take_failures(c, r);
        proto_msg_free(&resp);
    } else if (rc == EXIT_OK) { /* else the same cause, said already */
        rc = lrc;
        if (why)
            add(c, 1, "log", c->p.moddir, 0, why, NULL);
    } else {
        free(why);
    }
    for (size_t i = 0; i < c->nmods; i++)
        if (c->mods[i].full && c->mods[i].built == 0 && c->library) {
            c->mods[i].built = 1;
            c->compiled++;
        }
    return rc;
}

/* An env already gone (forgotten by hand) is what this wants: not an error. */
static void forget_env(struct ctl *ctl, const char *name)
{
    msgpack_packer *pk = ctl_begin(ctl, "env.forget");
    if (!pk)
        return;
    proto_pack_kstr(pk, "name", name);
    struct proto_msg resp;
    const msgpack_object *r;
    char *why = NULL;
    if (ctl_call_why(ctl, &resp, &r, &why) == EXIT_OK)
        proto_msg_free(&resp);
    free(why);
}

/* A check that was killed could not forget its env: the next one does,
 * once the pid its name ends with is gone. */
static void forget_stale(struct ctl *ctl)
{
    struct proto_msg resp;
    const msgpack_object *r;
    if (!ctl_begin(ctl, "envs") || ctl_call(ctl, &resp, &r) != EXIT_OK)
        return;
    char **stale = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY && i < r->via.array.size; i++) {
        const msgpack_object *name = obj_get(&r->via.array.ptr[i], "name");
        if (!name || name->type != MSGPACK_OBJECT_STR)
            continue;
        char *s = xstrndup(name->via.str.ptr, name->via.str.size);
        const char *colon = strrchr(s, ':');
        long pid = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (strncmp(s, CHECK_ENV_PREFIX, strlen(CHECK_ENV_PREFIX)) == 0 && pid > 0 &&
            kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            VEC_PUSH(stale, n, cap, s);
        else
            free(s);
    }
    proto_msg_free(&resp);
    for (size_t i = 0; i < n; i++)
        forget_env(ctl, stale[i]);
    strv_free(stale, n);
}

static int compile_all(struct ctl *ctl, struct check *c)
{
    char *site = fake_site(ctl, c);
    if (!site)
        return EXIT_FAILED;
    char *env = xprintf(CHECK_ENV_PREFIX "%s:%d", c->p.root, (int)getpid());
    int rc = build_in_gliad(ctl, c, env, site);
    if (ctl->connected) {
        forget_env(ctl, env);
        forget_stale(ctl);
    }
    remove_tree(site);
    free(site);
    free(env);
    return rc;
}

/* ---- 4: NEURON ---- */

static void run_all(struct check *c)
{
    for (size_t i = 0; i < c->nmods; i++) {
        struct mod *m = &c->mods[i];
        if (m->built != 1)
            continue;
        char *why = NULL;
        if (pkg_neuron_try(c->library, m->libname, m->kind, &why) == 0) {
            m->ran = 1;
            c->ran++;
        } else {
            add(c, 1, "neuron", m->path, m->line, why, NULL);
        }
    }
}

/* ---- Report ---- */

static size_t count(const struct check *c, int error)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nf; i++)
        n += c->f[i].error == error;
    return n;
}

static void print_text(const struct check *c)
{
    for (size_t i = 0; i < c->nf; i++) {
        const struct finding *f = &c->f[i];
        printf("%s: %s", f->error ? "error" : "warning", shown_path(c, f->file));
        if (f->line > 0)
            printf(":%d", f->line);
        printf(": %s\n", f->message);
        for (const char *l = f->detail; l && *l;) {
            size_t n = strcspn(l, "\n");
            if (n)
                printf("    | %.*s\n", (int)n, l);
            l += n + (l[n] == '\n');
        }
    }
    printf("%s: %zu mods, %zu compiled, %zu ran in NEURON; %zu errors, %zu warnings\n", c->p.name,
           c->nmods, c->compiled, c->ran, count(c, 1), count(c, 0));
}

static void print_json(const struct check *c)
{
    json_t *problems = json_array();
    for (size_t i = 0; i < c->nf; i++) {
        const struct finding *f = &c->f[i];
        json_array_append_new(problems, json_pack("{s:s, s:o, s:o, s:i, s:o, s:o}", "severity",
                                                  f->error ? "error" : "warning", "stage",
                                                  json_cstr(f->stage), "file", json_cstr(f->file),
                                                  "line", f->line, "message", json_cstr(f->message),
                                                  "detail", json_cstr(f->detail)));
    }
    json_emit(stdout,
              json_pack("{s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "package",
                        json_cstr(c->p.name), "root", json_cstr(c->p.root), "ok", count(c, 1) == 0,
                        "mods", (json_int_t)c->nmods, "compiled", (json_int_t)c->compiled, "ran",
                        (json_int_t)c->ran, "errors", (json_int_t)count(c, 1), "warnings",
                        (json_int_t)count(c, 0), "problems", problems));
}

static void check_free(struct check *c)
{
    for (size_t i = 0; i < c->nmods; i++) {
        free(c->mods[i].path);
        free(c->mods[i].full);
        free(c->mods[i].libname);
    }
    for (size_t i = 0; i < c->nf; i++) {
        free(c->f[i].stage);
        free(c->f[i].file);
        free(c->f[i].message);
        free(c->f[i].detail);
    }
    free(c->mods);
    free(c->f);
    free(c->library);
    pkg_free(&c->p);
}

static int exec(struct ctl *ctl, int argc, char **argv)
{
    int i = ctl_getopt(ctl, &cmd_pkg_check, argc, argv, NULL, NULL);
    if (i < 0)
        return -i - 1;
    if (argc - i > 1)
        return ctl_usage(&cmd_pkg_check, "expected at most one DIR");
    struct check c = {0};
    char err[1024];
    if (pkg_find(argc - i == 1 ? argv[i] : ".", &c.p, err, sizeof(err)) < 0) {
        fprintf(stderr, "gliactl: %s\n", err);
        return EXIT_FAILED;
    }
    int rc = EXIT_OK;
    int parsed = 0;
    if (check_static(&c) == 0)
        for (size_t k = 0; k < c.nmods; k++)
            parsed |= c.mods[k].full != NULL;
    if (parsed)
        rc = compile_all(ctl, &c);
    if (rc == EXIT_UNREACHABLE)
        add(&c, 1, "compile", c.p.root, 0,
            xstrdup("nothing compiled nor run in NEURON: gliad did not answer (see above)"), NULL);
    if (rc == EXIT_OK && c.library)
        run_all(&c);
    if (ctl->json)
        print_json(&c);
    else
        print_text(&c);
    if (rc == EXIT_OK && count(&c, 1))
        rc = EXIT_FAILED;
    check_free(&c);
    return rc;
}

const struct ctl_cmd cmd_pkg_check = {
    .name = "pkg check",
    .synopsis = "[DIR] [--json]",
    .summary = "check a package before publishing: names, compiling, running in NEURON",
    .help = "Checks the package whose project holds DIR (default: the current dir): its\n"
            "entry point names a module with mods/; every mod parses, is named\n"
            "glia__<package>__ASSET__VARIANT in ASSET__VARIANT.mod, and no two define one\n"
            "mechanism; every asset has a variant 0 (else a warning). Then gliad compiles\n"
            "them (its cache is reused: the project is lent to it as a temporary\n"
            "environment) and each one is inserted or instantiated in a fresh NEURON process\n"
            "(python3 on PATH), initialized and run a few steps. Problems are reported at\n"
            "file:line with the compiler's or NEURON's words. Exit 0 only when there are no\n"
            "errors (warnings allowed); 3 when gliad is unreachable.\n",
    .exec = exec,
};
