"""Helpers for the tests of how gliad runs under systemd and how it is
installed: a NOTIFY_SOCKET the test listens on, a gliad started through
systemd-socket-activate, a client run as another user, and `meson install`
into a temporary DESTDIR.

None of it needs a running systemd manager: this runs in containers where
PID 1 is not systemd.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import glia_testlib as lib

ACTIVATOR = shutil.which("systemd-socket-activate", path=lib.SYSTEM_PATH)
ANALYZE = shutil.which("systemd-analyze", path=lib.SYSTEM_PATH)
SETPRIV = shutil.which("setpriv", path=lib.SYSTEM_PATH)

NOBODY_UID = 65534


# ---- sd_notify -------------------------------------------------------------------

class NotifySocket:
    """The datagram socket systemd listens on for sd_notify messages.
    path: a file path, or a name starting with '@' for an abstract socket
    (sent as NOTIFY_SOCKET exactly as given)."""

    def __init__(self, path):
        self.name = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:] if self.name.startswith("@") else self.name)
        self.messages = []  # every datagram received, in order, as text

    def close(self):
        self.sock.close()

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        self.messages.append(data.decode())
        return self.messages[-1]

    def lines(self):
        """Every KEY=VALUE line received so far."""
        return [l for m in self.messages for l in m.split("\n") if l]

    def wait_for(self, pred, timeout=lib.TIMEOUT, what="an sd_notify message"):
        """The first datagram (already received or arriving within timeout)
        one of whose lines satisfies pred."""
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages[seen:]:
                if any(pred(l) for l in m.split("\n")):
                    return m
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout} s; got {self.messages!r}")
            self._recv(left)

    def wait_line(self, line, timeout=lib.TIMEOUT):
        return self.wait_for(lambda l: l == line, timeout, repr(line))

    def drain(self, wait):
        """Everything that arrives within `wait` seconds."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            self._recv(left)
        return self.messages


# ---- socket activation --------------------------------------------------------------

class ActivatedGliad(lib.Gliad):
    """A gliad behind systemd-socket-activate, as systemd's socket unit would
    start it: the activator binds the socket and execs gliad (same pid) on
    the first connection, with LISTEN_FDS=1 and the listening socket as fd 3.

    The activator passes on only the variables named with -E (and TERM,
    PATH, USER, HOME), so every one of the test environment's is named."""

    def __init__(self, args, env, socket_path, log_path, extra_env=None, state_dir=None):
        super().__init__(args, env, socket_path, log_path, state_dir=state_dir)
        self.extra_env = {k: str(v) for k, v in (extra_env or {}).items()}

    def spawn(self):
        argv = [ACTIVATOR, "--listen", self.socket, "--fdname=gliad.socket"]
        for k in self.env:
            argv += ["-E", k]
        for k, v in self.extra_env.items():
            argv += ["-E", f"{k}={v}"]
        argv += [str(lib.gliad_binary()), *self.args]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.returncode = None
        self.reaped = False
        return self

    def exe(self):
        """What the process runs now: the activator until the first
        connection, then gliad."""
        return Path(os.readlink(f"/proc/{self.pid}/exe"))


def write_config(base, envs=None):
    """base/gliad.ini for a gliad living in base: (config, socket path).
    envs {name: [site dirs]}, by default one empty site dir, so that
    nothing outside the test is scanned."""
    base = Path(base)
    if envs is None:
        (base / "empty-site").mkdir(exist_ok=True)
        envs = {"default": [base / "empty-site"]}
    sock = base / "run/gliad.sock"
    config = lib.write_config(base / "gliad.ini", socket_path=sock, state_dir=base / "state",
                              cache_dir=base / "cache", envs=envs,
                              daemon_extra={"jobs": 2, "debounce_ms": 50})
    return config, sock


def activated_gliad(factory, envs=None, extra_env=None, base=None):
    """A gliad behind systemd-socket-activate, registered with the `gliad`
    fixture factory (which stops and checks it at the end). Nothing is
    started but the activator: the first connection starts gliad."""
    base = Path(base) if base else factory.base()
    config, sock = write_config(base, envs)
    sock.parent.mkdir(mode=0o700)
    d = ActivatedGliad(["--config", config], lib.daemon_env(base / "home"), sock,
                       base / "gliad.log", extra_env=extra_env, state_dir=base / "state")
    d.base, d.config = base, config
    factory.daemons.append(d)
    d.spawn()
    lib.wait_for(lambda: os.path.exists(sock) or d.proc.poll() is not None,
                 what="systemd-socket-activate to listen")
    assert d.proc.poll() is None, f"systemd-socket-activate exited:\n{d.stderr()}"
    return d


