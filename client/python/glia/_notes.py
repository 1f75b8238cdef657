"""gliad's notifications: what tells the resolution cache (_cache.py) to
drop what it holds, when preferences or the index change.

Delivery does not depend on when the reading thread gets to run. gliad
writes the notification before it answers `gliactl select`, but the thread,
woken by it, may still be waiting for a CPU or the GIL when the script,
told by whoever ran gliactl, inserts again: under load that happened in one
insert out of ten. So the kernel is asked to signal the process when the
notification arrives (O_ASYNC, with SIGURG as Go's runtime uses it: ignored
by default, unused by NEURON or MPI). The signal is pending before gliactl
even gets its answer, so before the script can hear of it, and its handler
drops the caches at the main thread's next bytecode boundary, before any
glia call gets to look. A poll of the socket on every insert would do the
same at several times the cost of a cached insert. Without the signal (glia
first used outside the main thread, or SIGURG taken by the program) the
thread alone delivers, within Python's switch interval (5 ms) of the
notification.
"""

import os
import _thread
import time

from . import _rpc
from .exceptions import GliaError

_TOPICS = ["prefs", "index"]  # what invalidates resolutions; progress has its own connection


def _poll_of(conn):
    import select

    p = select.poll()
    p.register(conn.sock.fileno(), select.POLLIN)
    return p


class Notifications:
    """A subscribed connection of its own (`conn`, while it is live) and the
    thread reading it; session.env says which environment's index matters."""

    def __init__(self, session, cache):
        self._session = session
        self._cache = cache
        self.conn = None
        self._poll = None  # select.poll of conn, to see unread notes
        self._lock = _thread.allocate_lock()  # making or dropping conn
        self._watcher = None
        self._on_signal = None  # the SIGURG handler, once installed
        cache.quiet = self.quiet

    def after_fork(self):
        """The parent's subscription and thread are not the child's."""
        self._lock = _thread.allocate_lock()
        self.conn = self._poll = self._watcher = None

    def quiet(self):
        """Whether a subscription is live and nothing waits unread in it
        (asked with the cache's lock held)."""
        return self.conn is not None and not self._poll.poll(0)

    def close(self):
        """Drops the subscription (glia.use_bundle: another source serves);
        the next resolution subscribes anew."""
        with self._cache.lock:
            conn, self.conn, self._poll = self.conn, None, None
        if conn is not None:
            conn.close()

    def subscribe(self):
        """Makes sure a subscribed connection is live (made here, at once,
        when it is not), and a thread reads it. True if one is."""
        if self.conn is not None:
            return True
        with self._lock:
            if self.conn is None:
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
                with self._cache.lock:
                    self.conn, self._poll = conn, _poll_of(conn)
                    self._cache.drop()
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
        Runs in the main thread between two bytecodes, so it takes no lock
        (_cache.py's drop). The thread reads the notification itself."""
        self._cache.drop()

    def _listen(self):
        delay = 0.05
        conn = poll = None
        while True:
            if conn is not self.conn:
                conn = self.conn
                poll = _poll_of(conn) if conn is not None else None  # not quiet()'s: one user each
            if conn is None:
                # gliad away: try again, less often as it stays away (an
                # insert meanwhile subscribes by itself first).
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                self.subscribe()
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
                with self._cache.lock:
                    if self.conn is conn:
                        self.conn = None
                    self._cache.drop()
                conn.close()
                continue
            for msg in msgs:
                try:
                    if msg[0] == 2:
                        self._note(msg[1], msg[2][0] if msg[2] else {})
                except Exception:  # a note of a shape this module does not know
                    self._cache.forget()

    def _note(self, method, params):
        env = params.get("env")
        if method != "prefs.changed" and env is not None and env != self._session.env:
            return  # another environment's index
        # Preferences or the index changed: resolve anew.
        self._cache.forget()
