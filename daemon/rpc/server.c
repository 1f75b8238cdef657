/*
 * server: see server.h.
 */
#include "server.h"
#include "build.h"
#include "gliad_defs.h"
#include "log.h"
#include "os.h"
#include "proto.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Output a client may leave unread before gliad stops reading its requests
 * (each would only queue more); past the hard limit, or without progress
 * for QUEUED_GRACE_MS, it is dropped. A reply can be large, so the soft
 * limit may be overshot by one, or by the answers of calls parked earlier. */
#define MAX_QUEUED (8u << 20)
#define MAX_QUEUED_HARD (64u << 20)
#define QUEUED_GRACE_MS 5000
/* Descriptors kept for gliad's own work (scans, the database, compilers'
 * pipes) beyond those clients hold: past the limit less these, a new client
 * is told gliad is busy and hung up on. */
#define FD_RESERVE_BASE 96
#define FD_RESERVE_PER_JOB 8
/* How long a stopping gliad waits for clients to read the replies already
 * written: one that does not read must not keep it from stopping. */
#define CLOSE_GRACE_MS 2000

struct conn {
    uv_pipe_t pipe;
    struct server *srv;
    struct conn *prev, *next;
    struct proto_reader reader;
    msgpack_sbuffer out;
    msgpack_packer pk;
    int refs;           /* the connection itself, one per call in flight, one per write */
    int calls;          /* calls in flight */
    unsigned flags;     /* CONN_*: each is set once and never cleared but THROTTLED */
    double progress_ms; /* while throttled: when a write last completed */
    uv_shutdown_t shutdown;
    unsigned subs;
    int pid, uid;
    uint64_t id;
};

/*
 * A connection's life, in c->flags (as libuv's handles keep theirs):
 *   open -> EOF (the peer sent all it will; it may still read)
 *        -> SHUTTING (its last answers are written, then it is hung up on)
 *        -> CLOSED (out of the list; the socket is closing) -> HANDLE_CLOSED
 * (LISTED once it joined the server's list; one refused at once never does)
 * and THROTTLED on and off while open. The struct is freed by the last
 * conn_unref once HANDLE_CLOSED: refs counts the list's hold, each call in
 * flight and each write.
 */
#define CONN_CLOSED 1u        /* out of the list; the socket is closing or closed */
#define CONN_HANDLE_CLOSED 2u /* libuv is done with the pipe: the struct may go */
#define CONN_EOF 4u           /* the peer sent all it will (it may still read) */
#define CONN_SHUTTING 8u      /* waiting for queued writes before hanging up */
#define CONN_THROTTLED 16u    /* past MAX_QUEUED: its requests are not read meanwhile */
#define CONN_LISTED 32u       /* was in the server's list (a refused one never is) */

struct server {
    struct gliad *g;
    server_dispatch_fn dispatch;
    uv_pipe_t listener;
    int listening;
    char *path;
    int own_socket; /* we created the file, so we remove it */
    struct conn *conns;
    size_t nconns;
    uint64_t next_id;
    uv_timer_t grace; /* while stopping: closes whoever is still there */
    int grace_on;
    uv_timer_t sweep; /* drops clients that stay throttled too long */
    size_t nthrottled;
    size_t max_conns; /* what the open files limit leaves for clients */
    int refusing;     /* logged that clients are refused; reset once under */
};

struct write_req {
    uv_write_t req;
    char *data; /* released from the sbuffer; freed when written */
};

static void conn_close(struct conn *c, const char *why);
static void conn_finish(struct conn *c);

/* ---- Connections ------------------------------------------------------ */

msgpack_packer *conn_packer(struct conn *c)
{
    return &c->pk;
}

int conn_closed(const struct conn *c)
{
    return (c->flags & CONN_CLOSED) != 0;
}

unsigned conn_subscriptions(const struct conn *c)
{
    return c->subs;
}

void conn_subscribe(struct conn *c, unsigned topics)
{
    c->subs |= topics;
}

int conn_peer_pid(const struct conn *c)
{
    return c->pid;
}

void conn_ref(struct conn *c)
{
    c->refs++;
}

int conn_call_begin(struct conn *c)
{
    if (c->calls >= CONN_MAX_CALLS)
        return -1;
    c->calls++;
    c->refs++;
    return 0;
}

void conn_call_end(struct conn *c)
{
    c->calls--;
    if (c->flags & CONN_EOF)
        conn_finish(c); /* its last answer is out: hang up */
    conn_unref(c);
}

