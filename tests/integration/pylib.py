"""Helpers for the tests of the glia Python module (client/python/glia).

NEURON cannot unload a mechanism library, so every glia-using script runs in
a process of its own: the venv's python (Debian's /usr/bin/python3 seeing the
system site-packages, hence python3-neuron), with the module taken from the
source tree. A script reports back by printing `RESULT {json}` lines (the
`out(...)` of the prelude) and can stop half-way to let the test change the
world: `wait_go("tag")` prints `WAIT tag` and blocks until the test sends
`go` on its stdin.
"""

import json
import os
import queue
import re
import signal
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import glia_testlib as lib

CLIENT = lib.REPO / "client/python"

# Scripts start slower than gliad answers: importing NEURON, and the first
# library wait of a cold cache (a few seconds of compiling).
SCRIPT_TIMEOUT = max(60.0, 6 * lib.TIMEOUT)

PRELUDE = '''\
import json as _json, sys as _sys
def out(**kw):
    print("RESULT " + _json.dumps(kw), flush=True)
def density(sec):
    """The density mechanisms NEURON says the section holds."""
    return sorted(sec.psection()["density_mechs"])
def wait_go(tag):
    print("WAIT " + tag, flush=True)
    line = _sys.stdin.readline()
    assert line.strip() == "go", repr(line)
def spikes(sec, tstop=40.0, thresh=0.0):
    """Upward crossings of thresh by v(0.5) over a run of tstop ms."""
    from neuron import h
    h.load_file("stdrun.hoc")
    v = h.Vector().record(sec(0.5)._ref_v)
    h.finitialize(-65)
    h.continuerun(tstop)
    vs = list(v)
    return sum(1 for a, b in zip(vs, vs[1:]) if a < thresh <= b)
'''


