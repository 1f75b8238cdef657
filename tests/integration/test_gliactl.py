"""gliactl as a client: what it prints of the replies it gets, and how it
copes with a daemon that misbehaves.

Most tests talk to a fake gliad (FakeGliad below: a thread on a temp Unix
socket answering with crafted msgpack), so that they can send what a real
gliad would only send for hostile packages or when it breaks: invalid
UTF-8, NaN, non-string map keys, control characters, half a reply, a
closing error. The rest run a real gliad.
"""

import json
import math
import os
import pty
import select
import shutil
import socket
import subprocess
import threading
import time

import msgpack
import pytest

import glia_testlib as lib


# ---- a fake gliad -------------------------------------------------------------------

def packb(obj):
    # use_bin_type=False: bytes go out as msgpack str, so a test can send a
    # str that is not valid UTF-8.
    return msgpack.packb(obj, use_bin_type=False)


class Conn:
    """One client connection, as the fake's handler sees it."""

    def __init__(self, sock, fake):
        self.sock = sock
        self.fake = fake
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self.pending = []

    def request(self):
        """The next request: (msgid, method, params); EOFError at EOF."""
        while not self.pending:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError
            self.unpacker.feed(data)
            self.pending.extend(self.unpacker)
        kind, msgid, method, params = self.pending.pop(0)
        assert kind == 0
        params = params[0] if params else {}
        self.fake.requests.append((method, params))
        return msgid, method, params

    def send(self, obj):
        self.sock.sendall(packb(obj))

    def reply(self, msgid, result=None, error=None):
        self.send([1, msgid, error, result])

    def notify(self, method, params):
        self.send([2, method, [params]])

    def answer(self, results):
        """Answers every request with results[method] (a value, or a function
        of (conn, msgid, params) that answers by itself) until EOF."""
        while True:
            try:
                msgid, method, params = self.request()
            except EOFError:
                return
            r = results.get(method, {})
            if callable(r):
                r(self, msgid, params)
            else:
                self.reply(msgid, r)


class FakeGliad:
    """Listens on a temp socket; handler(conn) serves each connection."""

    def __init__(self, handler):
        self.dir = lib.short_tmpdir()
        self.path = self.dir / "fake.sock"
        self.handler = handler
        self.requests = []
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                try:
                    self.handler(Conn(conn, self))
                except (OSError, EOFError):
                    pass

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def fake():
    """fake(handler or {method: result}) -> a running FakeGliad."""
    started = []

    def start(handler):
        if isinstance(handler, dict):
            results = handler
            handler = lambda conn: conn.answer(results)  # noqa: E731
        f = FakeGliad(handler)
        started.append(f)
        return f
    yield start
    for f in started:
        f.close()


def ctl(f, *args, timeout=lib.TIMEOUT):
    return lib.gliactl("--socket", f.path, *args, timeout=timeout)


def ctl_bytes(f, *args):
    """gliactl's (rc, stdout, stderr) as bytes: its output may be anything."""
    r = subprocess.run([str(lib.gliactl_binary()), "--socket", str(f.path), *args],
                       capture_output=True, timeout=lib.TIMEOUT)
    return r.returncode, r.stdout, r.stderr


def ctl_on_pty(f, *args, ttys=("stdout", "stderr")):
    """Runs gliactl with the streams named in ttys on one terminal (a pty)
    and the others on pipes: (rc, what the terminal showed, {stream: bytes})."""
    master, slave = pty.openpty()
    streams = {s: slave if s in ttys else subprocess.PIPE for s in ("stdout", "stderr")}
    p = subprocess.Popen([str(lib.gliactl_binary()), "--socket", str(f.path), *args],
                         stdin=subprocess.DEVNULL, **streams)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + lib.TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: gliactl exited, the terminal is gone
            break
        if not data:
            break
        shown += data
    os.close(master)
    out, err = p.communicate(timeout=lib.TIMEOUT)
    return p.returncode, shown, {"stdout": out, "stderr": err}


