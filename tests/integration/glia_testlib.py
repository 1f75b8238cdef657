"""Helpers for gliad's integration tests: where the binaries are, real venvs
and pip, fixture Glia packages, a running gliad, a raw msgpack-RPC client and
a gliactl runner.

Nothing here knows about pytest fixtures; conftest.py wires these together.
"""

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The glia module from the source tree: its client talks to gliad for the tests.
sys.path.insert(0, str(REPO / "client/python"))
from glia import _rpc  # noqa: E402
DEMO_MODS = Path("/usr/share/nrn/demo/release")
TEST_DATA = REPO / "tests/data"  # the fixtures of tests/data/README.md

# Everything that waits does so for at most this long; an ASan build is slower.
TIMEOUT = float(os.environ.get("GLIA_TEST_TIMEOUT", "10"))

# Full names of the shared fixtures' mechanisms (conftest's main_site and
# rival_site), one place for every test file.
NA_0 = "glia__glia_test_mods__Na__0"
NA_T = "glia__glia_test_mods__Na__t"
AMPA_0 = "glia__glia_test_mods__AMPA__0"
AMPA_1 = "glia__glia_test_mods__AMPA__1"
DEMO_HHNA = "glia__glia_demo__HHna__0"
DEMO_HHK = "glia__glia_demo__HHk__0"
RIVAL_HHNA = "glia__glia_rival__HHna__0"
RIVAL_NA = "glia__glia_rival__Na__0"

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer", "ThreadSanitizer")

# A PATH on which python3 and nrniv are Debian's, whatever the caller's PATH.
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


def gliad_binary():
    return Path(os.environ.get("GLIAD") or REPO / "build/daemon/gliad")


def gliactl_binary():
    return Path(os.environ.get("GLIACTL") or REPO / "build/client/gliactl")


# The build's part of the glia module: BUILD/client/python/glia holds its C
# speedups (none in a sanitizer build), completing the package of the sources.
BUILT_PYTHON = gliad_binary().parent.parent / "client/python"
SPEEDUPS = sorted((BUILT_PYTHON / "glia").glob("_speedups.*.so"))


