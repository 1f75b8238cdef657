"""Serving the glia module from a manifest instead of gliad.

A manifest (docs/bundle.md) records everything the module asks gliad: the
library, every candidate mechanism of every asset in the order gliad's
index holds them, and the global preferences. Two things serve from one:

- a bundle (GLIA_BUNDLE=DIR, or glia.use_bundle(DIR) before first use):
  DIR/manifest.json and DIR/libglia.so, no socket, no gliad;
- under MPI, the answer one rank of a node got from gliad and shared with
  the node's other ranks (_mpi.py).

`LocalConnection` answers the requests the manager sends with what gliad
would answer, errors included (same codes, so the same exceptions), by the
resolution rules of daemon/core/resolve.c ported below (docs/resolution.md).
"""

import os

# _socket, not socket: the C module has socketpair, and the Python wrapper's
# import costs every rank of an MPI job milliseconds.
import _socket

_FORMAT = 1
_LIBRARY = "libglia.so"


# ---- The resolution rules (daemon/core/resolve.c, kept in step) ------------------------


def _scope_field(scope, asset, field):
    """The scope's own value: its asset preference, else its general one."""
    own = (scope.get("assets") or {}).get(asset) or {}
    v = own.get(field)
    return v if v is not None else scope.get(field)


def _wanted(asset, scopes, call, field):
    """(value, scope name, set by the call?) of the highest scope setting field."""
    if call.get(field) is not None:
        return call[field], "call", True
    for s in reversed(scopes):
        v = _scope_field(s, asset, field)
        if v is not None:
            return v, s.get("name"), False
    return None, None, False


def _fits(c, want):
    return (want["pkg"] is None or c["package"] == want["pkg"]) and (
        want["variant"] is None or c["variant"] == want["variant"]
    )


def _decide(cands, want):
    """("ok", chosen index) / ("no_match", None) / ("ambiguous", None), and
    the indices that matched."""
    matches = [i for i, c in enumerate(cands) if _fits(c, want)]
    if not matches:
        return "no_match", None, matches
    if len(matches) == 1:
        return "ok", matches[0], matches
    pkgs = {cands[i]["package"] for i in matches}
    zeros = [i for i in matches if cands[i]["variant"] == "0"]
    if len(pkgs) == 1 and len(zeros) == 1:
        return "ok", zeros[0], matches
    return "ambiguous", None, matches


def resolve(cands, asset, scopes=(), pkg=None, variant=None):
    """Glia's rules over one asset's candidates ({package, variant, ...}
    in the index's order). scopes: lowest first, each {name, pkg, variant,
    assets: {asset: {pkg, variant}}}, the global scope included. Returns
    (status, chosen index or None, indices that matched): status "ok",
    "unknown_asset", "no_match" or "ambiguous"."""
    call = {"pkg": pkg, "variant": variant}
    wp, _, by_call_p = _wanted(asset, scopes, call, "pkg")
    wv, _, by_call_v = _wanted(asset, scopes, call, "variant")
    from_scope = (wp is not None and not by_call_p) or (wv is not None and not by_call_v)
    if not cands:
        return "unknown_asset", None, []
    status, chosen, matches = _decide(cands, {"pkg": wp, "variant": wv})
    if status == "no_match" and from_scope:
        status, chosen, matches = _decide(cands, call)
    return status, chosen, matches


# ---- A manifest ---------------------------------------------------------------


class Manifest:
    """A manifest read from a bundle or shared by a node's asking rank.
    library: the absolute path of the library it describes; directory: the
    bundle's, which its mods' `source` paths are relative to (None when
    gliad's answer, whose mods have an absolute `path`)."""

    def __init__(self, data, library, directory=None):
        if data.get("format", _FORMAT) != _FORMAT:
            raise ValueError(f"manifest format {data.get('format')}, this glia reads {_FORMAT}")
        self.data = data
        self.library = library
        self.directory = directory
        self.env = data.get("env") or "default"
        self.assets = {}  # asset -> [mod], the index's order
        self.fulls = {}
        for m in data.get("mods", []):
            self.assets.setdefault(m["asset"], []).append(m)
            self.fulls[m["full"]] = m
        self.prefs = data.get("prefs") or {}

    def mod_file(self, m):
        """The absolute path of mod m's source, or None (NEURON's own, or a
        bundle that holds no copy of it)."""
        if m.get("path"):
            return m["path"]
        if m.get("source") and self.directory:
            return os.path.join(self.directory, m["source"])
        return None

    @classmethod
    def from_bundle(cls, directory):
        import json

        from .exceptions import LibraryError

        directory = os.path.abspath(directory)
        path = os.path.join(directory, "manifest.json")
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                data = json.load(f)
            lib = os.path.join(directory, (data.get("library") or {}).get("file", _LIBRARY))
            return cls(data, lib, directory)
        except (OSError, ValueError) as e:
            raise LibraryError(
                f"cannot read the bundle {directory}: {e}; make one with `gliactl bundle DIR`"
            ) from None

    def global_scope(self, asset):
        p = self.prefs.get(asset)
        scope = {"name": "global", "assets": {}}
        if p:
            scope["assets"][asset] = {"pkg": p.get("pkg"), "variant": p.get("variant")}
        return scope