/* The struct outlives its socket while calls or writes still refer to it. */
static void conn_free_if_done(struct conn *c)
{
    if (c->refs > 0 || !(c->flags & CONN_HANDLE_CLOSED))
        return;
    assert(c->refs == 0 && c->calls == 0);
    assert(!(c->flags & CONN_LISTED) || (c->flags & CONN_CLOSED));
    assert(!(c->flags & CONN_THROTTLED));
    proto_reader_free(&c->reader);
    msgpack_sbuffer_destroy(&c->out);
    free(c);
}

static void on_pipe_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    c->flags |= CONN_HANDLE_CLOSED;
    conn_free_if_done(c);
}

void conn_unref(struct conn *c)
{
    assert(c->refs > 0);
    if (--c->refs == 0)
        conn_free_if_done(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf);

static void sweep_cb(uv_timer_t *t);

/* Past MAX_QUEUED: stop reading its requests until it reads its replies. */
static void conn_throttle(struct conn *c)
{
    struct server *s = c->srv;
    if (c->flags & (CONN_THROTTLED | CONN_CLOSED))
        return;
    c->flags |= CONN_THROTTLED;
    c->progress_ms = now_ms();
    if (!(c->flags & (CONN_EOF | CONN_SHUTTING)))
        uv_read_stop((uv_stream_t *)&c->pipe);
    if (s->nthrottled++ == 0)
        uv_timer_start(&s->sweep, sweep_cb, QUEUED_GRACE_MS / 4, QUEUED_GRACE_MS / 4);
}

/* Reading resumes when `resume` (not for a connection about to close). */
static void conn_unthrottle(struct conn *c, int resume)
{
    struct server *s = c->srv;
    if (!(c->flags & CONN_THROTTLED))
        return;
    c->flags &= ~CONN_THROTTLED;
    if (--s->nthrottled == 0)
        uv_timer_stop(&s->sweep);
    if (resume && !(c->flags & CONN_CLOSED) && !(c->flags & (CONN_EOF | CONN_SHUTTING)))
        uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

static void sweep_cb(uv_timer_t *t)
{
    struct server *s = t->data;
    double now = now_ms();
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        if (!(c->flags & CONN_THROTTLED) || now - c->progress_ms < QUEUED_GRACE_MS)
            continue;
        log_warn("client %llu (pid %d): %zu bytes of replies unread for %d s; dropping it",
                 (unsigned long long)c->id, c->pid, c->pipe.write_queue_size,
                 QUEUED_GRACE_MS / 1000);
        conn_close(c, NULL);
    }
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *c = req->handle->data;
    free(w->data);
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        conn_close(c, uv_strerror(status));
    else if ((c->flags & CONN_THROTTLED) && c->pipe.write_queue_size < MAX_QUEUED / 2)
        conn_unthrottle(c, 1);
    else if (c->flags & CONN_THROTTLED)
        c->progress_ms = now_ms();
    conn_unref(c);
}

void conn_flush(struct conn *c)
{
    if (c->out.size == 0)
        return;
    if (c->flags & (CONN_CLOSED | CONN_SHUTTING)) { /* hung up: nothing more goes out */
        msgpack_sbuffer_clear(&c->out);
        return;
    }
    uv_buf_t buf = uv_buf_init(c->out.data, (unsigned)c->out.size);
    int n = uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
    if (n == (int)c->out.size) {
        msgpack_sbuffer_clear(&c->out);
        return;
    }
    if (n < 0 && n != UV_EAGAIN) {
        msgpack_sbuffer_clear(&c->out);
        conn_close(c, uv_strerror(n));
        return;
    }
    /* The rest goes out when the peer reads; hand the buffer over as is. */
    size_t done = n > 0 ? (size_t)n : 0;
    size_t queued = c->pipe.write_queue_size + c->out.size - done;
    if (queued > MAX_QUEUED_HARD) {
        log_warn("client %llu (pid %d): %zu bytes of replies unread; dropping it",
                 (unsigned long long)c->id, c->pid, queued);
        msgpack_sbuffer_clear(&c->out);
        conn_close(c, NULL);
        return;
    }
    if (queued > MAX_QUEUED)
        conn_throttle(c);
    struct write_req *w = xmalloc(sizeof(*w));
    size_t size = c->out.size;
    w->data = msgpack_sbuffer_release(&c->out);
    buf = uv_buf_init(w->data + done, (unsigned)(size - done));
    conn_ref(c);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, write_cb);
    if (rc < 0) {
        free(w->data);
        free(w);
        conn_unref(c);
        conn_close(c, uv_strerror(rc));
    }
}

