/*
 * store: see store.h.
 *
 * Schema changes bump SCHEMA_VERSION and add a step to migrate(); the
 * version lives in PRAGMA user_version, so an older gliad refuses a newer
 * database instead of misreading it.
 */
#include "store.h"
#include "log.h"
#include "os.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION 3

struct store {
    sqlite3 *db;
    char *path;
    int fresh;     /* the database held nothing when opened (see store_fresh) */
    int remote;    /* on a network filesystem: a rollback journal, not WAL */
    char msg[640]; /* store_error's words */
    int kept;      /* msg holds a failure's words a ROLLBACK since replaced */
};

/* Every table, each created if missing: a database of an earlier version
 * gets what it lacks (version 1 had only prefs, builtins, packages, mods;
 * version 2 no generation_parts). */
static const char *const schema =
    "CREATE TABLE IF NOT EXISTS prefs(asset TEXT PRIMARY KEY, pkg TEXT, variant TEXT, updated "
    "INTEGER);"
    "CREATE TABLE IF NOT EXISTS builtins(neuron TEXT, name TEXT, kind TEXT, PRIMARY KEY(neuron, "
    "name));"
    "CREATE TABLE IF NOT EXISTS packages(env TEXT, name TEXT, version TEXT, entry TEXT, module "
    "TEXT,"
    "  layout TEXT, site TEXT, dist_info TEXT, root TEXT, editable INTEGER, problems INTEGER);"
    "CREATE INDEX IF NOT EXISTS packages_env ON packages(env);"
    "CREATE TABLE IF NOT EXISTS mods(env TEXT, full TEXT, pkg TEXT, asset TEXT, variant TEXT, kind "
    "TEXT,"
    "  path TEXT, mtime_ns INTEGER, size INTEGER);"
    "CREATE INDEX IF NOT EXISTS mods_env ON mods(env);"
    /* Compile failures by object key: the same input fails the same way. */
    "CREATE TABLE IF NOT EXISTS failures(key TEXT PRIMARY KEY, summary TEXT, detail TEXT, line "
    "INTEGER,"
    "  created INTEGER);"
    /* A generation is committed by its row; the library is in place first. */
    "CREATE TABLE IF NOT EXISTS generations(env TEXT, gen INTEGER, libkey TEXT, path TEXT, "
    "manifest TEXT,"
    "  created INTEGER, mechanisms INTEGER, failed INTEGER, PRIMARY KEY(env, gen));"
    "CREATE TABLE IF NOT EXISTS generation_mods(env TEXT, gen INTEGER, full TEXT, kind TEXT, pkg "
    "TEXT,"
    "  asset TEXT, variant TEXT, path TEXT, objkey TEXT);"
    "CREATE INDEX IF NOT EXISTS generation_mods_gen ON generation_mods(env, gen);"
    "CREATE TABLE IF NOT EXISTS generation_failures(env TEXT, gen INTEGER, full TEXT, pkg TEXT, "
    "asset TEXT,"
    "  variant TEXT, path TEXT, line INTEGER, summary TEXT, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS generation_failures_gen ON generation_failures(env, gen);"
    /* Each mechanism's part (its package's own shared object), when the
     * generation has parts. */
    "CREATE TABLE IF NOT EXISTS generation_parts(env TEXT, gen INTEGER, full TEXT, pkg TEXT,"
    "  path TEXT);"
    "CREATE INDEX IF NOT EXISTS generation_parts_gen ON generation_parts(env, gen);"
    "CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, size INTEGER, last_used INTEGER);"
    /* Generations a client loaded: never deleted while its process lives. */
    "CREATE TABLE IF NOT EXISTS loaded(env TEXT, gen INTEGER, pid INTEGER, at INTEGER,"
    "  PRIMARY KEY(env, gen, pid));"
    /* Environments clients registered (site dirs separated by newlines). */
    "CREATE TABLE IF NOT EXISTS envs(name TEXT PRIMARY KEY, site_packages TEXT, created INTEGER);";

/* What a person can do about an SQLite error, or "". */
static const char *advice(int code)
{
    switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "; the database is damaged: restart gliad, which sets it aside and restores the "
               "preferences from preferences.txt";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return "; the state dir must be writable (or set [daemon] state_dir)";
    case SQLITE_FULL:
        return "; the disk is full: free some space";
    case SQLITE_IOERR:
        return "; the disk failed a read or write (see the kernel's log)";
    }
    return "";
}