def short_tmpdir(prefix="glia-"):
    """A directory with a short path: socket paths must fit in 108 bytes."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def sanitizer_lines(text):
    return [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKERS)]


def assert_no_sanitizer_reports(text, who="gliad"):
    bad = sanitizer_lines(text)
    assert not bad, f"{who} reported sanitizer errors:\n" + "\n".join(bad) + \
        "\n--- full stderr ---\n" + text


# ---- venvs and pip ---------------------------------------------------------

def pip_env():
    env = dict(os.environ)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PIP_NO_CACHE_DIR="1",
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("PIP_INDEX_URL", None)
    return env


def run_checked(argv, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    return r


class Venv:
    """A real venv made by Debian's python3, seeing the system site-packages
    (flit_core for building, NEURON for gliad's built-ins).

    with_pip=False skips ensurepip, the slow part of making a venv (seconds):
    pip then is Debian's own, run as `DIR/bin/python -m pip`, which installs
    into the venv all the same."""

    def __init__(self, path, with_pip=True):
        self.path = Path(path)
        run_checked(["/usr/bin/python3", "-m", "venv", "--system-site-packages",
                     *([] if with_pip else ["--without-pip"]), self.path])
        self.python = self.path / "bin/python"
        self.pip_argv = [self.path / "bin/pip"] if with_pip else [self.python, "-m", "pip"]
        out = run_checked([self.python, "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        self.site = Path(out.stdout.strip())

    def install(self, *sources, editable=False):
        """pip-installs fixture package dirs (copies: pip builds in place)."""
        args = [*self.pip_argv, "install", "--no-index", "--no-build-isolation", "--no-deps", "-q"]
        for s in sources:
            args += ["-e", s] if editable else [s]
        run_checked(args, env=pip_env())

    def install_target(self, target, *sources):
        """pip-installs into a plain directory (pip --target): a site dir of its own."""
        run_checked([*self.pip_argv, "install", "--no-index", "--no-build-isolation", "--no-deps",
                     "-q", "--target", target, *sources], env=pip_env())

    def uninstall(self, *names):
        run_checked([*self.pip_argv, "uninstall", "-y", "-q", *names], env=pip_env())


# ---- fixture packages ------------------------------------------------------

def _mask(text, pattern, flags=0):
    """Blanks out every match of pattern, keeping offsets and newlines."""
    return re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=flags)


def _masked_nmodl(text):
    """The mod text with comments, VERBATIM code and TITLE lines blanked,
    so a search for the NEURON block cannot be fooled by them."""
    t = _mask(text, r"^[ \t]*COMMENT\b.*?^[ \t]*ENDCOMMENT\b", re.S | re.M)
    t = _mask(t, r"^[ \t]*VERBATIM\b.*?^[ \t]*ENDVERBATIM\b", re.S | re.M)
    t = _mask(t, r"^[ \t]*TITLE\b[^\n]*", re.M)
    return _mask(t, r"[:?][^\n]*")


KINDS = {"SUFFIX": "density", "POINT_PROCESS": "point", "ARTIFICIAL_CELL": "artificial"}


def mechanism_of(text):
    """(keyword, name, start, end) of the mechanism name in the NEURON block."""
    masked = _masked_nmodl(text)
    m = re.search(r"(?<![A-Za-z0-9_])NEURON\s*\{", masked)
    assert m, "no NEURON block"
    depth, i = 1, m.end()
    while depth:
        assert i < len(masked), "unclosed NEURON block"
        depth += {"{": 1, "}": -1}.get(masked[i], 0)
        i += 1
    block_start, block_end = m.end(), i - 1
    hits = list(re.finditer(r"(?<![A-Za-z0-9_])(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)"
                            r"[ \t]+([A-Za-z_][A-Za-z0-9_]*)",
                            masked[block_start:block_end]))
    assert len(hits) == 1, f"expected one mechanism name in the NEURON block, got {hits}"
    h = hits[0]
    return h.group(1), h.group(2), block_start + h.start(2), block_start + h.end(2)


def rename_mechanism(text, new_name):
    """The mod text with its SUFFIX/POINT_PROCESS/ARTIFICIAL_CELL name replaced."""
    _kw, _old, start, end = mechanism_of(text)
    return text[:start] + new_name + text[end:]


def demo_mods():
    """{mechanism name: (mod text, kind)} of Debian NEURON's demo mods."""
    out = {}
    for f in sorted(DEMO_MODS.glob("*.mod")):
        text = f.read_text(encoding="latin-1")
        kw, name, _s, _e = mechanism_of(text)
        out[name] = (text, KINDS[kw])
    return out


def write_package(root, name, mods, *, module=None, entry=None, glia4=True, version="1.0"):
    """Writes a flit_core project for a Glia package into root/name and
    returns its path. mods maps a path relative to the module dir (e.g.
    "mods/Na__0.mod" or "mod/glia__x__Na__0.mod") to its text (str or bytes).
    glia4: entry point `entry = module:package`; else Glia 0.x `entry = module`.
    """
    module = module or name
    entry = entry or name
    proj = Path(root) / name
    proj.mkdir(parents=True)
    target = f"{module}:package" if glia4 else module
    (proj / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["flit_core >=3.2,<4"]
        build-backend = "flit_core.buildapi"

        [project]
        name = "{name}"
        version = "{version}"
        description = "Glia fixture package {name} for gliad's tests"

        [project.entry-points."glia.package"]
        {entry} = "{target}"
        """))
    moddir = proj / module
    moddir.mkdir()
    (moddir / "__init__.py").write_text(f'"""Glia fixture package {name}."""\n'
                                        f'__version__ = "{version}"\npackage = None\n')
    for rel, text in mods.items():
        path = moddir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="latin-1")
    return proj


def glia0_demo_package(root, pkg):
    """A Glia 0.x package made of all of NEURON's demo mods:
    <pkg>/mod/glia__<pkg>__<Name>__0.mod, each renamed to its file stem.
    Returns (project dir, {asset: (full name, kind)})."""
    mods, expect = {}, {}
    for name, (text, kind) in demo_mods().items():
        full = f"glia__{pkg}__{name}__0"
        mods[f"mod/{full}.mod"] = rename_mechanism(text, full)
        expect[name] = (full, kind)
    return write_package(root, pkg, mods, glia4=False), expect


def copy_test_package(root, name="glia_test_mods"):
    """A copy of the fixture package tests/data/<name> in root (pip builds
    in place). Returns its path."""
    dst = Path(root) / name
    shutil.copytree(TEST_DATA / name, dst)
    return dst


# ---- gliad -------------------------------------------------------------------

def write_config(path, *, socket_path=None, state_dir=None, cache_dir=None, envs=None,
                 daemon_extra=None, sections=None, raw=None):
    """Writes a gliad INI file. envs: {name: [site dir, ...]}; sections:
    more sections ({"neuron": {"cc": ...}, "env:default": {"backend": ...}};
    an [env:NAME] may come twice: gliad merges the keys). Paths that are not
    UTF-8 (str with surrogate escapes) are written as their bytes."""
    if raw is not None:
        Path(path).write_text(raw, errors="surrogateescape")
        return path
    lines = ["[daemon]"]
    for key, val in (("socket", socket_path), ("state_dir", state_dir),
                     ("cache_dir", cache_dir)):
        if val is not None:
            lines.append(f"{key} = {val}")
    for key, val in (daemon_extra or {}).items():
        lines.append(f"{key} = {val}")
    for name, dirs in (envs or {}).items():
        lines += ["", f"[env:{name}]", "site_packages = " + ":".join(map(str, dirs))]
    for name, keys in (sections or {}).items():
        lines += ["", f"[{name}]", *(f"{k} = {v}" for k, v in keys.items())]
    Path(path).write_text("\n".join(lines) + "\n", errors="surrogateescape")
    return path


def daemon_env(home):
    """An environment that keeps gliad and its children away from the real
    home, with Debian's python3 and nrniv first on PATH."""
    home = Path(home)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GLIA_", "XDG_", "LISTEN_"))}
    for d in ("home", "config", "state", "cache", "runtime"):
        (home / d).mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env.update(HOME=str(home / "home"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_RUNTIME_DIR=str(home / "runtime"), PATH=SYSTEM_PATH)
    return env


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, so that
    a killed test run leaves no gliad behind."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Gliad:
    """One gliad process. Its stderr goes to a file (a pipe could fill up)."""

    def __init__(self, args, env, socket_path, log_path, state_dir=None, cwd=None, wrapper=()):
        self.args = [str(a) for a in args]
        self.cwd = cwd
        self.wrapper = [str(a) for a in wrapper]  # execs gliad in the same process
        self.env = env
        self.socket = str(socket_path)
        self.log_path = Path(log_path)
        self.state_dir = state_dir
        self.proc = None
        self.returncode = None
        self.reaped = False  # stopped and checked, or expected to have died

    def spawn(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([*self.wrapper, str(gliad_binary()), *self.args],
                                     env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent, cwd=self.cwd)
        self.returncode = None
        self.reaped = False
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=TIMEOUT, indexed=True):
        """Until the socket accepts and hello answers; fails with the log.
        indexed: and until every environment has an index and no scan runs,
        so that a test starts from a settled daemon."""
        deadline = time.monotonic() + timeout
        last = None
        hello = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.reaped = True
                raise AssertionError(f"gliad exited with {rc} during startup:\n{self.stderr()}")
            try:
                with Rpc(self.socket, timeout=max(0.5, deadline - time.monotonic())) as c:
                    if hello is None:
                        err, res = c.call("hello")
                        if err is None and res.get("server") == "gliad":
                            hello = res
                        last = (err, res)
                    if hello is not None:
                        if not indexed:
                            return hello
                        err, st = c.call("status")
                        last = (err, st)
                        if err is None and all(e["ready"] and not e["scanning"]
                                               for e in st["envs"]):
                            return hello
            except OSError as e:
                last = e
            time.sleep(0.02)
        raise AssertionError(f"gliad was not ready within {timeout} s ({last!r}):\n"
                             f"{self.stderr()}")

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.proc.wait()
            self.reaped = True
            raise AssertionError(f"gliad did not exit within {timeout} s:\n{self.stderr()}")
        self.log.close()
        return self.returncode

    def kill_group(self):
        """SIGKILL to gliad and what it spawned (nrniv, cc): they share its
        process group, which spawn() made new."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def group_alive(self):
        """Live (not zombie) processes in gliad's process group, from /proc."""
        alive = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces and parens
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] != "Z" and int(fields[2]) == self.proc.pid:
                alive.append(int(entry))
        return alive

    def leftover_children(self, grace=2.0):
        """Whether anything gliad spawned still runs after it exited (then
        it is killed)."""
        deadline = time.monotonic() + grace
        while self.group_alive():
            if time.monotonic() > deadline:
                self.kill_group()
                return True
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM):
        """Stops it and checks it went cleanly: exit 0, no sanitizer report,
        no child process left behind."""
        if self.reaped:
            return self.returncode
        self.reaped = True
        if self.proc.poll() is None:
            self.send_signal(sig)
        rc = self.wait()
        log = self.stderr()
        assert rc == 0, f"gliad exited with {rc} after {signal.Signals(sig).name}:\n{log}"
        assert_no_sanitizer_reports(log)
        assert not self.leftover_children(), \
            f"gliad exited but left child processes running:\n{log}"
        return rc

    def kill(self):
        """SIGKILL, as a crash would: no cleanup, no checks. Its children
        (an nrniv probe, compilers) are killed too, not left to the system."""
        self.reaped = True
        self.kill_group()
        self.returncode = self.proc.wait()
        self.log.close()

    def restart(self):
        """Stops (checked) and starts again with the same config and state."""
        self.stop()
        self.spawn()
        self.wait_ready()
        return self

    def connect(self, timeout=TIMEOUT):
        return Rpc(self.socket, timeout=timeout)

    def call(self, method, params=None, **kw):
        """One call on a fresh connection: (error, result)."""
        with self.connect() as c:
            return c.call(method, params, **kw)

    def ok(self, method, params=None):
        err, res = self.call(method, params)
        assert err is None, f"{method} {params} failed: {err}"
        return res

    def ctl(self, *args, **kw):
        return gliactl(*args, socket=self.socket, **kw)


@contextmanager
def scans_held_at_save(d):
    """Holds SQLite's write lock on gliad's database: a scan that starts
    meanwhile reads the disk, then waits to save its index (busy timeout
    5 s) before its result, and the dirs it watches, reach the loop. That
    stretches the gap between a scan reading a dir and the watch on it
    starting; a slow disk does the same."""
    db = sqlite3.connect(f"{d.state_dir}/gliad.db", isolation_level=None, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


# ---- raw msgpack-RPC ---------------------------------------------------------

class Closed(Exception):
    """The daemon closed the connection."""


class Rpc(_rpc.Connection):
    """A raw msgpack-RPC connection: requests, raw bytes, and every message
    the daemon sends (notifications included). The module's own client,
    without its trust checks and its reading of gliad's last words: a test
    looks at what gliad does itself."""

    def __init__(self, path, timeout=TIMEOUT):
        super().__init__(str(path), timeout, check=False)
        self.timeout = timeout
        self.pending = []  # messages read but not asked for yet

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, obj):
        self.send_raw(_rpc.packb(obj))

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            self.receive()
        except ConnectionError:
            raise Closed() from None
        finally:
            self.sock.settimeout(self.timeout)
        self.pending.extend(self.unpacker)

    def read(self, timeout=None):
        """The next message of any kind; Closed at EOF, socket.timeout when none comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no message from gliad")
            self._fill(left)
        return self.pending.pop(0)

    def response(self, msgid, timeout=None):
        """Reads until the response to msgid; other messages are kept."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for i, m in enumerate(self.pending):
                if m[0] == 1 and m[1] == msgid:
                    del self.pending[i]
                    assert len(m) == 4, f"malformed response {m!r}"
                    return m[2], m[3]
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout(f"no response to request {msgid}")
            self._fill(left)

    def call(self, method, params=None, timeout=None):
        """(error, result) of one request."""
        return self.response(self.request(method, params), timeout)

    def read_until_closed(self, timeout=None):
        """Every message until the daemon closes the connection. Fails if it
        stays open."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        msgs = []
        while True:
            msgs += self.pending
            self.pending = []
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"gliad kept the connection open; got {msgs!r}")
            try:
                self._fill(left)
            except Closed:
                return msgs
            except socket.timeout:
                raise AssertionError(f"gliad kept the connection open; got {msgs!r}")

    def assert_open_and_quiet(self, wait=0.2):
        """Nothing arrives and the connection stays open for `wait` seconds."""
        try:
            m = self.read(timeout=wait)
        except socket.timeout:
            return
        except Closed:
            raise AssertionError("gliad closed the connection")
        raise AssertionError(f"unexpected message {m!r}")


# ---- gliactl -----------------------------------------------------------------

class CtlResult:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __iter__(self):
        return iter((self.rc, self.out, self.err))

    def __repr__(self):
        return f"gliactl exit {self.rc}\nstdout:\n{self.out}\nstderr:\n{self.err}"


def gliactl(*args, socket=None, env=None, timeout=TIMEOUT, cwd=None, input=None, argv0=None):
    """Runs gliactl with GLIA_SOCKET set: (rc, stdout, stderr). input: its
    stdin (default: none at all); argv0: the name it is run by (`glia`)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GLIA_", "XDG_RUNTIME"))}
    if socket is not None:
        e["GLIA_SOCKET"] = str(socket)
    e.update(env or {})
    exe = str(gliactl_binary())
    r = subprocess.run([argv0 or exe, *map(str, args)], executable=exe, env=e,
                       capture_output=True, text=True, timeout=timeout, cwd=cwd,
                       input=input if input is not None else "")
    assert_no_sanitizer_reports(r.stderr, "gliactl")
    return CtlResult(r.returncode, r.stdout, r.stderr)


def sighup(d, text):
    """Writes d's config and sends SIGHUP; returns once gliad logged the
    reload (or its refusal) and has indexed every environment again."""
    n = d.stderr().count("SIGHUP")
    d.config.write_text(text)
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.stderr().count("SIGHUP") > n, what="gliad to log the SIGHUP")
    d.wait_ready()
    assert d.proc.poll() is None


def wait_for(pred, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def in_parallel(n, fn):
    """Runs fn(i) in n threads released at once: what each returned, in
    order (an exception as its repr)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait(TIMEOUT)
            results[i] = fn(i)
        except Exception as e:  # reported with the others, by the caller
            results[i] = repr(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    return results


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

