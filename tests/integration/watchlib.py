"""Helpers for the tests of gliad following changes on disk: fixture packages made of NEURON's
demo mods, pip run the way a user runs it, installs done with the plain file
operations pip does (fast enough to repeat hundreds of times), a connection
subscribed to gliad's notifications, and queries that sync first.

Built on glia_testlib; nothing here knows about pytest fixtures.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import glia_testlib as lib

PYVER = f"python{sys.version_info[0]}.{sys.version_info[1]}"

# A steady state is one where nothing happens for this long.
QUIET = 0.5


def venv_site(venv_dir):
    """Where a venv made by this python3 keeps its site-packages (the venv
    need not exist yet)."""
    return Path(venv_dir) / "lib" / PYVER / "site-packages"


# ---- mods and fixture packages -----------------------------------------------

def set_param(text, name, value):
    """The mod text with PARAMETER `name`'s default replaced by `value`."""
    new, n = re.subn(rf"(^[ \t]*{re.escape(name)}[ \t]*=[ \t]*)([-+0-9.eE]+)",
                     lambda m: m.group(1) + str(value), text, count=1, flags=re.M)
    assert n == 1, f"no PARAMETER {name} with a default in the mod"
    return new


def mod(pkg, asset, src="HHk", variant="0", params=None):
    """NEURON's demo mod `src` as glia__<pkg>__<asset>__<variant>, with
    PARAMETER defaults changed as `params` says."""
    text = lib.rename_mechanism(lib.demo_mods()[src][0], full(pkg, asset, variant))
    for k, v in (params or {}).items():
        text = set_param(text, k, v)
    return text


def full(pkg, asset, variant="0"):
    return f"glia__{pkg}__{asset}__{variant}"


def mods_of(pkg, assets, params=None):
    """{"mods/<asset>__0.mod": text} for {asset: demo mod name}."""
    return {f"mods/{a}__0.mod": mod(pkg, a, src, params=(params or {}).get(a))
            for a, src in assets.items()}


def package(root, name, assets, version="1.0", params=None):
    """A Glia 4 flit project of demo mods: assets {asset: demo mod name}."""
    return lib.write_package(root, name, mods_of(name, assets, params), version=version)


# ---- pip -------------------------------------------------------------------------

PIP_FLAGS = ["--no-index", "--no-build-isolation", "--no-deps", "-q"]


def pip(venv, *args):
    """Runs the venv's pip as a user would, checked; returns its duration."""
    t0 = time.monotonic()
    lib.run_checked([*venv.pip_argv, *args], env=lib.pip_env())
    return time.monotonic() - t0


def pip_install(venv, *sources, editable=False, upgrade=False):
    args = ["install", *PIP_FLAGS, *(["--upgrade"] if upgrade else [])]
    for s in sources:
        args += ["-e", s] if editable else [s]
    return pip(venv, *args)


def pip_uninstall(venv, *names):
    return pip(venv, "uninstall", "-y", "-q", *names)


def build_wheels(venv, projects, wheel_dir):
    """Builds every project's wheel in one pip run; {project name: wheel}."""
    pip(venv, "wheel", *PIP_FLAGS, "-w", wheel_dir, *projects)
    wheels = {}
    for p in projects:
        (w,) = Path(wheel_dir).glob(f"{Path(p).name}-*.whl")
        wheels[Path(p).name] = w
    return wheels


# ---- installs by hand: what pip does to a site dir -------------------------------