const char *store_error(struct store *s)
{
    if (s->kept)
        return s->msg;
    int code = sqlite3_extended_errcode(s->db);
    snprintf(s->msg, sizeof(s->msg), "%s%s", sqlite3_errmsg(s->db), advice(code));
    return s->msg;
}

/* Keeps SQLite's words on the failure in hand for store_error, through
 * the ROLLBACK or finalize that follow it; the next statement forgets them. */
static void keep_error(struct store *s)
{
    if (!s->kept)
        store_error(s);
    s->kept = 1;
}

/* Ends the transaction a function began: COMMIT when rc is 0, else
 * ROLLBACK, keeping the failure's words for store_error (a ROLLBACK
 * replaces SQLite's last message). Returns 0 or -1. */
static int end_tx(struct store *s, int rc)
{
    if (rc == 0)
        return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    keep_error(s);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int store_fresh(const struct store *s)
{
    return s->fresh;
}

const char *store_path(const struct store *s)
{
    return s->path;
}

static int exec(struct store *s, const char *sql)
{
    s->kept = 0;
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int user_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
    int v = user_version(s);
    if (v > SCHEMA_VERSION) {
        snprintf(err, errlen, "%s was written by a newer gliad (schema %d, this one knows %d)",
                 s->path, v, SCHEMA_VERSION);
        return -1;
    }
    if (v == SCHEMA_VERSION)
        return 0;
    char *sql =
        xprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", schema, SCHEMA_VERSION);
    int rc = exec(s, sql);
    free(sql);
    if (rc < 0) {
        /* The cause first: a ROLLBACK replaces SQLite's last message. */
        snprintf(err, errlen, "%s: cannot create the schema: %s", s->path, store_error(s));
        if (!sqlite3_get_autocommit(s->db))
            end_tx(s, -1);
    }
    return rc;
}

/* Why the state dir cannot hold the database, or NULL when it can. */
static const char *not_writable(const char *state_dir)
{
    return access(state_dir, W_OK | X_OK) < 0 ? strerror(errno) : NULL;
}

/* *damaged is set when SQLite says the file is not (or no longer) a sound
 * database, as opposed to one it cannot open at all. */
static struct store *open_db(const char *state_dir, int *damaged, char *err, size_t errlen)
{
    *damaged = 0;
    if (mkdir_p(state_dir, 0700) < 0) {
        snprintf(err, errlen, "cannot create state_dir %s: %s; set [daemon] state_dir", state_dir,
                 strerror(errno));
        return NULL;
    }
    struct store *s = xcalloc(1, sizeof(*s));
    s->path = xprintf("%s/gliad.db", state_dir);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const char *ro;
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
        if ((ro = not_writable(state_dir)))
            snprintf(err, errlen, "state dir %s is not writable: %s; set [daemon] state_dir",
                     state_dir, ro);
        else
            snprintf(err, errlen, "cannot open %s: %s", s->path,
                     s->db ? store_error(s) : "out of memory");
        store_close(s);
        return NULL;
    }
    /* Waits are short: every writer holds the lock for one small transaction. */
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL needs memory shared by every process using the database, which
     * processes of two hosts do not share: on a network filesystem the
     * rollback journal, which needs only the file locks NFS has. */
    s->remote = fs_is_remote(state_dir);
    char *msg = NULL;
    if (sqlite3_exec(s->db,
                     s->remote ? "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;"
                               : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_extended_errcode(s->db) & 0xff;
        *damaged = code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
        if (!*damaged && (ro = not_writable(state_dir)))
            snprintf(err, errlen, "state dir %s is not writable: %s; set [daemon] state_dir",
                     state_dir, ro);
        else
            snprintf(err, errlen, "%s: %s", s->path, msg ? msg : store_error(s));
        sqlite3_free(msg);
        store_close(s);
        return NULL;
    }
    return s;
}

/*
 * PRAGMA quick_check: every page readable and well formed (not the indexes'
 * agreement with their tables, which integrity_check adds at many times the
 * cost). Returns 0, or -1 with err when the database is damaged.
 */
static int check(struct store *s, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    double t0 = now_ms();
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
    const char *first = NULL;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        first = (const char *)sqlite3_column_text(st, 0);
    int ok = rc == SQLITE_ROW && first && strcmp(first, "ok") == 0;
    if (!ok)
        snprintf(err, errlen, "%s", first ? first : sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    log_debug("%s: quick_check in %.1f ms", s->path, now_ms() - t0);
    return ok ? 0 : -1;
}

/* Renames the damaged database (and its WAL and shared memory, which
 * belong to it) to gliad.db.corrupt-<time>[-wal|-shm]. */
static int set_aside(const char *state_dir, char *aside, size_t len)
{
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", localtime(&now));
    snprintf(aside, len, "%s/gliad.db.corrupt-%s", state_dir, stamp);
    static const char *const parts[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char *from = xprintf("%s/gliad.db%s", state_dir, parts[i]);
        char *to = xprintf("%s%s", aside, parts[i]);
        int rc = rename(from, to);
        int e = errno;
        free(from);
        free(to);
        if (rc < 0 && e != ENOENT) {
            errno = e;
            return -1;
        }
    }
    return 0;
}

/* Opens and checks; a damaged database is set aside once, for a new one. */
static struct store *open_checked(const char *state_dir, char *err, size_t errlen)
{
    int damaged;
    char why[512];
    struct store *s = open_db(state_dir, &damaged, why, sizeof(why));
    if (s && check(s, why, sizeof(why)) < 0) {
        store_close(s);
        s = NULL;
        damaged = 1;
    }
    if (s || !damaged) {
        if (!s)
            snprintf(err, errlen, "%s", why);
        return s;
    }
    char aside[PATH_MAX];
    if (set_aside(state_dir, aside, sizeof(aside)) < 0) {
        snprintf(err, errlen,
                 "%s/gliad.db is damaged (%s) and cannot be set aside: %s; move it "
                 "away by hand",
                 state_dir, why, strerror(errno));
        return NULL;
    }
    log_error("%s/gliad.db is damaged (%s): set aside as %s; starting with a new one", state_dir,
              why, aside);
    s = open_db(state_dir, &damaged, err, errlen);
    if (s)
        s->fresh = 1;
    return s;
}

struct store *store_open(const char *state_dir, char *err, size_t errlen)
{
    struct store *s = open_checked(state_dir, err, errlen);
    if (s && s->remote) /* once, not at every worker's open */
        log_warn("state_dir %s is on a network filesystem: its database uses a rollback "
                 "journal (slower writes), not WAL; a local state_dir is better",
                 state_dir);
    if (s && user_version(s) == 0)
        s->fresh = 1; /* new, or emptied (a 0-byte file is an empty database) */
    if (s && migrate(s, err, errlen) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

struct store *store_open_worker(const char *state_dir, char *err, size_t errlen)
{
    int damaged;
    return open_db(state_dir, &damaged, err, errlen);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    /* Fails only with statements left unfinalized, a bug of this file. */
    int rc = s->db ? sqlite3_close(s->db) : SQLITE_OK;
    assert(rc == SQLITE_OK);
    (void)rc;
    free(s->path);
    free(s);
}

/* Prepares sql and binds the NULL-terminated text arguments in order. */
static sqlite3_stmt *prepare(struct store *s, const char *sql, const char *const *args, int n)
{
    sqlite3_stmt *st;
    s->kept = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
    return st;
}

/* Runs a statement that returns no rows. */
static int run(struct store *s, const char *sql, const char *const *args, int n)
{
    sqlite3_stmt *st = prepare(s, sql, args, n);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int store_prefs_load(struct store *s, store_pref_fn fn, void *ud)
{
    sqlite3_stmt *st = prepare(s, "SELECT asset, pkg, variant FROM prefs ORDER BY asset", NULL, 0);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ud, col(st, 0), col(st, 1), col(st, 2));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_pref_set(struct store *s, const char *asset, const char *pkg, const char *variant)
{
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *args[] = {asset, pkg, variant, now};
    return run(s,
               "INSERT INTO prefs(asset, pkg, variant, updated) VALUES(?1, ?2, ?3, ?4) "
               "ON CONFLICT(asset) DO UPDATE SET pkg = ?2, variant = ?3, updated = ?4",
               args, 4);
}

int store_pref_del(struct store *s, const char *asset)
{
    const char *args[] = {asset};
    return run(s, "DELETE FROM prefs WHERE asset = ?1", args, 1);
}

int store_builtins_load(struct store *s, const char *neuron_id, store_builtin_fn fn, void *ud)
{
    const char *args[] = {neuron_id};
    sqlite3_stmt *st =
        prepare(s, "SELECT name, kind FROM builtins WHERE neuron = ?1 ORDER BY rowid", args, 1);
    if (!st)
        return -1;
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fn(ud, col(st, 0), col(st, 1));
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

int store_builtins_save(struct store *s, const char *neuron_id, const char *const *names,
                        const char *const *kinds, size_t n)
{
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    /* One NEURON installation at a time: an upgrade replaces the old list. */
    int rc = run(s, "DELETE FROM builtins", NULL, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *args[] = {neuron_id, names[i], kinds[i]};
        rc = run(s, "INSERT OR REPLACE INTO builtins(neuron, name, kind) VALUES(?1, ?2, ?3)", args,
                 3);
    }
    return end_tx(s, rc);
}

static int save_pkg(sqlite3_stmt *ps, sqlite3_stmt *ms, const char *env, const struct index_pkg *p)
{
    int i = 1;
    sqlite3_reset(ps);
    sqlite3_bind_text(ps, i++, env, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->entry, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->module, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, index_layout_name(p->layout), -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->site, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->dist_info, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps, i++, p->root, -1, SQLITE_STATIC);
    sqlite3_bind_int(ps, i++, p->editable);
    sqlite3_bind_int64(ps, i++, (sqlite3_int64)p->nproblems);
    if (sqlite3_step(ps) != SQLITE_DONE)
        return -1;
    for (size_t k = 0; k < p->nmods; k++) {
        const struct index_mod *m = &p->mods[k];
        i = 1;
        sqlite3_reset(ms);
        sqlite3_bind_text(ms, i++, env, -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, m->full, -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, m->pkgname, -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, m->asset, -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, m->variant, -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, modfile_kind_name(m->info.kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(ms, i++, m->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ms, i++, m->mtime_ns);
        sqlite3_bind_int64(ms, i++, m->size);
        if (sqlite3_step(ms) != SQLITE_DONE)
            return -1;
    }
    return 0;
}

int store_index_save(struct store *s, const char *env, struct index_pkg *const *pkgs, size_t n)
{
    const char *args[] = {env};
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    int rc = run(s, "DELETE FROM packages WHERE env = ?1", args, 1);
    if (rc == 0)
        rc = run(s, "DELETE FROM mods WHERE env = ?1", args, 1);
    sqlite3_stmt *ps = prepare(s,
                               "INSERT INTO packages(env, name, version, entry, module, layout, "
                               "site, dist_info, root, editable, problems) "
                               "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                               NULL, 0);
    sqlite3_stmt *ms = prepare(s,
                               "INSERT INTO mods(env, full, pkg, asset, variant, kind, path, "
                               "mtime_ns, size) VALUES(?,?,?,?,?,?,?,?,?)",
                               NULL, 0);
    if (!ps || !ms)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = save_pkg(ps, ms, env, pkgs[i]);
    if (rc < 0)
        keep_error(s);
    sqlite3_finalize(ps);
    sqlite3_finalize(ms);
    return end_tx(s, rc);
}

int store_index_count(struct store *s, const char *env, int *npkgs, int *nmods)
{
    const char *args[] = {env};
    sqlite3_stmt *st = prepare(s,
                               "SELECT (SELECT count(*) FROM packages WHERE env = ?1),"
                               "       (SELECT count(*) FROM mods WHERE env = ?1)",
                               args, 1);
    if (!st)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0) {
        *npkgs = sqlite3_column_int(st, 0);
        *nmods = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- Compile failures ---- */

int store_failure_get(struct store *s, const char *key, char **summary, char **detail, int *line)
{
    const char *args[] = {key};
    sqlite3_stmt *st =
        prepare(s, "SELECT summary, detail, line FROM failures WHERE key = ?1", args, 1);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found) {
        *summary = xstrdup(col(st, 0));
        *detail = xstrdup(col(st, 1));
        *line = sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    return found ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_failure_put(struct store *s, const char *key, const char *summary, const char *detail,
                      int line)
{
    char l[32], now[32];
    snprintf(l, sizeof(l), "%d", line);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *args[] = {key, summary, detail, l, now};
    return run(s,
               "INSERT OR REPLACE INTO failures(key, summary, detail, line, created) "
               "VALUES(?1, ?2, ?3, ?4, ?5)",
               args, 5);
}

/* ---- Generations ---- */

static int64_t next_generation(struct store *s, const char *env)
{
    const char *args[] = {env};
    sqlite3_stmt *st =
        prepare(s, "SELECT coalesce(max(gen), 0) + 1 FROM generations WHERE env = ?1", args, 1);
    if (!st)
        return -1;
    int64_t gen = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return gen;
}

/* generation_mods, _failures and _parts: (env, gen) then the row's
 * columns, in this order in the INSERT and the SELECT alike. */
#define GEN_MOD_COLS "full, kind, pkg, asset, variant, path, objkey"
#define GEN_FAILURE_COLS "full, pkg, asset, variant, path, line, summary, detail"
#define GEN_PART_COLS "full, pkg, path"

static void bind_str(sqlite3_stmt *st, int *i, const char *v)
{
    sqlite3_bind_text(st, (*i)++, v, -1, SQLITE_STATIC);
}

/* Binds m's columns from ?first on (GEN_MOD_COLS). */
static void bind_gen_mod(sqlite3_stmt *st, int first, const struct store_gen_mod *m)
{
    int i = first;
    bind_str(st, &i, m->full);
    bind_str(st, &i, m->kind);
    bind_str(st, &i, m->pkg);
    bind_str(st, &i, m->asset);
    bind_str(st, &i, m->variant);
    bind_str(st, &i, m->path);
    bind_str(st, &i, m->objkey);
}

static void column_gen_mod(sqlite3_stmt *st, struct store_gen_mod *m)
{
    *m = (struct store_gen_mod){col(st, 0), col(st, 1), col(st, 2), col(st, 3),
                                col(st, 4), col(st, 5), col(st, 6)};
}

static void bind_gen_failure(sqlite3_stmt *st, int first, const struct store_gen_failure *f)
{
    int i = first;
    bind_str(st, &i, f->full);
    bind_str(st, &i, f->pkg);
    bind_str(st, &i, f->asset);
    bind_str(st, &i, f->variant);
    bind_str(st, &i, f->path);
    sqlite3_bind_int(st, i++, f->line);
    bind_str(st, &i, f->summary);
    bind_str(st, &i, f->detail);
}

static void column_gen_failure(sqlite3_stmt *st, struct store_gen_failure *f)
{
    *f = (struct store_gen_failure){col(st, 0), col(st, 1), col(st, 2),
                                    col(st, 3), col(st, 4), sqlite3_column_int(st, 5),
                                    col(st, 6), col(st, 7)};
}

/* Inserts n rows of a generation: (env, gen) and the row bound by bind. */
static int insert_rows(struct store *s, const char *sql, const char *env, int64_t gen,
                       const void *rows, size_t size, size_t n,
                       void (*bind)(sqlite3_stmt *, int, const void *))
{
    sqlite3_stmt *st = prepare(s, sql, NULL, 0);
    if (!st)
        return -1;
    int rc = 0;
    for (size_t r = 0; rc == 0 && r < n; r++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, env, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, gen);
        bind(st, 3, (const char *)rows + r * size);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = -1;
    }
    if (rc < 0)
        keep_error(s);
    sqlite3_finalize(st);
    return rc;
}

static void bind_gen_mod_row(sqlite3_stmt *st, int first, const void *row)
{
    bind_gen_mod(st, first, row);
}

static void bind_gen_failure_row(sqlite3_stmt *st, int first, const void *row)
{
    bind_gen_failure(st, first, row);
}

static void bind_gen_part_row(sqlite3_stmt *st, int first, const void *row)
{
    const struct store_gen_part *pt = row;
    int i = first;
    bind_str(st, &i, pt->full);
    bind_str(st, &i, pt->pkg);
    bind_str(st, &i, pt->path);
}

int64_t store_generation_add(struct store *s, const struct store_generation *g)
{
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    int64_t gen = next_generation(s, g->env);
    int rc = gen > 0 ? 0 : -1;
    if (rc == 0) {
        sqlite3_stmt *st = prepare(s,
                                   "INSERT INTO generations(env, gen, libkey, path, manifest, "
                                   "created, mechanisms, failed) VALUES(?,?,?,?,?,?,?,?)",
                                   NULL, 0);
        rc = st ? 0 : -1;
        if (st) {
            sqlite3_bind_text(st, 1, g->env, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, gen);
            sqlite3_bind_text(st, 3, g->libkey, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, g->path, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, g->manifest, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
            sqlite3_bind_int64(st, 7, (sqlite3_int64)g->nmods);
            sqlite3_bind_int64(st, 8, (sqlite3_int64)g->nfails);
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
            sqlite3_finalize(st);
        }
    }
    if (rc == 0)
        rc = insert_rows(
            s, "INSERT INTO generation_mods(env, gen, " GEN_MOD_COLS ") VALUES(?,?,?,?,?,?,?,?,?)",
            g->env, gen, g->mods, sizeof(*g->mods), g->nmods, bind_gen_mod_row);
    if (rc == 0)
        rc = insert_rows(s,
                         "INSERT INTO generation_failures(env, gen, " GEN_FAILURE_COLS
                         ") VALUES(?,?,?,?,?,?,?,?,?,?)",
                         g->env, gen, g->fails, sizeof(*g->fails), g->nfails, bind_gen_failure_row);
    if (rc == 0)
        rc = insert_rows(
            s, "INSERT INTO generation_parts(env, gen, " GEN_PART_COLS ") VALUES(?,?,?,?,?)",
            g->env, gen, g->parts, sizeof(*g->parts), g->nparts, bind_gen_part_row);
    return end_tx(s, rc) < 0 ? -1 : gen;
}

int store_generation_latest(struct store *s, const char *env, int64_t before, int64_t *gen,
                            char **libkey, char **path)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)(before > 0 ? before : INT64_MAX));
    const char *args[] = {env, b};
    sqlite3_stmt *st = prepare(s,
                               "SELECT gen, libkey, path FROM generations WHERE env = ?1 AND "
                               "gen < CAST(?2 AS INTEGER) ORDER BY gen DESC LIMIT 1",
                               args, 2);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *gen = sqlite3_column_int64(st, 0);
        *libkey = xstrdup(col(st, 1));
        *path = xstrdup(col(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static sqlite3_stmt *prepare_gen(struct store *s, const char *sql, const char *env, int64_t gen)
{
    sqlite3_stmt *st = prepare(s, sql, NULL, 0);
    if (st) {
        sqlite3_bind_text(st, 1, env, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, gen);
    }
    return st;
}

int64_t store_generation_created(struct store *s, const char *env, int64_t gen)
{
    sqlite3_stmt *st =
        prepare_gen(s, "SELECT created FROM generations WHERE env = ?1 AND gen = ?2", env, gen);
    int64_t t = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return t;
}

int store_generation_mods(struct store *s, const char *env, int64_t gen, store_gen_mod_fn fn,
                          void *ud)
{
    sqlite3_stmt *st = prepare_gen(s,
                                   "SELECT " GEN_MOD_COLS " FROM generation_mods "
                                   "WHERE env = ?1 AND gen = ?2 ORDER BY rowid",
                                   env, gen);
    if (!st)
        return -1;
    int rc;
    struct store_gen_mod m;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        column_gen_mod(st, &m);
        fn(ud, &m);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_generation_failures(struct store *s, const char *env, int64_t gen,
                              store_gen_failure_fn fn, void *ud)
{
    sqlite3_stmt *st = prepare_gen(s,
                                   "SELECT " GEN_FAILURE_COLS " FROM generation_failures "
                                   "WHERE env = ?1 AND gen = ?2 ORDER BY rowid",
                                   env, gen);
    if (!st)
        return -1;
    int rc;
    struct store_gen_failure f;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        column_gen_failure(st, &f);
        fn(ud, &f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_generation_parts(struct store *s, const char *env, int64_t gen, store_gen_part_fn fn,
                           void *ud)
{
    sqlite3_stmt *st = prepare_gen(s,
                                   "SELECT " GEN_PART_COLS " FROM generation_parts "
                                   "WHERE env = ?1 AND gen = ?2 ORDER BY rowid",
                                   env, gen);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_gen_part pt = {col(st, 0), col(st, 1), col(st, 2)};
        fn(ud, &pt);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_objects_touch(struct store *s, char *const *keys, const int64_t *sizes, size_t n)
{
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    sqlite3_stmt *st = prepare(s,
                               "INSERT INTO objects(key, size, last_used) VALUES(?1, ?2, ?3) "
                               "ON CONFLICT(key) DO UPDATE SET last_used = ?3, "
                               "size = CASE WHEN ?2 > 0 THEN ?2 ELSE size END",
                               NULL, 0);
    int rc = st ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, sizes[i]);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return end_tx(s, rc);
}

/* ---- Garbage collection ---- */

int store_loaded_add(struct store *s, const char *env, int64_t gen, int pid)
{
    char g[32], p[32], now[32];
    snprintf(g, sizeof(g), "%lld", (long long)gen);
    snprintf(p, sizeof(p), "%d", pid);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *args[] = {env, g, p, now};
    return run(s,
               "INSERT OR REPLACE INTO loaded(env, gen, pid, at) VALUES(?1, CAST(?2 AS INTEGER), "
               "CAST(?3 AS INTEGER), CAST(?4 AS INTEGER))",
               args, 4);
}

int store_loaded_prune(struct store *s, int (*alive)(int pid))
{
    sqlite3_stmt *st = prepare(s, "SELECT DISTINCT pid FROM loaded", NULL, 0);
    if (!st)
        return -1;
    int *dead = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int pid = sqlite3_column_int(st, 0);
        if (!alive(pid))
            VEC_PUSH(dead, n, cap, pid);
    }
    sqlite3_finalize(st);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char p[32];
        snprintf(p, sizeof(p), "%d", dead[i]);
        const char *args[] = {p};
        rc = run(s, "DELETE FROM loaded WHERE pid = CAST(?1 AS INTEGER)", args, 1);
    }
    free(dead);
    return rc;
}

/* Collects column 0 of a query's rows into a NULL-terminated vector. */
/* The first column of every row (malloc'd, NULL-terminated); *ok says
 * whether that is all of them (0 after an error). */
static char **column_ok(struct store *s, const char *sql, const char *const *args, int nargs,
                        int *ok)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = prepare(s, sql, args, nargs);
    int rc = SQLITE_ERROR;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
        VEC_PUSH(v, n, cap, xstrdup(col(st, 0)));
    sqlite3_finalize(st);
    VEC_PUSH(v, n, cap, NULL);
    *ok = rc == SQLITE_DONE;
    return v;
}

static char **column(struct store *s, const char *sql, const char *const *args, int nargs)
{
    int ok;
    return column_ok(s, sql, args, nargs, &ok);
}

/* NULL on error: callers delete what is missing from the list. */
static char **column_or_null(struct store *s, const char *sql)
{
    int ok;
    char **v = column_ok(s, sql, NULL, 0, &ok);
    if (!ok) {
        for (size_t i = 0; v[i]; i++)
            free(v[i]);
        free(v);
        return NULL;
    }
    return v;
}

/* Removes from v (NULL-terminated) the values `sql` (?1 = value) finds. */
static void drop_used(struct store *s, char **v, const char *sql)
{
    size_t w = 0;
    for (size_t i = 0; v[i]; i++) {
        const char *a[] = {v[i]};
        sqlite3_stmt *st = prepare(s, sql, a, 1);
        int used = st && sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (used)
            free(v[i]);
        else
            v[w++] = v[i];
    }
    v[w] = NULL;
}

int store_gc_generations(struct store *s, const char *env, int keep, char ***libkeys,
                         char ***manifests)
{
    char k[32];
    snprintf(k, sizeof(k), "%d", keep);
    const char *args[] = {env, k};
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    /* Doomed: past the newest `keep`, and loaded by nobody alive. */
    int rc = exec(s, "CREATE TEMP TABLE IF NOT EXISTS doomed(gen INTEGER); DELETE FROM doomed;");
    if (rc == 0)
        rc =
            run(s,
                "INSERT INTO doomed SELECT gen FROM generations WHERE env = ?1 AND gen NOT IN "
                "(SELECT gen FROM generations WHERE env = ?1 ORDER BY gen DESC "
                "LIMIT CAST(?2 AS INTEGER)) AND gen NOT IN (SELECT gen FROM loaded WHERE env = ?1)",
                args, 2);
    if (rc == 0) {
        *manifests = column(s,
                            "SELECT manifest FROM generations WHERE env = ?1 AND manifest IS NOT "
                            "NULL AND gen IN (SELECT gen FROM doomed)",
                            args, 1);
        *libkeys = column(s,
                          "SELECT DISTINCT libkey FROM generations WHERE env = ?1 AND gen IN "
                          "(SELECT gen FROM doomed)",
                          args, 1);
        static const char *const drops[] = {
            "DELETE FROM generation_mods WHERE env = ?1 AND gen IN (SELECT gen FROM doomed)",
            "DELETE FROM generation_failures WHERE env = ?1 AND gen IN (SELECT gen FROM doomed)",
            "DELETE FROM generation_parts WHERE env = ?1 AND gen IN (SELECT gen FROM doomed)",
            "DELETE FROM generations WHERE env = ?1 AND gen IN (SELECT gen FROM doomed)"};
        for (size_t i = 0; rc == 0 && i < sizeof(drops) / sizeof(drops[0]); i++)
            rc = run(s, drops[i], args, 1);
    }
    if (rc == 0) {
        /* A library or manifest still named by any generation stays. */
        drop_used(s, *libkeys, "SELECT 1 FROM generations WHERE libkey = ?1");
        drop_used(s, *manifests, "SELECT 1 FROM generations WHERE manifest = ?1");
    }
    return end_tx(s, rc);
}

int store_gc_objects(struct store *s, int64_t max_bytes, char ***keys)
{
    char m[32];
    snprintf(m, sizeof(m), "%lld", (long long)max_bytes);
    const char *args[] = {m};
    /* Newest first; everything past the running total's bound goes. */
    *keys = column(s,
                   "SELECT key FROM (SELECT key, sum(size) OVER (ORDER BY last_used DESC, key) AS "
                   "total FROM objects) WHERE total > CAST(?1 AS INTEGER)",
                   args, 1);
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && (*keys)[i]; i++) {
        const char *a[] = {(*keys)[i]};
        rc = run(s, "DELETE FROM objects WHERE key = ?1", a, 1);
    }
    return end_tx(s, rc);
}

char **store_generation_libkeys(struct store *s)
{
    return column(s, "SELECT DISTINCT libkey FROM generations", NULL, 0);
}

char **store_generation_envs(struct store *s)
{
    return column_or_null(s, "SELECT DISTINCT env FROM generations");
}

char **store_object_keys(struct store *s)
{
    return column_or_null(s, "SELECT key FROM objects");
}

/* ---- Registered environments ---- */

int store_env_put(struct store *s, const char *name, char *const *site, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(site[i]) + 1;
    char *joined = xcalloc(1, len), *p = joined;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", site[i]);
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *args[] = {name, joined, now};
    int rc = run(s,
                 "INSERT INTO envs(name, site_packages, created) VALUES(?1, ?2, ?3) "
                 "ON CONFLICT(name) DO UPDATE SET site_packages = ?2",
                 args, 3);
    free(joined);
    return rc;
}

int store_env_del(struct store *s, const char *name)
{
    const char *args[] = {name};
    return run(s, "DELETE FROM envs WHERE name = ?1", args, 1);
}

int64_t store_env_rename(struct store *s, const char *from, const char *to)
{
    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    /* Numbered after what `to` kept from an earlier life: (env, gen) is a key. */
    int64_t offset = next_generation(s, to) - 1;
    char off[24];
    snprintf(off, sizeof(off), "%lld", (long long)offset);
    const char *args[] = {from, to, off};
    static const char *const tables[] = {"generations", "generation_mods", "generation_failures",
                                         "generation_parts", "loaded"};
    int rc = offset < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
        char *sql = xprintf("UPDATE %s SET env = ?2, gen = gen + ?3 WHERE env = ?1", tables[i]);
        rc = run(s, sql, args, 3);
        free(sql);
    }
    return end_tx(s, rc) < 0 ? -1 : offset;
}

static void column_env(sqlite3_stmt *st, struct store_env *e)
{
    *e = (struct store_env){col(st, 0), col(st, 1)};
}

int store_envs_load(struct store *s, store_env_fn fn, void *ud)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT name, site_packages FROM envs ORDER BY created, name", NULL, 0);
    if (!st)
        return -1;
    int rc;
    struct store_env e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        column_env(st, &e);
        fn(ud, &e);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