/* Hangs up at once: the socket closes now (writes still queued are
 * dropped), whatever calls of the client are still parked; they answer
 * into nothing and the struct goes with the last of them. */
static void conn_close(struct conn *c, const char *why)
{
    if (c->flags & CONN_CLOSED)
        return;
    assert(!(c->flags & CONN_HANDLE_CLOSED));
    conn_unthrottle(c, 0);
    c->flags |= CONN_CLOSED;
    struct server *s = c->srv;
    if (why)
        log_debug("client %llu (pid %d) dropped: %s", (unsigned long long)c->id, c->pid, why);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    if (s->refusing && s->nconns < s->max_conns * 9 / 10) {
        s->refusing = 0;
        log_info("%zu clients now; new ones are accepted again", s->nconns);
    }
    if (!uv_is_closing((uv_handle_t *)&c->pipe))
        uv_close((uv_handle_t *)&c->pipe, on_pipe_closed);
    if (!s->conns && s->grace_on) {
        s->grace_on = 0;
        uv_close((uv_handle_t *)&s->grace, NULL);
    }
    conn_unref(c);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct conn *c = req->handle->data;
    (void)status;
    conn_close(c, NULL);
    conn_unref(c);
}

/* Hangs up once what was written has gone out. */
static void conn_hang_up(struct conn *c)
{
    if (c->flags & (CONN_CLOSED | CONN_SHUTTING))
        return;
    conn_flush(c);
    if (c->flags & CONN_CLOSED)
        return;
    c->flags |= CONN_SHUTTING;
    if (!(c->flags & CONN_THROTTLED))
        uv_read_stop((uv_stream_t *)&c->pipe);
    conn_ref(c);
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, shutdown_cb) < 0) {
        conn_close(c, NULL);
        conn_unref(c);
    }
}

/* A peer that sent all it will (a half-close, as `nc -N` does) is hung up
 * on once its calls are answered. */
static void conn_finish(struct conn *c)
{
    if (c->calls == 0)
        conn_hang_up(c);
}

/* A stream we can no longer follow: say why once, then hang up. */
static void conn_abort(struct conn *c, const char *code, const char *why)
{
    log_warn("client %llu (pid %d): %s; closing its connection", (unsigned long long)c->id, c->pid,
             why);
    proto_pack_error_note(&c->pk, code, why);
    conn_flush(c);
    conn_close(c, NULL);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    char *base;
    size_t len;
    if (proto_reader_space(&c->reader, suggested, &base, &len) < 0) {
        *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
        return;
    }
    *buf = uv_buf_init(base, (unsigned)len);
}

static void handle_message(struct conn *c, const char *data, size_t len)
{
    struct proto_msg m;
    char why[160];
    int has_id;
    if (proto_msg_decode(data, len, &m, why, sizeof(why), &has_id) < 0) {
        if (has_id)
            proto_pack_error(&c->pk, m.msgid, PROTO_E_BAD_REQUEST, why);
        else
            conn_abort(c, PROTO_E_BAD_REQUEST, why);
        proto_msg_free(&m);
        return;
    }
    if (m.type == PROTO_RESPONSE) { /* we never ask clients anything */
        proto_msg_free(&m);
        return;
    }
    c->srv->dispatch(c->srv->g, c, &m);
}

static void read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    (void)buf;
    if (n == UV_EOF) { /* it may still read: answer what it asked */
        c->flags |= CONN_EOF;
        uv_read_stop(stream);
        conn_finish(c);
        return;
    }
    if (n < 0) {
        conn_close(c, uv_strerror((int)n));
        return;
    }
    proto_reader_commit(&c->reader, (size_t)n);
    conn_ref(c); /* a method may close us mid-batch */
    const char *msg, *why;
    size_t len;
    int rc = 0;
    while (!(c->flags & CONN_CLOSED) && (rc = proto_reader_next(&c->reader, &msg, &len, &why)) > 0)
        handle_message(c, msg, len);
    if (!(c->flags & CONN_CLOSED) && rc < 0)
        conn_abort(c, strstr(why, "larger") ? PROTO_E_TOO_LARGE : PROTO_E_BAD_REQUEST, why);
    conn_flush(c);
    conn_unref(c);
}

/* A connection refused before it was listed: nothing refers to it. */
static void discard(struct conn *c)
{
    c->refs = 0;
    uv_close((uv_handle_t *)&c->pipe, on_pipe_closed);
}

static size_t max_clients(int jobs);

/* One client too many for the open files limit: it is told so (one
 * notification, written if the socket takes it at once) and hung up on. */