# ---- 1. log prints a failure's whole detail ---------------------------------------------

def test_log_prints_a_long_detail_whole(fake):
    """gliad sends up to about 16 KiB of compiler output per failure;
    gliactl once cut it to 4 KiB."""
    lines = [f"Bad.mod:{i}: error: line {i} of the compiler's output" for i in range(400)]
    detail = "\n".join(lines)
    assert len(detail) > 16000
    f = fake({"log": {"env": "default", "error": None, "failures": [{
        "full": "glia__p__Bad__0", "pkg": "p", "asset": "Bad", "variant": "0",
        "file": "/x/Bad.mod", "line": 1, "summary": "Bad.mod:1: error", "detail": detail}]}})
    r = ctl(f, "log")
    assert r.rc == 0, r
    assert [l[len("    | "):] for l in r.out.splitlines() if l.startswith("    | ")] == lines


# ---- 2. --json prints valid JSON whatever the reply holds --------------------------

# Bytes that are not UTF-8: stray continuation, truncated sequences, overlong
# forms, a surrogate, past U+10FFFF, 0xff; and valid multibyte text around them.
NOT_UTF8 = (b"ok \xe2\x80\x98q\xe2\x80\x99 \x80 \xc3 \xe2\x82 \xf0\x9f\x98 \xc0\xaf "
            b"\xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xff end \xf0\x9f\x98\x80")


def test_json_replaces_bytes_that_are_not_utf8(fake):
    f = fake({"status": {"version": NOT_UTF8, NOT_UTF8: 1}})
    rc, out, _err = ctl_bytes(f, "--json", "status")
    assert rc == 0
    text = out.decode("utf-8")  # strict: fails on any invalid byte
    expect = NOT_UTF8.decode("utf-8", "replace")  # one U+FFFD per maximal bad subpart
    assert json.loads(text) == {"version": expect, expect: 1}


def test_json_nan_and_infinities_are_null(fake):
    f = fake({"status": {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "x": 1.5}})
    r = ctl(f, "--json", "status")
    assert r.rc == 0, r
    assert json.loads(r.out) == {"nan": None, "inf": None, "-inf": None, "x": 1.5}


def test_json_map_keys_that_are_not_strings(fake):
    """A key is rendered as JSON, then that text is the key string."""
    f = fake({"prefs": {7: "a", -2: "b", None: "c", True: "d", ("x\"y", 3): "e", 0.5: "f"}})
    r = ctl(f, "--json", "prefs")
    assert r.rc == 0, r
    assert json.loads(r.out) == {"7": "a", "-2": "b", "null": "c", "true": "d",
                                 '["x\\"y", 3]': "e", "0.5": "f"}


# ---- 3. control characters never reach the terminal raw ------------------------------

EVIL = "\x1b]0;pwned\x07\x1b[2J"


def candidate(**extra):
    return {"full": "glia__p__Na__0", "pkg": "p", "variant": "0", "kind": "density",
            "file": "/x/Na.mod", "renamed": False, "ranges": ["gbar"], "globals": [],
            "ions": [], "params": [], **extra}


def test_show_does_not_print_control_characters(fake):
    f = fake({"asset": {"asset": "Na", "candidates": [candidate(title="Na " + EVIL + " chan")],
                        "resolved": {"code": "ok", "full": "glia__p__Na__0", "why": "only one"}}})
    r = ctl(f, "show", "Na")
    assert r.rc == 0, r
    assert "\x1b" not in r.out and "\x07" not in r.out, repr(r.out)
    assert "  title: Na ?]0;pwned??[2J chan\n" in r.out


def test_a_newline_in_a_cell_keeps_the_table_whole(fake):
    f = fake({"packages": {"packages": [{
        "name": "evil\npkg", "version": "1\r\x7f", "layout": "glia4", "mods": 1,
        "problems": 0, "editable": False, "root": "/x\x1b[2J"}], "problems": []}})
    r = ctl(f, "packages")
    assert r.rc == 0, r
    rows = r.out.splitlines()
    assert len(rows) == 2, r.out
    assert rows[1].split() == ["evil?pkg", "1??", "1", "glia4", "0", "/x?[2J"]


