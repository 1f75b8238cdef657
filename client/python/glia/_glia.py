"""The manager behind the module-level API: one per process, made of one
object per concern, each in its own module:

- _connection.Session: the connection to gliad (autostart, trust through
  _rpc, reconnecting after a restart) and this environment's registration;
- _notes.Notifications: the subscription, its thread and SIGURG, which
  drop the cache when preferences or the index change;
- _cache.ResolutionCache: resolutions already asked for, and the FastPath
  glia.insert's fast path (Python or C) reads;
- _prefs.Preferences: glia.select and glia.context;
- _library.Library: waiting for the library and loading it (or the parts
  of it a script uses) into NEURON;
- _insert.Inserter: resolving and inserting.

Everything that costs (connecting, resolving, loading the library) is done
on first need and cached; a `gliactl select` in another shell applies at
this script's next insert.
"""

import os

from ._cache import ResolutionCache
from ._connection import Session, translate
from ._insert import Inserter
from ._library import Library
from ._notes import Notifications
from ._prefs import Preferences


class Glia:
    def __init__(self):
        self.cache = ResolutionCache()
        self.fast = self.cache.fast  # what glia.insert's fast path reads
        self.session = Session(on_connect=self._on_connect, on_loss=self.cache.forget)
        self.library = Library(self.session, self.fast)
        self.notes = Notifications(self.session, self.cache)
        self.prefs = Preferences(self.session, self.cache)
        self.inserter = Inserter(self.session, self.cache, self.notes, self.prefs, self.library)
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self):
        """A forked child (multiprocessing's default here) holds the
        parent's sockets and maybe locks a thread of the parent held: it
        starts afresh. Its library is the parent's, reported as its own at
        its first connection."""
        self.session.after_fork()
        self.notes.after_fork()
        self.cache.after_fork()

    def _on_connect(self, conn, env):
        self.library.report(conn, env)

    def reconnect(self):
        """Serves from whatever _rpc.connect gives now (glia.use_bundle):
        a new connection and subscription, nothing cached."""
        with self.session.lock:
            self.notes.close()
            self.cache.forget()
            self.session.reconnect()

    def connect(self):
        """Connects and registers this environment."""
        self.session.connect()

    @property
    def env(self):
        return self.session.env

    def call(self, method, params=None):
        return self.session.call(method, params)

    # ---- The API's calls ----------------------------------------------------

    def select(self, asset, glbl=False, pkg=None, variant=None):
        return self.prefs.select(asset, glbl=glbl, pkg=pkg, variant=variant)

    def push_context(self, assets=None, pkg=None, variant=None):
        return self.prefs.push_context(assets, pkg, variant)

    def pop_context(self):
        return self.prefs.pop_context()

    def load_library(self):
        return self.library.load_all()

    def compile(self):
        return self.library.compile()

    def resolve(self, asset, pkg=None, variant=None):
        return self.inserter.resolve(asset, pkg=pkg, variant=variant)

    def insert(self, section, asset, variant=None, pkg=None, attributes=None, x=None):
        return self.inserter.insert(section, asset, variant, pkg, attributes, x)

    def test_mechanism(self, mechanism):
        return self.inserter.test_mechanism(mechanism)

    def parameters(self, full):
        return self.inserter.parameters(full)

    # ---- Packages -----------------------------------------------------------

    def get_packages(self):
        from .assets import Package

        r = self.call("packages", {"sync": True})
        return [Package._from_gliad(p, self._package_fetcher(p["name"])) for p in r["packages"]]

    def _package_fetcher(self, name):
        return lambda: self.call("package", {"name": name})

    def package(self, name):
        from . import _rpc
        from .assets import Package

        try:
            r = self.call("package", {"name": name, "sync": True})
        except _rpc.DaemonError as e:
            raise translate(e) from None
        return Package._from_gliad(r)
