"""The mechanism library: which one gliad built for this environment,
waiting for it (with progress), and loading it into NEURON once per
process. NEURON cannot unload a library or load a second generation's
mechanisms over the first: a process keeps the generation it loaded, and
tells gliad so (`loaded`), which keeps it from GC while the process lives."""

import os
import sys
import time

from . import _rpc
from .exceptions import CompileError, GliaError, LibraryError, NeuronError

_PROGRESS_AFTER = 0.3  # seconds of waiting before a progress line is worth it


def env_flag(name):
    """A Glia 4 switch: set and not 0."""
    return os.environ.get(name, "0") not in ("", "0")


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


class Library:
    """`ready`: this process chose its library and NEURON is there (or the
    program loads mechanisms itself, GLIA_NOLOAD); `generation` and `names`:
    the library chosen, pinned for the life of the process; `h`: NEURON's h.

    Load what is used: where gliad lists the library's parts (one shared
    object per package, `library` with parts), only the part registering a
    mechanism is loaded, when that mechanism is first resolved (provide),
    and every part at glia.load_library() (load_all): NEURON's registration
    of the packages a script never uses is never paid. Each part is loaded
    at most once, and the whole library never after a part: NEURON would
    register its mechanisms twice. Without parts (the nrnivmodl backend, an
    older gliad) the whole library is loaded at once, as it was."""

    def __init__(self, session, fast):
        self._session = session
        self._fast = fast  # its section_type is set once NEURON is there
        self.ready = False
        self.generation = None
        self.names = frozenset()
        self.h = None
        self._path = None  # the whole library, while it may still be loaded
        self._parts = []  # the generation's parts, when gliad listed them
        self._part_of = {}  # full name -> its part
        self._loaded_parts = set()  # paths of the parts loaded
        self._pid = None  # the process that told gliad of the load
        self._progress = None  # the last (done, total) printed, and when
        self._progress_at = None

    def report(self, conn, env):
        """On every new connection: a process that loaded a generation (or
        a forked child of one) tells gliad so, once per process."""
        if self.generation is not None and self._pid != os.getpid():
            # Keeps the loaded library from GC for as long as this process lives.
            conn.call("loaded", {"env": env, "generation": self.generation})
            self._pid = os.getpid()

    def pin(self):
        """Chooses this process's library (asking gliad once) and readies
        NEURON; loads the whole library unless gliad lists its parts."""
        if self.ready:
            return
        with self._session.lock:
            if self.ready:
                return
            if env_flag("GLIA_NOLOAD"):  # the program loads mechanisms itself
                self.neuron_ready()
                return
            # Not subscribed yet: only resolutions need notifications, and a
            # script may insert nothing (the first resolution subscribes).
            ask = {"names": True, "parts": True}
            if env_flag("GLIA_NOCOMPILE"):  # what is built now, whatever changed since
                lib = self._session.call("library", ask)
            else:
                lib = self.wait(dict(ask, wait=True))
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
            parts = lib.get("parts")
            if parts is None:
                path = _rpc.trusted_library(path)
            # Told before loading (nothing can collect it in between), and
            # not waited for: its answer says nothing this process needs.
            self._session.send("loaded", {"generation": lib["generation"]})
            self._pid = os.getpid()
            self.neuron_ready(ready=False)
            if parts is None:
                self._load(path)
            else:
                self._path, self._parts = path, parts
                self._part_of = {n: p for p in parts for n in p.get("names") or ()}
            self.generation = lib.get("generation")
            self.names = frozenset(lib.get("names") or ())
            self.ready = True  # last: a thread seeing it skips the lock

    def provide(self, full):
        """Makes sure the part registering full is loaded (nothing to do
        when the whole library is, or full is NEURON's own)."""
        part = self._part_of.get(full)
        if part is None or part["path"] in self._loaded_parts:
            return
        with self._session.lock:
            if part["path"] not in self._loaded_parts:
                self._load_part(part)

    def load_all(self):
        """glia.load_library(), `import glia.library`: every mechanism of
        the pinned generation, for hoc code that names them itself."""
        self.pin()
        if not self._parts:
            return
        with self._session.lock:
            if not self._loaded_parts and self._path is not None:
                # Nothing loaded yet: the whole library, in one go.
                self._load(_rpc.trusted_library(self._path))
                self._loaded_parts.update(p["path"] for p in self._parts)
            for part in self._parts:
                if part["path"] not in self._loaded_parts:
                    self._load_part(part)
            self._path = None

    def _load_part(self, part):
        self._load(_rpc.trusted_library(part["path"]))
        self._loaded_parts.add(part["path"])
        self._path = None  # the whole library would register this part again

    def _load(self, path):
        if not self.h.nrn_load_dll(path):
            raise NeuronError(f"NEURON could not load the mechanism library {path}")

    def neuron_ready(self, ready=True):
        from neuron import h

        self.h = h
        self._fast.section_type = type(h.Section(name="glia_probe"))
        self.ready = ready
        return h

    def compile(self):
        """Asks gliad to build now and waits for it (with progress)."""
        self._session.call("build", {})
        lib = self.wait({"wait": True})
        failed = (lib.get("last_build") or {}).get("failed", 0)
        if failed:
            sys.stderr.write(f"glia: {failed} mod(s) did not compile; `gliactl log` says why\n")
        return lib

    def explain_missing(self, full):
        """A mechanism this process's library lacks: raises why, in words."""
        if env_flag("GLIA_NOCOMPILE"):
            lib = self._session.call("library", {})
        else:
            lib = self.wait({"wait": True})
        if lib.get("generation") and lib["generation"] != self.generation:
            raise LibraryError(
                f"'{full}' is in a newer library (generation {lib['generation']}) than the "
                f"one this process loaded ({self.generation}): NEURON cannot load "
                "a second one; restart the script to use it"
            )
        log = self._session.call("log", {"name": full})
        for f in log.get("failures", []):
            raise CompileError(f["summary"] + "\n" + (f.get("detail") or ""))
        raise LibraryError(f"'{full}' is not in the library {lib.get('path')}")

    def wait(self, params):
        """`library` with wait, on a connection of its own subscribed to
        build progress: a long build shows done/total on stderr."""
        self._session.connect()
        conn = None
        try:
            conn = _rpc.connect(autostart=False)
            # Pipelined with the library request: its answer is not waited
            # for (call skips it), as a build shows nothing without it.
            conn.request("subscribe", {"topics": ["build"]})
        except (GliaError, ConnectionError, OSError):
            if conn is not None:
                conn.close()
            return self._session.call("library", params)  # waits all the same, silently
        since = time.monotonic()
        self._progress = self._progress_at = None
        env = self._session.env

        def note(method, p):
            if method == "build.progress" and p.get("env") == env:
                self._show_progress(since, p.get("done"), p.get("total"))

        try:
            return conn.call("library", dict(params, env=env), on_note=note)
        except _rpc.DaemonError as e:
            if e.code != "shutting_down":
                raise
        except (ConnectionError, OSError):
            pass
        finally:
            conn.close()
            if self._progress is not None and sys.stderr.isatty():
                sys.stderr.write("\n")
        return self._session.call("library", params)  # gliad restarted meanwhile

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