static void refuse_busy(struct server *s, struct conn *c)
{
    char why[200];
    snprintf(why, sizeof(why),
             "gliad serves at most %zu clients at once (its open files limit leaves no more); "
             "try again later, or raise LimitNOFILE",
             s->max_conns);
    if (!s->refusing)
        log_warn("%zu clients: refusing new ones (pid %d first) so that gliad's own work still "
                 "has files to open; raise the open files limit (LimitNOFILE) for more",
                 s->nconns, c->pid);
    s->refusing = 1;
    proto_pack_error_note(&c->pk, PROTO_E_BUSY, why);
    uv_buf_t buf = uv_buf_init(c->out.data, (unsigned)c->out.size);
    uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
    discard(c);
}

static void accept_cb(uv_stream_t *listener, int status)
{
    struct server *s = listener->data;
    if (status < 0) {
        log_warn("accept: %s", uv_strerror(status));
        return;
    }
    struct conn *c = xcalloc(1, sizeof(*c));
    uv_pipe_init(s->g->loop, &c->pipe, 0);
    c->pipe.data = c;
    c->srv = s;
    c->refs = 1;
    c->id = ++s->next_id;
    proto_reader_init(&c->reader);
    msgpack_sbuffer_init(&c->out);
    msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);
    if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0) {
        discard(c);
        return;
    }
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
        discard(c);
        return;
    }
    c->pid = cred.pid;
    c->uid = (int)cred.uid;
    /* One gliad per user: another user's process gets nothing, not even an
     * error message (it could learn what this user has installed). */
    if (cred.uid != getuid()) {
        log_warn("refused a connection from uid %u (pid %d): gliad serves only uid %u",
                 (unsigned)cred.uid, c->pid, (unsigned)getuid());
        discard(c);
        return;
    }
    /* Read each time: the limit can be changed from outside (prlimit). */
    s->max_conns = max_clients(s->g->cfg.jobs);
    if (s->nconns >= s->max_conns) {
        refuse_busy(s, c);
        return;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->flags |= CONN_LISTED;
    log_debug("client %llu connected (pid %d)", (unsigned long long)c->id, c->pid);
    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

/* ---- Listening -------------------------------------------------------- */

/* Who holds a live socket: the pid behind it, or 0 if it is stale. */
static int socket_owner(const char *path, int *pid)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    *pid = 0;
    if (live) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            *pid = cred.pid;
    }
    close(fd);
    return live;
}

/* The socket's directory is created private. One that exists must be
 * ours and writable by no one else: whoever can write there could put their
 * own socket in our place (and the clients refuse such a directory too). */
static int prepare_dir(const char *path, char *err, size_t errlen)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    struct stat st;
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir_p(dir, 0700) < 0 || stat(dir, &st) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            rc = -1;
        } else if (st.st_uid != getuid()) {
            snprintf(err, errlen, "%s belongs to uid %u, not to this user (uid %u)", dir,
                     (unsigned)st.st_uid, (unsigned)getuid());
            rc = -1;
        } else if (st.st_mode & 022) {
            snprintf(err, errlen,
                     "%s is writable by others (mode %03o), so anyone could put a socket of "
                     "their own there; run `chmod go-w %s`, or choose a socket in a directory "
                     "of your own",
                     dir, (unsigned)(st.st_mode & 0777), dir);
            rc = -1;
        }
    }
    free(dir);
    return rc;
}

static int bind_socket(struct server *s, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", strlen(path),
                 sizeof(sa.sun_path) - 1, path);
        return -1;
    }
    if (prepare_dir(path, err, errlen) < 0)
        return -1;
    int pid;
    int live = socket_owner(path, &pid);
    if (live > 0) {
        snprintf(err, errlen, "another gliad (pid %d) is already serving %s", pid, path);
        return -1;
    }
    /* Only a socket is ours to replace: anything else there is someone's file. */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket; remove it or choose another path",
                 path);
        return -1;
    }
    if (unlink(path) == 0)
        log_info("replaced a stale socket at %s", path);
    /* umask makes the socket 0600 from birth: no window where others could connect. */
    mode_t old = umask(0177);
    int rc = uv_pipe_bind(&s->listener, path);
    umask(old);
    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(rc));
        return -1;
    }
    s->own_socket = 1;
    return 0;
}

/* Clients the open files limit leaves room for, gliad's own work aside. */
static size_t max_clients(int jobs)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return SIZE_MAX;
    size_t reserve = FD_RESERVE_BASE + FD_RESERVE_PER_JOB * (size_t)(jobs > 0 ? jobs : 1);
    return rl.rlim_cur > reserve * 2 ? (size_t)rl.rlim_cur - reserve : (size_t)rl.rlim_cur / 2;
}

