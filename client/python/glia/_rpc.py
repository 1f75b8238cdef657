"""A msgpack-RPC connection to gliad (proto/PROTOCOL.md), and starting gliad
when nobody answers, the way watchman's client starts its server."""

import os
import stat
import sys
import time

# _socket, not socket: the C module is all a Unix socket needs, and the
# Python wrapper's import costs milliseconds every script pays.
import _socket

from .exceptions import GliaError, LibraryError, UntrustedError


try:
    # The wire codec in C, where glia was built with it (meson): the msgpack
    # package's import alone costs a script about 2.5 ms.
    from ._speedups import Unpacker as _Unpacker, packb, unpackb
except ImportError:  # pure Python: the msgpack package, which encodes the same
    import msgpack

    def packb(obj):
        return msgpack.packb(obj, use_bin_type=True, unicode_errors="surrogateescape")

    def unpackb(data):
        return msgpack.unpackb(data, raw=False, unicode_errors="surrogateescape")

    def _Unpacker():
        return msgpack.Unpacker(
            raw=False, unicode_errors="surrogateescape", max_buffer_size=64 << 20
        )


def default_socket():
    path = os.environ.get("GLIA_SOCKET")
    if path:
        return path
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run:
        return os.path.join(run, "glia", "gliad.sock")
    return "/tmp/glia-%d/gliad.sock" % os.getuid()


class DaemonError(GliaError):
    """An error answer: .code is gliad's stable code, .data the whole map."""

    def __init__(self, data):
        super().__init__(data.get("message", "gliad refused the request"))
        self.code = data.get("code")
        self.data = data


# Trust. Without XDG_RUNTIME_DIR the socket is /tmp/glia-<uid>/gliad.sock,
# and any user can create that directory first and serve a gliad of their
# own there, whose reply names the library this process then loads. So
# nothing is sent until the socket's directory is this user's and writable
# by no one else (the early refusal, naming what to remove) and the process
# listening runs as this user (SO_PEERCRED: the proof, which no swap of the
# socket after the first check gets around); and a library is loaded only
# from where no one but this user and root could have put it. As gliactl
# does (proto/trust.c).


def _socket_dir(path):
    """The real directory holding what path reaches (the socket's, else the
    one named, before gliad made the socket), or None if neither exists."""
    real = os.path.realpath(path)
    if os.path.exists(real):
        return os.path.dirname(real)
    d = os.path.realpath(os.path.dirname(path) or ".")
    return d if os.path.isdir(d) else None


def _check_socket_dir(path):
    d = _socket_dir(path)
    if d is None:
        return  # nothing there: connecting says so
    st = os.stat(d)
    me = os.geteuid()
    if st.st_uid != me:
        raise UntrustedError(
            f"refusing {path}: its directory {d} is owned by uid {st.st_uid}, not by you "
            f"(uid {me}), so another user may be answering there; remove {d} (its owner "
            "or root can), or set GLIA_SOCKET to a socket in a directory of your own"
        )
    if st.st_mode & 0o022:
        raise UntrustedError(
            f"refusing {path}: its directory {d} is writable by others (mode "
            f"{st.st_mode & 0o777:03o}), so anyone could put a socket of their own there; "
            f"run `chmod go-w {d}`, or set GLIA_SOCKET to a socket in a directory of your own"
        )


def _check_peer(sock, path):
    cred = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # struct ucred
    pid, uid = (int.from_bytes(cred[i : i + 4], sys.byteorder) for i in (0, 4))
    if uid != os.geteuid():
        raise UntrustedError(
            f"refusing {path}: the process serving it (pid {pid}) runs as uid {uid}, not as "
            f"you (uid {os.geteuid()}), so it is not your gliad; set GLIA_SOCKET to your "
            "own gliad's socket, or have that process stopped"
        )