def script_env(home, socket_path=None, *, glia_env="default", autostart=False, extra=None):
    """The environment of a glia-using script: no GLIA_/XDG_ variables of the
    caller's, a home of its own, the module from the source tree.
    glia_env: GLIA_ENV (None: the module registers its venv); autostart
    False sets GLIA_NO_AUTOSTART=1 so a test never starts a stray gliad."""
    e = lib.daemon_env(home)
    e.update(PYTHONPATH=f"{CLIENT}:{lib.BUILT_PYTHON}",
             NEURON_MODULE_OPTIONS="-nogui",
             PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    if socket_path is not None:
        e["GLIA_SOCKET"] = str(socket_path)
    if glia_env is not None:
        e["GLIA_ENV"] = glia_env
    if not autostart:
        e["GLIA_NO_AUTOSTART"] = "1"
    for k, v in (extra or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    return e


def _results(lines):
    return [json.loads(l[len("RESULT "):]) for l in lines if l.startswith("RESULT ")]


class Outcome:
    """How a script ended: rc, stdout, stderr, and its RESULT lines (`results`,
    and `r`, all of them merged into one dict)."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        self.results = _results(out.splitlines())
        self.r = {}
        for x in self.results:
            self.r.update(x)

    def __repr__(self):
        return f"script exit {self.rc}\n--- stdout:\n{self.out}\n--- stderr:\n{self.err}"

    def ok(self):
        assert self.rc == 0, self
        lib.assert_no_sanitizer_reports(self.err, "the script")
        return self.r


class Script:
    """A script running in the background, talking through WAIT/go."""

    def __init__(self, python, code, env, cwd):
        self.err_path = Path(cwd) / f"script-{time.monotonic_ns()}.stderr"
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([str(python), "-c", PRELUDE + textwrap.dedent(code)],
                                     env=env, cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._err, text=True)
        self.lines = []
        self._q = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def wait_for(self, tag, timeout=SCRIPT_TIMEOUT):
        """Reads stdout until `WAIT tag`; returns the RESULT lines seen so far."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise AssertionError(f"script never reached WAIT {tag}:\n{self.finish_text()}")
            if line is None:
                self.proc.wait()
                raise AssertionError(f"script ended before WAIT {tag} (exit "
                                     f"{self.proc.returncode}):\n{self.finish_text()}")
            self.lines.append(line)
            if line == f"WAIT {tag}":
                return _results(self.lines)

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout=SCRIPT_TIMEOUT):
        """Waits for the end: an Outcome."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"script did not end within {timeout} s:\n"
                                 f"{self.finish_text()}")
        return Outcome(self.proc.returncode, self._drain(), self.stderr())

    def _drain(self):
        while True:
            try:
                line = self._q.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return "\n".join(self.lines) + "\n"

    def finish_text(self):
        return f"--- stdout:\n" + "\n".join(self.lines) + f"\n--- stderr:\n{self.stderr()}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.kill()
        self._err.close()


class Py:
    """Runs glia-using scripts with one python against one gliad socket."""

    def __init__(self, python, socket_path, workdir, *, glia_env="default", autostart=False,
                 extra=None):
        self.python = Path(python)
        self.socket = socket_path
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = script_env(self.workdir / "home", socket_path, glia_env=glia_env,
                              autostart=autostart, extra=extra)
        self.scripts = []

    def with_env(self, **extra):
        """A copy whose scripts see these variables changed (None: removed)."""
        other = Py.__new__(Py)
        other.__dict__.update(self.__dict__)
        other.env = dict(self.env)
        for k, v in extra.items():
            if v is None:
                other.env.pop(k, None)
            else:
                other.env[k] = str(v)
        return other

    def run(self, code, timeout=SCRIPT_TIMEOUT):
        """Runs a script to its end: an Outcome."""
        try:
            r = subprocess.run([str(self.python), "-c", PRELUDE + textwrap.dedent(code)],
                               env=self.env, cwd=self.workdir, capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"script did not end within {timeout} s:\n"
                                 f"{e.stdout}\n{e.stderr}") from None
        return Outcome(r.returncode, r.stdout, r.stderr)

    def ok(self, code, timeout=SCRIPT_TIMEOUT):
        """Runs a script that must succeed: its merged RESULT dict."""
        return self.run(code, timeout).ok()

    def start(self, code):
        s = Script(self.python, code, self.env, self.workdir)
        self.scripts.append(s)
        return s

    def close(self):
        for s in self.scripts:
            s.close()


# ---- gliads the module starts by itself ---------------------------------------------

def hello_pid(socket_path, timeout=1.0):
    """The pid of the gliad answering on socket_path, or None."""
    try:
        with lib.Rpc(socket_path, timeout=timeout) as c:
            err, res = c.call("hello")
    except (OSError, lib.Closed):
        return None
    return None if err else res["pid"]


def stop_pid(pid, timeout=lib.TIMEOUT):
    """SIGTERM to a gliad this test did not spawn itself (so cannot reap);
    waits until it is gone, SIGKILL if it lingers. True if SIGTERM sufficed."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not lib.pid_alive(pid) or _zombie(pid):
            return True
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    return False


def _zombie(pid):
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return False


# ---- fixture packages ----------------------------------------------------------------

def broken_package(root, name="glia_broken"):
    """A Glia 4 package with one good mod (Kok, NEURON's HHk) and one that
    nocmodl refuses (Kbad: HHk with a stray token in its BREAKPOINT block).
    Returns (project dir, line of the error in mods/Kbad__0.mod)."""
    text = lib.demo_mods()["HHk"][0]
    lines = text.splitlines(keepends=True)
    at = next(i for i, l in enumerate(lines) if l.lstrip().startswith("BREAKPOINT"))
    lines.insert(at + 1, "\tthis is not nmodl @@@\n")
    bad = "".join(lines)
    proj = lib.write_package(root, name, {
        "mods/Kok__0.mod": lib.rename_mechanism(text, f"glia__{name}__Kok__0"),
        "mods/Kbad__0.mod": lib.rename_mechanism(bad, f"glia__{name}__Kbad__0"),
    })
    return proj, at + 2


def many_mods_package(root, n, name="glia_many"):
    """A Glia 4 package of n distinct density mechanisms (NEURON's HHk under
    n names), so a cold build of it takes a while."""
    text = lib.demo_mods()["HHk"][0]
    return lib.write_package(root, name, {
        f"mods/K{i}__0.mod": lib.rename_mechanism(text, f"glia__{name}__K{i}__0")
        for i in range(n)})


def one_asset_package(root, name, asset, demo="HHk"):
    """A Glia 4 package with a single asset made of a NEURON demo mod."""
    text = lib.demo_mods()[demo][0]
    return lib.write_package(root, name, {
        f"mods/{asset}__0.mod": lib.rename_mechanism(text, f"glia__{name}__{asset}__0")})


PROGRESS = re.compile(r"building\b.*?\b(\d+)/(\d+)")
