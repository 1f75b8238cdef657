"""What the Python benchmark drivers share: a msgpack-RPC client for gliad
and a gliad of their own on a temporary config."""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLIAD = os.environ.get("GLIAD", os.path.join(ROOT, "build", "daemon", "gliad"))
# The glia module from the source tree, and the build dir holding its C
# speedups: what the drivers' scripts import, and whose client they use here.
PYDIR = os.path.join(ROOT, "client", "python") + ":" + os.path.join(
    os.path.dirname(os.path.dirname(GLIAD)), "client", "python")
sys.path[:0] = PYDIR.split(":")
from glia import _rpc  # noqa: E402


class Rpc(_rpc.Connection):
    """The module's client on one connection (no trust checks: a gliad of
    the benchmark's own); notifications that arrive are kept in .notes."""

    def __init__(self, path):
        super().__init__(path, check=False)
        self.notes = []

    def _note(self, method, params):
        self.notes.append((time.monotonic(), method, params))

    def read(self, timeout=None):
        self.sock.settimeout(timeout)
        return super().read()

    def call(self, method, params=None):
        self.sock.settimeout(None)
        return super().call(method, params or {}, on_note=self._note)

    def wait_note(self, method, pred, timeout=600):
        """The first notification `method` satisfying pred, with its arrival time."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (t, name, params) in enumerate(self.notes):
                if name == method and pred(params):
                    del self.notes[: i + 1]
                    return t, params
            self.notes.clear()
            m = self.read(max(0.1, deadline - time.monotonic()))
            if m[0] == 2:
                self._note(m[1], m[2][0])


def start_gliad(tmp, site, env=None, gliad=GLIAD, **daemon):
    """A gliad (the binary `gliad`) serving `site` as its default env, state
    and cache in tmp (daemon: more [daemon] keys; env: its environment).
    Returns (process, socket path) once it answers."""
    sock = os.path.join(tmp, "gliad.sock")
    cfg = os.path.join(tmp, "gliad.ini")
    keys = {"socket": sock, "state_dir": f"{tmp}/state", "cache_dir": f"{tmp}/cache",
            "log_level": "warn", **daemon}
    with open(cfg, "w") as f:
        f.write("[daemon]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
        f.write(f"[env:default]\nsite_packages = {site}\n")
    log = open(os.path.join(tmp, "gliad.log"), "a")
    p = subprocess.Popen([gliad, "--config", cfg], stdout=log, stderr=log, env=env)
    for _ in range(500):
        try:
            Rpc(sock).call("hello")
            return p, sock
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("gliad did not start; see " + log.name)