int server_start(struct gliad *g, server_dispatch_fn dispatch, const char *path, int fd, char *err,
                 size_t errlen)
{
    struct server *s = xcalloc(1, sizeof(*s));
    s->g = g;
    s->dispatch = dispatch;
    s->path = xstrdup(path);
    s->max_conns = max_clients(g->cfg.jobs);
    uv_pipe_init(g->loop, &s->listener, 0);
    s->listener.data = s;
    uv_timer_init(g->loop, &s->sweep);
    s->sweep.data = s;
    g->server = s;
    int rc;
    if (fd >= 0) {
        rc = uv_pipe_open(&s->listener, fd);
        if (rc < 0) {
            snprintf(err, errlen, "cannot use the socket passed by systemd (fd %d): %s", fd,
                     uv_strerror(rc));
            return -1;
        }
    } else if (bind_socket(s, path, err, errlen) < 0) {
        return -1;
    }
    rc = uv_listen((uv_stream_t *)&s->listener, SOMAXCONN, accept_cb);
    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(rc));
        return -1;
    }
    s->listening = 1;
    return 0;
}

void server_stop_listening(struct server *s)
{
    if (!s || uv_is_closing((uv_handle_t *)&s->listener))
        return;
    s->listening = 0;
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->sweep, NULL);
    if (s->own_socket)
        unlink(s->path);
    s->own_socket = 0;
}

static void grace_over(uv_timer_t *t)
{
    struct server *s = t->data;
    while (s->conns) /* the last one closes the timer */
        conn_close(s->conns, "it did not read its last replies");
}

void server_close_all(struct server *s)
{
    if (!s)
        return;
    /* Replies already made go out first: each connection hangs up once its
     * writes are done (calls still parked were answered shutting_down), or
     * when the grace period ends. */
    struct conn *next;
    for (struct conn *c = s->conns; c; c = next) {
        next = c->next;
        conn_hang_up(c); /* what is still in flight answers into nothing */
    }
    if (s->conns && !s->grace_on) {
        uv_timer_init(s->g->loop, &s->grace);
        s->grace.data = s;
        s->grace_on = 1;
        uv_timer_start(&s->grace, grace_over, CLOSE_GRACE_MS, 0);
    }
}

void server_free(struct server *s)
{
    if (!s)
        return;
    free(s->path);
    free(s);
}

size_t server_nclients(const struct server *s)
{
    return s ? s->nconns : 0;
}

void server_notify(struct server *s, unsigned topics, void (*fn)(void *ud, struct conn *c),
                   void *ud)
{
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->subs & topics) {
            fn(ud, c);
            conn_flush(c);
        }
}

struct change {
    const char *method, *env;
    int64_t version;
};

static void pack_change(void *ud, struct conn *c)
{
    const struct change *ch = ud;
    proto_pack_notification(&c->pk, ch->method);
    size_t map = proto_map_open(&c->pk);
    proto_pack_kstr(&c->pk, "env", ch->env);
    proto_pack_kint(&c->pk, "version", ch->version);
    proto_map_close(&c->pk, map);
}

void server_notify_change(struct server *s, unsigned topic, const char *method, const char *env,
                          int64_t version)
{
    struct change ch = {method, env, version};
    if (s)
        server_notify(s, topic, pack_change, &ch);
}

static void pack_build_note(void *ud, struct conn *c)
{
    const struct build_note *n = ud;
    msgpack_packer *pk = conn_packer(c);
    proto_pack_notification(pk, n->event);
    size_t map = proto_map_open(pk);
    proto_pack_kstr(pk, "env", n->env);
    proto_pack_kint(pk, "build", (int64_t)n->id);
    proto_pack_kint(pk, "done", (int64_t)n->done);
    proto_pack_kint(pk, "total", (int64_t)n->total);
    if (n->final) {
        proto_pack_kbool(pk, "ok", n->ok);
        proto_pack_kint(pk, "generation", n->generation);
        proto_pack_kint(pk, "compiled", (int64_t)n->compiled);
        proto_pack_kint(pk, "failed", (int64_t)n->failed);
        proto_pack_kstr(pk, "error", n->error);
    }
    proto_map_close(pk, map);
}

void server_notify_build(struct server *s, const struct build_note *n)
{
    if (s)
        server_notify(s, TOPIC_BUILD, pack_build_note, (void *)n);
}
