"""Resolving an asset into a full NEURON name (asking gliad, through the
resolution cache) and inserting it into a section: what glia.insert,
glia.resolve and glia.test_mechanism do beyond the fast path."""

from . import _rpc
from ._connection import translate
from ._library import env_flag
from ._neuron import MechAccessor, point_process_class
from .exceptions import LibraryError, UnknownAssetError


def mech_id(asset, variant=None, pkg=None):
    """(asset, variant, pkg) of a name or a Glia 4 tuple: (asset,),
    (asset, variant) or (asset, variant, pkg); the call's own variant and
    pkg fill what the tuple leaves out."""
    if isinstance(asset, tuple):
        if not 1 <= len(asset) <= 3:
            raise TypeError(f"an asset tuple is (asset, variant, pkg), not {asset!r}")
        asset, variant, pkg = (asset + (variant, pkg)[len(asset) - 1 :])[:3]
    return asset, variant, pkg


class Inserter:
    def __init__(self, session, cache, notes, prefs, library):
        self._session = session
        self._cache = cache
        self._notes = notes
        self._prefs = prefs
        self._library = library
        self._params = {}  # full name -> its PARAMETER block
        self._pp_classes = {}  # full name -> its point process class

    def _resolve_full(self, asset, variant, pkg, scopes=None):
        """(full name, point process?, built-in?) by asking gliad."""
        params = {"asset": asset, "pkg": pkg, "variant": variant, "sync": True}
        if scopes is None:
            scopes = self._prefs.snapshot()[2]
        if scopes:
            params["prefs"] = scopes
        try:
            r = self._session.call("resolve", params)
        except _rpc.DaemonError as e:
            raise translate(e, asset, pkg, variant) from None
        return r["full"], r["kind"] != "density", r["pkg"] == "NEURON"

    def resolve(self, asset, pkg=None, variant=None):
        if not self._library.ready:
            self._library.pin()  # as the Python Glia's did: a name is for inserting
        asset, variant, pkg = mech_id(asset, variant, pkg)
        if isinstance(asset, str) and asset.startswith("glia__"):
            full = asset
        else:
            full = self._resolve_full(asset, variant, pkg)[0]
        self._library.provide(full)  # the name is for hoc to use
        return full

    def entry(self, asset, variant, pkg):
        # Subscribed first, then asked: a change gliad makes after this
        # answer is computed is notified to us.
        self._notes.subscribe()
        epoch, prefs_key, scopes = self._prefs.snapshot()
        key = (asset, variant, pkg, prefs_key)
        if isinstance(asset, str) and asset.startswith("glia__"):
            full, point, builtin = self._lookup_full(asset)
        else:
            full, point, builtin = self._resolve_full(asset, variant, pkg, scopes)
        if not builtin and full not in self._library.names and not env_flag("GLIA_NOLOAD"):
            self._library.explain_missing(full)
        self._library.provide(full)
        hit = (full, point)
        fast = asset if variant is None and pkg is None else None
        maker = None
        if point and fast is not None:
            # Made now: store must not call NEURON under its lock.
            maker = self._point_class(full)._new
        self._cache.store(epoch, key, hit, fast, maker)
        return hit

    def _lookup_full(self, full):
        try:
            r = self._session.call(
                "asset", {"asset": full.split("__")[2] if full.count("__") == 3 else full}
            )
        except _rpc.DaemonError as e:
            raise translate(e, full) from None
        for c in r["candidates"]:
            if c["full"] == full:
                return full, c["kind"] != "density", c["pkg"] == "NEURON"
        raise UnknownAssetError(f"no mechanism named '{full}'")

    def insert(self, section, asset, variant=None, pkg=None, attributes=None, x=None):
        if not self._library.ready:
            self._library.pin()
        asset, variant, pkg = mech_id(asset, variant, pkg)
        key = (asset, variant, pkg, self._prefs.key)
        hit = self._cache.entries.get(key)
        if hit is None:
            hit = self.entry(asset, variant, pkg)
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
            h = self._library.h
            if not hasattr(h, full):
                raise LibraryError(f"'{full}' point process not found in NEURON")
            cls = self._pp_classes[full] = point_process_class(h, full)
        return cls

    def parameters(self, full):
        """The PARAMETER block gliad parsed: {name: (default, units)}."""
        p = self._params.get(full)
        if p is None:
            parts = full.split("__")
            asset = parts[2] if full.startswith("glia__") and len(parts) == 4 else full
            r = self._session.call("asset", {"asset": asset})
            p = {}
            for c in r["candidates"]:
                if c["full"] == full:
                    p = {x["name"]: (x["value"], x["units"]) for x in c["params"]}
            self._params[full] = p
        return p

    def test_mechanism(self, mechanism):
        self._library.pin()
        full, point = self.entry(mechanism, None, None)
        h = self._library.h
        if point:
            if not hasattr(h, full):
                raise LibraryError(f"'{full}' is not in NEURON")
        else:
            s = h.Section(name="glia_test_mechanism")
            try:
                s.insert(full)
            except ValueError:
                raise LibraryError(f"'{full}' mechanism could not be inserted") from None
        return True