def test_log_detail_keeps_its_lines_but_not_control_characters(fake):
    f = fake({"log": {"env": "default", "error": "linker \x1b[31msaid\nno", "failures": [{
        "full": "glia__p__Bad__0\x1b[H", "pkg": "p", "summary": "Bad.mod:1:\x07 oops",
        "detail": "first \x1b[2J\nsecond\tline\r\n\nthird"}]}})
    r = ctl(f, "log")
    assert r.rc == 0, r
    assert r.out == ("the last build failed: linker ?[31msaid?no\n"
                     "glia__p__Bad__0?[H (package p)\n"
                     "  Bad.mod:1:? oops\n"
                     "    | first ?[2J\n"
                     "    | second?line?\n"
                     "    | third\n")


def test_error_messages_do_not_print_control_characters(fake):
    f = fake({"resolve": lambda c, msgid, p: c.reply(
        msgid, error={"code": "unknown_asset", "message": "no '" + EVIL + "'"})})
    r = ctl(f, "resolve", "Na")
    assert r.rc == 1 and r.err == "gliactl: no '?]0;pwned??[2J' (unknown_asset)\n", r


# ---- 4. a reply that stops halfway ----------------------------------------------------

def test_a_reply_stalled_halfway_times_out_but_a_long_wait_does_not(fake):
    """A reply cut off in the middle fails after 30 s without progress (exit
    3); a request that waits longer than that before any byte of its answer
    (sync, library --wait) is still answered. Both run at once."""
    released = threading.Event()

    def half(conn):
        msgid, _m, _p = conn.request()
        data = packb([1, msgid, None, {"env": "default", "index_version": 1, "scans": 1}])
        conn.sock.sendall(data[:len(data) // 2])
        released.wait(60)

    def late(conn):
        msgid, _m, _p = conn.request()
        time.sleep(32)
        conn.reply(msgid, {"env": "default", "index_version": 7, "scans": 9})

    stalled, slow = fake(half), fake(late)
    argv = [str(lib.gliactl_binary()), "--socket"]
    t0 = time.monotonic()
    procs = [subprocess.Popen(argv + [str(f.path), "sync"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in (stalled, slow)]
    try:
        (out1, err1), (out2, err2) = (p.communicate(timeout=50) for p in procs)
    finally:
        released.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert procs[0].returncode == 3 and out1 == "", (out1, err1)
    assert "gliad stopped in the middle of a reply" in err1, err1
    assert procs[1].returncode == 0 and out2 == "default: in sync (index version 7)\n", err2
    assert time.monotonic() - t0 < 45


# ---- 5. gliad's closing error --------------------------------------------------------

TOO_LARGE = {"code": "too_large", "message": "a message to gliad is at most 1 MiB"}


def say_why_and_hang_up(conn):
    conn.sock.recv(1)  # a header is enough for gliad to refuse
    conn.notify("error", TOO_LARGE)


def test_the_closing_error_is_reported(fake):
    f = fake(say_why_and_hang_up)
    r = ctl(f, "resolve", "Na")
    assert (r.rc, r.out) == (1, ""), r
    assert r.err == "gliactl: a message to gliad is at most 1 MiB (too_large)\n", r
    r = ctl(f, "--json", "resolve", "Na")
    assert r.rc == 1 and json.loads(r.out) == {"error": TOO_LARGE}, r


def test_the_closing_error_is_reported_when_sending_failed(fake):
    """gliad hangs up on a large request it has not read: the send fails,
    and what gliad said before is still the answer."""
    f = fake(say_why_and_hang_up)
    big = "x" * 120_000  # four of them: more than the socket buffers hold
    r = ctl(f, "--env", big, "resolve", big, "--pkg", big, "--variant", big)
    assert r.rc == 1 and "(too_large)" in r.err, r


# ---- 6. library's exit code does not depend on the output format --------------------

NO_LIBRARY = {"env": "default", "status": "none", "path": None, "generation": 0}
A_LIBRARY = {"env": "default", "status": "ready", "path": "/x/libglia.so", "generation": 3}


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_library_exit_code(fake, json_flag):
    r = ctl(fake({"library": NO_LIBRARY}), *json_flag, "library")
    assert r.rc == 1, r
    r = ctl(fake({"library": A_LIBRARY}), *json_flag, "library")
    assert r.rc == 0, r
    assert (json.loads(r.out) == A_LIBRARY) if json_flag else (r.out == "/x/libglia.so\n")


# ---- 7. the Python Glia's spellings, as `glia` ----------------------------------------

@pytest.fixture
def glia_exe(tmp_path):
    link = tmp_path / "glia"
    link.symlink_to(lib.gliactl_binary().resolve())
    return link


def glia(exe, f, *args):
    r = subprocess.run([str(exe), "--socket", str(f.path), *args], capture_output=True,
                       text=True, timeout=lib.TIMEOUT)
    return lib.CtlResult(r.returncode, r.stdout, r.stderr)


SELECTED = {"asset": "Na", "pkg": "x", "variant": "t", "matches": 1}


@pytest.mark.parametrize("spelling", [["-p", "x", "-v", "t"], ["-px", "-vt"],
                                      ["--package", "x", "--variant", "t"],
                                      ["--package=x", "-v", "t"]])
def test_glia_select_spellings(fake, glia_exe, spelling):
    f = fake({"select": SELECTED})
    r = glia(glia_exe, f, "select", "Na", *spelling)
    assert r.rc == 0, r
    assert f.requests[-1] == ("select", {"sync": True, "asset": "Na", "pkg": "x",
                                         "variant": "t"})
    r = ctl(f, "select", "Na", *spelling)  # gliactl takes them too
    assert r.rc == 0, r


# ---- 8. build --wait's progress ------------------------------------------------------

def build_daemon(progress, env="default"):
    """Answers subscribe, build (for env) and library, sending the given
    build.* notifications before the library reply."""
    def library(conn, msgid, params):
        for method, p in progress:
            conn.notify(method, p)
        conn.reply(msgid, {"env": env, "status": "ready", "path": "/x/libglia.so",
                           "generation": 1, "last_build": {
                               "build": 1, "ok": True, "unchanged": True, "total": 0,
                               "compiled": 0, "cached": 0, "failed": 0, "ms": 1.0,
                               "error": None}})
    return {"subscribe": {"topics": 1},
            "build": {"env": env, "started": True, "status": "building"},
            "library": library}


def note(method, env, done, total):
    return (method, {"env": env, "build": 1, "done": done, "total": total})


def test_progress_of_an_empty_build_ends_its_line(fake):
    f = fake(build_daemon([note("build.started", "default", 0, 0),
                           note("build.finished", "default", 0, 0)]))
    rc, shown, _ = ctl_on_pty(f, "build", "--wait")
    assert rc == 0, shown
    assert b"\r[default] building: 0/0 mods\r\n" in shown, shown


def test_progress_follows_whether_stderr_is_a_terminal(fake):
    f = fake(build_daemon([note("build.started", "default", 0, 2),
                           note("build.progress", "default", 1, 2),
                           note("build.finished", "default", 2, 2)]))
    # stdout on a terminal, stderr to a file: plain lines (a line per tenth)
    rc, shown, pipes = ctl_on_pty(f, "build", "--wait", ttys=("stdout",))
    assert rc == 0
    assert pipes["stderr"] == b"[default] building: 1/2 mods\n[default] building: 2/2 mods\n"
    # stderr on a terminal, stdout to a file: one line redrawn
    rc, shown, pipes = ctl_on_pty(f, "build", "--wait", ttys=("stderr",))
    assert rc == 0 and pipes["stdout"].endswith(b"/x/libglia.so\n")
    assert shown == (b"\r[default] building: 0/2 mods\r[default] building: 1/2 mods"
                     b"\r[default] building: 2/2 mods\r\n"), shown


@pytest.mark.parametrize("env_args,env", [([], "default"), (["--env", "mine"], "mine")])
def test_progress_of_other_envs_is_not_shown(fake, env_args, env):
    """The env followed is the one gliad named in its answer to `build`."""
    f = fake(build_daemon([note("build.started", "other", 0, 9),
                           note("build.started", env, 0, 1),
                           note("build.progress", "other", 5, 9),
                           note("build.finished", env, 1, 1)], env=env))
    r = ctl(f, *env_args, "build", "--wait")
    assert r.rc == 0, r
    assert r.err == f"[{env}] building: 1/1 mods\n", r


# ---- 9. build --json ---------------------------------------------------------------

def test_build_json_prints_the_reply(gliad):
    d = gliad()
    r = d.ctl("--json", "build")
    assert r.rc == 0, r
    j = json.loads(r.out)
    assert j["env"] == "default" and j["started"] in (True, False), j
    r = d.ctl("build")
    assert r.rc == 0 and r.out == "build started (gliactl build --wait follows it)\n", r


# ---- 10. usage errors name the option --------------------------------------------------

@pytest.mark.parametrize("args,said", [
    (["resolve", "-xh", "Na"], "resolve: unknown option '-x'"),
    (["resolve", "--json", "-xh", "Na"], "resolve: unknown option '-x'"),
    (["list", "-ax"], "list: unknown option '-x'"),
    (["resolve", "Na", "--bogus"], "resolve: unknown option '--bogus'"),
    (["resolve", "Na", "--json=1"], "resolve: option '--json=1' takes no value"),
    (["resolve", "Na", "--pkg"], "resolve: option '--pkg' needs a value"),
    (["resolve", "Na", "-p"], "resolve: option '-p' needs a value"),
])
def test_usage_errors_name_the_option(tmp_path, args, said):
    r = lib.gliactl("--socket", tmp_path / "none.sock", *args)
    assert r.rc == 2 and r.out == "", r
    assert r.err.startswith(f"gliactl {said}\n"), r


# ---- where to go from here ------------------------------------------------------

def test_no_daemon_says_how_to_start_it_from_a_source_tree(tmp_path):
    """Before installing, gliad is not on PATH: the advice names tools/run."""
    r = lib.gliactl("--socket", tmp_path / "nothing.sock", "status")
    assert r.rc == 3, r
    assert "Start it with `systemctl --user start gliad.socket`, or run `gliad &` " \
        "(from a source tree: tools/run).\n" in r.err, r


@pytest.mark.parametrize("exe", ["gliactl", "gliad"])
def test_help_gives_both_default_sockets(exe):
    binary = lib.gliactl_binary() if exe == "gliactl" else lib.gliad_binary()
    out = lib.run_checked([binary, "--help"]).stdout
    flat = " ".join(out.split())
    assert "$XDG_RUNTIME_DIR/glia/gliad.sock, or /tmp/glia-$UID/gliad.sock when " \
        "XDG_RUNTIME_DIR is unset" in flat, out


def test_gliad_help_points_to_a_man_page_that_exists_before_install():
    out = lib.run_checked([lib.gliad_binary(), "--help"]).stdout
    assert "man gliad (or man -l docs/man/gliad.1 in a source tree)" in " ".join(out.split())


@pytest.mark.parametrize("page", ["gliad.1", "gliactl.1"])
def test_man_pages_give_both_default_sockets(page):
    text = (lib.REPO / "docs/man" / page).read_text()
    assert "/tmp/glia\\-$UID/gliad.sock" in text and "XDG_RUNTIME_DIR" in text, page