def trusted_library(path):
    """The real path of the library gliad named, once nobody but this user
    and root can have written it or can swap it before NEURON loads it: the
    file and its directory belong to one of them and are writable by no one
    else, and so is every directory above, unless it is sticky like /tmp (where
    only an entry's owner can rename it). Raises UntrustedError, or
    LibraryError when it cannot be looked at."""
    real = os.path.realpath(path)
    me = os.geteuid()
    chain = [real, os.path.dirname(real)]
    while chain[-1] != "/":
        chain.append(os.path.dirname(chain[-1]))
    for i, p in enumerate(chain):
        try:
            st = os.stat(p)
        except OSError as e:
            raise LibraryError(f"cannot look at the mechanism library {path}: {e}") from None
        if st.st_uid not in (me, 0):
            problem = f"is owned by uid {st.st_uid}, not by you (uid {me}) or root"
        elif st.st_mode & 0o022 and not (i > 1 and st.st_mode & stat.S_ISVTX):
            problem = f"is writable by others (mode {st.st_mode & 0o777:03o})"
        else:
            continue
        what = ("the file", f"its directory {p}")[i] if i < 2 else f"the directory {p} above it"
        raise UntrustedError(
            f"refusing to load the mechanism library {path}: {what} {problem}, so another "
            "user could have put their code there; keep gliad's cache_dir (`gliactl "
            "status` shows it) where only you can write"
        )
    return real