def fake_install(site, name, mods, version="1.0", entry=None):
    """Installs Glia 4 package `name` into `site` with plain file operations,
    in pip's order: the module's files, then the dist-info (its RECORD last).
    mods: {path relative to the module dir: text}. Returns the dist-info."""
    site = Path(site)
    module = site / name
    for rel, text in mods.items():
        p = module / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="latin-1")
    (module / "__init__.py").write_text("package = None\n")
    di = site / f"{name}-{version}.dist-info"
    di.mkdir()
    (di / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (di / "entry_points.txt").write_text(f"[glia.package]\n{entry or name} = {name}:package\n")
    (di / "INSTALLER").write_text("pip\n")
    (di / "RECORD").write_text("")
    return di


def fake_uninstall(site, name):
    """Removes what fake_install (or pip) put there: every dist-info of
    `name`, then its module dir, as pip uninstall does."""
    site = Path(site)
    for di in site.glob(f"{name}-*.dist-info"):
        shutil.rmtree(di)
    shutil.rmtree(site / name, ignore_errors=True)


def replace_file(path, text):
    """Saves `text` to `path` the way vim and VS Code do: a new file in the
    same dir, renamed over the old one."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="latin-1")
    os.replace(tmp, path)


# ---- asking gliad ------------------------------------------------------------------

def params(env=None, **kw):
    p = {k: v for k, v in kw.items() if v is not None}
    if env is not None:
        p["env"] = env
    return p


def resolve(d, asset, env=None, sync=True, conn=None):
    """(error, result) of resolve {asset, sync}; on `conn` when given."""
    p = params(env, asset=asset, sync=sync or None)
    return conn.call("resolve", p) if conn else d.call("resolve", p)


def resolved(d, asset, env=None, sync=True):
    """The full name asset resolves to, or the error code."""
    err, res = resolve(d, asset, env, sync)
    return err["code"] if err else res["full"]


def library(d, env=None, wait=True, timeout=None):
    """library {wait, names}: waits until nothing is left to scan or build."""
    with d.connect(timeout=timeout or 6 * lib.TIMEOUT) as c:
        err, res = c.call("library", params(env, wait=wait or None, names=True))
    assert err is None, f"library failed: {err}"
    return res


def asset_param(d, asset, name, env=None):
    """The default of PARAMETER `name` in the resolved candidate of asset
    (via the asset method, after a sync)."""
    res = d.ok("asset", params(env, asset=asset, sync=True))
    want = res["resolved"]["full"]
    (cand,) = [c for c in res["candidates"] if c["full"] == want]
    (p,) = [p for p in cand["params"] if p["name"] == name]
    return p["value"]


def ctl_resolve(d, asset, env=None):
    """gliactl [--env E] resolve ASSET: the full name, or 'error: <stderr>'."""
    args = (["--env", env] if env else []) + ["resolve", asset]
    r = d.ctl(*args)
    if r.rc == 0:
        return r.out.strip()
    assert r.rc == 1, r
    return "error: " + r.err.strip()


def env_status(d, name="default"):
    (e,) = [e for e in d.ok("status")["envs"] if e["name"] == name]
    return e


# ---- notifications -----------------------------------------------------------------

class Notes:
    """A connection subscribed to gliad's notifications, keeping every one
    in arrival order as (time, method, params)."""

    def __init__(self, d, topics=("build", "index")):
        self.conn = d.connect()
        err, _ = self.conn.call("subscribe", {"topics": list(topics)})
        assert err is None, err
        self.got = []

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pump(self, timeout=0.0):
        """Reads what arrives within `timeout` seconds (at least what is buffered)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                m = self.conn.read(timeout=max(left, 0.001))
            except socket.timeout:
                return
            assert m[0] == 2, f"unexpected message {m!r}"
            self.got.append((time.monotonic(), m[1], m[2][0] if m[2] else {}))

    def wait(self, pred, timeout=lib.TIMEOUT, what="a notification"):
        """The first notification (method, params) kept from now on that pred accepts."""
        deadline = time.monotonic() + timeout
        seen = len(self.got)
        while True:
            for _t, method, p in self.got[seen:]:
                if pred(method, p):
                    return method, p
            seen = len(self.got)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; got {self.got!r}")
            self.pump(min(left, 0.1))

    def settle(self, quiet=QUIET, timeout=6 * lib.TIMEOUT):
        """Reads until nothing has arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = len(self.got)
            self.pump(quiet)
            if len(self.got) == n:
                return
        raise AssertionError(f"gliad never went quiet; got {self.got[-20:]!r}")

    def mark(self):
        return len(self.got)

    def since(self, mark, method=None):
        return [p for _t, m, p in self.got[mark:] if method is None or m == method]

    def count(self, method, mark=0, env=None):
        return len([p for p in self.since(mark, method) if env is None or p.get("env") == env])


# ---- a gliad with fewer inotify watches ---------------------------------------------

def userns_works():
    """Whether this machine lets us make a user namespace and set its own
    inotify limit (a limit of that namespace only; the system's is untouched)."""
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                        "echo 7 > /proc/sys/user/max_inotify_watches && "
                        "cat /proc/sys/user/max_inotify_watches"],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "7"


def limited_gliad_wrapper(path, max_watches):
    """Writes an executable that runs the real gliad in a new user namespace
    whose inotify watch limit is `max_watches`: a gliad that runs out of
    watches, without touching fs.inotify.max_user_watches. Returns its path
    (for $GLIAD)."""
    path = Path(path)
    path.write_text("#!/bin/sh\n"
                    "exec unshare --user --map-root-user sh -c "
                    "'echo \"$0\" > /proc/sys/user/max_inotify_watches && exec \"$@\"' "
                    f"{int(max_watches)} {lib.gliad_binary()} \"$@\"\n")
    path.chmod(0o755)
    return path