class LocalError(Exception):
    """An error answer, shaped as gliad's (converted by LocalConnection)."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.data = dict(extra, code=code, message=message)


def _suggest(typed, names):
    """The near miss gliad would name (resolve_suggest: at most two edits,
    case free)."""
    best = None
    for n in sorted(names):
        d = _distance(typed.lower(), n.lower())
        if d <= 2 and 2 * d < len(typed) and (best is None or d < best[0]):
            best = (d, n)
    return best and best[1]


def _distance(a, b):
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            d = min(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1, cur[j - 1] + 1)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d = min(d, prev2[j - 2] + 1)
            cur[j] = d
        prev2, prev = prev, cur
    return prev[len(b)]


class Answers:
    """gliad's methods over a manifest: method(params) -> result, raising
    LocalError as gliad answers an error."""

    def __init__(self, manifest, on_loaded=None):
        self.m = manifest
        self.on_loaded = on_loaded  # the asking rank tells gliad of the load

    def _asset(self, asset):
        cands = self.m.assets.get(asset)
        if cands:
            return cands
        hint = _suggest(asset, self.m.assets)
        raise LocalError(
            "unknown_asset",
            f"no asset named '{asset}' in environment '{self.m.env}'"
            + (f"; did you mean '{hint}'?" if hint else "")
            + " (the bundle's manifest.json lists them all)",
        )

    def _resolve(self, p):
        asset = p["asset"]
        cands = self._asset(asset)
        scopes = [self.m.global_scope(asset)] + list(p.get("prefs") or [])
        status, chosen, matches = resolve(cands, asset, scopes, p.get("pkg"), p.get("variant"))
        return cands, status, chosen, matches

    def resolve(self, p):
        asset, pkg, variant = p["asset"], p.get("pkg"), p.get("variant")
        cands, status, chosen, matches = self._resolve(p)
        if status == "ambiguous":
            names = [cands[i]["full"] for i in matches]
            raise LocalError(
                "ambiguous",
                f"'{asset}' is ambiguous: {len(names)} candidates match ({', '.join(names)}); "
                "pick one with a package or variant",
                candidates=names,
            )
        if status == "no_match":
            wants = " and ".join(
                f"{k} '{v}'" for k, v in (("package", pkg), ("variant", variant)) if v is not None
            )
            names = [c["full"] for c in cands]
            raise LocalError(
                "no_match",
                f"no candidate for '{asset}' has {wants} (candidates: {', '.join(names)})",
                candidates=names,
            )
        m = cands[chosen]
        if m.get("failure"):
            raise LocalError(
                "build_failed", f"{m['full']} did not compile: {m['failure']}", full=m["full"]
            )
        gen = (self.m.data.get("library") or {}).get("generation")
        return {
            "full": m["full"],
            "asset": m["asset"],
            "pkg": m["package"],
            "variant": m["variant"],
            "kind": m["kind"],
            "index_version": 1,
            "generation": gen if m.get("built") else None,
            "built": bool(m.get("built")),
        }

    def asset(self, p):
        name = p["asset"]
        cands = self._asset(name)
        status, chosen, _ = self._resolve(p)[1:]
        return {
            "asset": name,
            "candidates": [
                {
                    "full": c["full"],
                    "pkg": c["package"],
                    "variant": c["variant"],
                    "kind": c["kind"],
                    "file": self.m.mod_file(c),
                    "params": c.get("parameters") or [],
                }
                for c in cands
            ],
            "resolved": {"code": status, "full": cands[chosen]["full"] if chosen is not None else None},
        }

    def library(self, p):
        lib = self.m.data.get("library") or {}
        built = [m["full"] for m in self.m.data.get("mods", []) if m.get("built")]
        failed = sum(1 for m in self.m.data.get("mods", []) if m.get("failure"))
        r = {
            "env": self.m.env,
            "status": "ready",
            "path": self.m.library,
            "generation": lib.get("generation"),
            "key": lib.get("key"),
            "mechanisms": len(built),
            "failed": failed,
            "last_build": {"ok": True, "failed": failed, "error": None},
        }
        if p.get("names"):
            r["names"] = built
        return r

    def log(self, p):
        name = p.get("name")
        out = []
        for m in self.m.data.get("mods", []):
            if m.get("failure") and name in (None, m["full"], m["asset"], m["package"]):
                out.append({"full": m["full"], "pkg": m["package"], "asset": m["asset"],
                            "variant": m["variant"], "file": self.m.mod_file(m),
                            "summary": m["failure"], "detail": ""})
        return {"env": self.m.env, "error": None, "failures": out}

    def packages(self, p):
        counts = {}
        for m in self.m.data.get("mods", []):
            counts[m["package"]] = counts.get(m["package"], 0) + 1
        return {
            "packages": [
                dict(pk, mods=counts.get(pk["name"], 0), problems=0, editable=False,
                     root=pk.get("root"))
                for pk in self.m.data.get("packages", [])
            ],
            "problems": [],
        }

    def package(self, p):
        for pk in self.packages(p)["packages"]:
            if pk["name"] == p.get("name"):
                mechs = [
                    {"full": m["full"], "asset": m["asset"], "variant": m["variant"],
                     "kind": m["kind"], "renamed": False,
                     # As gliad's: relative to the package's root, where known.
                     "file": m.get("relpath") if pk["root"] else self.m.mod_file(m)}
                    for m in self.m.data.get("mods", []) if m["package"] == pk["name"]
                ]
                return dict(pk, mechanisms=mechs, problem_list=[])
        raise LocalError("unknown_package", f"no package named '{p.get('name')}' in the manifest")

    def select(self, p):
        raise LocalError(
            "bad_request",
            "the global preferences of a bundle are frozen in its manifest; prefer "
            "with glia.select() or glia.context() in the script instead",
        )

    def loaded(self, p):
        if self.on_loaded is not None:
            return self.on_loaded(p)
        return {"generation": p.get("generation"), "pid": os.getpid()}

    def build(self, p):
        return {"env": self.m.env, "started": False, "status": "ready"}

    def subscribe(self, p):
        return {"topics": 0}

    def hello(self, p):
        return {"server": "glia-bundle", "version": self.m.data.get("gliad"), "protocol": 1,
                "pid": os.getpid(), "envs": [self.m.env]}

    def register(self, p):
        return {"name": self.m.env, "created": False, "changed": False, "joined": False}

    def call(self, method, params):
        fn = {"env.register": self.register}.get(method) or getattr(self, method.replace(".", "_"), None)
        if fn is None or method.startswith("_") or method == "call":
            raise LocalError("unknown_method", f"'{method}' cannot be answered without gliad")
        return fn(params or {})


class LocalConnection:
    """What _rpc.connect gives while a manifest serves: the manager's requests
    answered in process. `sock` is one end of a socket pair nothing is ever
    written to: the subscription _notes.py keeps on it never reports a
    change, as nothing in a manifest changes, so resolutions stay cached."""

    def __init__(self, answers):
        self.answers = answers
        self.sock, self._peer = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
        self.next_id = 0
        self.closed = False

    def call(self, method, params=None, on_note=None):
        from ._rpc import DaemonError

        try:
            return self.answers.call(method, params)
        except LocalError as e:
            raise DaemonError(e.data) from None

    def request(self, method, params=None):
        """A request whose answer nobody reads (`loaded`, `subscribe`):
        answered all the same, for what it does (the asking rank's
        `loaded` goes on to gliad)."""
        self.next_id += 1
        try:
            self.answers.call(method, params or {})
        except LocalError:
            pass
        return self.next_id

    def close(self):
        self.closed = True
        self.sock.close()
        self._peer.close()


# ---- Which source serves this process -------------------------------------------

_source = None  # Answers, once decided


def use_bundle(directory):
    """Serve glia from the bundle in directory (made by `gliactl bundle`):
    no gliad is contacted or started. Call before the first insert."""
    global _source
    _source = Answers(Manifest.from_bundle(directory))
    return _source.m


def use_manifest(manifest, on_loaded=None):
    global _source
    _source = Answers(manifest, on_loaded)


def source():
    """The Answers serving this process instead of gliad, or None: a bundle
    named by GLIA_BUNDLE, or a node's shared answer under MPI."""
    global _source
    if _source is None:
        directory = os.environ.get("GLIA_BUNDLE")
        if directory:
            # Every rank reads the manifest itself: one small file, read once.
            _source = Answers(Manifest.from_bundle(directory))
        else:
            from . import _mpi

            _mpi.join_node()  # sets _source on MPI ranks; nothing elsewhere
    return _source


def manifest():
    """The manifest of what this process serves from: a bundle's, or the
    one a node's asking rank got from gliad; None while gliad answers."""
    return _source.m.data if _source is not None else None


def switch(manager, directory):
    """glia.use_bundle: from now on manager is served by the bundle. Only
    before a library is loaded: NEURON cannot load a second one."""
    from .exceptions import GliaError

    if manager.library.ready:
        raise GliaError(
            "glia.use_bundle() must come before the first insert or load_library(): "
            "this process loaded a library already (or set GLIA_BUNDLE before starting it)"
        )
    m = use_bundle(directory)
    manager.reconnect()
    return m.data


def library_manifest(manager):
    """glia.library_manifest(): what this process serves from (a bundle's
    manifest, or the node's shared one under MPI), else gliad's `bundle`
    answer for this environment's library."""
    m = manifest()
    if m is not None:
        return m
    return manager.call("bundle", {"sync": True})
