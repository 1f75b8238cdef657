"""The manager behind the module-level API: one per process.

Everything that costs (connecting, resolving, loading the library) is done
on first need and cached; gliad's notifications (preferences changed, a new
index or library) drop the resolution cache, so a `gliactl select` in
another shell applies at this script's next insert.

The cache is only as good as the notifications behind it, so:
- nothing is cached unless a subscription is live, and the subscription is
  made (synchronously) before the first resolution that could be cached;
  while gliad is away (restarting) nothing is cached, and every
  resubscription drops the cache: a change made while the thread was not
  listening cannot leave a stale entry behind;
- a resolution is stored only if no notification came in while it was
  being asked for (`_epoch`) and none waits unread in the socket, so an
  answer computed under the old preferences cannot be stored after the
  notification that dropped them;
- delivery does not depend on when the reading thread gets to run. gliad
  writes the notification before it answers `gliactl select`, but the
  thread, woken by it, may still be waiting for a CPU or the GIL when the
  script, told by whoever ran gliactl, inserts again: under load that
  happened in one insert out of ten. So the kernel is asked to signal the
  process when the notification arrives (O_ASYNC, with SIGURG as Go's
  runtime uses it: ignored by default, unused by NEURON or MPI). The
  signal is pending before gliactl even gets its answer, so before the
  script can hear of it, and its handler drops the caches at the main
  thread's next bytecode boundary, before any glia call gets to look.
  A poll of the socket on every insert would do the same at several times
  the cost of a cached insert. Without the signal (glia first used outside
  the main thread, or SIGURG taken by the program) the thread alone
  delivers, within Python's switch interval (5 ms) of the notification.
"""

import os
import sys
# _thread, not threading: the locks are all a script needs at first, and
# threading.py costs a millisecond at import; it comes with the listener.
import _thread
import time

from . import _rpc
from ._cache import FastPath
from ._neuron import MechAccessor, point_process_class
from .exceptions import (
    CompileError,
    GliaError,
    LibraryError,
    NeuronError,
    NoMatchesError,
    PackageError,
    TooManyMatchesError,
    UnknownAssetError,
)

_PROGRESS_AFTER = 0.3  # seconds of waiting before a progress line is worth it
_TOPICS = ["prefs", "index"]  # what invalidates resolutions; progress has its own connection
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


def mech_id(asset, variant=None, pkg=None):
    """(asset, variant, pkg) of a name or a Glia 4 tuple: (asset,),
    (asset, variant) or (asset, variant, pkg); the call's own variant and
    pkg fill what the tuple leaves out."""
    if isinstance(asset, tuple):
        if not 1 <= len(asset) <= 3:
            raise TypeError(f"an asset tuple is (asset, variant, pkg), not {asset!r}")
        asset, variant, pkg = (asset + (variant, pkg)[len(asset) - 1 :])[:3]
    return asset, variant, pkg


def _translate(err, asset=None, pkg=None, variant=None):
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


def _env_flag(name):
    """A Glia 4 switch: set and not 0."""
    return os.environ.get(name, "0") not in ("", "0")


def _poll_of(conn):
    import select

    p = select.poll()
    p.register(conn.sock.fileno(), select.POLLIN)
    return p



def _stale_notice(lib):
    """What gliactl library says of a library older than the last build,
    which failed: since when, why (first line), when gliad tries again."""
    stale = lib["stale"]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stale.get("since") or 0))
    reason = ((stale.get("reason") or "unknown").splitlines() or ["unknown"])[0]
    retry = stale.get("retry_in_ms")
    return (f"glia: loading generation {lib.get('generation')} from {when}; the newest build "
            f"failed: {reason}"
            + (f"; retrying in {(retry + 999) // 1000} s" if retry is not None else "") + "\n")