def hello(sock):
    """gliad's answer to hello on sock, or None if nothing answers."""
    try:
        with lib.Rpc(sock, timeout=1) as c:
            err, res = c.call("hello")
    except (OSError, lib.Closed):
        return None
    return res if err is None else None


# ---- another user ----------------------------------------------------------------------

# Run as nobody by /usr/bin/python3: connects, says hello, and reports what
# came back as one JSON line.
_NOBODY_CLIENT = r"""
import json, socket, sys
sys.path.insert(0, sys.argv[3])
from glia import _rpc
out = {}
try:
    c = _rpc.Connection(sys.argv[1], timeout=float(sys.argv[2]), check=False)
except OSError as e:
    out["connect_error"] = e.errno
else:
    msgs = []
    try:
        c.send_raw(_rpc.packb([0, 1, "hello", []]))
        while True:
            c.receive()
            msgs.extend(c.unpacker)
    except socket.timeout:
        out["closed"] = False
    except OSError as e:  # gliad hung up (ConnectionError), or refused the write
        out["closed"] = True
        if e.errno is not None:
            out["error"] = e.errno
    out["reply"] = [repr(m) for m in msgs]
print(json.dumps(out))
"""


def as_nobody(argv, **kw):
    """Runs argv as uid/gid nobody:nogroup with no supplementary groups."""
    return subprocess.run([SETPRIV, f"--reuid={NOBODY_UID}", "--regid=nogroup",
                           "--clear-groups", *map(str, argv)],
                          capture_output=True, text=True, timeout=lib.TIMEOUT + 5, **kw)


def hello_as_nobody(sock, wait=3.0):
    """What user nobody gets saying hello on sock: {"connect_error": errno}
    or {"closed": whether gliad hung up, "reply": messages it sent}."""
    r = as_nobody(["/usr/bin/python3", "-c", _NOBODY_CLIENT, sock, wait, lib.REPO / "client/python"],
                  env={"PATH": lib.SYSTEM_PATH, "HOME": "/nonexistent"}, cwd="/")
    assert r.returncode == 0, f"the client run as nobody failed:\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout)


# ---- meson install ---------------------------------------------------------------------

def build_dir():
    """The meson build dir the tested binaries come from."""
    d = Path(os.environ.get("GLIA_BUILD_DIR") or lib.gliad_binary().resolve().parents[1])
    return d if (d / "meson-private").is_dir() else lib.REPO / "build"


def build_options(build):
    r = lib.run_checked(["meson", "introspect", "--buildoptions", build])
    return {o["name"]: o["value"] for o in json.loads(r.stdout)}


class Install:
    """What `meson install --destdir` put where. prefix and the dirs are the
    real (configured) paths; at() maps one into the DESTDIR."""

    def __init__(self, destdir, build):
        self.destdir = Path(destdir)
        self.build = build
        opts = build_options(build)
        self.opts = opts
        self.prefix = Path(opts["prefix"])
        self.bindir = self.prefix / opts["bindir"]
        self.libexecdir = self.prefix / opts["libexecdir"]
        self.datadir = self.prefix / opts["datadir"]
        self.mandir = self.prefix / opts["mandir"]
        self.unitdir = Path(opts.get("systemd_user_unit_dir") or
                            self.prefix / "lib/systemd/user")

    def at(self, path):
        return self.destdir / Path(path).relative_to("/")

    def files(self):
        """Every installed path, relative to the DESTDIR, as '/usr/...'."""
        return sorted("/" + str(p.relative_to(self.destdir))
                      for p in self.destdir.rglob("*") if not p.is_dir())


def meson_install(destdir):
    """Installs the build into destdir without rebuilding (the tests run on
    the binaries as built; a rebuild could race another build)."""
    build = build_dir()
    lib.run_checked(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                     "--destdir", destdir])
    return Install(destdir, build)


# ---- systemd-analyze -------------------------------------------------------------------

def analyze_verify(units, runtime_dir, *, man_path=None):
    """systemd-analyze verify --user on unit files: (exit code, output).
    The user manager's %t is XDG_RUNTIME_DIR; without one, verify --user
    cannot even start ("Failed to lookup RuntimeDirectory path")."""
    env = {"PATH": lib.SYSTEM_PATH, "XDG_RUNTIME_DIR": str(runtime_dir), "LANG": "C.UTF-8",
           "SYSTEMD_LOG_LEVEL": "notice", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"}
    if man_path:
        env["MANPATH"] = str(man_path)
    r = subprocess.run([ANALYZE, "verify", "--user",
                        "--man=yes" if man_path else "--man=no", *map(str, units)],
                       env=env, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr
