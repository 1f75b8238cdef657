"""The manager's connection to gliad: made on first need, registering this
interpreter's environment, remade once when gliad restarts under it.
Trust (whose socket this is) is _rpc's; this is what a session does with a
connection it trusts."""

import os
import sys
# _thread, not threading: a lock is all a script needs at first, and
# threading.py costs a millisecond at import.
import _thread
import time

from . import _rpc
from .exceptions import (
    CompileError,
    GliaError,
    NoMatchesError,
    PackageError,
    TooManyMatchesError,
    UnknownAssetError,
)

_RECONNECT_FOR = 5.0  # seconds a restarting gliad is given to come back


def _site_dirs():
    """Where this interpreter finds packages, as importlib.metadata does."""
    import site

    dirs = []
    for d in list(sys.path) + list(site.getsitepackages()):
        if d.endswith(("site-packages", "dist-packages")) and os.path.isabs(d):
            # Only dirs that exist: Debian's scheme lists several that never
            # do, and gliad would warn about each. A dir made later (a first
            # `pip install --user`) is on a later script's sys.path, and
            # that script's registration updates the environment.
            if d not in dirs and os.path.isdir(d):
                dirs.append(d)
    return dirs


def register_env(conn):
    """The name gliad knows this interpreter's environment by: GLIA_ENV,
    else what env.register answers for sys.prefix and its site dirs."""
    name = os.environ.get("GLIA_ENV")
    if name:
        return name
    neuron = None
    for d in sys.path:  # where `import neuron` will look, without importing
        if os.path.isfile(os.path.join(d, "neuron", "__init__.py")):
            neuron = os.path.join(d, "neuron")
            break
    r = conn.call(
        "env.register", {"name": sys.prefix, "site_packages": _site_dirs(), "neuron": neuron}
    )
    return r["name"]


def translate(err, asset=None, pkg=None, variant=None):
    """gliad's error codes as the Python Glia's exceptions."""
    code, msg, data = err.code, str(err), err.data
    if code == "unknown_asset":
        return UnknownAssetError(msg)
    if code == "no_match":
        return NoMatchesError(msg, pkg=pkg, variant=variant, matches=data.get("candidates"))
    if code == "ambiguous":
        return TooManyMatchesError(
            msg, matches=data.get("candidates"), asset=asset, pkg=pkg, variant=variant
        )
    if code == "build_failed":
        detail = data.get("detail") or ""
        return CompileError(msg + ("\n" + detail if detail else ""))
    if code == "unknown_package":
        return PackageError(msg)
    return GliaError(f"{msg} ({code})")


class Session:
    """The connection requests go through (`conn`, None until the first
    call), and the environment it registered (`env`). on_connect(conn, env)
    runs on every new connection before it is used; on_loss() when one is
    lost (what was learnt through it may be stale)."""

    def __init__(self, on_connect, on_loss):
        self.conn = None
        self.env = None
        self.lock = _thread.RLock()
        self._on_connect = on_connect
        self._on_loss = on_loss

    def after_fork(self):
        """A forked child holds the parent's socket: requests of both on one
        socket would take each other's replies. It connects afresh, with a
        lock no thread of the parent holds."""
        self.lock = _thread.RLock()
        self.conn = None

    def _connect(self, conn=None):
        """Connects (or takes conn) and registers this environment."""
        conn = conn or _rpc.connect()
        name = register_env(conn)
        self._on_connect(conn, name)
        self.conn, self.env = conn, name

    def connect(self):
        """Connects and registers this environment, unless done already."""
        if self.conn is None:
            with self.lock:
                if self.conn is None:
                    self._connect()

    def reconnect(self):
        """Drops the connection and makes a new one, to whatever serves now
        (glia.use_bundle)."""
        with self.lock:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            self._connect()

    def call(self, method, params=None):
        """One request; if gliad went away (a restart), reconnects and asks
        again, once."""
        with self.lock:
            params = dict(params or {})
            for attempt in (0, 1):
                try:
                    if self.conn is None:
                        self._reconnect() if attempt else self._connect()
                    params["env"] = self.env
                    return self.conn.call(method, params)
                except _rpc.DaemonError as e:
                    if e.code != "shutting_down":
                        if self.conn is not None and self.conn.closed:
                            self.conn = None  # refused whole: the next call connects anew
                        raise
                except (ConnectionError, OSError):
                    pass
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self._on_loss()
            raise GliaError(
                "lost the connection to gliad twice; is it crashing? "
                "See `journalctl --user -u gliad` or its log"
            )

    def send(self, method, params):
        """A request whose answer is not waited for: the connection's next
        call reads past it. Sent as a call when the connection is broken."""
        with self.lock:
            conn = self.conn
            if conn is not None and not conn.closed:
                try:
                    conn.request(method, dict(params, env=self.env))
                    return
                except (ConnectionError, OSError, _rpc.DaemonError):
                    pass
            self.call(method, params)

    def _reconnect(self):
        """Connects again after a loss: a restarting gliad (systemd, or a
        person) gets a few seconds to come back before one is started."""
        deadline = time.monotonic() + _RECONNECT_FOR
        while True:
            try:
                conn = _rpc.connect(autostart=False)
            except GliaError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                return self._connect()  # autostarts, or says how to start gliad
            return self._connect(conn)