class Glia:
    def __init__(self):
        self._conn = None
        self._env = None
        self._lock = _thread.RLock()
        self._cache = {}  # (asset, variant, pkg, prefs key) -> (full, point process?)
        self.fast = FastPath()  # what glia.insert's fast path reads
        self._script = {}  # asset -> {"pkg":, "variant":} (glia.select)
        self._contexts = []  # [{"pkg":, "variant":, "assets": {...}}], innermost last
        self._prefs_key = ()
        self._watcher = None
        self._notes = None  # the subscribed connection, while it is live
        self._notes_lock = _thread.allocate_lock()  # making or dropping it
        self._cache_lock = _thread.allocate_lock()  # _epoch and storing into the caches
        self._epoch = 0  # bumped by every drop of the caches
        self._progress = None  # the last (done, total) printed, and when
        self._progress_at = None
        self._notes_poll = None  # select.poll of _notes, to see unread notes
        self._on_signal = None  # the SIGURG handler, once installed
        self._loaded = False
        self._loaded_generation = None
        self._loaded_names = frozenset()
        self._h = None
        self._params = {}
        self._pp_classes = {}  # full name -> its point process class
        self._loaded_pid = None  # the process that told gliad of the load
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self):
        """A forked child (multiprocessing's default here) holds the
        parent's sockets: requests of both on one socket would take each
        other's replies. The child starts afresh, with locks no thread of
        the parent holds; its library is the parent's, reported as its own
        at its first connection."""
        self._lock = _thread.RLock()
        self._notes_lock = _thread.allocate_lock()
        self._cache_lock = _thread.allocate_lock()
        self._conn = self._notes = self._notes_poll = self._watcher = None
        self._epoch += 1
        self._cache = {}
        self.fast.drop()

    # ---- Connection ---------------------------------------------------------

    def _connect(self, conn=None):
        """Connects (or takes conn) and registers this environment."""
        conn = conn or _rpc.connect()
        name = register_env(conn)
        if self._loaded_generation is not None and self._loaded_pid != os.getpid():
            # Keeps the loaded library from GC for as long as this process lives.
            conn.call("loaded", {"env": name, "generation": self._loaded_generation})
            self._loaded_pid = os.getpid()
        self._conn, self._env = conn, name

    def _call(self, method, params=None):
        """One request; if gliad went away (a restart), reconnects and asks
        again, once."""
        with self._lock:
            params = dict(params or {})
            for attempt in (0, 1):
                try:
                    if self._conn is None:
                        self._reconnect() if attempt else self._connect()
                    params["env"] = self._env
                    return self._conn.call(method, params)
                except _rpc.DaemonError as e:
                    if e.code != "shutting_down":
                        if self._conn is not None and self._conn.closed:
                            self._conn = None  # refused whole: the next call connects anew
                        raise
                except (ConnectionError, OSError):
                    pass
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                self._forget()
            raise GliaError(
                "lost the connection to gliad twice; is it crashing? "
                "See `journalctl --user -u gliad` or its log"
            )

    def _send(self, method, params):
        """A request whose answer is not waited for: the connection's next
        call reads past it. Sent as a call when the connection is broken."""
        with self._lock:
            conn = self._conn
            if conn is not None and not conn.closed:
                try:
                    conn.request(method, dict(params, env=self._env))
                    return
                except (ConnectionError, OSError, _rpc.DaemonError):
                    pass
            self._call(method, params)

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

    def connect(self):
        """Connects and registers this environment (done at import)."""
        if self._conn is None:
            with self._lock:
                if self._conn is None:
                    self._connect()

    # ---- Notifications ------------------------------------------------------

    def _subscribe(self):
        """Makes sure a subscribed connection is live (made here, at once,
        when it is not), and a thread reads it. True if one is."""
        if self._notes is not None:
            return True
        with self._notes_lock:
            if self._notes is None:
                try:
                    conn = _rpc.connect(autostart=False)
                except GliaError:
                    return False
                try:
                    conn.call("subscribe", {"topics": _TOPICS})
                except (_rpc.DaemonError, ConnectionError, OSError):
                    conn.close()
                    return False
                self._signal_on_arrival(conn)
                # Read only when poll says so: a thread blocked in recv()
                # on it would keep the kernel from signalling arrivals.
                conn.sock.setblocking(False)
                # Whatever was cached before is vouched for by no one.
                with self._cache_lock:
                    self._notes, self._notes_poll = conn, _poll_of(conn)
                    self._drop()
            if self._watcher is None:
                import threading

                self._watcher = threading.Thread(
                    target=self._listen, name="glia-notes", daemon=True
                )
                self._watcher.start()
        return True

    def _signal_on_arrival(self, conn):
        """Has the kernel send SIGURG to this process whenever gliad writes
        to conn (or closes it), if this module may own that signal."""
        import _signal as signal  # not signal.py: its enums cost a millisecond

        import fcntl

        if self._on_signal is None:
            if signal.getsignal(signal.SIGURG) not in (signal.SIG_DFL, signal.SIG_IGN, None):
                self._on_signal = False  # the program's own: leave it be
                return
            handler = self._signalled  # one bound method: getsignal is compared with `is`
            try:
                signal.signal(signal.SIGURG, handler)
            except ValueError:
                return  # not the main thread, where alone it works; the next subscription may
            self._on_signal = handler
            signal.siginterrupt(signal.SIGURG, False)  # SA_RESTART: C code sees no EINTR
        if not self._on_signal or signal.getsignal(signal.SIGURG) is not self._on_signal:
            return
        fd = conn.sock.fileno()
        try:
            fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
            fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
        except (OSError, AttributeError):  # not Linux: the thread alone delivers
            pass

    def _signalled(self, signum, frame):
        """SIGURG: gliad wrote to (or closed) the notification connection.
        Runs in the main thread between two bytecodes, maybe inside _store
        or _drop, so it takes no lock: fresh dicts and a new epoch are
        enough for anything in flight to see that the caches were dropped.
        The thread reads the notification itself."""
        self._epoch += 1
        self._cache = {}
        self.fast.drop()

    def _listen(self):
        delay = 0.05
        conn = poll = None
        while True:
            if conn is not self._notes:
                conn = self._notes
                poll = _poll_of(conn) if conn is not None else None  # not _store's: one user each
            if conn is None:
                # gliad away: try again, less often as it stays away (an
                # insert meanwhile subscribes by itself first).
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                self._subscribe()
                continue
            delay = 0.05
            try:
                poll.poll()
                data = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            try:
                if not data:
                    raise ConnectionError("gliad closed the connection")
                conn.unpacker.feed(data)
                msgs = list(conn.unpacker)
            except Exception:  # gliad went away (or spoke garbage)
                with self._cache_lock:
                    if self._notes is conn:
                        self._notes = None
                    self._drop()
                conn.close()
                continue
            for msg in msgs:
                try:
                    if msg[0] == 2:
                        self._note(msg[1], msg[2][0] if msg[2] else {})
                except Exception:  # a note of a shape this module does not know
                    self._forget()

    def _note(self, method, params):
        env = params.get("env")
        if method != "prefs.changed" and env is not None and env != self._env:
            return  # another environment's index
        # Preferences or the index changed: resolve anew.
        self._forget()

    def _library_wait(self, params):
        """`library` with wait, on a connection of its own subscribed to
        build progress: a long build shows done/total on stderr."""
        self.connect()
        try:
            conn = _rpc.connect(autostart=False)
            # Pipelined with the library request: its answer is not waited
            # for (call skips it), as a build shows nothing without it.
            conn.request("subscribe", {"topics": ["build"]})
        except (GliaError, ConnectionError, OSError):
            return self._call("library", params)  # waits all the same, silently
        since = time.monotonic()
        self._progress = self._progress_at = None

        def note(method, p):
            if method == "build.progress" and p.get("env") == self._env:
                self._show_progress(since, p.get("done"), p.get("total"))

        try:
            return conn.call("library", dict(params, env=self._env), on_note=note)
        except _rpc.DaemonError as e:
            if e.code != "shutting_down":
                raise
        except (ConnectionError, OSError):
            pass
        finally:
            conn.close()
            if self._progress is not None and sys.stderr.isatty():
                sys.stderr.write("\n")
        return self._call("library", params)  # gliad restarted meanwhile

    def _show_progress(self, since, done, total):
        """One line, rewritten in place on a terminal; in a log, a line a
        second at most."""
        now = time.monotonic()
        if now - since < _PROGRESS_AFTER or (done, total) == self._progress:
            return
        tty = sys.stderr.isatty()
        if not tty and self._progress_at is not None and now - self._progress_at < 1.0:
            return
        self._progress, self._progress_at = (done, total), now
        end = "\r" if tty else "\n"
        sys.stderr.write(f"glia: building NEURON mechanisms {done}/{total}{end}")
        sys.stderr.flush()

    def _forget(self):
        """Drops every cached resolution; the listener thread calls this
        while the script inserts."""
        with self._cache_lock:
            self._drop()

    def _drop(self):  # with _cache_lock held
        self._epoch += 1
        self._cache = {}
        self.fast.drop()

    def _store(self, epoch, key, hit, fast_asset):
        """Caches a resolution asked for at `epoch`, unless the caches were
        dropped since, a notification waits unread, or no subscription
        would tell when to drop it (the socket closed, unnoticed yet)."""
        with self._cache_lock:
            # The dicts first: if SIGURG's handler replaces them after the
            # checks, these writes go to the dropped ones.
            cache, fast, fast_pp = self._cache, self.fast.density, self.fast.point
            if epoch != self._epoch or self._notes is None or self._notes_poll.poll(0):
                return
            cache[key] = hit
            if fast_asset is not None:
                if hit[1]:
                    fast_pp[fast_asset] = self._pp_classes[hit[0]]._new
                else:
                    fast[fast_asset] = hit[0]

    # ---- Preferences --------------------------------------------------------

    def _change_prefs(self, change):
        """Replaces the script's preferences and contexts by change(script,
        contexts) (new objects: another thread may be sending the old ones)
        and drops what was resolved under the old ones, all at once for
        _snapshot."""

        def freeze(d):
            return tuple(sorted((k, freeze(v) if isinstance(v, dict) else v) for k, v in d.items()))

        with self._cache_lock:
            script, contexts = change(self._script, self._contexts)
            key = (freeze(script), tuple(freeze(c) for c in contexts))
            self._script, self._contexts, self._prefs_key = script, contexts, key
            self._epoch += 1
            self.fast.drop()

    def _snapshot(self):
        """(epoch, prefs key, scopes) of one moment: what is resolved with
        these scopes is stored under this key, or not at all."""
        with self._cache_lock:
            return self._epoch, self._prefs_key, self._scopes()

    def _scopes(self):
        scopes = []
        if self._script or self._contexts:
            scopes.append({"name": "script", "assets": self._script})
            for i, c in enumerate(self._contexts, 1):
                scopes.append(dict(c, name=f"context {i}"))
        return scopes

    def select(self, asset, glbl=False, pkg=None, variant=None):
        if glbl:
            try:
                self._call("select", {"asset": asset, "pkg": pkg, "variant": variant})
            except _rpc.DaemonError as e:
                raise _translate(e, asset, pkg, variant) from None
            self._forget()
            return
        pref = {}
        if pkg is not None:
            pref["pkg"] = pkg
        if variant is not None:
            pref["variant"] = variant
        self._change_prefs(lambda script, contexts: ({**script, asset: pref}, contexts))

    def push_context(self, assets=None, pkg=None, variant=None):
        scope = {}
        if pkg is not None:
            scope["pkg"] = pkg
        if variant is not None:
            scope["variant"] = variant
        if assets:
            scope["assets"] = {
                name: {
                    k: v
                    for k, v in (
                        ("pkg", p.get("pkg", p.get("package"))),
                        ("variant", p.get("variant")),
                    )
                    if v is not None
                }
                for name, p in assets.items()
            }
        self._change_prefs(lambda script, contexts: (script, contexts + [scope]))

    def pop_context(self):
        def pop(script, contexts):
            if not contexts:
                raise IndexError("pop_context() without a context to pop")
            return script, contexts[:-1]

        self._change_prefs(pop)

    # ---- Resolution ---------------------------------------------------------

    def _resolve_full(self, asset, variant, pkg, scopes=None):
        """(full name, point process?, built-in?) by asking gliad."""
        params = {"asset": asset, "pkg": pkg, "variant": variant, "sync": True}
        if scopes is None:
            scopes = self._snapshot()[2]
        if scopes:
            params["prefs"] = scopes
        try:
            r = self._call("resolve", params)
        except _rpc.DaemonError as e:
            raise _translate(e, asset, pkg, variant) from None
        return r["full"], r["kind"] != "density", r["pkg"] == "NEURON"

    def resolve(self, asset, pkg=None, variant=None):
        if not self._loaded:
            self.load_library()  # as the Python Glia's did: a name is for inserting
        asset, variant, pkg = mech_id(asset, variant, pkg)
        if isinstance(asset, str) and asset.startswith("glia__"):
            return asset
        return self._resolve_full(asset, variant, pkg)[0]

    def _entry(self, asset, variant, pkg):
        # Subscribed first, then asked: a change gliad makes after this
        # answer is computed is notified to us.
        self._subscribe()
        epoch, prefs_key, scopes = self._snapshot()
        key = (asset, variant, pkg, prefs_key)
        if isinstance(asset, str) and asset.startswith("glia__"):
            full, point, builtin = self._lookup_full(asset)
        else:
            full, point, builtin = self._resolve_full(asset, variant, pkg, scopes)
        if not builtin and full not in self._loaded_names and not _env_flag("GLIA_NOLOAD"):
            self._not_loaded(full)
        hit = (full, point)
        fast = asset if variant is None and pkg is None else None
        if point and fast is not None:
            self._point_class(full)  # made now: _store must not call NEURON under its lock
        self._store(epoch, key, hit, fast)
        return hit

    def _lookup_full(self, full):
        try:
            r = self._call("asset", {"asset": full.split("__")[2] if full.count("__") == 3 else full})
        except _rpc.DaemonError as e:
            raise _translate(e, full) from None
        for c in r["candidates"]:
            if c["full"] == full:
                return full, c["kind"] != "density", c["pkg"] == "NEURON"
        raise UnknownAssetError(f"no mechanism named '{full}'")

    def _not_loaded(self, full):
        """A mechanism this process's library lacks: why, in words."""
        if _env_flag("GLIA_NOCOMPILE"):
            lib = self._call("library", {})
        else:
            lib = self._library_wait({"wait": True})
        if lib.get("generation") and lib["generation"] != self._loaded_generation:
            raise LibraryError(
                f"'{full}' is in a newer library (generation {lib['generation']}) than the "
                f"one this process loaded ({self._loaded_generation}): NEURON cannot load "
                "a second one; restart the script to use it"
            )
        log = self._call("log", {"name": full})
        for f in log.get("failures", []):
            raise CompileError(f["summary"] + "\n" + (f.get("detail") or ""))
        raise LibraryError(f"'{full}' is not in the library {lib.get('path')}")

    # ---- The library --------------------------------------------------------

    def load_library(self):
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            if _env_flag("GLIA_NOLOAD"):  # the program loads mechanisms itself
                self._neuron_ready()
                return
            # Not subscribed yet: only resolutions need notifications, and a
            # script may insert nothing (the first resolution subscribes).
            if _env_flag("GLIA_NOCOMPILE"):  # what is built now, whatever changed since
                lib = self._call("library", {"names": True})
            else:
                lib = self._library_wait({"wait": True, "names": True})
            path = lib.get("path")
            if not path:
                err = (lib.get("last_build") or {}).get("error")
                raise LibraryError(
                    f"gliad has no mechanism library for this environment ({lib.get('status')}"
                    + (f": {err}" if err else "")
                    + "); `gliactl log` says why"
                )
            if lib.get("stale"):
                sys.stderr.write(_stale_notice(lib))
            path = _rpc.trusted_library(path)
            # Told before loading (nothing can collect it in between), and
            # not waited for: its answer says nothing this process needs.
            self._send("loaded", {"generation": lib["generation"]})
            self._loaded_pid = os.getpid()
            h = self._neuron_ready(load=False)
            if not h.nrn_load_dll(path):
                raise NeuronError(f"NEURON could not load the mechanism library {path}")
            self._loaded = True
            self._loaded_generation = lib.get("generation")
            self._loaded_names = frozenset(lib.get("names") or ())

    def _neuron_ready(self, load=True):
        from neuron import h

        self._h = h
        self.fast.section_type = type(h.Section(name="glia_probe"))
        self._loaded = load
        return h

    def compile(self):
        """Asks gliad to build now and waits for it (with progress)."""
        self._call("build", {})
        lib = self._library_wait({"wait": True})
        failed = (lib.get("last_build") or {}).get("failed", 0)
        if failed:
            sys.stderr.write(f"glia: {failed} mod(s) did not compile; `gliactl log` says why\n")
        return lib

    # ---- Inserting ----------------------------------------------------------

    def insert(self, section, asset, variant=None, pkg=None, attributes=None, x=None):
        if not self._loaded:
            self.load_library()
        asset, variant, pkg = mech_id(asset, variant, pkg)
        key = (asset, variant, pkg, self._prefs_key)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._entry(asset, variant, pkg)
        full, point = hit
        neuron = getattr(section, "__neuron__", None)
        if neuron is not None:
            section = neuron()
        if point:
            ma = self._point_class(full)._new(section(0.5 if x is None else x))
        else:
            try:
                section.insert(full)
            except ValueError:
                raise LibraryError(f"'{full}' mechanism not found in NEURON") from None
            ma = MechAccessor(section, full)
        if attributes:
            ma.set(attributes)
        return ma

    def _point_class(self, full):
        """The class of full's point processes (see _neuron.py), made once."""
        cls = self._pp_classes.get(full)
        if cls is None:
            if not hasattr(self._h, full):
                raise LibraryError(f"'{full}' point process not found in NEURON")
            cls = self._pp_classes[full] = point_process_class(self._h, full)
        return cls

    def parameters(self, full):
        """The PARAMETER block gliad parsed: {name: (default, units)}."""
        p = self._params.get(full)
        if p is None:
            parts = full.split("__")
            asset = parts[2] if full.startswith("glia__") and len(parts) == 4 else full
            r = self._call("asset", {"asset": asset})
            p = {}
            for c in r["candidates"]:
                if c["full"] == full:
                    p = {x["name"]: (x["value"], x["units"]) for x in c["params"]}
            self._params[full] = p
        return p

    def test_mechanism(self, mechanism):
        self.load_library()
        full, point = self._entry(mechanism, None, None)
        if point:
            if not hasattr(self._h, full):
                raise LibraryError(f"'{full}' is not in NEURON")
        else:
            s = self._h.Section(name="glia_test_mechanism")
            try:
                s.insert(full)
            except ValueError:
                raise LibraryError(f"'{full}' mechanism could not be inserted") from None
        return True

    # ---- Packages -----------------------------------------------------------

    def get_packages(self):
        from .assets import Package

        r = self._call("packages", {"sync": True})
        return [Package._from_gliad(p, self._package_fetcher(p["name"])) for p in r["packages"]]

    def _package_fetcher(self, name):
        return lambda: self._call("package", {"name": name})

    def package(self, name):
        from .assets import Package

        try:
            r = self._call("package", {"name": name, "sync": True})
        except _rpc.DaemonError as e:
            raise _translate(e) from None
        return Package._from_gliad(r)