def _connect(sock, path, timeout):
    """connect(2) that waits out a full listen queue: with a timeout set,
    a Unix socket whose queue is full (a burst of clients, an MPI job's
    ranks starting at once) refuses with EAGAIN at once instead of waiting
    as a blocking connect does. Retried until the timeout, as a blocking
    connect would wait."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            sock.connect(path)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(f"gliad's socket {path} accepts no connection "
                                   f"(its queue stayed full for {timeout:g} s)") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


class Connection:
    """One msgpack-RPC connection to gliad. The module, the integration
    tests and the benchmarks all talk through this one client. check=False
    skips the trust checks: a test's own gliad, or one the test pretends
    to be someone else's."""

    def __init__(self, path, timeout=None, check=True):
        self.path = path
        if check:
            _check_socket_dir(path)
        self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            _connect(self.sock, path, timeout)
            if check:
                _check_peer(self.sock, path)
        except BaseException:
            self.sock.close()
            raise
        # Replies can be long (a log, many failures): up to 64 MiB, as the C
        # client takes. Paths are the file system's bytes, not always UTF-8:
        # they decode the way os.fsdecode does, and go back unchanged.
        self.unpacker = _Unpacker()
        self.next_id = 0
        self.closed = False

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, msg):
        try:
            self.send_raw(packb(msg))
        except (BrokenPipeError, ConnectionResetError):
            # gliad hung up mid-request; if it refused the request, it said
            # why before it did.
            why = self._last_words()
            if why is not None:
                raise DaemonError(why) from None
            raise

    def request(self, method, params=None, msgid=None):
        """Sends a request (params None: no params at all) without waiting
        for its answer; returns its msgid."""
        if msgid is None:
            self.next_id = msgid = (self.next_id + 1) & 0xFFFFFFFF
        self.send([0, msgid, method, [params] if params is not None else []])
        return msgid

    def _last_words(self):
        """The params of the error notification gliad sent before closing,
        or None."""
        self.sock.settimeout(1.0)
        try:
            while True:
                msg = self.read()
                if msg[0] == 2 and msg[1] == "error":
                    self.close()
                    return msg[2][0] if msg[2] else {}
        except (OSError, ConnectionError, ValueError):
            return None

    def receive(self):
        """Reads what arrives next (within the socket's timeout) into the
        decoder; raises ConnectionError when gliad hung up."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            raise ConnectionError("gliad closed the connection")
        self.unpacker.feed(data)

    def read(self):
        """The next message; raises ConnectionError when gliad hung up."""
        while True:
            for msg in self.unpacker:
                return msg
            self.receive()

    def call(self, method, params=None, on_note=None):
        msgid = self.request(method, params)
        while True:
            msg = self.read()
            if msg[0] == 1 and msg[1] == msgid:
                if msg[2] is not None:
                    raise DaemonError(msg[2])
                return msg[3]
            if msg[0] == 2 and msg[1] == "error":
                # gliad could not follow this stream: it says why, once,
                # and hangs up.
                self.close()
                raise DaemonError(msg[2][0] if msg[2] else {})
            if msg[0] == 2 and on_note is not None:
                on_note(msg[1], msg[2][0] if msg[2] else {})


def _gliad_program():
    exe = os.environ.get("GLIAD")
    if exe:
        return exe
    import shutil

    exe = shutil.which("gliad")
    if exe:
        return exe
    # Next to a gliactl or python on PATH (a meson install puts them together).
    for d in (os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin"):
        cand = os.path.join(d, "gliad")
        if os.access(cand, os.X_OK):
            return cand
    return None


def _log_path():
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    path = os.path.join(base, "glia")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return os.path.join(path, "gliad.log")


# How a user starts gliad by hand. Before installing, gliad is not on PATH:
# tools/run builds and runs it from a source tree.
_HOW_TO_START = (
    "`systemctl --user start gliad.socket`, or run `gliad &` (from a source tree: tools/run)"
)


def start_daemon(path):
    """Starts gliad detached (its own session, output to its log) and waits
    for its socket. Returns a Connection or raises GliaError."""
    import subprocess

    exe = _gliad_program()
    if exe is None:
        raise GliaError(
            "gliad is not running and is not installed on PATH; install glia "
            f"(meson install) or start it: {_HOW_TO_START}"
        )
    how = f"start it yourself: {_HOW_TO_START}"
    try:
        log = _log_path()
        env = dict(os.environ, GLIA_SOCKET=path)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [exe],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                close_fds=True,
                env=env,
            )
    except OSError as e:
        raise GliaError(f"gliad is not running and could not be started ({exe}: {e}); {how}") from None
    deadline = time.monotonic() + 15
    last = None
    while time.monotonic() < deadline:
        try:
            return Connection(path)
        except OSError as e:
            last = e
        if proc.poll() is not None:  # it gave up (its log says why); so do we
            # Unless another client's gliad won the race for the socket.
            try:
                return Connection(path)
            except OSError:
                raise GliaError(
                    f"started {exe} but it exited with {proc.returncode}; see {log}, or {how}"
                ) from None
        time.sleep(0.02)
    raise GliaError(f"started {exe} but it did not answer on {path} ({last}); see {log}, or {how}")


def connect(path=None, autostart=True):
    """A connection to gliad, or to what serves in its place: a bundle, or
    under MPI the answer the node's asking rank shared (_bundle.py)."""
    from . import _bundle

    local = _bundle.source()
    if local is not None:
        return _bundle.LocalConnection(local)
    return connect_daemon(path, autostart)


def connect_daemon(path=None, autostart=True):
    path = path or default_socket()
    try:
        return Connection(path)
    except OSError as e:
        if not autostart or os.environ.get("GLIA_NO_AUTOSTART") == "1":
            raise GliaError(
                f"gliad is not running (cannot connect to {path}: {e.strerror or e}). "
                f"Start it with {_HOW_TO_START}"
            ) from None
    with _autostart_lock(path):
        try:  # another process of this node started it while we waited
            return Connection(path)
        except OSError:
            pass
        return start_daemon(path)


class _autostart_lock:
    """Held while starting gliad: the processes of one node that find no
    gliad at once (the ranks of an MPI job) start one, not one each. The
    lock file is beside the socket, in a directory only this user writes."""

    def __init__(self, path):
        self.path = os.path.join(os.path.dirname(os.path.abspath(path)), "autostart.lock")
        self.fd = None

    def __enter__(self):
        import fcntl

        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            if self.fd is not None:
                os.close(self.fd)
            self.fd = None  # no lock to be had: start unguarded, as before
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
        return False
