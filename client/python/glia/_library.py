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
    """`loaded`: NEURON is ready and the library in it (or the program
    loads mechanisms itself, GLIA_NOLOAD); `generation` and `names`: what
    was loaded; `h`: NEURON's h."""

    def __init__(self, session, fast):
        self._session = session
        self._fast = fast  # its section_type is set once NEURON is there
        self.loaded = False
        self.generation = None
        self.names = frozenset()
        self.h = None
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

    def load(self):
        if self.loaded:
            return
        with self._session.lock:
            if self.loaded:
                return
            if env_flag("GLIA_NOLOAD"):  # the program loads mechanisms itself
                self.neuron_ready()
                return
            # Not subscribed yet: only resolutions need notifications, and a
            # script may insert nothing (the first resolution subscribes).
            if env_flag("GLIA_NOCOMPILE"):  # what is built now, whatever changed since
                lib = self._session.call("library", {"names": True})
            else:
                lib = self.wait({"wait": True, "names": True})
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
            self._session.send("loaded", {"generation": lib["generation"]})
            self._pid = os.getpid()
            h = self.neuron_ready(load=False)
            if not h.nrn_load_dll(path):
                raise NeuronError(f"NEURON could not load the mechanism library {path}")
            self.loaded = True
            self.generation = lib.get("generation")
            self.names = frozenset(lib.get("names") or ())

    def neuron_ready(self, load=True):
        from neuron import h

        self.h = h
        self._fast.section_type = type(h.Section(name="glia_probe"))
        self.loaded = load
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
        try:
            conn = _rpc.connect(autostart=False)
            # Pipelined with the library request: its answer is not waited
            # for (call skips it), as a build shows nothing without it.
            conn.request("subscribe", {"topics": ["build"]})
        except (GliaError, ConnectionError, OSError):
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
