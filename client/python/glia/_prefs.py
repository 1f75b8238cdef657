"""The script's own preferences: glia.select (for this script) and
glia.context (stacked, the innermost winning), sent with each resolution
as scopes above gliad's stored ones. glia.select(glbl=True) is gliad's
`select`, for every script."""

from . import _rpc
from ._connection import translate


def _freeze(d):
    return tuple(sorted((k, _freeze(v) if isinstance(v, dict) else v) for k, v in d.items()))


class Preferences:
    """script: asset -> {"pkg":, "variant":}; contexts: [{"pkg":,
    "variant":, "assets": {...}}], innermost last; key: both, hashable,
    what cached resolutions are stored under (_cache.py)."""

    def __init__(self, session, cache):
        self._session = session
        self._cache = cache
        self.script = {}
        self.contexts = []
        self.key = ()

    def _change(self, change):
        """Replaces the script's preferences and contexts by change(script,
        contexts) (new objects: another thread may be sending the old ones)
        and drops what was resolved under the old ones, all at once for
        snapshot()."""
        with self._cache.lock:
            script, contexts = change(self.script, self.contexts)
            key = (_freeze(script), tuple(_freeze(c) for c in contexts))
            self.script, self.contexts, self.key = script, contexts, key
            self._cache.drop_fast()

    def snapshot(self):
        """(epoch, prefs key, scopes) of one moment: what is resolved with
        these scopes is stored under this key, or not at all."""
        with self._cache.lock:
            return self._cache.epoch, self.key, self._scopes()

    def _scopes(self):
        scopes = []
        if self.script or self.contexts:
            scopes.append({"name": "script", "assets": self.script})
            for i, c in enumerate(self.contexts, 1):
                scopes.append(dict(c, name=f"context {i}"))
        return scopes

    def select(self, asset, glbl=False, pkg=None, variant=None):
        if glbl:
            try:
                self._session.call("select", {"asset": asset, "pkg": pkg, "variant": variant})
            except _rpc.DaemonError as e:
                raise translate(e, asset, pkg, variant) from None
            self._cache.forget()
            return
        pref = {}
        if pkg is not None:
            pref["pkg"] = pkg
        if variant is not None:
            pref["variant"] = variant
        self._change(lambda script, contexts: ({**script, asset: pref}, contexts))

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
        self._change(lambda script, contexts: (script, contexts + [scope]))

    def pop_context(self):
        def pop(script, contexts):
            if not contexts:
                raise IndexError("pop_context() without a context to pop")
            return script, contexts[:-1]

        self._change(pop)
